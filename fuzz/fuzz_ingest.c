/*
 * fuzz_ingest.c: libFuzzer driver for message validation (src/ingest/parse.c).
 *
 * Bytes are read as JSON the way the ingest route reads a request body and
 * handed to ingest_parse with the default limits. Beyond the sanitizers, it
 * checks the parser's promises: an accepted batch has every required field,
 * a refused one names where, and the batch is freed without leaks.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

#define NOW_MS 1795420136000LL /* 2026-11-23T07:48:56Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ingest_options lim = {
		.max_batch = 1000,
		.max_text = 64 * 1024,
		.reopen_window_ms = 7LL * 86400 * 1000,
	};
	json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!root)
		return 0;
	ingest_batch b;
	ct_err err = ingest_parse(root, &lim, NOW_MS, &b);
	if (err == CT_OK) {
		if (b.n == 0 || b.n > lim.max_batch)
			abort();
		for (size_t i = 0; i < b.n; i++) {
			const ingest_message *m = &b.msgs[i];
			if (!m->channel || !*m->channel || !m->external_id || !*m->external_id ||
			    !m->author_id || !*m->author_id || !m->text ||
			    strlen(m->text) > lim.max_text)
				abort();
			if (m->created_at > NOW_MS + 24LL * 3600 * 1000)
				abort();
		}
	} else {
		if (err != CT_ERR_INVALID && err != CT_ERR_TOO_LARGE)
			abort();
		if (b.err_index < -1 || (b.err_index >= 0 && (size_t)b.err_index >= b.n))
			abort();
		if (buf_cstr(&b.err_msg)[0] == '\0')
			abort();
	}
	ingest_batch_free(&b);
	return 0;
}

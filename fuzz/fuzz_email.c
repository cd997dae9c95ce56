/*
 * fuzz_email.c: libFuzzer driver for the e-mail channel's MIME parsing
 * (src/channels/email_parse.c, email_text.c): random bytes as a mail.
 *
 * Beyond the sanitizers it checks the parser's promises: every input makes
 * a message (or none, for a mail from our own address), and what it makes
 * passes the ingest limits: external_id and author.id present and at most
 * 256 bytes, a text, at most 20 attachments, a meta object. The same bytes
 * also go through the HTML-to-text converter and the quote folding alone.
 * Attachments are listed but not stored (no files_dir).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/email_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless obj[key] is a string of at most max bytes. */
static void check_string(const json_t *obj, const char *key, size_t max)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_string(v) || json_string_length(v) > max)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	email_parse_opts o = {.own_address = "service@stadtwerke.example",
			      .max_attachment_bytes = 1 << 16,
			      .max_text_bytes = 4096,
			      .uidvalidity = 1,
			      .uid = 2,
			      .now_ms = 1795420136000LL};
	json_t *m = NULL;
	if (email_parse((const char *)data, size, &o, &m) != 0)
		abort();
	if (m) {
		check_string(m, "external_id", 255);
		check_string(m, "text", 4096);
		check_string(json_object_get(m, "author"), "id", 256);
		if (json_array_size(json_object_get(m, "attachments")) > 20 ||
		    !json_is_object(json_object_get(m, "meta")))
			abort();
		json_decref(m);
	}
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	free(email_html_to_text(text, strlen(text)));
	int folded;
	free(email_fold_quotes(text, &folded));
	free(text);
	return 0;
}

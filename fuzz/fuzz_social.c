/*
 * fuzz_social.c: libFuzzer driver for the Mastodon and X parsers
 * (src/channels/mastodon_parse.c, src/channels/x_parse.c).
 *
 * The bytes are read as JSON the way the adapters read an answer and handed
 * to every parser: a notification page (array), one notification, a page of
 * X mentions and X's poll cursor (the object as cursor, its "meta" as the
 * page's meta); the bytes themselves also go through the HTML-to-text
 * conversion. Beyond the sanitizers it checks the parsers' promise that
 * keeps a channel's polling alive: every message they return is one that
 * ingest_parse accepts, and a text is never longer than 16 KiB.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/social.h"
#include "core/timeutil.h"
#include "ingest/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless every message of msgs is accepted by ingest. */
static void check_ingestable(json_t *msgs)
{
	static const ingest_options lim = {.max_batch = 1000, .max_text = 64 * 1024};
	if (json_array_size(msgs) == 0)
		return;
	json_t *batch = json_deep_copy(msgs);
	size_t i;
	json_t *m;
	json_array_foreach(batch, i, m) json_object_set_new(m, "channel", json_string("social"));
	ingest_batch b;
	ct_err err = ingest_parse(batch, &lim, time_now_ms(), &b);
	ingest_batch_free(&b);
	if (err)
		abort();
}

/* The cursor's promises: an object whose since_id and pending walk are ids
 * and tokens as strings; more only with a walk pending. */
static void check_cursor(const json_t *root)
{
	int more = -1;
	json_t *c = x_next_cursor(root, json_object_get(root, "meta"), &more);
	if (more != 0 && more != 1)
		abort();
	if (c && !json_is_object(c))
		abort();
	if (more &&
	    !json_string_value(json_object_get(json_object_get(c, "pending"), "next_token")))
		abort();
	json_decref(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	buf out;
	buf_init(&out, 0);
	if (social_html_to_text(text, &out) != CT_OK || out.len > 16 * 1024)
		abort();
	buf_free(&out);
	free(text);

	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	if (!root)
		return 0;
	json_t *msgs = json_array();
	const char *newest = NULL;
	if (mastodon_parse_page(root, msgs, &newest) == CT_OK) {
		if (json_array_size(msgs) > json_array_size(root))
			abort();
	} else if (json_is_array(root)) {
		abort();
	}
	json_decref(mastodon_parse_notification(root));
	x_parse_mentions(root, msgs);
	check_ingestable(msgs);
	if (json_is_object(root))
		check_cursor(root);
	json_decref(msgs);
	json_decref(root);
	return 0;
}

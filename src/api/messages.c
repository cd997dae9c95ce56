/*
 * messages.c: POST /api/v1/messages, the ingest API.
 *
 * Validates the whole body first (400 for bad JSON, 422 naming field and
 * index, 413 for too many messages), then commits the batch (ingest_take);
 * the 201 is sent only after the commit is durable.
 */
#include "api/api.h"
#include "ingest/ingest.h"

static json_t *results_json(const ingest_batch *b)
{
	json_t *data = json_array();
	for (size_t i = 0; i < b->n; i++) {
		const ingest_result *r = &b->results[i];
		json_array_append_new(data,
				      json_pack("{s:I, s:I, s:b}", "id", (json_int_t)r->message_id,
						"conversation_id", (json_int_t)r->conversation_id,
						"duplicate", r->duplicate));
	}
	return json_pack("{s:o}", "data", data);
}

void api_messages_ingest(http_request *req, http_response *res)
{
	app *a = http_app(req);
	json_t *body = NULL;
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	ingest_batch b;
	ct_err err = ingest_take(a, body, NULL, http_principal(req)->channel_id, &b);
	if (err) {
		if (err == CT_ERR_INVALID || err == CT_ERR_TOO_LARGE || err == CT_ERR_FORBIDDEN)
			http_error(res, err, buf_cstr(&b.err_msg),
				   b.err_field[0] ? b.err_field : NULL, b.err_index);
		else
			http_error(res, err, "the messages could not be stored", NULL, -1);
		ingest_batch_free(&b);
		return;
	}
	http_json(res, 201, results_json(&b));
	ingest_batch_free(&b);
}

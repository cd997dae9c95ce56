/*
 * events.c: GET /api/v1/events, the live event stream (Server-Sent Events).
 *
 * The stream starts after the newest event, or after Last-Event-ID (header,
 * or last_event_id in the query for clients that cannot set headers) when a
 * client reconnects. Between events a comment line keeps proxies from
 * closing an idle connection. Each connection has its own thread, so the
 * stream simply blocks on the event hub.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "inbox/inbox.h"

typedef struct sse_stream {
	events_hub *hub;
	store *store;
	inbox_scope scope; /* agents and channel tokens see their events only */
	uint64_t last_seq;
	int heartbeat_ms;
	buf pending; /* formatted but not yet sent */
	size_t sent;
} sse_stream;

/* May this stream's caller see the event (about a conversation in view)? */
static int visible(sse_stream *s, const event *e)
{
	if (!s->scope.agent_user_id && !s->scope.channel_id)
		return 1;
	json_t *data = json_loads(e->data, 0, NULL);
	int64_t conversation = json_integer_value(json_object_get(data, "conversation_id"));
	json_decref(data);
	if (!conversation)
		return 0;
	store_conn *c = store_reader_acquire(s->store);
	int ok = inbox_check_access(c, &s->scope, conversation) == CT_OK;
	store_reader_release(s->store, c);
	return ok;
}

/* Format the next event (or a keep-alive) into pending; -1 when closed. */
static int sse_fill(sse_stream *s)
{
	event e = {0};
	int rc;
	for (;;) {
		rc = events_next(s->hub, s->last_seq, s->heartbeat_ms, &e);
		if (rc <= 0 || visible(s, &e))
			break;
		s->last_seq = e.seq; /* not for this caller: skip it */
		events_clear(&e);
	}
	buf_reset(&s->pending);
	s->sent = 0;
	if (rc < 0)
		return -1;
	if (rc == 0) {
		buf_puts(&s->pending, ": keep-alive\n\n");
		return 0;
	}
	s->last_seq = e.seq;
	buf_printf(&s->pending, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)e.seq,
		   e.type, e.data);
	events_clear(&e);
	return 0;
}

static long sse_read(void *ctx, char *out, size_t max)
{
	sse_stream *s = ctx;
	if (s->sent >= s->pending.len && sse_fill(s) < 0)
		return -1;
	size_t n = s->pending.len - s->sent;
	if (n > max)
		n = max;
	memcpy(out, s->pending.data + s->sent, n);
	s->sent += n;
	return (long)n;
}

static void sse_free(void *ctx)
{
	sse_stream *s = ctx;
	buf_free(&s->pending);
	free(s);
}

void api_events(http_request *req, http_response *res)
{
	app *a = http_app(req);
	sse_stream *s = xcalloc(1, sizeof(*s));
	s->hub = a->events;
	s->store = a->store;
	api_scope(req, &s->scope);
	s->heartbeat_ms = (int)a->cfg.events_heartbeat_s * 1000;
	buf_init(&s->pending, 1 << 20);
	const char *last = http_header(req, "Last-Event-ID");
	if (!last)
		last = http_query(req, "last_event_id");
	/* Resume after Last-Event-ID; an id that is not a number, or one this
	 * process has not reached (a clock set back), means "from now". */
	uint64_t now_seq = events_last_seq(a->events), resume = 0;
	char *end = NULL;
	if (last)
		resume = strtoull(last, &end, 10);
	s->last_seq = last && end != last && !*end && resume <= now_seq ? resume : now_seq;
	buf_puts(&s->pending, "retry: 3000\n: connected\n\n");
	res->status = 200;
	res->content_type = "text/event-stream";
	res->stream = sse_read;
	res->stream_ctx = s;
	res->stream_free = sse_free;
}

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

typedef struct sse_stream {
	events_hub *hub;
	uint64_t last_seq;
	int heartbeat_ms;
	buf pending; /* formatted but not yet sent */
	size_t sent;
} sse_stream;

/* Format the next event (or a keep-alive) into pending; -1 when closed. */
static int sse_fill(sse_stream *s)
{
	event e = {0};
	int rc = events_next(s->hub, s->last_seq, s->heartbeat_ms, &e);
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
	s->heartbeat_ms = (int)a->cfg.events_heartbeat_s * 1000;
	buf_init(&s->pending, 1 << 20);
	const char *last = http_header(req, "Last-Event-ID");
	if (!last)
		last = http_query(req, "last_event_id");
	s->last_seq = last ? strtoull(last, NULL, 10) : events_last_seq(a->events);
	buf_puts(&s->pending, "retry: 3000\n: connected\n\n");
	res->status = 200;
	res->content_type = "text/event-stream";
	res->stream = sse_read;
	res->stream_ctx = s;
	res->stream_free = sse_free;
}

/*
 * events.h: the in-process hub for live inbox events.
 *
 * Modules publish events ("message.received", "conversation.updated", ...)
 * after their change is committed; Server-Sent Event streams subscribe. The
 * hub keeps the last EVENTS_RING events with rising sequence numbers, so a
 * client that reconnects with Last-Event-ID gets what it missed (when it is
 * still in the ring). Sequence numbers keep rising across restarts (they
 * start at the start time), so a resumed stream never waits for numbers it
 * has seen. Publishing never blocks on slow readers.
 *
 * With several nodes on one database (PostgreSQL) a relay is set: publishing
 * hands the event to the relay, which sends it to every node, and each node's
 * hub takes it back with events_append under a number shared by all nodes.
 * Numbers then rise but may skip values.
 */
#ifndef CT_EVENTS_H
#define CT_EVENTS_H

#include <stdint.h>

#define EVENTS_RING 4096

typedef struct events_hub events_hub;

typedef struct event {
	uint64_t seq;
	char *type; /* owned by the hub */
	char *data; /* JSON text, owned by the hub */
} event;

/* A new hub; free it with events_free. */
events_hub *events_new(void);
void events_free(events_hub *h);

/* Publish an event; type and data (JSON text) are copied. */
void events_publish(events_hub *h, const char *type, const char *data);

/* From now on, events_publish hands events to relay(ctx, type, data) instead
 * of keeping them; they come back through events_append. Numbers restart
 * after `last` (the newest number the relay gave before). */
typedef void (*events_relay_fn)(void *ctx, const char *type, const char *data);
void events_set_relay(events_hub *h, events_relay_fn relay, void *ctx, uint64_t last);

/* Keep an event under the number seq (from the relay); ignored unless seq is
 * above every number held. */
void events_append(events_hub *h, uint64_t seq, const char *type, const char *data);

/*
 * Wait until an event with seq > after exists or timeout_ms passes or the
 * hub is closed. On an event, copies it into *out (caller frees out->type
 * and out->data with events_clear) and returns 1; 0 on timeout; -1 when
 * closed. When `after` fell out of the ring, delivery resumes at the oldest
 * event still held.
 */
int events_next(events_hub *h, uint64_t after, int timeout_ms, event *out);

/* The sequence number of the newest event (the start value when none yet). */
uint64_t events_last_seq(events_hub *h);

/* Free the strings of an event returned by events_next. */
void events_clear(event *e);

/* Wake every waiter with -1 and refuse further waits (shutdown). */
void events_close(events_hub *h);

#endif

/*
 * pg.h: what the PostgreSQL backend's files share (internal to store/).
 *
 * pg.c is the store backend; pg_events.c carries live events and cache
 * invalidations between the nodes on one database with LISTEN/NOTIFY.
 */
#ifndef CT_STORE_PG_H
#define CT_STORE_PG_H

#include <libpq-fe.h>

#include "store/backend.h"

/* Every committed write group notifies this channel (no payload). */
#define PG_CHANNEL_CHANGED "cluetrain_changed"
/* Live events: "seq type data". */
#define PG_CHANNEL_EVENTS "cluetrain_events"

/* 1 for a postgres:// or postgresql:// URL. */
int pg_is_url(const char *database);

/* A connection with UTF-8 and UTC set; NULL with the reason in msg. The
 * caller owns it (PQfinish). */
PGconn *pg_connect(const char *url, buf *msg);

/* Run SQL without parameters; errors are logged. */
ct_err pg_exec_sql(PGconn *db, const char *sql);

/* Start the event relay and listener threads (see store_events_start). NULL
 * when the database cannot be reached. Stopped with store_events_stop. */
store_events *pg_events_start(store *s, const char *url, store_event_fn fn, void *ctx,
			      uint64_t *last);
void pg_events_send(store_events *e, const char *type, const char *data);

#endif

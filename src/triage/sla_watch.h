/*
 * sla_watch.h: raising "due soon" and "breached" for response-time promises.
 *
 * Runs every few seconds on the node that holds the scheduler lease (a
 * periodic tick of the job worker). It looks at the conversations whose
 * first response, next response or resolution is due within the largest
 * warning lead of the active concept, and for each promise raises "due
 * soon" (when the lead has begun) and "breached" (when the due time has
 * passed) exactly once: a row in sla_events, whose primary key is
 * (conversation, target, kind, due time), written in the same transaction
 * as the notification jobs. After the commit, a live event
 * "conversation.sla" goes to the browsers; with sla.notify_email set, an
 * e-mail job is queued too.
 */
#ifndef CT_SLA_WATCH_H
#define CT_SLA_WATCH_H

#include "app.h"

/* How often the serve process runs the watch. */
#define SLA_WATCH_EVERY_MS 5000

/* One pass at time now; returns how many events were raised. */
int sla_watch_run(app *a, int64_t now);

/* The worker's tick: sla_watch_run at the current time. */
void sla_watch_tick(app *a);

#endif

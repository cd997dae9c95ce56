/*
 * watchdog.h: a deadline for receiving a whole request (internal to http/).
 *
 * libmicrohttpd's connection timeout counts idle time only, so a client
 * that trickles its request a byte at a time is never idle and could hold a
 * connection (and its thread) for ever. The watchdog gives every request
 * http.request_timeout_s from its first byte (or from the end of the
 * previous request on a kept-alive connection) to arrive completely; past
 * that it shuts the socket down. A handler at work and an event stream are
 * not subject to it.
 */
#ifndef CT_HTTP_WATCHDOG_H
#define CT_HTTP_WATCHDOG_H

#include <stdint.h>

typedef struct watchdog watchdog;
typedef struct watched watched; /* one connection */

/* Start the watchdog thread; NULL when it cannot start. */
watchdog *watchdog_start(int64_t request_timeout_ms);
void watchdog_stop(watchdog *w);

/* A connection opened (fd) and closed. */
watched *watchdog_add(watchdog *w, int fd);
void watchdog_remove(watchdog *w, watched *c);

/* The request arrived and is being answered: no deadline until the next. */
void watchdog_busy(watchdog *w, watched *c);

/* The answer was sent: the next request's deadline starts now. */
void watchdog_idle(watchdog *w, watched *c);

#endif

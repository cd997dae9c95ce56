/*
 * ratelimit.h: requests per minute per address on public routes (internal to
 * http/). A token bucket per address, in memory (per node), in a fixed-size
 * table: when it is full, the entry idle longest is reused, so a flood of
 * addresses cannot grow memory.
 */
#ifndef CT_HTTP_RATELIMIT_H
#define CT_HTTP_RATELIMIT_H

#include <stdint.h>

#include "app.h"

/* May ip make one more request now (now_ms: monotonic)? Takes a token. */
int ratelimit_allow(const app *a, const char *ip, int64_t now_ms);

#endif

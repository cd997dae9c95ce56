/*
 * leader.h: named leases, so that scheduled work runs on one node.
 *
 * With several nodes on one database, work that must happen once (queuing
 * the daily jobs, later SLA checks and channel polls) is done by the node
 * that holds a lease of that name. A lease is a row in the table leases with
 * its holder and an expiry; the holder renews it while it lives, and when a
 * node dies another takes it over after the expiry. With SQLite the one node
 * simply always holds it.
 */
#ifndef CT_JOBS_LEADER_H
#define CT_JOBS_LEADER_H

#include <stdint.h>

#include "store/store.h"

typedef struct leader leader;

/* A lease name held for ttl_ms at a time by this process (a random holder
 * id). The caller owns the result and frees it with leader_free. */
leader *leader_new(store *s, const char *name, int64_t ttl_ms);

/* 1 when this process holds the lease now: takes it when it is free or
 * expired, renews it when the last renewal is a third of the ttl old; asks
 * the database at most that often. */
int leader_hold(leader *l);

/* Give the lease up (when held) and free l. NULL is fine. */
void leader_free(leader *l);

#endif

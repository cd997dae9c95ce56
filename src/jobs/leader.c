/*
 * leader.c: named leases in the database (see leader.h).
 *
 * Taking and renewing is one upsert that changes the row only when this
 * holder has it or it has expired; a changed row means the lease is ours.
 * The same SQL serves SQLite and PostgreSQL.
 */
#include "jobs/leader.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/timeutil.h"

static const char SQL_HOLD[] = "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)"
			       " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
			       " expires_at = excluded.expires_at"
			       " WHERE leases.holder = excluded.holder OR leases.expires_at < $4";
static const char SQL_RELEASE[] = "DELETE FROM leases WHERE name = $1 AND holder = $2";

struct leader {
	store *store;
	char *name;
	char holder[48];
	int64_t ttl_ms;
	int64_t renewed_at; /* 0: not held */
	int64_t tried_at;   /* the last attempt to take it */
	int held;           /* out of the last write */
};

leader *leader_new(store *s, const char *name, int64_t ttl_ms)
{
	leader *l = xcalloc(1, sizeof(*l));
	l->store = s;
	l->name = xstrdup(name);
	l->ttl_ms = ttl_ms;
	crypto_new_token(l->holder, sizeof(l->holder));
	return l;
}

static ct_err hold(store_conn *c, void *arg)
{
	leader *l = arg;
	int64_t now = time_now_ms();
	store_stmt *st = store_prepare(c, SQL_HOLD);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, l->name);
	store_bind_text(st, 2, l->holder);
	store_bind_int(st, 3, now + l->ttl_ms);
	store_bind_int(st, 4, now);
	ct_err err = store_run(st);
	l->held = !err && store_changes(c) == 1;
	return err;
}

int leader_hold(leader *l)
{
	int64_t now = time_now_ms();
	if (now - l->tried_at < l->ttl_ms / 3) /* held, or somebody else holds it */
		return l->renewed_at != 0;
	l->tried_at = now;
	int was_held = l->renewed_at != 0;
	if (store_write(l->store, hold, l) != CT_OK)
		l->held = 0;
	l->renewed_at = l->held ? now : 0;
	if (l->held != was_held)
		log_info(l->held ? "leader.took" : "leader.lost", LOG_S("lease", l->name));
	return l->held;
}

static ct_err release(store_conn *c, void *arg)
{
	leader *l = arg;
	store_stmt *st = store_prepare(c, SQL_RELEASE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, l->name);
	store_bind_text(st, 2, l->holder);
	return store_run(st);
}

void leader_free(leader *l)
{
	if (!l)
		return;
	if (l->renewed_at)
		store_write(l->store, release, l);
	free(l->name);
	free(l);
}

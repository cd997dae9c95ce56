/*
 * throttle.c: counting failed logins (see accounts.h).
 *
 * Kept in the database, so a restart does not reset a lockout and several
 * nodes share the count. A key collects failures within a window; reaching
 * the limit locks it until lock_ms have passed; a success clears it.
 */
#include "accounts/accounts.h"
#include "core/timeutil.h"

static const char SQL_LOCKED[] = "SELECT locked_until FROM login_throttle WHERE key = $1";
static const char SQL_GET[] = "SELECT failures, window_start FROM login_throttle WHERE key = $1";
static const char SQL_UPSERT[] =
	"INSERT INTO login_throttle (key, failures, window_start, locked_until)"
	" VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,"
	" window_start = excluded.window_start, locked_until = excluded.locked_until";
static const char SQL_CLEAR[] = "DELETE FROM login_throttle WHERE key = $1";

int64_t throttle_locked_until(store_conn *c, const char *key)
{
	store_stmt *st = store_prepare(c, SQL_LOCKED);
	int64_t until = 0;
	if (!st)
		return 0;
	store_bind_text(st, 1, key);
	store_one_int(st, &until);
	return until > time_now_ms() ? until : 0;
}

ct_err throttle_fail(store_conn *c, const char *key, const throttle_limits *lim)
{
	int64_t now = time_now_ms(), failures = 0, start = now;
	store_stmt *st = store_prepare(c, SQL_GET);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, key);
	if (store_step(st) == STORE_ROW) {
		failures = store_col_int(st, 0);
		start = store_col_int(st, 1);
	}
	store_reset(st);
	if (now - start > lim->window_ms)
		failures = 0, start = now;
	failures++;
	st = store_prepare(c, SQL_UPSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, key);
	store_bind_int(st, 2, failures);
	store_bind_int(st, 3, start);
	store_bind_int(st, 4, failures >= lim->max_failures ? now + lim->lock_ms : 0);
	return store_run(st);
}

ct_err throttle_clear(store_conn *c, const char *key)
{
	store_stmt *st = store_prepare(c, SQL_CLEAR);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, key);
	return store_run(st);
}

/*
 * users.c: user accounts (see accounts.h).
 *
 * E-mail addresses are stored lower-cased, so sign-in ignores case. The last
 * active admin cannot be demoted or disabled: an installation always has
 * someone who can manage it. Disabling a user or changing their password
 * ends all their sessions in the same transaction.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/crypto.h"
#include "core/timeutil.h"

#define USER_COLUMNS                                                  \
	"id, email, name, role, locale, coalesce(password_hash, '')," \
	" coalesce(totp_secret, ''), totp_enabled, active"

static const char SQL_BY_EMAIL[] = "SELECT " USER_COLUMNS " FROM users WHERE email = $1";
static const char SQL_BY_ID[] = "SELECT " USER_COLUMNS " FROM users WHERE id = $1";
static const char SQL_LIST[] = "SELECT id, name, email, role, locale, active, totp_enabled,"
			       " created_at, away, capacity, working_hours FROM users ORDER BY id";
static const char SQL_GET[] = "SELECT id, name, email, role, locale, active, totp_enabled,"
			      " created_at, away, capacity, working_hours FROM users WHERE id = $1";
static const char SQL_TEAMS_OF[] =
	"SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id";
static const char SQL_INSERT[] =
	"INSERT INTO users (name, email, password_hash, role, locale, active, created_at,"
	" updated_at) VALUES ($1, $2, $3, $4, $5, $7, $6, $6) RETURNING id";
static const char SQL_CLEAR_TOTP[] =
	"UPDATE users SET totp_enabled = 0, totp_secret = NULL, updated_at = $2 WHERE id = $1";
static const char SQL_CLEAR_RECOVERY[] = "DELETE FROM recovery_codes WHERE user_id = $1";
static const char SQL_UNLOCK[] = "DELETE FROM login_throttle WHERE key = $1";
static const char SQL_SET_NAME[] = "UPDATE users SET name = $2, updated_at = $3 WHERE id = $1";
static const char SQL_SET_ROLE[] = "UPDATE users SET role = $2, updated_at = $3 WHERE id = $1";
static const char SQL_SET_LOCALE[] = "UPDATE users SET locale = $2, updated_at = $3 WHERE id = $1";
static const char SQL_SET_ACTIVE[] = "UPDATE users SET active = $2, updated_at = $3 WHERE id = $1";
static const char SQL_SET_PASSWORD[] =
	"UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";
static const char SQL_END_SESSIONS[] = "DELETE FROM sessions WHERE user_id = $1";
static const char SQL_CLEAR_TEAMS[] = "DELETE FROM team_members WHERE user_id = $1";
static const char SQL_ADD_TEAM[] = "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)"
				   " ON CONFLICT DO NOTHING";
static const char SQL_TEAM_EXISTS[] = "SELECT id FROM teams WHERE id = $1";
static const char SQL_OTHER_ADMINS[] =
	"SELECT count(*) FROM users WHERE role = 'admin' AND active = 1 AND id <> $1";

static void copy_col(store_stmt *st, int col, char *out, size_t size)
{
	const char *s = store_col_text(st, col);
	snprintf(out, size, "%s", s ? s : "");
}

static ct_err find_user(store_conn *c, const char *sql, const char *email, int64_t id,
			user_auth *out)
{
	memset(out, 0, sizeof(*out));
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	if (email)
		store_bind_text(st, 1, email);
	else
		store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		out->id = store_col_int(st, 0);
		copy_col(st, 1, out->email, sizeof(out->email));
		copy_col(st, 2, out->name, sizeof(out->name));
		copy_col(st, 3, out->role, sizeof(out->role));
		copy_col(st, 4, out->locale, sizeof(out->locale));
		copy_col(st, 5, out->password_hash, sizeof(out->password_hash));
		copy_col(st, 6, out->totp_secret, sizeof(out->totp_secret));
		out->totp_enabled = (int)store_col_int(st, 7);
		out->active = (int)store_col_int(st, 8);
	}
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

/* Lower-case an address into out; 0 when it does not look like one. */
static int normalise_email(const char *email, char *out, size_t size)
{
	if (!email)
		return 0;
	size_t len = strlen(email);
	const char *at = strchr(email, '@');
	if (len < 3 || len >= size || len > 254 || !at || at == email || !at[1] ||
	    strchr(at + 1, '@'))
		return 0;
	for (size_t i = 0; i <= len; i++) {
		unsigned char ch = (unsigned char)email[i];
		if (ch && (ch <= ' ' || ch == 0x7f))
			return 0;
		out[i] = (char)tolower(ch);
	}
	return 1;
}

ct_err users_find_by_email(store_conn *c, const char *email, user_auth *out)
{
	char lower[256];
	if (!normalise_email(email, lower, sizeof(lower)))
		return CT_ERR_NOT_FOUND;
	return find_user(c, SQL_BY_EMAIL, lower, 0, out);
}

ct_err users_find_by_id(store_conn *c, int64_t id, user_auth *out)
{
	return find_user(c, SQL_BY_ID, NULL, id, out);
}

static json_t *teams_of(store_conn *c, int64_t user_id)
{
	json_t *teams = json_array();
	store_stmt *st = store_prepare(c, SQL_TEAMS_OF);
	if (!st)
		return teams;
	store_bind_int(st, 1, user_id);
	while (store_step(st) == STORE_ROW)
		json_array_append_new(teams, json_integer(store_col_int(st, 0)));
	store_reset(st);
	return teams;
}

static json_t *user_row(store_conn *c, store_stmt *st)
{
	char created[TIME_RFC3339_SIZE];
	time_format_rfc3339(store_col_int(st, 7), created);
	int64_t id = store_col_int(st, 0);
	json_t *user =
		json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:o}", "id", (json_int_t)id,
			  "name", store_col_text(st, 1), "email", store_col_text(st, 2), "role",
			  store_col_text(st, 3), "locale", store_col_text(st, 4), "active",
			  (int)store_col_int(st, 5), "totp_enabled", (int)store_col_int(st, 6),
			  "created_at", created, "teams", teams_of(c, id));
	account_availability_json(st, 8, user);
	return user;
}

ct_err users_list(store_conn *c, json_t **data)
{
	*data = json_array();
	store_stmt *st = store_prepare(c, SQL_LIST);
	if (!st)
		return CT_ERR_STORE;
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		json_array_append_new(*data, user_row(c, st));
	store_reset(st);
	return rc == STORE_ERROR ? CT_ERR_STORE : CT_OK;
}

ct_err users_get(store_conn *c, int64_t id, json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_GET);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = user_row(c, st);
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

const char *const account_roles[] = {"admin", "supervisor", "agent", "viewer", NULL};
static const char *const locales[] = {"de", "en", NULL};

/* Checks shared by create and update; fields absent from body are fine. */
static ct_err check_fields(json_t *body, err_detail *d)
{
	static const char *const keys[] = {
		"name",         "email",  "role", "locale",        "password", "teams", "active",
		"totp_enabled", "unlock", "away", "working_hours", "capacity", NULL};
	const char *key;
	json_t *v;
	if (!json_is_object(body))
		return err_set(d, CT_ERR_INVALID, "", "the body must be a JSON object");
	json_object_foreach(body, key, v) if (!str_in_list(key, keys)) return err_set(
		d, CT_ERR_INVALID, key, "unknown field");
	json_t *name = json_object_get(body, "name");
	if (name && (!json_is_string(name) || json_string_length(name) == 0 ||
		     json_string_length(name) > 200))
		return err_set(d, CT_ERR_INVALID, "name", "name must be 1 to 200 bytes");
	json_t *role = json_object_get(body, "role");
	if (role && !str_in_list(json_string_value(role), account_roles))
		return err_set(d, CT_ERR_INVALID, "role",
			       "role must be admin, supervisor, agent or viewer");
	json_t *locale = json_object_get(body, "locale");
	if (locale && !str_in_list(json_string_value(locale), locales))
		return err_set(d, CT_ERR_INVALID, "locale", "locale must be de or en");
	json_t *active = json_object_get(body, "active");
	if (active && !json_is_boolean(active))
		return err_set(d, CT_ERR_INVALID, "active", "active must be true or false");
	json_t *totp = json_object_get(body, "totp_enabled");
	if (totp && !json_is_false(totp))
		return err_set(d, CT_ERR_INVALID, "totp_enabled",
			       "an admin can only remove a second factor (false); users set it up");
	json_t *unlock = json_object_get(body, "unlock");
	if (unlock && !json_is_true(unlock))
		return err_set(d, CT_ERR_INVALID, "unlock", "unlock can only be true");
	ct_err err = account_check_availability(body, d);
	if (err)
		return err;
	json_t *teams = json_object_get(body, "teams");
	size_t i;
	json_t *t;
	if (teams && (!json_is_array(teams) || json_array_size(teams) > 100))
		return err_set(d, CT_ERR_INVALID, "teams", "teams must be an array of team ids");
	json_array_foreach(teams, i,
			   t) if (!json_is_integer(t) ||
				  json_integer_value(t) <=
					  0) return err_set(d, CT_ERR_INVALID, "teams",
							    "teams must be an array of team ids");
	return CT_OK;
}

static ct_err run_text(store_conn *c, const char *sql, int64_t id, const char *text)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_text(st, 2, text);
	store_bind_int(st, 3, time_now_ms());
	return store_run(st);
}

static ct_err run_id(store_conn *c, const char *sql, int64_t id)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	return store_run(st);
}

static ct_err set_teams(store_conn *c, int64_t user_id, json_t *teams, err_detail *d)
{
	if (!teams)
		return CT_OK;
	ct_err err = run_id(c, SQL_CLEAR_TEAMS, user_id);
	size_t i;
	json_t *t;
	json_array_foreach(teams, i, t)
	{
		int64_t found, team = json_integer_value(t);
		store_stmt *st = err ? NULL : store_prepare(c, SQL_TEAM_EXISTS);
		if (!st)
			return err ? err : CT_ERR_STORE;
		store_bind_int(st, 1, team);
		err = store_one_int(st, &found);
		if (err == CT_ERR_NOT_FOUND)
			return err_set(d, CT_ERR_INVALID, "teams", "no such team");
		if (!err && (st = store_prepare(c, SQL_ADD_TEAM))) {
			store_bind_int(st, 1, team);
			store_bind_int(st, 2, user_id);
			err = store_run(st);
		}
		if (err)
			return err;
	}
	return err;
}

/* The user as the audit log records them (no secrets). New reference. */
static json_t *audit_view(store_conn *c, int64_t id)
{
	json_t *v = NULL;
	users_get(c, id, &v);
	return v;
}

typedef struct user_write {
	const actor *who;
	json_t *body;
	char email[256];
	char hash[128];
	int64_t id;
	err_detail *d;
} user_write;

static ct_err insert_user(store_conn *c, void *arg)
{
	user_write *x = arg;
	store_stmt *st = store_prepare(c, SQL_INSERT);
	if (!st)
		return CT_ERR_STORE;
	json_t *locale = json_object_get(x->body, "locale");
	store_bind_text(st, 1, json_string_value(json_object_get(x->body, "name")));
	store_bind_text(st, 2, x->email);
	store_bind_text(st, 3, x->hash);
	store_bind_text(st, 4, json_string_value(json_object_get(x->body, "role")));
	store_bind_text(st, 5, locale ? json_string_value(locale) : "de");
	store_bind_int(st, 6, time_now_ms());
	store_bind_int(st, 7, !json_is_false(json_object_get(x->body, "active")));
	ct_err err = store_one_int(st, &x->id);
	if (err == CT_ERR_CONFLICT)
		return err_set(x->d, err, "email", "a user with this e-mail exists");
	if (!err)
		err = set_teams(c, x->id, json_object_get(x->body, "teams"), x->d);
	if (!err)
		err = account_set_availability(c, x->id, x->body);
	json_t *after = err ? NULL : audit_view(c, x->id);
	if (!err)
		err = audit_record_json(c, x->who, "user.created", "user", x->id, NULL, after);
	json_decref(after);
	return err;
}

ct_err users_create(store *s, const actor *who, json_t *body, char *generated_password, int64_t *id,
		    err_detail *d)
{
	user_write x = {.who = who, .body = body, .d = d};
	ct_err err = check_fields(body, d);
	if (err)
		return err;
	const char *name = json_string_value(json_object_get(body, "name"));
	if (!name)
		return err_set(d, CT_ERR_INVALID, "name", "name is required");
	if (!json_object_get(body, "role"))
		return err_set(d, CT_ERR_INVALID, "role", "role is required");
	if (!normalise_email(json_string_value(json_object_get(body, "email")), x.email,
			     sizeof(x.email)))
		return err_set(d, CT_ERR_INVALID, "email", "email must be an e-mail address");
	const char *password = json_string_value(json_object_get(body, "password"));
	if (!password && generated_password) {
		crypto_new_password(generated_password, 20);
		password = generated_password;
	} else if ((err = password_check(password, x.email, name, d)) != CT_OK) {
		return err;
	}
	if (password_hash(password, x.hash) != CT_OK)
		return CT_ERR_INTERNAL;
	err = store_write(s, insert_user, &x);
	*id = x.id;
	return err;
}

/* Would this change leave no active admin? */
static ct_err keep_an_admin(store_conn *c, user_write *x, const user_auth *u)
{
	json_t *role = json_object_get(x->body, "role"),
	       *active = json_object_get(x->body, "active");
	int stays_admin = (!role || strcmp(json_string_value(role), "admin") == 0) &&
			  (!active || json_is_true(active));
	if (strcmp(u->role, "admin") != 0 || !u->active || stays_admin)
		return CT_OK;
	store_stmt *st = store_prepare(c, SQL_OTHER_ADMINS);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->id);
	int64_t others = 0;
	ct_err err = store_one_int(st, &others);
	if (!err && others == 0)
		return err_set(x->d, CT_ERR_CONFLICT, role ? "role" : "active",
			       "this is the last active admin; make someone else admin first");
	return err;
}

static ct_err apply_user_update(store_conn *c, void *arg)
{
	user_write *x = arg;
	user_auth u;
	ct_err err = users_find_by_id(c, x->id, &u);
	if (err)
		return err;
	err = keep_an_admin(c, x, &u);
	if (err)
		return err;
	json_t *before = audit_view(c, x->id), *v;
	if (!err && (v = json_object_get(x->body, "name")))
		err = run_text(c, SQL_SET_NAME, x->id, json_string_value(v));
	if (!err && (v = json_object_get(x->body, "role")))
		err = run_text(c, SQL_SET_ROLE, x->id, json_string_value(v));
	if (!err && (v = json_object_get(x->body, "locale")))
		err = run_text(c, SQL_SET_LOCALE, x->id, json_string_value(v));
	if (!err && (v = json_object_get(x->body, "active"))) {
		store_stmt *st = store_prepare(c, SQL_SET_ACTIVE);
		if (!st) {
			err = CT_ERR_STORE;
		} else {
			store_bind_int(st, 1, x->id);
			store_bind_int(st, 2, json_is_true(v));
			store_bind_int(st, 3, time_now_ms());
			err = store_run(st);
		}
		if (!err && !json_is_true(v))
			err = run_id(c, SQL_END_SESSIONS, x->id);
	}
	if (!err && x->hash[0]) {
		err = run_text(c, SQL_SET_PASSWORD, x->id, x->hash);
		if (!err)
			err = run_id(c, SQL_END_SESSIONS, x->id);
	}
	if (!err)
		err = set_teams(c, x->id, json_object_get(x->body, "teams"), x->d);
	if (!err)
		err = account_set_availability(c, x->id, x->body);
	if (!err && json_object_get(x->body, "totp_enabled")) {
		/* For someone who lost both their app and their recovery codes. */
		store_stmt *q = store_prepare(c, SQL_CLEAR_TOTP);
		err = q ? CT_OK : CT_ERR_STORE;
		if (q) {
			store_bind_int(q, 1, x->id);
			store_bind_int(q, 2, time_now_ms());
			err = store_run(q);
		}
		if (!err)
			err = run_id(c, SQL_CLEAR_RECOVERY, x->id);
	}
	if (!err && json_object_get(x->body, "unlock")) {
		char key[300];
		snprintf(key, sizeof(key), "acct:%s", u.email);
		store_stmt *q = store_prepare(c, SQL_UNLOCK);
		err = q ? CT_OK : CT_ERR_STORE;
		if (q) {
			store_bind_text(q, 1, key);
			err = store_run(q);
		}
	}
	json_t *after = err ? NULL : audit_view(c, x->id);
	if (!err)
		err = audit_record_json(c, x->who,
					x->hash[0] ? "user.password_changed" : "user.updated",
					"user", x->id, before, after);
	json_decref(before);
	json_decref(after);
	return err;
}

ct_err users_update(store *s, const actor *who, int64_t id, json_t *body, err_detail *d)
{
	user_write x = {.who = who, .body = body, .id = id, .d = d};
	ct_err err = check_fields(body, d);
	if (err)
		return err;
	if (json_object_get(body, "email"))
		return err_set(d, CT_ERR_INVALID, "email", "the e-mail address cannot be changed");
	const char *password = json_string_value(json_object_get(body, "password"));
	if (json_object_get(body, "password")) {
		store_conn *c = store_reader_acquire(s);
		user_auth u;
		err = users_find_by_id(c, id, &u);
		store_reader_release(s, c);
		if (err)
			return err;
		err = password_check(password, u.email, u.name, d);
		if (!err && password_hash(password, x.hash) != CT_OK)
			err = CT_ERR_INTERNAL;
		if (err)
			return err;
	}
	return store_write(s, apply_user_update, &x);
}

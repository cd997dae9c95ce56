/*
 * accounts.h: people who use cluetrain, their teams, and how they sign in.
 *
 * Users have a role (admin, supervisor, agent, viewer), a locale and team
 * memberships. Passwords are hashed with Argon2id and must pass a policy
 * (length, cracklib's check against dictionaries and common passwords).
 * Browser sessions are random ids stored hashed, with idle and absolute
 * expiry. Failed logins are counted per account and per address and lock
 * them for a while. A second factor (TOTP, RFC 6238, with recovery codes) is
 * optional per user. Every change is audited in the same transaction.
 */
#ifndef CT_ACCOUNTS_H
#define CT_ACCOUNTS_H

#include <jansson.h>
#include <stdint.h>

#include "audit/audit.h"
#include "core/config.h"
#include "core/err.h"
#include "core/seal.h"
#include "store/store.h"

/* The roles, NULL-ended: admin, supervisor, agent, viewer. */
extern const char *const account_roles[];

#define PASSWORD_MIN_LENGTH 10
#define PASSWORD_MAX_LENGTH 256

/* Does password meet the policy? user and name help reject guessable ones. */
ct_err password_check(const char *password, const char *email, const char *name, err_detail *d);

/* Argon2id hash/verify, limited to a few at a time (each takes 64 MiB). */
ct_err password_hash(const char *password, char out[128]);
int password_verify(const char *stored, const char *password);

/* A user as sign-in needs them. */
typedef struct user_auth {
	int64_t id;
	char email[256];
	char name[256];
	char role[16];
	char locale[16];
	char password_hash[128];
	char totp_secret[256]; /* sealed; "" when none */
	int totp_enabled;
	int active;
} user_auth;

/* Look a user up by e-mail (case-insensitive) or id. CT_ERR_NOT_FOUND. */
ct_err users_find_by_email(store_conn *c, const char *email, user_auth *out);
ct_err users_find_by_id(store_conn *c, int64_t id, user_auth *out);

/* Users as the API shows them (no hashes, no secrets). */
ct_err users_list(store_conn *c, json_t **data);
ct_err users_get(store_conn *c, int64_t id, json_t **out);

/*
 * Create a user from {name, email, role, locale, password, teams}; password
 * may be absent when generated_password is not NULL: a random one is made and
 * written there (21 bytes). Audited.
 */
ct_err users_create(store *s, const actor *who, json_t *body, char *generated_password, int64_t *id,
		    err_detail *d);

/* Change {name, role, locale, active, teams, password}; disabling a user or
 * changing the password ends their sessions. Audited. */
ct_err users_update(store *s, const actor *who, int64_t id, json_t *body, err_detail *d);

/* Teams: list (with member ids), create {name, members}, update. Audited. */
ct_err teams_list(store_conn *c, json_t **data);
ct_err teams_create(store *s, const actor *who, json_t *body, int64_t *id, err_detail *d);
ct_err teams_update(store *s, const actor *who, int64_t id, json_t *body, err_detail *d);

/* API tokens: list, create {name, role, channel_id} (the token is written to
 * token_out once), revoke. Audited. */
ct_err tokens_list(store_conn *c, json_t **data);
ct_err tokens_create(store *s, const actor *who, json_t *body, char token_out[64], int64_t *id,
		     err_detail *d);
ct_err tokens_revoke(store *s, const actor *who, int64_t id);

/* --- Sessions (sessions.c) --- */

#define SESSION_COOKIE "ct_session"
#define SESSION_TOKEN_SIZE 64
#define CSRF_TOKEN_SIZE 48

typedef struct session_limits {
	int64_t idle_ms;     /* unused this long: expired */
	int64_t absolute_ms; /* older than this: expired, whatever the use */
} session_limits;

typedef struct session {
	int64_t id;
	int64_t user_id;
	int second_factor_ok;
	char csrf[CSRF_TOKEN_SIZE];
	user_auth user;
} session;

/* A new session for user; token and csrf are written for the caller (the
 * token goes into the cookie, only its hash into the store). Runs inside the
 * caller's write. */
ct_err sessions_create(store_conn *c, int64_t user_id, int second_factor_ok, const char *ip,
		       const char *user_agent, const session_limits *lim,
		       char token[SESSION_TOKEN_SIZE], char csrf[CSRF_TOKEN_SIZE]);

/* The live session for token, with its user (who must be active).
 * CT_ERR_UNAUTHORIZED when unknown or expired. Touches last_seen_at at most
 * once a minute. */
ct_err sessions_lookup(store *s, const char *token, const session_limits *lim, session *out);

/* End one session (by token) or all of a user's (inside the caller's write). */
ct_err sessions_end(store_conn *c, const char *token);
ct_err sessions_end_all(store_conn *c, int64_t user_id);

/* --- Signing in (login.c) --- */

/* What the configuration says about signing in. */
typedef struct login_policy {
	session_limits session;  /* the sessions a login makes */
	int max_failures;        /* per account within window_ms; per address 4x */
	int64_t window_ms;       /* failures older than this are forgotten */
	int64_t lockout_ms;      /* how long the limit locks account and address */
	int require_totp_admins; /* admins must set up a second factor */
} login_policy;

/* The policy of the configuration cfg (session.*, auth.*). */
login_policy login_policy_of(const config *cfg);

typedef enum login_result {
	LOGIN_WRONG = 0, /* wrong e-mail, password or code (said the same way) */
	LOGIN_OK,
	LOGIN_LOCKED, /* account or address locked: try again in retry_after_s */
} login_result;

/* What an attempt to sign in came to; the caller owns it (no pointers). */
typedef struct login_outcome {
	login_result result;
	int64_t retry_after_s; /* LOCKED: seconds until the lock opens */
	/* The rest only for OK: */
	user_auth user;                         /* the user signed in */
	char session_token[SESSION_TOKEN_SIZE]; /* the new session: for the cookie */
	char csrf[CSRF_TOKEN_SIZE];             /* and its CSRF token */
	int second_factor_required;             /* the session waits for a TOTP code */
	int totp_setup_required;                /* an admin must first set up TOTP */
} login_outcome;

/*
 * Sign in with e-mail and password from ip (user_agent may be NULL): makes a
 * new session and clears the account's failures, or counts a failure for the
 * account and the address. An unknown address, a wrong password and a
 * disabled user all come to LOGIN_WRONG and take the same time. Audited
 * ("login", "login.failed"). CT_ERR_INVALID when email or password is NULL;
 * another error when the write failed. out is filled in every case.
 */
ct_err login_with_password(store *s, const login_policy *p, const char *email, const char *password,
			   const char *ip, const char *user_agent, login_outcome *out);

/*
 * The second factor for u, signed in with a password in the session
 * old_session_token: a TOTP code (checked with u's secret opened with key;
 * each step counts once) or, when there is no code or u has no TOTP, a
 * recovery code (used up). On success the old session ends and a new one,
 * with the second factor done, replaces it (LOGIN_OK with its tokens); else a
 * failure counts as for a password. Audited ("login.second_factor",
 * "login.recovery_code", "login.second_factor_failed") as the user, from ip.
 * CT_ERR_INVALID when code and recovery_code are both NULL (and the account
 * is not locked); another error when the write failed. out is filled in
 * every case.
 */
ct_err login_second_factor(store *s, const login_policy *p, const seal_key *key, const user_auth *u,
			   const char *old_session_token, const char *code,
			   const char *recovery_code, const char *ip, const char *user_agent,
			   login_outcome *out);

/* Sign out: end the session session_token ("logout"), or every session of
 * the user who (who->user_id; "logout.everywhere"), audited as who. */
ct_err login_end_session(store *s, const actor *who, const char *session_token);
ct_err login_end_all_sessions(store *s, const actor *who);

/* Is the account of email or the address ip locked after too many
 * failures? 1 with *retry_after_s (seconds until it opens), else 0. Routes
 * that confirm a password ask this first, as login does. */
int login_locked(store *s, const char *email, const char *ip, int64_t *retry_after_s);

/* Count one wrong password given to confirm something (a password change,
 * removing the second factor) against email's account and who's address,
 * like a failed login, with an audit entry named action about user_id. */
ct_err login_record_failure(store *s, const login_policy *p, const actor *who, const char *email,
			    int64_t user_id, const char *action);

/* --- Failed logins (throttle.c) --- */

typedef struct throttle_limits {
	int max_failures; /* within window_ms, then locked */
	int64_t window_ms;
	int64_t lock_ms;
} throttle_limits;

/* When key ("acct:...", "ip:...") is locked, the time it opens again; 0 if not. */
int64_t throttle_locked_until(store_conn *c, const char *key);

/* Count a failure for key (inside the caller's write); locks it when the
 * limit is reached. */
ct_err throttle_fail(store_conn *c, const char *key, const throttle_limits *lim);

/* Forget the failures of key (after a successful login). */
ct_err throttle_clear(store_conn *c, const char *key);

/* --- Second factor (totp.c) --- */

/* A new random TOTP secret, base32, for authenticator apps (33 bytes). */
void totp_new_secret(char out[40]);

/* The 30-second step (since the epoch) at which code is valid for the base32
 * secret now, one step of clock drift allowed; 0 when it is not valid. */
int64_t totp_check(const char *secret_base32, const char *code, int64_t now_ms);

/* Accept a code's step for user only if it is later than the last one used,
 * so an overheard code cannot be replayed (inside the caller's write).
 * CT_ERR_CONFLICT when it was used already. */
ct_err totp_use_step(store_conn *c, int64_t user_id, int64_t step);

/* Ten new recovery codes for user (replacing old ones) into codes (each
 * "xxxx-xxxx-xxxx"); only hashes are stored. Inside the caller's write. */
ct_err recovery_codes_create(store_conn *c, int64_t user_id, char codes[10][16]);

/* Use up a recovery code: CT_OK when it was valid and unused. Inside a write. */
ct_err recovery_code_use(store_conn *c, int64_t user_id, const char *code);

/* --- Password resets (resets.c) --- */

#define RESET_TOKEN_SIZE 64
#define RESET_VALID_MS (30 * 60 * 1000)

/* A single-use reset token for user, valid 30 minutes (inside a write). */
ct_err resets_create(store_conn *c, int64_t user_id, char token[RESET_TOKEN_SIZE]);

/* Consume token: *user_id of its user. CT_ERR_NOT_FOUND when unknown, used or
 * expired. Inside a write. */
ct_err resets_consume(store_conn *c, const char *token, int64_t *user_id);

/* --- One's own account (profile.c), for the API and the profile pages --- */

/*
 * Change u's own password: current must be right, next must pass the policy
 * (password_check); then every session of u ends ("user.password_changed").
 * While u's account or who's address is locked: CT_ERR_RATE_LIMITED with
 * *retry_after_s (nothing checked). A wrong current password counts like a
 * failed login ("password_change.failed"): CT_ERR_INVALID with d naming
 * "current_password"; a refused new one names "new_password".
 */
ct_err account_change_password(store *s, const login_policy *p, const actor *who,
			       const user_auth *u, const char *current, const char *next,
			       int64_t *retry_after_s, err_detail *d);

/*
 * Start setting up TOTP for u: a new secret (base32, into secret) stored
 * sealed with key, not yet in force; uri gets its otpauth:// URI for
 * authenticator apps. Starting again replaces the secret. CT_ERR_CONFLICT
 * when u has a second factor already.
 */
ct_err account_totp_setup(store *s, const actor *who, const seal_key *key, const user_auth *u,
			  char secret[40], char uri[512]);

/* The otpauth:// URI of u's secret (base32) into uri. */
void account_totp_uri(const user_auth *u, const char *secret, char uri[512]);

/* The secret of a setup that u started and has not confirmed, into secret;
 * CT_ERR_NOT_FOUND when there is none (or TOTP is on already). */
ct_err account_totp_pending(const seal_key *key, const user_auth *u, char secret[40]);

/*
 * Put u's pending secret in force once code (from the app) is right for it;
 * codes gets ten new recovery codes, to be shown once ("user.totp_enabled").
 * The code cannot sign in again. CT_ERR_INVALID with d naming "code" when
 * the code is wrong or no setup was started.
 */
ct_err account_totp_enable(store *s, const actor *who, const seal_key *key, const user_auth *u,
			   const char *code, char codes[10][16], err_detail *d);

/* Remove u's second factor and recovery codes, confirmed with u's password,
 * counted and locked as account_change_password does ("totp_disable.failed";
 * CT_ERR_INVALID names "password"). Audited "user.totp_disabled". */
ct_err account_totp_disable(store *s, const login_policy *p, const actor *who, const user_auth *u,
			    const char *password, int64_t *retry_after_s, err_detail *d);

/*
 * Availability for routing (availability.c): "away" (bool), "capacity"
 * (null: the team's; 0: unlimited) and "working_hours" (null, or an object
 * of weekdays mon .. sun with lists of "HH:MM-HH:MM").
 */
ct_err account_check_availability(json_t *body, err_detail *d);
/* Store the availability fields present in body, inside the caller's write. */
ct_err account_set_availability(store_conn *c, int64_t user_id, json_t *body);
/* Add "away", "capacity", "working_hours" to user from columns col .. col + 2. */
void account_availability_json(store_stmt *st, int col, json_t *user);

#endif

/*
 * err.h: the one error enum of the project.
 *
 * Every function that can fail returns a ct_err. CT_OK is zero so that
 * `if (err) goto out;` reads naturally. The HTTP layer maps each code to a
 * status and a stable machine-readable string (err_code_name) that clients
 * see in {"error": {"code": ...}}.
 */
#ifndef CT_ERR_H
#define CT_ERR_H

typedef enum ct_err {
	CT_OK = 0,
	CT_ERR_INVALID,      /* bad input: a field, a value, a syntax */
	CT_ERR_NOT_FOUND,    /* the object does not exist */
	CT_ERR_CONFLICT,     /* the object exists or the state forbids it */
	CT_ERR_TOO_LARGE,    /* a size cap was hit */
	CT_ERR_UNAUTHORIZED, /* no or bad credentials */
	CT_ERR_FORBIDDEN,    /* credentials fine, role not allowed */
	CT_ERR_STORE,        /* the database failed */
	CT_ERR_IO,           /* a file or network operation failed */
	CT_ERR_UNAVAILABLE,  /* shutting down or overloaded: try again */
	CT_ERR_RATE_LIMITED, /* too many requests or failed logins: wait */
	CT_ERR_INTERNAL,     /* a bug */
} ct_err;

/* Where and why input was refused: the field, the array index (-1: none)
 * and a message for people. Filled by validators, sent by the HTTP layer. */
typedef struct err_detail {
	char field[64];
	char message[256];
	int index;
} err_detail;

/* Fill d and return code, for one-line refusals: return err_set(d, ...). */
ct_err err_set(err_detail *d, ct_err code, const char *field, const char *message);

/* A stable lower-case name for the code ("invalid", "not_found", ...). Static string. */
const char *err_code_name(ct_err err);

/* The HTTP status that an API answer with this error carries. */
int err_http_status(ct_err err);

#endif

/*
 * buf.h: a growable byte string with a size cap.
 *
 * Every piece of text the program assembles (HTTP bodies, SQL-free log lines,
 * JSON output) goes through a buf. A buf never grows past its cap: an append
 * that would exceed it fails with CT_ERR_TOO_LARGE and leaves the contents as
 * they were, so a hostile input cannot make the process allocate without
 * bound. Allocation failure aborts (see xmalloc). The data is always
 * NUL-terminated once anything was appended, so buf_cstr is cheap.
 */
#ifndef CT_BUF_H
#define CT_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/err.h"

typedef struct buf {
	char *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* the cap on len */
} buf;

#define BUF_DEFAULT_MAX ((size_t)64 << 20)

/* Initialise an empty buf that may grow to max bytes (0: BUF_DEFAULT_MAX). */
void buf_init(buf *b, size_t max);

/* Append n bytes. CT_ERR_TOO_LARGE when len + n would pass the cap. */
ct_err buf_append(buf *b, const void *p, size_t n);

/* Append a NUL-terminated string. */
ct_err buf_puts(buf *b, const char *s);

/* Append printf-formatted text. */
ct_err buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
ct_err buf_vprintf(buf *b, const char *fmt, va_list ap);

/* The contents as a C string; "" for an empty buf. Owned by the buf. */
const char *buf_cstr(const buf *b);

/* Empty the buf but keep its memory. */
void buf_reset(buf *b);

/* Hand the contents to the caller (who frees them) and empty the buf. */
char *buf_detach(buf *b, size_t *len);

/* Free the memory; the buf is empty and reusable afterwards. */
void buf_free(buf *b);

/* 1 when s (may be NULL: 0) equals one of the strings of the NULL-ended list. */
int str_in_list(const char *s, const char *const *list);

/* malloc/realloc/strdup that abort on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif

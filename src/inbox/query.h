/*
 * query.h: building the inbox's dynamic SQL (internal to inbox/): values
 * collected for $1..$n while the text grows, then bound in one go, and the
 * condition that keeps a query inside the caller's scope.
 */
#ifndef CT_INBOX_QUERY_H
#define CT_INBOX_QUERY_H

#include "core/buf.h"
#include "inbox/inbox.h"

#define QUERY_MAX_BINDS 16

/* Values for $1..$n in order: text when set, else the number. The texts
 * are borrowed and must outlive the statement's run. */
typedef struct query_binds {
	int n;
	const char *text[QUERY_MAX_BINDS];
	int64_t num[QUERY_MAX_BINDS];
} query_binds;

/* Add a value; returns its parameter number. Aborts past QUERY_MAX_BINDS
 * (a programming error: the queries are fixed shapes). */
int query_bind_text(query_binds *b, const char *s);
int query_bind_num(query_binds *b, int64_t v);

/* Bind every collected value to st. */
void query_bind_all(store_stmt *st, const query_binds *b);

/* The scope's parameters, bound once and usable in several conditions. */
typedef struct query_scope {
	int user;    /* $n of the agent's user id; 0: no agent restriction */
	int channel; /* $n of the channel id; 0: no channel restriction */
} query_scope;

/* Bind the scope's values (only those it has). */
query_scope query_scope_bind(const inbox_scope *scope, query_binds *b);

/* Append the scope's condition on conversations (alias c) to sql. */
void query_scope_where(const query_scope *qs, buf *sql);

#endif

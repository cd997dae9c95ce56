/*
 * query.c: bound values and the scope condition of the inbox's dynamic SQL
 * (see query.h).
 */
#include "inbox/query.h"

#include <stdlib.h>

static int add(query_binds *b, const char *text, int64_t num)
{
	if (b->n >= QUERY_MAX_BINDS)
		abort();
	b->text[b->n] = text;
	b->num[b->n] = num;
	return ++b->n;
}

int query_bind_text(query_binds *b, const char *s)
{
	return add(b, s, 0);
}

int query_bind_num(query_binds *b, int64_t v)
{
	return add(b, NULL, v);
}

void query_bind_all(store_stmt *st, const query_binds *b)
{
	for (int i = 0; i < b->n; i++) {
		if (b->text[i])
			store_bind_text(st, i + 1, b->text[i]);
		else
			store_bind_int(st, i + 1, b->num[i]);
	}
}

query_scope query_scope_bind(const inbox_scope *scope, query_binds *b)
{
	query_scope qs = {0, 0};
	if (scope->agent_user_id)
		qs.user = query_bind_num(b, scope->agent_user_id);
	if (scope->channel_id)
		qs.channel = query_bind_num(b, scope->channel_id);
	return qs;
}

void query_scope_where(const query_scope *qs, buf *sql)
{
	if (qs->user)
		buf_printf(sql,
			   " AND (c.assignee_id = $%d OR c.team_id IN"
			   " (SELECT team_id FROM team_members WHERE user_id = $%d))",
			   qs->user, qs->user);
	if (qs->channel)
		buf_printf(sql, " AND c.channel_id = $%d", qs->channel);
}

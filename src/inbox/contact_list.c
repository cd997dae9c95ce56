/*
 * contact_list.c: the list of contacts (see inbox.h), newest first, for the
 * contacts page: each with its identities on every channel, how many
 * conversations it has and when the last of them was active.
 *
 * Pages are a keyset on the contact id (the primary key), so a page costs
 * the same however deep it is and contacts that arrive while someone pages
 * do not shift later pages. A scoped caller (an agent, a channel token) sees
 * only contacts with a conversation in their view, and counts only those
 * conversations; the per-contact figures come from the index on
 * conversations(contact_id, ...). The name filter is a substring match,
 * case-insensitive on both backends: SQLite's lower() and LIKE fold ASCII
 * only, so the filter is also tried with each word capitalised ("özdemir"
 * finds "Hans Özdemir"). Every value is bound; the SQL is assembled from
 * fixed fragments.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "inbox/inbox.h"
#include "inbox/query.h"
#include "store/columns.h"

#define NAME_FILTER_MAX 200 /* bytes of a name filter */
/* 1 for letters and digits (inside a word), 0 for what separates words. */
static int is_word_char(utf8proc_int32_t cp)
{
	utf8proc_category_t cat = utf8proc_category(cp);
	return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
	       (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

/*
 * The LIKE pattern "%q%" into out with % _ \ escaped (ESCAPE '\'), every
 * letter lower-cased, or with title set the first letter of each word
 * upper-cased. CT_ERR_INVALID when q is not UTF-8.
 */
static ct_err like_pattern(const char *q, int title, buf *out)
{
	buf_puts(out, "%");
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)q;
	utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(q);
	int word_start = 1;
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t step = utf8proc_iterate(p, left, &cp);
		if (step < 1)
			return CT_ERR_INVALID;
		int inside = is_word_char(cp);
		cp = title && word_start ? utf8proc_toupper(cp) : utf8proc_tolower(cp);
		word_start = !inside;
		if (cp == '%' || cp == '_' || cp == '\\')
			buf_puts(out, "\\");
		utf8proc_uint8_t enc[4];
		buf_append(out, enc, (size_t)utf8proc_encode_char(cp, enc));
		p += step;
		left -= step;
	}
	buf_puts(out, "%");
	return CT_OK;
}

static const char SQL_IDENTITIES_OF[] =
	"SELECT ch.name, ch.kind, i.handle, i.name FROM identities i"
	" JOIN channels ch ON ch.id = i.channel_id WHERE i.contact_id = $1 ORDER BY i.id";

/* The identities of contact id as [{channel, kind, handle, name}]. New
 * reference in *out. */
static ct_err identities_of(store_conn *c, int64_t id, json_t **out)
{
	store_stmt *st = store_prepare(c, SQL_IDENTITIES_OF);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	json_t *list = json_array();
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		json_array_append_new(
			list, json_pack("{s:o, s:o, s:o, s:o}", "channel", col_json_text(st, 0),
					"kind", col_json_text(st, 1), "handle",
					col_json_text(st, 2), "name", col_json_text(st, 3)));
	ct_err err = rc == STORE_DONE ? CT_OK : store_stmt_error(st);
	store_reset(st);
	if (err)
		json_decref(list);
	else
		*out = list;
	return err;
}

/*
 * The SELECT of one page into sql, its values into b (patterns point into
 * lower and title, which the caller owns). CT_ERR_INVALID with d set for a
 * bad filter or cursor.
 */
static ct_err build_query(const inbox_scope *scope, const char *q, const char *cursor, int limit,
			  buf *sql, query_binds *b, buf *lower, buf *title, err_detail *d)
{
	query_scope qs = query_scope_bind(scope, b);
	buf_puts(sql, "SELECT co.id, co.name, co.erased_at,"
		      " (SELECT count(*) FROM conversations c WHERE c.contact_id = co.id");
	query_scope_where(&qs, sql);
	buf_puts(sql, "), (SELECT max(c.last_activity_at) FROM conversations c"
		      " WHERE c.contact_id = co.id");
	query_scope_where(&qs, sql);
	buf_puts(sql, ") FROM contacts co WHERE 1 = 1");
	if (qs.user || qs.channel) {
		buf_puts(sql,
			 " AND co.id IN (SELECT c.contact_id FROM conversations c WHERE 1 = 1");
		query_scope_where(&qs, sql);
		buf_puts(sql, ")");
	}
	if (q && *q) {
		if (strlen(q) > NAME_FILTER_MAX)
			return err_set(d, CT_ERR_INVALID, "q", "q is longer than 200 bytes");
		if (like_pattern(q, 0, lower) != CT_OK || like_pattern(q, 1, title) != CT_OK)
			return err_set(d, CT_ERR_INVALID, "q", "q is not UTF-8 text");
		int pl = query_bind_text(b, buf_cstr(lower));
		buf_printf(sql,
			   " AND (lower(co.name) LIKE $%d ESCAPE '\\' OR co.name LIKE $%d"
			   " ESCAPE '\\')",
			   pl, query_bind_text(b, buf_cstr(title)));
	}
	if (cursor && *cursor) {
		char *end = NULL;
		long long after = strtoll(cursor, &end, 10);
		if (end == cursor || *end || after <= 0)
			return err_set(d, CT_ERR_INVALID, "cursor",
				       "cursor is not one this server gave");
		buf_printf(sql, " AND co.id < $%d", query_bind_num(b, after));
	}
	buf_printf(sql, " ORDER BY co.id DESC LIMIT $%d", query_bind_num(b, limit + 1));
	return CT_OK;
}

/* The contact in the current row of the page query, without identities. */
static json_t *contact_row(store_stmt *st)
{
	return json_pack("{s:I, s:o, s:o, s:I, s:o}", "id", (json_int_t)store_col_int(st, 0),
			 "name", col_json_text(st, 1), "erased_at", col_json_time(st, 2),
			 "conversation_count", (json_int_t)store_col_int(st, 3), "last_activity_at",
			 col_json_time(st, 4));
}

ct_err inbox_contacts_list(store_conn *c, const inbox_scope *scope, const char *q,
			   const char *cursor, int limit, json_t **data, buf *next_cursor,
			   err_detail *d)
{
	*data = NULL;
	if (limit <= 0 || limit > INBOX_LIST_MAX)
		limit = 50;
	buf sql, lower, title;
	buf_init(&sql, 4096);
	buf_init(&lower, 4 * NAME_FILTER_MAX + 8);
	buf_init(&title, 4 * NAME_FILTER_MAX + 8);
	query_binds b = {0};
	store_stmt *st = NULL;
	ct_err err = build_query(scope, q, cursor, limit, &sql, &b, &lower, &title, d);
	if (err)
		goto out;
	if (!(st = store_prepare(c, buf_cstr(&sql)))) {
		err = CT_ERR_STORE;
		goto out;
	}
	query_bind_all(st, &b);
	*data = json_array();
	int rc, rows = 0;
	int64_t last_id = 0;
	while ((rc = store_step(st)) == STORE_ROW) {
		if (++rows > limit) {
			buf_printf(next_cursor, "%" PRId64, last_id);
			break;
		}
		last_id = store_col_int(st, 0);
		json_array_append_new(*data, contact_row(st));
	}
	if (rc == STORE_ERROR)
		err = store_stmt_error(st);
	store_reset(st);
	/* The identities, once the page's statement is done with. */
	size_t i;
	json_t *row;
	json_array_foreach(*data, i, row)
	{
		json_t *ids = NULL;
		if (!err)
			err = identities_of(c, json_integer_value(json_object_get(row, "id")),
					    &ids);
		json_object_set_new(row, "identities", ids ? ids : json_array());
	}
	if (err) {
		json_decref(*data);
		*data = NULL;
	}
out:
	buf_free(&sql);
	buf_free(&lower);
	buf_free(&title);
	return err;
}

/*
 * columns.c: column values as JSON (see columns.h).
 */
#include "store/columns.h"

#include "core/timeutil.h"

json_t *col_json_text(store_stmt *st, int col)
{
	const char *s = store_col_text(st, col);
	return s ? json_stringn(s, store_col_bytes(st, col)) : json_null();
}

json_t *col_json_int(store_stmt *st, int col)
{
	return store_col_is_null(st, col) ? json_null() : json_integer(store_col_int(st, col));
}

json_t *col_json_time(store_stmt *st, int col)
{
	if (store_col_is_null(st, col))
		return json_null();
	char text[TIME_RFC3339_SIZE];
	time_format_rfc3339(store_col_int(st, col), text);
	return json_string(text);
}

json_t *col_json_parsed(store_stmt *st, int col)
{
	const char *s = store_col_text(st, col);
	if (!s)
		return json_null();
	json_t *v = json_loadb(s, store_col_bytes(st, col), 0, NULL);
	return v ? v : json_stringn(s, store_col_bytes(st, col));
}

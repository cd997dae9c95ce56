/*
 * columns.h: column values of the current row as JSON values, the way every
 * answer shows them: SQL NULL as null, times (ms since the epoch) as RFC
 * 3339 text, stored JSON text parsed back. Each returns a new reference.
 */
#ifndef CT_STORE_COLUMNS_H
#define CT_STORE_COLUMNS_H

#include <jansson.h>

#include "store/store.h"

json_t *col_json_text(store_stmt *st, int col);
json_t *col_json_int(store_stmt *st, int col);
json_t *col_json_time(store_stmt *st, int col);

/* Stored JSON text parsed; text that is not JSON comes back as a string. */
json_t *col_json_parsed(store_stmt *st, int col);

#endif

/*
 * search.c: GET /api/v1/search, full text over messages, newest first.
 */
#include "api/api.h"
#include "api/common.h"
#include "inbox/inbox.h"

void api_search(http_request *req, http_response *res)
{
	int64_t limit, before;
	if (http_query_int(req, res, "limit", 20, 1, INBOX_SEARCH_MAX, &limit) != CT_OK ||
	    http_query_int(req, res, "before", 0, 1, INT64_MAX, &before) != CT_OK)
		return;
	app *a = http_app(req);
	inbox_scope scope;
	api_scope(req, &scope);
	store_conn *c = store_reader_acquire(a->store);
	json_t *data = NULL;
	int64_t next = 0;
	err_detail d = {.index = -1};
	ct_err err =
		inbox_search(c, &scope, http_query(req, "q"), before, (int)limit, &data, &next, &d);
	store_reader_release(a->store, c);
	if (err)
		http_error_detail(res, err, &d);
	else
		http_json(res, 200,
			  json_pack("{s:o, s:o}", "data", data, "next_before",
				    next ? json_integer(next) : json_null()));
}

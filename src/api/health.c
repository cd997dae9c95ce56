/*
 * health.c: GET /api/v1/health, for load balancers and monitoring.
 * Public: it reveals only that the server runs and its schema version.
 */
#include "api/api.h"

void api_health(http_request *req, http_response *res)
{
	app *a = http_app(req);
	http_json(res, 200,
		  json_pack("{s:s, s:i}", "status", "ok", "schema_version",
			    store_schema_version(a->store)));
}

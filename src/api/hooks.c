/*
 * hooks.c: GET and POST /hooks/{kind}/{id}, the webhook URLs of channels.
 *
 * Public (the platforms do not log in): each adapter checks its platform's
 * signature or token (see relay/hook.c). A delivery is answered 200 only
 * after what it brought is stored; the platforms retry anything else.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "relay/relay.h"

static const char *hook_header(const void *http, const char *name)
{
	return http_header(http, name);
}

static const char *hook_query(const void *http, const char *name)
{
	return http_query(http, name);
}

void api_hooks_receive(http_request *req, http_response *res)
{
	const char *kind = http_param(req, 0);
	int64_t id = http_param_id(req, 1);
	if (!id) {
		http_error(res, CT_ERR_NOT_FOUND, "no such webhook", NULL, -1);
		return;
	}
	size_t len = 0;
	const char *body = http_body(req, &len);
	channel_hook_request hook = {.method = http_method(req),
				     .body = body ? body : "",
				     .body_len = body ? len : 0,
				     .client_ip = http_client_ip(req),
				     .http = req,
				     .header = hook_header,
				     .query = hook_query};
	relay_hook_result out;
	relay_receive_hook(http_app(req), kind, id, &hook, &out);
	if (out.err)
		http_error_detail(res, out.err, &out.error);
	else if (out.body)
		http_static_bytes(res,
				  out.content_type ? out.content_type : "text/plain; charset=utf-8",
				  out.body, strlen(out.body));
	else
		http_json(res, 200,
			  json_pack("{s:b, s:i, s:i}", "ok", 1, "stored", out.stored, "duplicates",
				    out.duplicates));
	free(out.body);
}

/*
 * meta.c: the channels facebook, instagram and whatsapp, on Meta's webhooks
 * and Graph API (the payloads are read in meta_parse.c).
 *
 * Webhooks arrive at /hooks/meta/<channel id>. A GET is Meta's verification
 * handshake: hub.mode=subscribe and hub.verify_token equal to the secret
 * verify_token are answered with hub.challenge as text/plain. Every POST must
 * carry X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under
 * the secret app_secret>; without it nothing is read.
 *
 * Replies, hides and their answers go to the Graph API at config.base_url
 * (default https://graph.facebook.com), version config.api_version (default
 * v21.0), with the secret access_token as a bearer token (never in the URL):
 * - a comment: POST /{comment-id}/comments (Instagram: /replies) {message};
 * - a Messenger or Instagram direct message: POST /{page-id}/messages
 *   {recipient: {id}, message: {text}, messaging_type: "RESPONSE"};
 * - WhatsApp: POST /{phone-number-id}/messages {messaging_product:
 *   "whatsapp", to, type: "text", text: {body}};
 * - hide a comment: POST /{comment-id} {is_hidden} (Instagram: {hide});
 * - the name of a direct message's sender (webhooks carry only the id):
 *   GET /{PSID}?fields=first_name,last_name (Messenger's User Profile API)
 *   or GET /{IGSID}?fields=name,username (Instagram's).
 * Meta throttles with error codes in a JSON body, often under HTTP 400, and
 * says how long in usage headers (fetch.c reads them): such an answer is
 * retried after that wait, or after config.rate_limit_wait_s (default 60)
 * when the headers name none. The Graph API takes no idempotency key: a
 * retry after an answer that was lost on the way may post a reply twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "channels/fetch.h"
#include "channels/meta.h"
#include "core/crypto.h"

#define GRAPH_URL "https://graph.facebook.com"
#define GRAPH_VERSION "v21.0"
#define SIGNATURE_HEADER "X-Hub-Signature-256"
#define SERVICE "the Graph API"
#define CHALLENGE_MAX 256
#define RATE_LIMIT_WAIT_S 60

/* The error codes with which Meta says "too many calls, wait". */
static int is_throttling(json_int_t code)
{
	return code == 4 || code == 17 || code == 32 || code == 613 ||
	       (code >= 80001 && code <= 80009) || code == 130429 || code == 131056;
}

/* Fill answer->error and return err: for refusing a delivery. */
static ct_err refuse(channel_hook_answer *answer, ct_err err, const char *why)
{
	snprintf(answer->error, sizeof(answer->error), "%s", why);
	return err;
}

/* The GET with which Meta checks a callback URL: answer hub.challenge when
 * hub.verify_token is the channel's verify_token. */
static ct_err verify_handshake(const channel_ctx *ch, const channel_hook_request *req,
			       channel_hook_answer *answer)
{
	const char *mode = req->query(req->http, "hub.mode");
	const char *token = req->query(req->http, "hub.verify_token");
	const char *challenge = req->query(req->http, "hub.challenge");
	const char *secret = channel_secret(ch, "verify_token");
	if (!secret || !*secret || !mode || strcmp(mode, "subscribe") != 0 ||
	    !crypto_equal_secret(secret, token))
		return refuse(answer, CT_ERR_UNAUTHORIZED,
			      "hub.mode=subscribe with the channel's verify_token is expected");
	if (!challenge || !*challenge || strlen(challenge) > CHALLENGE_MAX)
		return refuse(answer, CT_ERR_INVALID, "hub.challenge is missing or too long");
	answer->body = strdup(challenge);
	answer->content_type = "text/plain; charset=utf-8";
	return CT_OK;
}

/* A POST of events: check the signature over the raw body, then parse. */
static ct_err receive_events(meta_object o, const channel_ctx *ch, const channel_hook_request *req,
			     channel_hook_answer *answer)
{
	const char *secret = channel_secret(ch, "app_secret");
	if (!secret || !*secret)
		return refuse(answer, CT_ERR_UNAUTHORIZED,
			      "the channel has no app_secret: deliveries cannot be checked");
	const char *raw = req->body ? req->body : "";
	if (!crypto_hmac_sha256_check(secret, raw, req->body_len,
				      "sha256=", req->header(req->http, SIGNATURE_HEADER)))
		return refuse(answer, CT_ERR_UNAUTHORIZED, SIGNATURE_HEADER " is missing or wrong");
	json_t *body = json_loadb(raw, req->body_len, 0, NULL);
	json_t *messages = json_array();
	ct_err err = json_is_object(body)
			     ? meta_parse_delivery(o, body, messages, answer->error,
						   sizeof(answer->error))
			     : refuse(answer, CT_ERR_INVALID, "the body is not a JSON object");
	json_decref(body);
	if (err)
		json_decref(messages);
	else
		answer->messages = messages;
	return err;
}

static ct_err meta_receive(meta_object o, const channel_ctx *ch, const channel_hook_request *req,
			   channel_hook_answer *answer)
{
	if (strcmp(req->method, "GET") == 0)
		return verify_handshake(ch, req, answer);
	if (strcmp(req->method, "POST") == 0)
		return receive_events(o, ch, req, answer);
	return refuse(answer, CT_ERR_INVALID, "Meta sends GET (verification) and POST (events)");
}

/* After a failed Graph call: name Meta's error code, and make throttling
 * and transient errors worth a retry after a wait. */
static void judge_graph_error(const channel_ctx *ch, const json_t *answer, channel_outcome *out)
{
	const json_t *error = json_object_get(answer, "error");
	if (!json_is_object(error))
		return;
	json_int_t code = json_integer_value(json_object_get(error, "code"));
	size_t n = strlen(out->error);
	snprintf(out->error + n, sizeof(out->error) - n, " (error code %lld)", (long long)code);
	if (is_throttling(code)) {
		out->permanent = 0;
		json_int_t wait_s =
			json_integer_value(json_object_get(ch->config, "rate_limit_wait_s"));
		if (out->retry_after_ms <= 0)
			out->retry_after_ms = (wait_s > 0 ? wait_s : RATE_LIMIT_WAIT_S) * 1000LL;
	} else if (json_is_true(json_object_get(error, "is_transient"))) {
		out->permanent = 0;
	}
}

/* A request to the Graph API: method on the object id (and its edge, may
 * be NULL) with the query (a fixed text such as "fields=name", or NULL) and
 * the JSON body (stolen, NULL for none); the answer's JSON (new reference,
 * may be NULL) in *answer when answer is not NULL. */
static ct_err graph_call(const channel_ctx *ch, const char *method, const char *id,
			 const char *edge, const char *query, json_t *body, channel_outcome *out,
			 json_t **answer)
{
	const char *token = channel_secret(ch, "access_token");
	if (!token || !*token) {
		json_decref(body);
		return channel_fail(out, 1, "the channel has no access_token");
	}
	const char *version = channel_config_string(ch, "api_version");
	buf url;
	buf_init(&url, 4096);
	buf_printf(&url, "%s/%s/", channel_base_url(ch, GRAPH_URL),
		   version && *version ? version : GRAPH_VERSION);
	channel_url_escape(id, &url);
	if (edge)
		buf_printf(&url, "/%s", edge);
	if (query)
		buf_printf(&url, "?%s", query);
	channel_request req = {.method = method,
			       .url = buf_cstr(&url),
			       .bearer = token,
			       .timeout_s = ch->timeout_s};
	json_t *json = NULL;
	ct_err err = channel_fetch_json(&req, body, SERVICE, &json, out);
	if (err)
		judge_graph_error(ch, json, out);
	if (answer)
		*answer = json;
	else
		json_decref(json);
	buf_free(&url);
	return err;
}

/* POST body (stolen) to the Graph object id (and its edge, may be NULL);
 * the answer as graph_call gives it. */
static ct_err graph_post(const channel_ctx *ch, const char *id, const char *edge, json_t *body,
			 channel_outcome *out, json_t **answer)
{
	return graph_call(ch, "POST", id, edge, NULL, body, out, answer);
}

/* Where a reply goes: the Graph object, its edge and the body (owned). */
typedef struct graph_target {
	const char *id;
	const char *edge;
	json_t *body;
} graph_target;

/* The target of a reply on channel object o to the message whose meta is
 * given (may be NULL); CT_ERR_INVALID (permanent) when something is missing. */
static ct_err reply_target(meta_object o, const channel_ctx *ch, const channel_reply *rp,
			   const json_t *meta, graph_target *t, channel_outcome *out)
{
	const char *text = rp->text ? rp->text : "";
	const char *type = json_string_value(json_object_get(meta, "type"));
	const char *account = json_string_value(
		json_object_get(meta, o == META_WHATSAPP ? "phone_number_id" : "page_id"));
	if (!account)
		account = channel_config_string(ch,
						o == META_WHATSAPP ? "phone_number_id" : "page_id");
	if (o != META_WHATSAPP && type && strcmp(type, "comment") == 0) {
		if (!rp->in_reply_to)
			return channel_fail(out, 1, "the comment to answer is unknown");
		t->id = rp->in_reply_to;
		t->edge = o == META_INSTAGRAM ? "replies" : "comments";
		t->body = json_pack("{s:s}", "message", text);
		return CT_OK;
	}
	if (!account || !rp->recipient_id)
		return channel_fail(
			out, 1,
			o == META_WHATSAPP
				? "the phone number or the recipient of the reply is unknown"
				: "the page or the recipient of the reply is unknown");
	t->id = account;
	t->edge = "messages";
	if (o == META_WHATSAPP)
		t->body = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:b}}", "messaging_product",
				    "whatsapp", "recipient_type", "individual", "to",
				    rp->recipient_id, "type", "text", "text", "body", text,
				    "preview_url", 0);
	else
		t->body = json_pack("{s:{s:s}, s:{s:s}, s:s}", "recipient", "id", rp->recipient_id,
				    "message", "text", text, "messaging_type", "RESPONSE");
	return CT_OK;
}

/* The id Meta gave the new comment or message, into out->external_id. */
static void record_id(const json_t *answer, channel_outcome *out)
{
	const char *id = json_string_value(json_object_get(answer, "id"));
	if (!id)
		id = json_string_value(json_object_get(answer, "message_id"));
	if (!id)
		id = json_string_value(json_object_get(
			json_array_get(json_object_get(answer, "messages"), 0), "id"));
	if (id)
		snprintf(out->external_id, sizeof(out->external_id), "%s", id);
}

static ct_err meta_send_reply(meta_object o, const channel_ctx *ch, const channel_reply *rp,
			      channel_outcome *out)
{
	json_t *meta = rp->in_reply_to_meta ? json_loads(rp->in_reply_to_meta, 0, NULL) : NULL;
	graph_target t = {0};
	ct_err err = reply_target(o, ch, rp, meta, &t, out);
	json_t *answer = NULL;
	if (!err)
		err = graph_post(ch, t.id, t.edge, t.body, out, &answer);
	if (!err)
		record_id(answer, out);
	json_decref(answer);
	json_decref(meta);
	return err;
}

static ct_err meta_hide(meta_object o, const channel_ctx *ch, const char *external_id,
			const char *meta_text, int hide, channel_outcome *out)
{
	json_t *meta = meta_text ? json_loads(meta_text, 0, NULL) : NULL;
	const char *type = json_string_value(json_object_get(meta, "type"));
	ct_err err;
	if (!external_id || !type || strcmp(type, "comment") != 0)
		err = channel_fail(out, 1, "only comments can be hidden");
	else
		err = graph_post(ch, external_id, NULL,
				 json_pack("{s:b}", o == META_INSTAGRAM ? "hide" : "is_hidden",
					   hide ? 1 : 0),
				 out, NULL);
	json_decref(meta);
	return err;
}

/* The name of the sender author_id of a direct message (meta_text says
 * which) from the platform's user profile API. A comment's author is not
 * looked up: Meta's webhooks name commenters, and the profile APIs take
 * only the ids of people who wrote to the Page or account. */
static ct_err meta_profile(meta_object o, const channel_ctx *ch, const char *author_id,
			   const char *meta_text, channel_profile *who, channel_outcome *out)
{
	json_t *meta = meta_text ? json_loads(meta_text, 0, NULL) : NULL;
	const char *object = json_string_value(json_object_get(meta, "object"));
	const char *type = json_string_value(json_object_get(meta, "type"));
	json_t *answer = NULL;
	ct_err err;
	if (!author_id || !*author_id || !object || strcmp(object, meta_object_name(o)) != 0 ||
	    !type || strcmp(type, "message") != 0)
		err = channel_fail(out, 1, "only the senders of direct messages can be looked up");
	else
		err = graph_call(ch, "GET", author_id, NULL,
				 o == META_INSTAGRAM ? "fields=name,username"
						     : "fields=first_name,last_name",
				 NULL, out, &answer);
	if (!err && meta_parse_profile(o, answer, who) != CT_OK)
		err = channel_fail(out, 1, "the Graph API answered no name for this person");
	json_decref(answer);
	json_decref(meta);
	return err;
}

/* Hiding, for the kinds with public comments. */
#define META_HIDE(prefix, object)                                                     \
	static ct_err prefix##_hide(const channel_ctx *ch, const char *external_id,   \
				    const char *meta, int hide, channel_outcome *out) \
	{                                                                             \
		return meta_hide(object, ch, external_id, meta, hide, out);           \
	}

/* Looking up names, for the kinds whose direct messages carry only an id. */
#define META_PROFILE(prefix, object)                                                 \
	static ct_err prefix##_profile(const channel_ctx *ch, const char *author_id, \
				       const char *meta, channel_profile *who,       \
				       channel_outcome *out)                         \
	{                                                                            \
		return meta_profile(object, ch, author_id, meta, who, out);          \
	}

/* The adapter channel_<prefix> of one kind, bound to its Meta object. */
#define META_KIND(prefix, object, hide_function, profile_function)                             \
	static ct_err prefix##_receive(const channel_ctx *ch, const channel_hook_request *req, \
				       channel_hook_answer *answer)                            \
	{                                                                                      \
		return meta_receive(object, ch, req, answer);                                  \
	}                                                                                      \
	static ct_err prefix##_send_reply(const channel_ctx *ch, const channel_reply *rp,      \
					  channel_outcome *out)                                \
	{                                                                                      \
		return meta_send_reply(object, ch, rp, out);                                   \
	}                                                                                      \
	const channel_kind channel_##prefix = {                                                \
		.kind = #prefix,                                                               \
		.hook_kind = "meta",                                                           \
		.send_reply = prefix##_send_reply,                                             \
		.receive_hook = prefix##_receive,                                              \
		.hide = hide_function,                                                         \
		.profile = profile_function,                                                   \
		.config_fields = {"base_url", "api_version", "page_id", "phone_number_id",     \
				  "rate_limit_wait_s", NULL},                                  \
		.secret_fields = {"app_secret", "verify_token", "access_token", NULL},         \
	};

META_HIDE(facebook, META_PAGE)
META_HIDE(instagram, META_INSTAGRAM)

META_PROFILE(facebook, META_PAGE)
META_PROFILE(instagram, META_INSTAGRAM)

META_KIND(facebook, META_PAGE, facebook_hide, facebook_profile)
META_KIND(instagram, META_INSTAGRAM, instagram_hide, instagram_profile)
/* No public comments (nothing to hide), and the webhooks carry the name. */
META_KIND(whatsapp, META_WHATSAPP, NULL, NULL)

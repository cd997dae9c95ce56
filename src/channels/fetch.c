/*
 * fetch.c: one HTTP request to a platform (see fetch.h).
 *
 * The wait a platform asks for is gathered from the headers as they arrive:
 * Retry-After (seconds or an HTTP date), the reset time of an exhausted
 * window (x-rate-limit-* of X, X-RateLimit-* of Mastodon, as epoch seconds or
 * RFC 3339) and Meta's estimated_time_to_regain_access (minutes, inside the
 * JSON of X-Business-Use-Case-Usage or X-App-Usage). The longest wait wins,
 * capped at a day.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channels/fetch.h"
#include "core/timeutil.h"

#define FETCH_BODY_MAX (8u << 20)
#define WAIT_MAX_MS (86400LL * 1000)

/* What the headers said, until the answer is complete. */
typedef struct header_state {
	channel_response *res;
	int window_exhausted;    /* a *-remaining header said 0 */
	int64_t window_reset_ms; /* the matching *-reset time (epoch ms) */
} header_state;

static void want_wait(channel_response *res, int64_t ms)
{
	if (ms > WAIT_MAX_MS)
		ms = WAIT_MAX_MS;
	if (ms > res->retry_after_ms)
		res->retry_after_ms = ms;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	channel_response *res = arg;
	if (buf_append(&res->body, data, size * n) != CT_OK)
		return 0; /* over the cap: curl stops with an error */
	return size * n;
}

/* A reset time: epoch seconds or RFC 3339, as epoch ms (0 when neither). */
static int64_t parse_reset(const char *v, size_t n)
{
	char *end = NULL;
	long long secs = strtoll(v, &end, 10);
	if (end && (size_t)(end - v) == n && secs > 0)
		return secs * 1000;
	int64_t ms = 0;
	return time_parse_rfc3339(v, n, &ms) == CT_OK ? ms : 0;
}

/* Meta's usage headers hold {"...": [{"estimated_time_to_regain_access": minutes}]}
 * or the same object directly; look for the largest such number anywhere. */
static int64_t meta_regain_minutes(json_t *v)
{
	int64_t best = 0;
	if (json_is_object(v)) {
		const char *key;
		json_t *item;
		json_object_foreach(v, key, item)
		{
			int64_t m = strcmp(key, "estimated_time_to_regain_access") == 0
					    ? json_integer_value(item)
					    : meta_regain_minutes(item);
			if (m > best)
				best = m;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item)
		{
			int64_t m = meta_regain_minutes(item);
			if (m > best)
				best = m;
		}
	}
	return best;
}

static int header_is(const char *name, size_t name_len, const char *want)
{
	return strlen(want) == name_len && strncasecmp(name, want, name_len) == 0;
}

static void read_header(header_state *hs, const char *name, size_t name_len, const char *v,
			size_t n)
{
	if (header_is(name, name_len, "retry-after")) {
		char text[128];
		snprintf(text, sizeof(text), "%.*s", (int)(n < 127 ? n : 127), v);
		char *end = NULL;
		long long secs = strtoll(text, &end, 10);
		if (end && *end == '\0' && secs >= 0) {
			want_wait(hs->res, secs * 1000);
		} else {
			time_t when = curl_getdate(text, NULL);
			if (when > 0)
				want_wait(hs->res, (int64_t)when * 1000 - time_now_ms());
		}
	} else if (header_is(name, name_len, "x-rate-limit-remaining") ||
		   header_is(name, name_len, "x-ratelimit-remaining")) {
		hs->window_exhausted = n == 1 && v[0] == '0';
	} else if (header_is(name, name_len, "x-rate-limit-reset") ||
		   header_is(name, name_len, "x-ratelimit-reset")) {
		hs->window_reset_ms = parse_reset(v, n);
	} else if (header_is(name, name_len, "x-business-use-case-usage") ||
		   header_is(name, name_len, "x-app-usage")) {
		json_t *usage = json_loadb(v, n, 0, NULL);
		want_wait(hs->res, meta_regain_minutes(usage) * 60000);
		json_decref(usage);
	}
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	header_state *hs = arg;
	size_t len = size * n;
	const char *colon = memchr(data, ':', len);
	if (!colon)
		return len;
	size_t name_len = (size_t)(colon - data);
	const char *v = colon + 1, *end = data + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	read_header(hs, data, name_len, v, (size_t)(end - v));
	return len;
}

static struct curl_slist *request_headers(const channel_request *req)
{
	struct curl_slist *h = NULL;
	char line[1024];
	if (req->body) {
		snprintf(line, sizeof(line), "Content-Type: %s",
			 req->content_type ? req->content_type : "application/json");
		h = curl_slist_append(h, line);
	}
	if (req->bearer) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", req->bearer);
		h = curl_slist_append(h, line);
	}
	for (const char *const *p = req->headers; p && *p; p++)
		h = curl_slist_append(h, *p);
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
	return h;
}

ct_err channel_fetch(const channel_request *req, channel_response *res)
{
	memset(res, 0, sizeof(*res));
	buf_init(&res->body, FETCH_BODY_MAX);
	header_state hs = {.res = res};
	struct curl_slist *headers = request_headers(req);
	CURL *curl = curl_easy_init();
	const char *method = req->method ? req->method : "GET";
	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (req->body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body_len ? req->body_len : strlen(req->body)));
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	else if (strcmp(method, "POST") == 0 && !req->body)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (req->basic_user) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME, req->basic_user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD,
				 req->basic_password ? req->basic_password : "");
	}
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)(req->timeout_s > 0 ? req->timeout_s : 30));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, res);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &hs);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "cluetrain");
	CURLcode rc = curl_easy_perform(curl);
	ct_err err = CT_OK;
	if (rc != CURLE_OK) {
		snprintf(res->transport, sizeof(res->transport), "%s", curl_easy_strerror(rc));
		err = CT_ERR_IO;
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
	}
	if (hs.window_exhausted && hs.window_reset_ms > 0)
		want_wait(res, hs.window_reset_ms - time_now_ms());
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	return err;
}

ct_err channel_fetch_judge(const channel_response *res, const char *service, channel_outcome *out)
{
	out->retry_after_ms = res->retry_after_ms;
	if (res->status >= 200 && res->status < 300)
		return CT_OK;
	if (res->status == 0) {
		snprintf(out->error, sizeof(out->error), "%s not reached: %s", service,
			 res->transport);
		out->permanent = 0;
		return CT_ERR_IO;
	}
	snprintf(out->error, sizeof(out->error), "%s answered HTTP %ld", service, res->status);
	long s = res->status;
	out->permanent = s >= 400 && s < 500 && s != 408 && s != 425 && s != 429;
	return CT_ERR_IO;
}

json_t *channel_response_json(const channel_response *res)
{
	if (!res->body.len)
		return NULL;
	return json_loadb(buf_cstr(&res->body), res->body.len, 0, NULL);
}

void channel_response_free(channel_response *res)
{
	buf_free(&res->body);
}

ct_err channel_fetch_json(channel_request *req, json_t *value, const char *service, json_t **answer,
			  channel_outcome *out)
{
	char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
	json_decref(value);
	if (text) {
		req->body = text;
		req->body_len = strlen(text);
		if (!req->method)
			req->method = "POST";
	}
	channel_response res;
	channel_fetch(req, &res);
	ct_err err = channel_fetch_judge(&res, service, out);
	if (answer)
		*answer = channel_response_json(&res);
	channel_response_free(&res);
	free(text);
	req->body = NULL;
	return err;
}

ct_err channel_url_escape(const char *s, buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		ct_err err;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			err = buf_append(out, p, 1);
		} else {
			char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			err = buf_append(out, esc, 3);
		}
		if (err)
			return err;
	}
	return CT_OK;
}

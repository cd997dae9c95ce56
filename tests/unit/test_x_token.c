/*
 * test_x_token.c: unit tests for the renewal of the "x" channel's user token
 * (src/channels/x_token.c) against a tiny token endpoint on a loopback
 * socket and an in-memory store of the secrets: threads that renew at once
 * make one request and all take the one stored token; a token another
 * thread renewed is taken without a request; the new tokens are stored
 * before they are handed out; a refused refresh token is remembered; a
 * channel without load/save or refresh_token does not renew; no error text
 * holds a token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channels/x_token.h"
#include "core/crypto.h"
#include "core/timeutil.h"

#define THREADS 6

/* The token endpoint: answers status with body to each request. */
typedef struct endpoint {
	int fd;
	int port;
	int status;
	atomic_int requests;
	char last[2048]; /* the last request's body */
	pthread_t thread;
} endpoint;

/* The store: the secrets as stored, guarded. */
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *stored;
static int saves;
static char saved_before_use[64]; /* the access_token stored when asked for */

/* Read one request (headers and Content-Length body) from fd into e->last. */
static void read_request(endpoint *e, int fd)
{
	char req[8192];
	size_t n = 0;
	char *end = NULL;
	while (n < sizeof(req) - 1) {
		ssize_t got = read(fd, req + n, sizeof(req) - 1 - n);
		if (got <= 0)
			break;
		n += (size_t)got;
		req[n] = '\0';
		end = strstr(req, "\r\n\r\n");
		const char *cl = strstr(req, "Content-Length: ");
		if (end && cl && n >= (size_t)(end + 4 - req) + strtoul(cl + 16, NULL, 10))
			break;
	}
	snprintf(e->last, sizeof(e->last), "%s", end ? end + 4 : "");
}

static void *serve(void *arg)
{
	endpoint *e = arg;
	for (;;) {
		int fd = accept(e->fd, NULL, NULL);
		if (fd < 0)
			return NULL;
		read_request(e, fd);
		char body[256], head[256];
		int n = ++e->requests;
		snprintf(body, sizeof(body),
			 e->status == 200 ? "{\"token_type\":\"bearer\",\"expires_in\":7200,"
					    "\"access_token\":\"new-access-%d\","
					    "\"refresh_token\":\"new-refresh-%d\"}"
					  : "{\"error\":\"invalid_request\"}",
			 n, n);
		snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 e->status, strlen(body));
		if (write(fd, head, strlen(head)) < 0 || write(fd, body, strlen(body)) < 0)
			fprintf(stderr, "write failed\n");
		close(fd);
	}
}

static void endpoint_start(endpoint *e, int status)
{
	memset(e, 0, sizeof(*e));
	e->status = status;
	e->fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	assert_int_equal(bind(e->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(e->fd, 16), 0);
	getsockname(e->fd, (struct sockaddr *)&a, &len);
	e->port = ntohs(a.sin_port);
	pthread_create(&e->thread, NULL, serve, e);
}

static void endpoint_stop(endpoint *e)
{
	shutdown(e->fd, SHUT_RDWR);
	close(e->fd);
	pthread_join(e->thread, NULL);
}

static json_t *load(const channel_ctx *ch)
{
	(void)ch;
	pthread_mutex_lock(&store_lock);
	json_t *copy = json_deep_copy(stored);
	pthread_mutex_unlock(&store_lock);
	return copy;
}

static ct_err save(const channel_ctx *ch, const json_t *changed)
{
	(void)ch;
	json_t *copy = json_deep_copy(changed);
	pthread_mutex_lock(&store_lock);
	json_object_update(stored, copy);
	saves++;
	pthread_mutex_unlock(&store_lock);
	json_decref(copy);
	return CT_OK;
}

/* A channel at port with secrets (borrowed), able to load and save when
 * can_store; config is the caller's to drop. */
static channel_ctx ctx(int port, json_t *secrets, int can_store, json_t **config)
{
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	*config = json_pack("{s:s}", "base_url", base);
	return (channel_ctx){.id = 1,
			     .name = "x",
			     .config = *config,
			     .secrets = secrets,
			     .timeout_s = 5,
			     .load_secrets = can_store ? load : NULL,
			     .save_secrets = can_store ? save : NULL};
}

static void reset_store(json_t *secrets)
{
	json_decref(stored);
	stored = json_deep_copy(secrets);
	saves = 0;
	saved_before_use[0] = '\0';
}

/* The secrets of a channel that can renew with refresh (new reference),
 * stored as they are. */
static json_t *renewable(const char *refresh)
{
	json_t *secrets = json_pack("{s:s, s:s, s:s}", "access_token", "old-access",
				    "refresh_token", refresh, "client_id", "cid");
	reset_store(secrets);
	return secrets;
}

/* One renewing thread: the token it got (owned) in *result. */
typedef struct racer {
	const channel_ctx *ch;
	char *token;
	ct_err err;
} racer;

static void *race(void *arg)
{
	racer *r = arg;
	channel_outcome out = {0};
	r->err = x_token_renew(r->ch, "old-access", &r->token, &out);
	pthread_mutex_lock(&store_lock);
	const char *now = json_string_value(json_object_get(stored, "access_token"));
	if (r->token && strcmp(now, r->token) == 0)
		snprintf(saved_before_use, sizeof(saved_before_use), "%s", now);
	pthread_mutex_unlock(&store_lock);
	return NULL;
}

static void test_threads_renew_once(void **state)
{
	(void)state;
	endpoint e;
	endpoint_start(&e, 200);
	json_t *secrets = renewable("old-refresh");
	json_t *config;
	channel_ctx ch = ctx(e.port, secrets, 1, &config);
	racer r[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		r[i] = (racer){.ch = &ch};
		pthread_create(&t[i], NULL, race, &r[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	endpoint_stop(&e);
	assert_int_equal(e.requests, 1);
	assert_int_equal(saves, 1);
	assert_string_equal(e.last,
			    "grant_type=refresh_token&refresh_token=old-refresh&client_id=cid");
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(r[i].err, CT_OK);
		assert_string_equal(r[i].token, "new-access-1");
		x_token_free(r[i].token);
	}
	assert_string_equal(saved_before_use, "new-access-1");
	assert_string_equal(json_string_value(json_object_get(stored, "refresh_token")),
			    "new-refresh-1");
	const char *at = json_string_value(json_object_get(stored, "access_token_expires_at"));
	long long expires = at ? strtoll(at, NULL, 10) : 0;
	assert_true(expires > time_now_ms() / 1000 + 7000);
	json_decref(config);
	json_decref(secrets);
}

static void test_due_token_is_renewed_first(void **state)
{
	(void)state;
	endpoint e;
	endpoint_start(&e, 200);
	char soon[32], later[32];
	snprintf(soon, sizeof(soon), "%lld", (long long)(time_now_ms() / 1000 + 30));
	snprintf(later, sizeof(later), "%lld", (long long)(time_now_ms() / 1000 + 3600));
	json_t *secrets = renewable("old-refresh");
	json_object_set_new(secrets, "access_token_expires_at", json_string(later));
	reset_store(secrets);
	json_t *config;
	channel_ctx ch = ctx(e.port, secrets, 1, &config);
	channel_outcome out = {0};
	char *token = x_token_user(&ch, &out);
	assert_string_equal(token, "old-access");
	assert_int_equal(e.requests, 0);
	x_token_free(token);
	json_object_set_new(secrets, "access_token_expires_at", json_string(soon));
	reset_store(secrets);
	token = x_token_user(&ch, &out);
	assert_string_equal(token, "new-access-1");
	assert_int_equal(e.requests, 1);
	assert_int_equal(saves, 1);
	x_token_free(token);
	endpoint_stop(&e);
	json_decref(config);
	json_decref(secrets);
}

static void test_token_renewed_elsewhere_is_taken(void **state)
{
	(void)state;
	json_t *secrets = renewable("old-refresh");
	json_object_set_new(stored, "access_token", json_string("newer-access"));
	json_t *config;
	channel_ctx ch = ctx(1, secrets, 1, &config); /* a request would fail */
	channel_outcome out = {0};
	char *fresh = NULL;
	assert_int_equal(x_token_renew(&ch, "old-access", &fresh, &out), CT_OK);
	assert_string_equal(fresh, "newer-access");
	assert_int_equal(saves, 0);
	x_token_free(fresh);
	json_decref(config);
	json_decref(secrets);
}

static void test_refused_refresh_token_is_remembered(void **state)
{
	(void)state;
	endpoint e;
	endpoint_start(&e, 400);
	json_t *secrets = renewable("dead-refresh");
	json_t *config;
	channel_ctx ch = ctx(e.port, secrets, 1, &config);
	for (int i = 0; i < 3; i++) {
		channel_outcome out = {0};
		char *fresh = NULL;
		assert_int_equal(x_token_renew(&ch, "old-access", &fresh, &out), CT_ERR_IO);
		assert_null(fresh);
		assert_true(out.permanent);
		assert_non_null(strstr(out.error, "refused the refresh token"));
		assert_null(strstr(out.error, "dead-refresh"));
	}
	endpoint_stop(&e);
	assert_int_equal(e.requests, 1);
	assert_string_equal(json_string_value(json_object_get(stored, "refresh_token")),
			    "dead-refresh");
	json_decref(config);
	json_decref(secrets);
}

static void test_no_renewal_without_means(void **state)
{
	(void)state;
	json_t *secrets = renewable("old-refresh");
	json_t *config;
	channel_ctx ch = ctx(1, secrets, 0, &config);
	channel_outcome out = {.error = "X answered HTTP 401", .permanent = 1};
	char *fresh = NULL;
	assert_int_equal(x_token_renew(&ch, "old-access", &fresh, &out), CT_ERR_NOT_FOUND);
	assert_string_equal(out.error, "X answered HTTP 401");
	json_decref(config);
	json_object_del(secrets, "refresh_token");
	reset_store(secrets);
	ch = ctx(1, secrets, 1, &config);
	assert_int_equal(x_token_renew(&ch, "old-access", &fresh, &out), CT_ERR_NOT_FOUND);
	assert_null(fresh);
	json_object_del(secrets, "access_token");
	memset(&out, 0, sizeof(out));
	assert_null(x_token_user(&ch, &out));
	assert_true(out.permanent);
	assert_string_equal(out.error, "the channel has no access_token");
	json_decref(config);
	json_decref(secrets);
}

static void test_missing_client_id(void **state)
{
	(void)state;
	json_t *secrets = json_pack("{s:s, s:s}", "access_token", "old-access", "refresh_token",
				    "old-refresh");
	reset_store(secrets);
	json_t *config;
	channel_ctx ch = ctx(1, secrets, 1, &config);
	channel_outcome out = {0};
	char *fresh = NULL;
	assert_int_equal(x_token_renew(&ch, "old-access", &fresh, &out), CT_ERR_IO);
	assert_true(out.permanent);
	assert_non_null(strstr(out.error, "client_id"));
	json_decref(config);
	json_decref(secrets);
}

int main(void)
{
	crypto_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_renew_once),
		cmocka_unit_test(test_due_token_is_renewed_first),
		cmocka_unit_test(test_token_renewed_elsewhere_is_taken),
		cmocka_unit_test(test_refused_refresh_token_is_remembered),
		cmocka_unit_test(test_no_renewal_without_means),
		cmocka_unit_test(test_missing_client_id),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	json_decref(stored);
	return failed;
}

/*
 * fuzz_headers.c: libFuzzer driver for the request headers the program
 * parses itself (src/http/headers.c): X-Forwarded-For, Origin and
 * Authorization. Cookies and query strings are parsed by libmicrohttpd.
 *
 * The input is split at the first two NUL bytes into three strings (header
 * value, Host, public_url). Beyond the sanitizers it checks the parsers'
 * promises: forwarded_last_hop writes only an address-shaped, terminated
 * string that fits; bearer_token points into its input; origin_matches
 * never accepts an origin with a path or without a scheme.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next NUL-terminated piece of the input (the rest when no NUL). */
static char *take(const uint8_t **data, size_t *size)
{
	const uint8_t *nul = memchr(*data, 0, *size);
	size_t len = nul ? (size_t)(nul - *data) : *size;
	char *s = malloc(len + 1);
	if (!s)
		abort();
	memcpy(s, *data, len);
	s[len] = '\0';
	*data += nul ? len + 1 : len;
	*size -= nul ? len + 1 : len;
	return s;
}

static void check_forwarded(const char *value)
{
	char out[64] = "unchanged";
	forwarded_last_hop(value, out, sizeof(out));
	size_t len = strnlen(out, sizeof(out));
	if (len == sizeof(out))
		abort(); /* not terminated */
	if (strcmp(out, "unchanged") != 0)
		for (size_t i = 0; i < len; i++)
			if (!strchr("0123456789abcdefABCDEF.:", out[i]))
				abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = take(&data, &size);
	char *host = take(&data, &size);
	char *public_url = take(&data, &size);
	check_forwarded(value);
	const char *token = bearer_token(value);
	if (token && (token < value || token > value + strlen(value)))
		abort();
	if (origin_matches(value, host, public_url)) {
		const char *sep = strstr(value, "://");
		if (!sep || sep == value || strchr(sep + 3, '/'))
			abort();
	}
	free(value);
	free(host);
	free(public_url);
	return 0;
}

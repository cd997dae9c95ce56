/*
 * fuzz_router.c: libFuzzer driver for route matching (src/http/router.c).
 *
 * The first input byte picks the method, the rest is the path. Beyond the
 * sanitizers, it checks the router's promises: the status is 200, 404 or
 * 405; a match has its route and at most HTTP_MAX_PARAMS non-empty
 * parameters without '/'; a 405 carries an Allow value.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET",  "POST", "PATCH",   "DELETE",
					      "HEAD", "PUT",  "OPTIONS", "get"};
	if (size == 0)
		return 0;
	const char *method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
	char *path = malloc(size);
	if (!path)
		return 0;
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';

	static http_request req;
	memset(&req, 0, sizeof(req));
	int status = router_match(&req, method, path);
	switch (status) {
	case 200:
		if (!req.route || req.n_params < 0 || req.n_params > HTTP_MAX_PARAMS)
			abort();
		if (strcmp(req.route->method, method) != 0 &&
		    !(strcmp(method, "HEAD") == 0 && strcmp(req.route->method, "GET") == 0))
			abort();
		for (int i = 0; i < req.n_params; i++)
			if (req.params[i][0] == '\0' || strchr(req.params[i], '/') ||
			    strlen(req.params[i]) >= sizeof(req.params[i]))
				abort();
		break;
	case 405:
		if (req.route || !req.allow[0])
			abort();
		break;
	case 404:
		if (req.route)
			abort();
		break;
	default: abort();
	}
	free(path);
	return 0;
}

/*
 * routes.c: `cluetrain routes`: print the route table, one route per line
 * ("METHOD PATTERN roles"), so tests and operators can see every route
 * without reading the source (a test compares it with docs/api/openapi.yaml).
 */
#include <stdio.h>

#include "cli/cli.h"
#include "http/http.h"

int cli_routes(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (size_t i = 0; i < http_routes_count; i++) {
		const http_route *r = &http_routes[i];
		printf("%s %s", r->method, r->pattern);
		if (!r->roles)
			printf(" public");
		for (int bit = ROLE_ADMIN; bit <= ROLE_VIEWER; bit <<= 1)
			if (r->roles & bit)
				printf(" %s", http_role_name(bit));
		printf("\n");
	}
	return CLI_OK;
}

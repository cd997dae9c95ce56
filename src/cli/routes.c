/*
 * routes.c: `cluetrain routes`: print the route table, one route per line
 * ("METHOD PATTERN roles"), so tests and operators can see every route
 * without reading the source (a test compares it with docs/api/openapi.yaml).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/i18n.h"
#include "http/http.h"

int cli_routes(int argc, char **argv)
{
	if (argc > 1) {
		int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
		fprintf(help ? stdout : stderr,
			_("usage: cluetrain routes\nList every HTTP route: method, path, and the "
			  "roles that may call it.\n"));
		return help ? CLI_OK : CLI_USAGE;
	}
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

/*
 * fuzz_rfc3339.c: libFuzzer driver for the RFC 3339 parser
 * (src/core/timeutil.c).
 *
 * The input is parsed as it is, without a terminating NUL, so reading past
 * n bytes is caught by ASan. An accepted time must survive formatting and
 * parsing again unchanged (within the years 0000-9999 that the format can
 * express).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t lo = -62167219200000LL; /* 0000-01-01T00:00:00Z */
	static const int64_t hi = 253402300799999LL; /* 9999-12-31T23:59:59.999Z */
	char *copy = malloc(size ? size : 1);        /* exactly size bytes: no NUL to lean on */
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	int64_t ms = 0;
	if (time_parse_rfc3339(copy, size, &ms) == CT_OK && ms >= lo && ms <= hi) {
		char text[TIME_RFC3339_SIZE];
		time_format_rfc3339(ms, text);
		int64_t again = 0;
		if (time_parse_rfc3339(text, strlen(text), &again) != CT_OK || again != ms)
			abort();
	}
	free(copy);
	return 0;
}

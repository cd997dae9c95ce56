/*
 * embedded.h: files compiled into the binary (SQL migrations, demo data,
 * later web assets), so that one binary is all an installation needs.
 * tools/embed.c generates the table at build time from the files under
 * src/ and demo/; names are their paths relative to the repository's src/ or
 * to the repository (demo/...).
 */
#ifndef CT_EMBEDDED_H
#define CT_EMBEDDED_H

#include <stddef.h>

typedef struct embedded_file {
	const char *name;
	const unsigned char *data; /* NUL-terminated for convenience */
	size_t len;
} embedded_file;

extern const embedded_file embedded_files[];
extern const size_t embedded_count;

/* The file with this exact name, or NULL. Static storage. */
const embedded_file *embedded_find(const char *name);

#endif

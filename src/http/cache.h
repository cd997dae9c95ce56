/*
 * cache.h: exact caching of read answers.
 *
 * An entry holds an answer body with the store generation it was computed
 * at (store_generation); it is served only while the generation has not
 * changed, so a cached answer is always the answer a fresh computation would
 * give. Useful where many clients poll the same view (agents' inbox lists)
 * between writes. A small fixed number of entries, least recently used
 * replaced; bodies over HTTP_CACHE_MAX_BODY are not kept.
 */
#ifndef CT_HTTP_CACHE_H
#define CT_HTTP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_CACHE_MAX_BODY (256 * 1024)

/* A copy of the body cached under key at generation, or NULL. The caller
 * frees it; *len gets its length. */
char *http_cache_get(const char *key, uint64_t generation, size_t *len);

/* Keep body (copied) under key, computed at generation. */
void http_cache_put(const char *key, uint64_t generation, const char *body, size_t len);

#endif

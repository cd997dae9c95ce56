/*
 * cache.c: the generation-checked answer cache (see cache.h).
 */
#include "http/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define ENTRIES 32

typedef struct entry {
	char *key;
	char *body;
	size_t len;
	uint64_t generation;
	uint64_t used; /* for least-recently-used replacement */
} entry;

static entry entries[ENTRIES];
static uint64_t clock_ticks;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

char *http_cache_get(const char *key, uint64_t generation, size_t *len)
{
	char *copy = NULL;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < ENTRIES; i++) {
		entry *e = &entries[i];
		if (e->key && e->generation == generation && strcmp(e->key, key) == 0) {
			e->used = ++clock_ticks;
			copy = xmalloc(e->len + 1);
			memcpy(copy, e->body, e->len + 1);
			*len = e->len;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	return copy;
}

void http_cache_put(const char *key, uint64_t generation, const char *body, size_t len)
{
	if (len > HTTP_CACHE_MAX_BODY)
		return;
	char *k = xstrdup(key), *b = xmalloc(len + 1);
	memcpy(b, body, len);
	b[len] = '\0';
	pthread_mutex_lock(&lock);
	entry *victim = &entries[0];
	for (int i = 0; i < ENTRIES; i++) {
		entry *e = &entries[i];
		if (e->key && strcmp(e->key, key) == 0) {
			victim = e;
			break;
		}
		if (!e->key || e->used < victim->used)
			victim = e;
	}
	char *old_key = victim->key, *old_body = victim->body;
	victim->key = k;
	victim->body = b;
	victim->len = len;
	victim->generation = generation;
	victim->used = ++clock_ticks;
	pthread_mutex_unlock(&lock);
	free(old_key);
	free(old_body);
}

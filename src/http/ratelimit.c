/*
 * ratelimit.c: the per-address token buckets (see ratelimit.h).
 */
#include "http/ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define BUCKETS 4096

typedef struct bucket {
	char ip[64];
	double tokens;
	int64_t updated_ms;
} bucket;

static bucket buckets[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* FNV-1a, to pick a start slot. */
static unsigned slot_of(const char *ip)
{
	unsigned h = 2166136261u;
	for (const char *p = ip; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % BUCKETS;
}

/* The bucket for ip: its own, a free one, or the stalest of a few probed. */
static bucket *find_bucket(const char *ip, double capacity, int64_t now_ms)
{
	unsigned start = slot_of(ip);
	bucket *stalest = &buckets[start];
	for (unsigned i = 0; i < 8; i++) {
		bucket *b = &buckets[(start + i) % BUCKETS];
		if (strcmp(b->ip, ip) == 0)
			return b;
		if (!b->ip[0] || b->updated_ms < stalest->updated_ms)
			stalest = b;
	}
	snprintf(stalest->ip, sizeof(stalest->ip), "%s", ip);
	stalest->tokens = capacity;
	stalest->updated_ms = now_ms;
	return stalest;
}

int ratelimit_allow(const app *a, const char *ip, int64_t now_ms)
{
	double per_minute = (double)a->cfg.public_per_minute;
	pthread_mutex_lock(&lock);
	bucket *b = find_bucket(ip, per_minute, now_ms);
	b->tokens += (double)(now_ms - b->updated_ms) * per_minute / 60000.0;
	if (b->tokens > per_minute)
		b->tokens = per_minute;
	b->updated_ms = now_ms;
	int allowed = b->tokens >= 1.0;
	if (allowed)
		b->tokens -= 1.0;
	pthread_mutex_unlock(&lock);
	return allowed;
}

/*
 * assets.c: the stylesheet and scripts, embedded in the binary and served
 * under /static/ (see web.h).
 *
 * Each asset's URL carries a hash of its content (?v=...), so a browser may
 * keep it for a year and fetches the new one after an upgrade. Assets are
 * compressed with gzip once, on first use, and sent compressed to browsers
 * that accept it. htmx comes from npm (web/node_modules, see web/package.json);
 * app.css and app.js are ours (web/static/).
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/embedded.h"
#include "web/web.h"

typedef struct asset {
	const char *name;     /* under /static/ */
	const char *embedded; /* name in the embedded table */
	const char *type;
	const embedded_file *file;
	char url[96];
	char hash[17]; /* hex */
	char etag[24];
	unsigned char *gzip; /* owned, for the life of the process */
	size_t gzip_len;
} asset;

static asset assets[] = {
	{.name = "app.css", .embedded = "web/static/app.css", .type = "text/css; charset=utf-8"},
	{.name = "app.js",
	 .embedded = "web/static/app.js",
	 .type = "text/javascript; charset=utf-8"},
	{.name = "htmx.min.js",
	 .embedded = "web/htmx.min.js",
	 .type = "text/javascript; charset=utf-8"},
};
#define N_ASSETS (sizeof(assets) / sizeof(assets[0]))

static pthread_once_t assets_once = PTHREAD_ONCE_INIT;

/* Compress data with gzip into a new allocation (*out, *out_len). */
static int gzip_compress(const unsigned char *data, size_t len, unsigned char **out,
			 size_t *out_len)
{
	z_stream z = {0};
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)len);
	*out = xmalloc(cap);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

static void load_assets(void)
{
	for (size_t i = 0; i < N_ASSETS; i++) {
		asset *a = &assets[i];
		a->file = embedded_find(a->embedded);
		if (!a->file)
			continue;
		unsigned char hash[8];
		crypto_generichash(hash, sizeof(hash), a->file->data, a->file->len, NULL, 0);
		sodium_bin2hex(a->hash, sizeof(a->hash), hash, sizeof(hash));
		snprintf(a->url, sizeof(a->url), "/static/%s?v=%s", a->name, a->hash);
		snprintf(a->etag, sizeof(a->etag), "\"%s\"", a->hash);
		if (gzip_compress(a->file->data, a->file->len, &a->gzip, &a->gzip_len) != 0) {
			free(a->gzip);
			a->gzip = NULL;
		}
	}
}

static asset *find_asset(const char *name)
{
	pthread_once(&assets_once, load_assets);
	for (size_t i = 0; i < N_ASSETS; i++)
		if (name && strcmp(assets[i].name, name) == 0 && assets[i].file)
			return &assets[i];
	return NULL;
}

const char *web_asset_url(const char *name)
{
	asset *a = find_asset(name);
	return a ? a->url : "/static/missing";
}

/* Does the client take gzip (Accept-Encoding lists it without q=0)? */
static int accepts_gzip(const char *accept)
{
	const char *g = accept ? strstr(accept, "gzip") : NULL;
	return g && strncmp(g + 4, ";q=0", 4) != 0;
}

/* GET /static/{name} */
void web_static(http_request *req, http_response *res)
{
	asset *a = find_asset(http_param(req, 0));
	if (!a) {
		http_error(res, CT_ERR_NOT_FOUND, "no such file", NULL, -1);
		return;
	}
	const char *v = http_query(req, "v");
	int current = v && strcmp(v, a->hash) == 0;
	http_add_header(res, "Cache-Control",
			current ? "public, max-age=31536000, immutable" : "no-cache");
	http_add_header(res, "ETag", a->etag);
	http_add_header(res, "Vary", "Accept-Encoding");
	const char *match = http_header(req, "If-None-Match");
	if (match && strcmp(match, a->etag) == 0) {
		res->status = 304;
		return;
	}
	const unsigned char *data = a->file->data;
	size_t len = a->file->len;
	if (a->gzip && accepts_gzip(http_header(req, "Accept-Encoding"))) {
		data = a->gzip, len = a->gzip_len;
		http_add_header(res, "Content-Encoding", "gzip");
	}
	http_static_bytes(res, a->type, data, len);
}

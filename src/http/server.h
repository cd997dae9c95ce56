/*
 * server.h: the HTTP server (libmicrohttpd, one thread per connection).
 */
#ifndef CT_HTTP_SERVER_H
#define CT_HTTP_SERVER_H

#include "app.h"
#include "core/buf.h"
#include "core/err.h"

typedef struct http_server http_server;

/* Listen on a "host:port" or "[v6]:port" address and start serving. The
 * port actually bound (useful with port 0) goes to *port. */
ct_err http_server_start(app *a, const char *listen, http_server **out, int *port, buf *msg);

/* Stop accepting, finish or end every connection, free the server. */
void http_server_stop(http_server *srv);

#endif

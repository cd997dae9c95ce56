/*
 * serve.c: `cluetrain serve --data DIR [--listen HOST:PORT]`.
 *
 * Starts the store (migrations run), the job worker and the HTTP server,
 * then waits for SIGINT or SIGTERM. Shutdown order: close the event streams,
 * stop the HTTP server (requests in flight finish), stop the job worker,
 * close the store (its queue of writes drains first).
 *
 * On PostgreSQL the event hub is joined to the other nodes': events published
 * here go out through the store, and every node's events come back into the
 * hub (see store_events_start).
 */
#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/i18n.h"
#include "core/log.h"
#include "http/server.h"
#include "jobs/jobs.h"
#include "jobs/kinds.h"
#include "privacy/privacy.h"
#include "relay/relay.h"
#include "triage/sla_watch.h"

static int usage(int ok)
{
	fprintf(ok ? stdout : stderr,
		_("usage: cluetrain serve --data DIR [--listen HOST:PORT]\n"
		  "Serve the API on the address from the config file (default "
		  "127.0.0.1:8080)\nuntil SIGINT or SIGTERM.\n"));
	return ok ? CLI_OK : CLI_USAGE;
}

/* Block the stop signals in every thread; the main thread waits for them. */
static void block_stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void relay_event(void *ctx, const char *type, const char *data)
{
	store_event_send(ctx, type, data);
}

static void take_event(void *ctx, uint64_t seq, const char *type, const char *data)
{
	events_append(ctx, seq, type, data);
}

/* Share live events with the other nodes on the database, if there can be any. */
static ct_err share_events(app *a)
{
	if (!store_is_shared(a->store))
		return CT_OK;
	uint64_t last = 0;
	ct_err err = store_events_start(a->store, take_event, a->events, &last);
	if (!err)
		events_set_relay(a->events, relay_event, a->store, last);
	return err;
}

int cli_serve(int argc, char **argv)
{
	static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
					     {"listen", required_argument, NULL, 'l'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *data = "data", *listen = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "d:l:h", opts, NULL)) != -1) {
		if (c == 'd')
			data = optarg;
		else if (c == 'l')
			listen = optarg;
		else
			return usage(c == 'h');
	}
	sigset_t stop;
	block_stop_signals(&stop);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	app a = {0};
	if (cli_open_app(data, 0, &a) != CLI_OK)
		return CLI_FAILED;
	const char *address = listen ? listen : a.cfg.listen;
	setenv("TZ", a.cfg.time_zone, 1); /* pages show local times; storage stays UTC */
	tzset();
	if (share_events(&a) != CT_OK) {
		cli_error(_("cannot listen for the events of other nodes"));
		cli_close_app(&a);
		return CLI_FAILED;
	}
	jobs_register_kind(&privacy_retention_job);
	jobs_register_tick(sla_watch_tick, SLA_WATCH_EVERY_MS);
	relay_register();
	a.jobs = jobs_start(&a);
	if (a.jobs)
		relay_listeners_start(&a);
	http_server *srv = NULL;
	buf msg;
	buf_init(&msg, 1024);
	int port = 0, rc = CLI_FAILED;
	if (!a.jobs || http_server_start(&a, address, &srv, &port, &msg) != CT_OK) {
		cli_error("%s", msg.len ? buf_cstr(&msg) : _("cannot start the job worker"));
		goto out;
	}
	log_info("server.started", LOG_S("listen", address), LOG_I("port", port),
		 LOG_S("data", data), LOG_S("database", store_backend_name(a.store)),
		 LOG_I("schema_version", store_schema_version(a.store)));
	int sig = 0;
	sigwait(&stop, &sig);
	log_info("server.stopping", LOG_S("signal", sig == SIGINT ? "INT" : "TERM"));
	rc = CLI_OK;
out:
	events_close(a.events);
	http_server_stop(srv);
	relay_listeners_stop();
	jobs_stop(a.jobs);
	cli_close_app(&a);
	buf_free(&msg);
	curl_global_cleanup();
	if (rc == CLI_OK)
		log_info("server.stopped", LOG_S("data", data));
	return rc;
}

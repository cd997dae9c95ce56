/*
 * cli.h: the subcommands of the cluetrain binary (one file each in cli/)
 * and what they share: opening an installation, parsing --data.
 *
 * The forms of these commands are a contract that scripts and operators
 * rely on (see docs/cli.md); change them only compatibly.
 */
#ifndef CT_CLI_H
#define CT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "app.h"

int cli_init(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_backup(int argc, char **argv);
int cli_migrate_data(int argc, char **argv);
int cli_routes(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_concept(int argc, char **argv);
int cli_concept_replay(int argc, char **argv); /* concept replay (concept_replay.c) */

/* Exit codes. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

/*
 * Load the configuration of the installation in data_dir and open its store
 * (running migrations). create=1 allows a new database file. Prints the
 * reason and returns non-zero on failure. Close with cli_close_app.
 */
int cli_open_app(const char *data_dir, int create, app *a);
void cli_close_app(app *a);

/* The whole file at path (at most max bytes) into *out, NUL-terminated and
 * owned by the caller, its length in *len; prints why not. */
int cli_read_file(const char *path, size_t max, char **out, size_t *len);

/* A concept's errors on stderr, "FILE:LINE:COLUMN: KEY: MESSAGE" each, then
 * how many (concept.c). */
struct concept_errors;
void cli_print_concept_errors(const struct concept_errors *errs, const char *file);

/* Print "cluetrain: " and a formatted message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A progress line on stderr when it is a terminal: "label: done/total (pct)". */
typedef struct cli_progress {
	const char *label;
	long long total;
	long long done;
	int tty;
	long long last_ms;
} cli_progress;

void cli_progress_start(cli_progress *p, const char *label, long long total);
void cli_progress_step(cli_progress *p, long long n);
void cli_progress_end(cli_progress *p);

/*
 * Store the messages of a JSON-lines file (the ingest format, or what export
 * writes) in two passes: first every line is validated, so a bad line
 * (named with its number and field) changes nothing; then batches are
 * committed. f must be seekable. newest_at (0: keep the times) moves every
 * message's time so that the newest one falls at newest_at: the demo data
 * is always recent. Returns CLI_OK or prints why not.
 */
int cli_import_file(app *a, FILE *f, const char *name, int64_t newest_at, int *imported);

#endif

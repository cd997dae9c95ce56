/*
 * bare_loop.c: the ingest work without HTTP or JSON, as a yardstick.
 *
 *   bare_loop DB FILE.jsonl MESSAGES BATCH [savepoint]
 *
 * Reads the first MESSAGES lines of FILE.jsonl (the ingest format, see
 * gen.py) into memory before the clock starts, then stores them into DB (a
 * database made by `cluetrain init`) with the statements of
 * src/ingest/commit.c, in the same order and with the same connection
 * settings as the server's writer (src/store/sqlite.c): WAL,
 * synchronous=FULL, the cluetrain_de FTS5 tokenizer, one transaction of
 * BATCH messages each (BEGIN IMMEDIATE ... COMMIT = one fsync).
 * With "savepoint" each batch also runs inside SAVEPOINT w ... RELEASE w, as
 * the server's writer wraps every request (src/store/store.c), to show what
 * that costs. Prints one JSON object with the rate on stdout.
 *
 * Built by bench/run.sh with src/store/fts_stem.c, src/core/buf.c and
 * src/core/timeutil.c, so the tokenizer and the time parser are the
 * project's own.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/timeutil.h"
#include "store/fts_stem.h"

/* The statements of src/ingest/commit.c, verbatim. */
static const char SQL_CHANNEL_BY_NAME[] = "SELECT id FROM channels WHERE name = $1";
static const char SQL_MESSAGE_BY_EXTERNAL[] =
	"SELECT id, conversation_id FROM messages WHERE channel_id = $1 AND external_id = $2";
static const char SQL_IDENTITY_BY_EXTERNAL[] =
	"SELECT id, contact_id, coalesce(name, ''), coalesce(handle, '') FROM identities"
	" WHERE channel_id = $1 AND external_id = $2";
static const char SQL_CONTACT_INSERT[] =
	"INSERT INTO contacts (name, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id";
static const char SQL_IDENTITY_INSERT[] =
	"INSERT INTO identities (contact_id, channel_id, external_id, handle, name, created_at)"
	" VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
static const char SQL_IDENTITY_UPDATE[] =
	"UPDATE identities SET name = coalesce($2, name), handle = coalesce($3, handle)"
	" WHERE id = $1";
static const char SQL_CONVERSATION_BY_THREAD[] =
	"SELECT id FROM conversations WHERE channel_id = $1 AND thread_key = $2";
static const char SQL_CONVERSATION_LATEST[] =
	"SELECT id, status, coalesce(resolved_at, 0) FROM conversations"
	" WHERE contact_id = $1 AND channel_id = $2 ORDER BY last_activity_at DESC, id DESC LIMIT 1";
static const char SQL_CONVERSATION_INSERT[] =
	"INSERT INTO conversations (channel_id, contact_id, thread_key, subject, status,"
	" last_activity_at, created_at) VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id";
static const char SQL_MESSAGE_INSERT[] =
	"INSERT INTO messages (conversation_id, channel_id, direction, external_id, in_reply_to,"
	" identity_id, author_name, text, attachments, meta, created_at, received_at)"
	" VALUES ($1, $2, 'in', $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
static const char SQL_CONVERSATION_TOUCH[] =
	"UPDATE conversations SET last_activity_at = max(last_activity_at, $2),"
	" snippet = substr($3, 1, 200), message_count = message_count + 1,"
	" status = 'open', resolved_at = NULL, snoozed_until = NULL WHERE id = $1";

/* The same pragmas as the server's writer connection (src/store/sqlite.c). */
static const char WRITER_PRAGMAS[] =
	"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	"PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
	"PRAGMA mmap_size=0; PRAGMA cache_size=-8000;"
	"PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=67108864;";

#define REOPEN_WINDOW_MS (7LL * 24 * 3600 * 1000)

typedef struct msg {
	char *channel, *external_id, *thread_id, *in_reply_to;
	char *author_id, *author_name, *author_handle, *subject, *text;
	long long created_at;
} msg;

enum {
	S_CHANNEL, S_MSG_EXT, S_IDENT, S_CONTACT_INS, S_IDENT_INS, S_IDENT_UPD, S_CONV_THREAD,
	S_CONV_LATEST, S_CONV_INS, S_MSG_INS, S_CONV_TOUCH, S_COUNT
};
static const char *const SQL[S_COUNT] = {
	SQL_CHANNEL_BY_NAME, SQL_MESSAGE_BY_EXTERNAL, SQL_IDENTITY_BY_EXTERNAL,
	SQL_CONTACT_INSERT, SQL_IDENTITY_INSERT, SQL_IDENTITY_UPDATE, SQL_CONVERSATION_BY_THREAD,
	SQL_CONVERSATION_LATEST, SQL_CONVERSATION_INSERT, SQL_MESSAGE_INSERT,
	SQL_CONVERSATION_TOUCH};

static sqlite3 *db;
static sqlite3_stmt *st[S_COUNT];

static void die(const char *what)
{
	fprintf(stderr, "bare_loop: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	exit(1);
}

static char *dup_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static size_t load(const char *path, size_t want, msg *out)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		exit(1);
	}
	char *line = NULL;
	size_t cap = 0, n = 0;
	while (n < want && getline(&line, &cap, f) > 0) {
		json_error_t e;
		json_t *o = json_loads(line, 0, &e);
		if (!o) {
			fprintf(stderr, "bare_loop: line %zu: %s\n", n + 1, e.text);
			exit(1);
		}
		msg *m = &out[n++];
		json_t *a = json_object_get(o, "author");
		m->channel = dup_str(o, "channel");
		m->external_id = dup_str(o, "external_id");
		m->thread_id = dup_str(o, "thread_id");
		m->in_reply_to = dup_str(o, "in_reply_to");
		m->subject = dup_str(o, "subject");
		m->text = dup_str(o, "text");
		m->author_id = dup_str(a, "id");
		m->author_name = dup_str(a, "name");
		m->author_handle = dup_str(a, "handle");
		const char *ts = json_string_value(json_object_get(o, "created_at"));
		int64_t ms = 0;
		if (!ts || time_parse_rfc3339(ts, strlen(ts), &ms) != CT_OK) {
			fprintf(stderr, "bare_loop: line %zu: bad created_at\n", n);
			exit(1);
		}
		m->created_at = ms;
		json_decref(o);
	}
	free(line);
	fclose(f);
	return n;
}

static void exec(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql);
}

/* Bind $n by name, as the store does. */
static void bind_text(sqlite3_stmt *s, int n, const char *v)
{
	char name[8];
	snprintf(name, sizeof(name), "$%d", n);
	int i = sqlite3_bind_parameter_index(s, name);
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static void bind_int(sqlite3_stmt *s, int n, long long v)
{
	char name[8];
	snprintf(name, sizeof(name), "$%d", n);
	sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, name), v);
}

static int step(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		die("step");
	return rc;
}

static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Step expecting one integer row (RETURNING id, or a lookup); 0 when none. */
static long long one_int(sqlite3_stmt *s)
{
	long long v = step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	done(s);
	return v;
}

/* The work of commit_one() in src/ingest/commit.c for one message. */
static void commit_one(const msg *m, long long now)
{
	sqlite3_stmt *s = st[S_CHANNEL];
	bind_text(s, 1, m->channel);
	long long channel = one_int(s);
	if (!channel)
		die("unknown channel");

	s = st[S_MSG_EXT]; /* duplicate? */
	bind_int(s, 1, channel);
	bind_text(s, 2, m->external_id);
	if (step(s) == SQLITE_ROW) {
		done(s);
		return;
	}
	done(s);

	long long identity = 0, contact = 0;
	s = st[S_IDENT];
	bind_int(s, 1, channel);
	bind_text(s, 2, m->author_id);
	if (step(s) == SQLITE_ROW) {
		identity = sqlite3_column_int64(s, 0);
		contact = sqlite3_column_int64(s, 1);
		int changed =
			(m->author_name && strcmp(m->author_name, (const char *)sqlite3_column_text(s, 2))) ||
			(m->author_handle && strcmp(m->author_handle, (const char *)sqlite3_column_text(s, 3)));
		done(s);
		if (changed) {
			s = st[S_IDENT_UPD];
			bind_int(s, 1, identity);
			bind_text(s, 2, m->author_name);
			bind_text(s, 3, m->author_handle);
			step(s);
			done(s);
		}
	} else {
		done(s);
		s = st[S_CONTACT_INS];
		bind_text(s, 1, m->author_name ? m->author_name : m->author_handle);
		bind_int(s, 2, now);
		contact = one_int(s);
		s = st[S_IDENT_INS];
		bind_int(s, 1, contact);
		bind_int(s, 2, channel);
		bind_text(s, 3, m->author_id);
		bind_text(s, 4, m->author_handle);
		bind_text(s, 5, m->author_name);
		bind_int(s, 6, now);
		identity = one_int(s);
	}

	long long conv = 0;
	if (m->thread_id) {
		s = st[S_CONV_THREAD];
		bind_int(s, 1, channel);
		bind_text(s, 2, m->thread_id);
		conv = one_int(s);
	}
	if (!conv && m->in_reply_to) {
		s = st[S_MSG_EXT];
		bind_int(s, 1, channel);
		bind_text(s, 2, m->in_reply_to);
		if (step(s) == SQLITE_ROW)
			conv = sqlite3_column_int64(s, 1);
		done(s);
	}
	if (!conv && !m->thread_id) {
		s = st[S_CONV_LATEST];
		bind_int(s, 1, contact);
		bind_int(s, 2, channel);
		if (step(s) == SQLITE_ROW) {
			int resolved = strcmp((const char *)sqlite3_column_text(s, 1), "resolved") == 0;
			if (!resolved || sqlite3_column_int64(s, 2) >= now - REOPEN_WINDOW_MS)
				conv = sqlite3_column_int64(s, 0);
		}
		done(s);
	}
	if (!conv) {
		s = st[S_CONV_INS];
		bind_int(s, 1, channel);
		bind_int(s, 2, contact);
		bind_text(s, 3, m->thread_id);
		bind_text(s, 4, m->subject);
		bind_int(s, 5, m->created_at);
		bind_int(s, 6, now);
		conv = one_int(s);
	}

	s = st[S_MSG_INS];
	bind_int(s, 1, conv);
	bind_int(s, 2, channel);
	bind_text(s, 3, m->external_id);
	bind_text(s, 4, m->in_reply_to);
	bind_int(s, 5, identity);
	bind_text(s, 6, m->author_name ? m->author_name : m->author_handle);
	bind_text(s, 7, m->text);
	bind_text(s, 8, NULL); /* attachments */
	bind_text(s, 9, NULL); /* meta */
	bind_int(s, 10, m->created_at);
	bind_int(s, 11, now);
	if (!one_int(s))
		die("message insert");

	s = st[S_CONV_TOUCH];
	bind_int(s, 1, conv);
	bind_int(s, 2, m->created_at);
	bind_text(s, 3, m->text);
	step(s);
	done(s);
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 5 && !(argc == 6 && strcmp(argv[5], "savepoint") == 0)) {
		fprintf(stderr, "usage: bare_loop DB FILE.jsonl MESSAGES BATCH [savepoint]\n");
		return 2;
	}
	int savepoint = argc == 6;
	size_t want = strtoul(argv[3], NULL, 10), batch = strtoul(argv[4], NULL, 10);
	if (!want || !batch) {
		fprintf(stderr, "bare_loop: MESSAGES and BATCH must be positive\n");
		return 2;
	}
	msg *msgs = calloc(want, sizeof(*msgs));
	if (!msgs)
		return 1;
	size_t n = load(argv[2], want, msgs);

	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		die("open");
	sqlite3_extended_result_codes(db, 0);
	exec(WRITER_PRAGMAS);
	if (fts_stem_register(db) != SQLITE_OK)
		die("fts_stem_register");
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL) !=
		    SQLITE_OK)
			die(SQL[i]);

	double t0 = mono_s();
	size_t commits = 0;
	for (size_t i = 0; i < n; i += batch) {
		size_t end = i + batch < n ? i + batch : n;
		long long now = time_now_ms();
		exec("BEGIN IMMEDIATE");
		if (savepoint)
			exec("SAVEPOINT w");
		for (size_t j = i; j < end; j++)
			commit_one(&msgs[j], now);
		if (savepoint)
			exec("RELEASE w");
		exec("COMMIT");
		commits++;
	}
	double secs = mono_s() - t0;

	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st[i]);
	sqlite3_close(db);
	printf("{\"messages\":%zu,\"batch\":%zu,\"savepoint\":%s,\"commits\":%zu,"
	       "\"seconds\":%.3f,\"msgs_per_s\":%.1f}\n",
	       n, batch, savepoint ? "true" : "false", commits, secs,
	       secs > 0 ? (double)n / secs : 0.0);
	return 0;
}

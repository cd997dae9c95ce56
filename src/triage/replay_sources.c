/*
 * replay_sources.c: where the replay simulator's messages come from (see
 * replay.h): the store, read through reader connections, or a file of JSON
 * lines in the ingest format.
 *
 * The store is read in one sequential pass over the messages table in id
 * order, in pages keyed by id (so neither backend holds more than a page in
 * memory, and the reader goes back to the pool between pages), with no
 * join and no lookup per row: what the replay needs to know about a
 * message's conversation (did an earlier message open it, was the last one
 * an answer of the team, is it its contact's first conversation) is kept
 * as one byte per conversation id, filled from the messages before it and
 * from one pass over the conversations per contact. Only the texts of the
 * period's incoming messages are fetched, and only when a concept's rules
 * look at contact attributes are those of their contacts looked up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "ingest/ingest.h"
#include "triage/replay_internal.h"

#define LATE_MS 3600000LL            /* stored this much after written: timed by created_at */
#define PAGE_ROWS 5000               /* rows per page read from the store */
#define CONV_MAX_ID (1LL << 30)      /* conversation ids above this have no state */
#define LINE_MAX_BYTES (1024 * 1024) /* one JSON line */
#define INPUT_ERRORS_MAX 20

/* A conversation's state, by id: the last message that counts (none, from
 * the customer, an answer of the team; automatic replies and notes do not
 * count) and whether it is its contact's first conversation. */
enum { CONV_IN = 1, CONV_ANSWERED = 2, CONV_LAST = 3, CONV_FIRST = 4 };

/* A message's time (see replay.h); $4 is LATE_MS. */
#define SQL_AT \
	"CASE WHEN m.created_at < m.received_at - $4 THEN m.created_at ELSE m.received_at END"
/* 1 for an incoming message of the period [$2, $3). */
#define SQL_WANTED "m.direction = 'in' AND " SQL_AT " >= $2 AND " SQL_AT " < $3"
#define SQL_PAGE_COLUMNS                                                                      \
	"SELECT m.id, m.conversation_id, m.channel_id, m.direction,"                          \
	" CASE WHEN coalesce(m.idempotency_key, '') LIKE 'auto:%' THEN 1 ELSE 0 END, " SQL_AT \
	", CASE WHEN m.created_at < m.received_at - $4 THEN 1 ELSE 0 END,"                    \
	" CASE WHEN " SQL_WANTED " THEN m.text END"
#define SQL_PAGE_END " WHERE m.id > $1 ORDER BY m.id LIMIT $5"

static const char SQL_PAGE[] = SQL_PAGE_COLUMNS ", NULL FROM messages m" SQL_PAGE_END;
static const char SQL_PAGE_CONTACTS[] =
	SQL_PAGE_COLUMNS ", CASE WHEN " SQL_WANTED " THEN (SELECT k.attributes FROM conversations c"
			 " JOIN contacts k ON k.id = c.contact_id WHERE c.id = m.conversation_id)"
			 " END FROM messages m" SQL_PAGE_END;
static const char SQL_FIRST_CONVERSATIONS[] =
	"SELECT contact_id, min(id) FROM conversations WHERE contact_id > $1"
	" GROUP BY contact_id ORDER BY contact_id LIMIT $2";

/* ---- The store ------------------------------------------------------------ */

/* The state byte of conversation id, the table grown to hold it; NULL
 * for an id out of range. Borrowed from x. */
static uint8_t *conv_state(rp_run *x, int64_t id)
{
	if (id < 1 || id > CONV_MAX_ID)
		return NULL;
	if ((size_t)id >= x->n_convs) {
		size_t n = x->n_convs ? x->n_convs : 4096;
		while (n <= (size_t)id)
			n *= 2;
		x->convs = xrealloc(x->convs, n);
		memset(x->convs + x->n_convs, 0, n - x->n_convs);
		x->n_convs = n;
	}
	return &x->convs[id];
}

/* Mark each contact's first conversation, one page of contacts after
 * contact *after; *rows gets how many. */
static ct_err first_conversations(rp_run *x, store_conn *c, int64_t *after, int64_t *rows)
{
	store_stmt *st = store_prepare(c, SQL_FIRST_CONVERSATIONS);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, *after);
	store_bind_int(st, 2, PAGE_ROWS);
	int rc;
	*rows = 0;
	while ((rc = store_step(st)) == STORE_ROW) {
		*after = store_col_int(st, 0);
		uint8_t *s = conv_state(x, store_col_int(st, 1));
		if (s)
			*s |= CONV_FIRST;
		(*rows)++;
	}
	ct_err err = rc == STORE_ERROR ? store_stmt_error(st) : CT_OK;
	store_reset(st);
	return err;
}

/* Replay the wanted message of the current row of st (conversation state
 * s, before this message; may be NULL). */
static ct_err replay_row(rp_run *x, store_conn *c, store_stmt *st, const uint8_t *s)
{
	const rp_channel *ch = rp_channel_find(x, c, store_col_int(st, 2), NULL);
	int last = s ? *s & CONV_LAST : 0;
	rp_msg m = {.id = store_col_int(st, 0),
		    .conversation_id = store_col_int(st, 1),
		    .at = store_col_int(st, 5),
		    .channel_name = ch ? ch->name : "",
		    .channel_kind = ch ? ch->kind : "",
		    .text = store_col_text(st, 7),
		    .len = store_col_bytes(st, 7),
		    .attributes = store_col_text(st, 8),
		    .opens = s && last == 0,
		    .after_answer = last == CONV_ANSWERED};
	m.first_contact = m.opens && (*s & CONV_FIRST);
	x->st.late += store_col_int(st, 6) != 0;
	return rp_replay_one(x, &m);
}

/* One page of messages after message *after: each one's conversation
 * state updated, the wanted ones replayed. *rows gets how many rows. */
static ct_err message_page(rp_run *x, store_conn *c, const char *sql, int64_t *after, int64_t *rows)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, *after);
	store_bind_int(st, 2, x->from);
	store_bind_int(st, 3, x->to);
	store_bind_int(st, 4, LATE_MS);
	store_bind_int(st, 5, PAGE_ROWS);
	ct_err err = CT_OK;
	int rc = STORE_DONE;
	*rows = 0;
	while (!err && (rc = store_step(st)) == STORE_ROW) {
		*after = store_col_int(st, 0);
		(*rows)++;
		uint8_t *s = conv_state(x, store_col_int(st, 1));
		const char *direction = store_col_text(st, 3);
		if (strcmp(direction, "in") == 0) {
			if (!store_col_is_null(st, 7))
				err = replay_row(x, c, st, s);
			if (s)
				*s = (uint8_t)((*s & ~CONV_LAST) | CONV_IN);
		} else if (strcmp(direction, "out") == 0 && !store_col_int(st, 4) && s) {
			*s = (uint8_t)((*s & ~CONV_LAST) | CONV_ANSWERED);
		}
	}
	if (!err && rc == STORE_ERROR)
		err = store_stmt_error(st);
	store_reset(st);
	return err;
}

ct_err rp_replay_store(rp_run *x)
{
	store_conn *c = store_reader_acquire(x->s);
	ct_err err = rp_load_channels(x, c);
	store_reader_release(x->s, c);
	int64_t after = 0, rows = PAGE_ROWS;
	while (!err && rows == PAGE_ROWS) {
		c = store_reader_acquire(x->s);
		err = first_conversations(x, c, &after, &rows);
		store_reader_release(x->s, c);
	}
	int contacts = x->draft.uses_contact || (x->compare && x->active.uses_contact);
	const char *sql = contacts ? SQL_PAGE_CONTACTS : SQL_PAGE;
	after = 0;
	rows = PAGE_ROWS;
	while (!err && rows == PAGE_ROWS) {
		c = store_reader_acquire(x->s);
		err = message_page(x, c, sql, &after, &rows);
		store_reader_release(x->s, c);
	}
	return err;
}

/* ---- JSON lines ----------------------------------------------------------- */

/* Note a line the replay skipped (the first few are named in the report). */
static void input_error(rp_run *x, const char *field, const char *msg)
{
	x->invalid++;
	if (json_array_size(x->input_errors) >= INPUT_ERRORS_MAX)
		return;
	char line[512];
	snprintf(line, sizeof(line), "line %lld: %s%s%.400s", (long long)x->lines, field,
		 field[0] ? ": " : "", msg);
	json_array_append_new(x->input_errors, json_string(line));
}

/* Replay the messages of one parsed line. */
static ct_err replay_batch(rp_run *x, const ingest_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const ingest_message *im = &b->msgs[i];
		if (im->created_at < x->from || im->created_at >= x->to)
			continue;
		const rp_channel *ch = rp_channel_find(x, NULL, 0, im->channel);
		uint64_t conv = im->thread_id ? rp_hash("t", im->channel, im->thread_id)
					      : rp_hash("a", im->channel, im->author_id);
		rp_msg m = {.id = x->lines,
			    .conversation_id = (int64_t)(conv >> 1),
			    .at = im->created_at,
			    .channel_name = im->channel,
			    .channel_kind = ch ? ch->kind : "",
			    .text = im->text,
			    .len = strlen(im->text)};
		m.opens = rp_set_add(&x->conversations, conv);
		int new_author = rp_set_add(&x->authors, rp_hash("c", im->channel, im->author_id));
		m.first_contact = m.opens && new_author;
		ct_err err = rp_replay_one(x, &m);
		if (err)
			return err;
	}
	return CT_OK;
}

/* Read one line (without its end) into line; 0 at the end of the input.
 * *too_long is set when the line passed LINE_MAX_BYTES (the rest is
 * skipped). */
static int read_line(FILE *f, buf *line, int *too_long)
{
	char chunk[16384];
	buf_reset(line);
	*too_long = 0;
	int any = 0;
	while (fgets(chunk, sizeof(chunk), f)) {
		any = 1;
		size_t n = strlen(chunk);
		int end = n > 0 && chunk[n - 1] == '\n';
		if (end)
			n--;
		if (!*too_long && buf_append(line, chunk, n) != CT_OK)
			*too_long = 1;
		if (end)
			break;
	}
	while (line->len && line->data[line->len - 1] == '\r')
		line->data[--line->len] = '\0';
	return any;
}

ct_err rp_replay_jsonl(rp_run *x)
{
	if (x->s) {
		store_conn *c = store_reader_acquire(x->s);
		ct_err err = rp_load_channels(x, c);
		store_reader_release(x->s, c);
		if (err)
			return err;
	}
	ingest_options lim = {.max_batch = 100000, .max_text = LINE_MAX_BYTES};
	int64_t now = time_now_ms();
	buf line;
	buf_init(&line, LINE_MAX_BYTES);
	ct_err err = CT_OK;
	int too_long;
	while (!err && read_line(x->o->jsonl, &line, &too_long)) {
		x->lines++;
		if (too_long) {
			input_error(x, "", "the line is longer than 1 MiB");
			continue;
		}
		size_t i = 0;
		while (i < line.len && (line.data[i] == ' ' || line.data[i] == '\t'))
			i++;
		if (i == line.len)
			continue;
		json_error_t je;
		json_t *root = json_loadb(line.data, line.len, 0, &je);
		if (!root) {
			input_error(x, "", je.text);
			continue;
		}
		ingest_batch b;
		if (ingest_parse(root, &lim, now, &b) != CT_OK)
			input_error(x, b.err_field, buf_cstr(&b.err_msg));
		else
			err = replay_batch(x, &b);
		ingest_batch_free(&b);
	}
	if (!err && ferror(x->o->jsonl))
		err = CT_ERR_IO;
	buf_free(&line);
	return err;
}

/*
 * replay_internal.h: what the replay simulator's files share (internal to
 * triage/; see replay.h): the message as the sources hand it over, the
 * state of a run, the counters the report is made of, and small sets of
 * ids.
 *
 * replay.c runs the concepts on each message and assembles the report;
 * replay_sources.c reads the messages (store or JSON lines);
 * replay_stats.c counts; replay_print.c prints the report.
 */
#ifndef CT_REPLAY_INTERNAL_H
#define CT_REPLAY_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "triage/replay.h"

enum {
	RP_TARGETS = 3, /* first_response, next_response, resolution */
	RP_BUCKETS = 6, /* five time spans and "never" */
	RP_HOURS = 7 * 24,
};

/* The fields compared between the draft and the active concept. */
enum { RP_F_INTENT, RP_F_TEAM, RP_F_PRIORITY, RP_F_ACTION, RP_F_SLA, RP_FIELDS };

/* One incoming message as a source hands it over. Strings are borrowed
 * until the next message. */
typedef struct rp_msg {
	int64_t id; /* message id; the line number for JSON lines */
	int64_t conversation_id;
	int64_t at; /* when it arrived (see replay.h) */
	const char *channel_name, *channel_kind;
	const char *text;
	size_t len;
	const char *attributes; /* the contact's attributes (JSON text) or NULL */
	int opens;              /* the first message of its conversation */
	int after_answer;       /* the team answered the message before it */
	int first_contact;
} rp_msg;

/* Counters by name; each entry may carry n_cells more counters. */
typedef struct rp_entry {
	char *key; /* owned */
	int64_t n;
	int64_t *cells; /* owned; NULL when n_cells is 0 */
} rp_entry;

typedef struct rp_tally {
	rp_entry *items;
	size_t n, cap, n_cells;
} rp_tally;

void rp_tally_init(rp_tally *t, size_t n_cells);
void rp_tally_free(rp_tally *t);
/* The entry for key, added (zeroed) when new. Borrowed from t. */
rp_entry *rp_tally_get(rp_tally *t, const char *key);

/* A set of 64-bit keys (open addressing). */
typedef struct rp_set {
	uint64_t *slots;
	size_t n, cap;
	int has_zero;
} rp_set;

/* 1 when key was not in s yet (and is now). */
int rp_set_add(rp_set *s, uint64_t key);
void rp_set_clear(rp_set *s);
void rp_set_free(rp_set *s);
/* A 64-bit hash of the NUL-separated strings a, b, c (any may be NULL). */
uint64_t rp_hash(const char *a, const char *b, const char *c);

/* Everything the report counts. */
typedef struct rp_stats {
	size_t max_examples;
	const calendar *cal; /* the draft's, for the hours of the week */
	int64_t messages, late, first_at, last_at;
	rp_tally intent, team, language, channel, action, priority;
	rp_tally sla; /* cells: RP_TARGETS x RP_BUCKETS */
	int64_t no_sla;
	int64_t needs_answer, load[RP_HOURS];
	rp_tally team_load; /* cells: RP_HOURS */
	int64_t unmatched;
	json_t *unmatched_examples;
	int64_t after_hours, after_hours_replies, first_contacts, first_contact_replies;
	int64_t unowned;
	int compared; /* an active concept was given */
	int64_t changed, field_changed[RP_FIELDS];
	json_t *diff_examples;
} rp_stats;

void rp_stats_init(rp_stats *st, const calendar *cal, size_t max_examples, int compared);
void rp_stats_free(rp_stats *st);

/* Count message m as the draft k decided it (r). replies: which automatic
 * replies would go out for it (bit 1: after hours, bit 2: first contact). */
void rp_stats_add(rp_stats *st, const concept *k, const rp_msg *m, const triage_result *r,
		  int replies);

/* Compare the draft's decision d with the active one's a for m. */
void rp_stats_diff(rp_stats *st, const rp_msg *m, const triage_result *d, const triage_result *a);

/* The counted parts of the report, added to report (see replay.h). */
void rp_stats_json(const rp_stats *st, json_t *report);

/* The first 120 characters of text (len bytes), whitespace runs as one
 * space, invalid UTF-8 as '?'. New reference. */
json_t *rp_excerpt(const char *text, size_t len);

/* An RFC 3339 string for ms, or JSON null for 0 / INT64_MAX. New reference. */
json_t *rp_time_json(int64_t ms);

/* One concept's side of the replay. */
typedef struct rp_side {
	triage_engine *e; /* borrowed */
	const concept *k;
	text_analyzer *ta; /* owned; NULL for the active side when it shares the draft's */
	triage_result r;
	int uses_contact; /* a rule looks at contact attributes */
} rp_side;

typedef struct rp_channel {
	int64_t id;
	char *name, *kind; /* owned */
} rp_channel;

/* One run of triage_replay. */
typedef struct rp_run {
	const replay_options *o;
	store *s;
	rp_side draft, active;
	int compare;
	int64_t from, to; /* the period; to is INT64_MAX when open */
	rp_stats st;
	/* After-hours replies go out once per conversation and closed period:
	 * the (conversation, period) pairs replied to since the latest period
	 * began (messages come in time order, so older ones are done). */
	int64_t period;
	rp_set replied;
	rp_channel *channels;
	size_t n_channels;
	/* Store: each conversation's state by id (see replay_sources.c). */
	uint8_t *convs;
	size_t n_convs;
	/* JSON lines: authors and conversations seen, the input's problems. */
	rp_set authors, conversations;
	int64_t lines, invalid;
	json_t *input_errors;
} rp_run;

/* Replay one message with the draft (and the active concept). */
ct_err rp_replay_one(rp_run *x, const rp_msg *m);

/* Read every channel's name and kind into x (replacing what it had). */
ct_err rp_load_channels(rp_run *x, store_conn *c);

/* The channel with id (0: with name); when an id is unknown and c is
 * given, the channels are read again. NULL when unknown. Borrowed from x. */
const rp_channel *rp_channel_find(rp_run *x, store_conn *c, int64_t id, const char *name);

/* Replay the period's messages from the store, or from x->o->jsonl. */
ct_err rp_replay_store(rp_run *x);
ct_err rp_replay_jsonl(rp_run *x);

#endif

/*
 * replay.h: the replay simulator, what a draft dialog concept would have
 * done with the messages of a past period.
 *
 * triage_replay runs the draft concept over every incoming message of a
 * period (from the store, or from a file of JSON lines in the ingest
 * format) and reports, without changing anything in the database: the
 * volume per intent, team, language, channel, action and priority; when
 * the SLA targets would fall due; the load of the agents per hour of the
 * week and per team; the messages that no rule matches; the automatic
 * replies that would go out; and, given the active concept, which messages
 * would be handled differently and how.
 *
 * How a message is seen:
 *  - Its time is when it arrived, received_at; a message stored more than
 *    an hour after it was written (imported history, a backfill, whose
 *    received_at is the time of the import) is timed by created_at
 *    instead. The period, office hours, load and due times all use that
 *    time; messages are taken in the order they were stored (by id, which
 *    rises with received_at).
 *  - first_contact: the message is the first of its conversation and the
 *    conversation is its contact's first (no conversation with a lower id).
 *  - SLA clocks as ingest starts them: a message that opens its
 *    conversation starts first_response and resolution; one that follows
 *    an answer of the team (not an automatic reply) starts next_response;
 *    one that follows another unanswered message starts none. Each with
 *    the message's own policy.
 *  - From JSON lines: the time is created_at; a conversation is the
 *    thread_id on the channel, else the author on the channel; there are no
 *    answers, so no next_response; the channel's kind comes from the store
 *    when it knows the channel.
 *
 * The text is analysed with analyzers of the replay's own (not the calling
 * thread's, which serve the live concept), shared between the draft and
 * the active concept when both detect the same languages.
 *
 * Report (JSON), keys in this order:
 *   {"concept": {"name", "version_id": null, "rules", "time_zone"},
 *    "active": {"name", "version_id"} | null,
 *    "source": "store" | "jsonl",
 *    "period": {"from", "to", "first_message", "last_message"}
 *              (RFC 3339 or null),
 *    "messages": N, "late_timed_by_created_at": N,
 *    "input": {"lines", "invalid", "errors": ["line 3: text: ..."]}  (jsonl only),
 *    "volume": {"intent": {"outage": N, "none": N, ...}, "team", "language",
 *               "channel", "action", "priority"}   (each {name: count}, largest first),
 *    "sla": {"buckets": [{"key": "le_1h", "label": "≤ 1h"}, ...],
 *            "policies": {"standard": {"messages": N,
 *                 "first_response": {"le_1h": N, "1h_4h": N, "4h_24h": N,
 *                                    "1d_3d": N, "gt_3d": N, "never": N},
 *                 "next_response": {...}, "resolution": {...}}},
 *            "no_policy": N},
 *    "load": {"time_zone", "needs_answer": N,
 *             "by_hour": [[24 counts] x 7, Monday first],
 *             "by_team": {"Kundenservice": [[24] x 7], ...}},
 *    "unmatched": {"count": N, "examples": [{"id", "channel", "text"}]},
 *    "after_hours": {"messages": N, "auto_replies": N},
 *    "first_contact": {"messages": N, "auto_replies": N},
 *    "language_unowned": N,
 *    "diff": null | {"changed": N,
 *             "fields": {"intent": N, "team": N, "priority": N, "action": N, "sla": N},
 *             "examples": [{"id", "channel", "text", "summary",
 *                           "changes": [{"field", "from", "to"}]}]}}
 * "none" stands for no intent / no team / no policy; example texts are the
 * first 120 characters. An "id" from JSON lines is the line number.
 */
#ifndef CT_REPLAY_H
#define CT_REPLAY_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"
#include "triage/concept.h"
#include "triage/triage.h"

typedef struct replay_options {
	const char *draft_source; /* the draft concept's YAML */
	size_t draft_len;
	int64_t from_ms, to_ms; /* the period, [from, to); to_ms <= 0: no end */
	FILE *jsonl;            /* messages as JSON lines instead of the store, or NULL */
	triage_engine *active;  /* the active concept to compare with (borrowed), or NULL */
	size_t max_examples;    /* unmatched and changed examples kept each (0: none) */
} replay_options;

/*
 * Replay the draft over the period (see above) and put the report into
 * *report (a new reference for the caller). Reads through one reader
 * connection at a time; writes nothing. s may be NULL when o->jsonl is set.
 * CT_ERR_INVALID with errs filled (owned by the caller, start it as {0})
 * when the draft does not parse; CT_ERR_STORE, CT_ERR_IO when reading
 * failed; CT_ERR_INTERNAL when no text analyzer could be made for the
 * concept's languages. *report is NULL on any error.
 */
ct_err triage_replay(store *s, const replay_options *o, json_t **report, concept_errors *errs);

/* The report as readable text for the CLI, appended to out. */
void triage_replay_print(const json_t *report, buf *out);

#endif

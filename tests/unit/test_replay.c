/*
 * test_replay.c: unit tests for the replay simulator (src/triage/replay.c):
 * a hand-written draft concept (German and English intents, rules, office
 * hours, SLA policies, teams, automatic replies) replayed over a week of
 * messages stored through ingest without triage, on a temporary SQLite
 * file or, when CLUETRAIN_TEST_PG holds the admin URL of a throwaway
 * cluster (tests/pg/cluster.sh), a fresh PostgreSQL database. Checked
 * exactly: the volume per intent, team, language, channel, action and
 * priority; the SLA due-time buckets; the load per hour of the week and per
 * team; unmatched messages; after-hours and first-contact replies; the
 * period's bounds; messages timed by received_at and (imported history) by
 * created_at; the differences from an active concept, with the shared and
 * the separate text analysis; that the database is the same before and
 * after, row for row; JSON lines as input; a bad draft.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/timeutil.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "store_fixture.h"
#include "triage/replay.h"

/* The week replayed: Monday 2025-11-17 00:00 to Monday 2025-11-24 00:00,
 * Europe/Berlin (UTC+1 in November). */
#define FROM_MS 1763334000000LL /* 2025-11-16T23:00:00Z */
#define TO_MS 1763938800000LL   /* 2025-11-23T23:00:00Z */

static const char DRAFT[] =
	"name: Testkonzept Replay\n"
	"time_zone: Europe/Berlin\n"
	"office_hours:\n"
	"  mon: [\"08:00-18:00\"]\n"
	"  tue: [\"08:00-18:00\"]\n"
	"  wed: [\"08:00-18:00\"]\n"
	"  thu: [\"08:00-18:00\"]\n"
	"  fri: [\"08:00-18:00\"]\n"
	"  sat: closed\n"
	"  sun: closed\n"
	"holidays: {state: NW}\n"
	"languages:\n"
	"  de: {team: Kundenservice}\n"
	"  en: {team: International}\n"
	"fallback_team: Kundenservice\n"
	"teams:\n"
	"  Kundenservice: {assignment: none}\n"
	"  Entstörung: {assignment: none}\n"
	"  International: {assignment: none}\n"
	"intents:\n"
	"  outage:\n"
	"    de: {keywords: [Stromausfall], phrases: [\"kein Strom\"]}\n"
	"    en: {keywords: [outage], phrases: [\"power is out\"]}\n"
	"  billing:\n"
	"    de: {keywords: [Rechnung]}\n"
	"    en: {keywords: [invoice, bill]}\n"
	"sla_policies:\n"
	"  standard: {clock: business, first_response: 4h, next_response: 8h, resolution: 5d}\n"
	"  urgent: {clock: always, first_response: 30m, next_response: 1h, resolution: 8h}\n"
	"defaults: {priority: normal, action: answer, sla: standard}\n"
	"rules:\n"
	"  - name: werbung\n"
	"    when: {keywords: [Gewinnspiel]}\n"
	"    then: {priority: low, action: ignore}\n"
	"    stop: true\n"
	"  - name: stoerung\n"
	"    when: {intent: [outage]}\n"
	"    then: {priority: urgent, team: Entstörung, action: escalate, sla: urgent}\n"
	"  - name: rechnung\n"
	"    when: {intent: [billing]}\n"
	"    then: {team: Kundenservice}\n"
	"  - name: gewerbe\n"
	"    when: {contact: {kundengruppe: gewerbe}}\n"
	"    then: {tags: [gewerbe]}\n"
	"auto_replies:\n"
	"  after_hours:\n"
	"    de: \"Wir melden uns ab {{office_hours.next_open}}.\"\n"
	"    en: \"We will reply from {{office_hours.next_open}}.\"\n"
	"  first_contact:\n"
	"    de: \"Willkommen!\"\n"
	"    en: \"Welcome!\"\n";

/* The live concept: outages to Kundenservice with high priority, no
 * billing intent, no rule for advertising. LANGUAGES is its languages
 * block: the draft's order (one analysis serves both) or another. */
#define ACTIVE(LANGUAGES)                                                                   \
	"name: Aktives Konzept\n"                                                           \
	"time_zone: Europe/Berlin\n"                                                        \
	"office_hours: {mon: [\"08:00-18:00\"], tue: [\"08:00-18:00\"],"                    \
	" wed: [\"08:00-18:00\"], thu: [\"08:00-18:00\"], fri: [\"08:00-18:00\"]}\n"        \
	"languages:\n" LANGUAGES "fallback_team: Kundenservice\n"                           \
	"teams: {Kundenservice: {assignment: none}, International: {assignment: none}}\n"   \
	"intents:\n"                                                                        \
	"  outage:\n"                                                                       \
	"    de: {keywords: [Stromausfall], phrases: [\"kein Strom\"]}\n"                   \
	"    en: {keywords: [outage], phrases: [\"power is out\"]}\n"                       \
	"sla_policies:\n"                                                                   \
	"  standard: {clock: business, first_response: 4h, next_response: 8h, resolution: " \
	"5d}\n"                                                                             \
	"defaults: {priority: normal, action: answer, sla: standard}\n"                     \
	"rules:\n"                                                                          \
	"  - name: stoerung\n"                                                              \
	"    when: {intent: [outage]}\n"                                                    \
	"    then: {priority: high, team: Kundenservice}\n"

static const char ACTIVE_SAME[] =
	ACTIVE("  de: {team: Kundenservice}\n  en: {team: International}\n");
static const char ACTIVE_OTHER[] =
	ACTIVE("  en: {team: International}\n  de: {team: Kundenservice}\n");

/* One incoming message: the external id names it in the tests. */
typedef struct msg {
	const char *id, *channel, *author, *thread, *time, *text;
} test_msg;

/* Before the week: outside the period. */
static const test_msg BEFORE[] = {
	{"z1", "mail", "z", NULL, "2025-11-10T10:00:00+01:00",
	 "Ich habe eine Frage zu meiner Rechnung vom letzten Monat, bitte melden Sie sich."},
	{"a1", "mail", "a", NULL, "2025-11-17T10:00:00+01:00",
	 "Seit heute Morgen haben wir im ganzen Haus einen Stromausfall, bitte helfen Sie uns "
	 "schnell."},
};
/* After an agent's answer to a1. */
static const test_msg MIDDLE[] = {
	{"a2", "mail", "a", NULL, "2025-11-17T10:30:00+01:00",
	 "Danke für die schnelle Antwort! Wann können wir denn ungefähr wieder mit Elektrizität "
	 "rechnen?"},
	{"b1", "mail", "b", NULL, "2025-11-17T20:00:00+01:00",
	 "Ich habe eine Frage zu meiner letzten Rechnung, der Betrag ist leider viel zu hoch."},
	{"c1", "facebook", "c", NULL, "2025-11-18T07:00:00+01:00",
	 "Hello, my power is out since this morning and the whole street is dark, please help "
	 "us."},
	{"c1b", "facebook", "c", NULL, "2025-11-18T07:30:00+01:00",
	 "Still waiting here, the power is out in the whole street and it is getting cold now."},
};
/* After an automatic reply to c. */
static const test_msg LATE[] = {
	{"c2", "facebook", "c", NULL, "2025-11-18T09:00:00+01:00",
	 "Is there any update? The power is out for hours now and nobody tells us anything."},
	{"e1", "mail", "e", NULL, "2025-11-19T14:00:00+01:00",
	 "Guten Tag,\n\nich möchte Ihnen gerne meinen aktuellen Zählerstand für die Wohnung in "
	 "der Gartenstraße mitteilen, er beträgt 12345 Kilowattstunden."},
	{"f1", "mail", "f", NULL, "2025-11-19T15:00:00+01:00",
	 "Good afternoon, could you please tell me the opening hours of your customer centre in "
	 "town?"},
	{"g1", "mail", "g", NULL, "2025-11-19T22:00:00+01:00",
	 "Großes Gewinnspiel! Jetzt mitmachen und gewinnen, nur heute im Angebot für Sie und "
	 "Ihre Familie."},
	{"b2", "mail", "b", "t2", "2025-11-20T09:00:00+01:00",
	 "Ich habe noch eine zweite Rechnung bekommen, die ich leider überhaupt nicht verstehe."},
	{"d1", "facebook", "d", NULL, "2025-11-22T11:00:00+01:00",
	 "Hello, I would like to ask about my invoice from last month, the amount seems wrong to "
	 "me."},
};

/* ---- The store ---------------------------------------------------------- */

/* SQL and text parameters for a write. */
typedef struct sql_write {
	const char *sql;
	const char *p[4];
} sql_write;

static ct_err run_write(store_conn *c, void *arg)
{
	const sql_write *w = arg;
	store_stmt *st = store_prepare(c, w->sql);
	if (!st)
		return CT_ERR_STORE;
	for (int i = 0; i < 4 && w->p[i]; i++)
		store_bind_text(st, i + 1, w->p[i]);
	return store_run(st);
}

static void write_sql(store *s, const char *sql, const char *a, const char *b, const char *c)
{
	sql_write w = {sql, {a, b, c, NULL}};
	assert_int_equal(store_write(s, run_write, &w), CT_OK);
}

/* An outbound message in the conversation of the message with external
 * id `after`, ten minutes after it; key is its idempotency key. */
static void add_outbound(store *s, const char *after, const char *direction, const char *key)
{
	write_sql(s,
		  "INSERT INTO messages (conversation_id, channel_id, direction, author_name, text,"
		  " created_at, received_at, delivery_state, idempotency_key)"
		  " SELECT conversation_id, channel_id, $2, 'Agent', 'Wir kümmern uns darum.',"
		  " created_at + 600000, created_at + 600000, 'sent', $3 FROM messages"
		  " WHERE external_id = $1",
		  after, direction, key);
}

/* Store msgs through ingest, untriaged. */
static void ingest(store *s, const test_msg *msgs, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:{s:s}, s:s, s:s}", "channel", msgs[i].channel,
				      "external_id", msgs[i].id, "author", "id", msgs[i].author,
				      "created_at", msgs[i].time, "text", msgs[i].text);
		if (msgs[i].thread)
			json_object_set_new(o, "thread_id", json_string(msgs[i].thread));
		json_array_append_new(arr, o);
	}
	ingest_options opt = {.max_batch = 100,
			      .max_text = 65536,
			      .reopen_window_ms = 7LL * 86400000,
			      .triage = NULL,
			      .reply_attempts = 3,
			      .auto_reply_author = "Bot"};
	ingest_batch b;
	assert_int_equal(ingest_parse(arr, &opt, time_now_ms(), &b), CT_OK);
	ct_err err = ingest_commit(s, &opt, &b);
	if (err)
		fail_msg("ingest_commit: %d %s", (int)err, buf_cstr(&b.err_msg));
	ingest_batch_free(&b);
}

static int setup(void **state)
{
	fixture *f = store_fixture_open("replay");
	if (!f)
		return -1;
	write_sql(f->s,
		  "INSERT INTO channels (kind, name, created_at) VALUES ('email', 'mail', 1),"
		  " ('facebook', 'facebook', 1)",
		  NULL, NULL, NULL);
	ingest(f->s, BEFORE, sizeof(BEFORE) / sizeof(BEFORE[0]));
	add_outbound(f->s, "a1", "out", "reply:a1");
	ingest(f->s, MIDDLE, sizeof(MIDDLE) / sizeof(MIDDLE[0]));
	add_outbound(f->s, "c1b", "out", "auto:after_hours:test");
	add_outbound(f->s, "c1b", "note", NULL);
	ingest(f->s, LATE, sizeof(LATE) / sizeof(LATE[0]));
	static const char contact_sql[] =
		"UPDATE contacts SET attributes = $2 WHERE id ="
		" (SELECT contact_id FROM identities WHERE external_id = $1)";
	write_sql(f->s, contact_sql, "f", "{\"kundengruppe\": \"gewerbe\"}", NULL);
	write_sql(f->s, contact_sql, "e", "{\"kundengruppe\": \"privat\"}", NULL);
	write_sql(f->s, contact_sql, "a", "[\"kein Objekt\"]", NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	store_fixture_close(*state);
	return 0;
}

/* ---- Looking at the database and the report ------------------------------ */

/* A fingerprint of the database: row counts of every table replay might
 * touch and a hash of every column of messages and conversations. */
static uint64_t fingerprint(store *s)
{
	static const char *const queries[] = {
		"SELECT count(*) FROM contacts",
		"SELECT count(*) FROM identities",
		"SELECT count(*) FROM jobs",
		"SELECT count(*) FROM sla_events",
		"SELECT count(*) FROM concept_versions",
		"SELECT count(*) FROM conversation_tags",
		"SELECT count(*) FROM tags",
		"SELECT id, conversation_id, channel_id, direction, external_id, identity_id, text,"
		" created_at, received_at, language, intent, sentiment, triage, delivery_state,"
		" idempotency_key FROM messages ORDER BY id",
		"SELECT id, channel_id, contact_id, status, priority, language, team_id,"
		" assignee_id, message_count, last_activity_at, first_response_at, intent, action,"
		" triage, sla_policy, waiting_since, first_response_due_at, next_response_due_at,"
		" resolution_due_at FROM conversations ORDER BY id",
	};
	static const int columns[] = {1, 1, 1, 1, 1, 1, 1, 15, 19};
	uint64_t h = 0xcbf29ce484222325ULL;
	store_conn *c = store_reader_acquire(s);
	for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
		store_stmt *st = store_prepare(c, queries[q]);
		assert_non_null(st);
		int rows = 0;
		while (store_step(st) == STORE_ROW) {
			rows++;
			for (int i = 0; i < columns[q]; i++) {
				const char *v = store_col_text(st, i);
				for (const char *p = v ? v : "\x01"; *p; p++)
					h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
				h = (h ^ 0xff) * 0x100000001b3ULL;
			}
		}
		h = (h ^ (uint64_t)rows) * 0x100000001b3ULL;
		store_reset(st);
	}
	store_reader_release(s, c);
	return h;
}

/* The value at a dotted path ("volume.intent.outage", "load.by_hour.0.10"). */
static const json_t *at(const json_t *r, const char *path)
{
	char key[128];
	const json_t *v = r;
	while (*path && v) {
		size_t n = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (json_is_array(v))
			v = json_array_get(v, strtoul(key, NULL, 10));
		else
			v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

/* The integer at path; fails the test when there is none. */
static json_int_t num(const json_t *r, const char *path)
{
	const json_t *v = at(r, path);
	if (!json_is_integer(v))
		fail_msg("no integer at %s", path);
	return json_integer_value(v);
}

/* Expect the {name: count} object at path to be exactly the given pairs
 * (NULL-ended list of name, count). */
static void expect_counts(const json_t *r, const char *path, ...)
{
	const json_t *o = at(r, path);
	assert_true(json_is_object(o));
	va_list ap;
	va_start(ap, path);
	size_t n = 0;
	const char *name;
	while ((name = va_arg(ap, const char *))) {
		int want = va_arg(ap, int);
		const json_t *v = json_object_get(o, name);
		if (!json_is_integer(v) || json_integer_value(v) != want)
			fail_msg("%s.%s: %lld, expected %d", path, name,
				 (long long)json_integer_value(v), want);
		n++;
	}
	va_end(ap);
	if (json_object_size(o) != n)
		fail_msg("%s has %zu entries, expected %zu", path, json_object_size(o), n);
}

/* The message id of the message with external id ext. */
static int64_t message_id(store *s, const char *ext)
{
	store_conn *c = store_reader_acquire(s);
	store_stmt *st = store_prepare(c, "SELECT id FROM messages WHERE external_id = $1");
	assert_non_null(st);
	store_bind_text(st, 1, ext);
	int64_t id = 0;
	assert_int_equal(store_one_int(st, &id), CT_OK);
	store_reader_release(s, c);
	return id;
}

static json_t *replay(store *s, triage_engine *active, FILE *jsonl)
{
	replay_options o = {.draft_source = DRAFT,
			    .draft_len = strlen(DRAFT),
			    .from_ms = FROM_MS,
			    .to_ms = TO_MS,
			    .jsonl = jsonl,
			    .active = active,
			    .max_examples = 20};
	json_t *report = NULL;
	concept_errors errs = {0};
	ct_err err = triage_replay(s, &o, &report, &errs);
	if (err)
		fail_msg("triage_replay: %d (%zu concept errors: %s)", (int)err, errs.n,
			 errs.n ? errs.items[0].message : "");
	concept_errors_free(&errs);
	assert_non_null(report);
	return report;
}

static triage_engine *engine(const char *yaml)
{
	concept *k = NULL;
	concept_errors errs = {0};
	ct_err err = concept_parse(yaml, strlen(yaml), &k, &errs);
	if (err)
		fail_msg("concept: %s: %s", errs.n ? errs.items[0].path : "",
			 errs.n ? errs.items[0].message : "");
	concept_errors_free(&errs);
	return triage_engine_new(k, 7);
}

/* ---- Tests -------------------------------------------------------------- */

/* What the week's eleven messages come to under the draft (compared: an
 * active concept was given; e1_late: e1 was received half an hour after it
 * was written, which moves its first response to the next morning). */
static void expect_week(const json_t *r, int compared, int e1_late)
{
	assert_int_equal(num(r, "messages"), 11);
	assert_string_equal(json_string_value(at(r, "concept.name")), "Testkonzept Replay");
	assert_int_equal(num(r, "concept.rules"), 4);
	assert_true(json_is_null(at(r, "concept.version_id")));
	assert_string_equal(json_string_value(at(r, "source")), "store");
	assert_string_equal(json_string_value(at(r, "period.from")), "2025-11-16T23:00:00.000Z");
	assert_string_equal(json_string_value(at(r, "period.to")), "2025-11-23T23:00:00.000Z");
	assert_string_equal(json_string_value(at(r, "period.first_message")),
			    "2025-11-17T09:00:00.000Z");
	assert_string_equal(json_string_value(at(r, "period.last_message")),
			    "2025-11-22T10:00:00.000Z");

	expect_counts(r, "volume.intent", "outage", 4, "billing", 3, "none", 4, NULL);
	expect_counts(r, "volume.team", "Kundenservice", 6, "Entstörung", 4, "International", 1,
		      NULL);
	expect_counts(r, "volume.language", "de", 6, "en", 5, NULL);
	expect_counts(r, "volume.channel", "mail", 7, "facebook", 4, NULL);
	expect_counts(r, "volume.action", "answer", 6, "escalate", 4, "ignore", 1, NULL);
	expect_counts(r, "volume.priority", "normal", 6, "urgent", 4, "low", 1, NULL);

	/* urgent (always): a1 and c1 open conversations; c1b and c2 follow
	 * unanswered messages (the automatic reply is no answer) */
	assert_int_equal(num(r, "sla.policies.urgent.messages"), 4);
	expect_counts(r, "sla.policies.urgent.first_response", "le_1h", 2, "1h_4h", 0, "4h_24h", 0,
		      "1d_3d", 0, "gt_3d", 0, "never", 0, NULL);
	expect_counts(r, "sla.policies.urgent.next_response", "le_1h", 0, "1h_4h", 0, "4h_24h", 0,
		      "1d_3d", 0, "gt_3d", 0, "never", 0, NULL);
	expect_counts(r, "sla.policies.urgent.resolution", "le_1h", 0, "1h_4h", 0, "4h_24h", 2,
		      "1d_3d", 0, "gt_3d", 0, "never", 0, NULL);
	/* standard (business hours): e1, b2 due in 4 h; b1 (Mon 20:00), f1
	 * (Wed 15:00), g1 (Wed 22:00) the next morning; d1 (Sat) on Monday;
	 * a2 follows the agent's answer: next response Tue 08:30 */
	assert_int_equal(num(r, "sla.policies.standard.messages"), 7);
	expect_counts(r, "sla.policies.standard.first_response", "le_1h", 0, "1h_4h", 2 - e1_late,
		      "4h_24h", 3 + e1_late, "1d_3d", 1, "gt_3d", 0, "never", 0, NULL);
	expect_counts(r, "sla.policies.standard.next_response", "le_1h", 0, "1h_4h", 0, "4h_24h", 1,
		      "1d_3d", 0, "gt_3d", 0, "never", 0, NULL);
	expect_counts(r, "sla.policies.standard.resolution", "le_1h", 0, "1h_4h", 0, "4h_24h", 0,
		      "1d_3d", 0, "gt_3d", 6, "never", 0, NULL);
	assert_int_equal(num(r, "sla.no_policy"), 0);
	assert_int_equal(json_array_size(at(r, "sla.buckets")), 6);

	/* load: everything but the advertisement, by local hour */
	assert_string_equal(json_string_value(at(r, "load.time_zone")), "Europe/Berlin");
	assert_int_equal(num(r, "load.needs_answer"), 10);
	assert_int_equal(num(r, "load.by_hour.0.10"), 2);
	assert_int_equal(num(r, "load.by_hour.0.20"), 1);
	assert_int_equal(num(r, "load.by_hour.1.7"), 2);
	assert_int_equal(num(r, "load.by_hour.1.9"), 1);
	assert_int_equal(num(r, "load.by_hour.2.14"), 1);
	assert_int_equal(num(r, "load.by_hour.2.15"), 1);
	assert_int_equal(num(r, "load.by_hour.2.22"), 0);
	assert_int_equal(num(r, "load.by_hour.3.9"), 1);
	assert_int_equal(num(r, "load.by_hour.5.11"), 1);
	json_int_t sum = 0;
	for (size_t d = 0; d < 7; d++)
		for (size_t h = 0; h < 24; h++)
			sum += json_integer_value(
				json_array_get(json_array_get(at(r, "load.by_hour"), d), h));
	assert_int_equal(sum, 10);
	assert_int_equal(num(r, "load.by_team.Entstörung.0.10"), 1);
	assert_int_equal(num(r, "load.by_team.Entstörung.1.7"), 2);
	assert_int_equal(num(r, "load.by_team.Entstörung.1.9"), 1);
	assert_int_equal(num(r, "load.by_team.Kundenservice.0.10"), 1);
	assert_int_equal(num(r, "load.by_team.International.2.15"), 1);
	assert_int_equal(json_object_size(at(r, "load.by_team")), 3);

	/* a2 and e1 match no rule; f1 only the one about its contact */
	assert_int_equal(num(r, "unmatched.count"), 2);
	const json_t *ex = at(r, "unmatched.examples");
	assert_int_equal(json_array_size(ex), 2);
	assert_string_equal(json_string_value(at(ex, "1.channel")), "mail");
	assert_string_equal(json_string_value(at(ex, "1.text")),
			    "Guten Tag, ich möchte Ihnen gerne meinen aktuellen Zählerstand für "
			    "die Wohnung in der Gartenstraße mitteilen, er beträgt…");
	/* after hours: b1, c1, c1b, g1, d1; replies to b1, c1 (c1b: the same
	 * conversation and night) and d1 (g1 is ignored); first contacts a,
	 * b, c, e, f, g, d: replies to a1, e1, f1 (the others got the
	 * after-hours one, or none) */
	assert_int_equal(num(r, "after_hours.messages"), 5);
	assert_int_equal(num(r, "after_hours.auto_replies"), 3);
	assert_int_equal(num(r, "first_contact.messages"), 7);
	assert_int_equal(num(r, "first_contact.auto_replies"), 3);
	assert_int_equal(num(r, "language_unowned"), 0);
	assert_int_equal(json_is_null(at(r, "diff")), !compared);
	assert_int_equal(json_is_null(at(r, "active")), !compared);
}

static void test_replay_store(void **state)
{
	fixture *f = *state;
	/* As stored: received_at is the time of the test, so every message is
	 * timed by created_at (history). */
	uint64_t before = fingerprint(f->s);
	json_t *r = replay(f->s, NULL, NULL);
	assert_int_equal(fingerprint(f->s), before);
	expect_week(r, 0, 0);
	assert_int_equal(num(r, "late_timed_by_created_at"), 11);
	json_int_t e1 = message_id(f->s, "e1");
	assert_int_equal(num(r, "unmatched.examples.1.id"), e1);
	buf out;
	buf_init(&out, 0);
	triage_replay_print(r, &out);
	assert_non_null(strstr(buf_cstr(&out), "Replay of the draft \"Testkonzept Replay\""));
	assert_non_null(strstr(buf_cstr(&out), "outage 4"));
	assert_non_null(strstr(buf_cstr(&out), "Matched by no rule: 2"));
	buf_free(&out);
	json_decref(r);

	/* Received as they were written (e1 half an hour later): timed by
	 * received_at. */
	write_sql(f->s,
		  "UPDATE messages SET received_at = created_at"
		  " + CASE WHEN external_id = $1 THEN 1800000 ELSE 0 END",
		  "e1", NULL, NULL);
	before = fingerprint(f->s);
	r = replay(f->s, NULL, NULL);
	assert_int_equal(fingerprint(f->s), before);
	expect_week(r, 0, 1);
	assert_int_equal(num(r, "late_timed_by_created_at"), 0);
	json_decref(r);
}

/* The differences from the active concept: outages change team,
 * priority, action and SLA; billing messages gain their intent (d1 also
 * its team); the advertisement is ignored now. */
static void expect_diff(store *s, const json_t *r)
{
	assert_string_equal(json_string_value(at(r, "active.name")), "Aktives Konzept");
	assert_int_equal(num(r, "active.version_id"), 7);
	assert_int_equal(num(r, "diff.changed"), 8);
	expect_counts(r, "diff.fields", "intent", 3, "team", 5, "priority", 5, "action", 5, "sla",
		      4, NULL);
	const json_t *ex = at(r, "diff.examples");
	assert_int_equal(json_array_size(ex), 8);
	char want[256];
	snprintf(want, sizeof(want),
		 "message %lld: team Kundenservice → Entstörung, priority high → urgent, action "
		 "answer → escalate, sla standard → urgent",
		 (long long)message_id(s, "a1"));
	assert_string_equal(json_string_value(at(ex, "0.summary")), want);
	assert_string_equal(json_string_value(at(ex, "0.changes.0.field")), "team");
	assert_string_equal(json_string_value(at(ex, "0.changes.0.from")), "Kundenservice");
	assert_string_equal(json_string_value(at(ex, "0.changes.0.to")), "Entstörung");
	snprintf(want, sizeof(want),
		 "message %lld: intent none → billing, team International → "
		 "Kundenservice",
		 (long long)message_id(s, "d1"));
	assert_string_equal(json_string_value(at(ex, "7.summary")), want);
	snprintf(want, sizeof(want), "message %lld: priority normal → low, action answer → ignore",
		 (long long)message_id(s, "g1"));
	assert_string_equal(json_string_value(at(ex, "5.summary")), want);
}

static void test_replay_compare(void **state)
{
	fixture *f = *state;
	uint64_t before = fingerprint(f->s);
	triage_engine *same = engine(ACTIVE_SAME), *other = engine(ACTIVE_OTHER);
	json_t *r = replay(f->s, same, NULL);
	expect_week(r, 1, 0); /* the draft's part is the same */
	expect_diff(f->s, r);
	buf out;
	buf_init(&out, 0);
	triage_replay_print(r, &out);
	assert_non_null(strstr(buf_cstr(&out), "Difference from the active concept: 8 messages"));
	assert_non_null(strstr(buf_cstr(&out), "team Kundenservice → Entstörung"));
	buf_free(&out);
	json_decref(r);
	/* languages in another order: each concept analyses for itself */
	r = replay(f->s, other, NULL);
	expect_diff(f->s, r);
	json_decref(r);
	triage_engine_unref(same);
	triage_engine_unref(other);
	assert_int_equal(fingerprint(f->s), before);
}

static void test_replay_jsonl(void **state)
{
	fixture *f = *state;
	FILE *in = tmpfile();
	assert_non_null(in);
	fputs("{\"channel\": \"mail\", \"external_id\": \"x1\", \"author\": {\"id\": \"a\"},"
	      " \"created_at\": \"2025-11-17T10:00:00+01:00\", \"text\": \"Seit heute Morgen haben"
	      " wir im ganzen Haus einen Stromausfall, bitte helfen Sie uns schnell.\"}\n"
	      "{not json\n"
	      "\n"
	      "{\"channel\": \"mail\", \"external_id\": \"x2\", \"author\": {\"id\": \"a\"},"
	      " \"created_at\": \"2025-11-17T10:30:00+01:00\", \"text\": \"Danke für die schnelle"
	      " Antwort! Wann können wir denn ungefähr wieder mit Elektrizität rechnen?\"}\r\n"
	      "{\"channel\": \"facebook\", \"external_id\": \"x3\", \"author\": {\"id\": \"d\"},"
	      " \"created_at\": \"2025-11-22T11:00:00+01:00\", \"text\": \"Hello, I would like to"
	      " ask about my invoice from last month, the amount seems wrong to me.\"}\n"
	      "{\"channel\": \"mail\", \"external_id\": \"x4\", \"author\": {\"id\": \"q\"}}\n"
	      "{\"channel\": \"mail\", \"external_id\": \"x5\", \"author\": {\"id\": \"q\"},"
	      " \"created_at\": \"2025-11-10T10:00:00+01:00\", \"text\": \"Vor der Woche.\"}",
	      in);
	rewind(in);
	uint64_t before = fingerprint(f->s);
	json_t *r = replay(f->s, NULL, in);
	assert_int_equal(fingerprint(f->s), before);
	assert_string_equal(json_string_value(at(r, "source")), "jsonl");
	assert_int_equal(num(r, "messages"), 3);
	assert_int_equal(num(r, "input.lines"), 7);
	assert_int_equal(num(r, "input.invalid"), 2);
	const json_t *errors = at(r, "input.errors");
	assert_int_equal(json_array_size(errors), 2);
	assert_true(strncmp(json_string_value(json_array_get(errors, 0)), "line 2: ", 8) == 0);
	assert_non_null(strstr(json_string_value(json_array_get(errors, 1)), "line 6: text: "));
	expect_counts(r, "volume.intent", "outage", 1, "billing", 1, "none", 1, NULL);
	expect_counts(r, "volume.channel", "mail", 2, "facebook", 1, NULL);
	expect_counts(r, "sla.policies.urgent.first_response", "le_1h", 1, "1h_4h", 0, "4h_24h", 0,
		      "1d_3d", 0, "gt_3d", 0, "never", 0, NULL);
	expect_counts(r, "sla.policies.standard.first_response", "le_1h", 0, "1h_4h", 0, "4h_24h",
		      0, "1d_3d", 1, "gt_3d", 0, "never", 0, NULL);
	assert_int_equal(num(r, "unmatched.count"), 1);
	assert_int_equal(num(r, "unmatched.examples.0.id"), 4);
	assert_int_equal(num(r, "after_hours.messages"), 1);
	assert_int_equal(num(r, "after_hours.auto_replies"), 1);
	assert_int_equal(num(r, "first_contact.messages"), 2);
	assert_int_equal(num(r, "first_contact.auto_replies"), 1);
	json_decref(r);
	/* without a store, too */
	rewind(in);
	r = replay(NULL, NULL, in);
	assert_int_equal(num(r, "messages"), 3);
	json_decref(r);
	fclose(in);
}

static void test_replay_bad_draft(void **state)
{
	fixture *f = *state;
	static const char bad[] = "name: Kaputt\ntime_zone: Europe/Berlin\nrules: 3\n";
	replay_options o = {.draft_source = bad, .draft_len = strlen(bad), .max_examples = 5};
	json_t *report = (json_t *)1;
	concept_errors errs = {0};
	assert_int_equal(triage_replay(f->s, &o, &report, &errs), CT_ERR_INVALID);
	assert_null(report);
	assert_true(errs.n > 0);
	assert_true(errs.items[0].message[0] != '\0');
	concept_errors_free(&errs);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	store_fixture_init();
	const struct CMUnitTest tests[] = {
		TEST(test_replay_store),
		TEST(test_replay_compare),
		TEST(test_replay_jsonl),
		TEST(test_replay_bad_draft),
	};
	return cmocka_run_group_tests_name(pg_admin ? "replay (postgres)" : "replay (sqlite)",
					   tests, NULL, NULL);
}

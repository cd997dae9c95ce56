/*
 * replay.c: the replay simulator's driver (see replay.h): it parses the
 * draft, sets up the text analysis for it and the active concept, has a
 * source (replay_sources.c: the store or JSON lines) hand over the
 * period's incoming messages, runs both concepts on each, works out the
 * automatic replies that would go out, hands every outcome to the counters
 * (replay_stats.c) and assembles the report. Nothing is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triage/replay_internal.h"

static const char SQL_CHANNELS[] = "SELECT id, name, kind FROM channels ORDER BY id";

/* ---- The concepts --------------------------------------------------------- */

/* 1 when a rule of k looks at contact attributes. */
static int uses_contact(const concept *k)
{
	for (size_t i = 0; i < k->n_rules; i++)
		if (k->rules[i].when.n_contact)
			return 1;
	return 0;
}

/* 1 when a and b detect among the same languages in the same order, so
 * that one analysis of a text serves both. */
static int same_languages(const concept *a, const concept *b)
{
	if (a->n_languages != b->n_languages)
		return 0;
	for (size_t i = 0; i < a->n_languages; i++)
		if (strcmp(a->languages[i].code, b->languages[i].code) != 0)
			return 0;
	return 1;
}

/* An analyzer for k's languages (as triage.c makes one per thread). Owned
 * by the caller; NULL when a language has no classifier data. */
static text_analyzer *analyzer_for(const concept *k)
{
	const char *codes[32];
	size_t n = 0;
	for (size_t i = 0; i < k->n_languages && n < 32; i++)
		codes[n++] = k->languages[i].code;
	const char *why = NULL;
	return text_analyzer_new(codes, n, &why);
}

/* Set up side d for engine e (borrowed); its analyzer is set by the caller. */
static void side_init(rp_side *d, triage_engine *e)
{
	d->e = e;
	d->k = triage_engine_concept(e);
	d->uses_contact = uses_contact(d->k);
	triage_result_init(&d->r);
}

/* Free what side d owns (its analyzer and result), not the engine. */
static void side_free(rp_side *d)
{
	text_analyzer_free(d->ta);
	triage_result_free(&d->r);
}

/* The text part of triage (triage_analyze) with the side's analyzer on
 * the side's result. */
static ct_err side_analyze(rp_side *d, const char *text, size_t len)
{
	ct_err err = text_analyze(d->ta, text, len, &d->r.text);
	if (err)
		return err;
	buf_reset(&d->r.intent_evidence);
	d->r.intent = text_match_intent(d->k, &d->r.text, &d->r.intent_evidence);
	return CT_OK;
}

/* The text of an automatic reply in language, else in k's first language
 * (as ingest picks it); NULL when there is none. Borrowed from k. */
static const char *reply_text(const concept *k, const concept_auto_reply *a, const char *language)
{
	const char *t = concept_auto_reply_text(a, language);
	if (!t && k->n_languages)
		t = concept_auto_reply_text(a, k->languages[0].code);
	return t;
}

/* Which automatic replies the draft would send for m (bit 1: after hours,
 * bit 2: first contact), as ingest queues them. */
static int replies_for(rp_run *x, const rp_msg *m, const triage_result *r)
{
	const concept *k = x->draft.k;
	if (r->action == CONCEPT_ACTION_IGNORE)
		return 0;
	if (r->after_hours && reply_text(k, &k->after_hours, r->text.language)) {
		int64_t since = calendar_closed_since(k->cal, m->at);
		if (since > x->period) {
			rp_set_clear(&x->replied);
			x->period = since;
		}
		uint64_t key =
			(uint64_t)m->conversation_id * 0x9e3779b97f4a7c15ULL ^ (uint64_t)since;
		return rp_set_add(&x->replied, key) ? 1 : 0;
	}
	if (m->first_contact && reply_text(k, &k->first_contact, r->text.language))
		return 2;
	return 0;
}

/* The active concept's decision for m, compared with the draft's. */
static ct_err compare(rp_run *x, const triage_input *in, const rp_msg *m)
{
	rp_side *a = &x->active;
	if (a->ta) {
		ct_err err = side_analyze(a, m->text, m->len);
		if (err)
			return err;
		triage_decide(a->e, in, &a->r);
	} else {
		/* The draft's analysis, lent for the decision: a->r.text holds no
		 * memory of its own meanwhile and gets its empty self back. */
		text_analysis own = a->r.text;
		a->r.text = x->draft.r.text;
		buf_reset(&a->r.intent_evidence);
		a->r.intent = text_match_intent(a->k, &a->r.text, &a->r.intent_evidence);
		triage_decide(a->e, in, &a->r);
		a->r.text = own;
	}
	rp_stats_diff(&x->st, m, &x->draft.r, &a->r);
	return CT_OK;
}

/* Replay one message with the draft (and the active concept). */
ct_err rp_replay_one(rp_run *x, const rp_msg *m)
{
	json_t *attrs = NULL;
	if (m->attributes && (x->draft.uses_contact || (x->compare && x->active.uses_contact)))
		attrs = json_loads(m->attributes, 0, NULL);
	triage_input in = {.channel_name = m->channel_name,
			   .channel_kind = m->channel_kind,
			   .text = m->text,
			   .len = m->len,
			   .at = m->at,
			   .first_contact = m->first_contact,
			   .contact_attrs = json_is_object(attrs) ? attrs : NULL};
	ct_err err = side_analyze(&x->draft, m->text, m->len);
	if (!err) {
		triage_decide(x->draft.e, &in, &x->draft.r);
		rp_stats_add(&x->st, x->draft.k, m, &x->draft.r, replies_for(x, m, &x->draft.r));
	}
	if (!err && x->compare)
		err = compare(x, &in, m);
	json_decref(attrs);
	return err;
}

/* ---- Channels ------------------------------------------------------------- */

static void channel_add(rp_run *x, int64_t id, const char *name, const char *kind)
{
	x->channels = xrealloc(x->channels, (x->n_channels + 1) * sizeof(*x->channels));
	rp_channel *ch = &x->channels[x->n_channels++];
	ch->id = id;
	ch->name = xstrdup(name ? name : "");
	ch->kind = xstrdup(kind ? kind : "");
}

/* Free the channels' names and kinds (the array stays for reuse). */
static void channels_free(rp_run *x)
{
	for (size_t i = 0; i < x->n_channels; i++) {
		free(x->channels[i].name);
		free(x->channels[i].kind);
	}
	x->n_channels = 0;
}

ct_err rp_load_channels(rp_run *x, store_conn *c)
{
	channels_free(x);
	store_stmt *st = store_prepare(c, SQL_CHANNELS);
	if (!st)
		return CT_ERR_STORE;
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		channel_add(x, store_col_int(st, 0), store_col_text(st, 1), store_col_text(st, 2));
	ct_err err = rc == STORE_ERROR ? store_stmt_error(st) : CT_OK;
	store_reset(st);
	return err;
}

const rp_channel *rp_channel_find(rp_run *x, store_conn *c, int64_t id, const char *name)
{
	for (size_t i = 0; i < x->n_channels; i++)
		if (id ? x->channels[i].id == id : strcmp(x->channels[i].name, name) == 0)
			return &x->channels[i];
	if (!id || !c || rp_load_channels(x, c)) /* a channel added since: read them again */
		return NULL;
	for (size_t i = 0; i < x->n_channels; i++)
		if (x->channels[i].id == id)
			return &x->channels[i];
	return NULL;
}

/* ---- The whole run -------------------------------------------------------- */

/* The report's head and the counted parts. New reference. */
static json_t *report_json(const rp_run *x)
{
	const concept *k = x->draft.k;
	json_t *r = json_object();
	json_object_set_new(r, "concept",
			    json_pack("{s:s, s:n, s:I, s:s}", "name", k->name, "version_id",
				      "rules", (json_int_t)k->n_rules, "time_zone", k->time_zone));
	if (x->compare) {
		int64_t v = triage_engine_version(x->active.e);
		json_object_set_new(r, "active",
				    json_pack("{s:s, s:o}", "name", x->active.k->name, "version_id",
					      v ? json_integer(v) : json_null()));
	} else {
		json_object_set_new(r, "active", json_null());
	}
	json_object_set_new(r, "source", json_string(x->o->jsonl ? "jsonl" : "store"));
	json_object_set_new(r, "period",
			    json_pack("{s:o, s:o, s:o, s:o}", "from", rp_time_json(x->from), "to",
				      rp_time_json(x->to), "first_message",
				      rp_time_json(x->st.messages ? x->st.first_at : 0),
				      "last_message",
				      rp_time_json(x->st.messages ? x->st.last_at : 0)));
	json_object_set_new(r, "messages", json_integer(x->st.messages));
	json_object_set_new(r, "late_timed_by_created_at", json_integer(x->st.late));
	if (x->o->jsonl)
		json_object_set_new(r, "input",
				    json_pack("{s:I, s:I, s:O}", "lines", (json_int_t)x->lines,
					      "invalid", (json_int_t)x->invalid, "errors",
					      x->input_errors));
	rp_stats_json(&x->st, r);
	return r;
}

/* Set up x's sides (analyzers, results) for the draft engine. */
static ct_err run_prepare(rp_run *x, triage_engine *draft)
{
	side_init(&x->draft, draft);
	if (!(x->draft.ta = analyzer_for(x->draft.k)))
		return CT_ERR_INTERNAL;
	if (!x->compare)
		return CT_OK;
	side_init(&x->active, x->o->active);
	if (same_languages(x->draft.k, x->active.k))
		return CT_OK;
	return (x->active.ta = analyzer_for(x->active.k)) ? CT_OK : CT_ERR_INTERNAL;
}

ct_err triage_replay(store *s, const replay_options *o, json_t **report, concept_errors *errs)
{
	*report = NULL;
	if (!s && !o->jsonl)
		return CT_ERR_INVALID;
	concept *k = NULL;
	ct_err err = concept_parse(o->draft_source, o->draft_len, &k, errs);
	if (err)
		return err;
	triage_engine *draft = triage_engine_new(k, 0);
	rp_run x = {.o = o,
		    .s = s,
		    .compare = o->active != NULL,
		    .from = o->from_ms,
		    .to = o->to_ms > 0 ? o->to_ms : INT64_MAX,
		    .input_errors = json_array()};
	rp_stats_init(&x.st, k->cal, o->max_examples, x.compare);
	err = run_prepare(&x, draft);
	if (!err)
		err = o->jsonl ? rp_replay_jsonl(&x) : rp_replay_store(&x);
	if (!err)
		*report = report_json(&x);
	side_free(&x.draft);
	if (x.compare)
		side_free(&x.active);
	rp_stats_free(&x.st);
	rp_set_free(&x.replied);
	rp_set_free(&x.authors);
	rp_set_free(&x.conversations);
	channels_free(&x);
	free(x.channels);
	free(x.convs);
	json_decref(x.input_errors);
	triage_engine_unref(draft);
	return err;
}

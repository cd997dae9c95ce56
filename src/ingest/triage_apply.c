/*
 * triage_apply.c: what the concept decides for a stored message, written in
 * the same transaction as the message (see ingest.h).
 *
 * The text was analysed before the write (commit.c, on the request's
 * thread); here the rules are checked against the message's context
 * (channel, contact, first contact, time) and the outcome is stored:
 *  - on the message: language, intent, sentiment and the reasons (JSON);
 *  - on the conversation: intent, action, reasons, a priority raised (never
 *    lowered), the team when it has none, the SLA policy and due times, an
 *    agent when it has none (routing.c), the rules' tags;
 *  - automatic replies as outbound messages plus delivery jobs: after hours
 *    once per conversation and closed period, on first contact once per
 *    contact; none for a message the concept ignores. A reply the concept
 *    names by template is the template's approved variant for the
 *    message's language and channel, its variables filled; when the
 *    template may not be used any more (retired, past its review), no
 *    automatic reply is sent (a warning is logged): never unapproved
 *    wording.
 *
 * SLA clock on an incoming message: with no first response yet the first
 * response is due (set once); once the team has answered, a new message
 * starts the wait for the next response (unless one already runs); the
 * resolution is due from the conversation's first message. The reply path
 * (inbox/messages.c) stamps first_response_at / next_response_at.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "inbox/inbox.h"
#include "ingest/triage_apply.h"
#include "templates/templates.h"
#include "triage/routing.h"

static const char SQL_ATTRIBUTES[] = "SELECT attributes FROM contacts WHERE id = $1";
static const char SQL_MESSAGE_TRIAGE[] =
	"UPDATE messages SET language = $2, intent = $3, sentiment = $4, triage = $5 WHERE id = $1";
static const char SQL_STATE[] =
	"SELECT first_response_at IS NOT NULL, waiting_since IS NOT NULL, coalesce(assignee_id, 0),"
	" coalesce(team_id, 0), priority, coalesce(sla_policy, ''), first_response_due_at IS NOT "
	"NULL,"
	" resolution_due_at IS NOT NULL FROM conversations WHERE id = $1";
static const char SQL_CONVERSATION_TRIAGE[] =
	"UPDATE conversations SET language = coalesce(language, $2), intent = coalesce($3, intent),"
	" action = $4, triage = $5, language_unowned = $6, priority = $7,"
	" team_id = CASE WHEN $8 = 0 THEN team_id ELSE $8 END,"
	" assignee_id = CASE WHEN $9 = 0 THEN assignee_id ELSE $9 END,"
	" sla_policy = $10,"
	" first_response_due_at = CASE WHEN $11 = 0 THEN first_response_due_at ELSE $11 END,"
	" waiting_since = CASE WHEN $12 = 0 THEN waiting_since ELSE $12 END,"
	" next_response_due_at = CASE WHEN $13 = 0 THEN next_response_due_at ELSE $13 END,"
	" resolution_due_at = CASE WHEN $14 = 0 THEN resolution_due_at ELSE $14 END"
	" WHERE id = $1";

static const char *const PRIORITIES[] = {"low", "normal", "high", "urgent", NULL};

/* What the conversation had before this message. */
typedef struct conversation_state {
	int answered, waiting, first_due_set, resolution_due_set;
	int64_t assignee_id, team_id;
	char priority[16];
	char sla_policy[128];
} conversation_state;

/* The rank of a priority name (0 for an unknown one). */
static int priority_rank(const char *p)
{
	for (int i = 0; PRIORITIES[i]; i++)
		if (strcmp(PRIORITIES[i], p) == 0)
			return i;
	return 0;
}

/* 1 when a rule of k looks at contact attributes. */
static int uses_contact(const concept *k)
{
	for (size_t i = 0; i < k->n_rules; i++)
		if (k->rules[i].when.n_contact)
			return 1;
	return 0;
}

/* The contact's attributes (a new reference, or NULL when none). */
static json_t *load_attributes(store_conn *c, int64_t contact_id)
{
	store_stmt *st = store_prepare(c, SQL_ATTRIBUTES);
	if (!st)
		return NULL;
	store_bind_int(st, 1, contact_id);
	json_t *v = NULL;
	if (store_step(st) == STORE_ROW && !store_col_is_null(st, 0))
		v = json_loads(store_col_text(st, 0), 0, NULL);
	store_reset(st);
	return v;
}

static ct_err load_state(store_conn *c, int64_t conversation_id, conversation_state *s)
{
	store_stmt *st = store_prepare(c, SQL_STATE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, conversation_id);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		s->answered = (int)store_col_int(st, 0);
		s->waiting = (int)store_col_int(st, 1);
		s->assignee_id = store_col_int(st, 2);
		s->team_id = store_col_int(st, 3);
		snprintf(s->priority, sizeof(s->priority), "%s", store_col_text(st, 4));
		snprintf(s->sla_policy, sizeof(s->sla_policy), "%s", store_col_text(st, 5));
		s->first_due_set = (int)store_col_int(st, 6);
		s->resolution_due_set = (int)store_col_int(st, 7);
	}
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : CT_ERR_STORE;
}

static ct_err store_message_triage(store_conn *c, int64_t message_id, const triage_result *r,
				   const char *why)
{
	store_stmt *st = store_prepare(c, SQL_MESSAGE_TRIAGE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, message_id);
	store_bind_text(st, 2, r->text.language);
	store_bind_text(st, 3, r->intent ? r->intent->name : NULL);
	store_bind_int(st, 4, (int64_t)lround(r->text.sentiment * 1000.0)); /* thousandths */
	store_bind_text(st, 5, why);
	return store_run(st);
}

/* The conversation's new SLA times (0: unchanged). */
typedef struct sla_times {
	const char *policy;
	int64_t first_due, waiting_since, next_due, resolution_due;
} sla_times;

static void plan_sla(const concept *k, const triage_result *r, const conversation_state *s,
		     int64_t now, sla_times *t)
{
	memset(t, 0, sizeof(*t));
	const concept_sla *sla = s->sla_policy[0] ? concept_sla_by_name(k, s->sla_policy) : NULL;
	if (!sla)
		sla = r->sla;
	t->policy = sla ? sla->name : NULL;
	if (!sla)
		return;
	if (!s->answered && !s->first_due_set)
		t->first_due = triage_due(k, sla, now, sla->first_response_ms);
	if (s->answered && !s->waiting) {
		t->waiting_since = now;
		t->next_due = triage_due(k, sla, now, sla->next_response_ms);
	}
	if (!s->resolution_due_set)
		t->resolution_due = triage_due(k, sla, now, sla->resolution_ms);
}

static ct_err store_conversation_triage(store_conn *c, const triage_apply_input *in,
					const triage_result *r, const char *why,
					const conversation_state *s, int64_t team_id,
					int64_t assignee_id, const sla_times *t)
{
	store_stmt *st = store_prepare(c, SQL_CONVERSATION_TRIAGE);
	if (!st)
		return CT_ERR_STORE;
	const char *priority =
		priority_rank(r->priority) > priority_rank(s->priority) ? r->priority : s->priority;
	store_bind_int(st, 1, in->conversation_id);
	store_bind_text(st, 2, r->text.language);
	store_bind_text(st, 3, r->intent ? r->intent->name : NULL);
	store_bind_text(st, 4, concept_action_name(r->action));
	store_bind_text(st, 5, why);
	store_bind_int(st, 6, r->language_unowned);
	store_bind_text(st, 7, priority);
	store_bind_int(st, 8, s->team_id ? 0 : team_id);
	store_bind_int(st, 9, assignee_id);
	store_bind_text(st, 10, t->policy);
	store_bind_int(st, 11, t->first_due);
	store_bind_int(st, 12, t->waiting_since);
	store_bind_int(st, 13, t->next_due);
	store_bind_int(st, 14, t->resolution_due);
	return store_run(st);
}

/* The text of an automatic reply in language (else the concept's first
 * language); NULL when the concept has none. Borrowed. */
static const char *reply_text(const concept *k, const concept_auto_reply *a, const char *language)
{
	for (size_t i = 0; i < a->languages.n; i++)
		if (strcmp(a->languages.items[i], language) == 0)
			return a->texts.items[i];
	for (size_t i = 0; k->n_languages && i < a->languages.n; i++)
		if (strcmp(a->languages.items[i], k->languages[0].code) == 0)
			return a->texts.items[i];
	return NULL;
}

/* text with {{office_hours.next_open}} replaced by when the office opens
 * (written as templates write it). */
static void render_reply(const concept *k, const char *text, const char *language, int64_t now,
			 buf *out)
{
	static const char PLACEHOLDER[] = "{{office_hours.next_open}}";
	char when[64] = "";
	int64_t open = calendar_next_open(k->cal, now);
	if (open != INT64_MAX)
		template_format_local_time(k, open, language, when, sizeof(when));
	const char *p = text, *hit;
	while ((hit = strstr(p, PLACEHOLDER))) {
		buf_append(out, p, (size_t)(hit - p));
		buf_puts(out, when);
		p = hit + sizeof(PLACEHOLDER) - 1;
	}
	buf_puts(out, p);
}

/* 1 when the concept has an automatic reply of this kind for language. */
static int has_reply(const concept *k, const concept_auto_reply *a, const char *language)
{
	return a->template_name || reply_text(k, a, language);
}

/* Stands for a variable without a value while rendering; removed after. */
#define UNFILLED "\x01"

/*
 * The text of template choice filled from the conversation into out. A
 * variable without a value (a contact without a name) is left out rather
 * than sent as "{{contact.first_name}}".
 */
static ct_err render_template(store_conn *c, const template_env *env, const triage_apply_input *in,
			      const template_choice *choice, buf *out)
{
	json_t *values = NULL;
	ct_err err = template_values(c, env, in->conversation_id, 0, &values);
	if (!err) {
		for (const char *const *v = template_variables; *v; v++) {
			json_t *have = json_object_get(values, *v);
			if (!have || json_is_null(have) ||
			    (json_is_string(have) && !json_string_length(have)))
				json_object_set_new(values, *v, json_string(UNFILLED));
		}
		buf filled;
		buf_init(&filled, INBOX_TEXT_MAX);
		template_render(buf_cstr(&choice->text), values, &filled, NULL);
		for (const char *p = buf_cstr(&filled); *p; p++)
			if (*p != UNFILLED[0])
				buf_append(out, p, 1);
		buf_free(&filled);
	}
	json_decref(values);
	return err;
}

/*
 * The approved variant of the template a names for the message (its
 * language, else the concept's first; its channel kind) filled into body;
 * *tpl says which. CT_ERR_NOT_FOUND (a warning logged) when the template
 * may not be used now: then nothing is sent.
 */
static ct_err template_reply(store_conn *c, const triage_apply_input *in, const concept *k,
			     const concept_auto_reply *a, const char *language, buf *body,
			     inbox_auto_template *tpl)
{
	template_env env = {.org_name = in->opt->auto_reply_author,
			    .concept = k,
			    .now = in->now,
			    .grace_ms = in->opt->template_grace_ms};
	template_choice choice;
	err_detail d = {.index = -1};
	ct_err err = template_choose(c, &env, 0, a->template_name, language, in->channel_kind,
				     &choice, &d);
	if (err == CT_ERR_NOT_FOUND && k->n_languages &&
	    strcmp(language, k->languages[0].code) != 0) {
		buf_free(&choice.text);
		err = template_choose(c, &env, 0, a->template_name, k->languages[0].code,
				      in->channel_kind, &choice, &d);
	}
	if (!err) {
		tpl->template_id = choice.template_id;
		tpl->version = choice.version;
		err = render_template(c, &env, in, &choice, body);
	} else if (err == CT_ERR_NOT_FOUND || err == CT_ERR_CONFLICT) {
		log_warn("auto_reply.template_unusable", LOG_S("template", a->template_name),
			 LOG_S("reason", d.message), LOG_I("message_id", in->message_id));
		err = CT_ERR_NOT_FOUND;
	}
	buf_free(&choice.text);
	return err;
}

/* The after-hours or first-contact reply, when the concept has one. */
static ct_err queue_auto_reply(store_conn *c, const triage_apply_input *in, const concept *k,
			       const triage_result *r)
{
	if (r->action == CONCEPT_ACTION_IGNORE)
		return CT_OK;
	char key[128];
	const char *language = r->text.language;
	const concept_auto_reply *a = NULL;
	if (r->after_hours && has_reply(k, &k->after_hours, language)) {
		a = &k->after_hours;
		snprintf(key, sizeof(key), "auto:after_hours:%lld:%lld",
			 (long long)in->conversation_id,
			 (long long)calendar_closed_since(k->cal, in->now));
	} else if (in->first_contact && has_reply(k, &k->first_contact, language)) {
		a = &k->first_contact;
		snprintf(key, sizeof(key), "auto:first_contact:%lld", (long long)in->contact_id);
	}
	if (!a)
		return CT_OK;
	buf body;
	buf_init(&body, INBOX_TEXT_MAX);
	inbox_auto_template tpl = {0, 0};
	ct_err err = CT_OK;
	if (a->template_name)
		err = template_reply(c, in, k, a, language, &body, &tpl);
	else
		render_reply(k, reply_text(k, a, language), language, in->now, &body);
	int64_t id = 0;
	if (!err)
		err = inbox_queue_auto_reply(c, in->conversation_id, in->opt->auto_reply_author,
					     buf_cstr(&body), tpl.template_id ? &tpl : NULL, key,
					     in->opt->reply_attempts, in->now, &id);
	else if (err == CT_ERR_NOT_FOUND)
		err = CT_OK; /* no usable wording: no automatic reply */
	buf_free(&body);
	return err;
}

ct_err ingest_apply_triage(store_conn *c, const triage_apply_input *in, triage_result *r)
{
	const concept *k = triage_engine_concept(in->opt->triage);
	json_t *attrs = uses_contact(k) ? load_attributes(c, in->contact_id) : NULL;
	triage_input ti = {.channel_name = in->channel_name,
			   .channel_kind = in->channel_kind,
			   .at = in->now,
			   .first_contact = in->first_contact,
			   .contact_attrs = attrs};
	triage_decide(in->opt->triage, &ti, r);
	json_decref(attrs);
	json_t *why_json = triage_result_json(r);
	char *why = json_dumps(why_json, JSON_COMPACT);
	json_decref(why_json);
	conversation_state s = {0};
	int64_t team_id = 0, assignee_id = 0;
	ct_err err = store_message_triage(c, in->message_id, r, why);
	if (!err)
		err = load_state(c, in->conversation_id, &s);
	if (!err && !s.team_id && r->team)
		err = routing_team_id(c, r->team, &team_id);
	if (!err && !s.assignee_id && (s.team_id || team_id)) {
		int64_t route_team = s.team_id ? s.team_id : team_id;
		const concept_team *team = s.team_id ? NULL : concept_team_by_name(k, r->team);
		err = routing_pick(c, k, team, route_team, in->now, &assignee_id);
	}
	sla_times t;
	plan_sla(k, r, &s, in->now, &t);
	if (!err)
		err = store_conversation_triage(c, in, r, why, &s, team_id, assignee_id, &t);
	if (!err && r->n_tags)
		err = inbox_add_tags(c, in->conversation_id, r->tags, r->n_tags);
	if (!err)
		err = queue_auto_reply(c, in, k, r);
	free(why);
	return err;
}

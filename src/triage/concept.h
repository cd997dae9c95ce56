/*
 * concept.h: the dialog concept, the written policy that triage enforces.
 *
 * A concept is a YAML document that the communication team owns (the
 * format is described key by key in docs/concept.md, with a complete
 * example in docs/examples/concept-stadtwerk.yaml). concept_parse turns the
 * text into a `concept`: every key checked, every reference resolved, every
 * regular expression compiled, every keyword stemmed. A document with an
 * error yields no concept, only the list of errors, each naming the line,
 * column and key path ("rules[2].then.team") of what is wrong.
 *
 * The shape of the document, in short:
 *
 *   name: Dialogkonzept Stadtwerke Musterstadt
 *   time_zone: Europe/Berlin
 *   office_hours: {mon: ["08:00-18:00"], ..., sat: ["09:00-13:00"], sun: []}
 *   holidays: {state: NW, closed: [2026-12-24, {date: 2026-12-31, name: Silvester}]}
 *   languages: {de: {team: Kundenservice}, en: {team: International}}
 *   fallback_team: Kundenservice
 *   teams: {Kundenservice: {assignment: least_loaded, capacity: 8}, ...}
 *   intents:
 *     outage:
 *       de: {keywords: [stromausfall], phrases: ["strom weg"], patterns: ['st(ö|oe)rung']}
 *       en: {keywords: [outage], phrases: ["power is out"]}
 *   sla_policies:
 *     standard: {clock: business, first_response: 4h, next_response: 8h, resolution: 5d}
 *   defaults: {priority: normal, action: answer, sla: standard}
 *   rules:
 *     - name: outage-de
 *       when: {intent: [outage], language: [de]}
 *       then: {priority: urgent, team: Entstoerung, tags: [störung], sla: urgent}
 *   auto_replies:
 *     after_hours: {template: ausserhalb-der-zeiten}   (an approved template)
 *     first_contact: {de: "…", en: "…"}               (or text per language)
 *   strict_wording: {intents: [outage, legal]}
 *
 * A template named by auto_replies is checked against the store when the
 * concept is activated (versions.c): it must exist and be usable then.
 * Replies in conversations whose intent is listed under strict_wording
 * must be unedited approved templates, or they wait for a supervisor
 * (inbox.h, held replies).
 *
 * Ownership: a concept is one allocation tree, freed with concept_free. All
 * strings inside are owned by it. It is immutable once parsed, so many
 * threads may read one concept at the same time.
 */
#ifndef CT_CONCEPT_H
#define CT_CONCEPT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "triage/calendar.h"

/* What a rule tells the team to do with a message. */
typedef enum concept_action {
	CONCEPT_ACTION_NONE = 0, /* not set by this rule */
	CONCEPT_ACTION_ANSWER,
	CONCEPT_ACTION_SHARE, /* share-worthy: answer and consider sharing/boosting */
	CONCEPT_ACTION_IGNORE,
	CONCEPT_ACTION_ESCALATE,
} concept_action;

typedef enum concept_sentiment {
	CONCEPT_SENTIMENT_ANY = 0,
	CONCEPT_SENTIMENT_NEGATIVE,
	CONCEPT_SENTIMENT_NEUTRAL,
	CONCEPT_SENTIMENT_POSITIVE,
} concept_sentiment;

/* When a rule applies, relative to the office hours. */
typedef enum concept_when_time {
	CONCEPT_TIME_ANY = 0,
	CONCEPT_TIME_OFFICE_HOURS,
	CONCEPT_TIME_AFTER_HOURS,
} concept_when_time;

typedef enum concept_assignment {
	CONCEPT_ASSIGN_NONE = 0, /* the team's queue; agents take conversations */
	CONCEPT_ASSIGN_ROUND_ROBIN,
	CONCEPT_ASSIGN_LEAST_LOADED,
} concept_assignment;

/* A list of owned strings. */
typedef struct concept_strings {
	char **items;
	size_t n;
} concept_strings;

/* A regular expression as written and compiled (PCRE2, UTF and caseless). */
typedef struct concept_pattern {
	char *source;
	void *code; /* pcre2_code *; owned */
} concept_pattern;

/* How one intent is recognised in one language. keywords hold the Snowball
 * stems of what was written (so "Stromausfälle" matches "Stromausfall");
 * phrases hold normalised (case-folded) word sequences matched on word
 * boundaries. */
typedef struct concept_intent_language {
	char language[8];         /* ISO 639-1: "de", "en", ... */
	concept_strings keywords; /* as written */
	concept_strings stems;    /* keywords[i] stemmed, same order */
	concept_strings phrases;  /* normalised */
	concept_pattern *patterns;
	size_t n_patterns;
} concept_intent_language;

typedef struct concept_intent {
	char *name;
	concept_intent_language *languages;
	size_t n_languages;
} concept_intent;

typedef struct concept_team {
	char *name; /* a team of the installation, by name */
	concept_assignment assignment;
	int64_t capacity; /* open conversations per agent; 0: unlimited */
} concept_team;

typedef struct concept_language {
	char code[8];
	char *team; /* owning team, a name in teams; NULL: none (fallback_team) */
} concept_language;

/* Response-time promises; 0 means "no promise" for that target. */
typedef struct concept_sla {
	char *name;
	int business_time; /* 1: the clock runs only during office hours */
	int64_t first_response_ms;
	int64_t next_response_ms;
	int64_t resolution_ms;
	int64_t due_soon_ms; /* warn this long before a due time; 0: 20 % of each target */
} concept_sla;

/* A contact attribute condition: key equals value (strings compared as written). */
typedef struct concept_attr {
	char *key;
	char *value;
} concept_attr;

/* What a rule matches. An empty list or ANY matches everything. */
typedef struct concept_when {
	concept_strings channels;  /* channel names or kinds */
	concept_strings languages; /* ISO codes */
	concept_strings intents;   /* intent names; "none" matches no intent */
	concept_sentiment sentiment;
	concept_strings keywords; /* stems; any one present */
	concept_strings keywords_written;
	concept_attr *contact; /* every one must hold */
	size_t n_contact;
	int first_contact; /* -1 any, 0 returning contact, 1 first message ever */
	concept_when_time time;
} concept_when;

/* What a rule sets. NULL / 0 / NONE: not set by this rule. */
typedef struct concept_then {
	char *priority; /* low, normal, high, urgent */
	char *team;
	concept_strings tags;
	concept_action action;
	char *sla; /* an SLA policy name */
} concept_then;

typedef struct concept_rule {
	char *name;
	concept_when when;
	concept_then then;
	int stop; /* 1: no later rule is looked at once this one matched */
	int line; /* where it stands in the document, for messages */
} concept_rule;

/* Automatic replies: an approved template by name (template_name), or,
 * in concepts written before templates existed, text per language. Both
 * empty when the concept has none. */
typedef struct concept_auto_reply {
	char *template_name;       /* NULL: the texts below */
	concept_strings languages; /* codes, parallel to texts */
	concept_strings texts;
} concept_auto_reply;

typedef struct concept {
	char *name;
	char *time_zone;
	calendar *cal; /* office hours, holidays, time zone; owned */
	concept_language *languages;
	size_t n_languages;
	char *fallback_team;
	concept_team *teams;
	size_t n_teams;
	concept_intent *intents;
	size_t n_intents;
	concept_sla *slas;
	size_t n_slas;
	concept_then defaults;
	concept_rule *rules;
	size_t n_rules;
	concept_auto_reply after_hours;
	concept_auto_reply first_contact;
	/* Strict wording: intents whose replies must be an unedited approved
	 * template, or are held until a supervisor approves them. */
	concept_strings strict_intents;
}
concept;

/* One problem in a document: where, which key, what. */
typedef struct concept_error {
	int line, column; /* 1-based; 0 when the document as a whole is meant */
	char path[128];   /* key path, "rules[2].then.team"; "" for the document */
	char message[256];
} concept_error;

typedef struct concept_errors {
	concept_error *items;
	size_t n;
} concept_errors;

/*
 * Parse and check the YAML text (len bytes, at most 1 MiB; it need not end
 * in NUL). On success *out is a new concept (free with concept_free) and
 * nothing is added to errs; on CT_ERR_INVALID *out is NULL and every
 * problem found is appended to errs (up to 100; when there were more, the
 * 100th says how many were left out), in document order. Paths count list
 * entries from 0 ("rules[0]" is the first rule). errs is owned by the
 * caller (start it as {0}): free with concept_errors_free.
 */
ct_err concept_parse(const char *text, size_t len, concept **out, concept_errors *errs);

void concept_free(concept *c);
void concept_errors_free(concept_errors *errs);

/* Lookups by name; NULL when absent. Borrowed from c. */
const concept_team *concept_team_by_name(const concept *c, const char *name);
const concept_sla *concept_sla_by_name(const concept *c, const char *name);
const concept_intent *concept_intent_by_name(const concept *c, const char *name);

/* The team that owns a language; NULL when the code is not one of the
 * concept's languages or the language names no team (then fallback_team
 * takes the conversation, and it is flagged). Borrowed from c. */
const char *concept_language_team(const concept *c, const char *code);

/* The text of an automatic reply in a language; NULL when there is none.
 * Borrowed from r. */
const char *concept_auto_reply_text(const concept_auto_reply *r, const char *code);

/* The action's name as written in the document ("answer", "share", ...). Static. */
const char *concept_action_name(concept_action a);

#endif

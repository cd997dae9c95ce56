/*
 * language.c: which language a customer message is written in, among the
 * languages a concept names (see text.h).
 *
 * Two signals, combined as a vote:
 *
 *  1. Words. Function words (articles, pronouns, prepositions, auxiliaries:
 *     "der", "nicht", "bitte"; "the", "is", "please") are the most frequent
 *     words of any text and rarely borrowed: a German message says
 *     "Hotline" and "online" but not "the", an English one names
 *     "Zählerstand" but not "nicht". The words of the sentiment lexicon
 *     (sentiment_lexicon.c: "Frechheit", "disappointed") are just as
 *     specific. Each word of the message that the lists have for exactly
 *     one language is one vote for it; words both languages use ("in", "an",
 *     "so", "was", "will", "top", "cool", "sorry") are in both lists or in
 *     neither and do not vote. Words of URLs, e-mail addresses and @handles
 *     do not vote (handles of German utilities appear in English messages).
 *     A word with ä, ö, ü or ß is half a vote for German, two or more are
 *     one vote: English messages quote German street names and terms too.
 *
 *  2. libexttextcat (Cavnar & Trenkle n-gram profiles), restricted to the
 *     analyzer's languages through a private configuration file that lists
 *     only their fingerprints. It is asked only when the words leave the
 *     question open (the leader has less than one vote more than the next),
 *     and its choice then weighs 0.75 votes, 0.25 when it finds two
 *     languages within its 3 % margin: on short messages a single function
 *     word was right more often than textcat (measured on
 *     tests/data/language/mixed.tsv: 113 of 113 messages whose words
 *     differed by one vote, textcat 93 % below 25 bytes, 97 % at 25-49).
 *     This also keeps the cost down: a textcat call costs 10-30 us, several
 *     times the rest of the analysis, and messages of a sentence or more
 *     are decided by their words. Textcat sees the letters of the original
 *     text (its German model knows nouns by their capitals), with the first
 *     letter of each sentence lower-cased (that capital says nothing) and
 *     without URLs, addresses, handles, digits and symbols.
 *
 * The language with the most votes wins; a tie goes to textcat's choice,
 * else to the first language of the analyzer (also the answer for a text
 * with no evidence at all, and when textcat says "SHORT" or "UNKNOWN").
 *
 * Word lists exist for German and English; with any other language among
 * the analyzer's, words are not counted (they would speak against the
 * language without a list) and textcat alone decides.
 */
#include <libexttextcat/textcat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#include "triage/text_impl.h"

#ifndef TEXT_TEXTCAT_DIR
#define TEXT_TEXTCAT_DIR "/usr/share/libexttextcat/"
#endif

#define TEXTCAT_MIN_BYTES 3      /* below this textcat says SHORT */
#define TEXTCAT_MAX_BYTES 1024   /* of a message, enough to tell its language */
#define TEXTCAT_VOTE 0.75        /* less than one function word: it breaks ties */
#define TEXTCAT_VOTE_UNSURE 0.25 /* two languages within textcat's 3 % margin */
#define GERMAN_LETTER_VOTE 0.5

/* German function words, folded, also as written without umlauts. Not
 * listed: words that English has too (an, am, in, so, was, will, also, man,
 * bin, um, hi, per, fast, see) and loanwords both use. */
static const char *const de_words[] = {
	"der",     "die",        "das",     "dem",     "den",      "des",      "ein",     "eine",
	"einen",   "einem",      "einer",   "eines",   "und",      "oder",     "aber",    "ist",
	"sind",    "bist",       "seid",    "war",     "waren",    "wird",     "werden",  "wurde",
	"wurden",  "hat",        "habe",    "haben",   "hab",      "hatte",    "hätte",   "haette",
	"kann",    "können",     "koennen", "könnt",   "koennt",   "konnte",   "könnte",  "koennte",
	"muss",    "müssen",     "muessen", "soll",    "sollte",   "möchte",   "moechte", "würde",
	"wuerde",  "wäre",       "waere",   "ich",     "du",       "er",       "sie",     "es",
	"wir",     "ihr",        "mich",    "mir",     "dich",     "dir",      "uns",     "euch",
	"ihn",     "ihm",        "ihnen",   "mein",    "meine",    "meinen",   "meinem",  "meiner",
	"dein",    "deine",      "sein",    "seine",   "unser",    "unsere",   "unseren", "unserem",
	"unserer", "euer",       "eure",    "euren",   "eurem",    "eurer",    "ihre",    "ihren",
	"ihrem",   "nicht",      "nich",    "kein",    "keine",    "keinen",   "keinem",  "keiner",
	"nichts",  "nie",        "mit",     "für",     "fuer",     "fürs",     "auf",     "bei",
	"beim",    "seit",       "von",     "vom",     "zu",       "zum",      "zur",     "im",
	"ins",     "aus",        "nach",    "über",    "ueber",    "unter",    "vor",     "durch",
	"gegen",   "ohne",       "bis",     "wegen",   "zwischen", "wie",      "wo",      "wann",
	"warum",   "wieso",      "weshalb", "wer",     "wen",      "wem",      "welche",  "welcher",
	"welches", "schon",      "noch",    "auch",    "nur",      "sehr",     "jetzt",   "heute",
	"gestern", "morgen",     "hier",    "da",      "dort",     "immer",    "wieder",  "mal",
	"doch",    "denn",       "dann",    "ja",      "nein",     "alles",    "etwas",   "viel",
	"mehr",    "gibt",       "gibts",   "geht",    "bitte",    "danke",    "hallo",   "guten",
	"liebe",   "liebes",     "grüße",   "gruesse", "leider",   "endlich",  "bereits", "gerade",
	"grad",    "eigentlich", "obwohl",  "weil",    "dass",     "ob",       "wenn",    "als",
	"ab",      "ne",         "nen",     "sich",    "selbst",   "zusammen", "jemand",  "niemand",
	"diese",   "dieser",     "diesen",  "dieses",  NULL,
};

/* English function words, folded; contractions leave "don", "isn"
 * ("don't" is "don" and "t"). Not listed: words German has too, and
 * loanwords German messages use (sorry, down, thx, pls, hi, hey, ok). */
static const char *const en_words[] = {
	"the",     "a",       "and",     "or",         "but",    "is",     "are",     "were",
	"be",      "been",    "being",   "have",       "has",    "had",    "do",      "does",
	"did",     "don",     "doesn",   "didn",       "isn",    "aren",   "wasn",    "weren",
	"haven",   "hasn",    "hadn",    "won",        "wouldn", "couldn", "shouldn", "can",
	"could",   "would",   "should",  "i",          "me",     "my",     "we",      "our",
	"us",      "you",     "your",    "it",         "its",    "he",     "she",     "his",
	"him",     "they",    "them",    "their",      "this",   "that",   "these",   "those",
	"there",   "here",    "what",    "when",       "where",  "why",    "how",     "who",
	"which",   "not",     "no",      "of",         "to",     "for",    "from",    "with",
	"without", "on",      "at",      "by",         "about",  "after",  "before",  "since",
	"until",   "into",    "over",    "under",      "out",    "up",     "off",     "just",
	"still",   "already", "again",   "very",       "too",    "any",    "some",    "anyone",
	"someone", "nobody",  "nothing", "everything", "please", "thanks", "thank",   "hello",
	"dear",    "regards", "because", "if",         "than",   "then",   "get",     "got",
	"ll",      "ve",      "yes",     "never",      "all",    "every",  "other",   "each",
	"much",    "many",    "more",    "most",       "only",   NULL,
};

static const struct {
	const char *code;
	const char *const *words;
} function_words[] = {{"de", de_words}, {"en", en_words}};

/* The function words of a language (static), or NULL. */
static const char *const *words_of(const char *code)
{
	for (size_t i = 0; i < sizeof(function_words) / sizeof(function_words[0]); i++)
		if (strcmp(function_words[i].code, code) == 0)
			return function_words[i].words;
	return NULL;
}

/* Write a private textcat configuration naming only the analyzer's
 * languages and load it. NULL with *why on failure. */
static void *load_textcat(text_analyzer *ta, const char **why)
{
	for (size_t i = 0; i < ta->n_detect; i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s%s.lm", TEXT_TEXTCAT_DIR, ta->langs[i].code);
		if (access(path, R_OK) != 0) {
			*why = "a language has no libexttextcat model (" TEXT_TEXTCAT_DIR
			       "<code>.lm)";
			return NULL;
		}
	}
	const char *dir = getenv("TMPDIR");
	char conf[512];
	snprintf(conf, sizeof(conf), "%s/cluetrain-textcat-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(conf);
	if (fd < 0) {
		*why = "cannot write the language classifier's configuration (TMPDIR)";
		return NULL;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(conf);
		*why = "cannot write the language classifier's configuration (TMPDIR)";
		return NULL;
	}
	int bad = 0;
	for (size_t i = 0; i < ta->n_detect; i++)
		bad |= fprintf(f, "%s.lm %s\n", ta->langs[i].code, ta->langs[i].code) < 0;
	bad |= fclose(f) != 0;
	void *h = bad ? NULL : special_textcat_Init(conf, TEXT_TEXTCAT_DIR);
	unlink(conf);
	if (!h) {
		*why = "libexttextcat could not load the language models";
		return NULL;
	}
	textcat_SetProperty(h, TCPROP_MINIMUM_DOCUMENT_SIZE, TEXTCAT_MIN_BYTES);
	return h;
}

/* Mark the words of a NULL-ended list as used by langs[lang]. */
static void add_words(text_analyzer *ta, const char *const *words, size_t lang)
{
	for (; words && *words; words++)
		*text_dict_slot(&ta->vocabulary, *words, strlen(*words)) |= (int32_t)(1u << lang);
}

ct_err language_init(text_analyzer *ta, const char **why)
{
	if (ta->n_detect < 2)
		return CT_OK; /* nothing to detect */
	ta->textcat = load_textcat(ta, why);
	if (!ta->textcat)
		return CT_ERR_NOT_FOUND;
	ta->candidates = textcat_GetClassifyFullOutput(ta->textcat);
	ta->words_vote = 1;
	for (size_t i = 0; i < ta->n_detect; i++) {
		const char *const *w = words_of(ta->langs[i].code);
		if (!w) {
			ta->words_vote = 0;
			break;
		}
		add_words(ta, w, i);
		const sentiment_lexicon *lx = sentiment_lexicon_for(ta->langs[i].code);
		for (size_t k = 0; lx && k < lx->n_words; k++) {
			const char *word = lx->words[k].word;
			add_words(ta, (const char *const[]){word + (word[0] == '='), NULL}, i);
		}
		if (lx) {
			add_words(ta, lx->negations, i);
			add_words(ta, lx->intensifiers, i);
			add_words(ta, lx->dampeners, i);
			add_words(ta, lx->contrasts, i);
		}
	}
	return CT_OK;
}

void language_free(text_analyzer *ta)
{
	if (ta->textcat) {
		textcat_ReleaseClassifyFullOutput(ta->textcat, ta->candidates);
		textcat_Done(ta->textcat);
	}
	ta->textcat = ta->candidates = NULL;
}

/* 1 when the word holds ä, ö, ü or ß (folded: lower case only). */
static int has_german_letter(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)s[i] == 0xc3) {
			unsigned char c = (unsigned char)s[i + 1];
			if (c == 0xa4 || c == 0xb6 || c == 0xbc || c == 0x9f)
				return 1;
		}
	return 0;
}

/* 1 when code point cp is a letter (for textcat's input). */
static int is_letter(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC: return 1;
	default: return 0;
	}
}

/* Append the letters of text[0..len) to b, case kept (the models know
 * German nouns by their capitals), every run of anything else as one
 * space, and without the chunks that carry no language. */
static void letters_of(const char *text, size_t len, buf *b)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t i = 0;
	int initial = 1; /* at the start of a sentence */
	while (i < len) {
		size_t e = i;
		while (e < len && u[e] != ' ' && u[e] != '\t' && u[e] != '\n' && u[e] != '\r')
			e++;
		if (e > i && !text_noise_chunk(text + i, e - i)) {
			for (size_t k = i; k < e;) {
				utf8proc_int32_t cp = -1;
				utf8proc_ssize_t step = 1;
				if (u[k] < 0x80)
					cp = u[k];
				else
					step = utf8proc_iterate(u + k, (utf8proc_ssize_t)(e - k),
								&cp);
				if (step < 1)
					step = 1, cp = -1;
				int letter = cp >= 0 &&
					     (cp < 0x80 ? (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z'
							: is_letter(cp));
				if (letter && initial && cp < 0x80) {
					char c = (char)(cp | 0x20);
					(void)buf_append(b, &c, 1);
				} else if (letter) {
					(void)buf_append(b, text + k, (size_t)step);
				} else if (b->len && b->data[b->len - 1] != ' ') {
					(void)buf_append(b, " ", 1);
				}
				if (letter)
					initial = 0;
				else if (cp == '.' || cp == '!' || cp == '?' || cp == ':')
					initial = 1;
				k += (size_t)step;
			}
			if (b->len && b->data[b->len - 1] != ' ')
				(void)buf_append(b, " ", 1);
		}
		i = e + 1;
	}
}

/* textcat's choice among the languages for text (index), or -1, and how
 * many votes it is worth: see the top of the file. */
static int ask_textcat(text_analyzer *ta, const char *text, size_t len, double *weight)
{
	buf *b = &ta->scratch;
	buf_reset(b);
	letters_of(text, len < TEXTCAT_MAX_BYTES ? len : TEXTCAT_MAX_BYTES, b);
	while (b->len && b->data[b->len - 1] == ' ')
		b->len--;
	if (b->len < TEXTCAT_MIN_BYTES)
		return -1;
	ta->textcat_calls++;
	candidate_t *c = ta->candidates;
	int n = textcat_ClassifyFull(ta->textcat, b->data, b->len, c);
	if (n < 1)
		return -1; /* SHORT or UNKNOWN */
	for (size_t i = 0; i < ta->n_detect; i++)
		if (strcmp(c[0].name, ta->langs[i].code) == 0) {
			*weight = n == 1 ? TEXTCAT_VOTE : TEXTCAT_VOTE_UNSURE;
			return (int)i;
		}
	return -1;
}

size_t language_detect(text_analyzer *ta, const text_analysis *a, const char *text, size_t len)
{
	if (ta->n_detect < 2)
		return 0;
	double votes[TEXT_MAX_LANGS] = {0};
	if (ta->words_vote) {
		const char *s = a->folded.data;
		int german_letters = 0; /* words with one */
		for (size_t i = 0; i < a->n_words; i++) {
			const text_word *w = &a->words[i];
			if (ta->noise[i])
				continue;
			int32_t mask = 0;
			if (text_dict_get(&ta->vocabulary, s + w->start, w->len, a->hashes[2 * i],
					  &mask) &&
			    mask && (mask & (mask - 1)) == 0)
				votes[__builtin_ctz((unsigned)mask)] += 1;
			german_letters += has_german_letter(s + w->start, w->len);
		}
		for (size_t i = 0; german_letters && i < ta->n_detect; i++)
			if (strcmp(ta->langs[i].code, "de") == 0)
				votes[i] += german_letters > 1 ? 2 * GERMAN_LETTER_VOTE
							       : GERMAN_LETTER_VOTE;
	}
	size_t best = 0, second;
	for (size_t i = 1; i < ta->n_detect; i++)
		if (votes[i] > votes[best])
			best = i;
	second = best == 0 ? 1 : 0;
	for (size_t i = 0; i < ta->n_detect; i++)
		if (i != best && votes[i] > votes[second])
			second = i;
	if (ta->words_vote && votes[best] - votes[second] >= 1)
		return best; /* textcat's vote could not change it */
	double weight = 0;
	int tc = ask_textcat(ta, text, len, &weight);
	if (tc >= 0)
		votes[tc] += weight;
	best = tc >= 0 ? (size_t)tc : 0;
	for (size_t i = 0; i < ta->n_detect; i++)
		if (votes[i] > votes[best])
			best = i;
	return best;
}

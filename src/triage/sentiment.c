/*
 * sentiment.c: a lexicon-based sentiment score for a message, -1 .. 1,
 * and its label (see text.h; the word lists are in sentiment_lexicon.c).
 *
 * The words of the message are looked up by their stems in the lexicon of
 * the message's language. The sum of the weights is adjusted as follows:
 *  - a negation ("nicht", "kein", "not", "never", "don't") flips the next
 *    weighted word within three words, and weakens it: x -0.75 ("nicht
 *    gut" is -1.5, "not bad" +1.5);
 *  - an intensifier ("sehr", "echt", "very", "so") multiplies the next
 *    weighted word within two words by 1.5, a dampener ("etwas",
 *    "slightly") by 0.5;
 *  - punctuation (. , ; ! ?) between two words ends a negation's or an
 *    intensifier's reach;
 *  - after a contrast word ("aber", "but"), what follows counts 1.5 times
 *    and what preceded half ("Danke, aber das ist eine Frechheit");
 *  - emoji add their own weight (😡 -2.5, 👍 +2, 🙏 +1.5), whatever the
 *    language.
 * The sum s becomes the score s / sqrt(s^2 + 15) (the normalisation of
 * VADER, Hutto & Gilbert 2014), so one clear word (weight 2) scores 0.46,
 * one strong word (3) 0.61, and more evidence approaches +-1.
 *
 * A formula ("Guten Tag", "Good morning") does not count its first word.
 *
 * Labels: negative at -0.3 and below, positive at +0.3 and above, neutral
 * between. One mild word (weight 1: "kaputt", "schnell") stays neutral, a
 * clear one (1.5 and more: "danke", "enttäuscht", 😡) decides.
 */
#include <math.h>
#include <string.h>
#include <utf8proc.h>

#include "triage/text_impl.h"

#define NEGATION_REACH 3
#define NEGATION_FACTOR (-0.75)
#define INTENSIFIER_REACH 2
#define INTENSIFIER_FACTOR 1.5
#define DAMPENER_FACTOR 0.5
#define CONTRAST_BEFORE 0.5
#define CONTRAST_AFTER 1.5
#define NORMALISATION_ALPHA 15.0
#define LABEL_THRESHOLD 0.3

/* Put a list of function words of one kind into l->sentiment. */
static ct_err add_kind(text_lang *l, const char *const *words, int kind, buf *tmp)
{
	for (; words && *words; words++) {
		buf_reset(tmp);
		size_t off;
		size_t n = strlen(*words);
		ct_err err = text_lang_stem(l, *words, n, text_hash(*words, n), tmp, &off);
		if (err)
			return err;
		*text_dict_slot(&l->sentiment, tmp->data, strlen(tmp->data)) = kind << 24;
	}
	return CT_OK;
}

ct_err sentiment_init(text_lang *l)
{
	const sentiment_lexicon *lx = l->lexicon;
	buf tmp;
	buf_init(&tmp, 0);
	ct_err err = CT_OK;
	for (size_t i = 0; i < lx->n_words && !err; i++) {
		const char *w = lx->words[i].word;
		if (w[0] == '=') {
			*text_dict_slot(&l->sentiment_exact, w + 1, strlen(w + 1)) =
				SENT_WORD << 24 | (int32_t)i;
			continue;
		}
		buf_reset(&tmp);
		size_t off, n = strlen(w);
		err = text_lang_stem(l, w, n, text_hash(w, n), &tmp, &off);
		if (!err)
			*text_dict_slot(&l->sentiment, tmp.data, strlen(tmp.data)) =
				SENT_WORD << 24 | (int32_t)i;
	}
	/* Function words last: they win over a weighted word with their stem. */
	if (!err)
		err = add_kind(l, lx->negations, SENT_NEGATION, &tmp);
	if (!err)
		err = add_kind(l, lx->intensifiers, SENT_INTENSIFIER, &tmp);
	if (!err)
		err = add_kind(l, lx->dampeners, SENT_DAMPENER, &tmp);
	if (!err)
		err = add_kind(l, lx->contrasts, SENT_CONTRAST, &tmp);
	buf_free(&tmp);
	return err;
}

/* 1 when punctuation that ends a clause stands between words i - 1 and i. */
static int clause_break(const text_analysis *a, size_t i)
{
	const char *s = a->folded.data;
	size_t from = a->words[i - 1].start + a->words[i - 1].len, to = a->words[i].start;
	for (size_t k = from; k < to; k++)
		if (s[k] == '.' || s[k] == ',' || s[k] == ';' || s[k] == '!' || s[k] == '?')
			return 1;
	return 0;
}

/* 1 when words i and i + 1 of a are one of the formulas ("guten tag"). */
static int formula_at(const sentiment_lexicon *lx, const text_analysis *a, size_t i)
{
	if (!lx->formulas || i + 1 >= a->n_words)
		return 0;
	const char *s = a->folded.data;
	const text_word *w = &a->words[i], *next = &a->words[i + 1];
	for (const char *const *f = lx->formulas; *f; f++) {
		const char *space = strchr(*f, ' ');
		if (space && (size_t)(space - *f) == w->len &&
		    memcmp(*f, s + w->start, w->len) == 0 && strlen(space + 1) == next->len &&
		    memcmp(space + 1, s + next->start, next->len) == 0)
			return 1;
	}
	return 0;
}

/* The sum of the emoji weights in the folded text. */
static double emoji_sum(const text_analysis *a)
{
	size_t n_emojis;
	const sentiment_emoji *e = sentiment_emojis(&n_emojis);
	const unsigned char *s = (const unsigned char *)a->folded.data;
	size_t len = a->folded.len;
	double sum = 0;
	for (size_t i = 0; i < len;) {
		if (s[i] < 0xe2) { /* emoji start at U+2600 (E2 98 80) */
			i++;
			continue;
		}
		utf8proc_int32_t cp = -1;
		utf8proc_ssize_t step = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
		i += step > 0 ? (size_t)step : 1;
		size_t lo = 0, hi = n_emojis;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (e[mid].cp < cp)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n_emojis && e[lo].cp == cp)
			sum += e[lo].weight;
	}
	return sum;
}

void sentiment_score(const text_lang *l, text_analysis *a)
{
	double before = 0, after = 0;
	int contrast = 0;
	if (l->lexicon) {
		int negate = 0, boost = 0;
		double factor = 1;
		for (size_t i = 0; i < a->n_words; i++) {
			if (i > 0 && clause_break(a, i))
				negate = boost = 0;
			const text_word *w = &a->words[i];
			int32_t v = 0;
			int kind = 0;
			if (text_dict_get(&l->sentiment_exact, a->folded.data + w->start, w->len,
					  a->hashes[2 * i], &v) ||
			    text_dict_get(&l->sentiment, w->stem, strlen(w->stem),
					  a->hashes[2 * i + 1], &v))
				kind = v >> 24;
			if (kind == SENT_WORD && formula_at(l->lexicon, a, i))
				kind = 0;
			switch (kind) {
			case SENT_NEGATION: negate = NEGATION_REACH + 1; break;
			case SENT_INTENSIFIER:
				factor = INTENSIFIER_FACTOR;
				boost = INTENSIFIER_REACH + 1;
				break;
			case SENT_DAMPENER:
				factor = DAMPENER_FACTOR;
				boost = INTENSIFIER_REACH + 1;
				break;
			case SENT_CONTRAST:
				contrast = 1;
				negate = boost = 0;
				break;
			case SENT_WORD: {
				double weight = l->lexicon->words[v & 0xffffff].weight;
				if (boost)
					weight *= factor;
				if (negate)
					weight *= NEGATION_FACTOR;
				if (contrast)
					after += weight;
				else
					before += weight;
				negate = boost = 0;
				break;
			}
			default: break;
			}
			if (negate)
				negate--;
			if (boost)
				boost--;
		}
	}
	double sum = contrast ? CONTRAST_BEFORE * before + CONTRAST_AFTER * after : before;
	sum += emoji_sum(a);
	double score = sum / sqrt(sum * sum + NORMALISATION_ALPHA);
	if (score > 1)
		score = 1;
	if (score < -1)
		score = -1;
	a->sentiment = score;
	a->feeling = score >= LABEL_THRESHOLD    ? CONCEPT_SENTIMENT_POSITIVE
		     : score <= -LABEL_THRESHOLD ? CONCEPT_SENTIMENT_NEGATIVE
						 : CONCEPT_SENTIMENT_NEUTRAL;
}

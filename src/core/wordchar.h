/*
 * wordchar.h: what a Unicode character is to a word.
 *
 * The one rule for where words begin and end, shared by the search index
 * (store/fts_stem.c) and triage (triage/text.c), so that a keyword of the
 * dialog concept and a search find the same words: letters and digits make
 * words, combining marks continue one (but never start it), everything
 * else (punctuation, symbols, spaces) separates words.
 */
#ifndef CT_WORDCHAR_H
#define CT_WORDCHAR_H

#include <stdint.h>

typedef enum wordchar_class {
	WORDCHAR_SEPARATOR,
	WORDCHAR_LETTER,
	WORDCHAR_MARK,
} wordchar_class;

/* The class of code point cp (by its Unicode general category). */
wordchar_class wordchar_class_of(int32_t cp);

#endif

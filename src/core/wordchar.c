/*
 * wordchar.c: the word rule (see wordchar.h), by utf8proc's categories.
 */
#include <utf8proc.h>

#include "core/wordchar.h"

wordchar_class wordchar_class_of(int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: return WORDCHAR_LETTER;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC: return WORDCHAR_MARK;
	default: return WORDCHAR_SEPARATOR;
	}
}

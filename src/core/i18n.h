/*
 * i18n.h: user-facing text through gettext.
 *
 * Source strings are English; po/de.po translates them. Catalogues are
 * compiled to BUILD/locale/<lang>/LC_MESSAGES/cluetrain.mo and looked up in
 * $CLUETRAIN_LOCALEDIR, else next to the binary (locale/), else the system
 * locale folder. The language follows the environment (LANGUAGE, LANG).
 */
#ifndef CT_I18N_H
#define CT_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

/* Set the locale from the environment and bind the catalogue. */
void i18n_init(void);

/*
 * Translate into the user's language ("de", "en") on this thread until the
 * next call; NULL returns to the process locale. Uses glibc's per-thread
 * locales, so the system must have de_DE.UTF-8 and en_US.UTF-8 generated
 * (scripts/deps.sh does). Without them text stays in English.
 */
void i18n_use(const char *lang);

#endif

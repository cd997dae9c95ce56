/*
 * i18n.c: finding the message catalogue (see i18n.h).
 */
#include "core/i18n.h"

#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* DIR/locale next to the running binary, if it exists, into out. */
static int locale_dir_beside_binary(char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	if ((size_t)snprintf(out, size, "%s/locale", exe) >= size)
		return 0;
	struct stat st;
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode);
}

void i18n_init(void)
{
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C"); /* JSON and logs keep '.' as decimal point */
	char dir[PATH_MAX + 16];
	const char *env = getenv("CLUETRAIN_LOCALEDIR");
	if (env && *env)
		snprintf(dir, sizeof(dir), "%s", env);
	else if (!locale_dir_beside_binary(dir, sizeof(dir)))
		snprintf(dir, sizeof(dir), "/usr/share/locale");
	bindtextdomain("cluetrain", dir);
	bind_textdomain_codeset("cluetrain", "UTF-8");
	textdomain("cluetrain");
}

static locale_t thread_locales[2];
static pthread_once_t locales_once = PTHREAD_ONCE_INIT;

static void load_locales(void)
{
	static const char *const names[2] = {"de_DE.UTF-8", "en_US.UTF-8"};
	for (int i = 0; i < 2; i++)
		thread_locales[i] = newlocale(LC_MESSAGES_MASK, names[i], (locale_t)0);
}

void i18n_use(const char *lang)
{
	pthread_once(&locales_once, load_locales);
	locale_t loc = (locale_t)0;
	if (lang && strcmp(lang, "de") == 0)
		loc = thread_locales[0];
	else if (lang && strcmp(lang, "en") == 0)
		loc = thread_locales[1];
	uselocale(loc ? loc : LC_GLOBAL_LOCALE);
}

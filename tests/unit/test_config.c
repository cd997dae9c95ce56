/*
 * test_config.c: unit tests for the configuration (src/core/config.c):
 * defaults, the file parser (comments, blanks, errors that name file, line
 * and key), range checks on integer keys, environment overrides and the
 * write/load round trip. Each test works in its own temporary folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"

extern char **environ;

typedef struct fixture {
	char dir[64];
	char conf[128];
	config cfg;
	buf msg;
} fixture;

/* Remove every CLUETRAIN_ variable, so the caller's environment cannot leak in. */
static void clear_env(void)
{
	for (;;) {
		char name[256] = "";
		for (char **e = environ; *e; e++)
			if (strncmp(*e, "CLUETRAIN_", 10) == 0) {
				size_t n = strcspn(*e, "=");
				if (n >= sizeof(name))
					n = sizeof(name) - 1;
				memcpy(name, *e, n);
				name[n] = '\0';
				break;
			}
		if (!name[0])
			return;
		unsetenv(name);
	}
}

static int setup(void **state)
{
	clear_env();
	fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ct-config-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->conf, sizeof(f->conf), "%s/cluetrain.conf", f->dir);
	config_defaults(&f->cfg, f->dir);
	buf_init(&f->msg, 4096);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	config_free(&f->cfg);
	buf_free(&f->msg);
	unlink(f->conf);
	rmdir(f->dir);
	free(f);
	clear_env();
	return 0;
}

static void write_conf(const fixture *f, const char *text)
{
	FILE *fp = fopen(f->conf, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* The error message must contain every one of the given fragments. */
static void assert_msg_has(const fixture *f, const char *a, const char *b, const char *c)
{
	const char *m = buf_cstr(&f->msg);
	const char *parts[] = {a, b, c};
	for (int i = 0; i < 3; i++)
		if (parts[i] && !strstr(m, parts[i]))
			fail_msg("message '%s' lacks '%s'", m, parts[i]);
}

static void test_defaults(void **state)
{
	fixture *f = *state;
	char db[160];
	snprintf(db, sizeof(db), "%s/cluetrain.db", f->dir);
	assert_string_equal(f->cfg.data_dir, f->dir);
	assert_string_equal(f->cfg.database, "cluetrain.db"); /* resolved by config_load */
	assert_string_equal(f->cfg.listen, "127.0.0.1:8080");
	assert_string_equal(f->cfg.log_level, "info");
	assert_true(f->cfg.jobs_max_attempts == 8);
	assert_true(f->cfg.ingest_max_batch == 1000);
	assert_true(f->cfg.reopen_window_s == 7 * 86400);
	/* no file, no environment: load succeeds and only resolves paths */
	assert_int_equal(config_load(&f->cfg, &f->msg), CT_OK);
	assert_string_equal(f->cfg.database, db);
	assert_string_equal(f->cfg.listen, "127.0.0.1:8080");
	assert_true(f->cfg.jobs_max_attempts == 8);
	assert_string_equal(buf_cstr(&f->msg), "");
}

static void test_file_parse(void **state)
{
	fixture *f = *state;
	write_conf(f, "# a comment line\n"
		      "\n"
		      "listen = 0.0.0.0:9000\n"
		      "   jobs.max_attempts   =   3   # trailing comment\n"
		      "\tlog_level=debug\n"
		      "store.readers = 2\r\n"
		      "database = /var/lib/x y/ct.db\n"
		      "   \n");
	assert_int_equal(config_load(&f->cfg, &f->msg), CT_OK);
	assert_string_equal(f->cfg.listen, "0.0.0.0:9000");
	assert_true(f->cfg.jobs_max_attempts == 3);
	assert_string_equal(f->cfg.log_level, "debug");
	assert_true(f->cfg.readers == 2);
	assert_string_equal(f->cfg.database, "/var/lib/x y/ct.db"); /* inner spaces kept */
	assert_true(f->cfg.ingest_max_batch == 1000);               /* untouched */
}

static void test_unknown_key_names_line_and_key(void **state)
{
	fixture *f = *state;
	write_conf(f, "listen = 127.0.0.1:1\n# comment\njobs.max_attempt = 3\n");
	assert_int_equal(config_load(&f->cfg, &f->msg), CT_ERR_INVALID);
	char where[160];
	snprintf(where, sizeof(where), "%s:3:", f->conf);
	assert_msg_has(f, where, "jobs.max_attempt", "unknown");
}

static void test_missing_equals_names_line(void **state)
{
	fixture *f = *state;
	write_conf(f, "\n\nlisten 127.0.0.1:1\n");
	assert_int_equal(config_load(&f->cfg, &f->msg), CT_ERR_INVALID);
	char where[160];
	snprintf(where, sizeof(where), "%s:3:", f->conf);
	assert_msg_has(f, where, "key = value", NULL);
}

static void test_bad_values_name_line_and_key(void **state)
{
	fixture *f = *state;
	static const char *const bad[] = {
		"jobs.max_attempts = 0\n",   /* below the minimum 1 */
		"jobs.max_attempts = 101\n", /* above the maximum 100 */
		"jobs.max_attempts = 12abc\n",
		"jobs.max_attempts = \n",
		"jobs.max_attempts = 3.5\n",
		"jobs.max_attempts = 99999999999999999999999\n", /* overflows long long */
		"jobs.max_attempts = -1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&f->msg);
		char text[128];
		snprintf(text, sizeof(text), "# line 1\n%s", bad[i]);
		write_conf(f, text);
		assert_int_equal(config_load(&f->cfg, &f->msg), CT_ERR_INVALID);
		char where[160];
		snprintf(where, sizeof(where), "%s:2:", f->conf);
		assert_msg_has(f, where, "jobs.max_attempts", "1 to 100");
		assert_true(f->cfg.jobs_max_attempts == 8); /* unchanged */
	}
}

static void test_range_bounds(void **state)
{
	fixture *f = *state;
	buf *m = &f->msg;
	assert_int_equal(config_set(&f->cfg, "jobs.max_attempts", "1", m), CT_OK);
	assert_true(f->cfg.jobs_max_attempts == 1);
	assert_int_equal(config_set(&f->cfg, "jobs.max_attempts", "100", m), CT_OK);
	assert_true(f->cfg.jobs_max_attempts == 100);
	assert_int_equal(config_set(&f->cfg, "ingest.max_body", "1023", m), CT_ERR_INVALID);
	assert_int_equal(config_set(&f->cfg, "ingest.max_body", "1024", m), CT_OK);
	assert_int_equal(config_set(&f->cfg, "ingest.max_body", "1073741824", m), CT_OK);
	assert_int_equal(config_set(&f->cfg, "ingest.max_body", "1073741825", m), CT_ERR_INVALID);
	assert_true(f->cfg.ingest_max_body == 1073741824);
	assert_int_equal(config_set(&f->cfg, "inbox.reopen_window_s", "0", m), CT_OK);
	assert_true(f->cfg.reopen_window_s == 0);
	assert_int_equal(config_set(&f->cfg, "store.readers", "65", m), CT_ERR_INVALID);
	assert_int_equal(config_set(&f->cfg, "no.such.key", "1", m), CT_ERR_INVALID);
	assert_non_null(strstr(buf_cstr(m), "no.such.key"));
}

static void test_env_overrides_file(void **state)
{
	fixture *f = *state;
	write_conf(f, "jobs.max_attempts = 3\nlisten = 127.0.0.1:7000\nstore.readers = 2\n");
	setenv("CLUETRAIN_JOBS_MAX_ATTEMPTS", "5", 1);
	setenv("CLUETRAIN_LISTEN", "127.0.0.1:7001", 1);
	assert_int_equal(config_load(&f->cfg, &f->msg), CT_OK);
	assert_true(f->cfg.jobs_max_attempts == 5);
	assert_string_equal(f->cfg.listen, "127.0.0.1:7001");
	assert_true(f->cfg.readers == 2); /* from the file: no variable set */
}

static void test_env_bad_value_names_variable(void **state)
{
	fixture *f = *state;
	setenv("CLUETRAIN_STORE_READERS", "0", 1);
	assert_int_equal(config_load(&f->cfg, &f->msg), CT_ERR_INVALID);
	assert_msg_has(f, "CLUETRAIN_STORE_READERS", "store.readers", "1 to 64");
	assert_true(f->cfg.readers == 4);
}

static void test_file_error_stops_before_env(void **state)
{
	fixture *f = *state;
	write_conf(f, "bogus = 1\n");
	setenv("CLUETRAIN_LISTEN", "127.0.0.1:7001", 1);
	assert_int_equal(config_load(&f->cfg, &f->msg), CT_ERR_INVALID);
	assert_msg_has(f, "bogus", NULL, NULL);
}

static void test_write_load_round_trip(void **state)
{
	fixture *f = *state;
	buf *m = &f->msg;
	assert_int_equal(config_set(&f->cfg, "listen", "127.0.0.1:4242", m), CT_OK);
	assert_int_equal(config_set(&f->cfg, "jobs.backoff_base_ms", "1234", m), CT_OK);
	assert_int_equal(config_set(&f->cfg, "log_level", "warn", m), CT_OK);
	assert_int_equal(config_write(&f->cfg, f->conf), CT_OK);

	config other;
	config_defaults(&other, f->dir);
	assert_int_equal(config_load(&other, m), CT_OK);
	assert_string_equal(other.listen, "127.0.0.1:4242");
	assert_true(other.jobs_backoff_base_ms == 1234);
	assert_string_equal(other.log_level, "warn");
	char db[160];
	snprintf(db, sizeof(db), "%s/cluetrain.db", f->dir);
	assert_string_equal(other.database, db);
	assert_true(other.ingest_max_text == f->cfg.ingest_max_text);
	assert_true(other.reopen_window_s == f->cfg.reopen_window_s);
	config_free(&other);
}

static void test_relative_paths_in_data_dir(void **state)
{
	fixture *f = *state;
	char want[200];
	write_conf(f, "database = sub/inbox.db\n");
	assert_int_equal(config_load(&f->cfg, &f->msg), CT_OK);
	snprintf(want, sizeof(want), "%s/sub/inbox.db", f->dir);
	assert_string_equal(f->cfg.database, want);
	config_free(&f->cfg);

	/* an absolute path stays as it is, also from the environment */
	config_defaults(&f->cfg, f->dir);
	setenv("CLUETRAIN_DATABASE", "/var/lib/cluetrain/x.db", 1);
	assert_int_equal(config_load(&f->cfg, &f->msg), CT_OK);
	assert_string_equal(f->cfg.database, "/var/lib/cluetrain/x.db");
}

static void test_written_file_is_private(void **state)
{
	fixture *f = *state;
	assert_int_equal(config_write(&f->cfg, f->conf), CT_OK);
	struct stat st;
	assert_int_equal(stat(f->conf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* it may hold the mail password */
}

static void test_write_to_bad_path(void **state)
{
	fixture *f = *state;
	char path[160];
	snprintf(path, sizeof(path), "%s/no/such/dir/cluetrain.conf", f->dir);
	assert_int_equal(config_write(&f->cfg, path), CT_ERR_IO);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_defaults),
		TEST(test_file_parse),
		TEST(test_unknown_key_names_line_and_key),
		TEST(test_missing_equals_names_line),
		TEST(test_bad_values_name_line_and_key),
		TEST(test_range_bounds),
		TEST(test_env_overrides_file),
		TEST(test_env_bad_value_names_variable),
		TEST(test_file_error_stops_before_env),
		TEST(test_write_load_round_trip),
		TEST(test_relative_paths_in_data_dir),
		TEST(test_written_file_is_private),
		TEST(test_write_to_bad_path),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}

/*
 * test_log.c: log lines as they reach LOG_FILE: one line per entry with
 * its role and level, control characters escaped so that outside text
 * cannot forge a line or send terminal escapes, long entries whole, and
 * held lines written in order by log_flush and before a warning.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "unit.h"

static char path[64];

static void
setup(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/aiclientd-test-log.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	log_init(LOG_DEST_FILE, path, LOG_LVL_DEBUG);
	log_procinit("unit");
}

static void
teardown(void)
{
	unlink(path);
}

/* The file's contents (NUL-terminated, malloc'd). */
static char *
contents(void)
{
	FILE *f = fopen(path, "r");
	char *s = calloc(1, 1 << 20);
	size_t n;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(s);
	n = fread(s, 1, (1 << 20) - 1, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

START_TEST(plain_line)
{
	char *s;

	log_info("hello %d", 42);
	s = contents();
	ck_assert_int_eq(count_lines(s), 1);
	ck_assert_ptr_nonnull(strstr(s, " unit["));
	ck_assert_ptr_nonnull(strstr(s, "]: info: hello 42\n"));
	free(s);
}
END_TEST

START_TEST(control_characters_escaped)
{
	char *s;

	log_warnx("upstream said: bad\r\n2026-01-01 00:00:00.000 master[1]: "
	    "info: forged\x1b[31m red\x7f");
	s = contents();
	/* one entry: the forged text is on a continuation line (a tab
	 * first), CR, ESC and DEL are hex */
	ck_assert_ptr_nonnull(strstr(s, "warn: upstream said: bad\\x0d\n\t"
	    "2026-01-01 00:00:00.000 master[1]: info: forged\\x1b[31m "
	    "red\\x7f\n"));
	ck_assert_ptr_null(strstr(s, "\n2026-01-01"));
	ck_assert_ptr_null(strchr(s, '\x1b'));
	free(s);
}
END_TEST

START_TEST(long_entry_whole)
{
	char *big = malloc(10000), *s;

	memset(big, 'a', 9999);
	big[9999] = '\0';
	big[5000] = '\n';
	log_info("[prompt]:\n%s", big);
	s = contents();
	ck_assert_int_eq(count_lines(s), 3);
	ck_assert_ptr_nonnull(strstr(s, "info: [prompt]:\n\taaaa"));
	ck_assert_uint_eq(strlen(s) > 10000, 1);
	free(s);
	free(big);
}
END_TEST

START_TEST(held_lines_in_order)
{
	char *s, *a, *b, *c;

	log_hold();
	log_info("first");
	log_debug("second");
	s = contents();
	ck_assert_int_eq(count_lines(s), 0);	/* held */
	free(s);
	ck_assert_int_eq(log_pending(), 1);
	log_warnx("third");			/* writes the held ones first */
	s = contents();
	ck_assert_int_eq(count_lines(s), 3);
	a = strstr(s, "info: first");
	b = strstr(s, "debug: second");
	c = strstr(s, "warn: third");
	ck_assert(a != NULL && b != NULL && c != NULL && a < b && b < c);
	free(s);
	log_info("fourth");
	log_flush();
	ck_assert_int_eq(log_pending(), 0);
	s = contents();
	ck_assert_int_eq(count_lines(s), 4);
	free(s);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *t = tcase_create("lines");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, plain_line);
	tcase_add_test(t, control_characters_escaped);
	tcase_add_test(t, long_entry_whole);
	tcase_add_test(t, held_lines_in_order);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(log_suite)

/*
 * test_kiro_creds.c: Kiro credentials in the master: loading (social,
 * IdC with its client registration, self-contained builder-id, base64),
 * the refresh calls' bodies and answers, and the atomic write-back that
 * keeps every member the daemon does not own.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "kiro_creds.h"
#include "unit.h"
#include "util.h"

#define CRED(x)	FIXTURES "/kiro/credentials/" x
#define REFR(x)	FIXTURES "/kiro/refresh/" x

static char dir[] = "/tmp/aiclientd-creds-XXXXXX";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		perror("rm");
	strcpy(dir, "/tmp/aiclientd-creds-XXXXXX");
}

static char *
slurp(const char *path)
{
	char *s = file_read_all(path, 1 << 20, NULL);

	ck_assert_msg(s != NULL, "cannot read %s", path);
	return s;
}

START_TEST(social_file_loads)
{
	struct kiro_cred c;
	char err[256];

	ck_assert_int_eq(kiro_cred_load_file(CRED("social/kiro-auth-token.json"),
	    &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.social, 1);
	ck_assert_str_eq(c.access_token, "aoaAAAAAFAKE-social-access-token-0001");
	ck_assert_str_eq(c.refresh_token,
	    "aorAAAAAFAKE-social-refresh-token-0001");
	ck_assert_str_eq(c.profile_arn,
	    "arn:aws:codewhisperer:us-east-1:000000000000:profile/FAKEPROFILE01");
	ck_assert_str_eq(c.region, "us-east-1");
	ck_assert_str_eq(c.idc_region, "us-east-1");
	ck_assert(c.expires_ms == iso8601_parse("2030-01-01T00:00:00.000Z"));
	kiro_cred_clear(&c);
}
END_TEST

START_TEST(idc_file_takes_its_client_registration)
{
	struct kiro_cred c;
	json_object *want;
	char err[256];

	ck_assert_int_eq(kiro_cred_load_file(CRED("idc/kiro-auth-token.json"),
	    &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.social, 0);
	ck_assert_str_eq(c.client_id, "FAKE-client-id-0001");
	ck_assert_str_eq(c.client_secret, "FAKE-client-secret-0001");
	/* the registration's own expiresAt must not win */
	ck_assert(c.expires_ms == iso8601_parse("2030-01-01T00:00:00.000Z"));
	want = json_object_from_file(CRED("idc-merged.expected.json"));
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(json_object_equal(want, c.record), "merged record: %s",
	    json_object_to_json_string(c.record));
	json_object_put(want);
	kiro_cred_clear(&c);
}
END_TEST

START_TEST(builder_id_file_parses_nanosecond_offsets)
{
	struct kiro_cred c;
	char err[256];

	ck_assert_int_eq(kiro_cred_load_file(
	    CRED("builder-id/kiro-auth-token.json"), &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.social, 0);
	ck_assert_str_eq(c.client_id, "FAKE-client-id-0002");
	ck_assert(c.expires_ms == iso8601_parse("2026-01-09T04:43:18.079Z"));
	kiro_cred_clear(&c);
}
END_TEST

START_TEST(base64_credential_loads)
{
	struct kiro_cred c;
	char err[256], *b64;

	b64 = slurp(CRED("social/kiro-auth-token.base64.txt"));
	ck_assert_int_eq(kiro_cred_load_base64(b64, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.refresh_token,
	    "aorAAAAAFAKE-social-refresh-token-0001");
	kiro_cred_clear(&c);
	ck_assert_int_eq(kiro_cred_load_base64("!!!", &c, err, sizeof(err)),
	    -1);
	ck_assert(strstr(err, "not valid base64") != NULL);
	free(b64);
}
END_TEST

struct badcase {
	const char	*content;
	const char	*want;	/* substring of the error */
};

static const struct badcase bad[] = {
	{ "{\"accessToken\": \"a\",", "not valid JSON" },
	{ "[1,2]", "not a JSON object" },
	{ "{\"region\": \"us-east-1\"}", "neither accessToken nor refreshToken" },
	{ "", "not valid JSON" },
};

START_TEST(broken_files_are_refused_with_the_path)
{
	struct kiro_cred c;
	char path[300], err[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bad.json", dir);
	f = fopen(path, "w");
	fputs(bad[_i].content, f);
	fclose(f);
	ck_assert_int_eq(kiro_cred_load_file(path, &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, path) != NULL, "%s", err);
	ck_assert_msg(strstr(err, bad[_i].want) != NULL, "%s", err);
}
END_TEST

START_TEST(missing_file_names_the_reason)
{
	struct kiro_cred c;
	char err[512];

	ck_assert_int_eq(kiro_cred_load_file("/nonexistent/kiro.json", &c,
	    err, sizeof(err)), -1);
	ck_assert(strstr(err, "/nonexistent/kiro.json: No such file") != NULL);
}
END_TEST

static void
check_request(const char *cred, const char *want_file, const char *want_url)
{
	struct kiro_cred c;
	struct buf body;
	json_object *want, *got;
	char err[256], *url;

	ck_assert_int_eq(kiro_cred_load_file(cred, &c, err, sizeof(err)), 0);
	buf_init(&body, 0);
	ck_assert_int_eq(kiro_refresh_request(&c,
	    "https://prod.{{region}}.auth.desktop.kiro.dev/refreshToken",
	    "https://oidc.{{region}}.amazonaws.com/token", &url, &body, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(url, want_url);
	want = json_object_from_file(want_file);
	got = json_tokener_parse(body.data);
	ck_assert_msg(json_object_equal(want, got), "%s", body.data);
	json_object_put(want);
	json_object_put(got);
	free(url);
	buf_free(&body);
	kiro_cred_clear(&c);
}

START_TEST(refresh_requests_match_the_fixtures)
{
	check_request(CRED("social/kiro-auth-token.json"),
	    REFR("social.request.json"),
	    "https://prod.us-east-1.auth.desktop.kiro.dev/refreshToken");
	check_request(CRED("idc/kiro-auth-token.json"), REFR("idc.request.json"),
	    "https://oidc.us-east-1.amazonaws.com/token");
}
END_TEST

START_TEST(idc_without_client_cannot_refresh)
{
	struct kiro_cred c;
	struct buf body;
	char err[256], *url;

	ck_assert_int_eq(kiro_cred_from_json(json_tokener_parse(
	    "{\"refreshToken\":\"r\",\"authMethod\":\"IdC\"}"), &c, err,
	    sizeof(err)), 0);
	buf_init(&body, 0);
	ck_assert_int_eq(kiro_refresh_request(&c, "a", "b", &url, &body, err,
	    sizeof(err)), -1);
	ck_assert(strstr(err, "clientId") != NULL);
	buf_free(&body);
	kiro_cred_clear(&c);
}
END_TEST

START_TEST(refresh_answer_is_applied)
{
	struct kiro_cred c;
	char err[256], *resp;
	int64_t now = 1800000000000LL;

	ck_assert_int_eq(kiro_cred_load_file(CRED("social/kiro-auth-token.json"),
	    &c, err, sizeof(err)), 0);
	resp = slurp(REFR("social.response.json"));
	ck_assert_int_eq(kiro_refresh_apply(&c, resp, strlen(resp), now, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(c.access_token, "aoaAAAAAFAKE-social-access-token-0002");
	ck_assert_str_eq(c.refresh_token,
	    "aorAAAAAFAKE-social-refresh-token-0002");
	ck_assert(c.expires_ms == now + 3600 * 1000);
	free(resp);
	/* no refreshToken in the answer: the old one stays (HEAD) */
	ck_assert_int_eq(kiro_refresh_apply(&c, "{\"accessToken\":\"x3\"}", 21,
	    now, err, sizeof(err)), 0);
	ck_assert_str_eq(c.refresh_token,
	    "aorAAAAAFAKE-social-refresh-token-0002");
	ck_assert(c.expires_ms == now + 3600 * 1000);
	/* no accessToken: refused, nothing changed */
	ck_assert_int_eq(kiro_refresh_apply(&c, "{\"expiresIn\":5}", 15, now,
	    err, sizeof(err)), -1);
	ck_assert(strstr(err, "invalid refresh response") != NULL);
	ck_assert_str_eq(c.access_token, "x3");
	kiro_cred_clear(&c);
}
END_TEST

START_TEST(write_back_keeps_other_members_and_is_private)
{
	struct kiro_cred c;
	struct stat st;
	json_object *o, *v;
	char path[300], err[256], *orig, *resp;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kiro-auth-token.json", dir);
	orig = slurp(CRED("social/kiro-auth-token.json"));
	f = fopen(path, "w");
	fputs(orig, f);
	fclose(f);
	chmod(path, 0644);
	free(orig);
	ck_assert_int_eq(kiro_cred_load_file(path, &c, err, sizeof(err)), 0);
	resp = slurp(REFR("social.response.json"));
	ck_assert_int_eq(kiro_refresh_apply(&c, resp, strlen(resp),
	    1800000000000LL, err, sizeof(err)), 0);
	free(resp);
	ck_assert_int_eq(kiro_cred_write_back(path, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	o = json_object_from_file(path);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "provider", &v));
	ck_assert_str_eq(json_object_get_string(v), "Google");
	ck_assert(json_object_object_get_ex(o, "authMethod", &v));
	ck_assert(json_object_object_get_ex(o, "accessToken", &v));
	ck_assert_str_eq(json_object_get_string(v),
	    "aoaAAAAAFAKE-social-access-token-0002");
	ck_assert(json_object_object_get_ex(o, "expiresAt", &v));
	ck_assert_str_eq(json_object_get_string(v), "2027-01-15T09:00:00.000Z");
	json_object_put(o);
	/* no temporary file is left behind */
	snprintf(path, sizeof(path), "ls %s | grep -q tmp", dir);
	ck_assert_int_ne(system(path), 0);
	kiro_cred_clear(&c);
}
END_TEST

START_TEST(region_placeholder)
{
	char *u = url_region("https://q.{{region}}.amazonaws.com/x", "eu-west-1");

	ck_assert_str_eq(u, "https://q.eu-west-1.amazonaws.com/x");
	free(u);
	u = url_region("http://127.0.0.1:1/x", "eu-west-1");
	ck_assert_str_eq(u, "http://127.0.0.1:1/x");
	free(u);
}
END_TEST

START_TEST(expiry_forms)
{
	json_object *o;

	o = json_object_new_int64(1767225600);		/* seconds */
	ck_assert(kiro_parse_expiry(o) == 1767225600000LL);
	json_object_put(o);
	o = json_object_new_int64(1767225600123LL);	/* ms */
	ck_assert(kiro_parse_expiry(o) == 1767225600123LL);
	json_object_put(o);
	o = json_object_new_string("2026-01-01T00:00:00+01:00");
	ck_assert(kiro_parse_expiry(o) == 1767222000000LL);
	json_object_put(o);
	o = json_object_new_string("garbage");
	ck_assert(kiro_parse_expiry(o) == 0);
	json_object_put(o);
}
END_TEST

static Suite *
creds_suite(void)
{
	Suite *s = suite_create("kiro_creds");
	TCase *t = tcase_create("creds");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, social_file_loads);
	tcase_add_test(t, idc_file_takes_its_client_registration);
	tcase_add_test(t, builder_id_file_parses_nanosecond_offsets);
	tcase_add_test(t, base64_credential_loads);
	tcase_add_loop_test(t, broken_files_are_refused_with_the_path, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(t, missing_file_names_the_reason);
	tcase_add_test(t, refresh_requests_match_the_fixtures);
	tcase_add_test(t, idc_without_client_cannot_refresh);
	tcase_add_test(t, refresh_answer_is_applied);
	tcase_add_test(t, write_back_keeps_other_members_and_is_private);
	tcase_add_test(t, region_placeholder);
	tcase_add_test(t, expiry_forms);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(creds_suite)

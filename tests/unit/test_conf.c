/*
 * test_conf.c: configuration loading: YAML and JSON, defaults merged
 * per key, environment and flag layers, coercion, normalisation, and
 * diagnostics that name the file and line.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "unit.h"

static char dir[] = "/tmp/aiclientd-conf-XXXXXX";
static char path[256];
static struct conf_diags d;

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	conf_diags_init(&d);
}

static void
teardown(void)
{
	char cmd[512];

	conf_diags_free(&d);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		perror("rm");
	strcpy(dir, "/tmp/aiclientd-conf-XXXXXX");
}

static const char *
write_file(const char *name, const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static struct conf *
load(const char *text, const char *name)
{
	return conf_load(write_file(name, text), NULL, 0, 0, &d);
}

/* Does some diagnostic contain s (and is it an error when error is 1)? */
static int
has_diag(const char *s, int error)
{
	size_t i;

	for (i = 0; i < d.n; i++)
		if (strstr(d.v[i].text, s) != NULL && d.v[i].error == error)
			return 1;
	return 0;
}

START_TEST(yaml_values_and_defaults_are_merged)
{
	struct conf *c;

	c = load("# comment\n"
	    "REQUIRED_API_KEY: \"0123456789abcdef\"\n"
	    "SERVER_PORT: 3111\n"
	    "HOST: 127.0.0.1\n"
	    "MODEL_PROVIDER: claude-kiro-oauth\n"
	    "CRON_REFRESH_TOKEN: false\n", "a.yaml");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->api_key_state, APIKEY_SET);
	ck_assert_str_eq(c->required_api_key, "0123456789abcdef");
	ck_assert_int_eq(c->server_port, 3111);
	ck_assert_str_eq(c->host, "127.0.0.1");
	ck_assert_int_eq(c->nmodel_providers, 1);
	ck_assert_str_eq(c->model_providers[0], "claude-kiro-oauth");
	ck_assert_int_eq(c->cron_refresh_token, 0);
	/* defaults of keys the file does not name */
	ck_assert_int_eq(c->workers, 4);
	ck_assert_int_eq(c->max_workers, 64);
	ck_assert_int_eq(c->request_max_retries, 3);
	ck_assert_int_eq(c->request_base_delay, 1000);
	ck_assert_int_eq(c->max_body_bytes, 32 * 1024 * 1024);
	ck_assert_int_eq(c->keepalive_timeout_seconds, 5);
	ck_assert_str_eq(c->openai_base_url, "https://api.openai.com/v1");
	ck_assert_int_eq(c->prompt_log_mode, PROMPT_LOG_NONE);
	ck_assert_int_eq(c->system_prompt_mode, SYSPROMPT_OVERWRITE);
	conf_free(c);
}
END_TEST

START_TEST(json_file_of_the_reference_loads)
{
	struct conf *c;

	c = load("  {\n"
	    "  \"REQUIRED_API_KEY\": \"123456\",\n"
	    "  \"SERVER_PORT\": 3000,\n"
	    "  \"HOST\": \"localhost\",\n"
	    "  \"MODEL_PROVIDER\": \"gemini-cli-oauth\",\n"
	    "  \"OPENAI_API_KEY\": null,\n"
	    "  \"SOMETHING_NEW\": 1,\n"
	    "  \"PROMPT_LOG_MODE\": \"full\"\n"
	    "}\n", "config.json");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->required_api_key, "123456");
	ck_assert_ptr_null(c->openai_api_key);
	ck_assert_int_eq(c->prompt_log_mode, PROMPT_LOG_FILE);
	ck_assert(has_diag("config.json:7: unknown key 'SOMETHING_NEW'", 0));
	conf_free(c);
}
END_TEST

START_TEST(json_with_bom_loads)
{
	struct conf *c;

	c = load("\xef\xbb\xbf{\"REQUIRED_API_KEY\": \"k\", \"HOST\": "
	    "\"127.0.0.1\"}", "bom.json");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->required_api_key, "k");
	conf_free(c);
}
END_TEST

START_TEST(yaml_syntax_error_names_the_line)
{
	ck_assert_ptr_null(load("REQUIRED_API_KEY: x\nHOST: [a, b\n"
	    "SERVER_PORT: 1\n", "bad.yaml"));
	ck_assert_uint_eq(d.nerrors, 1);
	ck_assert(strstr(d.v[0].text, "bad.yaml:") != NULL);
	ck_assert(strstr(d.v[0].text, "YAML syntax error") != NULL);
}
END_TEST

START_TEST(json_syntax_error_names_line_and_column)
{
	ck_assert_ptr_null(load("{\n  \"REQUIRED_API_KEY\": \"x\",\n"
	    "  \"SERVER_PORT\": 30 00\n}\n", "bad.json"));
	ck_assert(has_diag("bad.json:3: JSON syntax error at column", 1));
}
END_TEST

START_TEST(wrong_type_names_key_and_line)
{
	ck_assert_ptr_null(load("REQUIRED_API_KEY: x\n\nSERVER_PORT: abc\n",
	    "t.yaml"));
	ck_assert(has_diag("t.yaml:3: SERVER_PORT: expected an integer", 1));
}
END_TEST

START_TEST(out_of_range_is_an_error)
{
	ck_assert_ptr_null(load("REQUIRED_API_KEY: x\nSERVER_PORT: 70000\n",
	    "r.yaml"));
	ck_assert(has_diag("SERVER_PORT: 70000 is out of range", 1));
	conf_diags_free(&d);
	ck_assert_ptr_null(load("REQUIRED_API_KEY: x\nWORKERS: 0\n",
	    "w.yaml"));
	ck_assert(has_diag("WORKERS: 0 is out of range", 1));
}
END_TEST

START_TEST(missing_api_key_refuses_with_a_hint)
{
	ck_assert_ptr_null(load("SERVER_PORT: 3000\n", "k.yaml"));
	ck_assert(has_diag("REQUIRED_API_KEY is not set", 1));
	ck_assert(has_diag("openssl rand", 1));
}
END_TEST

START_TEST(empty_api_key_only_on_loopback)
{
	struct conf *c;

	c = load("REQUIRED_API_KEY: \"\"\nHOST: 127.0.0.1\n", "l.yaml");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->api_key_state, APIKEY_DISABLED);
	ck_assert(has_diag("authentication is OFF", 0));
	conf_free(c);
	conf_diags_free(&d);
	c = load("REQUIRED_API_KEY: null\nHOST: localhost\n", "n.yaml");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->api_key_state, APIKEY_DISABLED);
	conf_free(c);
	conf_diags_free(&d);
	ck_assert_ptr_null(load("REQUIRED_API_KEY: \"\"\nHOST: 0.0.0.0\n",
	    "p.yaml"));
	ck_assert(has_diag("only allowed when HOST is a loopback", 1));
}
END_TEST

START_TEST(numeric_api_key_is_a_string)
{
	struct conf *c;

	c = load("REQUIRED_API_KEY: 123456\nHOST: 127.0.0.1\n", "n.yaml");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->required_api_key, "123456");
	conf_free(c);
}
END_TEST

START_TEST(short_key_on_public_listener_warns)
{
	struct conf *c;

	c = load("REQUIRED_API_KEY: abc\nHOST: 0.0.0.0\n", "s.yaml");
	ck_assert_ptr_nonnull(c);
	ck_assert(has_diag("shorter than 16", 0));
	conf_free(c);
}
END_TEST

START_TEST(model_provider_is_normalised)
{
	struct conf *c;

	c = load("REQUIRED_API_KEY: x\n"
	    "MODEL_PROVIDER: \" Claude-Kiro-OAuth, bogus ,gemini-cli-oauth,"
	    "claude-kiro-oauth, openai-custom-prod\"\n", "m.yaml");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->nmodel_providers, 3);
	ck_assert_str_eq(c->model_providers[0], "claude-kiro-oauth");
	ck_assert_str_eq(c->model_providers[1], "gemini-cli-oauth");
	ck_assert_str_eq(c->model_providers[2], "openai-custom-prod");
	ck_assert(has_diag("unknown provider 'bogus'", 0));
	conf_free(c);
	conf_diags_free(&d);
	c = load("REQUIRED_API_KEY: x\nMODEL_PROVIDER: [openai-custom, "
	    "claude-custom]\n", "l.yaml");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->nmodel_providers, 2);
	ck_assert_str_eq(c->model_providers[1], "claude-custom");
	conf_free(c);
	conf_diags_free(&d);
	c = load("REQUIRED_API_KEY: x\nMODEL_PROVIDER: nothing\n", "e.yaml");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->model_providers[0], "gemini-cli-oauth");
	conf_free(c);
}
END_TEST

struct boolcase {
	const char	*text;
	int		 value;	/* -1: error */
};

static const struct boolcase bools[] = {
	{ "true", 1 }, { "false", 0 }, { "\"yes\"", 1 }, { "off", 0 },
	{ "\"on\"", 1 }, { "\"0\"", 0 }, { "1", 1 }, { "\"TRUE\"", 1 },
	{ "maybe", -1 }, { "2", -1 }, { "[true]", -1 },
};

START_TEST(booleans_accept_the_usual_spellings)
{
	char text[128];
	struct conf *c;

	snprintf(text, sizeof(text), "REQUIRED_API_KEY: x\n"
	    "CRON_REFRESH_TOKEN: %s\n", bools[_i].text);
	c = load(text, "b.yaml");
	if (bools[_i].value == -1) {
		ck_assert_ptr_null(c);
		ck_assert(has_diag("CRON_REFRESH_TOKEN: expected true or false",
		    1));
		return;
	}
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->cron_refresh_token, bools[_i].value);
	conf_free(c);
}
END_TEST

START_TEST(relative_paths_follow_the_config_file)
{
	struct conf *c;
	char want[512];

	setenv("HOME", "/home/tester", 1);
	c = load("REQUIRED_API_KEY: x\n"
	    "KIRO_OAUTH_CREDS_FILE_PATH: creds/kiro.json\n"
	    "PROVIDER_POOLS_FILE_PATH: ~/pools.json\n"
	    "STATE_DIR: /var/tmp/x\n", "p.yaml");
	ck_assert_ptr_nonnull(c);
	snprintf(want, sizeof(want), "%s/creds/kiro.json", dir);
	ck_assert_str_eq(c->kiro_oauth_creds_file_path, want);
	ck_assert_str_eq(c->provider_pools_file_path,
	    "/home/tester/pools.json");
	ck_assert_str_eq(c->state_dir, "/var/tmp/x");
	snprintf(want, sizeof(want), "%s/input_system_prompt.txt", dir);
	ck_assert_str_eq(c->system_prompt_file_path, want);
	conf_free(c);
}
END_TEST

START_TEST(environment_beats_file_and_flags_beat_environment)
{
	struct conf_override ov[] = {
		{ "SERVER_PORT", "4002" },
		{ "WORKERS", "3" },
	};
	struct conf *c;

	write_file("e.yaml", "REQUIRED_API_KEY: x\nSERVER_PORT: 4000\n"
	    "WORKERS: 2\nMAX_WORKERS: 9\nHOST: 127.0.0.1\n");
	setenv("SERVER_PORT", "4001", 1);
	setenv("MAX_WORKERS", "7", 1);
	setenv("USER", "nobody", 1);	/* never read from the environment */
	c = conf_load(path, ov, 2, 1, &d);
	unsetenv("SERVER_PORT");
	unsetenv("MAX_WORKERS");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->server_port, 4002);
	ck_assert_int_eq(c->workers, 3);
	ck_assert_int_eq(c->max_workers, 7);
	ck_assert_ptr_null(c->user);
	conf_free(c);
}
END_TEST

START_TEST(environment_can_set_an_empty_key)
{
	struct conf *c;

	write_file("e.yaml", "REQUIRED_API_KEY: secretsecretsecret\n"
	    "HOST: 127.0.0.1\n");
	setenv("REQUIRED_API_KEY", "", 1);
	c = conf_load(path, NULL, 0, 1, &d);
	unsetenv("REQUIRED_API_KEY");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->api_key_state, APIKEY_DISABLED);
	conf_free(c);
}
END_TEST

START_TEST(flag_with_bad_value_is_an_error)
{
	struct conf_override ov[] = { { "SERVER_PORT", "x1" } };

	write_file("f.yaml", "REQUIRED_API_KEY: x\n");
	ck_assert_ptr_null(conf_load(path, ov, 1, 0, &d));
	ck_assert(has_diag("command line: SERVER_PORT: expected an integer",
	    1));
}
END_TEST

START_TEST(derived_values)
{
	struct conf *c;

	c = load("REQUIRED_API_KEY: x\nWORKERS: 8\nMAX_WORKERS: 2\n"
	    "AXIOS_TIMEOUT: 180000\nLOG_DIR: logs\n", "d.yaml");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->max_workers, 8);
	ck_assert_int_eq(c->upstream_idle_timeout_seconds, 180);
	ck_assert(has_diag("LOG_DIR is not used", 0));
	conf_free(c);
}
END_TEST

START_TEST(enums_are_checked)
{
	ck_assert_ptr_null(load("REQUIRED_API_KEY: x\nSYSTEM_PROMPT_MODE: "
	    "sometimes\n", "e1.yaml"));
	ck_assert(has_diag("SYSTEM_PROMPT_MODE: 'sometimes'", 1));
	conf_diags_free(&d);
	ck_assert_ptr_null(load("REQUIRED_API_KEY: x\nLOG_LEVEL: loud\n",
	    "e2.yaml"));
	ck_assert(has_diag("LOG_LEVEL: 'loud'", 1));
}
END_TEST

START_TEST(mapping_keys)
{
	struct conf *c;

	c = load("REQUIRED_API_KEY: x\nKIRO_MODELS:\n  my-model: "
	    "CLAUDE_X\n", "k.yaml");
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(c->kiro_models);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    c->kiro_models, "my-model")), "CLAUDE_X");
	conf_free(c);
	conf_diags_free(&d);
	ck_assert_ptr_null(load("REQUIRED_API_KEY: x\nKIRO_MODELS: 5\n",
	    "k2.yaml"));
	ck_assert(has_diag("KIRO_MODELS: expected a mapping", 1));
}
END_TEST

START_TEST(missing_file_is_an_error)
{
	ck_assert_ptr_null(conf_load("/nonexistent/aiclient.yaml", NULL, 0, 0,
	    &d));
	ck_assert(has_diag("cannot read the configuration", 1));
}
END_TEST

START_TEST(top_level_must_be_a_mapping)
{
	ck_assert_ptr_null(load("- a\n- b\n", "list.yaml"));
	ck_assert(has_diag("must be a mapping", 1));
}
END_TEST

START_TEST(flags_map_to_keys)
{
	ck_assert_str_eq(conf_flag_key("port"), "SERVER_PORT");
	ck_assert_str_eq(conf_flag_key("api-key"), "REQUIRED_API_KEY");
	ck_assert_str_eq(conf_flag_key("kiro-oauth-creds-file"),
	    "KIRO_OAUTH_CREDS_FILE_PATH");
	ck_assert_str_eq(conf_flag_key("max-workers"), "MAX_WORKERS");
	ck_assert_str_eq(conf_flag_key("log-prompts"), "PROMPT_LOG_MODE");
	ck_assert_ptr_null(conf_flag_key("log-dir"));
}
END_TEST

START_TEST(dump_masks_secrets)
{
	struct conf *c;
	struct buf b;

	c = load("REQUIRED_API_KEY: supersecretvalue123\n"
	    "OPENAI_API_KEY: sk-abcdefghijklmnop\n", "s.yaml");
	ck_assert_ptr_nonnull(c);
	buf_init(&b, 0);
	conf_dump(c, &b);
	ck_assert(strstr(b.data, "supersecretvalue123") == NULL);
	ck_assert(strstr(b.data, "abcdefghijklmnop") == NULL);
	ck_assert(strstr(b.data, "REQUIRED_API_KEY: supe****") != NULL);
	ck_assert(strstr(b.data, "# file line 1") != NULL);
	buf_free(&b);
	conf_free(c);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *t = tcase_create("load");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, yaml_values_and_defaults_are_merged);
	tcase_add_test(t, json_file_of_the_reference_loads);
	tcase_add_test(t, json_with_bom_loads);
	tcase_add_test(t, yaml_syntax_error_names_the_line);
	tcase_add_test(t, json_syntax_error_names_line_and_column);
	tcase_add_test(t, wrong_type_names_key_and_line);
	tcase_add_test(t, out_of_range_is_an_error);
	tcase_add_test(t, missing_api_key_refuses_with_a_hint);
	tcase_add_test(t, empty_api_key_only_on_loopback);
	tcase_add_test(t, numeric_api_key_is_a_string);
	tcase_add_test(t, short_key_on_public_listener_warns);
	tcase_add_test(t, model_provider_is_normalised);
	tcase_add_loop_test(t, booleans_accept_the_usual_spellings, 0,
	    (int)(sizeof(bools) / sizeof(bools[0])));
	tcase_add_test(t, relative_paths_follow_the_config_file);
	tcase_add_test(t, environment_beats_file_and_flags_beat_environment);
	tcase_add_test(t, environment_can_set_an_empty_key);
	tcase_add_test(t, flag_with_bad_value_is_an_error);
	tcase_add_test(t, derived_values);
	tcase_add_test(t, enums_are_checked);
	tcase_add_test(t, mapping_keys);
	tcase_add_test(t, missing_file_is_an_error);
	tcase_add_test(t, top_level_must_be_a_mapping);
	tcase_add_test(t, flags_map_to_keys);
	tcase_add_test(t, dump_masks_secrets);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(conf_suite)

/*
 * test_claude_req.c: unit tests of the Claude dialect's requests
 * (claude_req.c).  Client side: Anthropic bodies under
 * tests/fixtures/claude/decode compared as canonical JSON
 * (c_request_to_json), the user guide's cases among them; the
 * validation table tests/fixtures/claude/errors.json (exact messages
 * naming the field).  Backend side: tests/fixtures/claude/encode, from
 * a Claude body (decode, then encode) or from canonical JSON
 * (canon_load_request), four of them the conversion goldens with
 * Claude as the target.  Then hostile input: every member of every
 * fixture replaced by values of every JSON type or removed, each
 * result decoded, encoded and printed without a crash.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"
#include "canon_load.h"
#include "canonical.h"
#include "claude_int.h"
#include "dialect.h"
#include "kiro.h"
#include "unit.h"

#define EXPECT_MSG(c, ...)	do {					\
	if (!(c))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)
#define EXPECT(c)	EXPECT_MSG(c, "expected %s", #c)

static const char *const decode_cases[] = {
	"documents",
	"guide-case5-image",
	"guide-case6-pdf",
	"params",
	"stream-override",
	"stream-string",
	"system-blocks",
	"thinking-adaptive",
	"thinking-disabled",
	"thinking-enabled",
	"tool-input-string",
	"tool-roundtrip",
	"tools",
	"unknown-blocks",
};
#define NDECODE	(sizeof(decode_cases) / sizeof(decode_cases[0]))

static const char *const encode_cases[] = {
	"basic",
	"canonical-effort-none",
	"canonical-foreign",
	"canonical-gemini-budget",
	"content",
	"golden-01",
	"golden-05",
	"golden-08",
	"golden-24",
	"max-tokens-kept",
	"repair",
	"system-only",
	"thinking-adaptive",
	"thinking-clamp",
	"thinking-default-max",
	"thinking-disabled",
	"thinking-small-max",
	"thinking-tool-history",
	"tool-ids-results",
	"tools",
	"turns",
};
#define NENCODE	(sizeof(encode_cases) / sizeof(encode_cases[0]))

static json_object *
load(const char *dir, const char *name)
{
	char path[1024];
	json_object *o;

	snprintf(path, sizeof(path), "%s/claude/%s%s%s.json", FIXTURES, dir,
	    *dir ? "/" : "", name);
	o = json_object_from_file(path);
	EXPECT_MSG(o != NULL, "cannot load %s", path);
	return o;
}

static json_object *
get(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/*
 * JSON equality where numbers compare by value (1 equals 1.0, as the
 * conversion fixtures' README says); objects need the same members.
 */
static int
same_json(json_object *a, json_object *b)
{
	json_type ta, tb;
	json_object *v;
	size_t i, n;

	ta = json_object_get_type(a);
	tb = json_object_get_type(b);
	if ((ta == json_type_int || ta == json_type_double) &&
	    (tb == json_type_int || tb == json_type_double)) {
		if (ta == json_type_int && tb == json_type_int)
			return json_object_get_int64(a) ==
			    json_object_get_int64(b);
		return json_object_get_double(a) == json_object_get_double(b);
	}
	if (ta != tb)
		return 0;
	switch (ta) {
	case json_type_object:
		if (json_object_object_length(a) !=
		    json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, key, val) {
			if (!json_object_object_get_ex(b, key, &v) ||
			    !same_json(val, v))
				return 0;
		}
		return 1;
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!same_json(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	default:
		return json_object_equal(a, b);
	}
}

static void
expect_same(json_object *got, json_object *want, const char *what)
{
	char *g;

	if (same_json(got, want))
		return;
	g = strdup(json_object_to_json_string_ext(got,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	ck_abort_msg("%s differs:\n--- got\n%s\n--- want\n%s", what, g,
	    json_object_to_json_string_ext(want, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The canonical JSON of a decoded request, parsed. */
static json_object *
canon_json(const struct c_request *r)
{
	struct buf b;
	json_object *o;

	buf_init(&b, 0);
	EXPECT(c_request_to_json(r, &b) == 0);
	o = json_tokener_parse(b.data);
	EXPECT_MSG(o != NULL, "canonical JSON does not parse: %s", b.data);
	buf_free(&b);
	return o;
}

START_TEST(test_decode)
{
	const char *name = decode_cases[_i];
	json_object *c, *got, *v;
	struct c_request r;
	struct arena a;
	char err[256];
	int stream = -1;

	c = load("decode", name);
	v = get(c, "stream");
	if (v != NULL)
		stream = json_object_get_int(v);
	arena_init(&a, 0);
	EXPECT_MSG(claude_decode_request(get(c, "input"), NULL, stream, &r,
	    &a, err, sizeof(err)) == 0, "%s: %s", name, err);
	got = canon_json(&r);
	expect_same(got, get(c, "expected"), name);
	json_object_put(got);
	arena_free(&a);
	json_object_put(c);
}
END_TEST

START_TEST(test_decode_errors)
{
	json_object *table, *e;
	struct c_request r;
	struct arena a;
	char err[256];
	size_t i, n;

	table = load("", "errors");
	n = json_object_array_length(table);
	EXPECT(n > 50);
	arena_init(&a, 0);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(table, i);
		err[0] = '\0';
		EXPECT_MSG(claude_decode_request(get(e, "input"), NULL, -1, &r,
		    &a, err, sizeof(err)) == -1, "case %zu decoded: %s", i,
		    json_object_get_string(get(e, "input")));
		EXPECT_MSG(strcmp(err, json_object_get_string(get(e,
		    "error"))) == 0, "case %zu: \"%s\", want \"%s\"", i, err,
		    json_object_get_string(get(e, "error")));
		arena_reset(&a);
	}
	/* no body at all; a tiny error buffer is cut, not overrun */
	EXPECT(claude_decode_request(NULL, NULL, -1, &r, &a, err,
	    sizeof(err)) == -1);
	EXPECT(strcmp(err, "request body must be a JSON object") == 0);
	EXPECT(claude_decode_request(NULL, NULL, -1, &r, &a, err, 4) == -1);
	EXPECT(strcmp(err, "req") == 0);
	EXPECT(claude_decode_request(NULL, NULL, -1, &r, &a, NULL, 0) == -1);
	arena_free(&a);
	json_object_put(table);
}
END_TEST

START_TEST(test_stream_argument)
{
	json_object *body;
	struct c_request r;
	struct arena a;
	char err[256];

	body = json_tokener_parse("{\"model\":\"m\",\"messages\":[],"
	    "\"stream\":true}");
	arena_init(&a, 0);
	EXPECT(claude_decode_request(body, NULL, -1, &r, &a, err,
	    sizeof(err)) == 0 && r.stream == 1);
	EXPECT(claude_decode_request(body, NULL, 0, &r, &a, err,
	    sizeof(err)) == 0 && r.stream == 0);
	EXPECT(claude_decode_request(body, NULL, 1, &r, &a, err,
	    sizeof(err)) == 0 && r.stream == 1);
	EXPECT(r.nmsgs == 0 && r.model != NULL);
	/* strings are borrowed from the body */
	EXPECT(r.model == json_object_get_string(get(body, "model")));
	arena_free(&a);
	json_object_put(body);
}
END_TEST

START_TEST(test_encode)
{
	const char *name = encode_cases[_i];
	json_object *c, *in, *kind, *opt, *v, *got, *absent;
	struct c_request r;
	struct c_opts o;
	struct arena a;
	struct buf out;
	char err[256];
	size_t i;

	c = load("encode", name);
	in = get(c, "input");
	kind = get(c, "input_kind");
	arena_init(&a, 0);
	if (kind != NULL &&
	    strcmp(json_object_get_string(kind), "canonical") == 0)
		EXPECT_MSG(canon_load_request(in, &r, &a, err,
		    sizeof(err)) == 0, "%s: %s", name, err);
	else
		EXPECT_MSG(claude_decode_request(in, NULL, -1, &r, &a, err,
		    sizeof(err)) == 0, "%s: %s", name, err);
	memset(&o, 0, sizeof(o));
	o.default_max_tokens = 8192;
	opt = get(c, "options");
	if (opt != NULL) {
		v = get(opt, "default_max_tokens");
		if (v != NULL)
			o.default_max_tokens = json_object_get_int64(v);
		v = get(opt, "stream");
		if (v != NULL)
			o.stream = json_object_get_boolean(v);
	}
	buf_init(&out, 0);
	EXPECT_MSG(claude_encode_request(&r, &o, &out) == 0, "%s: encode",
	    name);
	got = json_tokener_parse(out.data);
	EXPECT_MSG(got != NULL, "%s: not JSON: %s", name, out.data);
	expect_same(got, get(c, "expected"), name);
	absent = get(c, "absent");
	for (i = 0; absent != NULL && i < json_object_array_length(absent);
	    i++)
		EXPECT_MSG(json_pointer_get(got, json_object_get_string(
		    json_object_array_get_idx(absent, i)), &v) != 0,
		    "%s: %s present", name, json_object_get_string(
		    json_object_array_get_idx(absent, i)));
	/* what we send decodes again */
	arena_reset(&a);
	EXPECT_MSG(claude_decode_request(got, NULL, -1, &r, &a, err,
	    sizeof(err)) == 0, "%s: re-decode: %s", name, err);
	json_object_put(got);
	buf_free(&out);
	arena_free(&a);
	json_object_put(c);
}
END_TEST

START_TEST(test_encode_caps)
{
	json_object *c;
	struct c_request r;
	struct c_opts o;
	struct arena a;
	struct buf out;
	char err[256];
	size_t cap, full;

	c = load("encode", "content");
	arena_init(&a, 0);
	EXPECT(claude_decode_request(get(c, "input"), NULL, -1, &r, &a, err,
	    sizeof(err)) == 0);
	memset(&o, 0, sizeof(o));
	buf_init(&out, 0);
	EXPECT(claude_encode_request(&r, &o, &out) == 0);
	full = out.len;
	buf_free(&out);
	/* every output cap below the full size fails cleanly */
	for (cap = 1; cap < full; cap += 7) {
		buf_init(&out, cap);
		EXPECT_MSG(claude_encode_request(&r, &o, &out) == -1,
		    "cap %zu", cap);
		buf_free(&out);
	}
	buf_init(&out, full);
	EXPECT(claude_encode_request(&r, &o, &out) == 0);
	buf_free(&out);
	/* NULL options: the built-in default max_tokens */
	r.max_tokens = 0;
	buf_init(&out, 0);
	EXPECT(claude_encode_request(&r, NULL, &out) == 0);
	EXPECT(strstr(out.data, "\"max_tokens\":8192") != NULL);
	buf_free(&out);
	arena_free(&a);
	json_object_put(c);
}
END_TEST

START_TEST(test_encode_hostile_parts)
{
	struct c_request r;
	struct c_message m[2];
	struct c_part p[9], rc[2];
	struct c_tool t[2];
	struct buf out;
	json_object *o;

	memset(&r, 0, sizeof(r));
	memset(m, 0, sizeof(m));
	memset(p, 0, sizeof(p));
	memset(rc, 0, sizeof(rc));
	memset(t, 0, sizeof(t));
	/* every pointer NULL */
	p[0].type = C_TEXT;
	p[0].text = "q";
	p[0].text_len = 1;
	p[1].type = C_IMAGE;
	p[2].type = C_DOCUMENT;
	p[3].type = C_AUDIO;
	p[4].type = C_TOOL_RESULT;
	p[4].content = rc;
	p[4].ncontent = 2;
	rc[0].type = C_TEXT;
	rc[1].type = C_THINKING;
	m[0].role = C_USER;
	m[0].parts = p;
	m[0].nparts = 5;
	p[5].type = C_TOOL_USE;
	p[5].input = "not json";
	p[5].input_len = 8;
	p[6].type = C_THINKING;
	p[6].origin = C_ORIGIN_CLAUDE;
	p[7].type = C_REDACTED_THINKING;
	p[8].type = C_TEXT;
	m[1].role = C_ASSISTANT;
	m[1].parts = &p[5];
	m[1].nparts = 4;
	r.msgs = m;
	r.nmsgs = 2;
	t[0].name = NULL;
	t[1].type = "custom";
	r.tools = t;
	r.ntools = 2;
	r.tool_choice = C_TC_TOOL;
	r.nstop = 0;
	buf_init(&out, 0);
	EXPECT(claude_encode_request(&r, NULL, &out) == 0);
	o = json_tokener_parse(out.data);
	EXPECT_MSG(o != NULL, "not JSON: %s", out.data);
	json_object_put(o);
	buf_free(&out);
}
END_TEST

/* ---- hostile input: every member of every fixture mutated ---------------- */

static const char *const mutants[] = {
	"null", "0", "-1", "1.5", "1e400", "\"\"", "\"x\"", "[]", "{}", "true",
	"[{}]", "[null]", "{\"type\":\"text\"}", "[{\"type\":\"image\"}]",
	"\"{\\\"a\\\":1}\"", "[\"user\"]", "{\"type\":\"tool\"}",
};
#define NMUTANTS	(sizeof(mutants) / sizeof(mutants[0]))

static int	nfuzz;

/* Parse with room for the deep tool inputs of test_hostile_sizes. */
static json_object *
parse_deep(const char *s)
{
	struct json_tokener *tok;
	json_object *o;

	tok = json_tokener_new_ex(256);
	o = json_tokener_parse_ex(tok, s, (int)strlen(s));
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Decode, and when accepted, encode, print and build for Kiro. */
static void
exercise(json_object *body)
{
	struct c_request r;
	struct kiro_req k;
	struct c_opts o;
	struct arena a;
	struct buf out;
	json_object *p;
	char err[256];
	int rc;

	nfuzz++;
	arena_init(&a, 0);
	err[0] = '\0';
	rc = claude_decode_request(body, NULL, -1, &r, &a, err, sizeof(err));
	if (rc == -1) {
		EXPECT_MSG(err[0] != '\0', "rejected without a message: %.300s",
		    json_object_to_json_string(body));
		arena_free(&a);
		return;
	}
	EXPECT(rc == 0 && r.model != NULL);
	memset(&o, 0, sizeof(o));
	o.default_max_tokens = 8192;
	buf_init(&out, 0);
	EXPECT(claude_encode_request(&r, &o, &out) == 0);
	p = parse_deep(out.data);
	EXPECT_MSG(p != NULL, "encoded body does not parse: %.300s", out.data);
	json_object_put(p);
	buf_reset(&out);
	EXPECT(c_request_to_json(&r, &out) == 0);
	buf_reset(&out);
	memset(&k, 0, sizeof(k));
	k.model_id = "m";
	if (kiro_build_request(&r, &k, &a, &out, err, sizeof(err)) == 0) {
		p = parse_deep(out.data);
		EXPECT_MSG(p != NULL, "kiro body does not parse: %.300s",
		    out.data);
		json_object_put(p);
	} else
		EXPECT(r.nmsgs == 0 || err[0] != '\0');
	buf_free(&out);
	arena_free(&a);
}

/* Replace each value under node by each mutant, and remove each member. */
static void
mutate(json_object *root, json_object *node, int depth)
{
	json_object *orig, *m;
	size_t i, j, n;
	char **keys;

	if (depth > 12)
		return;
	if (json_object_is_type(node, json_type_object)) {
		n = (size_t)json_object_object_length(node);
		keys = calloc(n + 1, sizeof(*keys));
		EXPECT(keys != NULL);
		i = 0;
		json_object_object_foreach(node, key, val) {
			(void)val;
			keys[i++] = strdup(key);
		}
		for (i = 0; i < n; i++) {
			orig = json_object_get(get(node, keys[i]));
			for (j = 0; j < NMUTANTS; j++) {
				m = json_tokener_parse(mutants[j]);
				json_object_object_add(node, keys[i], m);
				exercise(root);
			}
			json_object_object_del(node, keys[i]);
			exercise(root);
			json_object_object_add(node, keys[i], orig);
			mutate(root, orig, depth + 1);
			free(keys[i]);
		}
		free(keys);
	} else if (json_object_is_type(node, json_type_array)) {
		n = json_object_array_length(node);
		for (i = 0; i < n; i++) {
			orig = json_object_get(json_object_array_get_idx(node,
			    i));
			for (j = 0; j < NMUTANTS; j++) {
				m = json_tokener_parse(mutants[j]);
				json_object_array_put_idx(node, i, m);
				exercise(root);
			}
			json_object_array_put_idx(node, i, orig);
			mutate(root, orig, depth + 1);
		}
	}
}

START_TEST(test_hostile_decode)
{
	json_object *c, *in;

	c = load("decode", decode_cases[_i]);
	in = get(c, "input");
	nfuzz = 0;
	exercise(in);
	mutate(in, in, 0);
	EXPECT(nfuzz > 10);
	json_object_put(c);
}
END_TEST

START_TEST(test_hostile_sizes)
{
	struct c_request r;
	struct arena a;
	struct buf b;
	json_object *body;
	char err[256];
	size_t i;

	/* many blocks, a long text, deep tool input */
	buf_init(&b, 0);
	buf_addstr(&b, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
	    "\"content\":[");
	for (i = 0; i < 5000; i++)
		buf_addf(&b, "%s{\"type\":\"text\",\"text\":\"t%zu\"}",
		    i ? "," : "", i);
	buf_addstr(&b, "]},{\"role\":\"assistant\",\"content\":[{\"type\":"
	    "\"tool_use\",\"id\":\"x\",\"name\":\"f\",\"input\":{\"a\":");
	for (i = 0; i < 25; i++)
		buf_addstr(&b, "{\"b\":");
	buf_addstr(&b, "1");
	for (i = 0; i < 25; i++)
		buf_addc(&b, '}');
	buf_addstr(&b, "}}]}]}");
	body = json_tokener_parse(b.data);
	EXPECT(body != NULL);
	arena_init(&a, 0);
	EXPECT(claude_decode_request(body, NULL, -1, &r, &a, err,
	    sizeof(err)) == 0);
	EXPECT(r.msgs[0].nparts == 5000);
	EXPECT(strstr(r.msgs[1].parts[0].input, "{\"b\":1}") != NULL);
	exercise(body);
	arena_free(&a);
	/* an arena cap that is hit: an error, not a crash */
	arena_init(&a, 4096);
	EXPECT(claude_decode_request(body, NULL, -1, &r, &a, err,
	    sizeof(err)) == -1);
	EXPECT(strcmp(err, "out of memory") == 0);
	arena_free(&a);
	json_object_put(body);
	buf_free(&b);
}
END_TEST

static Suite *
claude_req_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("claude_req");
	tc = tcase_create("decode");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_decode, 0, NDECODE);
	tcase_add_test(tc, test_decode_errors);
	tcase_add_test(tc, test_stream_argument);
	suite_add_tcase(s, tc);
	tc = tcase_create("encode");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_encode, 0, NENCODE);
	tcase_add_test(tc, test_encode_caps);
	tcase_add_test(tc, test_encode_hostile_parts);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_hostile_decode, 0, NDECODE);
	tcase_add_test(tc, test_hostile_sizes);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(claude_req_suite)

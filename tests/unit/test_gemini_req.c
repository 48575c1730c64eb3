/*
 * test_gemini_req.c: unit tests of the Gemini dialect's request half
 * (gemini_req.c).  Table-driven from tests/fixtures/gemini/:
 *   decode/   a client GenerateContentRequest and what c_request_to_json()
 *             must print for it, or the exact 400 message; optionally the
 *             Gemini body the backend encoder makes of the result
 *   encode/   a canonical request (canon_load_request) and the Gemini
 *             request body the backend encoder must produce
 *   schema/   JSON Schemas and what the §3.4.1 sanitizer makes of them
 * plus hostile input: every node of every decode fixture replaced in turn
 * by null, numbers, strings, arrays, objects and booleans must give a
 * request or a message, never a crash, and whatever decodes must encode.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>

#include "dialect.h"
#include "gemini_int.h"
#include "jsonw.h"
#include "unit.h"

#include "test_gemini_util.c"

static char **dec_names, **enc_names, **schema_names;
static size_t ndec, nenc, nschema;

/* Decode a fixture's input with its options; 0/-1 as the decoder. */
static int
run_decode(json_object *f, json_object *input, struct c_request *r,
    struct arena *a, char *err, size_t errlen)
{
	json_object *opts, *m, *st;
	const char *model = "gemini-2.5-flash";

	opts = jget(f, "options");
	m = jget(opts, "model");
	if (json_object_object_get_ex(opts, "model", NULL))
		model = m ? json_object_get_string(m) : NULL;
	st = jget(opts, "stream");
	return dialect_gemini.decode_request(input, model,
	    st ? json_object_get_int(st) : 0, r, a, err, errlen);
}

static json_object *
encode_json(const struct c_request *r)
{
	struct c_opts o;
	struct buf b;
	json_object *j;

	memset(&o, 0, sizeof(o));
	buf_init(&b, 0);
	EXPECT(dialect_gemini.encode_request(r, &o, &b) == 0);
	j = parse_exact(b.data, b.len);
	EXPECT_MSG(j != NULL, "encoder output is not JSON: %s", b.data);
	buf_free(&b);
	return j;
}

START_TEST(decode_fixture)
{
	json_object *f, *exp, *got, *enc, *experr;
	struct c_request r;
	struct arena a;
	struct buf b;
	char err[512] = "";
	int rc;

	f = fixture_load("decode", dec_names[_i]);
	arena_init(&a, 0);
	rc = run_decode(f, jget(f, "input"), &r, &a, err, sizeof(err));
	experr = jget(f, "error");
	if (experr != NULL) {
		EXPECT_MSG(rc == -1, "%s: decoded, wanted error",
		    dec_names[_i]);
		EXPECT_MSG(strcmp(err, json_object_get_string(experr)) == 0,
		    "%s: error \"%s\", want \"%s\"", dec_names[_i], err,
		    json_object_get_string(experr));
	} else {
		EXPECT_MSG(rc == 0, "%s: %s", dec_names[_i], err);
		buf_init(&b, 0);
		EXPECT(c_request_to_json(&r, &b) == 0);
		got = parse_exact(b.data, b.len);
		EXPECT(got != NULL);
		exp = jget(f, "expected");
		EXPECT_JSON(dec_names[_i], exp, got);
		json_object_put(got);
		buf_free(&b);
		if (jget(f, "encoded") != NULL) {
			enc = encode_json(&r);
			EXPECT_JSON(dec_names[_i], jget(f, "encoded"), enc);
			json_object_put(enc);
		}
	}
	arena_free(&a);
	json_object_put(f);
}
END_TEST

START_TEST(encode_fixture)
{
	json_object *f, *got;
	struct c_request r;
	struct arena a;
	char err[256] = "";

	f = fixture_load("encode", enc_names[_i]);
	arena_init(&a, 0);
	EXPECT_MSG(canon_load_request(jget(f, "input"), &r, &a, err,
	    sizeof(err)) == 0, "%s: %s", enc_names[_i], err);
	got = encode_json(&r);
	EXPECT_JSON(enc_names[_i], jget(f, "expected"), got);
	json_object_put(got);
	arena_free(&a);
	json_object_put(f);
}
END_TEST

START_TEST(schema_fixture)
{
	json_object *f, *cases, *c, *got;
	char name[256];
	size_t i;

	f = fixture_load("schema", schema_names[_i]);
	cases = jget(f, "cases");
	EXPECT(json_object_is_type(cases, json_type_array));
	for (i = 0; i < json_object_array_length(cases); i++) {
		c = json_object_array_get_idx(cases, i);
		snprintf(name, sizeof(name), "%s: %s", schema_names[_i],
		    json_object_get_string(jget(c, "name")));
		got = gemini_sanitize_schema(jget(c, "input"),
		    json_object_get_boolean(jget(c, "top")));
		EXPECT(got != NULL);
		EXPECT_JSON(name, jget(c, "expected"), got);
		json_object_put(got);
	}
	json_object_put(f);
}
END_TEST

/*
 * Every node of a decode fixture's input replaced by every hostile
 * value: a request or a message, and a decoded request encodes.
 */
START_TEST(decode_hostile)
{
	json_object *f, *in, *copy, *enc;
	struct c_request r;
	struct arena a;
	size_t nodes, k, kk;
	char err[512];
	int h, rc;

	f = fixture_load("decode", dec_names[_i]);
	in = jget(f, "input");
	nodes = json_nodes(in);
	arena_init(&a, 0);
	for (k = 1; k < nodes; k++) {
		for (h = 0; h < NHOSTILE; h++) {
			copy = NULL;
			EXPECT(json_object_deep_copy(in, &copy, NULL) == 0);
			kk = k;
			EXPECT(json_replace_nth(copy, &kk, hostile_value(h)));
			err[0] = '\0';
			rc = run_decode(f, copy, &r, &a, err, sizeof(err));
			if (rc == -1)
				EXPECT_MSG(err[0] != '\0', "%s: node %zu/%d: "
				    "no message", dec_names[_i], k, h);
			else {
				enc = encode_json(&r);
				json_object_put(enc);
			}
			json_object_put(copy);
			arena_reset(&a);
		}
	}
	arena_free(&a);
	json_object_put(f);
}
END_TEST

/* Non-object bodies and a NULL body are refused with a message. */
START_TEST(decode_bad_bodies)
{
	struct c_request r;
	struct arena a;
	json_object *b;
	char err[256];
	int i;

	arena_init(&a, 0);
	for (i = 0; i < NHOSTILE; i++) {
		b = hostile_value(i);
		err[0] = '\0';
		if (i == 4) {
			EXPECT(dialect_gemini.decode_request(b, "m", 0, &r, &a,
			    err, sizeof(err)) == -1);
			EXPECT(strcmp(err, "contents: missing") == 0);
		} else {
			EXPECT(dialect_gemini.decode_request(b, "m", 0, &r, &a,
			    err, sizeof(err)) == -1);
			EXPECT(strcmp(err,
			    "request body: must be a JSON object") == 0);
		}
		json_object_put(b);
	}
	/* a NULL err buffer is allowed */
	EXPECT(dialect_gemini.decode_request(NULL, "m", 0, &r, &a, NULL,
	    0) == -1);
	arena_free(&a);
}
END_TEST

/* The endpoint decides streaming: 1, 0, and -1 (no body field) → 0. */
START_TEST(decode_stream_flag)
{
	static const char body[] = "{\"contents\":[{\"parts\":[{\"text\":"
	    "\"hi\"}]}],\"stream\":true}";
	struct c_request r;
	struct arena a;
	json_object *b;
	char err[256];

	arena_init(&a, 0);
	b = json_tokener_parse(body);
	EXPECT(dialect_gemini.decode_request(b, "m", 1, &r, &a, err,
	    sizeof(err)) == 0 && r.stream == 1);
	EXPECT(dialect_gemini.decode_request(b, "m", 0, &r, &a, err,
	    sizeof(err)) == 0 && r.stream == 0);
	EXPECT(dialect_gemini.decode_request(b, "m", -1, &r, &a, err,
	    sizeof(err)) == 0 && r.stream == 0);
	json_object_put(b);
	arena_free(&a);
}
END_TEST

/* Deep and cyclic schemas stay bounded. */
START_TEST(sanitize_bounded)
{
	json_object *root, *node, *child, *props, *got;
	struct buf b;
	int i;

	/* 200 levels of nested properties */
	root = json_object_new_object();
	node = root;
	for (i = 0; i < 200; i++) {
		props = json_object_new_object();
		child = json_object_new_object();
		json_object_object_add(props, "p", child);
		json_object_object_add(node, "properties", props);
		node = child;
	}
	got = gemini_sanitize_schema(root, 1);
	EXPECT(got != NULL);
	buf_init(&b, 0);
	EXPECT(jw_obj(&b, got) == 0 && b.len < 20000);
	buf_free(&b);
	json_object_put(got);
	json_object_put(root);

	/* a definition that refers to itself twice per level */
	root = json_tokener_parse("{\"$defs\":{\"N\":{\"type\":\"object\","
	    "\"properties\":{\"l\":{\"$ref\":\"#/$defs/N\"},\"r\":{\"$ref\":"
	    "\"#/$defs/N\"},\"v\":{\"type\":\"string\"}}}},\"$ref\":"
	    "\"#/$defs/N\"}");
	got = gemini_sanitize_schema(root, 1);
	EXPECT(got != NULL);
	buf_init(&b, 0);
	EXPECT(jw_obj(&b, got) == 0 && b.len < 2000);
	buf_free(&b);
	json_object_put(got);
	json_object_put(root);

	/* a DAG that doubles at every level (no cycle) */
	{
		char def[64], ref[64];
		json_object *defs = json_object_new_object(), *d, *p;

		root = json_object_new_object();
		for (i = 0; i < 40; i++) {
			d = json_object_new_object();
			p = json_object_new_object();
			if (i < 39) {
				snprintf(ref, sizeof(ref), "#/$defs/D%d",
				    i + 1);
				child = json_object_new_object();
				json_object_object_add(child, "$ref",
				    json_object_new_string(ref));
				json_object_object_add(p, "a", child);
				child = json_object_new_object();
				json_object_object_add(child, "$ref",
				    json_object_new_string(ref));
				json_object_object_add(p, "b", child);
			}
			json_object_object_add(d, "properties", p);
			snprintf(def, sizeof(def), "D%d", i);
			json_object_object_add(defs, def, d);
		}
		json_object_object_add(root, "$defs", defs);
		json_object_object_add(root, "$ref",
		    json_object_new_string("#/$defs/D0"));
		got = gemini_sanitize_schema(root, 1);
		EXPECT(got != NULL);
		buf_init(&b, 0);
		EXPECT(jw_obj(&b, got) == 0 && b.len < 4 * 1024 * 1024);
		buf_free(&b);
		json_object_put(got);
		json_object_put(root);
	}
}
END_TEST

/*
 * A canonical request as another decoder might leave it: NULL strings,
 * parts without payload, odd schemas.  It must encode to valid JSON.
 */
START_TEST(encode_null_fields)
{
	struct c_part up[6], ap[4], res[3], sys[2];
	struct c_message msgs[3];
	struct c_tool tools[4];
	const char *stop[2] = { NULL, "x" };
	struct c_request r;
	json_object *str, *arr, *got;
	int i;

	memset(up, 0, sizeof(up));
	memset(ap, 0, sizeof(ap));
	memset(res, 0, sizeof(res));
	memset(sys, 0, sizeof(sys));
	memset(tools, 0, sizeof(tools));
	memset(&r, 0, sizeof(r));
	up[0].type = C_TEXT;			/* text NULL */
	up[1].type = C_IMAGE;			/* nothing at all */
	up[2].type = C_AUDIO;
	up[2].url = "https://x.org/a";		/* audio by URL */
	up[3].type = C_TOOL_RESULT;		/* id NULL, no content */
	up[4].type = C_TOOL_RESULT;
	up[4].id = "c1";
	up[4].content = res;
	up[4].ncontent = 3;
	res[0].type = C_TEXT;			/* text NULL */
	res[1].type = C_DOCUMENT;
	res[1].url = "data:nothing";
	res[2].type = C_REDACTED_THINKING;
	up[5].type = C_DOCUMENT;
	up[5].url = "data:application/pdf;base64,JVBE";
	ap[0].type = C_TOOL_USE;		/* name, id, input NULL */
	ap[1].type = C_TOOL_USE;
	ap[1].id = "c1";
	ap[1].input = "{\"a\":";		/* cut JSON */
	ap[1].input_len = 5;
	ap[2].type = C_THINKING;
	ap[2].origin = C_ORIGIN_GEMINI;
	ap[2].signature = "s";			/* text NULL */
	ap[3].type = C_TOOL_RESULT;		/* a result in a model turn */
	ap[3].id = "q";
	msgs[0].role = C_USER;
	msgs[0].parts = up;
	msgs[0].nparts = 6;
	msgs[1].role = C_ASSISTANT;
	msgs[1].parts = ap;
	msgs[1].nparts = 4;
	msgs[2].role = C_USER;
	msgs[2].parts = up + 4;
	msgs[2].nparts = 1;
	sys[0].type = C_TEXT;
	sys[1].type = C_TEXT;
	sys[1].text = "s";
	sys[1].text_len = 1;
	str = json_object_new_string("not a schema");
	arr = json_object_new_array();
	tools[0].name = "a";
	tools[0].schema = str;
	tools[1].name = "b";
	tools[1].schema = arr;
	tools[2].name = NULL;			/* dropped */
	tools[3].name = "";
	r.system = sys;
	r.nsystem = 2;
	r.msgs = msgs;
	r.nmsgs = 3;
	r.tools = tools;
	r.ntools = 4;
	r.stop = stop;
	r.nstop = 2;
	r.format = C_FMT_JSON_SCHEMA;
	r.response_schema = arr;
	for (i = 0; i < 5; i++) {
		r.tool_choice = (enum c_tool_choice)i;	/* C_TC_TOOL: NULL name */
		r.thinking = (enum c_thinking)(i % 4);
		r.reasoning_effort = i == 2 ? "bogus" : NULL;
		got = encode_json(&r);
		EXPECT(json_object_is_type(got, json_type_object));
		json_object_put(got);
	}
	json_object_put(str);
	json_object_put(arr);
}
END_TEST

static Suite *
gemini_req_suite(void)
{
	Suite *s;
	TCase *tc;

	ndec = fixture_list("decode", &dec_names);
	nenc = fixture_list("encode", &enc_names);
	nschema = fixture_list("schema", &schema_names);
	s = suite_create("gemini_req");
	tc = tcase_create("fixtures");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, decode_fixture, 0, (int)ndec);
	tcase_add_loop_test(tc, encode_fixture, 0, (int)nenc);
	tcase_add_loop_test(tc, schema_fixture, 0, (int)nschema);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, decode_hostile, 0, (int)ndec);
	tcase_add_test(tc, decode_bad_bodies);
	tcase_add_test(tc, decode_stream_flag);
	tcase_add_test(tc, sanitize_bounded);
	tcase_add_test(tc, encode_null_fields);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(gemini_req_suite)

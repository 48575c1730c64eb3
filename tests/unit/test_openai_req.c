/*
 * test_openai_req.c: unit tests of the OpenAI dialect's request side
 * (openai_req.c): the client decoder against fixtures under
 * tests/fixtures/openai/decode (an OpenAI body and the canonical request
 * c_request_to_json() prints, or the 400 message expected), the backend
 * encoder against tests/fixtures/openai/encode_request (a canonical or
 * OpenAI request and the OpenAI body), every fixture body mutated node
 * by node into wrong types (no crash, a clean answer either way), a
 * full arena and a missing error buffer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "canon_load.h"
#include "unit.h"
#include "test_openai_util.c"

static struct to_dir decode_dir, encode_dir;

/* Decode, then check c_request_to_json() and that the backend encoder
 * accepts the result. */
START_TEST(test_decode_fixture)
{
	const char *file = decode_dir.names[_i];
	json_object *fx, *in, *exp, *act, *o;
	struct c_request r;
	struct c_opts opts;
	struct arena a;
	struct buf b;
	const char *pm = NULL;
	char err[512];
	int stream = -1, rc;

	fx = to_load(file);
	in = to_get(fx, "input");
	o = to_opt(fx, "stream");
	if (o != NULL)
		stream = json_object_get_int(o);
	o = to_opt(fx, "path_model");
	if (o != NULL)
		pm = json_object_get_string(o);
	arena_init(&a, 0);
	err[0] = '\0';
	rc = dialect_openai.decode_request(in, pm, stream, &r, &a, err,
	    sizeof(err));
	exp = to_get(fx, "error");
	if (exp != NULL) {
		TO_CHECK(rc == -1, "%s: decoded, expected an error", file);
		TO_CHECK(strstr(err, json_object_get_string(exp)) != NULL,
		    "%s: error \"%s\" lacks \"%s\"", file, err,
		    json_object_get_string(exp));
	} else {
		TO_CHECK(rc == 0, "%s: %s", file, err);
		buf_init(&b, 0);
		TO_CHECK(c_request_to_json(&r, &b) == 0, "%s: to_json", file);
		act = to_parse_buf(&b);
		to_expect(file, to_get(fx, "expected"), act);
		json_object_put(act);
		buf_reset(&b);
		memset(&opts, 0, sizeof(opts));
		opts.stream = r.stream;
		TO_CHECK(dialect_openai.encode_request(&r, &opts, &b) == 0,
		    "%s: encode_request failed", file);
		act = to_parse_buf(&b);
		TO_CHECK(act != NULL, "%s: encoded body is not JSON: %s", file,
		    b.data);
		json_object_put(act);
		buf_free(&b);
	}
	arena_free(&a);
	json_object_put(fx);
}
END_TEST

START_TEST(test_encode_fixture)
{
	const char *file = encode_dir.names[_i];
	json_object *fx, *in, *o, *act;
	struct c_request r;
	struct c_opts opts;
	struct arena a;
	struct buf b;
	char err[512];
	int rc;

	fx = to_load(file);
	in = to_get(fx, "input");
	arena_init(&a, 0);
	o = to_opt(fx, "input_dialect");
	if (o != NULL && strcmp(json_object_get_string(o), "openai") == 0)
		rc = dialect_openai.decode_request(in, NULL, -1, &r, &a, err,
		    sizeof(err));
	else
		rc = canon_load_request(in, &r, &a, err, sizeof(err));
	TO_CHECK(rc == 0, "%s: loading the input: %s", file, err);
	memset(&opts, 0, sizeof(opts));
	opts.stream = json_object_get_boolean(to_opt(fx, "stream"));
	buf_init(&b, 0);
	TO_CHECK(dialect_openai.encode_request(&r, &opts, &b) == 0,
	    "%s: encode_request failed", file);
	act = to_parse_buf(&b);
	TO_CHECK(act != NULL, "%s: not JSON: %s", file, b.data);
	to_expect(file, to_get(fx, "expected"), act);
	json_object_put(act);
	buf_free(&b);
	arena_free(&a);
	json_object_put(fx);
}
END_TEST

/* ---- hostile input ------------------------------------------------------- */

static json_object *
mk_value(int kind)
{
	switch (kind) {
	case 0:
		return NULL;
	case 1:
		return json_object_new_boolean(1);
	case 2:
		return json_object_new_int(0);
	case 3:
		return json_object_new_int64(-1);
	case 4:
		return json_object_new_double(1e300);
	case 5:
		return json_object_new_string("x");
	case 6:
		return json_object_new_string("");
	case 7:
		return json_object_new_array();
	case 8:
		return json_object_new_object();
	case 9:
		return json_tokener_parse("[null,{},\"data:\"]");
	default:
		return json_tokener_parse("{\"type\":\"text\",\"text\":null,"
		    "\"url\":\"data:;base64,\"}");
	}
}
#define NKINDS	11

/* Replace the m-th node (pre-order, root excluded) of o; 1 when done. */
static int
mutate(json_object *o, int *m, int kind)
{
	struct json_object_iterator it, end;
	size_t i, n;

	if (json_object_is_type(o, json_type_object)) {
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it)) {
			if ((*m)-- == 0) {
				json_object_object_add(o,
				    json_object_iter_peek_name(&it),
				    mk_value(kind));
				return 1;
			}
			if (mutate(json_object_iter_peek_value(&it), m, kind))
				return 1;
		}
	} else if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if ((*m)-- == 0) {
				json_object_array_put_idx(o, i, mk_value(kind));
				return 1;
			}
			if (mutate(json_object_array_get_idx(o, i), m, kind))
				return 1;
		}
	}
	return 0;
}

/* Decode a body; on success the encoders must cope with the result. */
static void
decode_any(json_object *body, const char *file)
{
	struct c_request r;
	struct c_opts opts;
	struct arena a;
	struct buf b;
	json_object *act;
	char err[256];
	int rc;

	arena_init(&a, 0);
	err[0] = '\0';
	rc = dialect_openai.decode_request(body, NULL, -1, &r, &a, err,
	    sizeof(err));
	if (rc == -1)
		TO_CHECK(err[0] != '\0', "%s: failure without a message",
		    file);
	else {
		buf_init(&b, 0);
		TO_CHECK(c_request_to_json(&r, &b) == 0, "%s: to_json", file);
		buf_reset(&b);
		memset(&opts, 0, sizeof(opts));
		opts.stream = 1;
		TO_CHECK(dialect_openai.encode_request(&r, &opts, &b) == 0,
		    "%s: encode failed", file);
		act = to_parse_buf(&b);
		TO_CHECK(act != NULL, "%s: encoded body not JSON: %s", file,
		    b.data);
		json_object_put(act);
		buf_free(&b);
	}
	arena_free(&a);
}

START_TEST(test_decode_mutations)
{
	const char *file = decode_dir.names[_i];
	json_object *fx, *body;
	const char *txt;
	char *copy;
	int node, kind, m, done;

	fx = to_load(file);
	txt = json_object_to_json_string_ext(to_get(fx, "input"),
	    JSON_C_TO_STRING_PLAIN);
	copy = strdup(txt);
	for (node = 0;; node++) {
		done = 0;
		for (kind = 0; kind < NKINDS; kind++) {
			body = json_tokener_parse(copy);
			m = node;
			if (body != NULL && !mutate(body, &m, kind)) {
				json_object_put(body);
				done = 1;
				break;
			}
			decode_any(body, file);
			json_object_put(body);
		}
		if (done)
			break;
	}
	/* and the root itself replaced */
	for (kind = 0; kind < NKINDS; kind++) {
		body = mk_value(kind);
		decode_any(body, file);
		json_object_put(body);
	}
	free(copy);
	json_object_put(fx);
}
END_TEST

/* A full arena is a clean error, not a crash. */
START_TEST(test_decode_arena_cap)
{
	json_object *body, *msgs, *m;
	struct c_request r;
	struct arena a;
	char err[256];
	int i;

	body = json_object_new_object();
	json_object_object_add(body, "model", json_object_new_string("m"));
	msgs = json_object_new_array();
	for (i = 0; i < 2000; i++) {
		m = json_tokener_parse("{\"role\":\"user\",\"content\":"
		    "[{\"type\":\"text\",\"text\":\"a\"},"
		    "{\"type\":\"image_url\","
		    "\"image_url\":\"data:image/png;base64,QU JD\"}]}");
		json_object_array_add(msgs, m);
	}
	json_object_object_add(body, "messages", msgs);
	arena_init(&a, 16 * 1024);
	err[0] = '\0';
	TO_CHECK(dialect_openai.decode_request(body, NULL, -1, &r, &a, err,
	    sizeof(err)) == -1, "decoded into a 16 KiB arena");
	TO_CHECK(strstr(err, "too large") != NULL, "error: %s", err);
	arena_free(&a);
	arena_init(&a, 0);
	TO_CHECK(dialect_openai.decode_request(body, NULL, -1, &r, &a, NULL,
	    0) == 0, "decode without an error buffer");
	TO_CHECK(r.nmsgs == 1 && r.msgs[0].nparts == 4000,
	    "2000 user messages merge into one turn: %zu", r.nmsgs);
	TO_CHECK(r.msgs[0].parts[1].data_len == 4 &&
	    memcmp(r.msgs[0].parts[1].data, "QUJD", 4) == 0,
	    "white space left in base64");
	arena_free(&a);
	json_object_put(body);
}
END_TEST

/* Errors without an error buffer must not crash either. */
START_TEST(test_decode_no_errbuf)
{
	json_object *body;
	struct c_request r;
	struct arena a;

	body = json_tokener_parse("{\"model\":1}");
	arena_init(&a, 0);
	TO_CHECK(dialect_openai.decode_request(body, NULL, -1, &r, &a, NULL,
	    0) == -1, "a numeric model was accepted");
	TO_CHECK(dialect_openai.decode_request(NULL, NULL, -1, &r, &a, NULL,
	    0) == -1, "a NULL body was accepted");
	arena_free(&a);
	json_object_put(body);
}
END_TEST

/* Generated tool-call ids are call_ + 24 alphanumerics (§1.6 rule 6). */
START_TEST(test_generated_ids)
{
	json_object *body;
	struct c_request r;
	struct arena a;
	const char *id;
	size_t i;
	char err[256];

	body = json_tokener_parse("{\"model\":\"m\",\"messages\":["
	    "{\"role\":\"user\",\"content\":\"hi\"},"
	    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
	    "[{\"type\":\"function\",\"function\":{\"name\":\"f\","
	    "\"arguments\":\"{}\"}}]}]}");
	arena_init(&a, 0);
	TO_CHECK(dialect_openai.decode_request(body, NULL, -1, &r, &a, err,
	    sizeof(err)) == 0, "%s", err);
	id = r.msgs[1].parts[0].id;
	TO_CHECK(id != NULL && strncmp(id, "call_", 5) == 0 &&
	    strlen(id) == 29, "id %s", id ? id : "(null)");
	for (i = 5; i < 29; i++)
		TO_CHECK((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9'), "id %s", id);
	arena_free(&a);
	json_object_put(body);
}
END_TEST

static Suite *
openai_req_suite(void)
{
	Suite *s;
	TCase *tc;

	to_list(&decode_dir, "decode");
	to_list(&encode_dir, "encode_request");
	s = suite_create("openai_req");

	tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_decode_fixture, 0, (int)decode_dir.n);
	tcase_add_test(tc, test_decode_arena_cap);
	tcase_add_test(tc, test_decode_no_errbuf);
	tcase_add_test(tc, test_generated_ids);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_loop_test(tc, test_encode_fixture, 0, (int)encode_dir.n);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_decode_mutations, 0, (int)decode_dir.n);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(openai_req_suite)

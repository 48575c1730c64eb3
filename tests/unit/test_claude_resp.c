/*
 * test_claude_resp.c: unit tests of the answer side of the Claude
 * dialect (claude_resp.c).  Client side: canonical event sequences
 * (tests/fixtures/claude_resp/enc_*.json, replayed with canon_load)
 * encoded as a whole message and as an SSE stream, compared with the
 * expected JSON and event lists; one write() per SSE event; a writer
 * that fails.  Backend side: Anthropic messages and SSE event lists
 * (dec_*.json) decoded into canonical events recorded with c_recorder;
 * hostile input; the error decoding table; model lists both ways.
 * Expected files use the matchers of tests/fixtures/kiro/README.md.
 */
#include "config.h"

#include <regex.h>
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
#include "unit.h"

#include "fixmatch.h"

static json_object *
jpath(json_object *o, const char *k)
{
	json_object *v = NULL;

	EXPECT_MSG(json_object_object_get_ex(o, k, &v), "no member %s", k);
	return v;
}

static json_object *
load(const char *name)
{
	char path[512];
	json_object *j;

	snprintf(path, sizeof(path), "%s/claude_resp/%s.json", FIXTURES, name);
	j = canon_read_json(path);
	EXPECT_MSG(j != NULL, "cannot read %s", path);
	return j;
}

/* ---- client side: encoders ---------------------------------------------- */

static const char *const enc_cases[] = {
	"enc_full",
	"enc_tool_inputs",
	"enc_robust",
	"enc_no_message_delta",
	"enc_stop_sequence",
	"enc_error_midstream",
	"enc_error_etype",
};

START_TEST(test_encode)
{
	struct c_response acc;
	struct c_opts co;
	struct arena a;
	struct cap cap;
	struct c_sink *enc;
	struct buf out;
	json_object *fx, *exp, *got, *ev;
	size_t i;

	fx = load(enc_cases[_i]);
	memset(&co, 0, sizeof(co));
	co.client_model = json_object_get_string(jpath(fx, "client_model"));

	if (json_object_object_get_ex(fx, "response", &exp)) {
		c_response_init(&acc, 0);
		EXPECT(canon_replay_events(jpath(fx, "events"), &acc.sink) ==
		    0);
		buf_init(&out, 0);
		EXPECT(claude_encode_response(&acc, &co, &out) == 0);
		got = json_tokener_parse(out.data);
		EXPECT_MSG(got != NULL, "bad JSON: %s", out.data);
		EXPECT_MATCH(exp, got, "response");
		json_object_put(got);
		buf_free(&out);
		c_response_free(&acc);
	}

	arena_init(&a, 0);
	cap_init(&cap);
	enc = claude_stream_encoder(&a, &cap.w, &co);
	EXPECT(enc != NULL);
	EXPECT(canon_replay_events(jpath(fx, "events"), enc) == 0);
	EXPECT(!cap.bad);
	got = sse_parse(cap.out.data ? cap.out.data : "", cap.out.len);
	EXPECT_INT(cap.nwrites, ==, json_object_array_length(got));
	for (i = 0; i < json_object_array_length(got); i++) {
		ev = json_object_array_get_idx(got, i);
		EXPECT_STR(json_object_get_string(jpath(jpath(ev, "data"),
		    "type")), json_object_get_string(jpath(ev, "event")));
	}
	EXPECT_MATCH(jpath(fx, "stream"), got, "stream");
	json_object_put(got);
	buf_free(&cap.out);
	arena_free(&a);
	json_object_put(fx);
}
END_TEST

/* A writer that fails makes the sink refuse: the provider stops. */
START_TEST(test_encode_writer_fails)
{
	struct c_opts co;
	struct arena a;
	struct cap cap;
	struct c_sink *enc;
	json_object *fx, *evs;
	int n, total;

	fx = load("enc_full");
	evs = jpath(fx, "events");
	memset(&co, 0, sizeof(co));
	co.client_model = "m";
	/* message_start and its ping, 12 more events */
	for (total = 0, n = 0; n < 16; n++) {
		arena_init(&a, 0);
		cap_init(&cap);
		cap.fail_after = n;
		enc = claude_stream_encoder(&a, &cap.w, &co);
		EXPECT(enc != NULL);
		if (canon_replay_events(evs, enc) == -1)
			total++;
		EXPECT_INT(cap.nwrites, <=, n);
		buf_free(&cap.out);
		arena_free(&a);
	}
	EXPECT_INT(total, ==, 16);
	json_object_put(fx);
}
END_TEST

/* The defaults when the response lacks id, model and stop reason. */
START_TEST(test_encode_defaults)
{
	struct c_response acc;
	struct buf out;
	json_object *got, *exp;

	c_response_init(&acc, 0);
	EXPECT(c_emit_block_start(&acc.sink, 0, C_BLOCK_TOOL_USE, "t",
	    "f") == 0);
	EXPECT(c_emit_delta(&acc.sink, 0, C_DELTA_JSON, " {\"a\" : 1} ", 11) ==
	    0);
	EXPECT(c_emit_block_stop(&acc.sink, 0) == 0);
	buf_init(&out, 0);
	EXPECT(claude_encode_response(&acc, NULL, &out) == 0);
	got = json_tokener_parse(out.data);
	exp = json_tokener_parse("{\"id\":\"<<re:msg_[A-Za-z0-9]{24}>>\","
	    "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"\","
	    "\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\","
	    "\"input\":{\"a\":1}}],\"stop_reason\":\"tool_use\","
	    "\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,"
	    "\"output_tokens\":0}}");
	EXPECT_MATCH(exp, got, "defaults");
	/* usage never goes negative when the cache exceeds the input */
	acc.usage.input = 10;
	acc.usage.cache_read = 30;
	buf_reset(&out);
	EXPECT(claude_encode_response(&acc, NULL, &out) == 0);
	EXPECT(strstr(out.data, "\"usage\":{\"input_tokens\":0,"
	    "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":30,"
	    "\"output_tokens\":0}") != NULL);
	json_object_put(exp);
	json_object_put(got);
	buf_free(&out);
	c_response_free(&acc);
}
END_TEST

/* ---- backend side: decoders --------------------------------------------- */

static const char *const dec_cases[] = {
	"dec_response_full",
	"dec_response_odd",
	"dec_response_stops",
	"dec_response_error",
	"dec_stream_text_tool",
	"dec_stream_error",
	"dec_stream_cut",
	"dec_stream_odd",
};

START_TEST(test_decode)
{
	struct c_recorder rec;
	struct c_opts co;
	struct arena a;
	json_object *fx, *in, *e, *ev, *data;
	const char *kind, *name;
	char err[256];
	void *st;
	size_t i;

	fx = load(dec_cases[_i]);
	kind = json_object_get_string(jpath(fx, "kind"));
	memset(&co, 0, sizeof(co));
	c_recorder_init(&rec);
	in = jpath(fx, "input");
	err[0] = '\0';
	if (strcmp(kind, "response") == 0)
		EXPECT_INT(claude_decode_response(in, &co, &rec.sink, err,
		    sizeof(err)), ==, json_object_get_int(jpath(fx, "rc")));
	else {
		arena_init(&a, 0);
		st = claude_stream_decoder(&a, &rec.sink, &co);
		EXPECT(st != NULL);
		for (i = 0; i < json_object_array_length(in); i++) {
			e = json_object_array_get_idx(in, i);
			name = NULL;
			data = e;
			if (json_object_object_get_ex(e, "data", &data) &&
			    json_object_object_get_ex(e, "event", &ev))
				name = json_object_get_string(ev);
			else
				data = e;
			EXPECT_MSG(claude_stream_decode(st, name, data, err,
			    sizeof(err)) == 0, "event %zu: %s", i, err);
		}
		EXPECT_INT(claude_stream_end(st, err, sizeof(err)), ==,
		    json_object_get_int(jpath(fx, "end_rc")));
		arena_free(&a);
	}
	EXPECT_MATCH(jpath(fx, "expected"), rec.events, dec_cases[_i]);
	c_recorder_free(&rec);
	json_object_put(fx);
}
END_TEST

/* The decoded events of a message, accumulated and encoded again. */
START_TEST(test_decode_roundtrip)
{
	struct c_response acc;
	struct buf out;
	json_object *fx, *in, *got;
	char err[128];

	fx = load("dec_response_full");
	in = jpath(fx, "input");
	c_response_init(&acc, 0);
	EXPECT(claude_decode_response(in, NULL, &acc.sink, err,
	    sizeof(err)) == 0);
	buf_init(&out, 0);
	EXPECT(claude_encode_response(&acc, NULL, &out) == 0);
	got = json_tokener_parse(out.data);
	EXPECT_MATCH(in, got, "round trip");
	json_object_put(got);
	buf_free(&out);
	c_response_free(&acc);
	json_object_put(fx);
}
END_TEST

static int
refuse(struct c_sink *s, const struct c_event *e)
{
	(void)s;
	(void)e;
	return -1;
}

START_TEST(test_decode_hostile)
{
	static const char *const bodies[] = {
		"[]", "\"x\"", "7", "null",
		"{\"content\":{}}", "{\"content\":\"text\"}",
	};
	static const char *const odd[] = {
		"{\"content\":null,\"usage\":\"x\",\"id\":5,\"model\":[]}",
		"{\"content\":[1,null,{\"type\":7},{\"type\":\"text\","
		"\"text\":9},{\"type\":\"tool_use\",\"id\":{},\"name\":1,"
		"\"input\":\"raw\"},{\"type\":\"thinking\"}],"
		"\"stop_reason\":42,\"usage\":{\"input_tokens\":-5,"
		"\"output_tokens\":\"9\"}}",
		"{\"error\":\"just a string\"}",
		"{\"type\":\"error\"}",
	};
	static const char *const events[] = {
		"{\"type\":\"content_block_start\"}",
		"{\"type\":\"content_block_start\",\"index\":\"x\","
		"\"content_block\":7}",
		"{\"type\":\"content_block_delta\",\"delta\":null}",
		"{\"type\":\"content_block_delta\",\"index\":0,"
		"\"delta\":{\"type\":\"text_delta\",\"text\":[]}}",
		"{\"type\":\"message_start\",\"message\":5}",
		"{\"type\":\"message_delta\",\"delta\":3,\"usage\":[]}",
		"{\"type\":\"content_block_stop\",\"index\":{}}",
		"{\"type\":7}",
		"{}",
		"{\"type\":\"error\",\"error\":{\"type\":\"new_error\"}}",
	};
	struct c_recorder rec;
	struct c_sink no = { refuse };
	struct arena a;
	json_object *j;
	char err[128];
	void *st;
	size_t i;

	c_recorder_init(&rec);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		j = json_tokener_parse(bodies[i]);
		err[0] = '\0';
		EXPECT_MSG(claude_decode_response(j, NULL, &rec.sink, err,
		    sizeof(err)) == -1, "%s", bodies[i]);
		EXPECT(err[0] != '\0');
		json_object_put(j);
	}
	EXPECT_INT(json_object_array_length(rec.events), ==, 0);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		j = json_tokener_parse(odd[i]);
		EXPECT_MSG(claude_decode_response(j, NULL, &rec.sink, err,
		    sizeof(err)) == 0, "%s", odd[i]);
		EXPECT_MSG(claude_decode_response(j, NULL, &no, err,
		    sizeof(err)) == -1, "%s", odd[i]);
		json_object_put(j);
	}

	arena_init(&a, 0);
	st = claude_stream_decoder(&a, &rec.sink, NULL);
	EXPECT(claude_stream_decode(st, "ping", NULL, err, sizeof(err)) == 0);
	j = json_tokener_parse("[1]");
	EXPECT(claude_stream_decode(st, "x", j, err, sizeof(err)) == -1);
	json_object_put(j);
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		j = json_tokener_parse(events[i]);
		EXPECT_MSG(claude_stream_decode(st, NULL, j, err,
		    sizeof(err)) == 0, "%s: %s", events[i], err);
		json_object_put(j);
	}
	/* the error event ended it: no "ended early" on top */
	EXPECT(claude_stream_end(st, err, sizeof(err)) == 0);

	/* a sink that refuses stops the decoder */
	st = claude_stream_decoder(&a, &no, NULL);
	j = json_tokener_parse("{\"type\":\"ping\"}");
	EXPECT(claude_stream_decode(st, NULL, j, err, sizeof(err)) == -1);
	EXPECT(claude_stream_decode(st, NULL, j, err, sizeof(err)) == 0);
	json_object_put(j);
	arena_free(&a);
	c_recorder_free(&rec);
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

START_TEST(test_decode_error)
{
	static const struct {
		int		 status;
		const char	*body;
		const char	*raw;
		int		 want_status;
		const char	*want_type;
		const char	*want_msg;
	} t[] = {
		{ 429, "{\"type\":\"error\",\"error\":{\"type\":"
		  "\"rate_limit_error\",\"message\":\"Number of request tokens "
		  "has exceeded your per-minute rate limit\"}}", NULL, 429,
		  "rate_limit_error", "Number of request tokens has exceeded "
		  "your per-minute rate limit" },
		{ 529, "{\"type\":\"error\",\"error\":{\"type\":"
		  "\"overloaded_error\",\"message\":\"Overloaded\"}}", NULL,
		  529,
		  "overloaded_error", "Overloaded" },
		{ 400, "{\"error\":{\"code\":400,\"message\":\"* Generate"
		  "ContentRequest.contents: contents is not specified\","
		  "\"status\":\"INVALID_ARGUMENT\"}}", NULL, 400, NULL,
		  "* GenerateContentRequest.contents: contents is not "
		  "specified" },
		{ 418, "{\"type\":\"error\",\"error\":{\"type\":"
		  "\"teapot_error\","
		  "\"message\":\"short and stout\"}}", NULL, 418, NULL,
		  "short and stout" },
		{ 503, "{\"message\":\"Service unavailable\"}", NULL, 503, NULL,
		  "Service unavailable" },
		{ 403, "{\"error\":\"forbidden\"}", NULL, 403, NULL,
		  "forbidden" },
		{ 500, NULL, "upstream exploded", 500, NULL,
		  "upstream exploded" },
		{ 500, "[1,2]", "[1,2]", 500, NULL, "[1,2]" },
		{ 999, NULL, NULL, 500, NULL, "upstream returned HTTP 999" },
		{ 0, "{}", "", 500, NULL, "upstream returned HTTP 0" },
		{ 502, NULL, NULL, 502, NULL, "upstream returned HTTP 502" },
	};
	struct c_error ce;
	json_object *j;
	char big[3000];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		j = t[i].body ? json_tokener_parse(t[i].body) : NULL;
		memset(&ce, 0x55, sizeof(ce));
		claude_decode_error(t[i].status, j, t[i].raw,
		    t[i].raw ? strlen(t[i].raw) : 0, &ce);
		EXPECT_INT(ce.status, ==, t[i].want_status);
		EXPECT_MSG((ce.etype == NULL && t[i].want_type == NULL) ||
		    (ce.etype != NULL && t[i].want_type != NULL &&
		    strcmp(ce.etype, t[i].want_type) == 0), "case %zu: %s", i,
		    ce.etype ? ce.etype : "(null)");
		EXPECT_STR(ce.message, t[i].want_msg);
		json_object_put(j);
	}

	/* long raw text: cut at 2000 bytes, not inside a character */
	memset(big, 'a', sizeof(big));
	memcpy(big + 1998, "\xc3\xa9\xc3\xa9", 4);
	claude_decode_error(500, NULL, big, sizeof(big), &ce);
	EXPECT_INT(strlen(ce.message), ==, 2000);
	memcpy(big + 1998, "a\xc3\xa9", 3);
	claude_decode_error(500, NULL, big, sizeof(big), &ce);
	EXPECT_INT(strlen(ce.message), ==, 1999);
}
END_TEST

/* ---- model lists -------------------------------------------------------- */

START_TEST(test_models)
{
	struct c_model *m;
	struct c_model mine[2];
	struct c_opts co;
	struct arena a;
	struct buf out;
	json_object *j, *got, *exp;
	size_t n;

	arena_init(&a, 0);
	j = json_tokener_parse("{\"data\":[{\"type\":\"model\",\"id\":"
	    "\"claude-sonnet-4-5\",\"display_name\":\"Claude Sonnet 4.5\","
	    "\"created_at\":\"2025-09-29T00:00:00Z\",\"max_input_tokens\":"
	    "200000,\"max_tokens\":64000},{\"id\":\"\"},{\"nope\":1},7,"
	    "{\"id\":\"claude-x\",\"created\":1700000000}],"
	    "\"has_more\":false}");
	EXPECT(claude_decode_models(j, &a, &m, &n) == 0);
	json_object_put(j);
	EXPECT_INT(n, ==, 2);
	EXPECT_STR(m[0].id, "claude-sonnet-4-5");
	EXPECT_STR(m[0].display_name, "Claude Sonnet 4.5");
	EXPECT_STR(m[0].owned_by, "anthropic");
	EXPECT_INT(m[0].created, ==, 1759104000);
	EXPECT_INT(m[0].input_limit, ==, 200000);
	EXPECT_INT(m[0].output_limit, ==, 64000);
	EXPECT_STR(m[1].id, "claude-x");
	EXPECT(m[1].display_name == NULL);
	EXPECT_INT(m[1].created, ==, 1700000000);

	/* the internal shape of conversion.md 6.1 */
	j = json_tokener_parse("{\"models\":[{\"name\":"
	    "\"claude-sonnet-4-20250514\"},{\"name\":\"models/claude-3\"},"
	    "{\"id\":\"claude-y\",\"name\":\"ignored\"}]}");
	EXPECT(claude_decode_models(j, &a, &m, &n) == 0);
	json_object_put(j);
	EXPECT_INT(n, ==, 3);
	EXPECT_STR(m[0].id, "claude-sonnet-4-20250514");
	EXPECT_STR(m[1].id, "claude-3");
	EXPECT_STR(m[2].id, "claude-y");
	EXPECT_STR(m[2].owned_by, "anthropic");
	EXPECT_INT(m[2].created, ==, 0);

	/* not a list */
	j = json_tokener_parse("{\"data\":{}}");
	EXPECT(claude_decode_models(j, &a, &m, &n) == -1);
	json_object_put(j);
	EXPECT(claude_decode_models(NULL, &a, &m, &n) == -1);
	j = json_tokener_parse("{\"models\":[]}");
	EXPECT(claude_decode_models(j, &a, &m, &n) == 0);
	EXPECT_INT(n, ==, 0);
	json_object_put(j);

	/* the Anthropic list */
	memset(mine, 0, sizeof(mine));
	mine[0].id = "claude-a";
	mine[0].display_name = "Claude A";
	mine[0].created = 1759104000;
	mine[1].id = "claude-b";
	memset(&co, 0, sizeof(co));
	co.created = 1700000000;
	buf_init(&out, 0);
	EXPECT(claude_encode_models(mine, 2, &co, &out) == 0);
	got = json_tokener_parse(out.data);
	exp = json_tokener_parse("{\"data\":[{\"type\":\"model\",\"id\":"
	    "\"claude-a\",\"display_name\":\"Claude A\",\"created_at\":"
	    "\"2025-09-29T00:00:00Z\"},{\"type\":\"model\",\"id\":\"claude-b\","
	    "\"display_name\":\"claude-b\",\"created_at\":"
	    "\"2023-11-14T22:13:20Z\"}],\"has_more\":false,\"first_id\":"
	    "\"claude-a\",\"last_id\":\"claude-b\"}");
	EXPECT_MATCH(exp, got, "model list");
	json_object_put(got);
	json_object_put(exp);
	buf_reset(&out);
	EXPECT(claude_encode_models(NULL, 0, NULL, &out) == 0);
	EXPECT_STR(out.data, "{\"data\":[],\"has_more\":false,"
	    "\"first_id\":null,\"last_id\":null}");
	buf_free(&out);
	arena_free(&a);
}
END_TEST

static Suite *
claude_resp_suite(void)
{
	Suite *s = suite_create("claude_resp");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_encode, 0,
	    sizeof(enc_cases) / sizeof(enc_cases[0]));
	tcase_add_test(tc, test_encode_writer_fails);
	tcase_add_test(tc, test_encode_defaults);
	tcase_add_loop_test(tc, test_decode, 0,
	    sizeof(dec_cases) / sizeof(dec_cases[0]));
	tcase_add_test(tc, test_decode_roundtrip);
	tcase_add_test(tc, test_decode_hostile);
	tcase_add_test(tc, test_decode_error);
	tcase_add_test(tc, test_models);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(claude_resp_suite)

/*
 * test_gemini_resp.c: unit tests of the Gemini dialect's answer half
 * (gemini_resp.c).  Table-driven from tests/fixtures/gemini/:
 *   response/  canonical events (canon_replay_events) collected into a
 *              c_response and the GenerateContentResponse for it
 *   stream/    canonical events and the elements the stream encoder must
 *              write; each case runs in SSE and in JSON-array framing,
 *              event by event, and every write() must be one complete
 *              event or element
 *   backend/   an upstream body (decode_response) or chunk list (stream
 *              decoder) and the canonical events it must give
 *   models/    model lists both ways and the single model
 *   errors/    upstream error statuses and bodies into struct c_error
 * plus writer failures, odd event orders, and hostile upstream data
 * (every node of every backend fixture replaced by wrong types).
 */
#include "config.h"

#include <check.h>
#include <stdint.h>

#include "dialect.h"
#include "gemini_int.h"
#include "jsonw.h"
#include "unit.h"

#include "test_gemini_util.c"

static char **resp_names, **stream_names, **back_names, **model_names,
    **err_names;
static size_t nresp, nstream, nback, nmodel, nerr;

static void
fixture_opts(json_object *f, struct c_opts *o)
{
	json_object *opts = jget(f, "options");

	memset(o, 0, sizeof(*o));
	o->client_model = "gemini-2.5-pro";
	if (jget(opts, "client_model") != NULL)
		o->client_model = json_object_get_string(jget(opts,
		    "client_model"));
	o->include_thoughts = json_object_get_boolean(jget(opts,
	    "include_thoughts"));
}

START_TEST(response_fixture)
{
	struct c_response r;
	struct c_opts o;
	struct buf b;
	json_object *f, *got;

	f = fixture_load("response", resp_names[_i]);
	fixture_opts(f, &o);
	c_response_init(&r, 0);
	EXPECT(canon_replay_events(jget(f, "events"), &r.sink) == 0);
	buf_init(&b, 0);
	EXPECT(dialect_gemini.encode_response(&r, &o, &b) == 0);
	got = parse_exact(b.data, b.len);
	EXPECT_MSG(got != NULL, "%s: not JSON: %s", resp_names[_i], b.data);
	EXPECT_JSON(resp_names[_i], jget(f, "expected"), got);
	json_object_put(got);
	buf_free(&b);
	c_response_free(&r);
	json_object_put(f);
}
END_TEST

/* A writer that keeps every write; write number fail_at fails. */
struct wcap {
	struct c_writer	 w;
	char		*data[256];
	size_t		 len[256];
	size_t		 n;
	size_t		 attempts;
	long		 fail_at;
};

static int
wcap_write(struct c_writer *w, const char *s, size_t len)
{
	struct wcap *c = (struct wcap *)w;

	if (c->fail_at >= 0 && (long)c->attempts == c->fail_at) {
		c->attempts++;
		return -1;
	}
	c->attempts++;
	if (c->n >= 256)
		return -1;
	c->data[c->n] = malloc(len + 1);
	memcpy(c->data[c->n], s, len);
	c->data[c->n][len] = '\0';
	c->len[c->n++] = len;
	return 0;
}

static void
wcap_init(struct wcap *c, long fail_at)
{
	memset(c, 0, sizeof(*c));
	c->w.write = wcap_write;
	c->fail_at = fail_at;
}

static void
wcap_free(struct wcap *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->data[i]);
	c->n = 0;
}

/*
 * The writes as a list of elements, checking the framing: SSE events
 * "data: <one line>\n\n" or ": keep-alive\n\n" comments (counted in
 * *pings); array mode "[" + element, ",\r\n" + element, and "]" alone
 * at the end when closed is set.
 */
static json_object *
split_writes(const char *name, struct wcap *c, int sse, int closed,
    int *pings)
{
	json_object *list, *e, *all;
	struct buf cat;
	const char *s;
	size_t i, len, n = c->n;

	list = json_object_new_array();
	*pings = 0;
	buf_init(&cat, 0);
	for (i = 0; i < n; i++) {
		s = c->data[i];
		len = c->len[i];
		EXPECT(buf_add(&cat, s, len) == 0);
		if (sse) {
			if (strcmp(s, ": keep-alive\n\n") == 0) {
				(*pings)++;
				continue;
			}
			EXPECT_MSG(len > 8 && strncmp(s, "data: ", 6) == 0 &&
			    strcmp(s + len - 2, "\n\n") == 0 &&
			    memchr(s, '\n', len - 2) == NULL,
			    "%s: write %zu is not one SSE event: %s", name, i,
			    s);
			e = parse_exact(s + 6, len - 8);
		} else {
			if (closed && i == n - 1) {
				EXPECT_MSG(strcmp(s, "]") == 0 || (len > 1 &&
				    s[len - 1] == ']'), "%s: last write %s",
				    name, s);
				if (strcmp(s, "]") == 0)
					break;
			}
			if (i == 0) {
				EXPECT_MSG(s[0] == '[', "%s: first write %s",
				    name, s);
				s += 1;
				len -= 1;
			} else {
				EXPECT_MSG(strncmp(s, ",\r\n", 3) == 0,
				    "%s: write %zu: %s", name, i, s);
				s += 3;
				len -= 3;
			}
			e = parse_exact(s, len);
		}
		EXPECT_MSG(e != NULL, "%s: write %zu is not JSON: %s", name, i,
		    c->data[i]);
		json_object_array_add(list, e);
	}
	if (!sse && closed) {
		all = parse_exact(cat.data, cat.len);
		EXPECT_MSG(all != NULL && json_object_is_type(all,
		    json_type_array), "%s: the stream is not one JSON array",
		    name);
		EXPECT_JSON(name, list, all);
		json_object_put(all);
	}
	buf_free(&cat);
	return list;
}

static int
count_type(json_object *events, const char *type)
{
	size_t i;
	int n = 0;

	for (i = 0; i < json_object_array_length(events); i++)
		if (strcmp(json_object_get_string(jget(
		    json_object_array_get_idx(events, i), "type")), type) == 0)
			n++;
	return n;
}

START_TEST(stream_fixture)
{
	struct c_sink *s;
	struct c_opts o;
	struct arena a;
	struct wcap c;
	json_object *f, *events, *last, *got;
	char name[300];
	int sse, closed, pings;
	size_t n;

	f = fixture_load("stream", stream_names[_i]);
	events = jget(f, "events");
	n = json_object_array_length(events);
	last = n ? jget(json_object_array_get_idx(events, n - 1), "type") :
	    NULL;
	closed = last && (strcmp(json_object_get_string(last),
	    "message_stop") == 0 || strcmp(json_object_get_string(last),
	    "error") == 0);
	for (sse = 0; sse <= 1; sse++) {
		snprintf(name, sizeof(name), "%s (%s)", stream_names[_i],
		    sse ? "sse" : "array");
		fixture_opts(f, &o);
		o.gemini_sse = sse;
		arena_init(&a, 0);
		wcap_init(&c, -1);
		s = dialect_gemini.stream_encoder(&a, &c.w, &o);
		EXPECT(s != NULL);
		EXPECT(canon_replay_events(events, s) == 0);
		got = split_writes(name, &c, sse, closed, &pings);
		EXPECT_JSON(name, jget(f, "expected"), got);
		EXPECT_MSG(pings == (sse ? count_type(events, "ping") : 0),
		    "%s: %d pings", name, pings);
		json_object_put(got);
		wcap_free(&c);
		arena_free(&a);
	}
	json_object_put(f);
}
END_TEST

/* Each write fails in turn: the event fails, later ones write nothing. */
START_TEST(stream_writer_fails)
{
	struct c_sink *s;
	struct c_opts o;
	struct arena a;
	struct wcap c;
	json_object *f, *events, *e;
	size_t i, total, k;
	int sse, rc, failed;

	f = fixture_load("stream", stream_names[_i]);
	events = jget(f, "events");
	for (sse = 0; sse <= 1; sse++) {
		fixture_opts(f, &o);
		o.gemini_sse = sse;
		/* how many writes a clean run makes */
		arena_init(&a, 0);
		wcap_init(&c, -1);
		s = dialect_gemini.stream_encoder(&a, &c.w, &o);
		EXPECT(canon_replay_events(events, s) == 0);
		total = c.n;
		wcap_free(&c);
		arena_free(&a);
		for (k = 0; k < total; k++) {
			arena_init(&a, 0);
			wcap_init(&c, (long)k);
			s = dialect_gemini.stream_encoder(&a, &c.w, &o);
			failed = 0;
			for (i = 0; i < json_object_array_length(events); i++) {
				e = json_object_new_array();
				json_object_array_add(e, json_object_get(
				    json_object_array_get_idx(events, i)));
				rc = canon_replay_events(e, s);
				json_object_put(e);
				if (rc == -1) {
					EXPECT_MSG(!failed, "%s: two failures",
					    stream_names[_i]);
					failed = 1;
				}
			}
			EXPECT_MSG(failed, "%s: write %zu failed silently",
			    stream_names[_i], k);
			EXPECT_MSG(c.n == k,
			    "%s: %zu writes after a failure at %zu",
			    stream_names[_i], c.n, k);
			wcap_free(&c);
			arena_free(&a);
		}
	}
	json_object_put(f);
}
END_TEST

/* Run a backend fixture; the recorder's events, or NULL with err. */
static json_object *
run_backend(json_object *f, json_object *body, json_object *chunks,
    char *err, size_t errlen, int *rcp)
{
	struct c_recorder rec;
	struct c_opts o;
	struct arena a;
	json_object *ev;
	void *st;
	size_t i;
	int rc = 0;

	fixture_opts(f, &o);
	c_recorder_init(&rec);
	arena_init(&a, 0);
	if (chunks != NULL) {
		st = dialect_gemini.stream_decoder(&a, &rec.sink, &o);
		EXPECT(st != NULL);
		for (i = 0; rc == 0 && json_object_is_type(chunks,
		    json_type_array) && i < json_object_array_length(chunks);
		    i++)
			rc = dialect_gemini.stream_decode(st, NULL,
			    json_object_array_get_idx(chunks, i), err, errlen);
		if (rc == 0)
			rc = dialect_gemini.stream_end(st, err, errlen);
	} else
		rc = dialect_gemini.decode_response(body, &o, &rec.sink, err,
		    errlen);
	arena_free(&a);
	*rcp = rc;
	ev = json_object_get(rec.events);
	c_recorder_free(&rec);
	return ev;
}

START_TEST(backend_fixture)
{
	json_object *f, *got, *experr;
	char err[256] = "";
	int rc;

	f = fixture_load("backend", back_names[_i]);
	got = run_backend(f, jget(f, "body"), jget(f, "chunks"), err,
	    sizeof(err), &rc);
	experr = jget(f, "error");
	if (experr != NULL) {
		EXPECT_MSG(rc == -1 && strcmp(err,
		    json_object_get_string(experr)) == 0, "%s: rc %d err %s",
		    back_names[_i], rc, err);
	} else
		EXPECT_MSG(rc == 0, "%s: %s", back_names[_i], err);
	EXPECT_JSON(back_names[_i], jget(f, "expected"), got);
	json_object_put(got);
	json_object_put(f);
}
END_TEST

/* The decoders take wrong types anywhere without crashing. */
START_TEST(backend_hostile)
{
	json_object *f, *in, *copy, *got;
	const char *key;
	char err[256];
	size_t nodes, k, kk;
	int h, rc;

	f = fixture_load("backend", back_names[_i]);
	key = jget(f, "chunks") ? "chunks" : "body";
	in = jget(f, key);
	nodes = json_nodes(in);
	for (k = 1; k < nodes; k++) {
		for (h = 0; h < NHOSTILE; h++) {
			copy = NULL;
			EXPECT(json_object_deep_copy(in, &copy, NULL) == 0);
			kk = k;
			EXPECT(json_replace_nth(copy, &kk, hostile_value(h)));
			err[0] = '\0';
			got = run_backend(f, strcmp(key, "body") == 0 ? copy :
			    NULL, strcmp(key, "chunks") == 0 ? copy : NULL, err,
			    sizeof(err), &rc);
			if (rc == -1)
				EXPECT(err[0] != '\0');
			json_object_put(got);
			json_object_put(copy);
		}
	}
	json_object_put(f);
}
END_TEST

static void
model_of(json_object *j, struct c_model *m)
{
	memset(m, 0, sizeof(*m));
	m->id = json_object_get_string(jget(j, "id"));
	m->display_name = json_object_get_string(jget(j, "display_name"));
	m->owned_by = json_object_get_string(jget(j, "owned_by"));
	m->input_limit = json_object_get_int64(jget(j, "input_limit"));
	m->output_limit = json_object_get_int64(jget(j, "output_limit"));
}

START_TEST(models_fixture)
{
	struct c_model ms[16], *out;
	struct c_opts o;
	struct arena a;
	struct buf b;
	json_object *f, *in, *got, *e;
	const char *kind;
	size_t i, n;

	f = fixture_load("models", model_names[_i]);
	kind = json_object_get_string(jget(f, "kind"));
	in = jget(f, "input");
	memset(&o, 0, sizeof(o));
	buf_init(&b, 0);
	arena_init(&a, 0);
	if (strcmp(kind, "decode") == 0) {
		EXPECT(dialect_gemini.decode_models(in, &a, &out, &n) == 0);
		got = json_object_new_array();
		for (i = 0; i < n; i++) {
			e = json_object_new_object();
			json_object_object_add(e, "id",
			    json_object_new_string(out[i].id));
			if (out[i].display_name != NULL)
				json_object_object_add(e, "display_name",
				    json_object_new_string(
				    out[i].display_name));
			json_object_object_add(e, "owned_by",
			    json_object_new_string(out[i].owned_by));
			json_object_object_add(e, "input_limit",
			    json_object_new_int64(out[i].input_limit));
			json_object_object_add(e, "output_limit",
			    json_object_new_int64(out[i].output_limit));
			json_object_array_add(got, e);
		}
	} else if (strcmp(kind, "encode_one") == 0) {
		model_of(in, &ms[0]);
		EXPECT(dialect_gemini.encode_model(&ms[0], &o, &b) == 0);
		got = parse_exact(b.data, b.len);
	} else {
		n = json_object_array_length(in);
		EXPECT(n <= 16);
		for (i = 0; i < n; i++)
			model_of(json_object_array_get_idx(in, i), &ms[i]);
		EXPECT(dialect_gemini.encode_models(ms, n, &o, &b) == 0);
		got = parse_exact(b.data, b.len);
	}
	EXPECT_MSG(got != NULL, "%s: not JSON: %s", model_names[_i], b.data);
	EXPECT_JSON(model_names[_i], jget(f, "expected"), got);
	json_object_put(got);
	buf_free(&b);
	arena_free(&a);
	json_object_put(f);
}
END_TEST

START_TEST(errors_fixture)
{
	struct c_error ce;
	json_object *f, *cases, *c, *raw, *exp;
	const char *rs;
	char name[300];
	size_t i;

	f = fixture_load("errors", err_names[_i]);
	cases = jget(f, "cases");
	for (i = 0; i < json_object_array_length(cases); i++) {
		c = json_object_array_get_idx(cases, i);
		snprintf(name, sizeof(name), "%s: %s", err_names[_i],
		    json_object_get_string(jget(c, "name")));
		raw = jget(c, "raw");
		rs = raw ? json_object_get_string(raw) : NULL;
		dialect_gemini.decode_error(json_object_get_int(jget(c,
		    "status")), jget(c, "body"), rs, rs ? strlen(rs) : 0, &ce);
		exp = jget(c, "expected");
		EXPECT_MSG(ce.status == json_object_get_int(jget(exp,
		    "status")), "%s: status %d", name, ce.status);
		EXPECT_MSG(strcmp(ce.message, json_object_get_string(jget(exp,
		    "message"))) == 0, "%s: message \"%s\"", name, ce.message);
		EXPECT_MSG(ce.etype == NULL, "%s: etype %s", name, ce.etype);
	}
	json_object_put(f);
}
END_TEST

/* A raw body longer than 2000 bytes is cut there. */
START_TEST(error_raw_cut)
{
	struct c_error ce;
	char raw[5000];

	memset(raw, 'x', sizeof(raw));
	dialect_gemini.decode_error(502, NULL, raw, sizeof(raw), &ce);
	EXPECT(ce.status == 502 && strlen(ce.message) == 2000);
}
END_TEST

/* Events in odd orders still give well-framed output. */
START_TEST(stream_odd_orders)
{
	static const char *const seqs[] = {
		/* deltas without blocks, stop without start, json without
		 * a tool block, two message stops */
		"[{\"type\":\"block_delta\",\"index\":3,\"delta\":\"json\","
		"\"text\":\"{\"},{\"type\":\"block_stop\",\"index\":9},"
		"{\"type\":\"block_delta\",\"index\":0,\"delta\":\"text\","
		"\"text\":\"a\"},{\"type\":\"message_stop\"},"
		"{\"type\":\"message_stop\"},{\"type\":\"error\","
		"\"status\":500,\"message\":\"late\"}]",
		/* a tool block never stopped, then the next block */
		"[{\"type\":\"block_start\",\"index\":0,\"block\":\"tool_use\","
		"\"name\":\"f\"},{\"type\":\"block_delta\",\"index\":0,"
		"\"delta\":\"json\",\"text\":\"{\\\"a\\\":\"},{\"type\":"
		"\"block_start\",\"index\":1,\"block\":\"text\"},{\"type\":"
		"\"block_start\",\"index\":2,\"block\":\"tool_use\",\"id\":"
		"\"t\"},{\"type\":\"message_stop\"}]",
		/* an error first */
		"[{\"type\":\"error\",\"status\":0},{\"type\":\"ping\"}]",
		/* nothing but pings */
		"[{\"type\":\"ping\"},{\"type\":\"ping\"}]",
	};
	struct c_sink *s;
	struct c_opts o;
	struct arena a;
	struct wcap c;
	json_object *ev, *got;
	size_t i;
	int sse, pings;

	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		ev = json_tokener_parse(seqs[i]);
		EXPECT(ev != NULL);
		for (sse = 0; sse <= 1; sse++) {
			memset(&o, 0, sizeof(o));
			o.gemini_sse = sse;
			arena_init(&a, 0);
			wcap_init(&c, -1);
			s = dialect_gemini.stream_encoder(&a, &c.w, &o);
			EXPECT(canon_replay_events(ev, s) == 0);
			got = split_writes("odd", &c, sse, i != 3, &pings);
			EXPECT(i != 3 || c.n == (sse ? 2u : 0u));
			json_object_put(got);
			wcap_free(&c);
			arena_free(&a);
		}
		json_object_put(ev);
	}
}
END_TEST

static int
refuse(struct c_sink *s, const struct c_event *e)
{
	(void)s;
	(void)e;
	return -1;
}

/* Decoder edge cases: empty streams, non-objects, a refusing sink. */
START_TEST(decoder_edges)
{
	struct c_recorder rec;
	struct c_sink no = { refuse };
	struct c_opts o;
	struct arena a;
	json_object *j;
	char err[256];
	void *st;

	memset(&o, 0, sizeof(o));
	arena_init(&a, 0);
	c_recorder_init(&rec);
	st = dialect_gemini.stream_decoder(&a, &rec.sink, &o);
	err[0] = '\0';
	EXPECT(dialect_gemini.stream_decode(st, NULL, NULL, err,
	    sizeof(err)) == 0);
	EXPECT(dialect_gemini.stream_end(st, err, sizeof(err)) == -1);
	EXPECT(strcmp(err, "gemini stream ended before any chunk") == 0);
	EXPECT(json_object_array_length(rec.events) == 0);

	st = dialect_gemini.stream_decoder(&a, &rec.sink, &o);
	j = json_object_new_string("x");
	EXPECT(dialect_gemini.stream_decode(st, NULL, j, err,
	    sizeof(err)) == -1);
	EXPECT(strcmp(err, "gemini chunk is not an object") == 0);
	json_object_put(j);

	j = json_tokener_parse("{\"candidates\":[{\"content\":{\"parts\":"
	    "[{\"text\":\"hi\"}]}}]}");
	st = dialect_gemini.stream_decoder(&a, &no, &o);
	EXPECT(dialect_gemini.stream_decode(st, "message", j, err,
	    sizeof(err)) == -1);
	EXPECT(dialect_gemini.decode_response(j, &o, &no, err,
	    sizeof(err)) == -1);
	EXPECT(dialect_gemini.decode_response(NULL, &o, &rec.sink, err,
	    sizeof(err)) == -1);
	json_object_put(j);
	/* a stream that already ended ignores what follows */
	j = json_tokener_parse("{\"candidates\":[{\"content\":{\"parts\":"
	    "[{\"text\":\"hi\"}]},\"finishReason\":\"STOP\"}]}");
	st = dialect_gemini.stream_decoder(&a, &rec.sink, &o);
	EXPECT(dialect_gemini.stream_decode(st, NULL, j, err,
	    sizeof(err)) == 0);
	EXPECT(dialect_gemini.stream_end(st, err, sizeof(err)) == 0);
	EXPECT(dialect_gemini.stream_decode(st, NULL, j, err,
	    sizeof(err)) == 0);
	EXPECT(dialect_gemini.stream_end(st, err, sizeof(err)) == 0);
	EXPECT(json_object_array_length(rec.events) == 6);
	json_object_put(j);
	c_recorder_free(&rec);
	arena_free(&a);
}
END_TEST

/* Model lists that are not lists. */
START_TEST(models_bad)
{
	struct c_model *m;
	struct arena a;
	json_object *j;
	size_t n;
	int i;

	arena_init(&a, 0);
	EXPECT(dialect_gemini.decode_models(NULL, &a, &m, &n) == -1);
	for (i = 0; i < NHOSTILE; i++) {
		j = json_object_new_object();
		json_object_object_add(j, "models", hostile_value(i));
		EXPECT(dialect_gemini.decode_models(j, &a, &m, &n) ==
		    (i == 3 ? 0 : -1));
		json_object_put(j);
	}
	j = json_tokener_parse("{\"models\":[1,{},{\"name\":5},{\"name\":"
	    "\"\"},{\"name\":\"x\",\"inputTokenLimit\":\"9\"}]}");
	EXPECT(dialect_gemini.decode_models(j, &a, &m, &n) == 0 && n == 1 &&
	    strcmp(m[0].id, "x") == 0 && m[0].input_limit == 0);
	json_object_put(j);
	arena_free(&a);
}
END_TEST

/*
 * Gemini upstream to Gemini client through the canonical events: every
 * backend fixture decoded straight into the stream encoder (both
 * framings) and into a c_response, and the output must be well formed.
 */
START_TEST(backend_to_client)
{
	struct c_response resp;
	struct c_sink *s;
	struct c_opts o;
	struct arena a;
	struct wcap c;
	struct buf b;
	json_object *f, *chunks, *got;
	char err[256];
	size_t i;
	int sse, pings, rc;

	f = fixture_load("backend", back_names[_i]);
	chunks = jget(f, "chunks");
	for (sse = 0; sse <= 1; sse++) {
		fixture_opts(f, &o);
		o.gemini_sse = sse;
		o.include_thoughts = 1;
		arena_init(&a, 0);
		wcap_init(&c, -1);
		s = dialect_gemini.stream_encoder(&a, &c.w, &o);
		if (chunks != NULL) {
			void *st = dialect_gemini.stream_decoder(&a, s, &o);

			rc = 0;
			for (i = 0; rc == 0 &&
			    i < json_object_array_length(chunks); i++)
				rc = dialect_gemini.stream_decode(st, NULL,
				    json_object_array_get_idx(chunks, i), err,
				    sizeof(err));
			if (rc == 0)
				rc = dialect_gemini.stream_end(st, err,
				    sizeof(err));
		} else
			rc = dialect_gemini.decode_response(jget(f, "body"), &o,
			    s, err, sizeof(err));
		got = split_writes(back_names[_i], &c, sse, rc == 0 &&
		    c.n > 0, &pings);
		json_object_put(got);
		wcap_free(&c);
		arena_free(&a);
	}
	if (chunks == NULL) {
		fixture_opts(f, &o);
		c_response_init(&resp, 0);
		if (dialect_gemini.decode_response(jget(f, "body"), &o,
		    &resp.sink, err, sizeof(err)) == 0) {
			buf_init(&b, 0);
			EXPECT(dialect_gemini.encode_response(&resp, &o,
			    &b) == 0);
			got = parse_exact(b.data, b.len);
			EXPECT_MSG(got != NULL, "%s: %s", back_names[_i],
			    b.data);
			json_object_put(got);
			buf_free(&b);
		}
		c_response_free(&resp);
	}
	json_object_put(f);
}
END_TEST

static Suite *
gemini_resp_suite(void)
{
	Suite *s;
	TCase *tc;

	nresp = fixture_list("response", &resp_names);
	nstream = fixture_list("stream", &stream_names);
	nback = fixture_list("backend", &back_names);
	nmodel = fixture_list("models", &model_names);
	nerr = fixture_list("errors", &err_names);
	s = suite_create("gemini_resp");
	tc = tcase_create("fixtures");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, response_fixture, 0, (int)nresp);
	tcase_add_loop_test(tc, stream_fixture, 0, (int)nstream);
	tcase_add_loop_test(tc, backend_fixture, 0, (int)nback);
	tcase_add_loop_test(tc, models_fixture, 0, (int)nmodel);
	tcase_add_loop_test(tc, errors_fixture, 0, (int)nerr);
	tcase_add_test(tc, error_raw_cut);
	suite_add_tcase(s, tc);
	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, stream_writer_fails, 0, (int)nstream);
	tcase_add_test(tc, stream_odd_orders);
	tcase_add_test(tc, decoder_edges);
	tcase_add_test(tc, models_bad);
	tcase_add_loop_test(tc, backend_hostile, 0, (int)nback);
	tcase_add_loop_test(tc, backend_to_client, 0, (int)nback);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(gemini_resp_suite)

/*
 * test_kiro_stream.c: unit tests of the Kiro answer decoder
 * (kiro_stream.c) together with the Claude encoders (claude_resp.c):
 * the captured fixtures of tests/fixtures/kiro decoded and encoded as a
 * Claude message and as a Claude SSE stream, compared with their
 * .expected.json by the matcher rules of the fixtures' README, each fed
 * whole, split in two at every byte and byte by byte; then hand-built
 * streams for tool calls, bracket-style calls, thinking extraction,
 * dedupe, exception and error frames, corrupt and truncated bodies,
 * usage and a sink that stops.
 */
#include "config.h"

#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"
#include "canonical.h"
#include "claude_int.h"
#include "dialect.h"
#include "eventstream.h"
#include "kiro.h"
#include "unit.h"

#include "fixmatch.h"

static const char *
ev_name(json_object *ev)
{
	json_object *v;

	if (!json_object_object_get_ex(ev, "event", &v))
		return "";
	return json_object_get_string(v);
}

static const char *
data_str(json_object *ev, const char *k1, const char *k2)
{
	json_object *d, *v;

	if (!json_object_object_get_ex(ev, "data", &d))
		return NULL;
	if (k2 != NULL) {
		if (!json_object_object_get_ex(d, k1, &d))
			return NULL;
		k1 = k2;
	}
	if (!json_object_object_get_ex(d, k1, &v))
		return NULL;
	return json_object_get_string(v);
}

static int
data_index(json_object *ev)
{
	json_object *d, *v;

	if (!json_object_object_get_ex(ev, "data", &d) ||
	    !json_object_object_get_ex(d, "index", &v))
		return -1;
	return json_object_get_int(v);
}

/*
 * The README's comparison form: pings dropped, consecutive deltas of one
 * block and type merged, event names checked against data.type.
 */
static json_object *
sse_normalize(json_object *arr)
{
	json_object *out = json_object_new_array(), *ev, *prev, *d, *pd;
	const char *key, *dt;
	struct buf t;
	size_t i;

	for (i = 0; i < json_object_array_length(arr); i++) {
		ev = json_object_array_get_idx(arr, i);
		EXPECT_STR(data_str(ev, "type", NULL), ev_name(ev));
		if (strcmp(ev_name(ev), "ping") == 0)
			continue;
		prev = json_object_array_length(out) > 0 ?
		    json_object_array_get_idx(out,
		    json_object_array_length(out) - 1) : NULL;
		if (prev != NULL &&
		    strcmp(ev_name(ev), "content_block_delta") == 0 &&
		    strcmp(ev_name(prev), "content_block_delta") == 0 &&
		    data_index(ev) == data_index(prev) &&
		    strcmp(data_str(ev, "delta", "type"),
		    data_str(prev, "delta", "type")) == 0) {
			dt = data_str(ev, "delta", "type");
			key = strcmp(dt, "text_delta") == 0 ? "text" :
			    strcmp(dt, "thinking_delta") == 0 ? "thinking" :
			    strcmp(dt, "signature_delta") == 0 ? "signature" :
			    "partial_json";
			buf_init(&t, 0);
			EXPECT(buf_addstr(&t, data_str(prev, "delta", key)) ==
			    0);
			EXPECT(buf_addstr(&t, data_str(ev, "delta", key)) == 0);
			json_object_object_get_ex(prev, "data", &pd);
			json_object_object_get_ex(pd, "delta", &d);
			json_object_object_add(d, key,
			    json_object_new_string_len(t.data, (int)t.len));
			buf_free(&t);
			continue;
		}
		json_object_array_add(out, json_object_get(ev));
	}
	return out;
}

/* ---- sinks -------------------------------------------------------------- */

/* Forward every event to two sinks. */
struct tee {
	struct c_sink	 sink;
	struct c_sink	*a, *b;
};

static int
tee_event(struct c_sink *s, const struct c_event *e)
{
	struct tee *t = (struct tee *)s;

	if (t->a->event(t->a, e) == -1)
		return -1;
	return t->b != NULL ? t->b->event(t->b, e) : 0;
}

/* A sink that refuses the n-th event (counted from 0). */
struct refuser {
	struct c_sink	 sink;
	int		 n;
	int		 seen;
	int		 after;		/* events offered after the refusal */
};

static int
refuse_event(struct c_sink *s, const struct c_event *e)
{
	struct refuser *r = (struct refuser *)s;

	(void)e;
	if (r->seen > r->n)
		r->after++;
	return r->seen++ == r->n ? -1 : 0;
}

/* ---- feeding ------------------------------------------------------------ */

enum feed_mode {
	FEED_WHOLE = 0,
	FEED_SPLIT,		/* two calls, at offset k */
	FEED_BYTES		/* one byte per call */
};

/* Feed then finish; the first -1 stops.  Returns the last result. */
static int
feed_body(struct kiro_stream *ks, const unsigned char *p, size_t len,
    enum feed_mode m, size_t k)
{
	size_t i;

	switch (m) {
	case FEED_WHOLE:
		if (kiro_stream_feed(ks, p, len) == -1)
			return -1;
		break;
	case FEED_SPLIT:
		if (kiro_stream_feed(ks, p, k) == -1 ||
		    kiro_stream_feed(ks, p + k, len - k) == -1)
			return -1;
		break;
	case FEED_BYTES:
		for (i = 0; i < len; i++)
			if (kiro_stream_feed(ks, p + i, 1) == -1)
				return -1;
		break;
	}
	return kiro_stream_finish(ks);
}

/* Recorded events with random tool ids replaced, as one string. */
static char *
events_norm(json_object *events)
{
	json_object *e, *v;
	const char *id;
	size_t i;

	for (i = 0; i < json_object_array_length(events); i++) {
		e = json_object_array_get_idx(events, i);
		if (json_object_object_get_ex(e, "id", &v)) {
			id = json_object_get_string(v);
			if (strncmp(id, "toolu_", 6) == 0 && strlen(id) == 30)
				json_object_object_add(e, "id",
				    json_object_new_string("toolu_*"));
		}
	}
	return strdup(json_object_to_json_string_ext(events,
	    JSON_C_TO_STRING_PLAIN));
}

/* ---- the fixtures ------------------------------------------------------- */

static const char *const fixtures[] = {
	"text-answer",
	"tool-call-fragments",
	"exception-midstream",
	"exception-first",
	"bracket-tool-call",
};

struct fx {
	unsigned char		*bin;
	size_t			 len;
	json_object		*exp;		/* owned */
	json_object		*req;		/* borrowed from exp */
	const char		*names[16];
	struct kiro_stream_opts	 ko;
	struct c_opts		 co;
	char			 msg_id[40];
	char			*ref;		/* events of the whole feed */
};

static void
fx_load(struct fx *f, const char *name)
{
	char path[512];
	json_object *tools, *t, *v, *th;
	FILE *fp;
	long n;
	size_t i;

	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), "%s/kiro/%s.bin", FIXTURES, name);
	fp = fopen(path, "rb");
	EXPECT_MSG(fp != NULL, "cannot open %s", path);
	EXPECT(fseek(fp, 0, SEEK_END) == 0);
	n = ftell(fp);
	EXPECT(n > 0);
	rewind(fp);
	f->bin = malloc((size_t)n);
	EXPECT(f->bin != NULL);
	EXPECT(fread(f->bin, 1, (size_t)n, fp) == (size_t)n);
	fclose(fp);
	f->len = (size_t)n;

	snprintf(path, sizeof(path), "%s/kiro/%s.expected.json", FIXTURES,
	    name);
	f->exp = json_object_from_file(path);
	EXPECT_MSG(f->exp != NULL, "cannot parse %s", path);
	EXPECT(json_object_object_get_ex(f->exp, "request", &f->req));

	c_make_id(f->msg_id, sizeof(f->msg_id), "msg_");
	f->ko.msg_id = f->msg_id;
	EXPECT(json_object_object_get_ex(f->req, "model", &v));
	f->ko.model = json_object_get_string(v);
	if (json_object_object_get_ex(f->req, "thinking", &th) &&
	    json_object_object_get_ex(th, "type", &v) &&
	    strcmp(json_object_get_string(v), "enabled") == 0)
		f->ko.thinking = 1;
	f->ko.bracket_tool_calls = 1;
	f->ko.dedupe = 0;
	if (json_object_object_get_ex(f->req, "tools", &tools)) {
		for (i = 0; i < json_object_array_length(tools) && i < 16;
		    i++) {
			t = json_object_array_get_idx(tools, i);
			EXPECT(json_object_object_get_ex(t, "name", &v));
			f->names[i] = json_object_get_string(v);
		}
		f->ko.tool_names = f->names;
		f->ko.ntool_names = i;
	}
	f->ko.input_estimate = 42;
	f->ko.context_window = 200000;
	f->co.client_model = f->ko.model;
}

static void
fx_free(struct fx *f)
{
	free(f->bin);
	free(f->ref);
	json_object_put(f->exp);
}

static json_object *
jpath(json_object *o, const char *k1, const char *k2)
{
	json_object *v = NULL;

	EXPECT_MSG(json_object_object_get_ex(o, k1, &v), "no %s", k1);
	if (k2 != NULL)
		EXPECT_MSG(json_object_object_get_ex(v, k2, &v), "no %s", k2);
	return v;
}

/* The same events in every feeding mode. */
static void
fx_same(struct fx *f, json_object *events)
{
	char *s = events_norm(events);

	if (f->ref == NULL)
		f->ref = s;
	else {
		EXPECT_MSG(strcmp(s, f->ref) == 0, "events differ:\n%s\n%s", s,
		    f->ref);
		free(s);
	}
}

static void
fx_nonstream(struct fx *f, enum feed_mode m, size_t k)
{
	struct c_response acc;
	struct c_recorder rec;
	struct tee tee;
	struct arena a;
	struct kiro_stream *ks;
	struct buf out;
	json_object *exp, *body, *eb;
	int rc, status;

	exp = jpath(f->exp, "non_stream", NULL);
	status = json_object_get_int(jpath(exp, "http_status", NULL));
	arena_init(&a, 0);
	c_response_init(&acc, 0);
	c_recorder_init(&rec);
	tee.sink.event = tee_event;
	tee.a = &acc.sink;
	tee.b = &rec.sink;
	ks = kiro_stream_new(&a, &tee.sink, &f->ko);
	EXPECT(ks != NULL);
	rc = feed_body(ks, f->bin, f->len, m, k);
	if (status != 200) {
		EXPECT_INT(rc, ==, -1);
		EXPECT_INT(acc.error_status, ==, status);
		eb = json_object_new_object();
		body = json_object_new_object();
		json_object_object_add(eb, "type", json_object_new_string(
		    acc.error_type ? acc.error_type : "?"));
		json_object_object_add(eb, "message", json_object_new_string(
		    acc.error_message ? acc.error_message : ""));
		json_object_object_add(body, "type",
		    json_object_new_string("error"));
		json_object_object_add(body, "error", eb);
	} else {
		EXPECT_INT(rc, ==, 0);
		EXPECT_INT(acc.error_status, ==, 0);
		EXPECT(acc.finished);
		buf_init(&out, 0);
		EXPECT(claude_encode_response(&acc, &f->co, &out) == 0);
		body = json_tokener_parse(out.data);
		EXPECT_MSG(body != NULL, "bad JSON %s", out.data);
		buf_free(&out);
	}
	EXPECT_MATCH(jpath(exp, "body", NULL), body, "non-stream body");
	json_object_put(body);
	fx_same(f, rec.events);
	c_recorder_free(&rec);
	c_response_free(&acc);
	arena_free(&a);
}

static void
fx_stream(struct fx *f, enum feed_mode m, size_t k)
{
	struct c_recorder rec;
	struct tee tee;
	struct cap cap;
	struct arena a;
	struct kiro_stream *ks;
	struct c_sink *enc;
	json_object *exp, *events, *raw, *norm, *last, *e, *v;
	size_t n;
	int rc;

	exp = jpath(f->exp, "stream", NULL);
	arena_init(&a, 0);
	cap_init(&cap);
	c_recorder_init(&rec);
	enc = claude_stream_encoder(&a, &cap.w, &f->co);
	EXPECT(enc != NULL);
	tee.sink.event = tee_event;
	tee.a = &rec.sink;
	tee.b = enc;
	ks = kiro_stream_new(&a, &tee.sink, &f->ko);
	EXPECT(ks != NULL);
	rc = feed_body(ks, f->bin, f->len, m, k);
	if (json_object_object_get_ex(exp, "events", &events)) {
		EXPECT(!cap.bad);
		raw = sse_parse(cap.out.data, cap.out.len);
		norm = sse_normalize(raw);
		EXPECT_MATCH(events, norm, "stream events");
		n = json_object_array_length(events);
		last = json_object_array_get_idx(events, n - 1);
		EXPECT_INT(rc, ==, strcmp(ev_name(last), "error") == 0 ?
		    -1 : 0);
		EXPECT(kiro_stream_has_output(ks));
		json_object_put(norm);
		json_object_put(raw);
	} else {
		/* no output yet: the caller answers a plain HTTP error */
		EXPECT_INT(rc, ==, -1);
		EXPECT(!kiro_stream_has_output(ks));
		n = json_object_array_length(rec.events);
		EXPECT_INT(n, ==, 2);
		e = json_object_array_get_idx(rec.events, 0);
		EXPECT_STR(json_object_get_string(jpath(e, "type", NULL)),
		    "message_start");
		e = json_object_array_get_idx(rec.events, 1);
		EXPECT_STR(json_object_get_string(jpath(e, "type", NULL)),
		    "error");
		EXPECT_INT(json_object_get_int(jpath(e, "status", NULL)), ==,
		    json_object_get_int(jpath(exp, "http_status", NULL)));
		v = jpath(exp, "body", "error");
		EXPECT_MATCH(jpath(v, "type", NULL), jpath(e, "etype", NULL),
		    "error type");
		EXPECT_MATCH(jpath(v, "message", NULL),
		    jpath(e, "message", NULL), "error message");
	}
	fx_same(f, rec.events);
	c_recorder_free(&rec);
	buf_free(&cap.out);
	arena_free(&a);
}

static void
fx_all_modes(const char *name)
{
	struct fx f;
	size_t k;

	fx_load(&f, name);
	fx_nonstream(&f, FEED_WHOLE, 0);
	fx_stream(&f, FEED_WHOLE, 0);
	fx_nonstream(&f, FEED_BYTES, 0);
	fx_stream(&f, FEED_BYTES, 0);
	for (k = 1; k < f.len; k++) {
		fx_nonstream(&f, FEED_SPLIT, k);
		fx_stream(&f, FEED_SPLIT, k);
	}
	fx_free(&f);
}

START_TEST(test_fixture)
{
	fx_all_modes(fixtures[_i]);
}
END_TEST

/* ---- hand-built streams ------------------------------------------------- */

static void
frame(struct buf *b, const char *mt, const char *hname, const char *hval,
    const char *payload)
{
	const char *names[3] = { ":message-type", ":content-type", hname };
	const char *values[3] = { mt, "application/json", hval };

	EXPECT(es_encode(b, names, values, hname ? 3 : 2, payload,
	    payload ? strlen(payload) : 0) == 0);
}

static void
ev(struct buf *b, const char *etype, const char *payload)
{
	frame(b, "event", ":event-type", etype, payload);
}

static void
txt(struct buf *b, const char *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "content", json_object_new_string(s));
	ev(b, "assistantResponseEvent", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void
tool(struct buf *b, const char *payload)
{
	ev(b, "toolUseEvent", payload);
}

static void
ctx(struct buf *b, double pct)
{
	char p[64];

	snprintf(p, sizeof(p), "{\"contextUsagePercentage\":%g}", pct);
	ev(b, "contextUsageEvent", p);
}

static const char *const tnames[] = { "read_file", "get_weather", "f",
    "a_very_long_tool_name" };
static const struct kiro_alias taliases[] = {
	{ "short_alias", "a_very_long_tool_name" },
};

static void
opts_default(struct kiro_stream_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->msg_id = "msg_test";
	o->model = "claude-x";
	o->bracket_tool_calls = 1;
	o->tool_names = tnames;
	o->ntool_names = 4;
	o->aliases = taliases;
	o->naliases = 1;
	o->input_estimate = 100;
	o->context_window = 200000;
}

struct res {
	char		*desc;
	int		 rc;		/* of feed_body */
	int		 has_output;
	double		 credits;
	int64_t		 in, out;	/* final usage */
	int		 start_in;
};

static void
res_free(struct res *r)
{
	free(r->desc);
	memset(r, 0, sizeof(*r));
}

static const char *
jget_s(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

/* Append one " | "-separated token. */
static void
tok(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	if (b->len > 0)
		buf_addstr(b, " | ");
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

static int
jget_i(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return -1;
	return json_object_get_int(v);
}

/*
 * Events as one line: start | b0:text | d0:text:Hello | e0 | m:end_turn |
 * stop; deltas of one block and kind merged, toolu_ ids shown as
 * toolu_*.
 */
static char *
describe(json_object *events, struct res *r)
{
	struct buf b, acc;
	json_object *e, *u, *v;
	const char *t, *d = NULL, *s;
	size_t i, n = json_object_array_length(events);
	int di = -1;

	buf_init(&b, 0);
	buf_init(&acc, 0);
	for (i = 0; i <= n; i++) {
		e = i < n ? json_object_array_get_idx(events, i) : NULL;
		t = e != NULL ? jget_s(e, "type") : "";
		if (d != NULL && (strcmp(t, "block_delta") != 0 ||
		    jget_i(e, "index") != di ||
		    strcmp(jget_s(e, "delta"), d) != 0)) {
			tok(&b, "d%d:%s:%.*s", di, d, (int)acc.len,
			    acc.data ? acc.data : "");
			d = NULL;
			buf_reset(&acc);
		}
		if (e == NULL)
			break;
		if (strcmp(t, "message_start") == 0) {
			tok(&b, "start");
			if (json_object_object_get_ex(e, "usage", &u) &&
			    json_object_object_get_ex(u, "input", &v))
				r->start_in = json_object_get_int(v);
		} else if (strcmp(t, "block_start") == 0) {
			tok(&b, "b%d:%s", jget_i(e, "index"),
			    jget_s(e, "block"));
			s = jget_s(e, "id");
			if (s != NULL)
				buf_addf(&b, ":%s", strncmp(s, "toolu_", 6) ==
				    0 && strlen(s) == 30 ? "toolu_*" : s);
			s = jget_s(e, "name");
			if (s != NULL)
				buf_addf(&b, ":%s", s);
		} else if (strcmp(t, "block_delta") == 0) {
			if (d == NULL) {
				d = jget_s(e, "delta");
				di = jget_i(e, "index");
			}
			buf_addstr(&acc, jget_s(e, "text"));
		} else if (strcmp(t, "block_stop") == 0)
			tok(&b, "e%d", jget_i(e, "index"));
		else if (strcmp(t, "message_delta") == 0) {
			tok(&b, "m:%s", jget_s(e, "stop"));
			if (json_object_object_get_ex(e, "usage", &u)) {
				if (json_object_object_get_ex(u, "input", &v))
					r->in = json_object_get_int64(v);
				if (json_object_object_get_ex(u, "output", &v))
					r->out = json_object_get_int64(v);
			}
		} else if (strcmp(t, "message_stop") == 0)
			tok(&b, "stop");
		else if (strcmp(t, "error") == 0)
			tok(&b, "err:%d:%s:%s", jget_i(e, "status"),
			    jget_s(e, "etype"), jget_s(e, "message"));
		else
			tok(&b, "%s", t);
	}
	buf_free(&acc);
	return buf_steal(&b);
}

static void
run1(const struct kiro_stream_opts *o, const struct buf *body,
    enum feed_mode m, struct res *r)
{
	struct c_recorder rec;
	struct arena a;
	struct kiro_stream *ks;

	memset(r, 0, sizeof(*r));
	r->in = r->out = -1;
	arena_init(&a, 0);
	c_recorder_init(&rec);
	ks = kiro_stream_new(&a, &rec.sink, o);
	EXPECT(ks != NULL);
	r->rc = feed_body(ks, (const unsigned char *)body->data, body->len,
	    m, 0);
	r->has_output = kiro_stream_has_output(ks);
	r->credits = kiro_stream_credits(ks);
	r->desc = describe(rec.events, r);
	c_recorder_free(&rec);
	arena_free(&a);
}

/* Run whole and byte by byte: both must agree.  Result of the whole run. */
static void
run(const struct kiro_stream_opts *o, const struct buf *body, struct res *r)
{
	struct res r2;

	run1(o, body, FEED_WHOLE, r);
	run1(o, body, FEED_BYTES, &r2);
	EXPECT_STR(r2.desc, r->desc);
	EXPECT_INT(r2.rc, ==, r->rc);
	res_free(&r2);
}

/* Run and compare with the expected description and result. */
static void
check(const struct kiro_stream_opts *o, const struct buf *body,
    const char *want, int rc)
{
	struct res r;

	run(o, body, &r);
	EXPECT_STR(r.desc, want);
	EXPECT_INT(r.rc, ==, rc);
	res_free(&r);
}

START_TEST(test_several_tools)
{
	struct kiro_stream_opts o;
	struct buf b;

	opts_default(&o);
	buf_init(&b, 0);
	txt(&b, "Two calls.");
	tool(&b, "{\"name\":\"get_weather\",\"toolUseId\":\"tu_1\"}");
	tool(&b, "{\"name\":\"get_weather\",\"toolUseId\":\"tu_1\","
	    "\"input\":\"{\\\"city\\\":\"}");
	tool(&b, "{\"name\":\"get_weather\",\"toolUseId\":\"tu_1\","
	    "\"input\":\"\\\"Paris\\\"}\",\"stop\":true}");
	tool(&b, "{\"name\":\"read_file\",\"toolUseId\":\"tu_2\","
	    "\"input\":\"{\\\"path\\\":\\\"x\\\"}\"}");
	/* a new id closes the open call */
	tool(&b, "{\"name\":\"short_alias\",\"toolUseId\":\"tu_3\","
	    "\"stop\":true}");
	txt(&b, "Done.");
	check(&o, &b, "start | b0:text | d0:text:Two calls. | e0 | "
	    "b1:tool_use:tu_1:get_weather | d1:json:{\"city\":\"Paris\"} | "
	    "e1 | "
	    "b2:tool_use:tu_2:read_file | d2:json:{\"path\":\"x\"} | e2 | "
	    "b3:tool_use:tu_3:a_very_long_tool_name | e3 | b4:text | "
	    "d4:text:Done. | e4 | m:tool_use | stop", 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_tool_object_input)
{
	struct kiro_stream_opts o;
	struct buf b;

	opts_default(&o);
	buf_init(&b, 0);
	tool(&b, "{\"name\":\"f\",\"toolUseId\":\"t1\",\"input\":{\"a\":[1,"
	    "2],\"b\":\"c/d\"},\"stop\":true}");
	check(&o, &b, "start | b0:tool_use:t1:f | "
	    "d0:json:{\"a\":[1,2],\"b\":\"c/d\"} | e0 | m:tool_use | stop", 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_tool_continuation)
{
	struct kiro_stream_opts o;
	struct buf b;

	opts_default(&o);
	buf_init(&b, 0);
	/* bare stop with nothing open, fragment without id: ignored */
	tool(&b, "{\"stop\":true}");
	tool(&b, "{\"input\":\"zzz\"}");
	tool(&b, "{\"name\":\"f\",\"toolUseId\":\"t1\"}");
	tool(&b, "{\"input\":\"{\\\"a\\\"\"}");
	tool(&b, "{\"toolUseId\":\"t1\",\"input\":\":1}\"}");
	/* an unknown id without a name cannot start a call */
	tool(&b, "{\"toolUseId\":\"t9\",\"input\":\"nope\"}");
	tool(&b, "{\"stop\":true}");
	/* re-sent fragments and stops of a closed id */
	tool(&b, "{\"name\":\"f\",\"toolUseId\":\"t1\",\"input\":\"again\"}");
	tool(&b, "{\"name\":\"f\",\"toolUseId\":\"t1\",\"stop\":true}");
	tool(&b, "{\"stop\":true}");
	/* a call without an id gets a fresh one */
	tool(&b, "{\"name\":\"f\",\"input\":\"{}\",\"stop\":true}");
	check(&o, &b, "start | b0:tool_use:t1:f | d0:json:{\"a\":1} | e0 | "
	    "b1:tool_use:toolu_*:f | d1:json:{} | e1 | m:tool_use | stop", 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_text_closes_tool)
{
	struct kiro_stream_opts o;
	struct buf b;

	opts_default(&o);
	buf_init(&b, 0);
	tool(&b, "{\"name\":\"f\",\"toolUseId\":\"t1\",\"input\":\"{}\"}");
	txt(&b, "between");
	/* the call was closed by the text: its fragments are late now */
	tool(&b, "{\"name\":\"f\",\"toolUseId\":\"t1\",\"stop\":true}");
	check(&o, &b, "start | b0:tool_use:t1:f | d0:json:{} | e0 | "
	    "b1:text | d1:text:between | e1 | m:tool_use | stop", 0);
	buf_free(&b);
}
END_TEST

/* The bracket fixture's text split at every position, in two and three. */
START_TEST(test_bracket_split)
{
	static const char text[] = "Before [x] [Called read_file with "
	    "args: {\"path\": \"a]b[\", \"n\": [1, 2]}] after";
	static const char want[] = "start | b0:text | d0:text:Before [x]  | "
	    "e0 | b1:tool_use:toolu_*:read_file | "
	    "d1:json:{\"path\":\"a]b[\",\"n\":[1,2]} | e1 | b2:text | "
	    "d2:text: after | e2 | m:tool_use | stop";
	struct kiro_stream_opts o;
	struct buf b;
	char part[sizeof(text)];
	size_t i, j, n = sizeof(text) - 1;

	opts_default(&o);
	for (i = 1; i < n; i++) {
		buf_init(&b, 0);
		memcpy(part, text, i);
		part[i] = '\0';
		txt(&b, part);
		txt(&b, text + i);
		check(&o, &b, want, 0);
		buf_free(&b);
	}
	for (i = 1; i < n; i += 3)
		for (j = i + 1; j < n; j += 2) {
			buf_init(&b, 0);
			memcpy(part, text, i);
			part[i] = '\0';
			txt(&b, part);
			memcpy(part, text + i, j - i);
			part[j - i] = '\0';
			txt(&b, part);
			txt(&b, text + j);
			check(&o, &b, want, 0);
			buf_free(&b);
		}
	/* one character per frame */
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		part[0] = text[i];
		part[1] = '\0';
		txt(&b, part);
	}
	check(&o, &b, want, 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_bracket_stays_text)
{
	struct kiro_stream_opts o;
	struct buf b;

	opts_default(&o);
	/* a name the request did not define */
	buf_init(&b, 0);
	txt(&b, "See [Called rm_rf with args: {\"p\": 1}] ok");
	check(&o, &b, "start | b0:text | d0:text:See [Called rm_rf with args: "
	    "{\"p\": 1}] ok | e0 | m:end_turn | stop", 0);
	buf_free(&b);
	/* invalid JSON even after repair */
	buf_init(&b, 0);
	txt(&b, "[Called read_file with args: {\"path\": }]");
	check(&o, &b, "start | b0:text | d0:text:[Called read_file with args: "
	    "{\"path\": }] | e0 | m:end_turn | stop", 0);
	buf_free(&b);
	/* not an object */
	buf_init(&b, 0);
	txt(&b, "[Called read_file with args: [1]]");
	check(&o, &b, "start | b0:text | d0:text:[Called read_file with args: "
	    "[1]] | e0 | m:end_turn | stop", 0);
	buf_free(&b);
	/* unfinished at the end */
	buf_init(&b, 0);
	txt(&b, "[Called read_file with args: {\"path\": \"x\"");
	check(&o, &b, "start | b0:text | d0:text:[Called read_file with args: "
	    "{\"path\": \"x\" | e0 | m:end_turn | stop", 0);
	buf_free(&b);
	/* a prefix that stops matching, and one cut by the end */
	buf_init(&b, 0);
	txt(&b, "[Calle");
	txt(&b, "d] and [Cal");
	check(&o, &b, "start | b0:text | d0:text:[Called] and [Cal | e0 | "
	    "m:end_turn | stop", 0);
	buf_free(&b);
	/* without tools the stage is off; with bracket calls disabled too */
	buf_init(&b, 0);
	txt(&b, "[Called read_file with args: {}]");
	o.ntool_names = 0;
	check(&o, &b, "start | b0:text | d0:text:[Called read_file with args: "
	    "{}] | e0 | m:end_turn | stop", 0);
	opts_default(&o);
	o.bracket_tool_calls = 0;
	check(&o, &b, "start | b0:text | d0:text:[Called read_file with args: "
	    "{}] | e0 | m:end_turn | stop", 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_bracket_repair)
{
	struct kiro_stream_opts o;
	struct buf b;

	opts_default(&o);
	buf_init(&b, 0);
	txt(&b, "[Called read_file with args: {\"path\": \"a, b: c\", "
	    "limit: 20,}]");
	txt(&b, "[Called  short_alias\twith ARGS: {x_1: {y: [1, 2,], }, }]");
	check(&o, &b, "start | b0:tool_use:toolu_*:read_file | "
	    "d0:json:{\"path\":\"a, b: c\",\"limit\":20} | e0 | "
	    "b1:tool_use:toolu_*:a_very_long_tool_name | "
	    "d1:json:{\"x_1\":{\"y\":[1,2]}} | e1 | m:tool_use | stop", 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_bracket_hold_limit)
{
	struct kiro_stream_opts o;
	struct buf b;
	char *big;
	struct res r;

	opts_default(&o);
	big = malloc(70 * 1024);
	EXPECT(big != NULL);
	memset(big, 'x', 70 * 1024 - 1);
	big[70 * 1024 - 1] = '\0';
	buf_init(&b, 0);
	txt(&b, "[Called read_file with args: {\"p\": \"");
	txt(&b, big);
	txt(&b, "\"}]");
	run1(&o, &b, FEED_WHOLE, &r);
	/* released as text once the hold-back limit was passed */
	EXPECT(strstr(r.desc, "b0:text | d0:text:[Called read_file") != NULL);
	EXPECT(strstr(r.desc, "tool_use") == NULL);
	EXPECT(strstr(r.desc, "m:end_turn | stop") != NULL);
	res_free(&r);
	buf_free(&b);
	free(big);
}
END_TEST

START_TEST(test_thinking)
{
	static const char text[] = "\n <thinking>\nI think\n\"</thinking>\" "
	    "is a tag</thinking>\n\nThe answer: \"<thinking>\" stays.";
	static const char want[] = "start | b0:thinking | d0:thinking:I think"
	    "\n\"</thinking>\" is a tag | e0 | b1:text | d1:text:The answer: "
	    "\"<thinking>\" stays. | e1 | m:end_turn | stop";
	struct kiro_stream_opts o;
	struct buf b;
	char part[sizeof(text)];
	size_t i, n = sizeof(text) - 1;

	opts_default(&o);
	o.thinking = 1;
	for (i = 1; i < n; i++) {
		buf_init(&b, 0);
		memcpy(part, text, i);
		part[i] = '\0';
		txt(&b, part);
		txt(&b, text + i);
		check(&o, &b, want, 0);
		buf_free(&b);
	}
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		part[0] = text[i];
		part[1] = '\0';
		txt(&b, part);
	}
	check(&o, &b, want, 0);
	buf_free(&b);

	/* text before the tag is a block of its own */
	buf_init(&b, 0);
	txt(&b, "Hi <think");
	txt(&b, "ing>x</thinking>\r\n\r\nBye");
	check(&o, &b, "start | b0:text | d0:text:Hi  | e0 | b1:thinking | "
	    "d1:thinking:x | e1 | b2:text | d2:text:Bye | e2 | m:end_turn | "
	    "stop", 0);
	buf_free(&b);

	/* thinking only: a blank text block and max_tokens */
	buf_init(&b, 0);
	txt(&b, "<thinking>hmm");
	check(&o, &b, "start | b0:thinking | d0:thinking:hmm | e0 | b1:text | "
	    "d1:text:  | e1 | m:max_tokens | stop", 0);
	buf_free(&b);

	/* a tool call closes an unfinished thinking section */
	buf_init(&b, 0);
	txt(&b, "<thinking>plan</thin");
	tool(&b, "{\"name\":\"f\",\"toolUseId\":\"t1\",\"stop\":true}");
	txt(&b, "<thinking>later</thinking>");
	check(&o, &b, "start | b0:thinking | d0:thinking:plan</thin | e0 | "
	    "b1:tool_use:t1:f | e1 | b2:text | "
	    "d2:text:<thinking>later</thinking> | e2 | m:tool_use | stop", 0);
	buf_free(&b);

	/* thinking off: tags are text */
	o.thinking = 0;
	buf_init(&b, 0);
	txt(&b, "<thinking>x</thinking>");
	check(&o, &b, "start | b0:text | d0:text:<thinking>x</thinking> | "
	    "e0 | m:end_turn | stop", 0);
	buf_free(&b);
}
END_TEST

/* Multi-byte text held back around tags is released whole. */
START_TEST(test_thinking_utf8)
{
	static const char text[] = "你好<thinking>思考✓</thinking>\n\n"
	    "答案 é <";
	struct kiro_stream_opts o;
	struct buf b;
	char part[sizeof(text)];
	size_t i, n = sizeof(text) - 1;

	opts_default(&o);
	o.thinking = 1;
	for (i = 1; i < n; i++) {
		buf_init(&b, 0);
		memcpy(part, text, i);
		part[i] = '\0';
		/* frames carry whole characters */
		if (((unsigned char)text[i] & 0xc0) == 0x80) {
			buf_free(&b);
			continue;
		}
		txt(&b, part);
		txt(&b, text + i);
		check(&o, &b, "start | b0:text | d0:text:你好 | e0 | "
		    "b1:thinking | d1:thinking:思考✓ | e1 | b2:text | "
		    "d2:text:答案 é < | e2 | m:end_turn | stop", 0);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_dedupe)
{
	struct kiro_stream_opts o;
	struct buf b;

	opts_default(&o);
	buf_init(&b, 0);
	txt(&b, "a");
	txt(&b, "a");
	txt(&b, "\n");
	txt(&b, "\n");
	txt(&b, "a");
	check(&o, &b, "start | b0:text | d0:text:aa\n\na | e0 | m:end_turn | "
	    "stop", 0);
	o.dedupe = 1;
	check(&o, &b, "start | b0:text | d0:text:a\na | e0 | m:end_turn | "
	    "stop", 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_ignored_frames)
{
	struct kiro_stream_opts o;
	struct buf b;
	struct res r;

	opts_default(&o);
	buf_init(&b, 0);
	ev(&b, "meteringEvent", "{\"unit\":\"credit\",\"usage\":0.5}");
	ev(&b, "followupPromptEvent", "{\"content\":\"no\"}");
	ev(&b, "assistantResponseEvent", "{\"content\":\"no\","
	    "\"followupPrompt\":{}}");
	ev(&b, "assistantResponseEvent", "not json");
	ev(&b, "assistantResponseEvent", "[\"content\"]");
	ev(&b, "assistantResponseEvent", "{\"content\":7}");
	ev(&b, "assistantResponseEvent", "{\"content\":\"\"}");
	ev(&b, "assistantResponseEvent", NULL);
	ev(&b, "somethingNewEvent", "{\"content\":\"no\"}");
	frame(&b, "surprise", NULL, NULL, "{}");
	ev(&b, "toolUseEvent", "{\"name\":7,\"toolUseId\":[]}");
	ev(&b, "meteringEvent", "{\"usage\":0.25}");
	ev(&b, "contextUsageEvent", "{\"contextUsagePercentage\":\"x\"}");
	run(&o, &b, &r);
	EXPECT_STR(r.desc, "start | m:end_turn | stop");
	EXPECT(r.credits > 0.749 && r.credits < 0.751);
	EXPECT_INT(r.in, ==, 100);
	EXPECT_INT(r.out, ==, 0);
	res_free(&r);
	buf_free(&b);
}
END_TEST

START_TEST(test_usage)
{
	struct kiro_stream_opts o;
	struct buf b;
	struct res r;

	opts_default(&o);
	buf_init(&b, 0);
	txt(&b, "abcdefgh");		/* 2 */
	txt(&b, "你好é");		/* 2 + 1 */
	tool(&b, "{\"name\":\"f\",\"toolUseId\":\"t\",\"input\":\"{}\","
	    "\"stop\":true}");		/* 1 */
	ctx(&b, 1.5);			/* 3000 in total */
	run(&o, &b, &r);
	EXPECT_INT(r.start_in, ==, 100);
	EXPECT_INT(r.out, ==, 6);
	EXPECT_INT(r.in, ==, 3000 - 6);
	EXPECT(r.has_output);
	res_free(&r);

	/* another window; a percentage below the output gives 0 */
	o.context_window = 1000;
	buf_reset(&b);
	txt(&b, "0123456789abcdefghij");	/* 5 */
	ctx(&b, 0.2);
	run(&o, &b, &r);
	EXPECT_INT(r.out, ==, 5);
	EXPECT_INT(r.in, ==, 0);
	res_free(&r);

	/* no percentage: the estimate */
	buf_reset(&b);
	txt(&b, "x");
	run(&o, &b, &r);
	EXPECT_INT(r.in, ==, 100);
	EXPECT_INT(r.out, ==, 1);
	res_free(&r);
	buf_free(&b);
}
END_TEST

START_TEST(test_empty_body)
{
	struct kiro_stream_opts o;
	struct buf b;

	opts_default(&o);
	buf_init(&b, 0);
	check(&o, &b, "start | m:end_turn | stop", 0);
	buf_free(&b);
}
END_TEST

static const struct {
	const char	*type;
	const char	*payload;
	const char	*want;
} exceptions[] = {
	{ "ThrottlingException", "{\"message\":\"Rate exceeded.\"}",
	  "err:429:rate_limit_error:Rate exceeded." },
	{ "ValidationException", "{\"message\":\"Improperly formed request.\"}",
	  "err:400:invalid_request_error:Improperly formed request." },
	{ "ValidationException", "{\"message\":\"Input is too long.\","
	  "\"reason\":\"CONTENT_LENGTH_EXCEEDS_THRESHOLD\"}",
	  "err:400:invalid_request_error:prompt is too long: Input is too "
	  "long. (reason: CONTENT_LENGTH_EXCEEDS_THRESHOLD)" },
	{ "AccessDeniedException", "{\"Message\":\"no\"}",
	  "err:403:permission_error:no" },
	{ "ServiceQuotaExceededException", "{}",
	  "err:429:rate_limit_error:ServiceQuotaExceededException" },
	{ "ServiceUnavailableException", "{\"message\":\"busy\"}",
	  "err:529:overloaded_error:busy" },
	{ "InternalServerException", "garbage",
	  "err:500:api_error:InternalServerException" },
	{ NULL, "{\"message\":\"what\"}", "err:500:api_error:what" },
};

START_TEST(test_exception_frames)
{
	struct kiro_stream_opts o;
	struct buf b;
	struct res r;
	char want[512];
	size_t i;

	opts_default(&o);
	for (i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]); i++) {
		buf_init(&b, 0);
		txt(&b, "part");
		frame(&b, "exception", exceptions[i].type ? ":exception-type" :
		    NULL, exceptions[i].type, exceptions[i].payload);
		txt(&b, "never seen");
		snprintf(want, sizeof(want), "start | b0:text | d0:text:part | "
		    "%s", exceptions[i].want);
		check(&o, &b, want, -1);
		buf_free(&b);
	}

	/* first frame: nothing but the start before the error */
	buf_init(&b, 0);
	frame(&b, "exception", ":exception-type", "ThrottlingException",
	    "{\"message\":\"Rate exceeded.\"}");
	run(&o, &b, &r);
	EXPECT_STR(r.desc, "start | err:429:rate_limit_error:Rate exceeded.");
	EXPECT(!r.has_output);
	res_free(&r);
	buf_free(&b);
}
END_TEST

START_TEST(test_error_frames)
{
	struct kiro_stream_opts o;
	struct buf b;
	const char *names[3] = { ":message-type", ":error-code",
	    ":error-message" };
	const char *values[3] = { "error", "ThrottlingException", "slow down" };

	opts_default(&o);
	buf_init(&b, 0);
	EXPECT(es_encode(&b, names, values, 3, NULL, 0) == 0);
	check(&o, &b, "start | err:429:rate_limit_error:slow down", -1);
	buf_reset(&b);
	values[1] = "InternalFailure";
	EXPECT(es_encode(&b, names, values, 2, "{\"message\":\"m\"}", 15) ==
	    0);
	check(&o, &b, "start | err:500:api_error:m", -1);
	buf_reset(&b);
	txt(&b, "x");
	ev(&b, "invalidStateEvent", "{\"reason\":\"INVALID_STATE\","
	    "\"message\":\"bad state\"}");
	check(&o, &b, "start | b0:text | d0:text:x | err:500:api_error:"
	    "upstream invalid state: INVALID_STATE: bad state", -1);
	buf_free(&b);
}
END_TEST

/* After a stop nothing more is decoded or emitted. */
START_TEST(test_stopped_for_good)
{
	struct kiro_stream_opts o;
	struct c_recorder rec;
	struct arena a;
	struct kiro_stream *ks;
	struct buf b, more;
	size_t n;

	opts_default(&o);
	buf_init(&b, 0);
	buf_init(&more, 0);
	frame(&b, "exception", ":exception-type", "ThrottlingException", "{}");
	txt(&more, "x");
	arena_init(&a, 0);
	c_recorder_init(&rec);
	ks = kiro_stream_new(&a, &rec.sink, &o);
	EXPECT_INT(kiro_stream_feed(ks, b.data, b.len), ==, -1);
	n = json_object_array_length(rec.events);
	EXPECT_INT(kiro_stream_feed(ks, more.data, more.len), ==, -1);
	EXPECT_INT(kiro_stream_finish(ks), ==, -1);
	EXPECT_INT(json_object_array_length(rec.events), ==, n);
	c_recorder_free(&rec);
	arena_free(&a);
	buf_free(&b);
	buf_free(&more);
}
END_TEST

START_TEST(test_truncated)
{
	struct kiro_stream_opts o;
	struct buf b;
	struct res r;
	size_t full;

	opts_default(&o);
	buf_init(&b, 0);
	txt(&b, "Hello");
	full = b.len;
	txt(&b, "world");
	b.len--;
	run(&o, &b, &r);
	EXPECT_INT(r.rc, ==, -1);
	EXPECT(strncmp(r.desc, "start | b0:text | d0:text:Hello | "
	    "err:502:api_error:upstream sent a truncated event stream",
	    strlen("start | b0:text | d0:text:Hello | err:502:api_error:"
	    "upstream sent a truncated event stream")) == 0);
	res_free(&r);
	/* a prelude only */
	b.len = full + 5;
	run(&o, &b, &r);
	EXPECT_INT(r.rc, ==, -1);
	EXPECT(strstr(r.desc, "err:502:api_error:upstream sent a truncated") !=
	    NULL);
	res_free(&r);
	buf_free(&b);
}
END_TEST

START_TEST(test_corrupt)
{
	struct kiro_stream_opts o;
	struct buf b;
	struct res r;
	size_t first, i;
	const char *want = "start | b0:text | d0:text:Hello | "
	    "err:502:api_error:upstream sent a corrupt event stream: ";

	opts_default(&o);
	buf_init(&b, 0);
	txt(&b, "Hello");
	first = b.len;
	txt(&b, "world");
	txt(&b, "again");
	/* a flipped bit anywhere in the second frame */
	for (i = first; i < first + (b.len - first) / 2; i++) {
		b.data[i] ^= 0x10;
		run(&o, &b, &r);
		EXPECT_INT(r.rc, ==, -1);
		EXPECT_MSG(strncmp(r.desc, want, strlen(want)) == 0,
		    "byte %zu: %s", i, r.desc);
		res_free(&r);
		b.data[i] ^= 0x10;
	}
	buf_free(&b);
}
END_TEST

START_TEST(test_sink_abort)
{
	struct kiro_stream_opts o;
	struct refuser ref;
	struct arena a;
	struct kiro_stream *ks;
	struct buf b;
	int n, rc;

	opts_default(&o);
	buf_init(&b, 0);
	txt(&b, "Hello");
	tool(&b, "{\"name\":\"f\",\"toolUseId\":\"t\",\"input\":\"{}\","
	    "\"stop\":true}");
	txt(&b, "[Called f with args: {}]");
	/* start, b0, d0, e0, b1, d1, e1, b2, d2, e2, delta, stop */
	for (n = 0; n < 12; n++) {
		memset(&ref, 0, sizeof(ref));
		ref.sink.event = refuse_event;
		ref.n = n;
		arena_init(&a, 0);
		ks = kiro_stream_new(&a, &ref.sink, &o);
		rc = kiro_stream_feed(ks, b.data, b.len);
		if (rc == 0)
			rc = kiro_stream_finish(ks);
		EXPECT_INT(rc, ==, -1);
		EXPECT_INT(ref.seen, ==, n + 1);
		EXPECT_INT(kiro_stream_feed(ks, b.data, b.len), ==, -1);
		EXPECT_INT(kiro_stream_finish(ks), ==, -1);
		EXPECT_INT(ref.after, ==, 0);
		arena_free(&a);
	}
	buf_free(&b);
}
END_TEST

START_TEST(test_has_output)
{
	struct kiro_stream_opts o;
	struct c_recorder rec;
	struct arena a;
	struct kiro_stream *ks;
	struct buf b;

	opts_default(&o);
	o.thinking = 1;
	buf_init(&b, 0);
	ev(&b, "meteringEvent", "{\"usage\":1}");
	txt(&b, "\n<think");		/* held back: no output yet */
	arena_init(&a, 0);
	c_recorder_init(&rec);
	ks = kiro_stream_new(&a, &rec.sink, &o);
	EXPECT(!kiro_stream_has_output(ks));
	EXPECT_INT(kiro_stream_feed(ks, b.data, b.len), ==, 0);
	EXPECT(!kiro_stream_has_output(ks));
	EXPECT_INT(json_object_array_length(rec.events), ==, 1);
	buf_reset(&b);
	txt(&b, "ing>x");
	EXPECT_INT(kiro_stream_feed(ks, b.data, b.len), ==, 0);
	EXPECT(kiro_stream_has_output(ks));
	EXPECT_INT(kiro_stream_finish(ks), ==, 0);
	EXPECT(kiro_stream_credits(ks) == 1.0);
	c_recorder_free(&rec);
	arena_free(&a);
	buf_free(&b);
}
END_TEST

static Suite *
kiro_stream_suite(void)
{
	Suite *s = suite_create("kiro_stream");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_fixture, 0,
	    sizeof(fixtures) / sizeof(fixtures[0]));
	tcase_add_test(tc, test_several_tools);
	tcase_add_test(tc, test_tool_object_input);
	tcase_add_test(tc, test_tool_continuation);
	tcase_add_test(tc, test_text_closes_tool);
	tcase_add_test(tc, test_bracket_split);
	tcase_add_test(tc, test_bracket_stays_text);
	tcase_add_test(tc, test_bracket_repair);
	tcase_add_test(tc, test_bracket_hold_limit);
	tcase_add_test(tc, test_thinking);
	tcase_add_test(tc, test_thinking_utf8);
	tcase_add_test(tc, test_dedupe);
	tcase_add_test(tc, test_ignored_frames);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_empty_body);
	tcase_add_test(tc, test_exception_frames);
	tcase_add_test(tc, test_error_frames);
	tcase_add_test(tc, test_stopped_for_good);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_sink_abort);
	tcase_add_test(tc, test_has_output);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(kiro_stream_suite)

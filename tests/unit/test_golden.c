/*
 * test_golden.c: runs the spec's cross-dialect golden conversion cases
 * (one .json file each in tests/fixtures/conversion/golden, copied
 * unchanged from spec/fixtures/conversion; their format and matching
 * rules are in the README.md beside them) through the dialect table,
 * one TAP test point per case, named after the case.  A request case
 * goes through the client side's decode_request and the backend side's
 * encode_request; a response, stream, model list or error case through
 * the backend side's decoder and the client side's encoder, as the
 * daemon does (DESIGN decision 19).  The output is parsed back to JSON
 * and matched against the case: objects by subset, arrays by length
 * and order, numbers numerically, {{...}} placeholders with variables
 * scoped to the case, and the `absent' JSON pointers must not exist.
 * Claude ping events and SSE comments are dropped from streams before
 * matching.  Cases of the OpenAI Responses dialect, which does not
 * exist yet, are reported as TAP skips.  A failure names the JSON
 * pointer of the first difference with both values; the whole expected
 * and actual outputs go to stderr (the test's log).
 */
#include "config.h"

#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_pointer.h>

#include "arena.h"
#include "buf.h"
#include "canonical.h"
#include "dialect.h"
#include "unit.h"

#define GOLDEN_DIR		FIXTURES "/conversion/golden"
#define MAX_CASES		128
#define CLAUDE_DEFAULT_MAX_TOKENS	8192	/* conversion.md §3.7 */

/*
 * The case table, filled once by golden_suite() before any test runs.
 * Static storage only: Check keeps pointers to the test names, and
 * nothing here has to be freed.
 */
static char	case_file[MAX_CASES][256];
static char	case_tname[MAX_CASES][384];
static int	case_skip[MAX_CASES];
static TTest	case_tt[MAX_CASES];
static size_t	ncases;
static char	scan_error[512];

/* A failure message, built while the case's objects are still alive. */
struct fail {
	char	msg[4096];
	int	set;
};

static void
fail_set(struct fail *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail_set(struct fail *f, const char *fmt, ...)
{
	va_list ap;

	if (f->set)
		return;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	f->set = 1;
}

/* ---- small json-c helpers (all results borrowed) ------------------------- */

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Compact text of a value, "null" for JSON null; borrowed from v. */
static const char *
jtext(json_object *v)
{
	if (v == NULL)
		return "null";
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Exactly one JSON value in s[0..len); new reference, or NULL. */
static json_object *
parse_exact(const char *s, size_t len, int *ok)
{
	struct json_tokener *tok;
	json_object *o;
	size_t i;

	*ok = 0;
	if (s == NULL || len > INT32_MAX)
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		json_tokener_free(tok);
		return NULL;
	}
	for (i = json_tokener_get_parse_end(tok); i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\n')
			break;
	json_tokener_free(tok);
	if (i != len) {
		json_object_put(o);
		return NULL;
	}
	*ok = 1;
	return o;
}

static json_object *
read_case(const char *file)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, file);
	return json_object_from_file(path);
}

static int
dialect_parse(const char *s, enum dialect *d)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "openai") == 0)
		*d = DIALECT_OPENAI;
	else if (strcmp(s, "claude") == 0)
		*d = DIALECT_CLAUDE;
	else if (strcmp(s, "gemini") == 0)
		*d = DIALECT_GEMINI;
	else
		return -1;
	return 0;
}

/* ---- matching (README "Matching rules") ---------------------------------- */

struct match {
	json_object	*vars;		/* owned: variable bindings */
	char		 path[1024];	/* JSON pointer being compared */
	size_t		 plen;
	char		 where[1024];	/* first difference */
	char		 why[512];
	json_object	*exp_at;	/* borrowed: values at the difference */
	json_object	*act_at;
	int		 missing;	/* MISSING_* */
};

#define MISSING_NONE	0
#define MISSING_ACTUAL	1	/* a key or element the output lacks */
#define MISSING_EXPECTED 2	/* an element the case does not have */

static int
mismatch(struct match *m, json_object *e, json_object *a, int missing,
    const char *why)
{
	snprintf(m->where, sizeof(m->where), "%s", m->plen ? m->path : "/");
	snprintf(m->why, sizeof(m->why), "%s", why);
	m->exp_at = e;
	m->act_at = a;
	m->missing = missing;
	return 0;
}

static int
differ(struct match *m, json_object *e, json_object *a, const char *why)
{
	return mismatch(m, e, a, MISSING_NONE, why);
}

/* Push one reference token (RFC 6901 escaped) onto m->path. */
static size_t
path_push(struct match *m, const char *tok)
{
	size_t old = m->plen;
	const char *p;

	if (m->plen + 1 < sizeof(m->path))
		m->path[m->plen++] = '/';
	for (p = tok; *p != '\0' && m->plen + 2 < sizeof(m->path); p++) {
		if (*p == '~' || *p == '/') {
			m->path[m->plen++] = '~';
			m->path[m->plen++] = *p == '~' ? '0' : '1';
		} else
			m->path[m->plen++] = *p;
	}
	m->path[m->plen] = '\0';
	return old;
}

static void
path_pop(struct match *m, size_t old)
{
	m->plen = old;
	m->path[old] = '\0';
}

static int
is_number(json_object *v)
{
	return v != NULL && (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double));
}

static int
num_equal(json_object *a, json_object *b)
{
	if (json_object_is_type(a, json_type_int) &&
	    json_object_is_type(b, json_type_int))
		return json_object_get_int64(a) == json_object_get_int64(b);
	return json_object_get_double(a) == json_object_get_double(b);
}

/* Deep equality, numbers numerically, objects with the same key set. */
static int
json_same(json_object *a, json_object *b)
{
	size_t i, n;

	if (a == NULL || b == NULL)
		return a == b;
	if (is_number(a) && is_number(b))
		return num_equal(a, b);
	if (json_object_get_type(a) != json_object_get_type(b))
		return 0;
	switch (json_object_get_type(a)) {
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!json_same(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	case json_type_object: {
		json_object *bv;

		if (json_object_object_length(a) !=
		    json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, k, av) {
			if (!json_object_object_get_ex(b, k, &bv) ||
			    !json_same(av, bv))
				return 0;
		}
		return 1;
	}
	default:
		return 0;
	}
}

static int
id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Bind var to a (new reference kept in m->vars), or compare with it. */
static int
var_check(struct match *m, const char *var, json_object *e, json_object *a)
{
	json_object *bound;

	if (json_object_object_get_ex(m->vars, var, &bound)) {
		if (!json_same(bound, a)) {
			char why[512];

			snprintf(why, sizeof(why), "variable %s is bound to %s",
			    var, jtext(bound));
			return differ(m, e, a, why);
		}
		return 1;
	}
	json_object_object_add(m->vars, var, json_object_get(a));
	return 1;
}

/*
 * An expected string "{{...}}": 1 match, 0 mismatch, -1 not a
 * placeholder (compare as a plain string).
 */
static int
match_placeholder(struct match *m, json_object *e, json_object *a)
{
	const char *s = json_object_get_string(e), *in, *colon, *as;
	size_t len = (size_t)json_object_get_string_len(e), inlen, plen, i;
	json_object *want, *got;
	char buf[512];
	int ok, r;

	if (len < 4 || strncmp(s, "{{", 2) != 0 ||
	    strcmp(s + len - 2, "}}") != 0)
		return -1;
	in = s + 2;
	inlen = len - 4;
	if (inlen == 3 && strncmp(in, "ANY", 3) == 0)
		return 1;
	if (inlen == 3 && strncmp(in, "INT", 3) == 0)
		return a != NULL && json_object_is_type(a, json_type_int) ? 1 :
		    differ(m, e, a, "not an integer");
	if (inlen == 6 && strncmp(in, "STRING", 6) == 0)
		return a != NULL && json_object_is_type(a, json_type_string) ?
		    1 : differ(m, e, a, "not a string");
	if (inlen > 4 && strncmp(in, "VAR:", 4) == 0) {
		snprintf(buf, sizeof(buf), "%.*s", (int)(inlen - 4), in + 4);
		return var_check(m, buf, e, a);
	}
	if (inlen > 5 && strncmp(in, "JSON:", 5) == 0) {
		if (a == NULL || !json_object_is_type(a, json_type_string))
			return differ(m, e, a, "not a string of JSON");
		want = parse_exact(in + 5, inlen - 5, &ok);
		if (!ok)
			return differ(m, e, a,
			    "the case's {{JSON:...}} text is not JSON");
		got = parse_exact(json_object_get_string(a),
		    (size_t)json_object_get_string_len(a), &ok);
		r = ok && json_same(want, got);
		json_object_put(want);
		json_object_put(got);
		return r ? 1 : differ(m, e, a, ok ?
		    "the string's JSON differs" : "the string is not JSON");
	}
	if (inlen > 3 && strncmp(in, "ID:", 3) == 0) {
		colon = memchr(in + 3, ':', inlen - 3);
		plen = colon != NULL ? (size_t)(colon - in - 3) : inlen - 3;
		if (a == NULL || !json_object_is_type(a, json_type_string))
			return differ(m, e, a, "not a string id");
		as = json_object_get_string(a);
		if (strncmp(as, in + 3, plen) != 0 || strlen(as) <= plen)
			return differ(m, e, a,
			    "the id lacks the prefix or anything after it");
		for (i = plen; as[i] != '\0'; i++)
			if (!id_char(as[i]))
				return differ(m, e, a,
				    "the id has a character outside "
				    "[A-Za-z0-9_-]");
		if ((size_t)json_object_get_string_len(a) != i)
			return differ(m, e, a, "the id has a NUL byte");
		if (colon == NULL)
			return 1;
		snprintf(buf, sizeof(buf), "%.*s",
		    (int)(inlen - 3 - plen - 1), colon + 1);
		return var_check(m, buf, e, a);
	}
	return -1;
}

static int
match_value(struct match *m, json_object *e, json_object *a)
{
	json_object *av;
	size_t i, n, an, old;
	char idx[32], why[128];
	int r;

	if (e == NULL)
		return a == NULL ? 1 : differ(m, e, a, "expected null");
	switch (json_object_get_type(e)) {
	case json_type_object:
		if (a == NULL || !json_object_is_type(a, json_type_object))
			return differ(m, e, a, "expected an object");
		json_object_object_foreach(e, k, ev) {
			old = path_push(m, k);
			if (!json_object_object_get_ex(a, k, &av)) {
				mismatch(m, ev, NULL, MISSING_ACTUAL,
				    "missing key");
				path_pop(m, old);
				return 0;
			}
			r = match_value(m, ev, av);
			path_pop(m, old);
			if (!r)
				return 0;
		}
		return 1;
	case json_type_array:
		if (a == NULL || !json_object_is_type(a, json_type_array))
			return differ(m, e, a, "expected an array");
		/* elements first, so that the first difference is precise */
		n = json_object_array_length(e);
		an = json_object_array_length(a);
		for (i = 0; i < n && i < an; i++) {
			snprintf(idx, sizeof(idx), "%zu", i);
			old = path_push(m, idx);
			r = match_value(m, json_object_array_get_idx(e, i),
			    json_object_array_get_idx(a, i));
			path_pop(m, old);
			if (!r)
				return 0;
		}
		if (n == an)
			return 1;
		snprintf(idx, sizeof(idx), "%zu", i);
		old = path_push(m, idx);
		snprintf(why, sizeof(why), "array length %zu, expected %zu%s",
		    an, n, n > an ? ": element missing" :
		    ": unexpected element");
		if (n > an)
			mismatch(m, json_object_array_get_idx(e, i), NULL,
			    MISSING_ACTUAL, why);
		else
			mismatch(m, NULL, json_object_array_get_idx(a, i),
			    MISSING_EXPECTED, why);
		path_pop(m, old);
		return 0;
	case json_type_string:
		r = match_placeholder(m, e, a);
		if (r != -1)
			return r;
		return a != NULL && json_object_is_type(a, json_type_string) &&
		    json_same(e, a) ? 1 : differ(m, e, a,
		    "different string");
	case json_type_int:
	case json_type_double:
		return is_number(a) && num_equal(e, a) ? 1 :
		    differ(m, e, a, "different number");
	case json_type_boolean:
		return a != NULL && json_object_is_type(a, json_type_boolean) &&
		    json_object_get_boolean(a) == json_object_get_boolean(e) ?
		    1 : differ(m, e, a, "different boolean");
	default:
		return differ(m, e, a, "unknown type in the case");
	}
}

/* The whole case: expected against actual, then the absent pointers. */
static int
match_case(json_object *c, json_object *actual, struct fail *f)
{
	struct match m;
	json_object *absent, *p, *found;
	size_t i;
	int r;

	memset(&m, 0, sizeof(m));
	m.vars = json_object_new_object();
	r = match_value(&m, jget(c, "expected"), actual);
	if (!r)
		fail_set(f, "first difference at %s: %s; expected %.400s; "
		    "actual %.400s", m.where, m.why,
		    m.missing == MISSING_EXPECTED ? "(nothing)" :
		    jtext(m.exp_at), m.missing == MISSING_ACTUAL ?
		    "(missing)" : jtext(m.act_at));
	absent = jget(c, "absent");
	for (i = 0; r && absent != NULL &&
	    json_object_is_type(absent, json_type_array) &&
	    i < json_object_array_length(absent); i++) {
		p = json_object_array_get_idx(absent, i);
		if (p == NULL || !json_object_is_type(p, json_type_string))
			continue;
		if (json_pointer_get(actual, json_object_get_string(p),
		    &found) == 0) {
			fail_set(f, "first difference at %s: must be absent; "
			    "actual %.400s", json_object_get_string(p),
			    jtext(found));
			r = 0;
		}
	}
	json_object_put(m.vars);
	return r;
}

/* ---- running one case per kind ------------------------------------------- */

static void
case_opts(json_object *c, struct c_opts *o)
{
	json_object *opts = jget(c, "options");

	memset(o, 0, sizeof(*o));
	o->client_model = jstr(opts, "client_model");
	o->include_usage = json_object_get_boolean(jget(opts,
	    "include_usage"));
	o->include_thoughts = json_object_get_boolean(jget(opts,
	    "include_thoughts"));
	o->default_max_tokens = CLAUDE_DEFAULT_MAX_TOKENS;
}

/* An encoder's output as one JSON value; new reference or NULL. */
static json_object *
parse_output(struct buf *b, const char *what, struct fail *f)
{
	json_object *o;
	int ok;

	o = parse_exact(b->data, b->len, &ok);
	if (!ok)
		fail_set(f, "%s wrote no single JSON value: %.*s", what,
		    (int)(b->len > 2000 ? 2000 : b->len),
		    b->data ? b->data : "");
	return o;
}

static json_object *
run_request(json_object *c, const struct dialect_ops *from,
    enum dialect fromd, const struct dialect_ops *to, struct fail *f)
{
	struct c_request req;
	struct c_opts o;
	struct arena a;
	struct buf out;
	json_object *opts = jget(c, "options"), *actual = NULL, *v;
	const char *path_model = NULL;
	char err[1024];
	int stream = -1;

	if (fromd == DIALECT_GEMINI) {
		path_model = jstr(opts, "model");
		v = jget(opts, "stream");
		stream = v != NULL && json_object_get_boolean(v) ? 1 : 0;
	}
	arena_init(&a, 0);
	buf_init(&out, 0);
	memset(&req, 0, sizeof(req));
	err[0] = '\0';
	if (from->decode_request(jget(c, "input"), path_model, stream, &req,
	    &a, err, sizeof(err)) == -1) {
		fail_set(f, "%s decode_request failed: %s", from->name, err);
		goto done;
	}
	case_opts(c, &o);
	o.client_model = req.model;
	o.include_usage = req.include_usage;
	o.include_thoughts = req.include_thoughts;
	o.stream = req.stream;
	if (to->encode_request(&req, &o, &out) == -1) {
		fail_set(f, "%s encode_request failed", to->name);
		goto done;
	}
	actual = parse_output(&out, "encode_request", f);
done:
	buf_free(&out);
	arena_free(&a);
	return actual;
}

static json_object *
run_response(json_object *c, const struct dialect_ops *from,
    const struct dialect_ops *to, struct fail *f)
{
	struct c_response resp;
	struct c_opts o;
	struct buf out;
	json_object *actual = NULL;
	char err[1024];

	case_opts(c, &o);
	c_response_init(&resp, 0);
	buf_init(&out, 0);
	err[0] = '\0';
	if (from->decode_response(jget(c, "input"), &o, &resp.sink, err,
	    sizeof(err)) == -1) {
		fail_set(f, "%s decode_response failed: %s", from->name, err);
		goto done;
	}
	if (resp.error_status != 0) {
		fail_set(f, "%s decode_response gave an error event: %d %s",
		    from->name, resp.error_status, resp.error_message ?
		    resp.error_message : "");
		goto done;
	}
	if (to->encode_response(&resp, &o, &out) == -1) {
		fail_set(f, "%s encode_response failed", to->name);
		goto done;
	}
	actual = parse_output(&out, "encode_response", f);
done:
	buf_free(&out);
	c_response_free(&resp);
	return actual;
}

/* A writer that keeps everything the stream encoder writes. */
struct capture {
	struct c_writer	 w;
	struct buf	 out;
};

static int
capture_write(struct c_writer *w, const char *p, size_t n)
{
	struct capture *cw = (struct capture *)w;

	return buf_add(&cw->out, p, n);
}

/*
 * SSE text into [{"event","data"}] (Claude) or [{"data"}] (others),
 * "[DONE]" kept as a string, comment lines and Claude ping events
 * dropped; new reference or NULL.
 */
static json_object *
sse_parse(const char *s, size_t len, int named, struct fail *f)
{
	json_object *arr, *ev, *d;
	struct buf name, data;
	const char *end = s + len, *nl, *line;
	size_t llen;
	int have = 0, ok;

	arr = json_object_new_array();
	buf_init(&name, 0);
	buf_init(&data, 0);
	for (line = s; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL) {
			fail_set(f, "stream output ends inside a line: %.*s",
			    (int)(end - line > 500 ? 500 : end - line), line);
			goto bad;
		}
		llen = (size_t)(nl - line);
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen == 0) {
			if (!have)
				continue;
			have = 0;
			if (named && name.len == 4 &&
			    memcmp(name.data, "ping", 4) == 0) {
				buf_reset(&name);
				buf_reset(&data);
				continue;
			}
			ev = json_object_new_object();
			json_object_array_add(arr, ev);
			if (named)
				json_object_object_add(ev, "event",
				    json_object_new_string_len(name.data ?
				    name.data : "", (int)name.len));
			if (data.len == 6 &&
			    memcmp(data.data, "[DONE]", 6) == 0)
				d = json_object_new_string("[DONE]");
			else {
				d = parse_exact(data.data, data.len, &ok);
				if (!ok) {
					fail_set(f, "stream event data is not "
					    "JSON: %.*s", (int)(data.len > 500 ?
					    500 : data.len), data.data ?
					    data.data : "");
					goto bad;
				}
			}
			json_object_object_add(ev, "data", d);
			buf_reset(&name);
			buf_reset(&data);
			continue;
		}
		if (line[0] == ':')
			continue;	/* SSE comment */
		have = 1;
		if (llen >= 6 && strncmp(line, "event:", 6) == 0) {
			line += 6;
			llen -= 6;
			if (llen > 0 && line[0] == ' ') {
				line++;
				llen--;
			}
			buf_reset(&name);
			if (buf_add(&name, line, llen) == -1)
				goto bad;
		} else if (llen >= 5 && strncmp(line, "data:", 5) == 0) {
			line += 5;
			llen -= 5;
			if (llen > 0 && line[0] == ' ') {
				line++;
				llen--;
			}
			if ((data.len > 0 && buf_addc(&data, '\n') == -1) ||
			    buf_add(&data, line, llen) == -1)
				goto bad;
		} else {
			fail_set(f, "unexpected SSE line: %.*s",
			    (int)(llen > 500 ? 500 : llen), line);
			goto bad;
		}
	}
	if (have) {
		fail_set(f, "stream output ends inside an event");
		goto bad;
	}
	buf_free(&name);
	buf_free(&data);
	return arr;
bad:
	fail_set(f, "cannot parse the stream output");
	buf_free(&name);
	buf_free(&data);
	json_object_put(arr);
	return NULL;
}

static json_object *
run_stream(json_object *c, const struct dialect_ops *from,
    enum dialect fromd, const struct dialect_ops *to, enum dialect tod,
    struct fail *f, char *note, size_t notelen)
{
	struct capture cw;
	struct c_sink *sink;
	struct c_opts o;
	struct arena a;
	json_object *in = jget(c, "input"), *e, *data, *actual = NULL;
	const char *ev;
	void *st;
	char err[1024];
	size_t i, n;

	case_opts(c, &o);
	o.gemini_sse = tod == DIALECT_GEMINI;
	arena_init(&a, 0);
	memset(&cw, 0, sizeof(cw));
	cw.w.write = capture_write;
	buf_init(&cw.out, 0);
	if (in == NULL || !json_object_is_type(in, json_type_array)) {
		fail_set(f, "the case's input is not an array");
		goto done;
	}
	sink = to->stream_encoder(&a, &cw.w, &o);
	if (sink == NULL) {
		fail_set(f, "%s stream_encoder failed", to->name);
		goto done;
	}
	st = from->stream_decoder(&a, sink, &o);
	if (st == NULL) {
		fail_set(f, "%s stream_decoder failed", from->name);
		goto done;
	}
	n = json_object_array_length(in);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(in, i);
		data = e;
		ev = NULL;
		if (fromd == DIALECT_OPENAI && e != NULL &&
		    json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), "[DONE]") == 0)
			data = NULL;
		else if (fromd == DIALECT_CLAUDE)
			ev = jstr(e, "type");
		err[0] = '\0';
		if (from->stream_decode(st, ev, data, err, sizeof(err)) ==
		    -1) {
			/* as a provider would: stop reading the upstream */
			snprintf(note, notelen, "stream_decode refused input "
			    "event %zu: %s; ", i, err);
			break;
		}
	}
	err[0] = '\0';
	if (from->stream_end(st, err, sizeof(err)) == -1)
		snprintf(note + strlen(note), notelen - strlen(note),
		    "stream_end: %s", err);
	actual = sse_parse(cw.out.data ? cw.out.data : "", cw.out.len,
	    tod == DIALECT_CLAUDE, f);
done:
	buf_free(&cw.out);
	arena_free(&a);
	return actual;
}

static json_object *
run_models(json_object *c, const struct dialect_ops *from,
    const struct dialect_ops *to, struct fail *f)
{
	struct c_model *models = NULL;
	struct c_opts o;
	struct arena a;
	struct buf out;
	json_object *actual = NULL;
	size_t n = 0;

	case_opts(c, &o);
	arena_init(&a, 0);
	buf_init(&out, 0);
	if (from->decode_models(jget(c, "input"), &a, &models, &n) == -1) {
		fail_set(f, "%s decode_models failed", from->name);
		goto done;
	}
	if (to->encode_models(models, n, &o, &out) == -1) {
		fail_set(f, "%s encode_models failed", to->name);
		goto done;
	}
	actual = parse_output(&out, "encode_models", f);
done:
	buf_free(&out);
	arena_free(&a);
	return actual;
}

/*
 * The client's error for an upstream error: decode_error, then the
 * body dialect_error_body() gives for the status.  A Claude body also
 * carries the upstream's Claude type name when decode_error found one
 * (the only dialect whose shape has room for it).
 */
static json_object *
run_error(json_object *c, const struct dialect_ops *from,
    enum dialect tod, struct fail *f)
{
	struct c_error ce;
	struct buf out;
	json_object *in = jget(c, "input"), *body, *st, *cb, *actual = NULL;
	const char *raw = "";
	size_t rawlen = 0;

	st = jget(in, "status");
	if (st == NULL || !json_object_is_type(st, json_type_int)) {
		fail_set(f, "the case's input has no integer status");
		return NULL;
	}
	body = jget(in, "body");
	if (body != NULL && json_object_is_type(body, json_type_string)) {
		raw = json_object_get_string(body);
		rawlen = (size_t)json_object_get_string_len(body);
		body = NULL;
	} else if (body != NULL) {
		raw = jtext(body);
		rawlen = strlen(raw);
	}
	memset(&ce, 0, sizeof(ce));
	from->decode_error(json_object_get_int(st), body, raw, rawlen, &ce);
	buf_init(&out, 0);
	if (dialect_error_body(&out, tod, ce.status, ce.message) == -1) {
		fail_set(f, "dialect_error_body failed");
		goto done;
	}
	cb = parse_output(&out, "dialect_error_body", f);
	if (cb == NULL)
		goto done;
	if (tod == DIALECT_CLAUDE && ce.etype != NULL &&
	    jget(cb, "error") != NULL)
		json_object_object_add(jget(cb, "error"), "type",
		    json_object_new_string(ce.etype));
	actual = json_object_new_object();
	json_object_object_add(actual, "status", json_object_new_int(
	    ce.status));
	json_object_object_add(actual, "body", cb);
done:
	buf_free(&out);
	return actual;
}

/* ---- the test ------------------------------------------------------------ */

static void
golden_run(int i)
{
	const struct dialect_ops *from, *to;
	enum dialect fromd, tod;
	struct fail f;
	json_object *c, *actual = NULL;
	const char *kind;
	char note[1536];

	if (i < 0 || (size_t)i >= ncases)
		ck_abort_msg("no case %d", i);
	if (case_skip[i])
		return;
	memset(&f, 0, sizeof(f));
	note[0] = '\0';
	c = read_case(case_file[i]);
	if (c == NULL || !json_object_is_type(c, json_type_object)) {
		json_object_put(c);
		ck_abort_msg("%s: cannot read the case", case_file[i]);
	}
	kind = jstr(c, "kind");
	if (dialect_parse(jstr(c, "from_dialect"), &fromd) == -1 ||
	    dialect_parse(jstr(c, "to_dialect"), &tod) == -1 ||
	    kind == NULL) {
		fail_set(&f, "bad kind or dialects");
		goto out;
	}
	from = dialect_get(fromd);
	to = dialect_get(tod);
	if (strcmp(kind, "request") == 0)
		actual = run_request(c, from, fromd, to, &f);
	else if (strcmp(kind, "response") == 0)
		actual = run_response(c, from, to, &f);
	else if (strcmp(kind, "stream") == 0)
		actual = run_stream(c, from, fromd, to, tod, &f, note,
		    sizeof(note));
	else if (strcmp(kind, "model_list") == 0)
		actual = run_models(c, from, to, &f);
	else if (strcmp(kind, "error") == 0)
		actual = run_error(c, from, tod, &f);
	else
		fail_set(&f, "unknown kind %s", kind);
	if (actual != NULL && !f.set)
		(void)match_case(c, actual, &f);
out:
	if (f.set) {
		fprintf(stderr, "# %s: %s\n", case_tname[i], f.msg);
		if (note[0] != '\0')
			fprintf(stderr, "# %s: note: %s\n", case_tname[i],
			    note);
		fprintf(stderr, "# expected:\n%s\n# actual:\n%s\n",
		    json_object_to_json_string_ext(jget(c, "expected"),
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
		    actual != NULL ? json_object_to_json_string_ext(actual,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) :
		    "(none)");
	}
	json_object_put(actual);
	json_object_put(c);
	if (f.set)
		ck_abort_msg("%s%s%s", f.msg, note[0] ? " [" : "",
		    note[0] ? note : "");
}

/* ---- the case table ------------------------------------------------------ */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* Fill the case table from GOLDEN_DIR, sorted by file name. */
static void
scan_cases(void)
{
	DIR *dir;
	struct dirent *de;
	json_object *c;
	const char *name, *from, *to;
	size_t i, len;

	dir = opendir(GOLDEN_DIR);
	if (dir == NULL) {
		snprintf(scan_error, sizeof(scan_error), "%s: %s", GOLDEN_DIR,
		    strerror(errno));
		return;
	}
	for (;;) {
		de = readdir(dir);
		if (de == NULL)
			break;
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (ncases == MAX_CASES ||
		    len >= sizeof(case_file[0])) {
			snprintf(scan_error, sizeof(scan_error),
			    "too many cases or name too long: %s",
			    de->d_name);
			break;
		}
		snprintf(case_file[ncases++], sizeof(case_file[0]), "%s",
		    de->d_name);
	}
	closedir(dir);
	qsort(case_file, ncases, sizeof(case_file[0]), name_cmp);
	for (i = 0; i < ncases; i++) {
		c = read_case(case_file[i]);
		name = jstr(c, "name");
		from = jstr(c, "from_dialect");
		to = jstr(c, "to_dialect");
		case_skip[i] = (from != NULL &&
		    strcmp(from, "openaiResponses") == 0) ||
		    (to != NULL && strcmp(to, "openaiResponses") == 0);
		/* tap-driver.sh reads "# SKIP" anywhere in the line */
		snprintf(case_tname[i], sizeof(case_tname[0]), "%s%s",
		    name != NULL ? name : case_file[i], case_skip[i] ?
		    " # SKIP the openaiResponses dialect is not implemented"
		    : "");
		json_object_put(c);
		case_tt[i].name = case_tname[i];
		case_tt[i].fn = golden_run;
		case_tt[i].file = __FILE__;
		case_tt[i].line = __LINE__;
	}
}

static void
scan_failed_fn(int i)
{
	(void)i;
	ck_abort_msg("%s", scan_error[0] != '\0' ? scan_error :
	    "no golden case found");
}

static const TTest scan_failed_tt = {
	"golden_cases_found", scan_failed_fn, __FILE__, __LINE__
};

static Suite *
golden_suite(void)
{
	Suite *s;
	TCase *tc;
	size_t i;

	s = suite_create("golden");
	tc = tcase_create("golden");
	scan_cases();
	/* each case is its own test point, named after the case */
	for (i = 0; i < ncases; i++)
		_tcase_add_test(tc, &case_tt[i], 0, 0, (int)i, (int)i + 1);
	if (ncases == 0 || scan_error[0] != '\0')
		_tcase_add_test(tc, &scan_failed_tt, 0, 0, 0, 1);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(golden_suite)

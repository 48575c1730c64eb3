/*
 * mock_kiro.c: the mock's Kiro endpoints.  It owns the allocation-free
 * scan of a generateAssistantResponse body (only the members the mock
 * needs: the current user message's content, images and toolResults,
 * and the history's user contents), the MOCK: directives and their
 * scenarios, the event-stream answers (frames built with es_encode(),
 * one HTTP chunk per frame), the precomputed default and
 * MOCK:events:<N> answers, and getUsageLimits.  Scratch buffers are
 * process-wide and reused, so the fast path does not allocate once
 * they have grown.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "eventstream.h"
#include "util.h"
#include "mockup.h"

#define JS_MAX_DEPTH	256
#define MAX_FIELDS	10
#define MAX_FORMATS	16
#define FORMAT_LEN	16
#define EVCACHE		8
#define MAX_EVENTS_N	100000
#define MAX_SLOW_N	100000
#define MAX_MS		600000
#define ECHO_PIECE	(1024u * 1024)	/* content bytes per echo frame */
#define FIXTURE_MAX	(16u * 1024 * 1024)

/* What the mock needs from a request body. */
struct kreq {
	int		 valid;		/* the body is well-formed JSON */
	int		 has_content;
	struct buf	*content;	/* decoded current content */
	long		 tool_results;	/* entries of current toolResults */
	long		 nimages;
	char		 formats[MAX_FORMATS][FORMAT_LEN];
	int		 hist_tool;	/* a history user turn said MOCK:tool */
};

/* A MOCK: directive found in the content; borrowed from it. */
struct directive {
	const char	*text;		/* "MOCK:name:arg..." */
	size_t		 len;
	const char	*f[MAX_FIELDS];	/* f[0] = name, then the arguments */
	size_t		 fl[MAX_FIELDS];
	int		 nf;
};

struct jsc {
	const char	*p;
	const char	*end;
	int		 depth;
};

struct evcache {
	long		 n;
	struct buf	 body;
};

static const char	 STREAM_HEAD[] = "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/vnd.amazon.eventstream\r\n"
    "Transfer-Encoding: chunked\r\n"
    "x-amzn-RequestId: mock-request\r\n";
static const char	 METERING[] =
    "{\"unit\":\"credit\",\"unitPlural\":\"credits\",\"usage\":0.0123}";
static const char	 CONTEXT_USAGE[] = "{\"contextUsagePercentage\":1.5}";
static const char	 BAD_TOKEN[] =
    "{\"message\":\"The bearer token included in the request is invalid.\"}";

static struct buf	 content_buf;	/* decoded current content */
static struct buf	 tmp_buf;	/* decoded history content */
static struct buf	 frame_buf;	/* one encoded frame */
static struct buf	 json_buf;	/* one frame payload */
static struct buf	 default_body;	/* the default answer's chunks */
static struct evcache	 evcache[EVCACHE];
static int		 evcache_next;

/* --- JSON scanning ------------------------------------------------- */

static void
js_ws(struct jsc *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
js_hex4(const char *p, unsigned *out)
{
	unsigned v;
	int i;

	v = 0;
	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= (unsigned)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= (unsigned)(p[i] - 'a' + 10);
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= (unsigned)(p[i] - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int
utf8_put(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_add(b, u, n);
}

/*
 * A JSON string at s->p.  out != NULL: decode it there (appended).
 * raw/rawlen: the bytes between the quotes.  0 or -1.
 */
static int
js_string(struct jsc *s, struct buf *out, const char **raw, size_t *rawlen)
{
	const char *p, *run;
	unsigned cp, lo;

	if (s->p >= s->end || *s->p != '"')
		return -1;
	p = ++s->p;
	run = p;
	for (;;) {
		if (p >= s->end)
			return -1;
		if (*p == '"')
			break;
		if ((unsigned char)*p < 0x20)
			return -1;
		if (*p != '\\') {
			p++;
			continue;
		}
		if (out != NULL && p > run && buf_add(out, run,
		    (size_t)(p - run)) == -1)
			return -1;
		if (s->end - p < 2)
			return -1;
		p++;
		cp = 0;
		switch (*p) {
		case '"':
		case '\\':
		case '/':
			cp = (unsigned char)*p;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (s->end - p < 5 || js_hex4(p + 1, &cp) == -1)
				return -1;
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && s->end - p >= 7 &&
			    p[1] == '\\' && p[2] == 'u' &&
			    js_hex4(p + 3, &lo) == 0 && lo >= 0xdc00 &&
			    lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			break;
		default:
			return -1;
		}
		p++;
		run = p;
		if (out != NULL && utf8_put(out, cp) == -1)
			return -1;
	}
	if (out != NULL && p > run && buf_add(out, run, (size_t)(p - run)) ==
	    -1)
		return -1;
	if (raw != NULL) {
		*raw = s->p;
		*rawlen = (size_t)(p - s->p);
	}
	s->p = p + 1;
	return 0;
}

static int
js_digits(struct jsc *s)
{
	const char *start;

	start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start ? 0 : -1;
}

static int
js_number(struct jsc *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (js_digits(s) == -1)
		return -1;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (js_digits(s) == -1)
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (js_digits(s) == -1)
			return -1;
	}
	return 0;
}

static int
js_literal(struct jsc *s, const char *lit)
{
	size_t n;

	n = strlen(lit);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

typedef int (*js_member_fn)(struct jsc *, const char *, size_t, void *);
typedef int (*js_elem_fn)(struct jsc *, void *);

static int	js_skip(struct jsc *);

static int
skip_member(struct jsc *s, const char *k, size_t kl, void *arg)
{
	(void)k;
	(void)kl;
	(void)arg;
	return js_skip(s);
}

static int
skip_elem(struct jsc *s, void *arg)
{
	(void)arg;
	return js_skip(s);
}

/* An object at s->p: fn consumes each member's value. */
static int
js_object(struct jsc *s, js_member_fn fn, void *arg)
{
	const char *k;
	size_t kl;

	if (s->p >= s->end || *s->p != '{' || ++s->depth > JS_MAX_DEPTH)
		return -1;
	s->p++;
	js_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		js_ws(s);
		if (js_string(s, NULL, &k, &kl) == -1)
			return -1;
		js_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return -1;
		s->p++;
		js_ws(s);
		if (fn(s, k, kl, arg) == -1)
			return -1;
		js_ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p != '}')
			return -1;
		s->p++;
		break;
	}
	s->depth--;
	return 0;
}

static int
js_array(struct jsc *s, js_elem_fn fn, void *arg)
{
	if (s->p >= s->end || *s->p != '[' || ++s->depth > JS_MAX_DEPTH)
		return -1;
	s->p++;
	js_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		js_ws(s);
		if (fn(s, arg) == -1)
			return -1;
		js_ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p != ']')
			return -1;
		s->p++;
		break;
	}
	s->depth--;
	return 0;
}

static int
js_skip(struct jsc *s)
{
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{':
		return js_object(s, skip_member, NULL);
	case '[':
		return js_array(s, skip_elem, NULL);
	case '"':
		return js_string(s, NULL, NULL, NULL);
	case 't':
		return js_literal(s, "true");
	case 'f':
		return js_literal(s, "false");
	case 'n':
		return js_literal(s, "null");
	default:
		return js_number(s);
	}
}

static int
key_is(const char *k, size_t kl, const char *name)
{
	return kl == strlen(name) && memcmp(k, name, kl) == 0;
}

static int
js_is(const struct jsc *s, char ch)
{
	return s->p < s->end && *s->p == ch;
}

/* --- directives ---------------------------------------------------- */

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	    ch == '\v' || ch == '\f';
}

/* The first MOCK: directive in s[0..n); 1 if there is one. */
static int
find_directive(const char *s, size_t n, struct directive *d)
{
	const char *p, *end, *f;

	if (s == NULL || n < 5)
		return 0;
	p = memmem(s, n, "MOCK:", 5);
	if (p == NULL)
		return 0;
	end = p;
	while (end < s + n && !is_space(*end))
		end++;
	d->text = p;
	d->len = (size_t)(end - p);
	d->nf = 0;
	f = p + 5;
	for (;;) {
		p = f;
		while (p < end && *p != ':')
			p++;
		if (d->nf < MAX_FIELDS) {
			d->f[d->nf] = f;
			d->fl[d->nf] = (size_t)(p - f);
			d->nf++;
		} else
			d->fl[MAX_FIELDS - 1] = (size_t)(p - d->f[MAX_FIELDS -
			    1]);
		if (p >= end)
			break;
		f = p + 1;
	}
	return 1;
}

static int
field_is(const struct directive *d, int i, const char *v)
{
	return i < d->nf && d->fl[i] == strlen(v) &&
	    memcmp(d->f[i], v, d->fl[i]) == 0;
}

/* Argument i as a number in [min, max]; -1 if absent or bad. */
static int
field_num(const struct directive *d, int i, long min, long max, long *out)
{
	char tmp[24];
	long long v;

	if (i >= d->nf || d->fl[i] == 0 || d->fl[i] >= sizeof(tmp))
		return -1;
	memcpy(tmp, d->f[i], d->fl[i]);
	tmp[d->fl[i]] = '\0';
	if (parse_int(tmp, min, max, &v) != 0)
		return -1;
	*out = (long)v;
	return 0;
}

/* --- the request body ---------------------------------------------- */

static int
format_member(struct jsc *s, const char *k, size_t kl, void *arg)
{
	char *fmt = arg;
	const char *raw;
	size_t rl;

	if (!key_is(k, kl, "format") || !js_is(s, '"'))
		return js_skip(s);
	if (js_string(s, NULL, &raw, &rl) == -1)
		return -1;
	if (rl >= FORMAT_LEN)
		rl = FORMAT_LEN - 1;
	memcpy(fmt, raw, rl);
	fmt[rl] = '\0';
	return 0;
}

static int
image_elem(struct jsc *s, void *arg)
{
	struct kreq *kr = arg;
	char fmt[FORMAT_LEN];

	if (!js_is(s, '{'))
		return js_skip(s);
	strlcpy(fmt, "?", sizeof(fmt));
	if (js_object(s, format_member, fmt) == -1)
		return -1;
	if (kr->nimages < MAX_FORMATS)
		memcpy(kr->formats[kr->nimages], fmt, FORMAT_LEN);
	kr->nimages++;
	return 0;
}

static int
count_elem(struct jsc *s, void *arg)
{
	long *n = arg;

	(*n)++;
	return js_skip(s);
}

static int
context_member(struct jsc *s, const char *k, size_t kl, void *arg)
{
	struct kreq *kr = arg;

	if (key_is(k, kl, "toolResults") && js_is(s, '[')) {
		kr->tool_results = 0;
		return js_array(s, count_elem, &kr->tool_results);
	}
	return js_skip(s);
}

static int
current_member(struct jsc *s, const char *k, size_t kl, void *arg)
{
	struct kreq *kr = arg;

	if (key_is(k, kl, "content") && js_is(s, '"')) {
		buf_reset(kr->content);
		kr->has_content = 1;
		return js_string(s, kr->content, NULL, NULL);
	}
	if (key_is(k, kl, "images") && js_is(s, '[')) {
		kr->nimages = 0;
		return js_array(s, image_elem, kr);
	}
	if (key_is(k, kl, "userInputMessageContext") && js_is(s, '{'))
		return js_object(s, context_member, kr);
	return js_skip(s);
}

static int
history_user_member(struct jsc *s, const char *k, size_t kl, void *arg)
{
	struct kreq *kr = arg;
	struct directive d;
	struct jsc s2;
	const char *raw;
	size_t rl;

	if (!key_is(k, kl, "content") || !js_is(s, '"'))
		return js_skip(s);
	if (js_string(s, NULL, &raw, &rl) == -1)
		return -1;
	if (memmem(raw, rl, "MOCK:", 5) == NULL)
		return 0;
	/* Rare: decode it to read the directive. */
	buf_reset(&tmp_buf);
	s2.p = raw - 1;
	s2.end = raw + rl + 1;
	s2.depth = 0;
	if (js_string(&s2, &tmp_buf, NULL, NULL) == -1)
		return -1;
	if (find_directive(tmp_buf.data, tmp_buf.len, &d) &&
	    field_is(&d, 0, "tool"))
		kr->hist_tool = 1;
	return 0;
}

static int
history_entry_member(struct jsc *s, const char *k, size_t kl, void *arg)
{
	if (key_is(k, kl, "userInputMessage") && js_is(s, '{'))
		return js_object(s, history_user_member, arg);
	return js_skip(s);
}

static int
history_elem(struct jsc *s, void *arg)
{
	if (js_is(s, '{'))
		return js_object(s, history_entry_member, arg);
	return js_skip(s);
}

static int
current_message_member(struct jsc *s, const char *k, size_t kl, void *arg)
{
	if (key_is(k, kl, "userInputMessage") && js_is(s, '{'))
		return js_object(s, current_member, arg);
	return js_skip(s);
}

static int
state_member(struct jsc *s, const char *k, size_t kl, void *arg)
{
	if (key_is(k, kl, "currentMessage") && js_is(s, '{'))
		return js_object(s, current_message_member, arg);
	if (key_is(k, kl, "history") && js_is(s, '['))
		return js_array(s, history_elem, arg);
	return js_skip(s);
}

static int
top_member(struct jsc *s, const char *k, size_t kl, void *arg)
{
	if (key_is(k, kl, "conversationState") && js_is(s, '{'))
		return js_object(s, state_member, arg);
	return js_skip(s);
}

static void
scan_body(const char *body, size_t len, struct kreq *kr)
{
	struct jsc s;

	memset(kr, 0, sizeof(*kr));
	kr->content = &content_buf;
	buf_reset(&content_buf);
	s.p = body;
	s.end = body + len;
	s.depth = 0;
	js_ws(&s);
	if (js_is(&s, '{') && js_object(&s, top_member, kr) == 0) {
		js_ws(&s);
		kr->valid = s.p == s.end;
	}
}

/* --- event-stream answers ------------------------------------------ */

/* JSON string body (no quotes) of s[0..n) appended to b. */
static int
json_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const char *run;
	char esc[6];
	unsigned char ch;
	size_t i;

	run = s;
	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		if (s + i > run && buf_add(b, run, (size_t)(s + i - run)) ==
		    -1)
			return -1;
		run = s + i + 1;
		esc[0] = '\\';
		switch (ch) {
		case '"':
		case '\\':
			esc[1] = (char)ch;
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			if (buf_add(b, esc, 6) == -1)
				return -1;
			continue;
		}
		if (buf_add(b, esc, 2) == -1)
			return -1;
	}
	if (s + n > run && buf_add(b, run, (size_t)(s + n - run)) == -1)
		return -1;
	return 0;
}

/* One frame as one HTTP chunk. */
static int
chunk_frame(struct buf *o, const char *const *names,
    const char *const *vals, size_t n, const void *payload, size_t plen)
{
	buf_reset(&frame_buf);
	if (es_encode(&frame_buf, names, vals, n, payload, plen) == -1)
		return -1;
	if (buf_addf(o, "%zx\r\n", frame_buf.len) == -1 ||
	    buf_add(o, frame_buf.data, frame_buf.len) == -1 ||
	    buf_add(o, "\r\n", 2) == -1)
		return -1;
	return 0;
}

static int
event_frame(struct buf *o, const char *etype, const char *json, size_t len)
{
	const char *names[] = { ":event-type", ":content-type",
	    ":message-type" };
	const char *vals[] = { etype, "application/json", "event" };

	return chunk_frame(o, names, vals, 3, json, len);
}

static int
exception_frame(struct buf *o, const char *xtype, const char *json,
    size_t len)
{
	const char *names[] = { ":exception-type", ":content-type",
	    ":message-type" };
	const char *vals[] = { xtype, "application/json", "exception" };

	return chunk_frame(o, names, vals, 3, json, len);
}

static int
text_frame(struct buf *o, const char *text, size_t len)
{
	buf_reset(&json_buf);
	if (buf_addstr(&json_buf, "{\"content\":\"") == -1 ||
	    json_escape(&json_buf, text, len) == -1 ||
	    buf_addstr(&json_buf, "\"}") == -1)
		return -1;
	return event_frame(o, "assistantResponseEvent", json_buf.data,
	    json_buf.len);
}

static int
text_frame_str(struct buf *o, const char *text)
{
	return text_frame(o, text, strlen(text));
}

/* meteringEvent, contextUsageEvent. */
static int
usage_frames(struct buf *o)
{
	if (event_frame(o, "meteringEvent", METERING,
	    sizeof(METERING) - 1) == -1 ||
	    event_frame(o, "contextUsageEvent", CONTEXT_USAGE,
	    sizeof(CONTEXT_USAGE) - 1) == -1)
		return -1;
	return 0;
}

static int
stream_head(struct buf *o, int keepalive)
{
	if (buf_add(o, STREAM_HEAD, sizeof(STREAM_HEAD) - 1) == -1)
		return -1;
	if (!keepalive && buf_addstr(o, "Connection: close\r\n") == -1)
		return -1;
	return buf_add(o, "\r\n", 2);
}

static int
stream_end(struct buf *o)
{
	return buf_add(o, "0\r\n\r\n", 5);
}

/* A whole answer: head, then the precomputed chunks of body. */
static void
stream_whole(struct buf *o, int keepalive, const struct buf *body)
{
	if (stream_head(o, keepalive) == -1)
		return;
	(void)buf_add(o, body->data, body->len);
}

static int
build_default(struct buf *b)
{
	if (text_frame_str(b, "Hello from ") == -1 ||
	    text_frame_str(b, "mock Kiro.") == -1 ||
	    usage_frames(b) == -1 || stream_end(b) == -1)
		return -1;
	return 0;
}

static int
build_events(struct buf *b, long n)
{
	char word[32];
	long i;
	int len;

	for (i = 1; i <= n; i++) {
		len = snprintf(word, sizeof(word), "w%ld ", i);
		if (text_frame(b, word, (size_t)len) == -1)
			return -1;
	}
	if (usage_frames(b) == -1 || stream_end(b) == -1)
		return -1;
	return 0;
}

static const struct buf *
events_body(long n)
{
	struct evcache *e;
	int i;

	for (i = 0; i < EVCACHE; i++) {
		if (evcache[i].n == n && evcache[i].body.len > 0)
			return &evcache[i].body;
	}
	e = &evcache[evcache_next];
	evcache_next = (evcache_next + 1) % EVCACHE;
	buf_free(&e->body);
	e->n = n;
	if (build_events(&e->body, n) == -1) {
		buf_free(&e->body);
		e->n = -1;
		return NULL;
	}
	return &e->body;
}

/* --- scenarios ----------------------------------------------------- */

static int
answer_error(struct conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
answer_error(struct conn *c, int status, const char *fmt, ...)
{
	char msg[512];
	struct buf b;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_init(&b, 0);
	if (buf_addstr(&b, "{\"message\":\"") == 0 &&
	    json_escape(&b, msg, strlen(msg)) == 0 &&
	    buf_addstr(&b, "\"}") == 0)
		resp_json(conn_out(c), conn_keepalive(c), status, b.data,
		    b.len);
	buf_free(&b);
	return status;
}

static int
bad_directive(struct conn *c, const struct directive *d)
{
	return answer_error(c, 400, "mock: bad directive %.*s",
	    (int)(d->len > 200 ? 200 : d->len), d->text);
}

static void
slow_fire(struct conn *c, struct job *j)
{
	struct buf *o;
	char text[32];
	int len;

	o = conn_out(c);
	j->i++;
	len = snprintf(text, sizeof(text), "chunk %ld ", j->i);
	(void)text_frame(o, text, (size_t)len);
	if (j->i >= j->n) {
		(void)usage_frames(o);
		(void)stream_end(o);
		conn_done(c);
		return;
	}
	conn_defer(c, j->ms, slow_fire);
}

static int
scenario_slow(struct conn *c, const struct directive *d)
{
	struct buf *o;
	struct job *j;
	long ms, n;

	if (field_num(d, 1, 0, MAX_MS, &ms) == -1 ||
	    field_num(d, 2, 0, MAX_SLOW_N, &n) == -1)
		return bad_directive(c, d);
	o = conn_out(c);
	(void)stream_head(o, conn_keepalive(c));
	if (n == 0) {
		(void)usage_frames(o);
		(void)stream_end(o);
		return 200;
	}
	(void)text_frame_str(o, "chunk 1 ");
	if (n == 1) {
		(void)usage_frames(o);
		(void)stream_end(o);
		return 200;
	}
	j = conn_job(c);
	j->i = 1;
	j->n = n;
	j->ms = ms;
	conn_defer(c, ms, slow_fire);
	return 200;
}

static int
scenario_status(struct conn *c, const struct directive *d, long code)
{
	char body[64];
	int n;

	if (code == 400 && field_is(d, 2, "toolong")) {
		resp_jsonstr(conn_out(c), conn_keepalive(c), 400,
		    "{\"message\":\"Input is too long.\","
		    "\"reason\":\"CONTENT_LENGTH_EXCEEDS_THRESHOLD\"}");
		return 400;
	}
	if (code == 403 && field_is(d, 0, "fail")) {
		resp_jsonstr(conn_out(c), conn_keepalive(c), 403, BAD_TOKEN);
		return 403;
	}
	n = snprintf(body, sizeof(body), "{\"message\":\"mock error %ld\"}",
	    code);
	resp_json(conn_out(c), conn_keepalive(c), (int)code, body, (size_t)n);
	return (int)code;
}

static int
scenario_fixture(struct conn *c, const struct directive *d)
{
	char path[4096], name[256], ch;
	struct buf *o;
	char *data;
	size_t len, i;

	if (d->nf < 2 || d->fl[1] == 0 || d->fl[1] >= sizeof(name))
		return bad_directive(c, d);
	for (i = 0; i < d->fl[1]; i++) {
		ch = d->f[1][i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    (ch == '.' && i > 0)))
			return bad_directive(c, d);
	}
	memcpy(name, d->f[1], d->fl[1]);
	name[d->fl[1]] = '\0';
	if (mopts.fixtures == NULL)
		return answer_error(c, 400, "mock: no fixtures directory");
	if ((size_t)snprintf(path, sizeof(path), "%s/kiro/%s.bin",
	    mopts.fixtures, name) >= sizeof(path))
		return answer_error(c, 400, "mock: fixture path too long");
	data = file_read_all(path, FIXTURE_MAX, &len);
	if (data == NULL)
		return answer_error(c, 400, "mock: cannot read fixture %s",
		    name);
	o = conn_out(c);
	if (stream_head(o, conn_keepalive(c)) == 0 && len > 0 &&
	    buf_addf(o, "%zx\r\n", len) == 0 && buf_add(o, data, len) == 0)
		(void)buf_add(o, "\r\n", 2);
	(void)stream_end(o);
	free(data);
	return 200;
}

static int
scenario_echo(struct conn *c, const struct kreq *kr)
{
	struct buf *o;
	size_t off, n;

	o = conn_out(c);
	(void)stream_head(o, conn_keepalive(c));
	off = 0;
	do {
		n = kr->content->len - off;
		if (n > ECHO_PIECE) {
			n = ECHO_PIECE;
			/* Do not split a UTF-8 sequence. */
			while (n > 1 && ((unsigned char)kr->content->data[off +
			    n] & 0xc0) == 0x80)
				n--;
		}
		if (text_frame(o, kr->content->data == NULL ? "" :
		    kr->content->data + off, n) == -1)
			break;
		off += n;
	} while (off < kr->content->len);
	(void)stream_end(o);
	return 200;
}

static int
scenario_tool(struct conn *c, const struct kreq *kr)
{
	static const char *const frags[] = {
		"{\\\"city\\\": \\\"Ber",
		"lin\\\", \\\"unit\\\": \\\"cel",
		"sius\\\"}"
	};
	struct buf *o;
	char id[64], json[256];
	size_t i;
	int n;

	o = conn_out(c);
	(void)stream_head(o, conn_keepalive(c));
	if (kr->tool_results > 0) {
		(void)text_frame_str(o, "The weather is fine.");
		(void)usage_frames(o);
		(void)stream_end(o);
		return 200;
	}
	(void)snprintf(id, sizeof(id), "tooluse_mock_%llu",
	    (unsigned long long)state_next_tool_id());
	(void)text_frame_str(o, "I'll look up the weather in Berlin.");
	n = snprintf(json, sizeof(json), "{\"name\":\"get_weather\","
	    "\"toolUseId\":\"%s\"}", id);
	(void)event_frame(o, "toolUseEvent", json, (size_t)n);
	for (i = 0; i < nitems(frags); i++) {
		n = snprintf(json, sizeof(json), "{\"name\":\"get_weather\","
		    "\"toolUseId\":\"%s\",\"input\":\"%s\"}", id, frags[i]);
		(void)event_frame(o, "toolUseEvent", json, (size_t)n);
	}
	n = snprintf(json, sizeof(json), "{\"name\":\"get_weather\","
	    "\"toolUseId\":\"%s\",\"stop\":true}", id);
	(void)event_frame(o, "toolUseEvent", json, (size_t)n);
	(void)usage_frames(o);
	(void)stream_end(o);
	return 200;
}

static int
scenario_exception(struct conn *c, const struct directive *d, int first)
{
	char xtype[256];
	struct buf *o, msg;
	size_t i;

	if (d->nf < 2 || d->fl[1] == 0 || d->fl[1] >= sizeof(xtype))
		return bad_directive(c, d);
	for (i = 0; i < d->fl[1]; i++) {
		if ((unsigned char)d->f[1][i] < 0x20 || d->f[1][i] == '"' ||
		    d->f[1][i] == '\\')
			return bad_directive(c, d);
	}
	memcpy(xtype, d->f[1], d->fl[1]);
	xtype[d->fl[1]] = '\0';
	buf_init(&msg, 0);
	if (buf_addf(&msg, "{\"message\":\"mock %s\"}", xtype) == -1)
		return answer_error(c, 500, "mock: out of memory");
	o = conn_out(c);
	(void)stream_head(o, conn_keepalive(c));
	if (!first)
		(void)text_frame_str(o, "Partial answer");
	(void)exception_frame(o, xtype, msg.data, msg.len);
	(void)stream_end(o);
	buf_free(&msg);
	return 200;
}

static int
scenario_image(struct conn *c, const struct kreq *kr)
{
	struct buf *o, text;
	long i;

	buf_init(&text, 0);
	(void)buf_addf(&text, "%ld image%s", kr->nimages,
	    kr->nimages == 1 ? "" : "s");
	for (i = 0; i < kr->nimages && i < MAX_FORMATS; i++)
		(void)buf_addf(&text, "%s%s", i == 0 ? ": " : ", ",
		    kr->formats[i]);
	o = conn_out(c);
	(void)stream_head(o, conn_keepalive(c));
	if (text.data != NULL)
		(void)text_frame(o, text.data, text.len);
	(void)stream_end(o);
	buf_free(&text);
	return 200;
}

static int
scenario_cut(struct conn *c)
{
	static const char *const names[] = { ":event-type", ":content-type",
	    ":message-type" };
	static const char *const vals[] = { "assistantResponseEvent",
	    "application/json", "event" };
	static const char payload[] = "{\"content\":\"this frame is cut\"}";
	struct buf *o;
	size_t half;

	o = conn_out(c);
	(void)stream_head(o, 1);
	(void)text_frame_str(o, "Hello ");
	(void)text_frame_str(o, "partial ");
	buf_reset(&frame_buf);
	if (es_encode(&frame_buf, names, vals, 3, payload,
	    sizeof(payload) - 1) == 0) {
		half = frame_buf.len / 2;
		(void)buf_addf(o, "%zx\r\n", half);
		(void)buf_add(o, frame_buf.data, half);
		(void)buf_add(o, "\r\n", 2);
	}
	conn_close_after(c);
	return 200;
}

static int
scenario_delay(struct conn *c, const struct directive *d)
{
	struct job *j;
	long ms;

	if (field_num(d, 1, 0, MAX_MS, &ms) == -1)
		return bad_directive(c, d);
	j = conn_job(c);
	buf_reset(&j->data);
	stream_whole(&j->data, conn_keepalive(c), &default_body);
	conn_send_later(c, ms);
	return 200;
}

static int
scenario_events(struct conn *c, const struct directive *d)
{
	const struct buf *body;
	long n;

	if (field_num(d, 1, 0, MAX_EVENTS_N, &n) == -1)
		return bad_directive(c, d);
	body = events_body(n);
	if (body == NULL)
		return answer_error(c, 500, "mock: out of memory");
	stream_whole(conn_out(c), conn_keepalive(c), body);
	return 200;
}

int
kiro_chat(struct conn *c, const struct mreq *r)
{
	struct directive d;
	struct kreq kr;
	long code, k;
	int have;

	state_count("chat");
	state_record(r);
	scan_body(r->body, r->blen, &kr);
	have = kr.has_content && find_directive(kr.content->data,
	    kr.content->len, &d);

	/* Forced statuses come before the token check. */
	if (have && field_is(&d, 0, "status")) {
		if (field_num(&d, 1, 200, 599, &code) == -1)
			return bad_directive(c, &d);
		return scenario_status(c, &d, code);
	}
	if (have && field_is(&d, 0, "fail")) {
		if (field_num(&d, 1, 400, 599, &code) == -1 ||
		    field_num(&d, 2, 0, 1000000000, &k) == -1)
			return bad_directive(c, &d);
		if (state_directive_hit(d.text, d.len) < k)
			return scenario_status(c, &d, code);
		have = 0;
	}
	if (!state_auth_ok(r)) {
		resp_jsonstr(conn_out(c), conn_keepalive(c), 403, BAD_TOKEN);
		return 403;
	}
	if (!kr.valid)
		return answer_error(c, 400, "Improperly formed request.");

	if (!have) {
		if (kr.tool_results > 0 && kr.hist_tool)
			return scenario_tool(c, &kr);
		stream_whole(conn_out(c), conn_keepalive(c), &default_body);
		return 200;
	}
	if (field_is(&d, 0, "echo") && d.nf == 1)
		return scenario_echo(c, &kr);
	if (field_is(&d, 0, "fixture"))
		return scenario_fixture(c, &d);
	if (field_is(&d, 0, "events"))
		return scenario_events(c, &d);
	if (field_is(&d, 0, "tool") && d.nf == 1)
		return scenario_tool(c, &kr);
	if (field_is(&d, 0, "slow"))
		return scenario_slow(c, &d);
	if (field_is(&d, 0, "cut") && d.nf == 1)
		return scenario_cut(c);
	if (field_is(&d, 0, "exception"))
		return scenario_exception(c, &d, 0);
	if (field_is(&d, 0, "exception-first"))
		return scenario_exception(c, &d, 1);
	if (field_is(&d, 0, "delay"))
		return scenario_delay(c, &d);
	if (field_is(&d, 0, "image") && d.nf == 1)
		return scenario_image(c, &kr);
	return bad_directive(c, &d);
}

/* --- getUsageLimits ------------------------------------------------ */

int
kiro_usage(struct conn *c, const struct mreq *r)
{
	struct buf b;
	struct tm tm;
	time_t now, next;
	int status;

	state_count("usage");
	state_record(r);
	if (!state_auth_ok(r)) {
		resp_jsonstr(conn_out(c), conn_keepalive(c), 403, BAD_TOKEN);
		return 403;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon++;
	next = timegm(&tm);
	buf_init(&b, 0);
	status = 200;
	if (buf_addf(&b, "{\"nextDateReset\":%lld,"
	    "\"subscriptionInfo\":{\"subscriptionTitle\":\"KIRO FREE\"},"
	    "\"userInfo\":{\"email\":\"mock@example.com\"},"
	    "\"usageBreakdownList\":[{\"resourceType\":\"AGENTIC_REQUEST\","
	    "\"displayName\":\"Agentic requests\",\"currentUsage\":12,"
	    "\"currentUsageWithPrecision\":12.5,\"usageLimit\":50,"
	    "\"usageLimitWithPrecision\":50.0,\"nextDateReset\":%lld,"
	    "\"bonuses\":[{\"bonusCode\":\"MOCKBONUS\",\"displayName\":"
	    "\"Mock bonus\",\"currentUsage\":0,\"usageLimit\":100,"
	    "\"currentUsageWithPrecision\":0.0,"
	    "\"usageLimitWithPrecision\":100.0,\"expiresAt\":%lld,"
	    "\"status\":\"ACTIVE\"}],\"freeTrialInfo\":{\"currentUsage\":0,"
	    "\"usageLimit\":500,\"currentUsageWithPrecision\":0.0,"
	    "\"usageLimitWithPrecision\":500.0,\"freeTrialExpiry\":%lld,"
	    "\"freeTrialStatus\":\"ACTIVE\"}}]}",
	    (long long)next, (long long)next, (long long)now + 30 * 86400,
	    (long long)now + 14 * 86400) == 0)
		resp_json(conn_out(c), conn_keepalive(c), 200, b.data, b.len);
	else {
		resp_jsonstr(conn_out(c), conn_keepalive(c), 500,
		    "{\"message\":\"mock: out of memory\"}");
		status = 500;
	}
	buf_free(&b);
	return status;
}

int
kiro_init(void)
{
	int i;

	buf_init(&content_buf, MOCK_MAX_BODY);
	buf_init(&tmp_buf, MOCK_MAX_BODY);
	buf_init(&frame_buf, ES_MAX_FRAME);
	buf_init(&json_buf, ES_MAX_FRAME);
	buf_init(&default_body, 0);
	for (i = 0; i < EVCACHE; i++) {
		evcache[i].n = -1;
		buf_init(&evcache[i].body, 0);
	}
	if (build_default(&default_body) == -1 || events_body(200) == NULL)
		return -1;
	return 0;
}

void
kiro_free(void)
{
	int i;

	buf_free(&content_buf);
	buf_free(&tmp_buf);
	buf_free(&frame_buf);
	buf_free(&json_buf);
	buf_free(&default_body);
	for (i = 0; i < EVCACHE; i++)
		buf_free(&evcache[i].body);
}

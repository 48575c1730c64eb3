/*
 * kiro_stream.c: the Kiro answer decoder (kiro.md section 6 and 7).  It
 * owns the path from the bytes of an HTTP 200 event-stream body to
 * canonical events: cutting the body into whole frames for es_feed()
 * (the partial frame between two write callbacks is kept in the arena,
 * so nothing here needs freeing), the JSON payloads of the Kiro event
 * types, tool-call assembly by toolUseId, the optional dedupe of
 * identical consecutive text fragments (DESIGN decision 18), thinking
 * extraction, bracket-style tool calls found in the text with their
 * hold-back, the block bookkeeping (indexes 0, 1, 2, never two blocks
 * open), the stop reason and the token estimates of the result, and the
 * mapping of exception and error frames to client errors (section 8.4).
 *
 * The text path is a pipeline: a fragment goes through the thinking
 * extractor (when thinking was requested), whose visible text goes
 * through the bracket-call detector (when enabled and the request had
 * tools), whose plain text becomes text deltas.  Each stage holds back
 * only what could still turn into a tag or a call, and releases text at
 * UTF-8 character boundaries only.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "compat.h"
#include "dialect.h"
#include "eventstream.h"
#include "kiro.h"
#include "log.h"
#include "util.h"

#define KS_PRELUDE	12		/* frame prelude: lengths and CRC */
#define KS_BRACKET_HOLD	(64 * 1024)	/* kiro.md 6.8 hold-back limit */
#define KS_WS_HOLD	1024		/* white space held before <thinking> */
#define KS_NAME_MAX	64		/* bracket-call tool name */
#define KS_MSG_MAX	1024		/* error message text we pass on */
#define KS_WINDOW_MAX	((int64_t)1 << 40)	/* sane context window */

static const char open_tag[] = "<thinking>";
static const char close_tag[] = "</thinking>";
#define OPEN_TAG_LEN	(sizeof(open_tag) - 1)
#define CLOSE_TAG_LEN	(sizeof(close_tag) - 1)

/* A growable byte buffer carved from the arena (old space is not reused). */
struct abuf {
	char		*d;
	size_t		 len;
	size_t		 cap;
};

struct ks_tool {
	const char	*id;		/* arena copy of the toolUseId */
	int		 closed;
};

enum ks_open {
	KS_NONE = 0,
	KS_TEXT,
	KS_THINK,
	KS_TOOL
};

enum ks_think {
	KT_SEARCH = 0,		/* looking for the opening tag */
	KT_OPEN_NL,		/* dropping one newline after it */
	KT_IN,			/* inside: looking for the closing tag */
	KT_CLOSE_NL,		/* dropping "\n\n" after the closing tag */
	KT_DONE			/* pass everything through */
};

struct kiro_stream {
	struct arena		*a;
	struct c_sink		*sink;
	struct kiro_stream_opts	 o;
	const char		*msg_id;

	struct es_decoder	 es;
	struct abuf		 pend;		/* an unfinished frame */
	uint32_t		 pend_total;	/* its length, once known */

	int			 started;
	int			 failed;	/* error sent or sink refused */
	int			 finished;
	int			 has_output;
	double			 credits;
	double			 ctx_pct;

	/* blocks */
	int			 next_index;
	enum ks_open		 open;
	int			 open_tool;	/* index into tools, or -1 */

	/* tool calls by toolUseId */
	struct ks_tool		*tools;
	size_t			 ntools;
	size_t			 tools_cap;
	struct c_est		 tool_est;	/* the open call's input */
	int			 tool_had_input;
	int64_t			 tool_tokens;	/* closed calls */
	int			 tool_seen;

	/* text and thinking output, for the stop reason and usage */
	struct c_est		 out_est;
	int			 visible;	/* non-blank text emitted */
	int			 thought;	/* thinking text emitted */

	/* dedupe */
	struct abuf		 last;
	int			 have_last;

	/* thinking extraction */
	enum ks_think		 tstate;
	struct abuf		 tb;
	unsigned char		 tprev;		/* byte before tb[0] */
	int			 released;	/* text let out, searching */

	/* bracket calls */
	int			 bracket;	/* stage active */
	struct abuf		 bb;
	int			 bmode;		/* 1: header matched */
	size_t			 bargs;		/* offset of the arguments */
	size_t			 bscan;		/* scan position */
	int			 bdepth;
	int			 bstr;
	int			 besc;
	char			 bname[KS_NAME_MAX + 1];
};

static int	ks_visible(struct kiro_stream *, const char *, size_t, int);

/* ---- small helpers ----------------------------------------------------- */

static int
abuf_add(struct arena *a, struct abuf *b, const void *p, size_t n)
{
	size_t ncap;
	char *nd;

	if (n == 0)
		return 0;
	if (b->len + n > b->cap) {
		ncap = b->cap ? b->cap * 2 : 256;
		while (ncap < b->len + n)
			ncap *= 2;
		nd = arena_alloc(a, ncap);
		if (nd == NULL)
			return -1;
		if (b->len > 0)
			memcpy(nd, b->d, b->len);
		b->d = nd;
		b->cap = ncap;
	}
	memcpy(b->d + b->len, p, n);
	b->len += n;
	return 0;
}

static void
abuf_consume(struct abuf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->d, b->d + n, b->len - n);
	b->len -= n;
}


static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static int
is_quote(unsigned char c)
{
	return c == '"' || c == '\'' || c == '`';
}

static int
all_ws(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_ws((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Cut at most max bytes of s, never inside a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
jnum(json_object *o, const char *key, double *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return -1;
	if (!json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_double(v);
	if (!isfinite(*out))
		return -1;
	return 0;
}

/* ---- errors and sink ---------------------------------------------------- */

/* The sink refused an event: stop for good. */
static int
ks_refused(struct kiro_stream *ks)
{
	ks->failed = 1;
	return -1;
}

/* Report a failure to the sink (once) and stop. */
static int
ks_error(struct kiro_stream *ks, int status, const char *etype,
    const char *msg)
{
	if (ks->failed)
		return -1;
	ks->failed = 1;
	(void)c_emit_error(ks->sink, status, etype, msg);
	return -1;
}

static int
ks_nomem(struct kiro_stream *ks)
{
	return ks_error(ks, 500, "api_error",
	    "out of memory decoding the upstream answer");
}

static int
ks_start(struct kiro_stream *ks)
{
	struct c_usage u;

	if (ks->started)
		return 0;
	ks->started = 1;
	c_usage_init(&u);
	u.input = ks->o.input_estimate > 0 ? ks->o.input_estimate : 0;
	u.output = 0;
	if (c_emit_start(ks->sink, ks->msg_id, ks->o.model, &u) == -1)
		return ks_refused(ks);
	return 0;
}

/* ---- blocks ------------------------------------------------------------- */

static int
ks_close(struct kiro_stream *ks)
{
	int idx = ks->next_index - 1;

	if (ks->open == KS_NONE)
		return 0;
	if (ks->open == KS_TOOL) {
		if (ks->open_tool >= 0)
			ks->tools[ks->open_tool].closed = 1;
		ks->tool_tokens += ks->tool_had_input ?
		    c_est_value(&ks->tool_est) : 1;	/* est("{}") */
		ks->open_tool = -1;
	}
	ks->open = KS_NONE;
	if (c_emit_block_stop(ks->sink, idx) == -1)
		return ks_refused(ks);
	return 0;
}

static int
ks_open(struct kiro_stream *ks, enum ks_open kind, const char *id,
    const char *name)
{
	static const enum c_block blk[] = { C_BLOCK_TEXT, C_BLOCK_TEXT,
	    C_BLOCK_THINKING, C_BLOCK_TOOL_USE };

	if (ks->open == kind && kind != KS_TOOL)
		return 0;
	if (ks_close(ks) == -1)
		return -1;
	ks->has_output = 1;
	ks->open = kind;
	if (kind == KS_TOOL) {
		memset(&ks->tool_est, 0, sizeof(ks->tool_est));
		ks->tool_had_input = 0;
		ks->tool_seen = 1;
	}
	if (c_emit_block_start(ks->sink, ks->next_index++, blk[kind], id,
	    name) == -1)
		return ks_refused(ks);
	return 0;
}

static int
ks_emit_text(struct kiro_stream *ks, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (ks_open(ks, KS_TEXT, NULL, NULL) == -1)
		return -1;
	c_est_add(&ks->out_est, s, n);
	if (!all_ws(s, n))
		ks->visible = 1;
	if (c_emit_delta(ks->sink, ks->next_index - 1, C_DELTA_TEXT, s,
	    n) == -1)
		return ks_refused(ks);
	return 0;
}

static int
ks_emit_thinking(struct kiro_stream *ks, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (ks_open(ks, KS_THINK, NULL, NULL) == -1)
		return -1;
	c_est_add(&ks->out_est, s, n);
	ks->thought = 1;
	if (c_emit_delta(ks->sink, ks->next_index - 1, C_DELTA_THINKING, s,
	    n) == -1)
		return ks_refused(ks);
	return 0;
}

/* Input JSON text of the open tool call. */
static int
ks_emit_input(struct kiro_stream *ks, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	c_est_add(&ks->tool_est, s, n);
	ks->tool_had_input = 1;
	if (c_emit_delta(ks->sink, ks->next_index - 1, C_DELTA_JSON, s,
	    n) == -1)
		return ks_refused(ks);
	return 0;
}

/* The client's name for a name the upstream saw (section 4.5 aliases). */
static const char *
ks_unalias(const struct kiro_stream *ks, const char *name)
{
	size_t i;

	for (i = 0; i < ks->o.naliases; i++)
		if (ks->o.aliases[i].alias != NULL &&
		    ks->o.aliases[i].name != NULL &&
		    strcmp(ks->o.aliases[i].alias, name) == 0)
			return ks->o.aliases[i].name;
	return name;
}

static int
ks_known_tool(const struct kiro_stream *ks, const char *name)
{
	size_t i;

	for (i = 0; i < ks->o.ntool_names; i++)
		if (ks->o.tool_names[i] != NULL &&
		    strcmp(ks->o.tool_names[i], name) == 0)
			return 1;
	return 0;
}

/* ---- bracket-style tool calls (kiro.md 6.8) ----------------------------- */

enum hdr_match {
	HDR_NO = 0,
	HDR_PARTIAL,
	HDR_FULL
};

/*
 * Does b (starting with '[') match "[Called<ws>NAME<ws>with<ws>args:"?
 * On HDR_FULL the name goes to name[] and *argsp is the offset behind
 * the colon.
 */
static enum hdr_match
hdr_match(const char *b, size_t len, char *name, size_t *argsp)
{
	static const char called[] = "Called";
	static const char with[] = "with";
	static const char args[] = "args:";
	size_t i = 1, k, n0;
	unsigned char c;

	for (k = 0; k < sizeof(called) - 1; k++, i++) {
		if (i >= len)
			return HDR_PARTIAL;
		if (b[i] != called[k])
			return HDR_NO;
	}
	/* white space, name, white space */
	if (i >= len)
		return HDR_PARTIAL;
	if (!is_ws((unsigned char)b[i]))
		return HDR_NO;
	while (i < len && is_ws((unsigned char)b[i]))
		i++;
	n0 = i;
	for (;;) {
		if (i >= len)
			return HDR_PARTIAL;
		c = (unsigned char)b[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-') {
			if (i - n0 >= KS_NAME_MAX)
				return HDR_NO;
			i++;
			continue;
		}
		break;
	}
	if (i == n0 || !is_ws((unsigned char)b[i]))
		return HDR_NO;
	memcpy(name, b + n0, i - n0);
	name[i - n0] = '\0';
	while (i < len && is_ws((unsigned char)b[i]))
		i++;
	for (k = 0; k < sizeof(with) - 1; k++, i++) {
		if (i >= len)
			return HDR_PARTIAL;
		if ((b[i] | 0x20) != with[k])
			return HDR_NO;
	}
	if (i >= len)
		return HDR_PARTIAL;
	if (!is_ws((unsigned char)b[i]))
		return HDR_NO;
	while (i < len && is_ws((unsigned char)b[i]))
		i++;
	for (k = 0; k < sizeof(args) - 1; k++, i++) {
		if (i >= len)
			return HDR_PARTIAL;
		if (args[k] == ':' ? b[i] != ':' : (b[i] | 0x20) != args[k])
			return HDR_NO;
	}
	*argsp = i;
	return HDR_FULL;
}

/* Strict JSON object of exactly s[0..len) (trailing white space allowed). */
static json_object *
parse_object(const char *s, size_t len)
{
	json_tokener *tok;
	json_object *o;
	size_t end;

	if (len == 0 || len > INT32_MAX)
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL)
		return NULL;
	if (!json_object_is_type(o, json_type_object) ||
	    !all_ws(s + end, len - end)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * The two safe repairs of kiro.md 6.8, outside strings only: drop a
 * comma that is followed (after white space) by '}' or ']', and quote a
 * bare key [A-Za-z0-9_]+ that follows '{' or ','.  Result in out.
 */
static int
json_repair(struct arena *a, const char *s, size_t len, struct abuf *out)
{
	size_t i, j, k;
	int str = 0, esc = 0;
	char last = 0;		/* last significant byte outside strings */
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				str = 0;
			if (abuf_add(a, out, s + i, 1) == -1)
				return -1;
			continue;
		}
		if (c == '"') {
			str = 1;
			last = '"';
			if (abuf_add(a, out, s + i, 1) == -1)
				return -1;
			continue;
		}
		if (c == ',') {
			for (j = i + 1; j < len && is_ws((unsigned char)s[j]);
			    j++)
				;
			if (j < len && (s[j] == '}' || s[j] == ']'))
				continue;	/* trailing comma */
		}
		if ((last == '{' || last == ',') &&
		    ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_')) {
			for (j = i; j < len && ((s[j] >= 'A' && s[j] <= 'Z') ||
			    (s[j] >= 'a' && s[j] <= 'z') ||
			    (s[j] >= '0' && s[j] <= '9') || s[j] == '_'); j++)
				;
			for (k = j; k < len && is_ws((unsigned char)s[k]); k++)
				;
			if (k < len && s[k] == ':') {
				if (abuf_add(a, out, "\"", 1) == -1 ||
				    abuf_add(a, out, s + i, j - i) == -1 ||
				    abuf_add(a, out, "\"", 1) == -1)
					return -1;
				last = '"';
				i = j - 1;
				continue;
			}
		}
		if (!is_ws(c))
			last = (char)c;
		if (abuf_add(a, out, s + i, 1) == -1)
			return -1;
	}
	return 0;
}

/* One bracket call: a whole tool_use block with one input delta. */
static int
ks_bracket_call(struct kiro_stream *ks, json_object *args)
{
	char id[40];
	const char *js;
	size_t jlen;

	c_make_id(id, sizeof(id), "toolu_");
	if (ks_open(ks, KS_TOOL, id, ks->bname) == -1)
		return -1;
	ks->open_tool = -1;
	js = json_object_to_json_string_length(args, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &jlen);
	if (js == NULL)
		return ks_nomem(ks);
	if (ks_emit_input(ks, js, jlen) == -1)
		return -1;
	return ks_close(ks);
}

/*
 * The call text bb[0..q] is complete: parse its arguments (strictly,
 * then repaired).  Returns 1 if it became a tool call, 0 if it stays
 * text, -1 on failure.
 */
static int
ks_bracket_try(struct kiro_stream *ks, size_t q)
{
	struct abuf fixed = { NULL, 0, 0 };
	json_object *o;
	const char *s = ks->bb.d + ks->bargs;
	size_t n = q - ks->bargs;
	int r;

	while (n > 0 && is_ws((unsigned char)*s))
		s++, n--;
	while (n > 0 && is_ws((unsigned char)s[n - 1]))
		n--;
	o = parse_object(s, n);
	if (o == NULL && n > 0) {
		if (json_repair(ks->a, s, n, &fixed) == -1)
			return ks_nomem(ks);
		o = parse_object(fixed.d, fixed.len);
	}
	if (o == NULL)
		return 0;
	r = ks_bracket_call(ks, o);
	json_object_put(o);
	return r == -1 ? -1 : 1;
}

/* Run the bracket detector over bb; final: no more text will come. */
static int
ks_bracket_run(struct kiro_stream *ks, int final)
{
	enum hdr_match m;
	const char *p, *name;
	size_t i, q, args;
	unsigned char c;
	int r;

	while (ks->bb.len > 0) {
		if (ks->bmode == 0) {
			p = memchr(ks->bb.d, '[', ks->bb.len);
			if (p == NULL) {
				r = ks_emit_text(ks, ks->bb.d, ks->bb.len);
				ks->bb.len = 0;
				return r;
			}
			if (p > ks->bb.d) {
				i = (size_t)(p - ks->bb.d);
				if (ks_emit_text(ks, ks->bb.d, i) == -1)
					return -1;
				abuf_consume(&ks->bb, i);
			}
			m = hdr_match(ks->bb.d, ks->bb.len, ks->bname, &args);
			if (m == HDR_PARTIAL && !final &&
			    ks->bb.len <= KS_BRACKET_HOLD)
				return 0;
			if (m == HDR_FULL) {
				name = ks_unalias(ks, ks->bname);
				if (ks_known_tool(ks, name)) {
					if (name != ks->bname)
						strlcpy(ks->bname, name,
						    sizeof(ks->bname));
					ks->bmode = 1;
					ks->bargs = ks->bscan = args;
					ks->bdepth = 1;
					ks->bstr = ks->besc = 0;
					continue;
				}
			}
			/* not a call: the '[' is text */
			if (ks_emit_text(ks, ks->bb.d, 1) == -1)
				return -1;
			abuf_consume(&ks->bb, 1);
			continue;
		}

		/* header matched: find the string-aware closing ']' */
		for (q = ks->bscan; q < ks->bb.len; q++) {
			c = (unsigned char)ks->bb.d[q];
			if (ks->bstr) {
				if (ks->besc)
					ks->besc = 0;
				else if (c == '\\')
					ks->besc = 1;
				else if (c == '"')
					ks->bstr = 0;
			} else if (c == '"')
				ks->bstr = 1;
			else if (c == '[')
				ks->bdepth++;
			else if (c == ']' && --ks->bdepth == 0)
				break;
		}
		if (q == ks->bb.len) {
			ks->bscan = q;
			if (!final && ks->bb.len <= KS_BRACKET_HOLD)
				return 0;
			/* unfinished or too long: plain text after all */
			ks->bmode = 0;
			if (ks_emit_text(ks, ks->bb.d, 1) == -1)
				return -1;
			abuf_consume(&ks->bb, 1);
			continue;
		}
		ks->bmode = 0;
		r = ks_bracket_try(ks, q);
		if (r == -1)
			return -1;
		if (r == 0 && ks_emit_text(ks, ks->bb.d, q + 1) == -1)
			return -1;
		abuf_consume(&ks->bb, q + 1);
	}
	return 0;
}

/* Visible text: through the bracket detector when it is active. */
static int
ks_visible(struct kiro_stream *ks, const char *s, size_t n, int final)
{
	if (!ks->bracket)
		return ks_emit_text(ks, s, n);
	if (abuf_add(ks->a, &ks->bb, s, n) == -1)
		return ks_nomem(ks);
	return ks_bracket_run(ks, final);
}

/* ---- thinking extraction (kiro.md 6.9) ---------------------------------- */

/* Length of the longest suffix of s[0..len) that is a proper prefix of tag. */
static size_t
tag_tail(const char *s, size_t len, const char *tag, size_t taglen)
{
	size_t k;

	for (k = taglen - 1; k > 0; k--)
		if (k <= len && memcmp(s + len - k, tag, k) == 0)
			return k;
	return 0;
}

/* Find the first real opening tag; *waitp: a candidate needs more bytes. */
static int
find_open(struct kiro_stream *ks, int final, size_t *posp, int *waitp)
{
	const char *b = ks->tb.d, *p;
	size_t len = ks->tb.len, from = 0, i;
	unsigned char before;

	*waitp = 0;
	while (from < len) {
		p = memmem(b + from, len - from, open_tag, OPEN_TAG_LEN);
		if (p == NULL)
			return 0;
		i = (size_t)(p - b);
		before = i > 0 ? (unsigned char)b[i - 1] : ks->tprev;
		from = i + 1;
		if (is_quote(before))
			continue;
		if (i + OPEN_TAG_LEN == len && !final) {
			*posp = i;
			*waitp = 1;
			return 0;
		}
		if (i + OPEN_TAG_LEN < len &&
		    is_quote((unsigned char)b[i + OPEN_TAG_LEN]))
			continue;
		*posp = i;
		return 1;
	}
	return 0;
}

/* Find the first real closing tag (followed by "\n\n" or only white space). */
static int
find_close(struct kiro_stream *ks, size_t *posp)
{
	const char *b = ks->tb.d, *p, *rest;
	size_t len = ks->tb.len, from = 0, i, rlen;
	unsigned char before;

	while (from < len) {
		p = memmem(b + from, len - from, close_tag, CLOSE_TAG_LEN);
		if (p == NULL)
			return 0;
		i = (size_t)(p - b);
		before = i > 0 ? (unsigned char)b[i - 1] : ks->tprev;
		from = i + 1;
		if (is_quote(before))
			continue;
		rest = b + i + CLOSE_TAG_LEN;
		rlen = len - i - CLOSE_TAG_LEN;
		if (rlen > 0 && is_quote((unsigned char)rest[0]))
			continue;
		if ((rlen >= 2 && memcmp(rest, "\n\n", 2) == 0) ||
		    (rlen >= 4 && memcmp(rest, "\r\n\r\n", 4) == 0) ||
		    all_ws(rest, rlen)) {
			*posp = i;
			return 1;
		}
	}
	return 0;
}

/* Does tb hold a proper prefix of "\n\n" or "\r\n\r\n"? */
static int
nl_prefix(const char *s, size_t len)
{
	if (len == 0)
		return 1;
	return (len < 2 && memcmp(s, "\n\n", len) == 0) ||
	    (len < 4 && memcmp(s, "\r\n\r\n", len) == 0);
}

static int
ks_think_run(struct kiro_stream *ks, int final)
{
	size_t pos, h;
	int wait, found;

	for (;;) {
		switch (ks->tstate) {
		case KT_SEARCH:
			found = find_open(ks, final, &pos, &wait);
			if (found) {
				if ((ks->released ||
				    !all_ws(ks->tb.d, pos)) &&
				    ks_visible(ks, ks->tb.d, pos, 0) == -1)
					return -1;
				abuf_consume(&ks->tb, pos + OPEN_TAG_LEN);
				ks->tprev = '>';
				ks->tstate = KT_OPEN_NL;
				continue;
			}
			if (final)
				h = ks->tb.len;
			else if (wait)
				h = pos;
			else
				h = ks->tb.len - tag_tail(ks->tb.d, ks->tb.len,
				    open_tag, OPEN_TAG_LEN);
			if (!final && !ks->released && all_ws(ks->tb.d, h) &&
			    ks->tb.len <= KS_WS_HOLD)
				return 0;	/* blank so far: hold it */
			if (h > 0) {
				if (ks_visible(ks, ks->tb.d, h, final) == -1)
					return -1;
				ks->released = 1;
				ks->tprev = (unsigned char)ks->tb.d[h - 1];
				abuf_consume(&ks->tb, h);
			}
			if (final) {
				ks->tstate = KT_DONE;
				continue;
			}
			return 0;
		case KT_OPEN_NL:
			if (ks->tb.len == 0 && !final)
				return 0;
			if (ks->tb.len == 1 && ks->tb.d[0] == '\r' && !final)
				return 0;
			if (ks->tb.len >= 1 && ks->tb.d[0] == '\n')
				abuf_consume(&ks->tb, 1);
			else if (ks->tb.len >= 2 &&
			    memcmp(ks->tb.d, "\r\n", 2) == 0)
				abuf_consume(&ks->tb, 2);
			ks->tstate = KT_IN;
			continue;
		case KT_IN:
			if (find_close(ks, &pos)) {
				if (ks_emit_thinking(ks, ks->tb.d, pos) == -1)
					return -1;
				abuf_consume(&ks->tb, pos + CLOSE_TAG_LEN);
				ks->tprev = '>';
				ks->tstate = KT_CLOSE_NL;
				continue;
			}
			if (final)
				h = ks->tb.len;
			else
				h = ks->tb.len - tag_tail(ks->tb.d, ks->tb.len,
				    close_tag, CLOSE_TAG_LEN);
			/* tag_tail starts at '<', so h is a boundary */
			if (h > 0) {
				if (ks_emit_thinking(ks, ks->tb.d, h) == -1)
					return -1;
				ks->tprev = (unsigned char)ks->tb.d[h - 1];
				abuf_consume(&ks->tb, h);
			}
			if (final) {
				ks->tstate = KT_DONE;
				continue;
			}
			return 0;
		case KT_CLOSE_NL:
			if (ks->tb.len >= 4 &&
			    memcmp(ks->tb.d, "\r\n\r\n", 4) == 0)
				abuf_consume(&ks->tb, 4);
			else if (ks->tb.len >= 2 &&
			    memcmp(ks->tb.d, "\n\n", 2) == 0)
				abuf_consume(&ks->tb, 2);
			else if (nl_prefix(ks->tb.d, ks->tb.len)) {
				if (!final)
					return 0;	/* wait and see */
				ks->tb.len = 0;
			}
			ks->tstate = KT_DONE;
			continue;
		case KT_DONE:
			if (ks->tb.len > 0) {
				if (ks_visible(ks, ks->tb.d, ks->tb.len,
				    final) == -1)
					return -1;
				ks->tb.len = 0;
			} else if (final && ks->bracket &&
			    ks_bracket_run(ks, 1) == -1)
				return -1;
			return 0;
		}
	}
}

/* A text fragment of the answer. */
static int
ks_text(struct kiro_stream *ks, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (ks->o.dedupe) {
		if (ks->have_last && ks->last.len == n &&
		    memcmp(ks->last.d, s, n) == 0)
			return 0;
		ks->last.len = 0;
		if (abuf_add(ks->a, &ks->last, s, n) == -1)
			return ks_nomem(ks);
		ks->have_last = 1;
	}
	if (ks->o.thinking && ks->tstate != KT_DONE) {
		if (abuf_add(ks->a, &ks->tb, s, n) == -1)
			return ks_nomem(ks);
		return ks_think_run(ks, 0);
	}
	return ks_visible(ks, s, n, 0);
}

/* Release everything held (a tool call starts, or the end). */
static int
ks_flush_text(struct kiro_stream *ks)
{
	if (ks->o.thinking && ks->tstate != KT_DONE &&
	    ks_think_run(ks, 1) == -1)
		return -1;
	ks->tstate = KT_DONE;
	if (ks->bracket && ks_bracket_run(ks, 1) == -1)
		return -1;
	return 0;
}

/* ---- structured tool calls (kiro.md 6.6) -------------------------------- */

static struct ks_tool *
ks_find_tool(struct kiro_stream *ks, const char *id)
{
	size_t i;

	for (i = 0; i < ks->ntools; i++)
		if (strcmp(ks->tools[i].id, id) == 0)
			return &ks->tools[i];
	return NULL;
}

static int
ks_new_tool(struct kiro_stream *ks, const char *id, const char *name)
{
	struct ks_tool *nt;
	size_t ncap;

	if (ks->ntools == ks->tools_cap) {
		ncap = ks->tools_cap ? ks->tools_cap * 2 : 8;
		nt = arena_alloc(ks->a, ncap * sizeof(*nt));
		if (nt == NULL)
			return ks_nomem(ks);
		if (ks->ntools > 0)
			memcpy(nt, ks->tools, ks->ntools * sizeof(*nt));
		ks->tools = nt;
		ks->tools_cap = ncap;
	}
	nt = &ks->tools[ks->ntools];
	nt->id = arena_strdup(ks->a, id);
	if (nt->id == NULL)
		return ks_nomem(ks);
	nt->closed = 0;
	if (ks_open(ks, KS_TOOL, nt->id, ks_unalias(ks, name)) == -1)
		return -1;
	ks->open_tool = (int)ks->ntools++;
	return 0;
}

static int
ks_tool_event(struct kiro_stream *ks, json_object *p)
{
	struct ks_tool *t = NULL;
	json_object *in, *stop;
	const char *tid, *name, *s;
	char gen[40];
	size_t n;

	tid = c_json_str(p, "toolUseId", &n);
	if (tid != NULL && n == 0)
		tid = NULL;
	name = c_json_str(p, "name", &n);
	if (name != NULL && n == 0)
		name = NULL;

	if (tid != NULL) {
		t = ks_find_tool(ks, tid);
		if (t != NULL && t->closed)
			return 0;	/* re-sent after its stop */
		if (t == NULL && name == NULL)
			return 0;	/* a call we cannot name */
	} else if (ks->open_tool >= 0)
		t = &ks->tools[ks->open_tool];
	else if (name == NULL)
		return 0;		/* nothing open to apply it to */

	if (t == NULL) {
		if (tid == NULL) {
			c_make_id(gen, sizeof(gen), "toolu_");
			tid = gen;
		}
		if (ks_flush_text(ks) == -1 || ks_new_tool(ks, tid, name) == -1)
			return -1;
	}

	if (json_object_object_get_ex(p, "input", &in) && in != NULL) {
		if (json_object_is_type(in, json_type_string)) {
			s = json_object_get_string(in);
			n = (size_t)json_object_get_string_len(in);
		} else if (json_object_is_type(in, json_type_object) ||
		    json_object_is_type(in, json_type_array)) {
			s = json_object_to_json_string_length(in,
			    JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE, &n);
		} else {
			s = NULL;
			n = 0;
		}
		if (s != NULL && ks_emit_input(ks, s, n) == -1)
			return -1;
	}
	if (json_object_object_get_ex(p, "stop", &stop) &&
	    json_object_is_type(stop, json_type_boolean) &&
	    json_object_get_boolean(stop))
		return ks_close(ks);
	return 0;
}

/* ---- frames ------------------------------------------------------------- */

/*
 * Exception names by substring (kiro.md 8.4).  An input-too-long
 * validation error says "prompt is too long" (DESIGN decision 22).
 */
static int
ks_upstream_error(struct kiro_stream *ks, const char *type,
    const char *msg, const char *reason)
{
	char buf[KS_MSG_MAX + 128];
	const char *etype = "api_error";
	size_t n;
	int status = 500;

	if (type == NULL)
		type = "";
	if (msg == NULL || *msg == '\0')
		msg = *type ? type : "upstream error";
	n = utf8_cut(msg, strlen(msg), KS_MSG_MAX);
	if (strstr(type, "Throttling") != NULL)
		status = 429, etype = "rate_limit_error";
	else if (strstr(type, "Validation") != NULL)
		status = 400, etype = "invalid_request_error";
	else if (strstr(type, "AccessDenied") != NULL)
		status = 403, etype = "permission_error";
	else if (strstr(type, "Quota") != NULL)
		status = 429, etype = "rate_limit_error";
	else if (strstr(type, "ServiceUnavailable") != NULL)
		status = 529, etype = "overloaded_error";
	if (status == 400 && (strstr(msg, "Input is too long") != NULL ||
	    (reason != NULL &&
	    strstr(reason, "CONTENT_LENGTH_EXCEEDS_THRESHOLD") != NULL)))
		(void)snprintf(buf, sizeof(buf), "prompt is too long: %.*s",
		    (int)n, msg);
	else
		(void)snprintf(buf, sizeof(buf), "%.*s", (int)n, msg);
	if (status == 400 && reason != NULL && *reason != '\0') {
		n = strlen(buf);
		(void)snprintf(buf + n, sizeof(buf) - n, " (reason: %.*s)",
		    (int)utf8_cut(reason, strlen(reason), 64), reason);
	}
	return ks_error(ks, status, etype, buf);
}

static json_object *
ks_payload(const struct es_frame *f)
{
	json_tokener *tok;
	json_object *o;

	if (f->payload_len == 0 || f->payload_len > INT32_MAX)
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, (const char *)f->payload,
	    (int)f->payload_len);
	json_tokener_free(tok);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static int
ks_event(struct kiro_stream *ks, const char *et, json_object *p)
{
	json_object *v;
	const char *s, *r;
	char buf[KS_MSG_MAX + 64];
	double d;
	size_t n;

	if (strcmp(et, "assistantResponseEvent") == 0) {
		if (json_object_object_get_ex(p, "followupPrompt", &v))
			return 0;
		s = c_json_str(p, "content", &n);
		return s != NULL ? ks_text(ks, s, n) : 0;
	}
	if (strcmp(et, "toolUseEvent") == 0)
		return ks_tool_event(ks, p);
	if (strcmp(et, "meteringEvent") == 0) {
		if (jnum(p, "usage", &d) == 0 && d >= 0)
			ks->credits += d;
		return 0;
	}
	if (strcmp(et, "contextUsageEvent") == 0) {
		if (jnum(p, "contextUsagePercentage", &d) == 0 && d >= 0)
			ks->ctx_pct = d > 100 ? 100 : d;
		return 0;
	}
	if (strcmp(et, "invalidStateEvent") == 0) {
		s = c_json_str(p, "message", NULL);
		r = c_json_str(p, "reason", NULL);
		(void)snprintf(buf, sizeof(buf), "upstream invalid state%s%.*s"
		    "%s%.*s", r ? ": " : "",
		    r ? (int)utf8_cut(r, strlen(r), 128) : 0, r ? r : "",
		    s ? ": " : "",
		    s ? (int)utf8_cut(s, strlen(s), KS_MSG_MAX) : 0,
		    s ? s : "");
		return ks_error(ks, 500, "api_error", buf);
	}
	log_debug("kiro: ignoring %s frame", et);
	return 0;
}

static int
hex4(const char *p, uint32_t *out)
{
	int i, h;

	*out = 0;
	for (i = 0; i < 4; i++) {
		h = hex_digit((unsigned char)p[i]);
		if (h < 0)
			return -1;
		*out = *out << 4 | (uint32_t)h;
	}
	return 0;
}

/*
 * The common frame, {"content":"..."} and nothing else, decoded without
 * json-c (whose parser sets up a locale on every call: the hot spot of a
 * long stream).  0 with the text in *out (pointing into the payload when
 * it has no escapes, else into the arena); -1 when the payload is
 * anything else, and json-c has to look at it.
 */
static int
fast_content(struct arena *a, const char *p, size_t n, const char **out,
    size_t *outlen)
{
	static const char pre[] = "{\"content\":\"";
	const char *s, *end = p + n;
	char *d, *dst;
	uint32_t cp, lo;

	if (n < sizeof(pre) || memcmp(p, pre, sizeof(pre) - 1) != 0)
		return -1;
	s = p + sizeof(pre) - 1;
	for (d = (char *)s; d < end && *d != '"' && *d != '\\'; d++)
		if ((unsigned char)*d < 0x20)
			return -1;
	if (d < end && *d == '"' && end - d == 2 && d[1] == '}') {
		*out = s;
		*outlen = (size_t)(d - s);
		return 0;
	}
	dst = arena_alloc(a, n);
	if (dst == NULL)
		return -1;
	d = dst;
	while (s < end && *s != '"') {
		if ((unsigned char)*s < 0x20)
			return -1;
		if (*s != '\\') {
			*d++ = *s++;
			continue;
		}
		if (++s >= end)
			return -1;
		switch (*s) {
		case '"': case '\\': case '/':
			*d++ = *s++;
			continue;
		case 'b': *d++ = '\b'; s++; continue;
		case 'f': *d++ = '\f'; s++; continue;
		case 'n': *d++ = '\n'; s++; continue;
		case 'r': *d++ = '\r'; s++; continue;
		case 't': *d++ = '\t'; s++; continue;
		case 'u':
			break;
		default:
			return -1;
		}
		if (end - s < 5 || hex4(s + 1, &cp) == -1)
			return -1;
		s += 5;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - s < 6 || s[0] != '\\' || s[1] != 'u' ||
			    hex4(s + 2, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
				return -1;
			s += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp <= 0xdfff)
			return -1;
		if (cp < 0x80)
			*d++ = (char)cp;
		else if (cp < 0x800) {
			*d++ = (char)(0xc0 | cp >> 6);
			*d++ = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			*d++ = (char)(0xe0 | cp >> 12);
			*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
			*d++ = (char)(0x80 | (cp & 0x3f));
		} else {
			*d++ = (char)(0xf0 | cp >> 18);
			*d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
			*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
			*d++ = (char)(0x80 | (cp & 0x3f));
		}
	}
	if (end - s != 2 || s[0] != '"' || s[1] != '}')
		return -1;
	*out = dst;
	*outlen = (size_t)(d - dst);
	return 0;
}

static int
ks_frame(void *arg, const struct es_frame *f)
{
	struct kiro_stream *ks = arg;
	json_object *p;
	const char *mt, *msg;
	int r = 0;

	if (ks->failed)
		return -1;
	if (ks_start(ks) == -1)
		return -1;
	mt = f->message_type;
	if (mt == NULL && f->event_type != NULL)
		mt = "event";
	if (mt == NULL)
		return 0;
	if (strcmp(mt, "event") == 0 && f->event_type != NULL &&
	    strcmp(f->event_type, "assistantResponseEvent") == 0) {
		const char *text;
		size_t tlen;

		if (fast_content(ks->a, (const char *)f->payload,
		    f->payload_len, &text, &tlen) == 0)
			return ks_text(ks, text, tlen);
	}
	p = ks_payload(f);
	if (strcmp(mt, "exception") == 0) {
		msg = p ? c_json_str(p, "message", NULL) : NULL;
		if (msg == NULL && p != NULL)
			msg = c_json_str(p, "Message", NULL);
		r = ks_upstream_error(ks, f->exception_type, msg,
		    p ? c_json_str(p, "reason", NULL) : NULL);
	} else if (strcmp(mt, "error") == 0) {
		msg = f->error_message;
		if ((msg == NULL || *msg == '\0') && p != NULL)
			msg = c_json_str(p, "message", NULL);
		r = ks_upstream_error(ks, f->error_code, msg,
		    p ? c_json_str(p, "reason", NULL) : NULL);
	} else if (strcmp(mt, "event") == 0 && f->event_type != NULL &&
	    p != NULL)
		r = ks_event(ks, f->event_type, p);
	json_object_put(p);
	return r;
}

/* ---- framing ------------------------------------------------------------ */

/* Is this prelude sound (its CRC, then the limits of kiro.md 6.2)? */
static int
prelude_ok(const unsigned char *p, uint32_t *totalp)
{
	uint32_t total, hlen;

	if (es_crc32(0, p, 8) != be32(p + 8))
		return 0;
	total = be32(p);
	hlen = be32(p + 4);
	if (total < 16 || total > ES_MAX_FRAME)
		return 0;
	if (hlen > ES_MAX_HEADERS_LEN || hlen > total - 16)
		return 0;
	*totalp = total;
	return 1;
}

/*
 * Hand es_feed() exactly one frame (or a bad prelude, so that it says
 * what is wrong).  It then never has to buffer anything itself.
 */
static int
ks_dispatch(struct kiro_stream *ks, const unsigned char *p, size_t n)
{
	char msg[256];

	if (es_feed(&ks->es, p, n, ks_frame, ks) == 0)
		return 0;
	if (ks->failed)
		return -1;
	(void)snprintf(msg, sizeof(msg), "upstream sent a corrupt event "
	    "stream: %s", ks->es.err);
	return ks_error(ks, 502, "api_error", msg);
}

/* Keep the start of an unfinished frame. */
static int
ks_stash(struct kiro_stream *ks, const unsigned char *p, size_t n)
{
	struct abuf *b = &ks->pend;
	size_t want;
	char *nd;

	if (b->len + n > b->cap && ks->pend_total > 0) {
		/* one allocation for the whole frame */
		want = 256;
		while (want < ks->pend_total)
			want *= 2;
		nd = arena_alloc(ks->a, want);
		if (nd == NULL)
			return ks_nomem(ks);
		if (b->len > 0)
			memcpy(nd, b->d, b->len);
		b->d = nd;
		b->cap = want;
	}
	if (abuf_add(ks->a, b, p, n) == -1)
		return ks_nomem(ks);
	return 0;
}

struct kiro_stream *
kiro_stream_new(struct arena *a, struct c_sink *sink,
    const struct kiro_stream_opts *o)
{
	struct kiro_stream *ks;
	char *id;

	if (a == NULL || sink == NULL || o == NULL)
		return NULL;
	ks = arena_alloc(a, sizeof(*ks));
	if (ks == NULL)
		return NULL;
	ks->a = a;
	ks->sink = sink;
	ks->o = *o;
	if (o->msg_id != NULL && *o->msg_id != '\0')
		ks->msg_id = o->msg_id;
	else {
		id = arena_alloc(a, 40);
		if (id == NULL)
			return NULL;
		c_make_id(id, 40, "msg_");
		ks->msg_id = id;
	}
	if (ks->o.context_window <= 0)
		ks->o.context_window = 200000;
	if (ks->o.context_window > KS_WINDOW_MAX)
		ks->o.context_window = KS_WINDOW_MAX;
	es_init(&ks->es);
	ks->open = KS_NONE;
	ks->open_tool = -1;
	ks->tstate = o->thinking ? KT_SEARCH : KT_DONE;
	ks->bracket = o->bracket_tool_calls && o->ntool_names > 0 &&
	    o->tool_names != NULL;
	return ks;
}

int
kiro_stream_feed(struct kiro_stream *ks, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t take;
	uint32_t total;

	if (ks == NULL || ks->failed || ks->finished)
		return -1;
	while (len > 0) {
		if (ks->pend.len > 0) {
			/* complete the frame we hold */
			if (ks->pend.len < KS_PRELUDE) {
				take = KS_PRELUDE - ks->pend.len;
				if (take > len)
					take = len;
				if (ks_stash(ks, p, take) == -1)
					return -1;
				p += take;
				len -= take;
				if (ks->pend.len < KS_PRELUDE)
					break;
				if (!prelude_ok((unsigned char *)ks->pend.d,
				    &total))
					return ks_dispatch(ks,
					    (unsigned char *)ks->pend.d,
					    ks->pend.len);
				ks->pend_total = total;
				continue;
			}
			take = ks->pend_total - ks->pend.len;
			if (take > len)
				take = len;
			if (ks_stash(ks, p, take) == -1)
				return -1;
			p += take;
			len -= take;
			if (ks->pend.len < ks->pend_total)
				break;
			total = ks->pend_total;
			ks->pend.len = 0;
			ks->pend_total = 0;
			if (ks_dispatch(ks, (unsigned char *)ks->pend.d,
			    total) == -1)
				return -1;
			continue;
		}
		if (len < KS_PRELUDE)
			return ks_stash(ks, p, len);
		if (!prelude_ok(p, &total))
			return ks_dispatch(ks, p, KS_PRELUDE);
		if (total > len) {
			ks->pend_total = total;
			return ks_stash(ks, p, len);
		}
		if (ks_dispatch(ks, p, total) == -1)
			return -1;
		p += total;
		len -= total;
	}
	return 0;
}

int
kiro_stream_finish(struct kiro_stream *ks)
{
	struct c_usage u;
	enum c_stop stop;
	char msg[128];
	int64_t out, tot;

	if (ks == NULL || ks->failed || ks->finished)
		return -1;
	if (ks->pend.len > 0 || es_finish(&ks->es) == -1) {
		(void)snprintf(msg, sizeof(msg), "upstream sent a truncated "
		    "event stream: %zu bytes of an unfinished frame",
		    ks->pend.len);
		es_free(&ks->es);
		return ks_error(ks, 502, "api_error", msg);
	}
	es_free(&ks->es);
	if (ks_start(ks) == -1 || ks_flush_text(ks) == -1 ||
	    ks_close(ks) == -1)
		return -1;

	/* kiro.md 7.3 */
	if (ks->tool_seen)
		stop = C_STOP_TOOL_USE;
	else if (ks->o.thinking && ks->thought && !ks->visible) {
		if (ks_emit_text(ks, " ", 1) == -1 || ks_close(ks) == -1)
			return -1;
		stop = C_STOP_MAX_TOKENS;
	} else
		stop = C_STOP_END_TURN;

	/* kiro.md 7.4 [REC] */
	c_usage_init(&u);
	out = c_est_value(&ks->out_est) + ks->tool_tokens;
	u.output = out;
	u.input = ks->o.input_estimate > 0 ? ks->o.input_estimate : 0;
	if (ks->ctx_pct > 0) {
		/* round half up; both factors are >= 0 (no libm here) */
		tot = (int64_t)((double)ks->o.context_window * ks->ctx_pct /
		    100.0 + 0.5);
		u.input = tot > out ? tot - out : 0;
	}
	ks->finished = 1;
	ks->has_output = 1;
	if (c_emit_message_delta(ks->sink, stop, NULL, &u) == -1 ||
	    c_emit_message_stop(ks->sink) == -1)
		return ks_refused(ks);
	return 0;
}

int
kiro_stream_has_output(const struct kiro_stream *ks)
{
	return ks != NULL && ks->has_output;
}

double
kiro_stream_credits(const struct kiro_stream *ks)
{
	return ks != NULL ? ks->credits : 0;
}

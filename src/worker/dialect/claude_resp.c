/*
 * claude_resp.c: the answer side of the Claude (Anthropic Messages)
 * dialect.  Client side: a whole message body from an accumulated
 * c_response (conversion.md 4), the SSE stream encoder that turns
 * canonical events into message_start ... message_stop (5.3, 5.7 E2),
 * and the Anthropic model list (6.2).  Backend side: a message body
 * into canonical events, the SSE stream decoder (5.6 A), the native
 * model lists (6.1) and upstream error bodies (7.3).  Usage follows
 * 4.4: canonical input counts cached tokens, Claude's input_tokens does
 * not.  Output JSON is written with jsonw into capped buffers; the
 * stream encoder's state lives in the request arena and it builds each
 * event in a buffer of its own that is freed before the sink returns,
 * so an abandoned stream leaks nothing.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "claude_int.h"
#include "compat.h"
#include "jsonw.h"
#include "util.h"

#define CL_EVENT_MAX	(128u * 1024 * 1024)	/* one SSE event */
#define CL_MSG_MAX	2000		/* error text (conversion.md 7.3) */
#define CL_COUNT_MAX	((int64_t)1 << 50)	/* a token count we believe */

/* ---- shared helpers ----------------------------------------------------- */

/* A non-negative integer member, or -1. */
static int64_t
jcount(json_object *o, const char *key)
{
	json_object *v = c_json_get(o, key);
	int64_t n;

	if (v == NULL || (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)))
		return -1;
	n = json_object_get_int64(v);
	if (n > CL_COUNT_MAX)
		n = CL_COUNT_MAX;	/* sums of counts cannot overflow */
	return n >= 0 ? n : -1;
}

static int64_t
nonneg(int64_t v)
{
	return v > 0 ? v : 0;
}

/* A string for a Claude tool id: [A-Za-z0-9_-]+, else a fresh one. */
static int
put_tool_id(struct buf *b, const char *id)
{
	char gen[40];
	size_t i, n;
	char c;

	if (id == NULL || *id == '\0') {
		c_make_id(gen, sizeof(gen), "toolu_");
		id = gen;
	}
	n = strlen(id);
	if (buf_reserve(b, n + 2) == -1)
		return -1;
	b->data[b->len++] = '"';
	for (i = 0; i < n; i++) {
		c = id[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			c = '_';
		b->data[b->len++] = c;
	}
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
	return 0;
}

/* The message id: an upstream "msg_..." id, else a fresh one. */
static const char *
msg_id(const char *id, char *gen, size_t genlen)
{
	if (id != NULL && strncmp(id, "msg_", 4) == 0 && id[4] != '\0')
		return id;
	c_make_id(gen, genlen, "msg_");
	return gen;
}

/*
 * Claude usage members (conversion.md 4.4), without braces.  input:
 * write input_tokens (unknown counts as 0); the cache members appear
 * when either is known.
 */
static int
put_usage(struct buf *b, const struct c_usage *u, int input)
{
	int64_t in, cr, cw;
	int r = 0;

	cr = nonneg(u->cache_read);
	cw = nonneg(u->cache_write);
	if (input) {
		/* max(0, input - cache_read - cache_write), overflow-free */
		in = nonneg(u->input);
		in = in > cr ? in - cr : 0;
		in = in > cw ? in - cw : 0;
		r |= jw_key(b, "input_tokens", 1);
		r |= jw_int(b, in);
	}
	if (u->cache_read >= 0 || u->cache_write >= 0) {
		r |= jw_key(b, "cache_creation_input_tokens", !input);
		r |= jw_int(b, cw);
		r |= jw_key(b, "cache_read_input_tokens", 0);
		r |= jw_int(b, cr);
		input = 1;
	}
	r |= jw_key(b, "output_tokens", !input);
	r |= jw_int(b, nonneg(u->output));
	return r ? -1 : 0;
}

/* A compact object for a tool input text; {} when empty. */
static json_object *
parse_input(const char *s, size_t len)
{
	json_tokener *tok;
	json_object *o;
	size_t end;

	if (len > INT32_MAX)
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
	while (end < len && (s[end] == ' ' || s[end] == '\t' ||
	    s[end] == '\n' || s[end] == '\r'))
		end++;
	if (!json_object_is_type(o, json_type_object) || end != len) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int
all_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r')
			return 0;
	return 1;
}

static int
put_input(struct buf *b, const struct buf *in)
{
	json_object *o;
	int r;

	if (in->len == 0 || all_blank(in->data, in->len))
		return buf_addstr(b, "{}");
	o = parse_input(in->data, in->len);
	if (o != NULL) {
		r = jw_obj(b, o);
		json_object_put(o);
		return r;
	}
	/* kiro.md 6.6: keep what could not be parsed */
	r = buf_addstr(b, "{\"raw_arguments\":");
	r |= jw_str(b, in->data, in->len);
	r |= buf_addc(b, '}');
	return r ? -1 : 0;
}

/* ---- client side: a whole message --------------------------------------- */

int
claude_encode_response(const struct c_response *resp, const struct c_opts *o,
    struct buf *out)
{
	const struct c_rblock *bl;
	const char *model;
	char gen[40];
	enum c_stop stop;
	size_t i;
	int r = 0, tools = 0;

	model = o != NULL && o->client_model != NULL ? o->client_model :
	    resp->model;
	r |= buf_addstr(out, "{\"id\":");
	r |= jw_cstr(out, msg_id(resp->id, gen, sizeof(gen)));
	r |= buf_addstr(out, ",\"type\":\"message\",\"role\":\"assistant\","
	    "\"model\":");
	r |= jw_cstr(out, model != NULL ? model : "");
	r |= buf_addstr(out, ",\"content\":[");
	for (i = 0; i < resp->nblocks; i++) {
		bl = &resp->blocks[i];
		if (i > 0)
			r |= buf_addc(out, ',');
		switch (bl->type) {
		case C_BLOCK_TEXT:
			r |= buf_addstr(out, "{\"type\":\"text\",\"text\":");
			r |= jw_str(out, bl->text.data ? bl->text.data : "",
			    bl->text.len);
			r |= buf_addc(out, '}');
			break;
		case C_BLOCK_THINKING:
			r |= buf_addstr(out, "{\"type\":\"thinking\","
			    "\"thinking\":");
			r |= jw_str(out, bl->text.data ? bl->text.data : "",
			    bl->text.len);
			r |= buf_addstr(out, ",\"signature\":");
			r |= jw_str(out, bl->signature.data ?
			    bl->signature.data : "", bl->signature.len);
			r |= buf_addc(out, '}');
			break;
		case C_BLOCK_TOOL_USE:
			tools = 1;
			r |= buf_addstr(out, "{\"type\":\"tool_use\",\"id\":");
			r |= put_tool_id(out, bl->id);
			r |= buf_addstr(out, ",\"name\":");
			r |= jw_cstr(out, bl->name != NULL ? bl->name : "");
			r |= buf_addstr(out, ",\"input\":");
			r |= put_input(out, &bl->text);
			r |= buf_addc(out, '}');
			break;
		}
		if (r != 0)
			return -1;
	}
	stop = resp->stop;
	if (stop == C_STOP_NONE)
		stop = tools ? C_STOP_TOOL_USE : C_STOP_END_TURN;
	r |= buf_addstr(out, "],\"stop_reason\":");
	r |= jw_cstr(out, c_stop_str(stop));
	r |= buf_addstr(out, ",\"stop_sequence\":");
	r |= jw_cstr(out, resp->stop_sequence);
	r |= buf_addstr(out, ",\"usage\":{");
	r |= put_usage(out, &resp->usage, 1);
	r |= buf_addstr(out, "}}");
	return r ? -1 : 0;
}

/* ---- client side: the SSE stream ---------------------------------------- */

struct cl_enc {
	struct c_sink		 sink;
	struct c_writer		*w;
	const char		*model;		/* arena copy of client_model */
	char			 id[40];
	int			 started;
	int			 delta_sent;
	int			 closed;	/* message_stop or error sent */
	int			 open;		/* a block is open */
	int			 open_src;	/* its index upstream */
	enum c_block		 kind;
	int			 had_args;
	int			 next;		/* our next block index */
	int			 tool_seen;
};

static int
ev_begin(struct buf *b, const char *name)
{
	int r;

	r = buf_addstr(b, "event: ");
	r |= buf_addstr(b, name);
	r |= buf_addstr(b, "\ndata: ");
	return r ? -1 : 0;
}

/* Finish the event in b and write it with one write() call. */
static int
ev_send(struct cl_enc *st, struct buf *b, int r)
{
	if (r == 0)
		r = buf_addstr(b, "\n\n");
	if (r == 0)
		r = st->w->write(st->w, b->data, b->len);
	buf_free(b);
	return r ? -1 : 0;
}

static int
enc_ping(struct cl_enc *st)
{
	struct buf b;
	int r;

	buf_init(&b, CL_EVENT_MAX);
	r = ev_begin(&b, "ping");
	r |= buf_addstr(&b, "{\"type\":\"ping\"}");
	return ev_send(st, &b, r);
}

static int
enc_start(struct cl_enc *st, const struct c_event *e)
{
	struct c_usage u;
	struct buf b;
	const char *id;
	int r;

	if (st->started)
		return 0;
	st->started = 1;
	c_usage_init(&u);
	if (e != NULL)
		u = e->usage;
	id = msg_id(e != NULL ? e->id : NULL, st->id, sizeof(st->id));
	buf_init(&b, CL_EVENT_MAX);
	r = ev_begin(&b, "message_start");
	r |= buf_addstr(&b, "{\"type\":\"message_start\",\"message\":"
	    "{\"id\":");
	r |= jw_str(&b, id, strlen(id));
	r |= buf_addstr(&b, ",\"type\":\"message\",\"role\":\"assistant\","
	    "\"model\":");
	r |= jw_cstr(&b, st->model != NULL ? st->model :
	    e != NULL && e->model != NULL ? e->model : "");
	r |= buf_addstr(&b, ",\"content\":[],\"stop_reason\":null,"
	    "\"stop_sequence\":null,\"usage\":{");
	r |= put_usage(&b, &u, 1);
	r |= buf_addstr(&b, "}}}");
	if (ev_send(st, &b, r) == -1)
		return -1;
	return enc_ping(st);
}

static int
enc_block_stop(struct cl_enc *st)
{
	struct buf b;
	int r = 0;

	if (!st->open)
		return 0;
	st->open = 0;
	if (st->kind == C_BLOCK_TOOL_USE && !st->had_args) {
		/* conversion.md 5.3 invariant 4 */
		buf_init(&b, CL_EVENT_MAX);
		r = ev_begin(&b, "content_block_delta");
		r |= buf_addf(&b, "{\"type\":\"content_block_delta\","
		    "\"index\":%d,\"delta\":{\"type\":\"input_json_delta\","
		    "\"partial_json\":\"{}\"}}", st->next - 1);
		if (ev_send(st, &b, r) == -1)
			return -1;
	}
	buf_init(&b, CL_EVENT_MAX);
	r = ev_begin(&b, "content_block_stop");
	r |= buf_addf(&b, "{\"type\":\"content_block_stop\",\"index\":%d}",
	    st->next - 1);
	return ev_send(st, &b, r);
}

static int
enc_block_start(struct cl_enc *st, const struct c_event *e)
{
	struct buf b;
	int r;

	if (enc_start(st, NULL) == -1 || enc_block_stop(st) == -1)
		return -1;
	st->open = 1;
	st->open_src = e->index;
	st->kind = e->block;
	st->had_args = 0;
	buf_init(&b, CL_EVENT_MAX);
	r = ev_begin(&b, "content_block_start");
	r |= buf_addf(&b, "{\"type\":\"content_block_start\",\"index\":%d,"
	    "\"content_block\":", st->next++);
	switch (e->block) {
	case C_BLOCK_THINKING:
		r |= buf_addstr(&b, "{\"type\":\"thinking\",\"thinking\":\"\","
		    "\"signature\":\"\"}}");
		break;
	case C_BLOCK_TOOL_USE:
		st->tool_seen = 1;
		r |= buf_addstr(&b, "{\"type\":\"tool_use\",\"id\":");
		r |= put_tool_id(&b, e->id);
		r |= buf_addstr(&b, ",\"name\":");
		r |= jw_cstr(&b, e->name != NULL ? e->name : "");
		r |= buf_addstr(&b, ",\"input\":{}}}");
		break;
	default:
		r |= buf_addstr(&b, "{\"type\":\"text\",\"text\":\"\"}}");
		break;
	}
	return ev_send(st, &b, r);
}

static int
enc_delta(struct cl_enc *st, const struct c_event *e)
{
	static const char *const dtype[] = { "text_delta", "thinking_delta",
	    "signature_delta", "input_json_delta" };
	static const char *const dkey[] = { "text", "thinking", "signature",
	    "partial_json" };
	struct buf b;
	enum c_block want;
	int r;

	if (!st->open || e->index != st->open_src || e->len == 0 ||
	    e->text == NULL || (unsigned)e->delta > C_DELTA_JSON)
		return 0;
	switch (e->delta) {
	case C_DELTA_TEXT:
		want = C_BLOCK_TEXT;
		break;
	case C_DELTA_JSON:
		want = C_BLOCK_TOOL_USE;
		break;
	default:
		want = C_BLOCK_THINKING;
		break;
	}
	if (want != st->kind)
		return 0;	/* a delta that does not fit its block */
	if (e->delta == C_DELTA_JSON)
		st->had_args = 1;
	buf_init(&b, CL_EVENT_MAX);
	r = ev_begin(&b, "content_block_delta");
	r |= buf_addf(&b, "{\"type\":\"content_block_delta\",\"index\":%d,"
	    "\"delta\":{\"type\":\"%s\",\"%s\":", st->next - 1,
	    dtype[e->delta], dkey[e->delta]);
	r |= jw_str(&b, e->text, e->len);
	r |= buf_addstr(&b, "}}");
	return ev_send(st, &b, r);
}

static int
enc_message_delta(struct cl_enc *st, const struct c_event *e)
{
	struct c_usage u;
	struct buf b;
	enum c_stop stop = C_STOP_NONE;
	int r;

	if (enc_start(st, NULL) == -1 || enc_block_stop(st) == -1)
		return -1;
	c_usage_init(&u);
	if (e != NULL) {
		u = e->usage;
		stop = e->stop;
	}
	if (stop == C_STOP_NONE)
		stop = st->tool_seen ? C_STOP_TOOL_USE : C_STOP_END_TURN;
	st->delta_sent = 1;
	buf_init(&b, CL_EVENT_MAX);
	r = ev_begin(&b, "message_delta");
	r |= buf_addstr(&b, "{\"type\":\"message_delta\",\"delta\":"
	    "{\"stop_reason\":");
	r |= jw_cstr(&b, c_stop_str(stop));
	r |= buf_addstr(&b, ",\"stop_sequence\":");
	r |= jw_cstr(&b, e != NULL ? e->stop_sequence : NULL);
	r |= buf_addstr(&b, "},\"usage\":{");
	r |= put_usage(&b, &u, u.input >= 0);
	r |= buf_addstr(&b, "}}");
	return ev_send(st, &b, r);
}

static int
enc_message_stop(struct cl_enc *st)
{
	struct buf b;
	int r;

	if (enc_start(st, NULL) == -1)
		return -1;
	if (!st->delta_sent && enc_message_delta(st, NULL) == -1)
		return -1;
	st->closed = 1;
	buf_init(&b, CL_EVENT_MAX);
	r = ev_begin(&b, "message_stop");
	r |= buf_addstr(&b, "{\"type\":\"message_stop\"}");
	return ev_send(st, &b, r);
}

static int
enc_error(struct cl_enc *st, const struct c_event *e)
{
	const char *oai, *code, *claude, *gem;
	const char *etype = e->etype;
	struct buf b;
	int r;

	if (etype == NULL || *etype == '\0') {
		dialect_error_names(e->status ? e->status : 500, &oai, &code,
		    &claude, &gem);
		etype = claude;
	}
	st->closed = 1;
	buf_init(&b, CL_EVENT_MAX);
	r = ev_begin(&b, "error");
	r |= buf_addstr(&b, "{\"type\":\"error\",\"error\":{\"type\":");
	r |= jw_cstr(&b, etype != NULL ? etype : "api_error");
	r |= buf_addstr(&b, ",\"message\":");
	r |= jw_cstr(&b, e->message != NULL ? e->message : "");
	r |= buf_addstr(&b, "}}");
	return ev_send(st, &b, r);
}

static int
enc_event(struct c_sink *sink, const struct c_event *e)
{
	struct cl_enc *st = (struct cl_enc *)sink;

	if (st->closed)
		return 0;	/* nothing follows message_stop or error */
	switch (e->type) {
	case C_EV_MESSAGE_START:
		return enc_start(st, e);
	case C_EV_BLOCK_START:
		return enc_block_start(st, e);
	case C_EV_BLOCK_DELTA:
		return enc_delta(st, e);
	case C_EV_BLOCK_STOP:
		if (st->open && e->index == st->open_src)
			return enc_block_stop(st);
		return 0;
	case C_EV_MESSAGE_DELTA:
		return enc_message_delta(st, e);
	case C_EV_MESSAGE_STOP:
		return enc_message_stop(st);
	case C_EV_ERROR:
		return enc_error(st, e);
	case C_EV_PING:
		return enc_ping(st);
	}
	return 0;
}

struct c_sink *
claude_stream_encoder(struct arena *a, struct c_writer *w,
    const struct c_opts *o)
{
	struct cl_enc *st;

	st = arena_alloc(a, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->sink.event = enc_event;
	st->w = w;
	if (o != NULL && o->client_model != NULL) {
		st->model = arena_strdup(a, o->client_model);
		if (st->model == NULL)
			return NULL;
	}
	return &st->sink;
}

/* ---- client side: model list -------------------------------------------- */

static void
rfc3339(int64_t secs, char *out, size_t outlen)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strlcpy(out, "1970-01-01T00:00:00Z", outlen);
}

int
claude_encode_models(const struct c_model *m, size_t n,
    const struct c_opts *o, struct buf *out)
{
	char ts[64];
	int64_t created;
	size_t i;
	int r;

	r = buf_addstr(out, "{\"data\":[");
	for (i = 0; i < n; i++) {
		created = m[i].created;
		if (created <= 0)
			created = o != NULL ? o->created : 0;
		if (created <= 0)
			created = (int64_t)time(NULL);
		rfc3339(created, ts, sizeof(ts));
		if (i > 0)
			r |= buf_addc(out, ',');
		r |= buf_addstr(out, "{\"type\":\"model\",\"id\":");
		r |= jw_cstr(out, m[i].id != NULL ? m[i].id : "");
		r |= buf_addstr(out, ",\"display_name\":");
		r |= jw_cstr(out, m[i].display_name != NULL ?
		    m[i].display_name : m[i].id != NULL ? m[i].id : "");
		r |= buf_addstr(out, ",\"created_at\":");
		r |= jw_cstr(out, ts);
		r |= buf_addc(out, '}');
		if (r != 0)
			return -1;
	}
	r |= buf_addstr(out, "],\"has_more\":false,\"first_id\":");
	r |= jw_cstr(out, n > 0 ? m[0].id : NULL);
	r |= buf_addstr(out, ",\"last_id\":");
	r |= jw_cstr(out, n > 0 ? m[n - 1].id : NULL);
	r |= buf_addc(out, '}');
	return r ? -1 : 0;
}

/* ---- backend side: shared ----------------------------------------------- */

/* conversion.md 5.6 A: Claude error types and their statuses. */
static const struct {
	const char	*type;
	int		 status;
} cl_errors[] = {
	{ "invalid_request_error", 400 },
	{ "authentication_error", 401 },
	{ "billing_error", 402 },
	{ "permission_error", 403 },
	{ "not_found_error", 404 },
	{ "request_too_large", 413 },
	{ "rate_limit_error", 429 },
	{ "api_error", 500 },
	{ "timeout_error", 504 },
	{ "overloaded_error", 529 },
};

/* The static name of a known Claude error type, its status in *status. */
static const char *
cl_error_type(const char *type, int *status)
{
	size_t i;

	if (type == NULL)
		return NULL;
	for (i = 0; i < nitems(cl_errors); i++)
		if (strcmp(cl_errors[i].type, type) == 0) {
			if (status != NULL)
				*status = cl_errors[i].status;
			return cl_errors[i].type;
		}
	return NULL;
}

/* conversion.md 4.3: Claude stop_reason to canonical. */
static enum c_stop
cl_stop(const char *s)
{
	if (s == NULL)
		return C_STOP_NONE;
	if (strcmp(s, "stop_sequence") == 0)
		return C_STOP_STOP_SEQUENCE;
	if (strcmp(s, "max_tokens") == 0 ||
	    strcmp(s, "model_context_window_exceeded") == 0)
		return C_STOP_MAX_TOKENS;
	if (strcmp(s, "tool_use") == 0)
		return C_STOP_TOOL_USE;
	if (strcmp(s, "refusal") == 0)
		return C_STOP_REFUSAL;
	return C_STOP_END_TURN;	/* end_turn, pause_turn, unknown */
}

/* Raw Claude usage counts, -1 when not reported. */
struct cl_usage {
	int64_t		 in, cr, cw, out;
};

static void
cl_usage_init(struct cl_usage *u)
{
	u->in = u->cr = u->cw = u->out = -1;
}

/* Take what a usage object reports. */
static void
cl_usage_merge(struct cl_usage *u, json_object *j)
{
	int64_t v;

	if (j == NULL || !json_object_is_type(j, json_type_object))
		return;
	v = jcount(j, "input_tokens");
	if (v >= 0)
		u->in = v;
	v = jcount(j, "cache_read_input_tokens");
	if (v >= 0)
		u->cr = v;
	v = jcount(j, "cache_creation_input_tokens");
	if (v >= 0)
		u->cw = v;
	v = jcount(j, "output_tokens");
	if (v >= 0)
		u->out = v;
}

/* conversion.md 4.4: canonical input includes the cached tokens. */
static void
cl_usage_canon(const struct cl_usage *u, struct c_usage *c, int output)
{
	c_usage_init(c);
	if (u->in >= 0)
		c->input = u->in + nonneg(u->cr) + nonneg(u->cw);
	c->cache_read = u->cr;
	c->cache_write = u->cw;
	if (output)
		c->output = u->out;
}

static void
seterr(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		strlcpy(err, msg, errlen);
}

/* An error object {"type","message"} as an ERROR event. */
static int
emit_cl_error(struct c_sink *s, json_object *eo)
{
	const char *type, *msg;
	int status = 500;

	type = cl_error_type(c_json_str(eo, "type", NULL), &status);
	msg = c_json_str(eo, "message", NULL);
	if (msg == NULL && eo != NULL && json_object_is_type(eo,
	    json_type_string))
		msg = json_object_get_string(eo);
	return c_emit_error(s, status, type, msg != NULL ? msg :
	    "upstream error");
}

/* A tool input value as JSON text for one partial_json delta. */
static const char *
input_text(json_object *in, size_t *lenp)
{
	if (in == NULL) {
		*lenp = 0;
		return NULL;
	}
	if (json_object_is_type(in, json_type_string)) {
		*lenp = (size_t)json_object_get_string_len(in);
		return json_object_get_string(in);
	}
	return json_object_to_json_string_length(in, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, lenp);
}

/* ---- backend side: a whole message -------------------------------------- */

int
claude_decode_response(json_object *body, const struct c_opts *o,
    struct c_sink *s, char *err, size_t errlen)
{
	struct cl_usage cu;
	struct c_usage u;
	json_object *content, *bl, *in;
	const char *type, *t, *sig;
	size_t i, n, len, slen;
	enum c_stop stop;
	int idx = 0, tools = 0;

	(void)o;
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		seterr(err, errlen, "response is not a JSON object");
		return -1;
	}
	type = c_json_str(body, "type", NULL);
	if ((type != NULL && strcmp(type, "error") == 0) ||
	    (type == NULL && c_json_get(body, "error") != NULL)) {
		if (emit_cl_error(s, c_json_get(body, "error")) == -1)
			goto refused;
		return 0;
	}
	content = c_json_get(body, "content");
	if (content != NULL && !json_object_is_type(content, json_type_null) &&
	    !json_object_is_type(content, json_type_array)) {
		seterr(err, errlen, "content: not an array");
		return -1;
	}
	if (content != NULL && !json_object_is_type(content, json_type_array))
		content = NULL;

	cl_usage_init(&cu);
	cl_usage_merge(&cu, c_json_get(body, "usage"));
	cl_usage_canon(&cu, &u, 0);
	if (c_emit_start(s, c_json_str(body, "id", NULL), c_json_str(body, "model", NULL),
	    &u) == -1)
		goto refused;

	n = content != NULL ? json_object_array_length(content) : 0;
	for (i = 0; i < n; i++) {
		bl = json_object_array_get_idx(content, i);
		type = c_json_str(bl, "type", NULL);
		if (type == NULL)
			continue;
		if (strcmp(type, "text") == 0) {
			t = c_json_str(bl, "text", &len);
			if (c_emit_block_start(s, idx, C_BLOCK_TEXT, NULL,
			    NULL) == -1 ||
			    (t != NULL && c_emit_delta(s, idx, C_DELTA_TEXT,
			    t, len) == -1) ||
			    c_emit_block_stop(s, idx) == -1)
				goto refused;
		} else if (strcmp(type, "thinking") == 0) {
			t = c_json_str(bl, "thinking", &len);
			sig = c_json_str(bl, "signature", &slen);
			if (c_emit_block_start(s, idx, C_BLOCK_THINKING, NULL,
			    NULL) == -1 ||
			    (t != NULL && c_emit_delta(s, idx,
			    C_DELTA_THINKING, t, len) == -1) ||
			    (sig != NULL && c_emit_delta(s, idx,
			    C_DELTA_SIGNATURE, sig, slen) == -1) ||
			    c_emit_block_stop(s, idx) == -1)
				goto refused;
		} else if (strcmp(type, "tool_use") == 0) {
			tools = 1;
			in = c_json_get(bl, "input");
			t = input_text(in, &len);
			if (t == NULL || len == 0) {
				t = "{}";
				len = 2;
			}
			if (c_emit_block_start(s, idx, C_BLOCK_TOOL_USE,
			    c_json_str(bl, "id", NULL), c_json_str(bl, "name",
			    NULL)) == -1 ||
			    c_emit_delta(s, idx, C_DELTA_JSON, t, len) == -1 ||
			    c_emit_block_stop(s, idx) == -1)
				goto refused;
		} else
			continue;	/* redacted_thinking, server tools */
		idx++;
	}

	stop = cl_stop(c_json_str(body, "stop_reason", NULL));
	if (stop == C_STOP_NONE || (stop == C_STOP_END_TURN && tools))
		stop = tools ? C_STOP_TOOL_USE : C_STOP_END_TURN;
	cl_usage_canon(&cu, &u, 1);
	if (c_emit_message_delta(s, stop, c_json_str(body, "stop_sequence", NULL),
	    &u) == -1 || c_emit_message_stop(s) == -1)
		goto refused;
	return 0;
refused:
	seterr(err, errlen, "the consumer stopped");
	return -1;
}

/* ---- backend side: the SSE stream --------------------------------------- */

struct cl_dec {
	struct arena	*a;
	struct c_sink	*s;
	int		 started, finished, failed;
	int		 open;		/* a block is open */
	int		 open_src;	/* its upstream index */
	int		 ign;		/* an ignored block is open */
	int		 ign_src;
	int		 next;
	int		 tool_seen;
	enum c_stop	 stop;
	char		*stop_seq;	/* arena */
	struct cl_usage	 u;
};

void *
claude_stream_decoder(struct arena *a, struct c_sink *s,
    const struct c_opts *o)
{
	struct cl_dec *st;

	(void)o;
	st = arena_alloc(a, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->a = a;
	st->s = s;
	st->stop = C_STOP_NONE;
	cl_usage_init(&st->u);
	return st;
}

static int
dec_start(struct cl_dec *st, const char *id, const char *model)
{
	struct c_usage u;

	if (st->started)
		return 0;
	st->started = 1;
	cl_usage_canon(&st->u, &u, 0);
	return c_emit_start(st->s, id, model, &u);
}

static int
dec_close(struct cl_dec *st)
{
	if (!st->open)
		return 0;
	st->open = 0;
	return c_emit_block_stop(st->s, st->next - 1);
}

static int
dec_finish(struct cl_dec *st)
{
	struct c_usage u;
	enum c_stop stop = st->stop;

	if (dec_start(st, NULL, NULL) == -1 || dec_close(st) == -1)
		return -1;
	if (stop == C_STOP_NONE || (stop == C_STOP_END_TURN && st->tool_seen))
		stop = st->tool_seen ? C_STOP_TOOL_USE : C_STOP_END_TURN;
	st->finished = 1;
	cl_usage_canon(&st->u, &u, 1);
	if (c_emit_message_delta(st->s, stop, st->stop_seq, &u) == -1)
		return -1;
	return c_emit_message_stop(st->s);
}

static int
dec_block_start(struct cl_dec *st, json_object *d)
{
	json_object *cb, *in;
	const char *type, *t, *sig;
	size_t len, slen;
	enum c_block kind;
	int idx, out;

	cb = c_json_get(d, "content_block");
	type = c_json_str(cb, "type", NULL);
	idx = c_json_get(d, "index") != NULL ?
	    json_object_get_int(c_json_get(d, "index")) : -1;
	if (dec_start(st, NULL, NULL) == -1)
		return -1;
	if (type == NULL)
		return 0;
	if (strcmp(type, "text") == 0)
		kind = C_BLOCK_TEXT;
	else if (strcmp(type, "thinking") == 0)
		kind = C_BLOCK_THINKING;
	else if (strcmp(type, "tool_use") == 0)
		kind = C_BLOCK_TOOL_USE;
	else {
		st->ign = 1;
		st->ign_src = idx;
		return 0;
	}
	if (dec_close(st) == -1)
		return -1;
	out = st->next++;
	st->open = 1;
	st->open_src = idx;
	if (kind == C_BLOCK_TOOL_USE)
		st->tool_seen = 1;
	if (c_emit_block_start(st->s, out, kind, kind == C_BLOCK_TOOL_USE ?
	    c_json_str(cb, "id", NULL) : NULL, kind == C_BLOCK_TOOL_USE ?
	    c_json_str(cb, "name", NULL) : NULL) == -1)
		return -1;
	switch (kind) {
	case C_BLOCK_TEXT:
		t = c_json_str(cb, "text", &len);
		if (t != NULL && c_emit_delta(st->s, out, C_DELTA_TEXT, t,
		    len) == -1)
			return -1;
		break;
	case C_BLOCK_THINKING:
		t = c_json_str(cb, "thinking", &len);
		sig = c_json_str(cb, "signature", &slen);
		if ((t != NULL && c_emit_delta(st->s, out, C_DELTA_THINKING,
		    t, len) == -1) || (sig != NULL && c_emit_delta(st->s, out,
		    C_DELTA_SIGNATURE, sig, slen) == -1))
			return -1;
		break;
	case C_BLOCK_TOOL_USE:
		/* a non-empty input on the start (Kiro pseudo-streams) */
		in = c_json_get(cb, "input");
		if (in != NULL && ((json_object_is_type(in,
		    json_type_object) && json_object_object_length(in) > 0) ||
		    json_object_is_type(in, json_type_string))) {
			t = input_text(in, &len);
			if (t != NULL && c_emit_delta(st->s, out,
			    C_DELTA_JSON, t, len) == -1)
				return -1;
		}
		break;
	}
	return 0;
}

static int
dec_block_delta(struct cl_dec *st, json_object *d)
{
	json_object *delta, *pj;
	const char *type, *t;
	size_t len;
	int idx;

	idx = c_json_get(d, "index") != NULL ?
	    json_object_get_int(c_json_get(d, "index")) : -1;
	if (st->ign && idx == st->ign_src)
		return 0;
	if (!st->open || (idx >= 0 && idx != st->open_src))
		return 0;
	delta = c_json_get(d, "delta");
	type = c_json_str(delta, "type", NULL);
	if (type == NULL)
		return 0;
	if (strcmp(type, "text_delta") == 0) {
		t = c_json_str(delta, "text", &len);
		return t ? c_emit_delta(st->s, st->next - 1, C_DELTA_TEXT, t,
		    len) : 0;
	}
	if (strcmp(type, "thinking_delta") == 0) {
		t = c_json_str(delta, "thinking", &len);
		return t ? c_emit_delta(st->s, st->next - 1, C_DELTA_THINKING,
		    t, len) : 0;
	}
	if (strcmp(type, "signature_delta") == 0) {
		t = c_json_str(delta, "signature", &len);
		return t ? c_emit_delta(st->s, st->next - 1,
		    C_DELTA_SIGNATURE, t, len) : 0;
	}
	if (strcmp(type, "input_json_delta") == 0) {
		pj = c_json_get(delta, "partial_json");
		if (pj == NULL || json_object_is_type(pj, json_type_null))
			return 0;
		t = input_text(pj, &len);
		return t ? c_emit_delta(st->s, st->next - 1, C_DELTA_JSON, t,
		    len) : 0;
	}
	return 0;		/* citations_delta and newer kinds */
}

static int
dec_message_delta(struct cl_dec *st, json_object *d)
{
	json_object *delta = c_json_get(d, "delta");
	const char *s;

	s = c_json_str(delta, "stop_reason", NULL);
	if (s != NULL)
		st->stop = cl_stop(s);
	s = c_json_str(delta, "stop_sequence", NULL);
	if (s != NULL) {
		st->stop_seq = arena_strdup(st->a, s);
		if (st->stop_seq == NULL)
			return -1;
	}
	cl_usage_merge(&st->u, c_json_get(d, "usage"));
	return 0;
}

int
claude_stream_decode(void *state, const char *event, json_object *data,
    char *err, size_t errlen)
{
	struct cl_dec *st = state;
	struct c_event pe;
	json_object *m;
	const char *type;
	int r = 0;

	if (st == NULL) {
		seterr(err, errlen, "no decoder");
		return -1;
	}
	if (st->finished || st->failed || data == NULL)
		return 0;
	if (!json_object_is_type(data, json_type_object)) {
		seterr(err, errlen, "stream event data is not a JSON object");
		return -1;
	}
	type = c_json_str(data, "type", NULL);
	if (type == NULL)
		type = event;
	if (type == NULL)
		return 0;

	if (strcmp(type, "message_start") == 0) {
		m = c_json_get(data, "message");
		cl_usage_merge(&st->u, c_json_get(m, "usage"));
		r = dec_start(st, c_json_str(m, "id", NULL), c_json_str(m, "model", NULL));
	} else if (strcmp(type, "content_block_start") == 0)
		r = dec_block_start(st, data);
	else if (strcmp(type, "content_block_delta") == 0)
		r = dec_block_delta(st, data);
	else if (strcmp(type, "content_block_stop") == 0) {
		m = c_json_get(data, "index");
		if (st->ign && m != NULL &&
		    json_object_get_int(m) == st->ign_src)
			st->ign = 0;
		else if (st->open && (m == NULL ||
		    json_object_get_int(m) == st->open_src))
			r = dec_close(st);
	} else if (strcmp(type, "message_delta") == 0)
		r = dec_message_delta(st, data);
	else if (strcmp(type, "message_stop") == 0)
		r = dec_finish(st);
	else if (strcmp(type, "ping") == 0) {
		memset(&pe, 0, sizeof(pe));
		pe.type = C_EV_PING;
		c_usage_init(&pe.usage);
		r = st->s->event(st->s, &pe);
	} else if (strcmp(type, "error") == 0) {
		st->failed = 1;
		r = emit_cl_error(st->s, c_json_get(data, "error"));
	}
	if (r == -1) {
		st->failed = 1;
		seterr(err, errlen, "the consumer stopped");
		return -1;
	}
	return 0;
}

int
claude_stream_end(void *state, char *err, size_t errlen)
{
	struct cl_dec *st = state;

	if (st == NULL) {
		seterr(err, errlen, "no decoder");
		return -1;
	}
	if (st->finished || st->failed)
		return 0;
	st->failed = 1;
	seterr(err, errlen, "stream ended early");
	(void)c_emit_error(st->s, 502, "api_error", "stream ended early");
	return -1;
}

/* ---- backend side: model lists and errors ------------------------------- */

int
claude_decode_models(json_object *body, struct arena *a,
    struct c_model **out, size_t *np)
{
	struct c_model *m;
	json_object *arr, *e;
	const char *id, *dn, *ca;
	size_t i, n, k = 0;
	int64_t v;

	*out = NULL;
	*np = 0;
	arr = c_json_get(body, "data");
	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		arr = c_json_get(body, "models");
	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return -1;
	n = json_object_array_length(arr);
	if (n == 0)
		return 0;
	m = arena_alloc(a, n * sizeof(*m));
	if (m == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		id = c_json_str(e, "id", NULL);
		if (id == NULL || *id == '\0')
			id = c_json_str(e, "name", NULL);
		if (id != NULL && strncmp(id, "models/", 7) == 0)
			id += 7;
		if (id == NULL || *id == '\0')
			continue;
		dn = c_json_str(e, "display_name", NULL);
		if (dn == NULL)
			dn = c_json_str(e, "displayName", NULL);
		m[k].id = arena_strdup(a, id);
		m[k].display_name = dn != NULL ? arena_strdup(a, dn) : NULL;
		m[k].owned_by = "anthropic";
		if (m[k].id == NULL || (dn != NULL &&
		    m[k].display_name == NULL))
			return -1;
		ca = c_json_str(e, "created_at", NULL);
		v = ca != NULL ? iso8601_parse(ca) : -1;
		if (v >= 0)
			m[k].created = v / 1000;
		else if (jcount(e, "created") > 0)
			m[k].created = jcount(e, "created");
		v = jcount(e, "max_input_tokens");
		if (v <= 0)
			v = jcount(e, "inputTokenLimit");
		if (v > 0)
			m[k].input_limit = v;
		v = jcount(e, "max_tokens");
		if (v <= 0)
			v = jcount(e, "outputTokenLimit");
		if (v > 0)
			m[k].output_limit = v;
		k++;
	}
	*out = m;
	*np = k;
	return 0;
}

/* Copy at most CL_MSG_MAX bytes of s, never cutting a UTF-8 sequence. */
static void
copy_msg(char *dst, size_t dstlen, const char *s, size_t len)
{
	size_t max = dstlen - 1 < CL_MSG_MAX ? dstlen - 1 : CL_MSG_MAX;

	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
}

void
claude_decode_error(int status, json_object *body, const char *raw,
    size_t rawlen, struct c_error *out)
{
	json_object *eo;
	const char *msg = NULL;
	size_t len = 0;

	out->status = status >= 100 && status <= 599 ? status : 500;
	out->etype = NULL;
	out->message[0] = '\0';
	eo = c_json_get(body, "error");
	if (eo != NULL && json_object_is_type(eo, json_type_object)) {
		msg = c_json_str(eo, "message", &len);
		out->etype = cl_error_type(c_json_str(eo, "type", NULL), NULL);
	} else if (eo != NULL && json_object_is_type(eo, json_type_string)) {
		msg = json_object_get_string(eo);
		len = (size_t)json_object_get_string_len(eo);
	}
	if (msg == NULL)
		msg = c_json_str(body, "message", &len);
	if (msg == NULL && raw != NULL && rawlen > 0) {
		msg = raw;
		len = rawlen;
	}
	if (msg != NULL && len > 0)
		copy_msg(out->message, sizeof(out->message), msg, len);
	else
		(void)snprintf(out->message, sizeof(out->message),
		    "upstream returned HTTP %d", status);
}

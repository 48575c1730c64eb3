/*
 * gemini_resp.c: Gemini (v1beta generateContent) answers, both ways.
 *
 * Client side: a c_response or a stream of canonical events becomes
 * GenerateContentResponse JSON (conversion.md §4, §5.4, §5.7 E3): text
 * parts, thought parts only for clients that asked for them, whole
 * functionCall parts, finish reasons from the official set (STOP after
 * a function call, never TOOL_CALLS: DESIGN decision 9) and
 * usageMetadata.  Streams are SSE (alt=sse) or one JSON array; every
 * write() is one complete event or array element.  Thought signatures
 * are not passed on to Gemini clients: the options do not say whether
 * the backend was Gemini (§5.7 E3), and a foreign signature sent back
 * later would be rejected.  Model lists and single models follow §6.3.
 *
 * Backend side: GenerateContentResponse bodies and stream chunks
 * become canonical events (§5.6 C): text and thought parts open blocks,
 * each functionCall is one whole tool_use block, usage and finish
 * reason come from the last chunk.  Also model lists and error bodies.
 *
 * Stream encoder and decoder state lives in the request's arena; the
 * encoder's scratch buffers live only during one event, so nothing
 * leaks when a stream is abandoned.  Never logs message content.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gemini_int.h"
#include "jsonw.h"

#define ARGS_MAX	(64 * 1024 * 1024)	/* one tool call's arguments */
#define DEFAULT_INPUT_LIMIT	32768		/* §6.3 (HEAD values) */
#define DEFAULT_OUTPUT_LIMIT	65534

/* ---- shared pieces ------------------------------------------------------- */

static int64_t
nz(int64_t v)
{
	return v < 0 ? 0 : v;
}

/* IR stop reason → Gemini finishReason (§4.3). */
static const char *
finish_str(enum c_stop s)
{
	switch (s) {
	case C_STOP_MAX_TOKENS:
	case C_STOP_CONTEXT_WINDOW:
		return "MAX_TOKENS";
	case C_STOP_REFUSAL:
		return "SAFETY";
	default:
		return "STOP";
	}
}

/* ,"usageMetadata":{...} (§4.4) */
static int
w_usage(struct buf *b, const struct c_usage *u)
{
	int64_t in = nz(u->input), out = nz(u->output), rs = nz(u->reasoning);
	int64_t cr = nz(u->cache_read), cand;
	int rc = 0;

	cand = out - rs < 0 ? 0 : out - rs;
	rc |= buf_addstr(b, ",\"usageMetadata\":{\"promptTokenCount\":");
	rc |= jw_int(b, in);
	rc |= buf_addstr(b, ",\"candidatesTokenCount\":");
	rc |= jw_int(b, cand);
	rc |= buf_addstr(b, ",\"totalTokenCount\":");
	rc |= jw_int(b, in + out);
	if (rs > 0) {
		rc |= buf_addstr(b, ",\"thoughtsTokenCount\":");
		rc |= jw_int(b, rs);
	}
	if (cr > 0) {
		rc |= buf_addstr(b, ",\"cachedContentTokenCount\":");
		rc |= jw_int(b, cr);
	}
	rc |= buf_addc(b, '}');
	return rc ? -1 : 0;
}

static int
w_text_part(struct buf *b, const char *text, size_t len, int thought)
{
	int rc = 0;

	rc |= buf_addstr(b, "{\"text\":");
	rc |= jw_str(b, text, len);
	if (thought)
		rc |= buf_addstr(b, ",\"thought\":true");
	rc |= buf_addc(b, '}');
	return rc ? -1 : 0;
}

/* args: the tool input JSON; anything but an object becomes {}. */
static int
w_call_part(struct buf *b, const char *name, const char *id,
    const char *args, size_t len)
{
	struct json_tokener *tok;
	json_object *o = NULL;
	int rc = 0;

	if (args != NULL && len > 0 && len < INT32_MAX) {
		tok = json_tokener_new();
		if (tok != NULL) {
			o = json_tokener_parse_ex(tok, args, (int)len);
			json_tokener_free(tok);
		}
		if (o != NULL && !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			o = NULL;
		}
	}
	rc |= buf_addstr(b, "{\"functionCall\":{\"name\":");
	rc |= jw_cstr(b, name ? name : "");
	rc |= buf_addstr(b, ",\"args\":");
	rc |= o ? jw_obj(b, o) : buf_addstr(b, "{}");
	if (id != NULL) {
		rc |= buf_addstr(b, ",\"id\":");
		rc |= jw_cstr(b, id);
	}
	rc |= buf_addstr(b, "}}");
	json_object_put(o);
	return rc ? -1 : 0;
}

static int
w_cand_open(struct buf *b)
{
	return buf_addstr(b,
	    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[");
}

/* Close the parts and the candidate, then the response's own members. */
static int
w_cand_close(struct buf *b, const char *finish, const struct c_usage *u,
    const char *model, const char *rid)
{
	int rc = 0;

	rc |= buf_addstr(b, "]}");
	if (finish != NULL) {
		rc |= buf_addstr(b, ",\"finishReason\":");
		rc |= jw_cstr(b, finish);
	}
	rc |= buf_addstr(b, ",\"index\":0}]");
	if (u != NULL)
		rc |= w_usage(b, u);
	if (model != NULL) {
		rc |= buf_addstr(b, ",\"modelVersion\":");
		rc |= jw_cstr(b, model);
	}
	if (rid != NULL) {
		rc |= buf_addstr(b, ",\"responseId\":");
		rc |= jw_cstr(b, rid);
	}
	rc |= buf_addc(b, '}');
	return rc ? -1 : 0;
}

/* ---- client side: a whole answer ----------------------------------------- */

int
gemini_encode_response(const struct c_response *r, const struct c_opts *o,
    struct buf *out)
{
	const struct c_rblock *bl;
	size_t i, n = 0;
	int rc = 0;

	if (r->error_status != 0)
		return dialect_error_body(out, DIALECT_GEMINI, r->error_status,
		    r->error_message ? r->error_message : "upstream error");
	rc |= w_cand_open(out);
	for (i = 0; i < r->nblocks; i++) {
		bl = &r->blocks[i];
		switch (bl->type) {
		case C_BLOCK_THINKING:
			if (!o->include_thoughts || bl->text.len == 0)
				continue;
			break;
		case C_BLOCK_TEXT:
			if (bl->text.len == 0)
				continue;
			break;
		default:
			break;
		}
		if (n++ > 0)
			rc |= buf_addc(out, ',');
		if (bl->type == C_BLOCK_TOOL_USE)
			rc |= w_call_part(out, bl->name, bl->id, bl->text.data,
			    bl->text.len);
		else
			rc |= w_text_part(out, bl->text.data ? bl->text.data :
			    "", bl->text.len, bl->type == C_BLOCK_THINKING);
	}
	rc |= w_cand_close(out, finish_str(r->stop), &r->usage,
	    o->client_model, r->id);
	return rc ? -1 : 0;
}

/* ---- client side: streams ------------------------------------------------ */

/*
 * The stream encoder (§5.4, §5.7 E3).  Chunks are written as they come:
 * a text or (wanted) thought delta is one chunk with one part; a tool
 * call is buffered until its block stops and then written as one
 * functionCall chunk; MESSAGE_STOP writes the final chunk with
 * finishReason and usageMetadata and, in array mode, the closing "]".
 */
struct gsenc {
	struct c_sink		 sink;
	struct c_writer		*w;
	struct arena		*a;
	const char		*model;		/* arena copies */
	const char		*rid;
	int			 sse;
	int			 thoughts;
	int			 nelem;		/* elements or events written */
	int			 done;		/* nothing more to write */
	int			 tool_open;	/* a tool call is buffering */
	const char		*tool_id;
	const char		*tool_name;
	char			*args;
	size_t			 args_len, args_cap;
	enum c_stop		 stop;
	struct c_usage		 usage;
};

/* Start one element: "data: " (SSE), "[" or ",\r\n" (array). */
static int
se_begin(struct gsenc *g, struct buf *b)
{
	buf_init(b, 0);
	if (g->sse)
		return buf_addstr(b, "data: ");
	return buf_addstr(b, g->nelem == 0 ? "[" : ",\r\n");
}

/* Finish and write one element; frees b. */
static int
se_flush(struct gsenc *g, struct buf *b)
{
	int rc;

	if (g->sse && buf_addstr(b, "\n\n") == -1)
		return -1;
	rc = g->w->write(g->w, b->data, b->len);
	buf_free(b);
	if (rc == -1) {
		g->done = 1;
		return -1;
	}
	g->nelem++;
	return 0;
}

static int
se_fail(struct gsenc *g, struct buf *b)
{
	buf_free(b);
	g->done = 1;
	return -1;
}

static int
se_text(struct gsenc *g, const char *text, size_t len, int thought)
{
	struct buf b;

	if (se_begin(g, &b) == -1 || w_cand_open(&b) == -1 ||
	    w_text_part(&b, text, len, thought) == -1 ||
	    w_cand_close(&b, NULL, NULL, g->model, g->rid) == -1)
		return se_fail(g, &b);
	return se_flush(g, &b);
}

static int
se_tool(struct gsenc *g)
{
	struct buf b;

	g->tool_open = 0;
	if (se_begin(g, &b) == -1 || w_cand_open(&b) == -1 ||
	    w_call_part(&b, g->tool_name, g->tool_id, g->args,
	    g->args_len) == -1 ||
	    w_cand_close(&b, NULL, NULL, g->model, g->rid) == -1)
		return se_fail(g, &b);
	return se_flush(g, &b);
}

static int
se_args(struct gsenc *g, const char *s, size_t len)
{
	size_t ncap;
	char *p;

	if (len > ARGS_MAX || g->args_len + len > ARGS_MAX)
		return -1;
	if (g->args_len + len + 1 > g->args_cap) {
		ncap = g->args_cap ? g->args_cap : 256;
		while (ncap < g->args_len + len + 1)
			ncap *= 2;
		p = arena_realloc(g->a, g->args, g->args_cap, ncap);
		if (p == NULL)
			return -1;
		g->args = p;
		g->args_cap = ncap;
	}
	memcpy(g->args + g->args_len, s, len);
	g->args_len += len;
	g->args[g->args_len] = '\0';
	return 0;
}

static int
se_final(struct gsenc *g)
{
	struct buf b;

	if (se_begin(g, &b) == -1 || w_cand_open(&b) == -1 ||
	    buf_addstr(&b, "{\"text\":\"\"}") == -1 ||
	    w_cand_close(&b, finish_str(g->stop), &g->usage, g->model,
	    g->rid) == -1)
		return se_fail(g, &b);
	if (se_flush(g, &b) == -1)
		return -1;
	g->done = 1;
	if (!g->sse && g->w->write(g->w, "]", 1) == -1)
		return -1;
	return 0;
}

static int
se_error(struct gsenc *g, const struct c_event *e)
{
	struct buf b;

	if (se_begin(g, &b) == -1 || dialect_error_body(&b, DIALECT_GEMINI,
	    e->status > 0 ? e->status : 500, e->message ? e->message :
	    "upstream error") == -1)
		return se_fail(g, &b);
	if (se_flush(g, &b) == -1)
		return -1;
	g->done = 1;
	if (!g->sse && g->w->write(g->w, "]", 1) == -1)
		return -1;
	return 0;
}

static void
merge_usage(struct c_usage *dst, const struct c_usage *u)
{
	if (u->input >= 0)
		dst->input = u->input;
	if (u->output >= 0)
		dst->output = u->output;
	if (u->cache_read >= 0)
		dst->cache_read = u->cache_read;
	if (u->cache_write >= 0)
		dst->cache_write = u->cache_write;
	if (u->reasoning >= 0)
		dst->reasoning = u->reasoning;
}

static int
se_event(struct c_sink *sink, const struct c_event *e)
{
	struct gsenc *g = (struct gsenc *)sink;

	if (g->done)
		return 0;
	switch (e->type) {
	case C_EV_MESSAGE_START:
		if (e->id != NULL && g->rid == NULL)
			g->rid = arena_strdup(g->a, e->id);
		merge_usage(&g->usage, &e->usage);
		return 0;
	case C_EV_BLOCK_START:
		if (g->tool_open && se_tool(g) == -1)
			return -1;
		if (e->block != C_BLOCK_TOOL_USE)
			return 0;
		g->tool_open = 1;
		g->tool_id = e->id ? arena_strdup(g->a, e->id) : NULL;
		g->tool_name = arena_strdup(g->a, e->name ? e->name : "");
		g->args_len = 0;
		if (g->tool_name == NULL || (e->id != NULL && g->tool_id ==
		    NULL))
			return -1;
		return 0;
	case C_EV_BLOCK_DELTA:
		switch (e->delta) {
		case C_DELTA_TEXT:
			return se_text(g, e->text, e->len, 0);
		case C_DELTA_THINKING:
			return g->thoughts ? se_text(g, e->text, e->len, 1) : 0;
		case C_DELTA_JSON:
			if (g->tool_open && se_args(g, e->text, e->len) == -1) {
				g->done = 1;
				return -1;
			}
			return 0;
		default:
			return 0;	/* signatures: see the top of the file */
		}
	case C_EV_BLOCK_STOP:
		return g->tool_open ? se_tool(g) : 0;
	case C_EV_MESSAGE_DELTA:
		if (e->stop != C_STOP_NONE)
			g->stop = e->stop;
		merge_usage(&g->usage, &e->usage);
		return 0;
	case C_EV_MESSAGE_STOP:
		if (g->tool_open && se_tool(g) == -1)
			return -1;
		return se_final(g);
	case C_EV_ERROR:
		return se_error(g, e);
	case C_EV_PING:
		/* SSE comment; nothing in JSON-array mode (DESIGN 5) */
		if (g->sse && g->w->write(g->w, ": keep-alive\n\n", 14) == -1) {
			g->done = 1;
			return -1;
		}
		return 0;
	}
	return 0;
}

struct c_sink *
gemini_stream_encoder(struct arena *a, struct c_writer *w,
    const struct c_opts *o)
{
	struct gsenc *g;

	g = arena_alloc(a, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->sink.event = se_event;
	g->w = w;
	g->a = a;
	if (o->client_model != NULL) {
		g->model = arena_strdup(a, o->client_model);
		if (g->model == NULL)
			return NULL;
	}
	g->sse = o->gemini_sse;
	g->thoughts = o->include_thoughts;
	g->stop = C_STOP_NONE;
	c_usage_init(&g->usage);
	return &g->sink;
}

/* ---- client side: model lists (§6.3) ------------------------------------- */

/* A JSON string of prefix followed by s. */
static int
w_str2(struct buf *b, const char *prefix, const char *s)
{
	struct buf t;
	int rc;

	buf_init(&t, 0);
	if (buf_addstr(&t, prefix) == -1 || buf_addstr(&t, s) == -1)
		return -1;
	rc = jw_str(b, t.data, t.len);
	buf_free(&t);
	return rc;
}

static int
w_model(struct buf *b, const struct c_model *m)
{
	const char *id = m->id ? m->id : "";
	int rc = 0;

	if (strncmp(id, "models/", 7) == 0)
		id += 7;
	rc |= buf_addstr(b, "{\"name\":");
	rc |= w_str2(b, "models/", id);
	rc |= buf_addstr(b, ",\"version\":\"1.0.0\",\"displayName\":");
	rc |= jw_cstr(b, m->display_name && *m->display_name ?
	    m->display_name : id);
	rc |= buf_addstr(b, ",\"description\":");
	rc |= w_str2(b, "A generative model for text and chat generation. "
	    "ID: ", id);
	rc |= buf_addstr(b, ",\"inputTokenLimit\":");
	rc |= jw_int(b, m->input_limit > 0 ? m->input_limit :
	    DEFAULT_INPUT_LIMIT);
	rc |= buf_addstr(b, ",\"outputTokenLimit\":");
	rc |= jw_int(b, m->output_limit > 0 ? m->output_limit :
	    DEFAULT_OUTPUT_LIMIT);
	rc |= buf_addstr(b, ",\"supportedGenerationMethods\":"
	    "[\"generateContent\",\"streamGenerateContent\"]}");
	return rc ? -1 : 0;
}

int
gemini_encode_models(const struct c_model *m, size_t n,
    const struct c_opts *o, struct buf *out)
{
	size_t i;

	(void)o;
	if (buf_addstr(out, "{\"models\":[") == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (i > 0 && buf_addc(out, ',') == -1)
			return -1;
		if (w_model(out, &m[i]) == -1)
			return -1;
	}
	return buf_addstr(out, "]}");
}

int
gemini_encode_model(const struct c_model *m, const struct c_opts *o,
    struct buf *out)
{
	(void)o;
	return w_model(out, m);
}

/* ---- backend side: responses and streams (§5.6 C) ------------------------ */

/*
 * Decoder state.  Blocks are numbered in order of appearance; a text
 * or thinking block stays open while parts of its kind follow, a
 * functionCall is a block of its own.  Usage is cumulative in Gemini
 * chunks, so the latest values win; the finish reason is remembered
 * until the stream ends (EOF is Gemini's only terminator).
 */
struct gsdec {
	struct c_sink		*s;
	int			 started;
	int			 errored;	/* an error event went out */
	int			 ended;
	int			 open;		/* enum c_block, or -1 */
	int			 index;
	int			 next;
	int			 tool_seen;
	enum c_stop		 stop;		/* C_STOP_NONE: none seen */
	int64_t			 prompt, tooluse, cached, cands, thoughts;
};

static void
sd_init(struct gsdec *d, struct c_sink *s)
{
	memset(d, 0, sizeof(*d));
	d->s = s;
	d->open = -1;
	d->stop = C_STOP_NONE;
}

static int
sd_fail(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

static int
sd_close(struct gsdec *d)
{
	if (d->open < 0)
		return 0;
	d->open = -1;
	return c_emit_block_stop(d->s, d->index);
}

/* open_block() of §5.6: a new block unless one of this kind is open. */
static int
sd_open(struct gsdec *d, enum c_block kind, const char *id, const char *name)
{
	if (d->open >= 0 && (d->open != (int)kind ||
	    kind == C_BLOCK_TOOL_USE) && sd_close(d) == -1)
		return -1;
	if (d->open >= 0)
		return 0;
	d->index = d->next++;
	d->open = (int)kind;
	return c_emit_block_start(d->s, d->index, kind, id, name);
}

static int
sd_delta(struct gsdec *d, enum c_block kind, enum c_delta dt, const char *s,
    size_t len)
{
	if (len == 0)
		return 0;
	if (sd_open(d, kind, NULL, NULL) == -1)
		return -1;
	return c_emit_delta(d->s, d->index, dt, s, len);
}

/* Gemini finishReason → IR (§4.3). */
static enum c_stop
sd_finish(const char *f)
{
	static const char *const refusal[] = { "SAFETY", "RECITATION",
	    "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
	    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "IMAGE_OTHER",
	    "NO_IMAGE", "MODEL_ARMOR" };
	size_t i;

	if (strcmp(f, "MAX_TOKENS") == 0)
		return C_STOP_MAX_TOKENS;
	for (i = 0; i < sizeof(refusal) / sizeof(refusal[0]); i++)
		if (strcmp(f, refusal[i]) == 0)
			return C_STOP_REFUSAL;
	return C_STOP_END_TURN;
}

static int
sd_is_call_error(const char *f)
{
	return strcmp(f, "MALFORMED_FUNCTION_CALL") == 0 ||
	    strcmp(f, "UNEXPECTED_TOOL_CALL") == 0 ||
	    strcmp(f, "TOO_MANY_TOOL_CALLS") == 0 ||
	    strcmp(f, "MISSING_THOUGHT_SIGNATURE") == 0;
}

static const char *
sd_str(json_object *o, const char *camel, const char *snake, size_t *len)
{
	json_object *v;

	v = gemini_field(o, camel, snake, NULL);
	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* A text delta made of pieces; the temporary is freed here. */
static int
sd_text3(struct gsdec *d, const char *a, const char *b, size_t blen,
    const char *c)
{
	struct buf t;
	int rc;

	buf_init(&t, 0);
	if (buf_addstr(&t, a) == -1 || buf_add(&t, b, blen) == -1 ||
	    buf_addstr(&t, c) == -1)
		return -1;
	rc = sd_delta(d, C_BLOCK_TEXT, C_DELTA_TEXT, t.data, t.len);
	buf_free(&t);
	return rc;
}

static int
sd_part(struct gsdec *d, json_object *p)
{
	json_object *v, *th, *args;
	const char *s, *sig, *mt;
	char head[160];
	size_t len, slen;
	int rc;

	if (!json_object_is_type(p, json_type_object))
		return 0;
	s = sd_str(p, "text", NULL, &len);
	if (s != NULL) {
		th = gemini_field(p, "thought", NULL, NULL);
		if (!json_object_get_boolean(th))
			return sd_delta(d, C_BLOCK_TEXT, C_DELTA_TEXT, s, len);
		sig = sd_str(p, "thoughtSignature", "thought_signature", &slen);
		if (len == 0 && (sig == NULL || slen == 0))
			return 0;
		if (sd_open(d, C_BLOCK_THINKING, NULL, NULL) == -1 ||
		    c_emit_delta(d->s, d->index, C_DELTA_THINKING, s,
		    len) == -1)
			return -1;
		if (sig != NULL)
			return c_emit_delta(d->s, d->index, C_DELTA_SIGNATURE,
			    sig, slen);
		return 0;
	}
	v = gemini_field(p, "functionCall", "function_call", NULL);
	if (json_object_is_type(v, json_type_object)) {
		d->tool_seen = 1;
		s = sd_str(v, "name", NULL, NULL);
		args = gemini_field(v, "args", "arguments", NULL);
		/* no id upstream: NULL, and each client encoder makes one
		 * with its own prefix (§4.2) */
		if (sd_open(d, C_BLOCK_TOOL_USE, sd_str(v, "id", NULL, NULL),
		    s ? s : "") == -1)
			return -1;
		if (json_object_is_type(args, json_type_object))
			s = gemini_json_text(args, &len);
		else {
			s = "{}";
			len = 2;
		}
		rc = c_emit_delta(d->s, d->index, C_DELTA_JSON, s, len);
		if (rc == -1)
			return -1;
		return sd_close(d);
	}
	v = gemini_field(p, "inlineData", "inline_data", NULL);
	if (json_object_is_type(v, json_type_object)) {
		mt = sd_str(v, "mimeType", "mime_type", NULL);
		s = sd_str(v, "data", NULL, &len);
		if (s == NULL)
			return 0;
		if (mt == NULL)
			mt = "image/png";
		if (strlen(mt) > 128)
			return 0;
		snprintf(head, sizeof(head), "![image](data:%s;base64,", mt);
		return sd_text3(d, head, s, len, ")");
	}
	v = gemini_field(p, "executableCode", "executable_code", NULL);
	if (json_object_is_type(v, json_type_object)) {
		s = sd_str(v, "code", NULL, &len);
		return s ? sd_text3(d, "\n```\n", s, len, "\n```\n") : 0;
	}
	v = gemini_field(p, "codeExecutionResult", "code_execution_result",
	    NULL);
	if (json_object_is_type(v, json_type_object)) {
		s = sd_str(v, "output", NULL, &len);
		return s ? sd_text3(d, "\n```\n", s, len, "\n```\n") : 0;
	}
	return 0;
}

static void
sd_usage(struct gsdec *d, json_object *u)
{
	static const struct {
		const char	*camel, *snake;
		size_t		 off;
	} f[] = {
		{ "promptTokenCount", "prompt_token_count",
		    offsetof(struct gsdec, prompt) },
		{ "toolUsePromptTokenCount", "tool_use_prompt_token_count",
		    offsetof(struct gsdec, tooluse) },
		{ "cachedContentTokenCount", "cached_content_token_count",
		    offsetof(struct gsdec, cached) },
		{ "candidatesTokenCount", "candidates_token_count",
		    offsetof(struct gsdec, cands) },
		{ "thoughtsTokenCount", "thoughts_token_count",
		    offsetof(struct gsdec, thoughts) },
	};
	json_object *v;
	int64_t n;
	size_t i;

	if (!json_object_is_type(u, json_type_object))
		return;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		v = gemini_field(u, f[i].camel, f[i].snake, NULL);
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			continue;
		n = json_object_get_int64(v);
		*(int64_t *)(void *)((char *)d + f[i].off) = n < 0 ? 0 : n;
	}
}

/* An error object of a body or chunk (§5.9): one error event. */
static int
sd_error(struct gsdec *d, json_object *e)
{
	json_object *code;
	const char *msg;
	int64_t status = 500;

	code = gemini_field(e, "code", NULL, NULL);
	if (json_object_is_type(code, json_type_int)) {
		status = json_object_get_int64(code);
		if (status < 100 || status > 599)
			status = 500;
	}
	msg = sd_str(e, "message", NULL, NULL);
	d->errored = 1;
	return c_emit_error(d->s, (int)status, NULL,
	    msg ? msg : "upstream error");
}

static int
sd_chunk(struct gsdec *d, json_object *c, char *err, size_t errlen)
{
	json_object *v, *cand, *content, *parts, *pf;
	const char *fr, *fm;
	size_t i, n, len;
	int have_cands = 0;

	if (d->errored || d->ended)
		return 0;
	if (!json_object_is_type(c, json_type_object))
		return sd_fail(err, errlen, "gemini chunk is not an object");
	/* a Code Assist envelope {"response": {...}} */
	v = gemini_field(c, "response", NULL, NULL);
	if (json_object_is_type(v, json_type_object) &&
	    gemini_field(c, "candidates", NULL, NULL) == NULL)
		c = v;
	v = gemini_field(c, "error", NULL, NULL);
	if (json_object_is_type(v, json_type_object))
		return sd_error(d, v) == -1 ? sd_fail(err, errlen,
		    "event refused") : 0;
	if (!d->started) {
		d->started = 1;
		if (c_emit_start(d->s, sd_str(c, "responseId", "response_id",
		    NULL), sd_str(c, "modelVersion", "model_version", NULL),
		    NULL) == -1)
			return sd_fail(err, errlen, "event refused");
	}
	v = gemini_field(c, "candidates", NULL, NULL);
	cand = json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) > 0 ?
	    json_object_array_get_idx(v, 0) : NULL;
	if (json_object_is_type(cand, json_type_object)) {
		have_cands = 1;
		content = gemini_field(cand, "content", NULL, NULL);
		parts = gemini_field(content, "parts", NULL, NULL);
		if (json_object_is_type(parts, json_type_array)) {
			n = json_object_array_length(parts);
			for (i = 0; i < n; i++)
				if (sd_part(d, json_object_array_get_idx(parts,
				    i)) == -1)
					return sd_fail(err, errlen,
					    "event refused");
		}
		fr = sd_str(cand, "finishReason", "finish_reason", NULL);
		if (fr != NULL) {
			d->stop = sd_finish(fr);
			fm = sd_str(cand, "finishMessage", "finish_message",
			    &len);
			if (sd_is_call_error(fr) && fm != NULL && len > 0 &&
			    sd_text3(d, "Error: ", fm, len, "") == -1)
				return sd_fail(err, errlen, "event refused");
		}
	}
	sd_usage(d, gemini_field(c, "usageMetadata", "usage_metadata", NULL));
	pf = gemini_field(c, "promptFeedback", "prompt_feedback", NULL);
	if (!have_cands && sd_str(pf, "blockReason", "block_reason", NULL) !=
	    NULL)
		d->stop = C_STOP_REFUSAL;
	return 0;
}

/* finish_and_end() of §5.6. */
static int
sd_end(struct gsdec *d, char *err, size_t errlen)
{
	struct c_usage u;
	enum c_stop stop;

	if (d->errored || d->ended)
		return 0;
	if (!d->started)
		return sd_fail(err, errlen,
		    "gemini stream ended before any chunk");
	d->ended = 1;
	stop = d->stop == C_STOP_NONE ? C_STOP_END_TURN : d->stop;
	if (d->tool_seen && stop == C_STOP_END_TURN)
		stop = C_STOP_TOOL_USE;
	c_usage_init(&u);
	u.input = d->prompt + d->tooluse;
	u.output = d->cands + d->thoughts;
	u.cache_read = d->cached;
	u.cache_write = 0;
	u.reasoning = d->thoughts;
	if (sd_close(d) == -1 ||
	    c_emit_message_delta(d->s, stop, NULL, &u) == -1 ||
	    c_emit_message_stop(d->s) == -1)
		return sd_fail(err, errlen, "event refused");
	return 0;
}

int
gemini_decode_response(json_object *body, const struct c_opts *o,
    struct c_sink *s, char *err, size_t errlen)
{
	struct gsdec d;
	size_t i, n;

	(void)o;
	sd_init(&d, s);
	if (json_object_is_type(body, json_type_array)) {
		/* a streamed answer collected whole: its elements in turn */
		n = json_object_array_length(body);
		for (i = 0; i < n; i++)
			if (sd_chunk(&d, json_object_array_get_idx(body, i),
			    err, errlen) == -1)
				return -1;
	} else if (sd_chunk(&d, body, err, errlen) == -1)
		return -1;
	return sd_end(&d, err, errlen);
}

void *
gemini_stream_decoder(struct arena *a, struct c_sink *s,
    const struct c_opts *o)
{
	struct gsdec *d;

	(void)o;
	d = arena_alloc(a, sizeof(*d));
	if (d == NULL)
		return NULL;
	sd_init(d, s);
	return d;
}

int
gemini_stream_decode(void *state, const char *event, json_object *data,
    char *err, size_t errlen)
{
	struct gsdec *d = state;
	size_t i, n;

	(void)event;	/* Gemini SSE has no event names */
	if (data == NULL)
		return 0;
	if (json_object_is_type(data, json_type_array)) {
		n = json_object_array_length(data);
		for (i = 0; i < n; i++)
			if (sd_chunk(d, json_object_array_get_idx(data, i), err,
			    errlen) == -1)
				return -1;
		return 0;
	}
	return sd_chunk(d, data, err, errlen);
}

int
gemini_stream_end(void *state, char *err, size_t errlen)
{
	return sd_end(state, err, errlen);
}

/* ---- backend side: model lists and errors -------------------------------- */

int
gemini_decode_models(json_object *body, struct arena *a,
    struct c_model **out, size_t *n)
{
	json_object *list, *m, *v;
	struct c_model *r;
	const char *name, *dn;
	size_t i, len, k = 0;

	*out = NULL;
	*n = 0;
	list = gemini_field(body, "models", NULL, NULL);
	if (!json_object_is_type(list, json_type_array))
		return -1;
	len = json_object_array_length(list);
	r = arena_alloc(a, (len + 1) * sizeof(*r));
	if (r == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		m = json_object_array_get_idx(list, i);
		name = sd_str(m, "name", NULL, NULL);
		if (name == NULL || *name == '\0')
			continue;
		if (strncmp(name, "models/", 7) == 0)
			name += 7;
		r[k].id = arena_strdup(a, name);
		dn = sd_str(m, "displayName", "display_name", NULL);
		r[k].display_name = dn ? arena_strdup(a, dn) : NULL;
		r[k].owned_by = "google";
		v = gemini_field(m, "inputTokenLimit", "input_token_limit",
		    NULL);
		if (json_object_is_type(v, json_type_int))
			r[k].input_limit = json_object_get_int64(v);
		v = gemini_field(m, "outputTokenLimit", "output_token_limit",
		    NULL);
		if (json_object_is_type(v, json_type_int))
			r[k].output_limit = json_object_get_int64(v);
		if (r[k].id == NULL ||
		    (dn != NULL && r[k].display_name == NULL))
			return -1;
		k++;
	}
	*out = r;
	*n = k;
	return 0;
}

/*
 * A Google error body {"error":{"code","message","status"}} (also the
 * first element of a JSON-array stream) into out (§7.3): the status is
 * kept; the message is the body's, a top-level "message", or the raw
 * text cut to 2000 bytes.
 */
void
gemini_decode_error(int status, json_object *body, const char *raw,
    size_t rawlen, struct c_error *out)
{
	json_object *e;
	const char *msg = NULL;

	memset(out, 0, sizeof(*out));
	out->status = status >= 100 && status <= 599 ? status : 500;
	out->etype = NULL;
	if (json_object_is_type(body, json_type_array) &&
	    json_object_array_length(body) > 0)
		body = json_object_array_get_idx(body, 0);
	e = gemini_field(body, "error", NULL, NULL);
	if (json_object_is_type(e, json_type_object))
		msg = sd_str(e, "message", NULL, NULL);
	else if (json_object_is_type(e, json_type_string))
		msg = json_object_get_string(e);
	if (msg == NULL)
		msg = sd_str(body, "message", NULL, NULL);
	if (msg != NULL && *msg != '\0') {
		snprintf(out->message, sizeof(out->message), "%.2000s", msg);
		return;
	}
	if (raw != NULL && rawlen > 0) {
		snprintf(out->message, sizeof(out->message), "%.*s",
		    (int)(rawlen > 2000 ? 2000 : rawlen), raw);
		return;
	}
	snprintf(out->message, sizeof(out->message),
	    "upstream returned HTTP %d", status);
}

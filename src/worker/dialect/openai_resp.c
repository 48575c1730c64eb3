/*
 * openai_resp.c: OpenAI Chat Completions answers in both directions.
 * Client side: a whole answer as one chat.completion body (conversion.md
 * §4) and the chat.completion.chunk stream (§5.2, encoder E1 of §5.7,
 * in-stream errors §5.9).  Backend side: an upstream chat.completion and
 * an upstream chunk stream (decoder B of §5.6) into canonical events.
 *
 * Ownership: encoder and decoder states live in the request's arena and
 * hold nothing else that needs freeing (buffers for one event are freed
 * before the event returns), so a stream abandoned half way leaks
 * nothing.  Event payloads are borrowed for the duration of one call.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonw.h"
#include "openai_int.h"
#include "util.h"

#define MAX_BLOCKS	65536	/* block indices an encoder keeps track of */
#define MAX_TOOLS	4096	/* tool calls one upstream answer may hold */

static int64_t
now_or(const struct c_opts *o)
{
	return o != NULL && o->created > 0 ? o->created : (int64_t)time(NULL);
}

static void
seterr(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* The JSON value of exactly s[0, len) (white space may follow), or
 * NULL; caller puts. */
static json_object *
parse_whole(const char *s, size_t len)
{
	json_tokener *tok;
	json_object *o;
	size_t end;

	if (len == 0 || len > INT_MAX)
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, s, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; o != NULL && end < len; end++) {
		if (s[end] != ' ' && s[end] != '\n' && s[end] != '\r' &&
		    s[end] != '\t') {
			json_object_put(o);
			o = NULL;
		}
	}
	return o;
}

/*
 * Tool arguments for an OpenAI client: compact JSON when the text parses
 * as an object, else verbatim ("{}" when empty); conversion.md §5.6 B:
 * invalid arguments are forwarded, not repaired, where a string is
 * expected.
 */
static int
args_write(struct buf *b, const char *s, size_t len)
{
	json_object *o;
	const char *t;
	size_t tlen;
	int r;

	if (s == NULL || len == 0)
		return jw_cstr(b, "{}");
	o = parse_whole(s, len);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return jw_str(b, s, len);
	}
	t = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &tlen);
	r = jw_str(b, t, tlen);
	json_object_put(o);
	return r;
}

/* ---- client side: a whole answer ----------------------------------------- */

/* The text of every block of one type, concatenated, as a JSON string. */
static int
blocks_write(struct buf *b, const struct c_response *resp, enum c_block t)
{
	struct buf s;
	size_t i;
	int r = 0;

	buf_init(&s, 0);
	for (i = 0; i < resp->nblocks; i++)
		if (resp->blocks[i].type == t && resp->blocks[i].text.len > 0)
			r |= buf_add(&s, resp->blocks[i].text.data,
			    resp->blocks[i].text.len);
	if (r == 0)
		r = jw_str(b, s.data != NULL ? s.data : "", s.len);
	buf_free(&s);
	return r;
}

int
openai_encode_response(const struct c_response *resp,
    const struct c_opts *o, struct buf *out)
{
	const struct c_rblock *bl;
	char id[40];
	size_t i, ntext = 0, nthink = 0, ntools = 0, k;
	int r = 0;

	for (i = 0; i < resp->nblocks; i++) {
		bl = &resp->blocks[i];
		if (bl->type == C_BLOCK_TOOL_USE)
			ntools++;
		else if (bl->type == C_BLOCK_THINKING && bl->text.len > 0)
			nthink++;
		else if (bl->type == C_BLOCK_TEXT && bl->text.len > 0)
			ntext++;
	}
	c_make_id(id, sizeof(id), "chatcmpl-");
	r |= buf_addstr(out, "{\"id\":");
	r |= jw_cstr(out, id);
	r |= buf_addf(out, ",\"object\":\"chat.completion\",\"created\":%lld,"
	    "\"model\":", (long long)now_or(o));
	r |= jw_cstr(out, o != NULL && o->client_model != NULL ?
	    o->client_model : resp->model != NULL ? resp->model : "");
	r |= buf_addstr(out, ",\"choices\":[{\"index\":0,\"message\":"
	    "{\"role\":\"assistant\",\"content\":");
	/* content: all text concatenated, a string or null (§4.2) */
	if (ntext > 0 || ntools == 0)
		r |= blocks_write(out, resp, C_BLOCK_TEXT);
	else
		r |= buf_addstr(out, "null");
	if (nthink > 0) {
		r |= buf_addstr(out, ",\"reasoning_content\":");
		r |= blocks_write(out, resp, C_BLOCK_THINKING);
	}
	if (ntools > 0) {
		r |= buf_addstr(out, ",\"tool_calls\":[");
		for (i = 0, k = 0; i < resp->nblocks; i++) {
			bl = &resp->blocks[i];
			if (bl->type != C_BLOCK_TOOL_USE)
				continue;
			if (k++ > 0)
				r |= buf_addc(out, ',');
			r |= buf_addstr(out, "{\"id\":");
			if (bl->id != NULL && *bl->id != '\0')
				r |= jw_cstr(out, bl->id);
			else {
				c_make_id(id, sizeof(id), "call_");
				r |= jw_cstr(out, id);
			}
			r |= buf_addstr(out, ",\"type\":\"function\","
			    "\"function\":{\"name\":");
			r |= jw_cstr(out, bl->name != NULL ? bl->name : "");
			r |= buf_addstr(out, ",\"arguments\":");
			r |= args_write(out, bl->text.data, bl->text.len);
			r |= buf_addstr(out, "}}");
		}
		r |= buf_addc(out, ']');
	}
	r |= buf_addstr(out, "},\"logprobs\":null,\"finish_reason\":");
	r |= jw_cstr(out, oai_finish_str(resp->stop, ntools > 0));
	r |= buf_addstr(out, "}],\"usage\":");
	r |= oai_usage_write(out, &resp->usage);
	r |= buf_addc(out, '}');
	if (r != 0) {
		buf_free(out);
		return -1;
	}
	return 0;
}

/* ---- client side: the chunk stream --------------------------------------- */

/*
 * Encoder E1 (§5.7).  Every chunk carries the same id, created and
 * model (§5.2 rule 1): that common head is built once.  Tool calls are
 * numbered 0, 1, 2 in the order their blocks start (rule 3).  The finish
 * chunk, the optional usage chunk and [DONE] are written at message
 * stop, with the stop reason and usage remembered from message_delta
 * (input counts may come from message_start only).  After [DONE] or an
 * error chunk nothing more is written.
 */
struct oenc {
	struct c_sink	 sink;
	struct c_writer	*w;
	struct arena	*a;
	char		*head;		/* data: {"id":...,"model":..., */
	size_t		 headlen;
	int		 include_usage;
	int		 started;
	int		 done;
	int		*tool_k;	/* block index -> tool ordinal or -1 */
	size_t		 ntool_k;
	int		 ntools;
	enum c_stop	 stop;
	struct c_usage	 usage;
};

static int
chunk_send(struct oenc *e, struct buf *b, int r)
{
	int rc;

	if (r != 0 || b->data == NULL)
		return -1;
	rc = e->w->write(e->w, b->data, b->len);
	buf_reset(b);
	return rc;
}

static int
chunk_open(struct oenc *e, struct buf *b)
{
	int r = 0;

	r |= buf_add(b, e->head, e->headlen);
	r |= buf_addstr(b, "\"choices\":[{\"index\":0,\"delta\":");
	return r;
}

static int
chunk_close(struct oenc *e, struct buf *b, const char *finish)
{
	int r = 0;

	r |= buf_addstr(b, ",\"logprobs\":null,\"finish_reason\":");
	r |= jw_cstr(b, finish);
	r |= buf_addstr(b, "}]");
	if (e->include_usage)
		r |= buf_addstr(b, ",\"usage\":null");
	else if (finish != NULL) {
		/* without include_usage the finish chunk carries usage
		 * (§5.2 rule 5, HEAD behaviour) */
		r |= buf_addstr(b, ",\"usage\":");
		r |= oai_usage_write(b, &e->usage);
	}
	r |= buf_addstr(b, "}\n\n");
	return r;
}

static int
ensure_started(struct oenc *e, struct buf *b)
{
	int r;

	if (e->started)
		return 0;
	e->started = 1;
	r = chunk_open(e, b);
	r |= buf_addstr(b, "{\"role\":\"assistant\",\"content\":\"\"}");
	r |= chunk_close(e, b, NULL);
	return chunk_send(e, b, r);
}

static void
usage_merge(struct c_usage *u, const struct c_usage *n)
{
	if (n->input >= 0)
		u->input = n->input;
	if (n->output >= 0)
		u->output = n->output;
	if (n->cache_read >= 0)
		u->cache_read = n->cache_read;
	if (n->cache_write >= 0)
		u->cache_write = n->cache_write;
	if (n->reasoning >= 0)
		u->reasoning = n->reasoning;
}

/* The tool ordinal of a block index, or -1. */
static int
tool_of(struct oenc *e, int index)
{
	if (index < 0 || (size_t)index >= e->ntool_k)
		return -1;
	return e->tool_k[index];
}

static int
tool_start(struct oenc *e, struct buf *b, const struct c_event *ev)
{
	char gen[40];
	const char *id = ev->id;
	size_t n, i;
	int *nk, k, r;

	k = e->ntools++;
	if (ev->index >= 0 && ev->index < MAX_BLOCKS) {
		if ((size_t)ev->index >= e->ntool_k) {
			/* doubling: a long answer costs O(n) arena */
			n = e->ntool_k > 0 ? e->ntool_k * 2 : 16;
			if (n <= (size_t)ev->index)
				n = (size_t)ev->index + 1;
			nk = arena_realloc(e->a, e->tool_k,
			    e->ntool_k * sizeof(*nk), n * sizeof(*nk));
			if (nk == NULL)
				return -1;
			for (i = e->ntool_k; i < n; i++)
				nk[i] = -1;
			e->tool_k = nk;
			e->ntool_k = n;
		}
		e->tool_k[ev->index] = k;
	}
	if (id == NULL || *id == '\0') {
		c_make_id(gen, sizeof(gen), "call_");
		id = gen;
	}
	r = chunk_open(e, b);
	r |= buf_addf(b, "{\"tool_calls\":[{\"index\":%d,\"id\":", k);
	r |= jw_cstr(b, id);
	r |= buf_addstr(b, ",\"type\":\"function\",\"function\":{\"name\":");
	r |= jw_cstr(b, ev->name != NULL ? ev->name : "");
	r |= buf_addstr(b, ",\"arguments\":\"\"}}]}");
	r |= chunk_close(e, b, NULL);
	return chunk_send(e, b, r);
}

static int
delta(struct oenc *e, struct buf *b, const struct c_event *ev)
{
	int k, r;

	if (ev->len == 0 || ev->text == NULL)
		return 0;
	switch (ev->delta) {
	case C_DELTA_TEXT:
		r = chunk_open(e, b);
		r |= buf_addstr(b, "{\"content\":");
		break;
	case C_DELTA_THINKING:
		r = chunk_open(e, b);
		r |= buf_addstr(b, "{\"reasoning_content\":");
		break;
	case C_DELTA_JSON:
		k = tool_of(e, ev->index);
		if (k < 0)
			return 0;
		r = chunk_open(e, b);
		r |= buf_addf(b, "{\"tool_calls\":[{\"index\":%d,"
		    "\"function\":{\"arguments\":", k);
		r |= jw_str(b, ev->text, ev->len);
		r |= buf_addstr(b, "}}]}");
		r |= chunk_close(e, b, NULL);
		return chunk_send(e, b, r);
	default:
		return 0;	/* signatures are not surfaced (§5.2 rule 7) */
	}
	r |= jw_str(b, ev->text, ev->len);
	r |= buf_addc(b, '}');
	r |= chunk_close(e, b, NULL);
	return chunk_send(e, b, r);
}

static int
finish(struct oenc *e, struct buf *b)
{
	int r;

	r = chunk_open(e, b);
	r |= buf_addstr(b, "{}");
	r |= chunk_close(e, b, oai_finish_str(e->stop, e->ntools > 0));
	if (chunk_send(e, b, r) == -1)
		return -1;
	if (e->include_usage) {
		r = buf_add(b, e->head, e->headlen);
		r |= buf_addstr(b, "\"choices\":[],\"usage\":");
		r |= oai_usage_write(b, &e->usage);
		r |= buf_addstr(b, "}\n\n");
		if (chunk_send(e, b, r) == -1)
			return -1;
	}
	r = buf_addstr(b, "data: [DONE]\n\n");
	return chunk_send(e, b, r);
}

/* §5.9: the error object, then the stream ends without [DONE]. */
static int
error_chunk(struct oenc *e, struct buf *b, const struct c_event *ev)
{
	const char *type, *code, *ct, *gs;
	int r = 0, status;

	status = ev->status >= 100 && ev->status <= 599 ? ev->status : 500;
	dialect_error_names(status, &type, &code, &ct, &gs);
	r |= buf_addstr(b, "data: {\"error\":{\"message\":");
	r |= jw_cstr(b, ev->message != NULL ? ev->message : "upstream error");
	r |= buf_addstr(b, ",\"type\":");
	r |= jw_cstr(b, type);
	r |= buf_addstr(b, ",\"param\":null,\"code\":");
	r |= jw_cstr(b, code);
	r |= buf_addstr(b, "}}\n\n");
	(void)e;
	return chunk_send(e, b, r);
}

static int
enc_event(struct c_sink *s, const struct c_event *ev)
{
	struct oenc *e = (struct oenc *)s;
	struct buf b;
	int rc = 0;

	if (e->done)
		return 0;
	buf_init(&b, 0);
	switch (ev->type) {
	case C_EV_PING:
		rc = e->w->write(e->w, ": ping\n\n", 8);
		break;
	case C_EV_MESSAGE_START:
		usage_merge(&e->usage, &ev->usage);
		rc = ensure_started(e, &b);
		break;
	case C_EV_BLOCK_START:
		rc = ensure_started(e, &b);
		if (rc == 0 && ev->block == C_BLOCK_TOOL_USE)
			rc = tool_start(e, &b, ev);
		break;
	case C_EV_BLOCK_DELTA:
		rc = ensure_started(e, &b);
		if (rc == 0)
			rc = delta(e, &b, ev);
		break;
	case C_EV_BLOCK_STOP:
		break;
	case C_EV_MESSAGE_DELTA:
		if (ev->stop != C_STOP_NONE)
			e->stop = ev->stop;
		usage_merge(&e->usage, &ev->usage);
		break;
	case C_EV_MESSAGE_STOP:
		rc = ensure_started(e, &b);
		if (rc == 0)
			rc = finish(e, &b);
		e->done = 1;
		break;
	case C_EV_ERROR:
		rc = error_chunk(e, &b, ev);
		e->done = 1;
		break;
	}
	buf_free(&b);
	return rc;
}

struct c_sink *
openai_stream_encoder(struct arena *a, struct c_writer *w,
    const struct c_opts *o)
{
	struct oenc *e;
	struct buf b;
	char id[40];
	int r = 0;

	e = arena_alloc(a, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->sink.event = enc_event;
	e->w = w;
	e->a = a;
	e->include_usage = o != NULL ? o->include_usage : 0;
	e->stop = C_STOP_NONE;
	c_usage_init(&e->usage);
	c_make_id(id, sizeof(id), "chatcmpl-");
	buf_init(&b, 0);
	r |= buf_addstr(&b, "data: {\"id\":");
	r |= jw_cstr(&b, id);
	r |= buf_addf(&b, ",\"object\":\"chat.completion.chunk\","
	    "\"created\":%lld,\"model\":", (long long)now_or(o));
	r |= jw_cstr(&b, o != NULL && o->client_model != NULL ?
	    o->client_model : "");
	r |= buf_addc(&b, ',');
	if (r == 0)
		e->head = arena_strndup(a, b.data, b.len);
	e->headlen = b.len;
	buf_free(&b);
	if (r != 0 || e->head == NULL)
		return NULL;
	return &e->sink;
}

/* ---- backend side: shared block machine ---------------------------------- */

/*
 * The decoder state of §5.6: the open block (IR index and kind), the
 * next index, the tool calls by upstream key, the remembered finish
 * reason and the latest non-zero usage.
 */
struct otool {
	int64_t		 key;		/* upstream index */
	int		 ir;		/* IR block index; -1 until opened */
	const char	*id;		/* arena copy */
	char		*pending;	/* arguments seen before the name */
	size_t		 plen, pcap;
};

struct odec {
	struct c_sink	*sink;
	struct arena	*a;
	int		 started, ended, errored;
	int		 open;		/* IR index of the open block or -1 */
	enum c_block	 open_kind;
	int		 next;
	struct otool	*tools;
	size_t		 ntools, captools;
	int		 tool_seen;
	int		 saw_finish;
	enum c_stop	 stop;
	struct c_usage	 usage;
	int		 have_usage;
};

static void
dec_init(struct odec *d, struct arena *a, struct c_sink *s)
{
	memset(d, 0, sizeof(*d));
	d->sink = s;
	d->a = a;
	d->open = -1;
	d->stop = C_STOP_NONE;
	c_usage_init(&d->usage);
}

static int
dec_close(struct odec *d)
{
	int i = d->open;

	if (i < 0)
		return 0;
	d->open = -1;
	return c_emit_block_stop(d->sink, i);
}

static int
dec_open(struct odec *d, enum c_block kind, const char *id, const char *name)
{
	if (d->open >= 0 && (d->open_kind != kind || kind ==
	    C_BLOCK_TOOL_USE) && dec_close(d) == -1)
		return -1;
	if (d->open >= 0)
		return 0;
	d->open = d->next++;
	d->open_kind = kind;
	return c_emit_block_start(d->sink, d->open, kind, id, name);
}

/* Text or thinking into a block of that kind, opened when needed. */
static int
dec_text(struct odec *d, enum c_block kind, const char *s, size_t len)
{
	if (s == NULL || len == 0)
		return 0;
	if (dec_open(d, kind, NULL, NULL) == -1)
		return -1;
	return c_emit_delta(d->sink, d->open, kind == C_BLOCK_TEXT ?
	    C_DELTA_TEXT : C_DELTA_THINKING, s, len);
}

static int
dec_finish(struct odec *d)
{
	enum c_stop stop;

	if (dec_close(d) == -1)
		return -1;
	stop = d->stop == C_STOP_NONE ? C_STOP_END_TURN : d->stop;
	if (d->tool_seen && stop == C_STOP_END_TURN)
		stop = C_STOP_TOOL_USE;
	d->ended = 1;
	if (c_emit_message_delta(d->sink, stop, NULL, d->have_usage ?
	    &d->usage : NULL) == -1)
		return -1;
	return c_emit_message_stop(d->sink);
}

/* An upstream {"error":{...}} (or {"error":"text"}) as an error event. */
static int
dec_error(struct odec *d, json_object *body)
{
	const char *msg;

	d->errored = 1;
	msg = oai_error_message(body);
	return c_emit_error(d->sink, oai_error_status(c_json_get(body, "error"),
	    500), NULL, msg != NULL ? msg : "upstream error");
}

/* The arguments member of a function object: a string, or an object
 * serialised. */
static const char *
args_of(json_object *fn, size_t *len)
{
	json_object *v;

	*len = 0;
	v = c_json_get(fn, "arguments");
	if (v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string)) {
		*len = (size_t)json_object_get_string_len(v);
		return json_object_get_string(v);
	}
	if (json_object_is_type(v, json_type_object))
		return json_object_to_json_string_length(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    len);
	return NULL;
}

static const char *
gen_id(struct odec *d)
{
	char id[40];

	c_make_id(id, sizeof(id), "call_");
	return arena_strdup(d->a, id);
}

/* ---- backend side: a whole answer ---------------------------------------- */

/*
 * The message of an upstream choice: thinking, text (a string or text
 * parts), refusal, tool calls and a legacy function_call, in that order.
 */
static int
dec_message(struct odec *d, json_object *msg)
{
	json_object *tcs, *fn, *v;
	const char *str, *id, *name;
	size_t len, i, n;
	char gen[40];

	str = c_json_str(msg, "reasoning_content", &len);
	if (str == NULL || len == 0)
		str = c_json_str(msg, "reasoning", &len);
	if (str != NULL && dec_text(d, C_BLOCK_THINKING, str, len) == -1)
		return -1;
	v = c_json_get(msg, "content");
	if (v != NULL && json_object_is_type(v, json_type_string)) {
		if (dec_text(d, C_BLOCK_TEXT, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)) == -1)
			return -1;
	} else if (v != NULL && json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			str = c_json_str(json_object_array_get_idx(v, i), "text",
			    &len);
			if (str != NULL && dec_text(d, C_BLOCK_TEXT, str,
			    len) == -1)
				return -1;
		}
	}
	str = c_json_str(msg, "refusal", &len);
	if (str != NULL && len > 0) {
		if (dec_text(d, C_BLOCK_TEXT, str, len) == -1)
			return -1;
		d->stop = C_STOP_REFUSAL;
	}
	tcs = c_json_get(msg, "tool_calls");
	n = tcs != NULL && json_object_is_type(tcs, json_type_array) ?
	    json_object_array_length(tcs) : 0;
	for (i = 0; i <= n; i++) {
		/* i == n: a legacy function_call */
		if (i < n) {
			v = json_object_array_get_idx(tcs, i);
			fn = c_json_get(v, "function");
			id = c_json_str(v, "id", NULL);
		} else {
			fn = c_json_get(msg, "function_call");
			id = NULL;
		}
		name = c_json_str(fn, "name", NULL);
		if (name == NULL || *name == '\0')
			continue;
		if (id == NULL || *id == '\0') {
			c_make_id(gen, sizeof(gen), "call_");
			id = gen;
		}
		d->tool_seen = 1;
		if (dec_open(d, C_BLOCK_TOOL_USE, id, name) == -1)
			return -1;
		str = args_of(fn, &len);
		if (str == NULL || len == 0) {
			str = "{}";
			len = 2;
		}
		if (c_emit_delta(d->sink, d->open, C_DELTA_JSON, str, len) ==
		    -1)
			return -1;
	}
	return 0;
}

int
openai_decode_response(json_object *body, const struct c_opts *o,
    struct c_sink *s, char *err, size_t errlen)
{
	struct odec d;
	struct c_usage u, su;
	json_object *choices, *ch, *msg, *uo;
	enum c_stop fs;

	(void)o;
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		seterr(err, errlen, "upstream answer is not a JSON object");
		return -1;
	}
	dec_init(&d, NULL, s);
	choices = c_json_get(body, "choices");
	if (choices != NULL && !json_object_is_type(choices, json_type_array))
		choices = NULL;
	if (c_json_get(body, "error") != NULL && choices == NULL) {
		if (dec_error(&d, body) == -1)
			goto abort;
		return 0;
	}
	uo = c_json_get(body, "usage");
	if (uo != NULL && json_object_is_type(uo, json_type_object)) {
		(void)oai_usage_parse(uo, &u);
		d.usage = u;
		d.have_usage = 1;
	}
	/* message_start carries what is known before the answer */
	c_usage_init(&su);
	if (d.have_usage) {
		su.input = u.input;
		su.cache_read = u.cache_read;
		su.cache_write = u.cache_write;
	}
	if (c_emit_start(s, c_json_str(body, "id", NULL), c_json_str(body, "model",
	    NULL), &su) == -1)
		goto abort;
	ch = NULL;
	if (choices != NULL && json_object_array_length(choices) > 0)
		ch = json_object_array_get_idx(choices, 0);
	msg = c_json_get(ch, "message");
	if (msg == NULL || !json_object_is_type(msg, json_type_object))
		msg = c_json_get(ch, "delta");
	if (msg != NULL && !json_object_is_type(msg, json_type_object))
		msg = NULL;
	if (dec_message(&d, msg) == -1)
		goto abort;
	/* a refusal stays one when the server says "stop" */
	fs = oai_finish_parse(c_json_str(ch, "finish_reason", NULL));
	if (fs != C_STOP_NONE && !(d.stop == C_STOP_REFUSAL &&
	    fs == C_STOP_END_TURN))
		d.stop = fs;
	if (dec_finish(&d) == -1)
		goto abort;
	return 0;
abort:
	seterr(err, errlen, "aborted by the consumer");
	return -1;
}

/* ---- backend side: the chunk stream -------------------------------------- */

void *
openai_stream_decoder(struct arena *a, struct c_sink *s,
    const struct c_opts *o)
{
	struct odec *d;

	(void)o;
	d = arena_alloc(a, sizeof(*d));
	if (d == NULL)
		return NULL;
	dec_init(d, a, s);
	return d;
}

/* The latest tool entry with this key. */
static struct otool *
tool_find(struct odec *d, int64_t key)
{
	size_t i;

	for (i = d->ntools; i > 0; i--)
		if (d->tools[i - 1].key == key)
			return &d->tools[i - 1];
	return NULL;
}

static struct otool *
tool_new(struct odec *d, int64_t key)
{
	struct otool *nt;
	size_t ncap;

	if (d->ntools >= MAX_TOOLS)
		return NULL;
	if (d->ntools == d->captools) {
		ncap = d->captools ? d->captools * 2 : 4;
		nt = arena_realloc(d->a, d->tools, d->captools * sizeof(*nt),
		    ncap * sizeof(*nt));
		if (nt == NULL)
			return NULL;
		d->tools = nt;
		d->captools = ncap;
	}
	nt = &d->tools[d->ntools++];
	memset(nt, 0, sizeof(*nt));
	nt->key = key;
	nt->ir = -1;
	return nt;
}

/*
 * One tool_calls fragment (§5.6 B).  A new key opens a block once a
 * name is known (arguments seen before that are kept); fragments of the
 * open block become partial_json; fragments of a closed block are
 * dropped (Claude-style output cannot reopen a block).  A fragment
 * that names a different id under a known key (servers that number
 * every call 0) starts a new call.
 */
static int
tool_fragment(struct odec *d, json_object *fn, const char *id, int64_t key,
    char *err, size_t errlen)
{
	struct otool *t;
	const char *name, *args;
	size_t alen, ncap;
	char *np;

	name = c_json_str(fn, "name", NULL);
	args = args_of(fn, &alen);
	t = tool_find(d, key);
	if (t != NULL && t->ir >= 0 && id != NULL && *id != '\0' &&
	    t->id != NULL && strcmp(id, t->id) != 0 && name != NULL &&
	    *name != '\0')
		t = NULL;
	if (t == NULL) {
		t = tool_new(d, key);
		if (t == NULL) {
			seterr(err, errlen, "too many tool calls");
			return -1;
		}
	}
	if (t->ir < 0) {
		if (t->id == NULL && id != NULL && *id != '\0') {
			t->id = arena_strdup(d->a, id);
			if (t->id == NULL)
				goto nomem;
		}
		if (name == NULL || *name == '\0') {
			if (alen == 0)
				return 0;
			if (t->plen + alen + 1 > t->pcap) {
				ncap = t->pcap > 0 ? t->pcap * 2 : 64;
				if (ncap < t->plen + alen + 1)
					ncap = t->plen + alen + 1;
				np = arena_realloc(d->a, t->pending, t->pcap,
				    ncap);
				if (np == NULL)
					goto nomem;
				t->pending = np;
				t->pcap = ncap;
			}
			memcpy(t->pending + t->plen, args, alen);
			t->plen += alen;
			return 0;
		}
		if (t->id == NULL)
			t->id = gen_id(d);
		if (t->id == NULL)
			goto nomem;
		d->tool_seen = 1;
		if (dec_open(d, C_BLOCK_TOOL_USE, t->id, name) == -1)
			goto abort;
		t->ir = d->open;
		if (t->plen > 0 && c_emit_delta(d->sink, t->ir, C_DELTA_JSON,
		    t->pending, t->plen) == -1)
			goto abort;
		if (alen > 0 && c_emit_delta(d->sink, t->ir, C_DELTA_JSON,
		    args, alen) == -1)
			goto abort;
		return 0;
	}
	if (d->open == t->ir && alen > 0 && c_emit_delta(d->sink, t->ir,
	    C_DELTA_JSON, args, alen) == -1)
		goto abort;
	return 0;
nomem:
	seterr(err, errlen, "out of memory");
	return -1;
abort:
	seterr(err, errlen, "aborted by the consumer");
	return -1;
}

static int
dec_choice(struct odec *d, json_object *ch, char *err, size_t errlen)
{
	json_object *delta, *tcs, *tc, *v, *fc;
	const char *s;
	size_t len, i, n;
	int64_t key;

	delta = c_json_get(ch, "delta");
	if (delta == NULL || !json_object_is_type(delta, json_type_object))
		delta = c_json_get(ch, "message");
	if (delta != NULL && !json_object_is_type(delta, json_type_object))
		delta = NULL;
	s = c_json_str(delta, "reasoning_content", &len);
	if (s == NULL || len == 0)
		s = c_json_str(delta, "reasoning", &len);
	if (s != NULL && dec_text(d, C_BLOCK_THINKING, s, len) == -1)
		goto abort;
	s = c_json_str(delta, "content", &len);
	if (s != NULL && dec_text(d, C_BLOCK_TEXT, s, len) == -1)
		goto abort;
	tcs = c_json_get(delta, "tool_calls");
	n = tcs != NULL && json_object_is_type(tcs, json_type_array) ?
	    json_object_array_length(tcs) : 0;
	for (i = 0; i < n; i++) {
		tc = json_object_array_get_idx(tcs, i);
		if (tc == NULL || !json_object_is_type(tc, json_type_object))
			continue;
		v = c_json_get(tc, "index");
		key = v != NULL && json_object_is_type(v, json_type_int) ?
		    json_object_get_int64(v) : (int64_t)i;
		if (tool_fragment(d, c_json_get(tc, "function"), c_json_str(tc, "id",
		    NULL), key, err, errlen) == -1)
			return -1;
	}
	fc = c_json_get(delta, "function_call");
	if (fc != NULL && json_object_is_type(fc, json_type_object) &&
	    tool_fragment(d, fc, NULL, INT64_MIN, err, errlen) == -1)
		return -1;
	s = c_json_str(ch, "finish_reason", NULL);
	if (s != NULL) {
		d->saw_finish = 1;
		d->stop = oai_finish_parse(s);
	}
	return 0;
abort:
	seterr(err, errlen, "aborted by the consumer");
	return -1;
}

int
openai_stream_decode(void *state, const char *event, json_object *data,
    char *err, size_t errlen)
{
	struct odec *d = state;
	struct c_usage u;
	json_object *choices, *ch, *v;
	size_t i, n;

	(void)event;
	if (d == NULL) {
		seterr(err, errlen, "no decoder");
		return -1;
	}
	if (d->ended || d->errored)
		return 0;
	if (data == NULL) {
		/* data: [DONE] */
		if (!d->started) {
			seterr(err, errlen,
			    "upstream stream ended before any chunk");
			return -1;
		}
		if (dec_finish(d) == -1)
			goto abort;
		return 0;
	}
	if (!json_object_is_type(data, json_type_object)) {
		seterr(err, errlen, "upstream chunk is not a JSON object");
		return -1;
	}
	if (c_json_get(data, "error") != NULL) {
		if (dec_error(d, data) == -1)
			goto abort;
		return 0;
	}
	if (!d->started) {
		d->started = 1;
		if (c_emit_start(d->sink, c_json_str(data, "id", NULL),
		    c_json_str(data, "model", NULL), NULL) == -1)
			goto abort;
	}
	/* usage: the latest with a non-zero count (GLM sends zeros) */
	if (oai_usage_parse(c_json_get(data, "usage"), &u)) {
		d->usage = u;
		d->have_usage = 1;
	}
	choices = c_json_get(data, "choices");
	if (choices == NULL || !json_object_is_type(choices, json_type_array))
		return 0;
	n = json_object_array_length(choices);
	/* one answer: the choice with index 0, else the first */
	for (i = 0, ch = NULL; i < n; i++) {
		ch = json_object_array_get_idx(choices, i);
		v = c_json_get(ch, "index");
		if (v == NULL || !json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) == 0)
			break;
		ch = NULL;
	}
	if (ch == NULL || !json_object_is_type(ch, json_type_object))
		return 0;
	return dec_choice(d, ch, err, errlen);
abort:
	seterr(err, errlen, "aborted by the consumer");
	return -1;
}

/*
 * The upstream closed the stream.  After [DONE] or an error that is
 * normal; without [DONE] but after a finish_reason the answer is
 * complete (some servers omit [DONE]); otherwise the stream was cut and
 * the caller answers with an error.
 */
int
openai_stream_end(void *state, char *err, size_t errlen)
{
	struct odec *d = state;

	if (d == NULL) {
		seterr(err, errlen, "no decoder");
		return -1;
	}
	if (d->ended || d->errored)
		return 0;
	if (!d->started) {
		seterr(err, errlen, "upstream stream ended before any chunk");
		return -1;
	}
	if (!d->saw_finish) {
		seterr(err, errlen,
		    "upstream stream ended without a finish_reason");
		return -1;
	}
	if (dec_finish(d) == -1) {
		seterr(err, errlen, "aborted by the consumer");
		return -1;
	}
	return 0;
}

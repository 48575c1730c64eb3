/*
 * generate.c: the content-generation pipeline shared by every dialect
 * and provider (see generate.h):
 *
 *   body JSON -> dialect decoder -> c_request -> provider -> c_event's
 *     -> relay (stream) or accumulator (non-stream) -> dialect encoder
 *
 * Nothing here knows a dialect or a provider by name.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "generate.h"
#include "log.h"
#include "providers.h"
#include "sysprompt.h"
#include "util.h"

#define ARENA_MAX	(256 * 1024 * 1024)

static struct arena	arena;
static int		arena_ready;

/* ---- relay --------------------------------------------------------------- */

static int
relay_write(struct c_writer *w, const char *p, size_t n)
{
	struct relay *rl = (struct relay *)((char *)w -
	    offsetof(struct relay, w));
	struct gen *g = rl->g;

	if (!rl->committed || rl->batching)
		return buf_add(&rl->pending, p, n);
	if (conn_stream_write(g->r->c, p, n) == -1) {
		g->client_gone = 1;
		return -1;
	}
	rl->last_write = mono_ms();
	return 0;
}

static int
relay_commit(struct relay *rl)
{
	struct gen *g = rl->g;
	struct conn *c = g->r->c;

	if (conn_stream_start(c, 200, g->content_type, NULL) == -1 ||
	    conn_stream_write(c, rl->pending.data, rl->pending.len) == -1) {
		g->client_gone = 1;
		return -1;
	}
	buf_reset(&rl->pending);
	rl->committed = 1;
	rl->last_write = mono_ms();
	return 0;
}

static void
record_error(struct gen *g, const struct c_event *e)
{
	g->err_status = e->status ? e->status : 500;
	g->err_etype = e->etype;
	snprintf(g->err_message, sizeof(g->err_message), "%s",
	    e->message ? e->message : "upstream error");
}

static int
relay_event(struct c_sink *s, const struct c_event *e)
{
	struct relay *rl = (struct relay *)s;
	struct gen *g = rl->g;

	if (g->client_gone)
		return -1;
	if (e->type == C_EV_BLOCK_DELTA && e->delta == C_DELTA_TEXT &&
	    g->conf->prompt_log_mode != PROMPT_LOG_NONE)
		buf_add(&g->logged, e->text, e->len);
	if (rl->committed)
		return rl->enc->event(rl->enc, e);
	switch (e->type) {
	case C_EV_ERROR:
		/* nothing sent yet: the caller may retry or answer it */
		record_error(g, e);
		return 0;
	case C_EV_PING:
		return 0;
	default:
		break;
	}
	if (rl->enc->event(rl->enc, e) == -1)
		return -1;
	if (e->type == C_EV_MESSAGE_START)
		return 0;
	/* first event carrying output: the head goes out now */
	return relay_commit(rl);
}

void
gen_batch(struct gen *g)
{
	if (g->stream)
		g->relay.batching = 1;
}

int
gen_flush(struct gen *g)
{
	struct relay *rl = &g->relay;

	if (!g->stream)
		return 0;
	rl->batching = 0;
	if (!rl->committed || rl->pending.len == 0 || g->client_gone)
		return 0;
	if (conn_stream_write(g->r->c, rl->pending.data,
	    rl->pending.len) == -1) {
		g->client_gone = 1;
		buf_reset(&rl->pending);
		return -1;
	}
	buf_reset(&rl->pending);
	rl->last_write = mono_ms();
	return 0;
}

/* ---- attempts ------------------------------------------------------------ */

int
gen_committed(const struct gen *g)
{
	return g->stream && g->relay.committed;
}

int
gen_attempt(struct gen *g)
{
	if (gen_committed(g))
		return -1;
	g->attempts++;
	g->err_status = 0;
	g->err_etype = NULL;
	g->err_message[0] = '\0';
	buf_reset(&g->logged);
	if (g->stream) {
		buf_reset(&g->relay.pending);
		g->relay.enc = g->d->stream_encoder(g->a, &g->relay.w,
		    &g->opts);
		if (g->relay.enc == NULL)
			return -1;
		g->sink = &g->relay.sink;
	} else {
		c_response_free(&g->resp);
		c_response_init(&g->resp, 0);
		g->sink = &g->resp.sink;
	}
	return 0;
}

int
gen_failed(const struct gen *g)
{
	return g->err_status != 0 || (!g->stream && g->resp.error_status);
}

int
gen_error_status(const struct gen *g)
{
	if (g->err_status != 0)
		return g->err_status;
	if (!g->stream)
		return g->resp.error_status;
	return 0;
}

void
gen_fail(struct gen *g, int status, const char *etype, const char *fmt, ...)
{
	struct c_event e;
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (gen_committed(g)) {
		/* too late for a status: an error event ends the stream */
		snprintf(g->err_message, sizeof(g->err_message), "%s", msg);
		memset(&e, 0, sizeof(e));
		e.type = C_EV_ERROR;
		e.status = status;
		e.etype = etype;
		e.message = msg;
		c_usage_init(&e.usage);
		if (!g->client_gone)
			g->relay.enc->event(g->relay.enc, &e);
		return;
	}
	g->err_status = status;
	g->err_etype = etype;
	snprintf(g->err_message, sizeof(g->err_message), "%s", msg);
}

int
gen_tick(struct gen *g)
{
	struct c_event e;

	if (g->client_gone || conn_peer_closed(g->r->c)) {
		g->client_gone = 1;
		return -1;
	}
	if (g->stream && g->relay.committed &&
	    mono_ms() - g->relay.last_write >= PING_INTERVAL_MS) {
		memset(&e, 0, sizeof(e));
		e.type = C_EV_PING;
		c_usage_init(&e.usage);
		if (g->relay.enc->event(g->relay.enc, &e) == -1)
			return -1;
		g->relay.last_write = mono_ms();
	}
	return 0;
}

int
gen_sleep(struct gen *g, int64_t ms)
{
	int64_t end = mono_ms() + ms, left;
	struct pollfd pfd;

	while ((left = end - mono_ms()) > 0) {
		if (gen_tick(g) == -1)
			return -1;
		pfd.fd = g->r->c->fd;
		pfd.events = POLLRDHUP;
		log_flush();
		poll(&pfd, 1, (int)(left < 1000 ? left : 1000));
	}
	return gen_tick(g);
}

/* ---- the handler -------------------------------------------------------------- */

static json_object *
parse_body(struct request *r, char *err, size_t errlen)
{
	const struct http_parser *p = &r->c->req;
	struct json_tokener *tok;
	enum json_tokener_error je;
	json_object *o;
	size_t off, i;
	int line = 1, col = 1;

	if (p->body.len == 0) {
		snprintf(err, errlen, "the request body is empty: a JSON "
		    "object is required");
		return NULL;
	}
	tok = json_tokener_new_ex(64);
	o = json_tokener_parse_ex(tok, p->body.data, (int)p->body.len);
	je = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (o != NULL && je == json_tokener_success) {
		for (i = off; i < p->body.len; i++) {
			char ch = p->body.data[i];

			if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
				break;
		}
		if (i < p->body.len) {
			json_object_put(o);
			o = NULL;
			je = json_tokener_error_parse_unexpected;
			off = i;
		}
	}
	json_tokener_free(tok);
	if (o == NULL || je != json_tokener_success) {
		if (je == json_tokener_continue || je == json_tokener_success)
			off = p->body.len;
		for (i = 0; i < off && i < p->body.len; i++) {
			if (p->body.data[i] == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
		snprintf(err, errlen, "the request body is not valid JSON: %s "
		    "(line %d, column %d)", je == json_tokener_continue ?
		    "unexpected end of input" : json_tokener_error_desc(je),
		    line, col);
		json_object_put(o);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "the request body must be a JSON object");
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void
finish(struct gen *g)
{
	struct request *r = g->r;
	struct buf out;

	if (g->client_gone)
		return;
	if (g->stream) {
		gen_flush(g);
		if (g->relay.committed) {
			conn_stream_end(r->c);
			return;
		}
		if (g->err_status != 0) {
			api_error(r, g->err_status, "%s", g->err_message);
			return;
		}
		/* an answer without output (an empty message): send it */
		if (relay_commit(&g->relay) == 0)
			conn_stream_end(r->c);
		return;
	}
	if (g->err_status != 0 || g->resp.error_status != 0) {
		if (g->err_status == 0) {
			g->err_status = g->resp.error_status;
			snprintf(g->err_message, sizeof(g->err_message), "%s",
			    g->resp.error_message ? g->resp.error_message :
			    "upstream error");
		}
		api_error(r, g->err_status, "%s", g->err_message);
		return;
	}
	buf_init(&out, 0);
	if (g->d->encode_response(&g->resp, &g->opts, &out) == -1) {
		buf_free(&out);
		api_error(r, 500, "could not encode the answer");
		return;
	}
	api_json(r, 200, out.data, out.len);
	buf_free(&out);
}

void
generate(struct request *r, enum dialect dl)
{
	const struct provider *prov;
	struct c_request req;
	json_object *body;
	struct gen g;
	char err[1024];

	if (!arena_ready) {
		arena_init(&arena, ARENA_MAX);
		arena_ready = 1;
	}
	r->dialect = dl;
	body = parse_body(r, err, sizeof(err));
	if (body == NULL) {
		api_error(r, 400, "%s", err);
		return;
	}
	memset(&req, 0, sizeof(req));
	memset(&g, 0, sizeof(g));
	g.d = dialect_get(dl);
	if (g.d->decode_request(body, dl == DIALECT_GEMINI ? r->model : NULL,
	    dl == DIALECT_GEMINI ? r->gemini_stream : -1, &req, &arena, err,
	    sizeof(err)) == -1) {
		api_error(r, 400, "%s", err);
		goto done;
	}
	snprintf(r->model_used, sizeof(r->model_used), "%s",
	    req.model ? req.model : "-");
	if (sysprompt_apply(&req, r->conf, &arena) == -1) {
		api_error(r, 500, "out of memory");
		goto done;
	}
	sysprompt_fetch(&req, r->conf);
	promptlog_input(r->conf, &req);
	prov = provider_find(r->provider);
	if (prov == NULL || prov->generate == NULL) {
		api_error(r, 501, "provider %s is not available in aiclientd "
		    "%s", r->provider, VERSION);
		goto done;
	}
	g.r = r;
	g.conf = r->conf;
	g.a = &arena;
	g.req = &req;
	g.stream = req.stream;
	g.opts.client_model = req.model;
	g.opts.include_usage = req.include_usage;
	g.opts.include_thoughts = req.include_thoughts;
	g.opts.gemini_sse = r->gemini_sse;
	g.opts.created = wall_ms() / 1000;
	g.opts.default_max_tokens = r->conf->claude_default_max_tokens;
	g.content_type = (dl == DIALECT_GEMINI && !r->gemini_sse) ?
	    "application/json" : "text/event-stream";
	g.relay.sink.event = relay_event;
	g.relay.w.write = relay_write;
	g.relay.g = &g;
	buf_init(&g.relay.pending, 64 * 1024 * 1024);
	c_response_init(&g.resp, 0);
	buf_init(&g.logged, 1024 * 1024);
	prov->generate(&g);
	finish(&g);
	if (r->conf->prompt_log_mode != PROMPT_LOG_NONE &&
	    (g.stream || gen_error_status(&g) == 0)) {
		if (!g.stream) {
			size_t i;

			for (i = 0; i < g.resp.nblocks; i++)
				if (g.resp.blocks[i].type == C_BLOCK_TEXT)
					buf_add(&g.logged,
					    g.resp.blocks[i].text.data,
					    g.resp.blocks[i].text.len);
		}
		promptlog_output(r->conf, g.logged.data, g.logged.len);
	}
	buf_free(&g.logged);
	r->tokens_in = g.tokens_in;
	r->tokens_out = g.tokens_out;
	buf_free(&g.relay.pending);
	c_response_free(&g.resp);
done:
	json_object_put(body);
	arena_reset(&arena);
}

/*
 * canonical.c: event constructors, the accumulating sink used for
 * non-stream answers, ids and the token estimate (see canonical.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "canonical.h"
#include "util.h"

void
c_usage_init(struct c_usage *u)
{
	u->input = u->output = u->cache_read = u->cache_write =
	    u->reasoning = -1;
}

static void
ev_init(struct c_event *e, enum c_event_type t)
{
	memset(e, 0, sizeof(*e));
	e->type = t;
	c_usage_init(&e->usage);
}

int
c_emit_start(struct c_sink *s, const char *id, const char *model,
    const struct c_usage *u)
{
	struct c_event e;

	ev_init(&e, C_EV_MESSAGE_START);
	e.id = id;
	e.model = model;
	if (u != NULL)
		e.usage = *u;
	return s->event(s, &e);
}

int
c_emit_block_start(struct c_sink *s, int index, enum c_block b,
    const char *tool_id, const char *tool_name)
{
	struct c_event e;

	ev_init(&e, C_EV_BLOCK_START);
	e.index = index;
	e.block = b;
	e.id = tool_id;
	e.name = tool_name;
	return s->event(s, &e);
}

int
c_emit_delta(struct c_sink *s, int index, enum c_delta d, const char *text,
    size_t len)
{
	struct c_event e;

	if (len == 0)
		return 0;
	ev_init(&e, C_EV_BLOCK_DELTA);
	e.index = index;
	e.delta = d;
	e.text = text;
	e.len = len;
	return s->event(s, &e);
}

int
c_emit_block_stop(struct c_sink *s, int index)
{
	struct c_event e;

	ev_init(&e, C_EV_BLOCK_STOP);
	e.index = index;
	return s->event(s, &e);
}

int
c_emit_message_delta(struct c_sink *s, enum c_stop stop,
    const char *stop_sequence, const struct c_usage *u)
{
	struct c_event e;

	ev_init(&e, C_EV_MESSAGE_DELTA);
	e.stop = stop;
	e.stop_sequence = stop_sequence;
	if (u != NULL)
		e.usage = *u;
	return s->event(s, &e);
}

int
c_emit_message_stop(struct c_sink *s)
{
	struct c_event e;

	ev_init(&e, C_EV_MESSAGE_STOP);
	return s->event(s, &e);
}

int
c_emit_error(struct c_sink *s, int status, const char *etype,
    const char *message)
{
	struct c_event e;

	ev_init(&e, C_EV_ERROR);
	e.status = status;
	e.etype = etype;
	e.message = message;
	return s->event(s, &e);
}

/* ---- accumulator ---------------------------------------------------------- */

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
acc_event(struct c_sink *sink, const struct c_event *e)
{
	struct c_response *r = (struct c_response *)sink;
	struct c_rblock *b, *nb;

	switch (e->type) {
	case C_EV_MESSAGE_START:
		r->started = 1;
		free(r->id);
		free(r->model);
		r->id = dup_or_null(e->id);
		r->model = dup_or_null(e->model);
		if (e->usage.input >= 0)
			r->usage = e->usage;
		return 0;
	case C_EV_BLOCK_START:
		if (e->index != (int)r->nblocks)
			return -1;	/* providers number blocks 0, 1, 2 */
		nb = realloc(r->blocks, (r->nblocks + 1) * sizeof(*nb));
		if (nb == NULL)
			return -1;
		r->blocks = nb;
		b = &r->blocks[r->nblocks++];
		memset(b, 0, sizeof(*b));
		b->type = e->block;
		buf_init(&b->text, r->max_bytes);
		buf_init(&b->signature, 64 * 1024);
		b->id = dup_or_null(e->id);
		b->name = dup_or_null(e->name);
		return 0;
	case C_EV_BLOCK_DELTA:
		if (e->index < 0 || (size_t)e->index >= r->nblocks)
			return -1;
		b = &r->blocks[e->index];
		if (e->delta == C_DELTA_SIGNATURE)
			return buf_add(&b->signature, e->text, e->len);
		return buf_add(&b->text, e->text, e->len);
	case C_EV_BLOCK_STOP:
		return 0;
	case C_EV_MESSAGE_DELTA:
		r->stop = e->stop;
		free(r->stop_sequence);
		r->stop_sequence = dup_or_null(e->stop_sequence);
		if (e->usage.input >= 0)
			r->usage.input = e->usage.input;
		if (e->usage.output >= 0)
			r->usage.output = e->usage.output;
		if (e->usage.cache_read >= 0)
			r->usage.cache_read = e->usage.cache_read;
		if (e->usage.cache_write >= 0)
			r->usage.cache_write = e->usage.cache_write;
		if (e->usage.reasoning >= 0)
			r->usage.reasoning = e->usage.reasoning;
		return 0;
	case C_EV_MESSAGE_STOP:
		r->finished = 1;
		return 0;
	case C_EV_ERROR:
		r->error_status = e->status ? e->status : 500;
		free(r->error_message);
		free(r->error_type);
		r->error_message = dup_or_null(e->message);
		r->error_type = dup_or_null(e->etype);
		return 0;
	case C_EV_PING:
		return 0;
	}
	return 0;
}

void
c_response_init(struct c_response *r, size_t max_bytes)
{
	memset(r, 0, sizeof(*r));
	r->sink.event = acc_event;
	r->max_bytes = max_bytes ? max_bytes : 64 * 1024 * 1024;
	c_usage_init(&r->usage);
}

void
c_response_free(struct c_response *r)
{
	size_t i;

	for (i = 0; i < r->nblocks; i++) {
		buf_free(&r->blocks[i].text);
		buf_free(&r->blocks[i].signature);
		free(r->blocks[i].id);
		free(r->blocks[i].name);
	}
	free(r->blocks);
	free(r->id);
	free(r->model);
	free(r->stop_sequence);
	free(r->error_message);
	free(r->error_type);
	memset(r, 0, sizeof(*r));
}

/* ---- ids ------------------------------------------------------------------ */

void
c_make_id(char *out, size_t outlen, const char *prefix)
{
	char rnd[25];
	size_t n;

	random_alnum(rnd, 24);
	n = strlcpy(out, prefix, outlen);
	if (n < outlen)
		strlcpy(out + n, rnd, outlen - n);
}

const char *
c_stop_str(enum c_stop s)
{
	switch (s) {
	case C_STOP_MAX_TOKENS:
		return "max_tokens";
	case C_STOP_STOP_SEQUENCE:
		return "stop_sequence";
	case C_STOP_TOOL_USE:
		return "tool_use";
	case C_STOP_REFUSAL:
		return "refusal";
	case C_STOP_PAUSE_TURN:
		return "pause_turn";
	case C_STOP_CONTEXT_WINDOW:
		return "model_context_window_exceeded";
	default:
		return "end_turn";
	}
}

/* ---- token estimate ---------------------------------------------------------- */

void
c_est_add(struct c_est *e, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0, n, k;

	while (i < len) {
		if (p[i] < 0x80) {
			e->ascii++;
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0)
			n = 2, cp = p[i] & 0x1f;
		else if ((p[i] & 0xf0) == 0xe0)
			n = 3, cp = p[i] & 0x0f;
		else if ((p[i] & 0xf8) == 0xf0)
			n = 4, cp = p[i] & 0x07;
		else {
			e->other++;	/* stray byte */
			i++;
			continue;
		}
		if (i + n > len) {
			e->other++;
			break;
		}
		for (k = 1; k < n; k++)
			cp = cp << 6 | (p[i + k] & 0x3f);
		i += n;
		if ((cp >= 0x2e80 && cp <= 0x9fff) ||
		    (cp >= 0xac00 && cp <= 0xd7af) ||
		    (cp >= 0xf900 && cp <= 0xfaff) ||
		    (cp >= 0xff00 && cp <= 0xffef))
			e->cjk++;
		else
			e->other++;
	}
}

int64_t
c_est_value(const struct c_est *e)
{
	return (e->ascii + 3) / 4 + e->cjk + (e->other + 1) / 2;
}

int64_t
c_est_tokens(const char *s, size_t len)
{
	struct c_est e = { 0, 0, 0 };

	c_est_add(&e, s, len);
	return c_est_value(&e);
}

static int64_t
est_part(const struct c_part *p)
{
	int64_t n = 0;
	size_t i;

	switch (p->type) {
	case C_TEXT:
	case C_THINKING:
		if (p->text != NULL)
			n += c_est_tokens(p->text, p->text_len);
		break;
	case C_IMAGE:
		n += 1600;
		break;
	case C_DOCUMENT:
		if (p->text != NULL)
			n += c_est_tokens(p->text, p->text_len);
		else
			n += ((int64_t)p->data_len * 3 / 4 + 3) / 4;
		break;
	case C_TOOL_USE:
		if (p->input != NULL)
			n += c_est_tokens(p->input, p->input_len);
		break;
	case C_TOOL_RESULT:
		for (i = 0; i < p->ncontent; i++)
			n += est_part(&p->content[i]);
		break;
	default:
		break;
	}
	return n;
}

int64_t
c_est_request(const struct c_request *r)
{
	int64_t n = 0;
	size_t i, j, len;
	const char *s;

	for (i = 0; i < r->nsystem; i++)
		n += est_part(&r->system[i]);
	for (i = 0; i < r->nmsgs; i++)
		for (j = 0; j < r->msgs[i].nparts; j++)
			n += est_part(&r->msgs[i].parts[j]);
	for (i = 0; i < r->ntools; i++) {
		if (r->tools[i].name != NULL)
			n += c_est_tokens(r->tools[i].name,
			    strlen(r->tools[i].name));
		if (r->tools[i].description != NULL)
			n += c_est_tokens(r->tools[i].description,
			    strlen(r->tools[i].description));
		if (r->tools[i].schema != NULL) {
			s = json_object_to_json_string_length(r->tools[i].schema,
			    JSON_C_TO_STRING_PLAIN, &len);
			n += c_est_tokens(s, len);
		}
	}
	return n;
}

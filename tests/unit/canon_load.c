/*
 * canon_load.c: canonical requests and events from JSON (see
 * canon_load.h).  Test code: clear failures matter more than speed.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "canon_load.h"

static const char *
gs(json_object *o, const char *k, size_t *len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

static json_object *
gv(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

static int
part_type(const char *s, enum c_part_type *t)
{
	static const char *const names[] = { "text", "image", "document",
	    "audio", "tool_use", "tool_result", "thinking",
	    "redacted_thinking" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (s != NULL && strcmp(s, names[i]) == 0) {
			*t = (enum c_part_type)i;
			return 0;
		}
	}
	return -1;
}

static int load_parts(json_object *, struct c_part **, size_t *,
    struct arena *, char *, size_t);

static int
load_part(json_object *j, struct c_part *p, struct arena *a, char *err,
    size_t errlen)
{
	json_object *v;
	const char *s;
	size_t len;

	memset(p, 0, sizeof(*p));
	if (part_type(gs(j, "type", NULL), &p->type) == -1) {
		snprintf(err, errlen, "bad part type");
		return -1;
	}
	p->text = gs(j, "text", &p->text_len);
	p->signature = gs(j, "signature", NULL);
	s = gs(j, "origin", NULL);
	if (s != NULL)
		p->origin = !strcmp(s, "claude") ? C_ORIGIN_CLAUDE :
		    !strcmp(s, "openai") ? C_ORIGIN_OPENAI :
		    !strcmp(s, "gemini") ? C_ORIGIN_GEMINI : C_ORIGIN_UNKNOWN;
	p->media_type = gs(j, "media_type", NULL);
	p->data = gs(j, "data", &p->data_len);
	p->url = gs(j, "url", NULL);
	p->title = gs(j, "title", NULL);
	p->id = gs(j, "id", NULL);
	p->name = gs(j, "name", NULL);
	v = gv(j, "input");
	if (v != NULL) {
		s = json_object_to_json_string_length(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &len);
		p->input = arena_strndup(a, s, len);
		p->input_len = len;
	}
	v = gv(j, "content");
	if (v != NULL && load_parts(v, &p->content, &p->ncontent, a, err,
	    errlen) == -1)
		return -1;
	p->is_error = json_object_get_boolean(gv(j, "is_error"));
	p->cache_control = json_object_get_boolean(gv(j, "cache_control"));
	return 0;
}

static int
load_parts(json_object *arr, struct c_part **out, size_t *n, struct arena *a,
    char *err, size_t errlen)
{
	size_t i, len;

	if (!json_object_is_type(arr, json_type_array)) {
		snprintf(err, errlen, "parts must be an array");
		return -1;
	}
	len = json_object_array_length(arr);
	*out = arena_alloc(a, (len ? len : 1) * sizeof(**out));
	*n = len;
	for (i = 0; i < len; i++)
		if (load_part(json_object_array_get_idx(arr, i), &(*out)[i], a,
		    err, errlen) == -1)
			return -1;
	return 0;
}

int
canon_load_request(json_object *j, struct c_request *r, struct arena *a,
    char *err, size_t errlen)
{
	json_object *v, *m;
	const char *s;
	size_t i, n;

	memset(r, 0, sizeof(*r));
	r->model = gs(j, "model", NULL);
	v = gv(j, "system");
	if (v != NULL && load_parts(v, &r->system, &r->nsystem, a, err,
	    errlen) == -1)
		return -1;
	v = gv(j, "messages");
	n = v ? json_object_array_length(v) : 0;
	r->msgs = arena_alloc(a, (n ? n : 1) * sizeof(*r->msgs));
	r->nmsgs = n;
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(v, i);
		s = gs(m, "role", NULL);
		r->msgs[i].role = (s && !strcmp(s, "assistant")) ? C_ASSISTANT :
		    C_USER;
		if (load_parts(gv(m, "parts"), &r->msgs[i].parts,
		    &r->msgs[i].nparts, a, err, errlen) == -1)
			return -1;
	}
	v = gv(j, "tools");
	n = v ? json_object_array_length(v) : 0;
	r->tools = arena_alloc(a, (n ? n : 1) * sizeof(*r->tools));
	r->ntools = n;
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(v, i);
		r->tools[i].name = gs(m, "name", NULL);
		r->tools[i].description = gs(m, "description", NULL);
		r->tools[i].schema = gv(m, "schema");
		r->tools[i].type = gs(m, "type", NULL);
	}
	s = gs(j, "tool_choice", NULL);
	if (s != NULL)
		r->tool_choice = !strcmp(s, "auto") ? C_TC_AUTO :
		    !strcmp(s, "none") ? C_TC_NONE : !strcmp(s, "any") ?
		    C_TC_ANY : !strcmp(s, "tool") ? C_TC_TOOL : C_TC_UNSET;
	r->tool_choice_name = gs(j, "tool_choice_name", NULL);
	if ((v = gv(j, "parallel_tool_calls")) != NULL) {
		r->has_parallel_tool_calls = 1;
		r->parallel_tool_calls = json_object_get_boolean(v);
	}
	r->max_tokens = json_object_get_int64(gv(j, "max_tokens"));
	if ((v = gv(j, "temperature")) != NULL) {
		r->has_temperature = 1;
		r->temperature = json_object_get_double(v);
	}
	if ((v = gv(j, "top_p")) != NULL) {
		r->has_top_p = 1;
		r->top_p = json_object_get_double(v);
	}
	r->top_k = json_object_get_int64(gv(j, "top_k"));
	v = gv(j, "stop");
	n = v ? json_object_array_length(v) : 0;
	if (n > 0) {
		r->stop = arena_alloc(a, n * sizeof(*r->stop));
		r->nstop = n;
		for (i = 0; i < n; i++)
			r->stop[i] = json_object_get_string(
			    json_object_array_get_idx(v, i));
	}
	r->n = json_object_get_int64(gv(j, "n"));
	if ((v = gv(j, "seed")) != NULL) {
		r->has_seed = 1;
		r->seed = json_object_get_int64(v);
	}
	if ((v = gv(j, "presence_penalty")) != NULL) {
		r->has_presence_penalty = 1;
		r->presence_penalty = json_object_get_double(v);
	}
	if ((v = gv(j, "frequency_penalty")) != NULL) {
		r->has_frequency_penalty = 1;
		r->frequency_penalty = json_object_get_double(v);
	}
	r->user = gs(j, "user", NULL);
	s = gs(j, "format", NULL);
	if (s != NULL)
		r->format = !strcmp(s, "text") ? C_FMT_TEXT :
		    !strcmp(s, "json_object") ? C_FMT_JSON_OBJECT :
		    !strcmp(s, "json_schema") ? C_FMT_JSON_SCHEMA : C_FMT_UNSET;
	r->response_schema = gv(j, "response_schema");
	r->response_schema_name = gs(j, "response_schema_name", NULL);
	r->response_schema_strict = json_object_get_boolean(
	    gv(j, "response_schema_strict"));
	s = gs(j, "thinking", NULL);
	if (s != NULL)
		r->thinking = !strcmp(s, "disabled") ? C_THINK_DISABLED :
		    !strcmp(s, "enabled") ? C_THINK_ENABLED :
		    !strcmp(s, "adaptive") ? C_THINK_ADAPTIVE : C_THINK_UNSET;
	r->thinking_budget = json_object_get_int64(gv(j, "thinking_budget"));
	r->reasoning_effort = gs(j, "reasoning_effort", NULL);
	r->include_thoughts = json_object_get_boolean(gv(j,
	    "include_thoughts"));
	r->stream = json_object_get_boolean(gv(j, "stream"));
	r->include_usage = json_object_get_boolean(gv(j, "include_usage"));
	return 0;
}

static int
block_of(const char *s)
{
	if (s == NULL || !strcmp(s, "text"))
		return C_BLOCK_TEXT;
	if (!strcmp(s, "thinking"))
		return C_BLOCK_THINKING;
	return C_BLOCK_TOOL_USE;
}

static int
delta_of(const char *s)
{
	if (s == NULL || !strcmp(s, "text"))
		return C_DELTA_TEXT;
	if (!strcmp(s, "thinking"))
		return C_DELTA_THINKING;
	if (!strcmp(s, "signature"))
		return C_DELTA_SIGNATURE;
	return C_DELTA_JSON;
}

static enum c_stop
stop_of(const char *s)
{
	static const char *const names[] = { "", "end_turn", "max_tokens",
	    "stop_sequence", "tool_use", "refusal", "pause_turn",
	    "model_context_window_exceeded" };
	size_t i;

	for (i = 1; s != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (enum c_stop)i;
	return C_STOP_NONE;
}

static void
usage_of(json_object *u, struct c_usage *out)
{
	json_object *v;

	c_usage_init(out);
	if (u == NULL)
		return;
	if ((v = gv(u, "input")) != NULL)
		out->input = json_object_get_int64(v);
	if ((v = gv(u, "output")) != NULL)
		out->output = json_object_get_int64(v);
	if ((v = gv(u, "cache_read")) != NULL)
		out->cache_read = json_object_get_int64(v);
	if ((v = gv(u, "cache_write")) != NULL)
		out->cache_write = json_object_get_int64(v);
	if ((v = gv(u, "reasoning")) != NULL)
		out->reasoning = json_object_get_int64(v);
}

int
canon_replay_events(json_object *arr, struct c_sink *s)
{
	struct c_usage u;
	json_object *e;
	const char *t, *text;
	size_t i, len;
	int idx, rc = 0;

	for (i = 0; rc == 0 && i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		t = gs(e, "type", NULL);
		idx = json_object_get_int(gv(e, "index"));
		if (t == NULL)
			return -1;
		if (!strcmp(t, "message_start")) {
			usage_of(gv(e, "usage"), &u);
			rc = c_emit_start(s, gs(e, "id", NULL),
			    gs(e, "model", NULL), &u);
		} else if (!strcmp(t, "block_start")) {
			rc = c_emit_block_start(s, idx,
			    block_of(gs(e, "block", NULL)), gs(e, "id", NULL),
			    gs(e, "name", NULL));
		} else if (!strcmp(t, "block_delta")) {
			text = gs(e, "text", &len);
			rc = c_emit_delta(s, idx,
			    delta_of(gs(e, "delta", NULL)), text ? text : "",
			    text ? len : 0);
		} else if (!strcmp(t, "block_stop")) {
			rc = c_emit_block_stop(s, idx);
		} else if (!strcmp(t, "message_delta")) {
			usage_of(gv(e, "usage"), &u);
			rc = c_emit_message_delta(s, stop_of(gs(e, "stop", NULL)),
			    gs(e, "stop_sequence", NULL), &u);
		} else if (!strcmp(t, "message_stop")) {
			rc = c_emit_message_stop(s);
		} else if (!strcmp(t, "error")) {
			rc = c_emit_error(s, json_object_get_int(gv(e,
			    "status")), gs(e, "etype", NULL),
			    gs(e, "message", NULL));
		} else if (!strcmp(t, "ping")) {
			struct c_event pe;

			memset(&pe, 0, sizeof(pe));
			pe.type = C_EV_PING;
			c_usage_init(&pe.usage);
			rc = s->event(s, &pe);
		} else
			return -1;
	}
	return rc;
}

json_object *
canon_read_json(const char *path)
{
	return json_object_from_file(path);
}

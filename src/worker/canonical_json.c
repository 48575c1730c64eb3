/*
 * canonical_json.c: JSON views of canonical requests and events, for
 * golden tests and debug logging (see canonical.h).  Not on any hot path.
 */
#include "config.h"

#include <string.h>

#include "canonical.h"

static json_object *
jstrn(const char *s, size_t len)
{
	return s ? json_object_new_string_len(s, (int)len) : NULL;
}

static json_object *
jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void
add(json_object *o, const char *k, json_object *v)
{
	if (v != NULL)
		json_object_object_add(o, k, v);
}

static const char *
part_type_str(enum c_part_type t)
{
	switch (t) {
	case C_TEXT:
		return "text";
	case C_IMAGE:
		return "image";
	case C_DOCUMENT:
		return "document";
	case C_AUDIO:
		return "audio";
	case C_TOOL_USE:
		return "tool_use";
	case C_TOOL_RESULT:
		return "tool_result";
	case C_THINKING:
		return "thinking";
	case C_REDACTED_THINKING:
		return "redacted_thinking";
	}
	return "?";
}

static const char *
origin_str(enum c_origin o)
{
	switch (o) {
	case C_ORIGIN_CLAUDE:
		return "claude";
	case C_ORIGIN_OPENAI:
		return "openai";
	case C_ORIGIN_GEMINI:
		return "gemini";
	default:
		return NULL;
	}
}

static json_object *
part_json(const struct c_part *p)
{
	json_object *o = json_object_new_object(), *arr, *in;
	size_t i;

	add(o, "type", jstr(part_type_str(p->type)));
	if (p->text != NULL)
		add(o, "text", jstrn(p->text, p->text_len));
	add(o, "signature", jstr(p->signature));
	if (p->type == C_THINKING && origin_str(p->origin) != NULL)
		add(o, "origin", jstr(origin_str(p->origin)));
	add(o, "media_type", jstr(p->media_type));
	if (p->data != NULL)
		add(o, "data", jstrn(p->data, p->data_len));
	add(o, "url", jstr(p->url));
	add(o, "title", jstr(p->title));
	add(o, "id", jstr(p->id));
	add(o, "name", jstr(p->name));
	if (p->input != NULL) {
		in = json_tokener_parse(p->input);
		add(o, "input", in ? in : jstrn(p->input, p->input_len));
	}
	if (p->type == C_TOOL_RESULT) {
		arr = json_object_new_array();
		for (i = 0; i < p->ncontent; i++)
			json_object_array_add(arr, part_json(&p->content[i]));
		add(o, "content", arr);
		if (p->is_error)
			add(o, "is_error", json_object_new_boolean(1));
	}
	if (p->cache_control)
		add(o, "cache_control", json_object_new_boolean(1));
	return o;
}

static const char *
tc_str(enum c_tool_choice t)
{
	switch (t) {
	case C_TC_AUTO:
		return "auto";
	case C_TC_NONE:
		return "none";
	case C_TC_ANY:
		return "any";
	case C_TC_TOOL:
		return "tool";
	default:
		return NULL;
	}
}

int
c_request_to_json(const struct c_request *r, struct buf *out)
{
	json_object *o = json_object_new_object(), *arr, *m, *parts, *t;
	const char *s;
	size_t i, j, len;
	int rc;

	add(o, "model", jstr(r->model));
	if (r->nsystem > 0) {
		arr = json_object_new_array();
		for (i = 0; i < r->nsystem; i++)
			json_object_array_add(arr, part_json(&r->system[i]));
		add(o, "system", arr);
	}
	arr = json_object_new_array();
	for (i = 0; i < r->nmsgs; i++) {
		m = json_object_new_object();
		add(m, "role", jstr(r->msgs[i].role == C_USER ? "user" :
		    "assistant"));
		parts = json_object_new_array();
		for (j = 0; j < r->msgs[i].nparts; j++)
			json_object_array_add(parts,
			    part_json(&r->msgs[i].parts[j]));
		add(m, "parts", parts);
		json_object_array_add(arr, m);
	}
	add(o, "messages", arr);
	if (r->ntools > 0) {
		arr = json_object_new_array();
		for (i = 0; i < r->ntools; i++) {
			t = json_object_new_object();
			add(t, "name", jstr(r->tools[i].name));
			add(t, "description", jstr(r->tools[i].description));
			if (r->tools[i].schema != NULL)
				add(t, "schema",
				    json_object_get(r->tools[i].schema));
			add(t, "type", jstr(r->tools[i].type));
			json_object_array_add(arr, t);
		}
		add(o, "tools", arr);
	}
	add(o, "tool_choice", jstr(tc_str(r->tool_choice)));
	add(o, "tool_choice_name", jstr(r->tool_choice_name));
	if (r->has_parallel_tool_calls)
		add(o, "parallel_tool_calls",
		    json_object_new_boolean(r->parallel_tool_calls));
	if (r->max_tokens > 0)
		add(o, "max_tokens", json_object_new_int64(r->max_tokens));
	if (r->has_temperature)
		add(o, "temperature", json_object_new_double(r->temperature));
	if (r->has_top_p)
		add(o, "top_p", json_object_new_double(r->top_p));
	if (r->top_k > 0)
		add(o, "top_k", json_object_new_int64(r->top_k));
	if (r->nstop > 0) {
		arr = json_object_new_array();
		for (i = 0; i < r->nstop; i++)
			json_object_array_add(arr, jstr(r->stop[i]));
		add(o, "stop", arr);
	}
	if (r->n > 0)
		add(o, "n", json_object_new_int64(r->n));
	if (r->has_seed)
		add(o, "seed", json_object_new_int64(r->seed));
	if (r->has_presence_penalty)
		add(o, "presence_penalty",
		    json_object_new_double(r->presence_penalty));
	if (r->has_frequency_penalty)
		add(o, "frequency_penalty",
		    json_object_new_double(r->frequency_penalty));
	add(o, "user", jstr(r->user));
	switch (r->format) {
	case C_FMT_TEXT:
		add(o, "format", jstr("text"));
		break;
	case C_FMT_JSON_OBJECT:
		add(o, "format", jstr("json_object"));
		break;
	case C_FMT_JSON_SCHEMA:
		add(o, "format", jstr("json_schema"));
		if (r->response_schema != NULL)
			add(o, "response_schema",
			    json_object_get(r->response_schema));
		add(o, "response_schema_name", jstr(r->response_schema_name));
		if (r->response_schema_strict)
			add(o, "response_schema_strict",
			    json_object_new_boolean(1));
		break;
	default:
		break;
	}
	switch (r->thinking) {
	case C_THINK_DISABLED:
		add(o, "thinking", jstr("disabled"));
		break;
	case C_THINK_ENABLED:
		add(o, "thinking", jstr("enabled"));
		break;
	case C_THINK_ADAPTIVE:
		add(o, "thinking", jstr("adaptive"));
		break;
	default:
		break;
	}
	if (r->thinking_budget != 0)
		add(o, "thinking_budget",
		    json_object_new_int64(r->thinking_budget));
	add(o, "reasoning_effort", jstr(r->reasoning_effort));
	if (r->include_thoughts)
		add(o, "include_thoughts", json_object_new_boolean(1));
	if (r->stream)
		add(o, "stream", json_object_new_boolean(1));
	if (r->include_usage)
		add(o, "include_usage", json_object_new_boolean(1));
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	rc = buf_add(out, s, len);
	json_object_put(o);
	return rc;
}

static json_object *
usage_json(const struct c_usage *u)
{
	json_object *o;

	if (u->input < 0 && u->output < 0 && u->cache_read < 0 &&
	    u->cache_write < 0 && u->reasoning < 0)
		return NULL;
	o = json_object_new_object();
	if (u->input >= 0)
		add(o, "input", json_object_new_int64(u->input));
	if (u->output >= 0)
		add(o, "output", json_object_new_int64(u->output));
	if (u->cache_read >= 0)
		add(o, "cache_read", json_object_new_int64(u->cache_read));
	if (u->cache_write >= 0)
		add(o, "cache_write", json_object_new_int64(u->cache_write));
	if (u->reasoning >= 0)
		add(o, "reasoning", json_object_new_int64(u->reasoning));
	return o;
}

json_object *
c_event_to_json(const struct c_event *e)
{
	static const char *const types[] = { "message_start", "block_start",
	    "block_delta", "block_stop", "message_delta", "message_stop",
	    "error", "ping" };
	static const char *const blocks[] = { "text", "thinking", "tool_use" };
	static const char *const deltas[] = { "text", "thinking", "signature",
	    "json" };
	json_object *o = json_object_new_object();

	add(o, "type", jstr(types[e->type]));
	switch (e->type) {
	case C_EV_MESSAGE_START:
		add(o, "id", jstr(e->id));
		add(o, "model", jstr(e->model));
		add(o, "usage", usage_json(&e->usage));
		break;
	case C_EV_BLOCK_START:
		add(o, "index", json_object_new_int(e->index));
		add(o, "block", jstr(blocks[e->block]));
		add(o, "id", jstr(e->id));
		add(o, "name", jstr(e->name));
		break;
	case C_EV_BLOCK_DELTA:
		add(o, "index", json_object_new_int(e->index));
		add(o, "delta", jstr(deltas[e->delta]));
		add(o, "text", jstrn(e->text, e->len));
		break;
	case C_EV_BLOCK_STOP:
		add(o, "index", json_object_new_int(e->index));
		break;
	case C_EV_MESSAGE_DELTA:
		add(o, "stop", jstr(e->stop == C_STOP_NONE ? NULL :
		    c_stop_str(e->stop)));
		add(o, "stop_sequence", jstr(e->stop_sequence));
		add(o, "usage", usage_json(&e->usage));
		break;
	case C_EV_ERROR:
		add(o, "status", json_object_new_int(e->status));
		add(o, "etype", jstr(e->etype));
		add(o, "message", jstr(e->message));
		break;
	default:
		break;
	}
	return o;
}

static int
rec_event(struct c_sink *s, const struct c_event *e)
{
	struct c_recorder *r = (struct c_recorder *)s;

	json_object_array_add(r->events, c_event_to_json(e));
	return 0;
}

void
c_recorder_init(struct c_recorder *r)
{
	r->sink.event = rec_event;
	r->events = json_object_new_array();
}

void
c_recorder_free(struct c_recorder *r)
{
	json_object_put(r->events);
	r->events = NULL;
}

/*
 * openai.c: the OpenAI Chat Completions dialect's table (DESIGN decision
 * 19), its model lists (conversion.md §6: one GET /v1/models body that
 * both the OpenAI and the Anthropic SDKs accept, DESIGN decision 16),
 * upstream error bodies (§7) and the helpers openai_req.c and
 * openai_resp.c share (finish reasons §4.3, usage §4.4, numbers).
 * Nothing here keeps state between calls or logs: callers decide.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonw.h"
#include "openai_int.h"
#include "util.h"

const struct dialect_ops dialect_openai = {
	.name = "openai",
	.decode_request = openai_decode_request,
	.encode_response = openai_encode_response,
	.stream_encoder = openai_stream_encoder,
	.encode_models = openai_encode_models,
	.encode_model = NULL,	/* no single-model route for OpenAI */
	.encode_request = openai_encode_request,
	.decode_response = openai_decode_response,
	.stream_decoder = openai_stream_decoder,
	.stream_decode = openai_stream_decode,
	.stream_end = openai_stream_end,
	.decode_models = openai_decode_models,
	.decode_error = openai_decode_error,
};

/* ---- shared helpers ------------------------------------------------------ */

int
oai_double(struct buf *b, double v)
{
	char s[64];

	if (!isfinite(v))
		v = 0;
	snprintf(s, sizeof(s), "%.15g", v);
	if (strtod(s, NULL) != v)
		snprintf(s, sizeof(s), "%.17g", v);
	return buf_addstr(b, s);
}

const char *
oai_finish_str(enum c_stop s, int has_tool_calls)
{
	switch (s) {
	case C_STOP_TOOL_USE:
		return "tool_calls";
	case C_STOP_MAX_TOKENS:
	case C_STOP_CONTEXT_WINDOW:
		return "length";
	case C_STOP_REFUSAL:
		return "content_filter";
	case C_STOP_NONE:
	case C_STOP_END_TURN:
		return has_tool_calls ? "tool_calls" : "stop";
	default:
		return "stop";
	}
}

enum c_stop
oai_finish_parse(const char *s)
{
	static const struct {
		const char	*name;
		enum c_stop	 stop;
	} map[] = {
		{ "stop", C_STOP_END_TURN },
		{ "length", C_STOP_MAX_TOKENS },
		{ "tool_calls", C_STOP_TOOL_USE },
		{ "function_call", C_STOP_TOOL_USE },
		{ "content_filter", C_STOP_REFUSAL },
		/* Claude names, from compatible servers that leak them */
		{ "end_turn", C_STOP_END_TURN },
		{ "max_tokens", C_STOP_MAX_TOKENS },
		{ "tool_use", C_STOP_TOOL_USE },
		{ "stop_sequence", C_STOP_STOP_SEQUENCE },
	};
	size_t i;

	if (s == NULL)
		return C_STOP_NONE;
	for (i = 0; i < nitems(map); i++)
		if (strcmp(s, map[i].name) == 0)
			return map[i].stop;
	return C_STOP_NONE;
}

static int64_t
nz(int64_t v)
{
	return v < 0 ? 0 : v;
}

int
oai_usage_write(struct buf *b, const struct c_usage *u)
{
	int64_t total;
	int r = 0;

	total = nz(u->input) > INT64_MAX - nz(u->output) ? INT64_MAX :
	    nz(u->input) + nz(u->output);
	r |= buf_addf(b, "{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
	    "\"total_tokens\":%lld,", (long long)nz(u->input),
	    (long long)nz(u->output), (long long)total);
	r |= buf_addf(b, "\"prompt_tokens_details\":{\"cached_tokens\":%lld},"
	    "\"completion_tokens_details\":{\"reasoning_tokens\":%lld}}",
	    (long long)nz(u->cache_read), (long long)nz(u->reasoning));
	return r ? -1 : 0;
}

/* A non-negative integer member (at most 2^53), or -1. */
static int64_t
count_of(json_object *o, const char *key)
{
	json_object *v;
	int64_t n;
	double d;

	v = c_json_get(o, key);
	if (v == NULL)
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
		return n < 0 || n > ((int64_t)1 << 53) ? -1 : n;
	}
	if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (isfinite(d) && d >= 0 && d < 9e15)
			return (int64_t)d;
	}
	return -1;
}

int
oai_usage_parse(json_object *u, struct c_usage *out)
{
	int64_t v;

	c_usage_init(out);
	if (u == NULL || !json_object_is_type(u, json_type_object))
		return 0;
	out->input = count_of(u, "prompt_tokens");
	if (out->input < 0)
		out->input = count_of(u, "input_tokens");
	out->output = count_of(u, "completion_tokens");
	if (out->output < 0)
		out->output = count_of(u, "output_tokens");
	out->cache_read = count_of(c_json_get(u, "prompt_tokens_details"),
	    "cached_tokens");
	if (out->cache_read < 0)
		out->cache_read = count_of(u, "prompt_cache_hit_tokens");
	if (out->cache_read < 0)
		out->cache_read = count_of(u, "cached_tokens");
	out->reasoning = count_of(c_json_get(u, "completion_tokens_details"),
	    "reasoning_tokens");
	out->cache_write = 0;
	if (out->input < 0)
		out->input = 0;
	if (out->output < 0)
		out->output = 0;
	if (out->cache_read < 0)
		out->cache_read = 0;
	if (out->reasoning < 0)
		out->reasoning = 0;
	v = out->input | out->output | out->cache_read | out->reasoning;
	return v != 0;
}

int
oai_error_status(json_object *err, int dflt)
{
	static const struct {
		const char	*name;
		int		 status;
	} map[] = {
		{ "invalid_request_error", 400 },
		{ "context_length_exceeded", 400 },
		{ "authentication_error", 401 },
		{ "invalid_api_key", 401 },
		{ "insufficient_quota", 402 },
		{ "billing_error", 402 },
		{ "permission_error", 403 },
		{ "not_found_error", 404 },
		{ "model_not_found", 404 },
		{ "timeout", 504 },
		{ "timeout_error", 504 },
		{ "request_too_large", 413 },
		{ "rate_limit_error", 429 },
		{ "rate_limit_exceeded", 429 },
		{ "server_error", 500 },
		{ "api_error", 500 },
		{ "overloaded_error", 529 },
	};
	const char *keys[] = { "code", "status", "type" };
	json_object *v;
	const char *s;
	size_t i, k;
	int64_t n;

	if (err == NULL || !json_object_is_type(err, json_type_object))
		return dflt;
	for (k = 0; k < nitems(keys); k++) {
		v = c_json_get(err, keys[k]);
		if (v == NULL)
			continue;
		if (json_object_is_type(v, json_type_int)) {
			n = json_object_get_int64(v);
			if (n >= 400 && n <= 599)
				return (int)n;
			continue;
		}
		if (!json_object_is_type(v, json_type_string))
			continue;
		s = json_object_get_string(v);
		for (i = 0; i < nitems(map); i++)
			if (strcmp(s, map[i].name) == 0)
				return map[i].status;
	}
	return dflt;
}

const char *
oai_error_message(json_object *body)
{
	json_object *e;
	const char *s;

	if (body != NULL && json_object_is_type(body, json_type_array) &&
	    json_object_array_length(body) > 0)
		body = json_object_array_get_idx(body, 0);
	if (body == NULL || !json_object_is_type(body, json_type_object))
		return NULL;
	e = c_json_get(body, "error");
	if (e != NULL && json_object_is_type(e, json_type_string) &&
	    json_object_get_string_len(e) > 0)
		return json_object_get_string(e);
	s = c_json_str(e, "message", NULL);
	if (s != NULL && *s != '\0')
		return s;
	s = c_json_str(body, "message", NULL);
	if (s != NULL && *s != '\0')
		return s;
	return NULL;
}

/* ---- errors (conversion.md §7) ------------------------------------------- */

/* Copy at most max bytes of s, not cutting a UTF-8 sequence. */
static void
copy_capped(char *dst, size_t dstlen, const char *s, size_t len, size_t max)
{
	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

void
openai_decode_error(int status, json_object *body, const char *raw,
    size_t rawlen, struct c_error *out)
{
	/* Claude's names, so a Claude client can be told the same type. */
	static const char *const claude_types[] = { "invalid_request_error",
	    "authentication_error", "billing_error", "permission_error",
	    "not_found_error", "request_too_large", "rate_limit_error",
	    "api_error", "overloaded_error", "timeout_error" };
	json_object *b = body;
	const char *msg, *type;
	size_t i;

	out->status = status >= 100 && status <= 599 ? status : 500;
	out->etype = NULL;
	out->message[0] = '\0';
	msg = oai_error_message(body);
	if (msg != NULL)
		copy_capped(out->message, sizeof(out->message), msg,
		    strlen(msg), 2000);
	else if (raw != NULL && rawlen > 0)
		copy_capped(out->message, sizeof(out->message), raw, rawlen,
		    2000);
	if (out->message[0] == '\0')
		snprintf(out->message, sizeof(out->message),
		    "upstream error (HTTP %d)", status);

	if (b != NULL && json_object_is_type(b, json_type_array) &&
	    json_object_array_length(b) > 0)
		b = json_object_array_get_idx(b, 0);
	type = c_json_str(c_json_get(b, "error"), "type", NULL);
	for (i = 0; type != NULL && i < nitems(claude_types); i++)
		if (strcmp(type, claude_types[i]) == 0)
			out->etype = claude_types[i];
}

/* ---- model lists (conversion.md §6) -------------------------------------- */

static void
rfc3339(int64_t t, char *out, size_t outlen)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strlcpy(out, "1970-01-01T00:00:00Z", outlen);
}

int
openai_encode_models(const struct c_model *m, size_t n,
    const struct c_opts *o, struct buf *out)
{
	char ts[64];
	int64_t created;
	size_t i;
	int r = 0;

	r |= buf_addstr(out, "{\"object\":\"list\",\"data\":[");
	for (i = 0; i < n; i++) {
		created = o != NULL && o->created > 0 ? o->created :
		    m[i].created > 0 ? m[i].created : (int64_t)time(NULL);
		rfc3339(created, ts, sizeof(ts));
		if (i > 0)
			r |= buf_addc(out, ',');
		r |= buf_addstr(out, "{\"id\":");
		r |= jw_cstr(out, m[i].id ? m[i].id : "");
		r |= buf_addf(out, ",\"object\":\"model\",\"created\":%lld,"
		    "\"owned_by\":", (long long)created);
		r |= jw_cstr(out, m[i].owned_by ? m[i].owned_by : "system");
		r |= buf_addstr(out, ",\"type\":\"model\",\"display_name\":");
		r |= jw_cstr(out, m[i].display_name ? m[i].display_name :
		    m[i].id ? m[i].id : "");
		r |= buf_addstr(out, ",\"created_at\":");
		r |= jw_cstr(out, ts);
		r |= buf_addc(out, '}');
	}
	r |= buf_addstr(out, "],\"has_more\":false,\"first_id\":");
	r |= jw_cstr(out, n > 0 ? (m[0].id ? m[0].id : "") : NULL);
	r |= buf_addstr(out, ",\"last_id\":");
	r |= jw_cstr(out, n > 0 ? (m[n - 1].id ? m[n - 1].id : "") : NULL);
	r |= buf_addc(out, '}');
	if (r != 0) {
		buf_free(out);
		return -1;
	}
	return 0;
}

static const char *
adup(struct arena *a, const char *s)
{
	return s != NULL ? arena_strdup(a, s) : NULL;
}

/*
 * An OpenAI list {object:"list", data:[{id, created, owned_by}]}, Qwen's
 * {data:[...]}, a bare array, and the reference's internal shapes
 * (conversion.md §6.1): Gemini {models:[{name:"models/<id>",
 * displayName, inputTokenLimit, outputTokenLimit}]} and Claude
 * {models:[{name, id?}]}.  Strings are copied into the arena.
 */
int
openai_decode_models(json_object *body, struct arena *a,
    struct c_model **out, size_t *n)
{
	json_object *arr, *e;
	struct c_model *m;
	const char *id, *ts;
	size_t i, len, k = 0;
	int from_models = 0, google;
	int64_t v;

	*out = NULL;
	*n = 0;
	if (body == NULL)
		return -1;
	if (json_object_is_type(body, json_type_array))
		arr = body;
	else {
		arr = c_json_get(body, "data");
		if (arr == NULL || !json_object_is_type(arr,
		    json_type_array)) {
			arr = c_json_get(body, "models");
			from_models = 1;
		}
	}
	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return -1;
	len = json_object_array_length(arr);
	m = arena_alloc(a, (len ? len : 1) * sizeof(*m));
	if (m == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		e = json_object_array_get_idx(arr, i);
		if (e == NULL || !json_object_is_type(e, json_type_object))
			continue;
		google = 0;
		id = c_json_str(e, "id", NULL);
		if (id == NULL || *id == '\0')
			id = c_json_str(e, "name", NULL);
		if (id != NULL && strncmp(id, "models/", 7) == 0) {
			id += 7;
			google = 1;
		}
		if (id == NULL || *id == '\0')
			continue;
		m[k].id = adup(a, id);
		m[k].display_name = adup(a, c_json_str(e, "display_name", NULL));
		if (m[k].display_name == NULL)
			m[k].display_name = adup(a, c_json_str(e, "displayName",
			    NULL));
		m[k].owned_by = adup(a, c_json_str(e, "owned_by", NULL));
		if (m[k].owned_by == NULL && from_models)
			m[k].owned_by = google ? "google" : "anthropic";
		v = count_of(e, "created");
		ts = c_json_str(e, "created_at", NULL);
		if (v <= 0 && ts != NULL)
			v = iso8601_parse(ts) / 1000;
		if (v > 0)
			m[k].created = v;
		v = count_of(e, "inputTokenLimit");
		if (v < 0)
			v = count_of(e, "context_length");
		m[k].input_limit = v > 0 ? v : 0;
		v = count_of(e, "outputTokenLimit");
		if (v < 0)
			v = count_of(e, "max_output_tokens");
		m[k].output_limit = v > 0 ? v : 0;
		if (m[k].id == NULL)
			return -1;
		k++;
	}
	*out = m;
	*n = k;
	return 0;
}

/*
 * claude_req.c: Anthropic Messages requests, both ways.  The client
 * side (claude_decode_request) validates a POST /v1/messages body and
 * turns it into a c_request whose strings are borrowed from the body's
 * json-c tree or copied into the request arena; the backend side
 * (claude_encode_request) renders any c_request as an Anthropic request
 * body following conversion.md §3 with Claude as the target: merged
 * turns, tool results first, the repair pass, the thinking constraints
 * of §3.9 and the default max_tokens.  The encoder works on malloc'd
 * copies of the part lists and frees them before it returns.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claude_int.h"
#include "jsonw.h"
#include "log.h"

#define PATH_MAX_LEN	128
#define SCHEMA_DEPTH	32
#define DEFAULT_MAX_TOKENS	8192

/* ==== client side: decoding ============================================== */

struct dctx {
	struct arena	*a;
	char		*err;
	size_t		 errlen;
};

static int
fail(struct dctx *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct dctx *d, const char *fmt, ...)
{
	va_list ap;

	if (d->err != NULL && d->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(d->err, d->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
nomem(struct dctx *d)
{
	return fail(d, "out of memory");
}

/* A member of o, or NULL when absent or JSON null; borrowed from o. */
static json_object *
member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	if (json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/* A field path for error messages, cut when too long. */
static void
pathf(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pathf(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
}

/* "path.key", or "key" at the top level, into out. */
static void
join_path(char *out, size_t outlen, const char *path, const char *key)
{
	if (path[0] == '\0')
		pathf(out, outlen, "%s", key);
	else
		pathf(out, outlen, "%s.%s", path, key);
}

/* An arena array of n elements (at least one, so that NULL means
 * failure). */
static void *
alloc_array(struct arena *a, size_t n, size_t size)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / size)
		return NULL;
	return arena_alloc(a, n * size);
}

/*
 * The string member key of o into *s (borrowed from o) and *len.
 * Absent: *s = NULL, an error when required.  Wrong type: an error.
 */
static int
get_str(struct dctx *d, json_object *o, const char *path, const char *key,
    int required, const char **s, size_t *len)
{
	char p[PATH_MAX_LEN];
	json_object *v;

	*s = NULL;
	if (len != NULL)
		*len = 0;
	v = member(o, key);
	if (v == NULL) {
		if (!required)
			return 0;
		join_path(p, sizeof(p), path, key);
		return fail(d, "%s: required", p);
	}
	if (!json_object_is_type(v, json_type_string)) {
		join_path(p, sizeof(p), path, key);
		return fail(d, "%s: must be a string", p);
	}
	*s = json_object_get_string(v);
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return 0;
}

/* An integer value (integral doubles accepted). */
static int
get_int(struct dctx *d, json_object *v, const char *path, int64_t *out)
{
	double x;

	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		x = json_object_get_double(v);
		if (isfinite(x) && x == floor(x) && x >= -9.2e18 &&
		    x <= 9.2e18) {
			*out = (int64_t)x;
			return 0;
		}
	}
	return fail(d, "%s: must be an integer", path);
}

static int
get_num(struct dctx *d, json_object *v, const char *path, double *out)
{
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return fail(d, "%s: must be a number", path);
	*out = json_object_get_double(v);
	if (!isfinite(*out))
		return fail(d, "%s: must be a number", path);
	return 0;
}

static int
is_true(json_object *v)
{
	return v != NULL && json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v);
}

/* An image or document "source" object into p. */
static int
decode_source(struct dctx *d, json_object *blk, const char *path,
    struct c_part *p, int document)
{
	char sp[PATH_MAX_LEN], cp[PATH_MAX_LEN];
	json_object *src, *content, *e;
	const char *type, *s;
	size_t len, i, n;
	struct buf b;

	src = member(blk, "source");
	join_path(sp, sizeof(sp), path, "source");
	if (src == NULL)
		return fail(d, "%s: required", sp);
	if (!json_object_is_type(src, json_type_object))
		return fail(d, "%s: must be an object", sp);
	if (get_str(d, src, sp, "type", 1, &type, NULL) == -1)
		return -1;
	if (strcmp(type, "base64") == 0) {
		if (get_str(d, src, sp, "media_type", !document,
		    &p->media_type, NULL) == -1)
			return -1;
		if (get_str(d, src, sp, "data", 1, &s, &len) == -1)
			return -1;
		p->data = c_b64_clean(d->a, s, len, &p->data_len);
		if (p->data == NULL)
			return nomem(d);
		return 0;
	}
	if (strcmp(type, "url") == 0)
		return get_str(d, src, sp, "url", 1, &p->url, NULL);
	if (document && strcmp(type, "text") == 0) {
		if (get_str(d, src, sp, "media_type", 0, &p->media_type,
		    NULL) == -1)
			return -1;
		return get_str(d, src, sp, "data", 1, &p->text, &p->text_len);
	}
	if (document && strcmp(type, "content") == 0) {
		/* A string, or text blocks joined with "\n". */
		content = member(src, "content");
		join_path(cp, sizeof(cp), sp, "content");
		if (content == NULL)
			return fail(d, "%s: required", cp);
		if (json_object_is_type(content, json_type_string)) {
			p->text = json_object_get_string(content);
			p->text_len = (size_t)json_object_get_string_len(
			    content);
			return 0;
		}
		if (!json_object_is_type(content, json_type_array))
			return fail(d, "%s: must be a string or an array", cp);
		buf_init(&b, 0);
		n = json_object_array_length(content);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(content, i);
			if (!json_object_is_type(e, json_type_object)) {
				buf_free(&b);
				return fail(d, "%s[%zu]: must be an object",
				    cp, i);
			}
			pathf(sp, sizeof(sp), "%s[%zu]", cp, i);
			if (get_str(d, e, sp, "type", 1, &type, NULL) == -1) {
				buf_free(&b);
				return -1;
			}
			if (strcmp(type, "text") != 0) {
				log_debug("%s: '%s' block dropped", sp, type);
				continue;
			}
			if (get_str(d, e, sp, "text", 1, &s, &len) == -1) {
				buf_free(&b);
				return -1;
			}
			if ((b.len > 0 && buf_addc(&b, '\n') == -1) ||
			    buf_add(&b, s, len) == -1) {
				buf_free(&b);
				return nomem(d);
			}
		}
		p->text = arena_strndup(d->a, b.data ? b.data : "", b.len);
		p->text_len = b.len;
		buf_free(&b);
		return p->text == NULL ? nomem(d) : 0;
	}
	join_path(cp, sizeof(cp), sp, "type");
	if (document)
		return fail(d, "%s: must be 'base64', 'text', 'content' or "
		    "'url'", cp);
	return fail(d, "%s: must be 'base64' or 'url'", cp);
}

/*
 * tool_use "input": an object, serialised compactly into the arena
 * (json-c's own serialisation buffer would be overwritten by a later
 * call on the same object).  A string holding a JSON object (a client
 * bug some converters have) is accepted; absent means {}.
 */
static int
decode_input(struct dctx *d, json_object *blk, const char *path,
    struct c_part *p)
{
	json_object *in, *parsed;
	const char *s;
	size_t len;

	in = member(blk, "input");
	if (in == NULL) {
		p->input = "{}";
		p->input_len = 2;
		return 0;
	}
	parsed = NULL;
	if (json_object_is_type(in, json_type_string)) {
		parsed = c_parse_json(json_object_get_string(in),
		    (size_t)json_object_get_string_len(in));
		in = parsed;
	}
	if (in == NULL || !json_object_is_type(in, json_type_object)) {
		json_object_put(parsed);
		return fail(d, "%s.input: must be an object", path);
	}
	s = json_object_to_json_string_length(in, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	p->input = arena_strndup(d->a, s, len);
	p->input_len = len;
	json_object_put(parsed);	/* s is gone now, p->input is a copy */
	return p->input == NULL ? nomem(d) : 0;
}

/* tool_result "content": a string, or text and image blocks. */
static int
decode_result_content(struct dctx *d, json_object *blk, const char *path,
    struct c_part *p)
{
	char cp[PATH_MAX_LEN], ep[PATH_MAX_LEN];
	json_object *c, *e;
	const char *type;
	struct c_part *q;
	size_t i, n;

	c = member(blk, "content");
	join_path(cp, sizeof(cp), path, "content");
	if (c == NULL)
		return 0;
	if (json_object_is_type(c, json_type_string)) {
		p->content = arena_alloc(d->a, sizeof(*p->content));
		if (p->content == NULL)
			return nomem(d);
		p->content->type = C_TEXT;
		p->content->text = json_object_get_string(c);
		p->content->text_len = (size_t)json_object_get_string_len(c);
		p->ncontent = 1;
		return 0;
	}
	if (!json_object_is_type(c, json_type_array))
		return fail(d, "%s: must be a string or an array", cp);
	n = json_object_array_length(c);
	p->content = alloc_array(d->a, n, sizeof(*p->content));
	if (p->content == NULL)
		return nomem(d);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(c, i);
		pathf(ep, sizeof(ep), "%s[%zu]", cp, i);
		if (!json_object_is_type(e, json_type_object))
			return fail(d, "%s: must be an object", ep);
		if (get_str(d, e, ep, "type", 1, &type, NULL) == -1)
			return -1;
		q = &p->content[p->ncontent];
		if (strcmp(type, "text") == 0) {
			q->type = C_TEXT;
			if (get_str(d, e, ep, "text", 1, &q->text,
			    &q->text_len) == -1)
				return -1;
		} else if (strcmp(type, "image") == 0) {
			q->type = C_IMAGE;
			if (decode_source(d, e, ep, q, 0) == -1)
				return -1;
		} else {
			log_debug("%s: '%s' block dropped", ep, type);
			continue;
		}
		q->cache_control = member(e, "cache_control") != NULL;
		p->ncontent++;
	}
	return 0;
}

/*
 * One content block into p.  Returns 1 when p was filled, 0 when the
 * block is of a type the canonical model has no place for (dropped), -1
 * on a malformed block.
 */
static int
decode_block(struct dctx *d, json_object *blk, const char *path,
    struct c_part *p)
{
	const char *type;

	if (!json_object_is_type(blk, json_type_object))
		return fail(d, "%s: must be an object", path);
	if (get_str(d, blk, path, "type", 1, &type, NULL) == -1)
		return -1;
	memset(p, 0, sizeof(*p));
	if (strcmp(type, "text") == 0) {
		p->type = C_TEXT;
		if (get_str(d, blk, path, "text", 1, &p->text,
		    &p->text_len) == -1)
			return -1;
	} else if (strcmp(type, "image") == 0) {
		p->type = C_IMAGE;
		if (decode_source(d, blk, path, p, 0) == -1)
			return -1;
	} else if (strcmp(type, "document") == 0) {
		p->type = C_DOCUMENT;
		if (decode_source(d, blk, path, p, 1) == -1 ||
		    get_str(d, blk, path, "title", 0, &p->title, NULL) == -1)
			return -1;
	} else if (strcmp(type, "tool_use") == 0) {
		p->type = C_TOOL_USE;
		if (get_str(d, blk, path, "id", 1, &p->id, NULL) == -1 ||
		    get_str(d, blk, path, "name", 1, &p->name, NULL) == -1 ||
		    decode_input(d, blk, path, p) == -1)
			return -1;
	} else if (strcmp(type, "tool_result") == 0) {
		p->type = C_TOOL_RESULT;
		if (get_str(d, blk, path, "tool_use_id", 1, &p->id,
		    NULL) == -1 ||
		    decode_result_content(d, blk, path, p) == -1)
			return -1;
		p->is_error = is_true(member(blk, "is_error"));
	} else if (strcmp(type, "thinking") == 0) {
		p->type = C_THINKING;
		p->origin = C_ORIGIN_CLAUDE;
		if (get_str(d, blk, path, "thinking", 1, &p->text,
		    &p->text_len) == -1 ||
		    get_str(d, blk, path, "signature", 0, &p->signature,
		    NULL) == -1)
			return -1;
	} else if (strcmp(type, "redacted_thinking") == 0) {
		p->type = C_REDACTED_THINKING;
		if (get_str(d, blk, path, "data", 1, &p->data,
		    &p->data_len) == -1)
			return -1;
	} else {
		log_debug("%s: '%s' block dropped", path, type);
		return 0;
	}
	p->cache_control = member(blk, "cache_control") != NULL;
	return 1;
}

static int
decode_messages(struct dctx *d, json_object *body, struct c_request *out)
{
	char mp[PATH_MAX_LEN], bp[PATH_MAX_LEN];
	json_object *msgs, *m, *c;
	struct c_message *cm;
	const char *role;
	size_t i, j, n, nb;
	int rc;

	msgs = member(body, "messages");
	if (msgs == NULL)
		return fail(d, "messages: required");
	if (!json_object_is_type(msgs, json_type_array))
		return fail(d, "messages: must be an array");
	n = json_object_array_length(msgs);
	out->msgs = alloc_array(d->a, n, sizeof(*out->msgs));
	if (out->msgs == NULL)
		return nomem(d);
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(msgs, i);
		pathf(mp, sizeof(mp), "messages[%zu]", i);
		if (!json_object_is_type(m, json_type_object))
			return fail(d, "%s: must be an object", mp);
		cm = &out->msgs[out->nmsgs];
		if (get_str(d, m, mp, "role", 1, &role, NULL) == -1)
			return -1;
		if (strcmp(role, "user") == 0)
			cm->role = C_USER;
		else if (strcmp(role, "assistant") == 0)
			cm->role = C_ASSISTANT;
		else
			return fail(d, "%s.role: must be 'user' or "
			    "'assistant'", mp);
		c = member(m, "content");
		if (c == NULL)
			return fail(d, "%s.content: required", mp);
		if (json_object_is_type(c, json_type_string)) {
			cm->parts = arena_alloc(d->a, sizeof(*cm->parts));
			if (cm->parts == NULL)
				return nomem(d);
			cm->parts[0].type = C_TEXT;
			cm->parts[0].text = json_object_get_string(c);
			cm->parts[0].text_len =
			    (size_t)json_object_get_string_len(c);
			cm->nparts = 1;
		} else if (json_object_is_type(c, json_type_array)) {
			nb = json_object_array_length(c);
			cm->parts = alloc_array(d->a, nb, sizeof(*cm->parts));
			if (cm->parts == NULL)
				return nomem(d);
			for (j = 0; j < nb; j++) {
				pathf(bp, sizeof(bp), "%s.content[%zu]",
				    mp, j);
				rc = decode_block(d,
				    json_object_array_get_idx(c, j), bp,
				    &cm->parts[cm->nparts]);
				if (rc == -1)
					return -1;
				cm->nparts += (size_t)rc;
			}
		} else
			return fail(d, "%s.content: must be a string or an "
			    "array", mp);
		out->nmsgs++;
	}
	return 0;
}

static int
decode_system(struct dctx *d, json_object *body, struct c_request *out)
{
	char p[PATH_MAX_LEN];
	json_object *s, *e;
	const char *type;
	struct c_part *q;
	size_t i, n;

	s = member(body, "system");
	if (s == NULL)
		return 0;
	if (json_object_is_type(s, json_type_string)) {
		if (json_object_get_string_len(s) == 0)
			return 0;
		out->system = arena_alloc(d->a, sizeof(*out->system));
		if (out->system == NULL)
			return nomem(d);
		out->system->type = C_TEXT;
		out->system->text = json_object_get_string(s);
		out->system->text_len = (size_t)json_object_get_string_len(s);
		out->nsystem = 1;
		return 0;
	}
	if (!json_object_is_type(s, json_type_array))
		return fail(d, "system: must be a string or an array");
	n = json_object_array_length(s);
	out->system = alloc_array(d->a, n, sizeof(*out->system));
	if (out->system == NULL)
		return nomem(d);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(s, i);
		pathf(p, sizeof(p), "system[%zu]", i);
		if (!json_object_is_type(e, json_type_object))
			return fail(d, "%s: must be an object", p);
		if (get_str(d, e, p, "type", 1, &type, NULL) == -1)
			return -1;
		if (strcmp(type, "text") != 0)
			return fail(d, "%s.type: must be 'text'", p);
		q = &out->system[out->nsystem];
		q->type = C_TEXT;
		if (get_str(d, e, p, "text", 1, &q->text, &q->text_len) == -1)
			return -1;
		q->cache_control = member(e, "cache_control") != NULL;
		out->nsystem++;
	}
	return 0;
}

static int
decode_tools(struct dctx *d, json_object *body, struct c_request *out)
{
	char p[PATH_MAX_LEN];
	json_object *tools, *t, *schema;
	struct c_tool *ct;
	const char *type;
	size_t i, n;

	tools = member(body, "tools");
	if (tools == NULL)
		return 0;
	if (!json_object_is_type(tools, json_type_array))
		return fail(d, "tools: must be an array");
	n = json_object_array_length(tools);
	out->tools = alloc_array(d->a, n, sizeof(*out->tools));
	if (out->tools == NULL)
		return nomem(d);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tools, i);
		pathf(p, sizeof(p), "tools[%zu]", i);
		if (!json_object_is_type(t, json_type_object))
			return fail(d, "%s: must be an object", p);
		ct = &out->tools[out->ntools];
		if (get_str(d, t, p, "type", 0, &type, NULL) == -1)
			return -1;
		if (type != NULL && strcmp(type, "custom") != 0)
			ct->type = type;	/* server tool */
		if (get_str(d, t, p, "name", ct->type == NULL, &ct->name,
		    NULL) == -1 ||
		    get_str(d, t, p, "description", 0, &ct->description,
		    NULL) == -1)
			return -1;
		schema = member(t, "input_schema");
		if (schema != NULL &&
		    !json_object_is_type(schema, json_type_object))
			return fail(d, "%s.input_schema: must be an object", p);
		ct->schema = schema;
		out->ntools++;
	}
	return 0;
}

static int
decode_tool_choice(struct dctx *d, json_object *body, struct c_request *out)
{
	json_object *tc, *dp;
	const char *type;

	tc = member(body, "tool_choice");
	if (tc == NULL)
		return 0;
	if (json_object_is_type(tc, json_type_string))
		type = json_object_get_string(tc);
	else if (json_object_is_type(tc, json_type_object)) {
		if (get_str(d, tc, "tool_choice", "type", 1, &type,
		    NULL) == -1)
			return -1;
		dp = member(tc, "disable_parallel_tool_use");
		if (dp != NULL) {
			if (!json_object_is_type(dp, json_type_boolean))
				return fail(d, "tool_choice."
				    "disable_parallel_tool_use: must be a "
				    "boolean");
			out->has_parallel_tool_calls = 1;
			out->parallel_tool_calls =
			    !json_object_get_boolean(dp);
		}
	} else
		return fail(d, "tool_choice: must be an object");
	if (strcmp(type, "auto") == 0)
		out->tool_choice = C_TC_AUTO;
	else if (strcmp(type, "any") == 0)
		out->tool_choice = C_TC_ANY;
	else if (strcmp(type, "none") == 0)
		out->tool_choice = C_TC_NONE;
	else if (strcmp(type, "tool") == 0 &&
	    json_object_is_type(tc, json_type_object)) {
		out->tool_choice = C_TC_TOOL;
		if (get_str(d, tc, "tool_choice", "name", 1,
		    &out->tool_choice_name, NULL) == -1)
			return -1;
	} else
		return fail(d, "tool_choice.type: must be 'auto', 'any', "
		    "'none' or 'tool'");
	return 0;
}

static int
decode_thinking(struct dctx *d, json_object *body, struct c_request *out)
{
	json_object *t, *v, *oc;
	const char *type, *effort;

	t = member(body, "thinking");
	if (t == NULL)
		return 0;
	if (!json_object_is_type(t, json_type_object))
		return fail(d, "thinking: must be an object");
	if (get_str(d, t, "thinking", "type", 1, &type, NULL) == -1)
		return -1;
	if (strcmp(type, "enabled") == 0) {
		out->thinking = C_THINK_ENABLED;
		out->include_thoughts = 1;
		v = member(t, "budget_tokens");
		if (v != NULL && get_int(d, v, "thinking.budget_tokens",
		    &out->thinking_budget) == -1)
			return -1;
	} else if (strcmp(type, "adaptive") == 0) {
		out->thinking = C_THINK_ADAPTIVE;
		out->include_thoughts = 1;
		/* output_config.effort; HEAD clients also put it here */
		effort = NULL;
		oc = member(body, "output_config");
		if (oc != NULL && json_object_is_type(oc, json_type_object) &&
		    get_str(d, oc, "output_config", "effort", 0, &effort,
		    NULL) == -1)
			return -1;
		if (effort == NULL && get_str(d, t, "thinking", "effort", 0,
		    &effort, NULL) == -1)
			return -1;
		out->reasoning_effort = effort;
	} else if (strcmp(type, "disabled") == 0)
		out->thinking = C_THINK_DISABLED;
	else
		return fail(d, "thinking.type: must be 'enabled', "
		    "'disabled' or 'adaptive'");
	return 0;
}

static int
decode_params(struct dctx *d, json_object *body, struct c_request *out)
{
	json_object *v, *e;
	size_t i, n;
	char p[PATH_MAX_LEN];
	int64_t x;

	v = member(body, "max_tokens");
	if (v != NULL) {
		if (get_int(d, v, "max_tokens", &x) == -1)
			return -1;
		out->max_tokens = x > 0 ? x : 0;
	}
	v = member(body, "temperature");
	if (v != NULL) {
		if (get_num(d, v, "temperature", &out->temperature) == -1)
			return -1;
		out->has_temperature = 1;
	}
	v = member(body, "top_p");
	if (v != NULL) {
		if (get_num(d, v, "top_p", &out->top_p) == -1)
			return -1;
		out->has_top_p = 1;
	}
	v = member(body, "top_k");
	if (v != NULL) {
		if (get_int(d, v, "top_k", &x) == -1)
			return -1;
		out->top_k = x > 0 ? x : 0;
	}
	v = member(body, "stop_sequences");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_array))
			return fail(d, "stop_sequences: must be an array");
		n = json_object_array_length(v);
		out->stop = alloc_array(d->a, n, sizeof(*out->stop));
		if (out->stop == NULL)
			return nomem(d);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(v, i);
			if (!json_object_is_type(e, json_type_string)) {
				pathf(p, sizeof(p), "stop_sequences[%zu]",
				    i);
				return fail(d, "%s: must be a string", p);
			}
			out->stop[out->nstop++] = json_object_get_string(e);
		}
	}
	v = member(body, "metadata");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_object))
			return fail(d, "metadata: must be an object");
		if (get_str(d, v, "metadata", "user_id", 0, &out->user,
		    NULL) == -1)
			return -1;
	}
	return 0;
}

int
claude_decode_request(json_object *body, const char *path_model, int stream,
    struct c_request *out, struct arena *a, char *err, size_t errlen)
{
	struct dctx d;
	size_t len;

	d.a = a;
	d.err = err;
	d.errlen = errlen;
	memset(out, 0, sizeof(*out));
	if (body == NULL || !json_object_is_type(body, json_type_object))
		return fail(&d, "request body must be a JSON object");
	if (get_str(&d, body, "", "model", 0, &out->model, &len) == -1)
		return -1;
	if (out->model == NULL || len == 0) {
		out->model = NULL;
		return fail(&d, "model: required");
	}
	if (decode_system(&d, body, out) == -1 ||
	    decode_messages(&d, body, out) == -1 ||
	    decode_tools(&d, body, out) == -1 ||
	    decode_tool_choice(&d, body, out) == -1 ||
	    decode_thinking(&d, body, out) == -1 ||
	    decode_params(&d, body, out) == -1)
		return -1;
	if (stream == -1)
		out->stream = is_true(member(body, "stream"));
	else
		out->stream = stream != 0;
	return 0;
}

/* ==== backend side: encoding ============================================== */

/*
 * The encoder's working copy of the conversation: shallow copies of the
 * request's parts (strings stay borrowed), so turns can be merged, parts
 * moved, trimmed or replaced without touching the request.  Synthetic
 * texts are malloc'd and listed in own.
 */
struct wmsg {
	enum c_role	 role;
	struct c_part	*v;
	size_t		 n, cap;
};

struct enc {
	const struct c_request	*r;
	const struct c_opts	*o;
	struct wmsg		*m;
	size_t			 nm, capm;
	char			**own;
	size_t			 nown, capown;
	int			 oom;
};

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v';
}

static int
is_blank(const char *s, size_t len)
{
	size_t i;

	if (s == NULL)
		return 1;
	for (i = 0; i < len; i++)
		if (!is_ws((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / size)
		return -1;
	nv = realloc(*v, ncap * size);
	if (nv == NULL)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}

static int
wmsg_push(struct wmsg *w, const struct c_part *p)
{
	if (grow((void **)&w->v, &w->cap, w->n + 1, sizeof(*w->v)) == -1)
		return -1;
	w->v[w->n++] = *p;
	return 0;
}

/* A message of this role at the end, merged into the last one when it
 * has the same role. */
static struct wmsg *
enc_turn(struct enc *e, enum c_role role)
{
	struct wmsg *w;

	if (e->nm > 0 && e->m[e->nm - 1].role == role)
		return &e->m[e->nm - 1];
	if (grow((void **)&e->m, &e->capm, e->nm + 1, sizeof(*e->m)) == -1)
		return NULL;
	w = &e->m[e->nm++];
	memset(w, 0, sizeof(*w));
	w->role = role;
	return w;
}

/* Keep a malloc'd string until the encoder is done; NULL on failure. */
static const char *
enc_own(struct enc *e, char *s)
{
	if (s == NULL)
		return NULL;
	if (grow((void **)&e->own, &e->capown, e->nown + 1,
	    sizeof(*e->own)) == -1) {
		free(s);
		return NULL;
	}
	e->own[e->nown++] = s;
	return s;
}

static void
enc_free(struct enc *e)
{
	size_t i;

	for (i = 0; i < e->nm; i++)
		free(e->m[i].v);
	free(e->m);
	for (i = 0; i < e->nown; i++)
		free(e->own[i]);
	free(e->own);
}

/* A synthetic text part. */
static int
text_part(struct enc *e, struct c_part *p, char *s)
{
	memset(p, 0, sizeof(*p));
	p->type = C_TEXT;
	p->text = enc_own(e, s);
	if (p->text == NULL)
		return -1;
	p->text_len = strlen(p->text);
	return 0;
}

/* The texts of a tool result's content joined with "\n"; malloc'd. */
static char *
result_text(const struct c_part *p)
{
	struct buf b;
	size_t i;
	int first = 1;

	buf_init(&b, 0);
	for (i = 0; i < p->ncontent; i++) {
		if (p->content[i].type != C_TEXT ||
		    p->content[i].text == NULL)
			continue;
		if ((!first && buf_addc(&b, '\n') == -1) ||
		    buf_add(&b, p->content[i].text,
		    p->content[i].text_len) == -1)
			return NULL;
		first = 0;
	}
	if (b.len == 0)
		return strdup("");	/* an empty buf's data may be unset */
	return buf_steal(&b);
}

/*
 * Step 1 (§3.1, §1.6 rule 8, §3.3): copy the turns, merging same-role
 * runs; drop blank text, thinking of other vendors; audio becomes a
 * placeholder text.
 */
static int
enc_collect(struct enc *e)
{
	const struct c_request *r = e->r;
	const struct c_message *m;
	const struct c_part *p;
	struct c_part tp;
	struct wmsg *w;
	const char *fmt;
	char *s;
	size_t i, j;
	int audio;

	for (i = 0; i < r->nmsgs; i++) {
		m = &r->msgs[i];
		w = NULL;
		for (j = 0; j < m->nparts; j++) {
			p = &m->parts[j];
			audio = 0;
			switch (p->type) {
			case C_TEXT:
				if (is_blank(p->text, p->text_len))
					continue;
				break;
			case C_THINKING:
				if (p->origin != C_ORIGIN_CLAUDE)
					continue;
				break;
			case C_AUDIO:
				audio = 1;
				break;
			default:
				break;
			}
			if (w == NULL)
				w = enc_turn(e, m->role);
			if (w == NULL)
				return -1;
			if (audio) {
				fmt = p->media_type != NULL &&
				    strchr(p->media_type, '/') != NULL ?
				    strchr(p->media_type, '/') + 1 : "unknown";
				if (asprintf(&s, "[Audio Input: %s]", fmt) ==
				    -1)
					return -1;
				if (text_part(e, &tp, s) == -1 ||
				    wmsg_push(w, &tp) == -1)
					return -1;
				continue;
			}
			if (wmsg_push(w, p) == -1)
				return -1;
		}
	}
	return 0;
}

/* Does turn w (of role) hold a part of type with this tool id? */
static int
has_part(const struct wmsg *w, enum c_role role, enum c_part_type type,
    const char *id)
{
	size_t i;

	if (w == NULL || w->role != role || id == NULL)
		return 0;
	for (i = 0; i < w->n; i++)
		if (w->v[i].type == type && w->v[i].id != NULL &&
		    strcmp(w->v[i].id, id) == 0)
			return 1;
	return 0;
}

/*
 * Step 2, the repair pass (§3.6 rule 7): a result that answers no call
 * of the turn before becomes a text part; a call (not in the last turn)
 * without a result in the next turn is removed; emptied turns go and
 * the neighbours are merged again.
 */
static int
enc_repair(struct enc *e)
{
	struct wmsg *w, *prev, *next, *old;
	size_t i, j, k, nold;
	struct c_part tp;
	char *txt, *s;

	for (i = 0; i < e->nm; i++) {
		w = &e->m[i];
		prev = i > 0 ? &e->m[i - 1] : NULL;
		if (w->role != C_USER)
			continue;
		for (j = 0; j < w->n; j++) {
			if (w->v[j].type != C_TOOL_RESULT ||
			    has_part(prev, C_ASSISTANT, C_TOOL_USE, w->v[j].id))
				continue;
			txt = result_text(&w->v[j]);
			if (txt == NULL)
				return -1;
			if (asprintf(&s, "Tool result (%s): %s",
			    w->v[j].id ? w->v[j].id : "", txt) == -1) {
				free(txt);
				return -1;
			}
			free(txt);
			if (text_part(e, &tp, s) == -1)
				return -1;
			w->v[j] = tp;
		}
	}
	for (i = 0; i + 1 < e->nm; i++) {
		w = &e->m[i];
		next = &e->m[i + 1];
		if (w->role != C_ASSISTANT)
			continue;
		for (j = k = 0; j < w->n; j++) {
			if (w->v[j].type == C_TOOL_USE &&
			    !has_part(next, C_USER, C_TOOL_RESULT, w->v[j].id)) {
				log_debug("claude: tool_use %s without a "
				    "result removed", w->v[j].id ?
				    w->v[j].id : "");
				continue;
			}
			w->v[k++] = w->v[j];
		}
		w->n = k;
	}
	/* drop empty turns, merge what became adjacent */
	old = e->m;
	nold = e->nm;
	e->m = NULL;
	e->nm = e->capm = 0;
	for (i = 0; i < nold; i++) {
		if (old[i].n == 0) {
			free(old[i].v);
			continue;
		}
		if (e->nm > 0 && e->m[e->nm - 1].role == old[i].role) {
			w = &e->m[e->nm - 1];
			for (j = 0; j < old[i].n; j++)
				if (wmsg_push(w, &old[i].v[j]) == -1)
					goto bad;
			free(old[i].v);
			old[i].v = NULL;
			continue;
		}
		if (grow((void **)&e->m, &e->capm, e->nm + 1,
		    sizeof(*e->m)) == -1)
			goto bad;
		e->m[e->nm++] = old[i];
		old[i].v = NULL;
	}
	free(old);
	return 0;
bad:
	for (; i < nold; i++)
		free(old[i].v);
	free(old);
	return -1;
}

static int
part_rank(const struct wmsg *w, const struct c_part *p)
{
	if (w->role == C_USER)
		return p->type == C_TOOL_RESULT ? 0 : 1;
	switch (p->type) {
	case C_THINKING:
	case C_REDACTED_THINKING:
		return 0;
	case C_TOOL_USE:
		return 2;
	default:
		return 1;
	}
}

/*
 * Step 3: block order (§3.1, §3.6 rule 6): tool results first in a
 * user turn; thinking, text, tool calls in an assistant turn.  Stable.
 * Then the final assistant turn loses trailing white space (§1.6 rule 7).
 */
static int
enc_order(struct enc *e)
{
	struct c_part *tmp, *last;
	struct wmsg *w;
	size_t i, j, k;
	int rank;

	for (i = 0; i < e->nm; i++) {
		w = &e->m[i];
		if (w->n < 2)
			continue;
		tmp = calloc(w->n, sizeof(*tmp));
		if (tmp == NULL)
			return -1;
		k = 0;
		for (rank = 0; rank < 3; rank++)
			for (j = 0; j < w->n; j++)
				if (part_rank(w, &w->v[j]) == rank)
					tmp[k++] = w->v[j];
		memcpy(w->v, tmp, w->n * sizeof(*tmp));
		free(tmp);
	}
	if (e->nm == 0 || e->m[e->nm - 1].role != C_ASSISTANT)
		return 0;
	w = &e->m[e->nm - 1];
	while (w->n > 0) {
		last = &w->v[w->n - 1];
		if (last->type != C_TEXT)
			break;
		while (last->text_len > 0 &&
		    is_ws((unsigned char)last->text[last->text_len - 1]))
			last->text_len--;
		if (last->text_len > 0)
			break;
		w->n--;
	}
	if (w->n == 0) {
		free(w->v);
		e->nm--;
	}
	return 0;
}

/* ---- writing ------------------------------------------------------------- */

/* A tool id safe for Claude: [A-Za-z0-9_-] kept, others become '_'. */
static int
put_id(struct buf *b, const char *id)
{
	size_t i, len;
	char *s;
	int rc;

	if (id == NULL)
		id = "";
	len = strlen(id);
	s = malloc(len + 1);
	if (s == NULL)
		return -1;
	for (i = 0; i < len; i++)
		s[i] = isalnum((unsigned char)id[i]) || id[i] == '_' ||
		    id[i] == '-' ? id[i] : '_';
	s[len] = '\0';
	rc = jw_str(b, s, len);
	free(s);
	return rc;
}

static int
put_lower(struct buf *b, const char *s)
{
	char tmp[32];
	size_t i, len = strlen(s);

	if (len >= sizeof(tmp))
		return jw_str(b, s, len);
	for (i = 0; i < len; i++)
		tmp[i] = (char)tolower((unsigned char)s[i]);
	return jw_str(b, tmp, len);
}

static int	put_schema(struct buf *, json_object *, int, int);

static int
put_schema_map(struct buf *b, json_object *o, int depth)
{
	int r = 0, first = 1;

	if (!json_object_is_type(o, json_type_object))
		return jw_obj(b, o);
	r |= buf_addc(b, '{');
	json_object_object_foreach(o, mk, mv) {
		r |= jw_key(b, mk, first);
		r |= put_schema(b, mv, depth + 1, 0);
		first = 0;
	}
	r |= buf_addc(b, '}');
	return r ? -1 : 0;
}

static int
put_schema_list(struct buf *b, json_object *a, int depth)
{
	size_t i, n;
	int r = 0;

	if (!json_object_is_type(a, json_type_array))
		return put_schema(b, a, depth + 1, 0);
	n = json_object_array_length(a);
	r |= buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			r |= buf_addc(b, ',');
		r |= put_schema(b, json_object_array_get_idx(a, i),
		    depth + 1, 0);
	}
	r |= buf_addc(b, ']');
	return r ? -1 : 0;
}

/*
 * A JSON Schema for input_schema (§3.4): Gemini spellings normalised
 * (upper-case type names lowered, nullable folded into the type,
 * propertyOrdering dropped); the top level is an object schema.
 */
static int
put_schema(struct buf *b, json_object *s, int depth, int top)
{
	static const char *const maps[] = { "properties", "$defs",
	    "definitions", "patternProperties", "dependentSchemas", NULL };
	static const char *const lists[] = { "anyOf", "oneOf", "allOf",
	    "prefixItems", NULL };
	static const char *const subs[] = { "items", "additionalProperties",
	    "not", "if", "then", "else", "contains", "propertyNames",
	    "additionalItems", "unevaluatedProperties", "unevaluatedItems",
	    NULL };
	json_object *type = NULL, *nullable = NULL, *props = NULL;
	int r = 0, first = 1, nul, done, obj = 0;
	size_t i, n;

	if (s == NULL)
		return buf_addstr(b, top ? "{\"type\":\"object\","
		    "\"properties\":{}}" : "{}");
	if (!json_object_is_type(s, json_type_object) || depth > SCHEMA_DEPTH)
		return jw_obj(b, s);
	json_object_object_get_ex(s, "type", &type);
	json_object_object_get_ex(s, "nullable", &nullable);
	json_object_object_get_ex(s, "properties", &props);
	nul = nullable != NULL &&
	    json_object_is_type(nullable, json_type_boolean) &&
	    json_object_get_boolean(nullable);
	r |= buf_addc(b, '{');
	json_object_object_foreach(s, key, val) {
		if (strcmp(key, "propertyOrdering") == 0 ||
		    (strcmp(key, "nullable") == 0 &&
		    json_object_is_type(val, json_type_boolean)))
			continue;
		r |= jw_key(b, key, first);
		first = 0;
		if (strcmp(key, "type") == 0) {
			if (json_object_is_type(val, json_type_string)) {
				if (strcasecmp(json_object_get_string(val),
				    "object") == 0)
					obj = 1;
				if (nul)
					r |= buf_addc(b, '[');
				r |= put_lower(b, json_object_get_string(val));
				if (nul)
					r |= buf_addstr(b, ",\"null\"]");
			} else if (json_object_is_type(val, json_type_array)) {
				n = json_object_array_length(val);
				r |= buf_addc(b, '[');
				for (i = 0; i < n; i++) {
					json_object *t;

					t = json_object_array_get_idx(val, i);
					if (i > 0)
						r |= buf_addc(b, ',');
					if (json_object_is_type(t,
					    json_type_string))
						r |= put_lower(b,
						    json_object_get_string(t));
					else
						r |= jw_obj(b, t);
				}
				r |= buf_addc(b, ']');
			} else
				r |= jw_obj(b, val);
			continue;
		}
		done = 0;
		for (i = 0; maps[i] != NULL && !done; i++)
			if (strcmp(key, maps[i]) == 0) {
				r |= put_schema_map(b, val, depth);
				done = 1;
			}
		for (i = 0; lists[i] != NULL && !done; i++)
			if (strcmp(key, lists[i]) == 0) {
				r |= put_schema_list(b, val, depth);
				done = 1;
			}
		for (i = 0; subs[i] != NULL && !done; i++)
			if (strcmp(key, subs[i]) == 0) {
				if (json_object_is_type(val, json_type_array))
					r |= put_schema_list(b, val, depth);
				else
					r |= put_schema(b, val, depth + 1, 0);
				done = 1;
			}
		if (!done)
			r |= jw_obj(b, val);
	}
	if (top && type == NULL) {
		r |= jw_key(b, "type", first);
		r |= buf_addstr(b, "\"object\"");
		first = 0;
		obj = 1;
	}
	if (top && obj && props == NULL) {
		r |= jw_key(b, "properties", first);
		r |= buf_addstr(b, "{}");
	}
	r |= buf_addc(b, '}');
	return r ? -1 : 0;
}

/* tool_use input: the object, or {} when it is not one (§3.6 rule 2). */
static int
put_input(struct buf *b, const struct c_part *p)
{
	json_object *o = NULL, *inner;
	int rc;

	if (p->input != NULL)
		o = c_parse_json(p->input, p->input_len);
	if (o != NULL && json_object_is_type(o, json_type_string)) {
		inner = c_parse_json(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		json_object_put(o);
		o = inner;
	}
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		if (p->input != NULL)
			log_warnx("claude: tool_use %s input is not a JSON "
			    "object; sent as {}", p->id ? p->id : "");
		json_object_put(o);
		return buf_addstr(b, "{}");
	}
	rc = jw_obj(b, o);
	json_object_put(o);
	return rc;
}

static int
put_cache(struct buf *b, const struct c_part *p)
{
	if (!p->cache_control)
		return 0;
	return buf_addstr(b, ",\"cache_control\":{\"type\":\"ephemeral\"}");
}

static int	put_block(struct buf *, const struct c_part *);

static int
put_text_block(struct buf *b, const char *s, size_t len)
{
	int r = 0;

	r |= buf_addstr(b, "{\"type\":\"text\",\"text\":");
	r |= jw_str(b, s, len);
	return r;
}

/* Text and image blocks of a tool result that Claude accepts. */
static int
result_keeps(const struct c_part *q)
{
	if (q->type == C_IMAGE)
		return 1;
	return q->type == C_TEXT && !is_blank(q->text, q->text_len);
}

static int
put_result(struct buf *b, const struct c_part *p)
{
	size_t i, n = 0;
	int r = 0, first = 1;

	r |= buf_addstr(b, "{\"type\":\"tool_result\",\"tool_use_id\":");
	r |= put_id(b, p->id);
	for (i = 0; i < p->ncontent; i++)
		n += result_keeps(&p->content[i]);
	if (p->ncontent == 1 && p->content[0].type == C_TEXT &&
	    !p->content[0].cache_control) {
		/* one text: a string, as the clients send it (§3.6) */
		r |= buf_addstr(b, ",\"content\":");
		r |= jw_str(b, p->content[0].text ? p->content[0].text : "",
		    p->content[0].text_len);
	} else if (n > 0) {
		r |= buf_addstr(b, ",\"content\":[");
		for (i = 0; i < p->ncontent; i++) {
			if (!result_keeps(&p->content[i]))
				continue;
			if (!first)
				r |= buf_addc(b, ',');
			r |= put_block(b, &p->content[i]);
			first = 0;
		}
		r |= buf_addc(b, ']');
	}
	if (p->is_error)
		r |= buf_addstr(b, ",\"is_error\":true");
	r |= put_cache(b, p);
	r |= buf_addc(b, '}');
	return r ? -1 : 0;
}

static int
put_block(struct buf *b, const struct c_part *p)
{
	int r = 0;

	switch (p->type) {
	case C_TEXT:
		r |= put_text_block(b, p->text ? p->text : "", p->text_len);
		break;
	case C_IMAGE:
		r |= buf_addstr(b, "{\"type\":\"image\",\"source\":");
		if (p->data != NULL) {
			r |= buf_addstr(b, "{\"type\":\"base64\","
			    "\"media_type\":");
			r |= jw_cstr(b, p->media_type ? p->media_type :
			    "image/jpeg");
			r |= buf_addstr(b, ",\"data\":");
			r |= jw_str(b, p->data, p->data_len);
			r |= buf_addc(b, '}');
		} else {
			r |= buf_addstr(b, "{\"type\":\"url\",\"url\":");
			r |= jw_cstr(b, p->url ? p->url : "");
			r |= buf_addc(b, '}');
		}
		break;
	case C_DOCUMENT:
		r |= buf_addstr(b, "{\"type\":\"document\",\"source\":");
		if (p->text != NULL) {
			r |= buf_addstr(b, "{\"type\":\"text\","
			    "\"media_type\":\"text/plain\",\"data\":");
			r |= jw_str(b, p->text, p->text_len);
			r |= buf_addc(b, '}');
		} else if (p->data != NULL) {
			r |= buf_addstr(b, "{\"type\":\"base64\","
			    "\"media_type\":");
			r |= jw_cstr(b, p->media_type ? p->media_type :
			    "application/pdf");
			r |= buf_addstr(b, ",\"data\":");
			r |= jw_str(b, p->data, p->data_len);
			r |= buf_addc(b, '}');
		} else {
			r |= buf_addstr(b, "{\"type\":\"url\",\"url\":");
			r |= jw_cstr(b, p->url ? p->url : "");
			r |= buf_addc(b, '}');
		}
		if (p->title != NULL) {
			r |= buf_addstr(b, ",\"title\":");
			r |= jw_cstr(b, p->title);
		}
		break;
	case C_TOOL_USE:
		r |= buf_addstr(b, "{\"type\":\"tool_use\",\"id\":");
		r |= put_id(b, p->id);
		r |= buf_addstr(b, ",\"name\":");
		r |= jw_cstr(b, p->name ? p->name : "");
		r |= buf_addstr(b, ",\"input\":");
		r |= put_input(b, p);
		break;
	case C_TOOL_RESULT:
		return put_result(b, p);
	case C_THINKING:
		r |= buf_addstr(b, "{\"type\":\"thinking\",\"thinking\":");
		r |= jw_str(b, p->text ? p->text : "", p->text_len);
		if (p->signature != NULL) {
			r |= buf_addstr(b, ",\"signature\":");
			r |= jw_cstr(b, p->signature);
		}
		break;
	case C_REDACTED_THINKING:
		r |= buf_addstr(b, "{\"type\":\"redacted_thinking\","
		    "\"data\":");
		r |= jw_str(b, p->data ? p->data : "", p->data_len);
		break;
	case C_AUDIO:	/* replaced in enc_collect */
		r |= put_text_block(b, "[Audio Input]", 13);
		break;
	}
	r |= put_cache(b, p);
	r |= buf_addc(b, '}');
	return r ? -1 : 0;
}

/* Effort → budget_tokens (§3.9 table); 0 = no thinking. */
static int64_t
effort_budget(const char *effort)
{
	if (effort == NULL)
		return 8192;
	if (strcasecmp(effort, "none") == 0)
		return 0;
	if (strcasecmp(effort, "minimal") == 0)
		return 1024;
	if (strcasecmp(effort, "low") == 0)
		return 2048;
	if (strcasecmp(effort, "medium") == 0)
		return 8192;
	return 24576;	/* high, xhigh, max */
}

/* The thinking to render: what §3.9 makes of the request. */
struct think {
	enum c_thinking	 mode;		/* UNSET: omit */
	int64_t		 budget;
	int64_t		 max_tokens;
};

static void
enc_thinking(const struct enc *e, struct think *t)
{
	const struct c_request *r = e->r;
	const struct wmsg *w;
	int64_t defmax;
	size_t i, j;
	int calls = 0, claude_thinking = 0;

	defmax = e->o != NULL && e->o->default_max_tokens > 0 ?
	    e->o->default_max_tokens : DEFAULT_MAX_TOKENS;
	t->mode = C_THINK_UNSET;
	t->budget = 0;
	t->max_tokens = r->max_tokens > 0 ? r->max_tokens : defmax;
	switch (r->thinking) {
	case C_THINK_DISABLED:
		t->mode = C_THINK_DISABLED;
		return;
	case C_THINK_ADAPTIVE:
		t->mode = C_THINK_ADAPTIVE;
		break;
	case C_THINK_ENABLED:
		t->mode = C_THINK_ENABLED;
		if (r->thinking_budget > 0)
			t->budget = r->thinking_budget;
		else if (r->thinking_budget == 0 &&
		    r->reasoning_effort != NULL)
			t->budget = effort_budget(r->reasoning_effort);
		else
			t->budget = 8192;	/* unset or dynamic */
		break;
	default:
		/* OpenAI effort or Gemini budget without a thinking object */
		if (r->thinking_budget > 0)
			t->budget = r->thinking_budget;
		else if (r->thinking_budget == -1)
			t->budget = 8192;
		else if (r->thinking_budget == 0 &&
		    r->reasoning_effort != NULL)
			t->budget = effort_budget(r->reasoning_effort);
		if (t->budget > 0)
			t->mode = C_THINK_ENABLED;
		break;
	}
	if (t->mode == C_THINK_ENABLED) {
		if (t->budget < 1024)
			t->budget = 1024;
		if (t->budget > INT32_MAX)	/* no overflow below */
			t->budget = INT32_MAX;
		if (r->max_tokens <= 0) {
			if (t->max_tokens < t->budget + 4096)
				t->max_tokens = t->budget + 4096;
		} else if (r->max_tokens <= 1024) {
			t->mode = C_THINK_UNSET;
			return;
		} else if (r->max_tokens <= t->budget)
			t->budget = r->max_tokens - 1;
	}
	/* A final tool call from another dialect has no thinking block. */
	if (t->mode != C_THINK_ENABLED && t->mode != C_THINK_ADAPTIVE)
		return;
	for (i = e->nm; i > 0; i--) {
		w = &e->m[i - 1];
		if (w->role != C_ASSISTANT)
			continue;
		for (j = 0; j < w->n; j++) {
			if (w->v[j].type == C_TOOL_USE)
				calls = 1;
			if (w->v[j].type == C_THINKING ||
			    w->v[j].type == C_REDACTED_THINKING)
				claude_thinking = 1;
		}
		break;
	}
	if (calls && !claude_thinking)
		t->mode = C_THINK_UNSET;
}

/* key (with its comma) and the shortest %g that reads back as x. */
static int
put_double(struct buf *b, const char *key, double x)
{
	char tmp[40];
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*g", prec, x);
	if (buf_addstr(b, key) == -1)
		return -1;
	return buf_addstr(b, tmp);
}

static int
enc_write(struct enc *e, struct buf *b)
{
	const struct c_request *r = e->r;
	const struct c_part *sp;
	struct think t;
	enum c_tool_choice tc;
	const struct c_tool *tool;
	struct buf sys;
	size_t i, j, nsys = 0;
	int r_ = 0, cache = 0, first, thinking;
	double temp;

	enc_thinking(e, &t);
	thinking = t.mode == C_THINK_ENABLED || t.mode == C_THINK_ADAPTIVE;

	r_ |= buf_addstr(b, "{\"model\":");
	r_ |= jw_cstr(b, r->model ? r->model : "");
	r_ |= buf_addf(b, ",\"max_tokens\":%lld", (long long)t.max_tokens);

	/* system: a string; blocks when cache_control must be kept */
	for (i = 0; i < r->nsystem; i++) {
		sp = &r->system[i];
		if (sp->type != C_TEXT || is_blank(sp->text, sp->text_len))
			continue;
		nsys++;
		cache |= sp->cache_control;
	}
	if (nsys > 0 && e->nm > 0) {
		r_ |= buf_addstr(b, ",\"system\":");
		if (cache)
			r_ |= buf_addc(b, '[');
		else
			buf_init(&sys, 0);
		first = 1;
		for (i = 0; i < r->nsystem; i++) {
			sp = &r->system[i];
			if (sp->type != C_TEXT ||
			    is_blank(sp->text, sp->text_len))
				continue;
			if (cache) {
				if (!first)
					r_ |= buf_addc(b, ',');
				r_ |= put_text_block(b, sp->text,
				    sp->text_len);
				r_ |= put_cache(b, sp);
				r_ |= buf_addc(b, '}');
			} else {
				if (!first)
					r_ |= buf_addc(&sys, '\n');
				r_ |= buf_add(&sys, sp->text, sp->text_len);
			}
			first = 0;
		}
		if (cache)
			r_ |= buf_addc(b, ']');
		else {
			r_ |= jw_str(b, sys.data ? sys.data : "", sys.len);
			buf_free(&sys);
		}
	}

	r_ |= buf_addstr(b, ",\"messages\":[");
	if (e->nm == 0 && nsys > 0) {
		/* §3.1: no turns at all: the system text is the user turn */
		r_ |= buf_addstr(b, "{\"role\":\"user\",\"content\":[");
		first = 1;
		for (i = 0; i < r->nsystem; i++) {
			sp = &r->system[i];
			if (sp->type != C_TEXT ||
			    is_blank(sp->text, sp->text_len))
				continue;
			if (!first)
				r_ |= buf_addc(b, ',');
			r_ |= put_block(b, sp);
			first = 0;
		}
		r_ |= buf_addstr(b, "]}");
	}
	for (i = 0; i < e->nm; i++) {
		if (i > 0)
			r_ |= buf_addc(b, ',');
		r_ |= buf_addstr(b, e->m[i].role == C_USER ?
		    "{\"role\":\"user\",\"content\":[" :
		    "{\"role\":\"assistant\",\"content\":[");
		for (j = 0; j < e->m[i].n; j++) {
			if (j > 0)
				r_ |= buf_addc(b, ',');
			r_ |= put_block(b, &e->m[i].v[j]);
		}
		r_ |= buf_addstr(b, "]}");
	}
	r_ |= buf_addc(b, ']');

	if (r->ntools > 0) {
		r_ |= buf_addstr(b, ",\"tools\":[");
		for (i = 0; i < r->ntools; i++) {
			tool = &r->tools[i];
			if (i > 0)
				r_ |= buf_addc(b, ',');
			if (tool->type != NULL &&
			    strcmp(tool->type, "custom") != 0) {
				r_ |= buf_addstr(b, "{\"type\":");
				r_ |= jw_cstr(b, tool->type);
				if (tool->name != NULL) {
					r_ |= buf_addstr(b, ",\"name\":");
					r_ |= jw_cstr(b, tool->name);
				}
				r_ |= buf_addc(b, '}');
				continue;
			}
			r_ |= buf_addstr(b, "{\"name\":");
			r_ |= jw_cstr(b, tool->name ? tool->name : "");
			if (tool->description != NULL) {
				r_ |= buf_addstr(b, ",\"description\":");
				r_ |= jw_cstr(b, tool->description);
			}
			r_ |= buf_addstr(b, ",\"input_schema\":");
			r_ |= put_schema(b, tool->schema, 0, 1);
			r_ |= buf_addc(b, '}');
		}
		r_ |= buf_addc(b, ']');
	}

	/* tool_choice (§3.5): only with tools; thinking allows auto/none */
	tc = r->tool_choice;
	if (thinking && (tc == C_TC_ANY || tc == C_TC_TOOL))
		tc = C_TC_AUTO;
	if (r->has_parallel_tool_calls && !r->parallel_tool_calls &&
	    tc == C_TC_UNSET)
		tc = C_TC_AUTO;
	if (r->ntools > 0 && tc != C_TC_UNSET) {
		r_ |= buf_addstr(b, ",\"tool_choice\":{\"type\":");
		switch (tc) {
		case C_TC_NONE:
			r_ |= buf_addstr(b, "\"none\"");
			break;
		case C_TC_ANY:
			r_ |= buf_addstr(b, "\"any\"");
			break;
		case C_TC_TOOL:
			r_ |= buf_addstr(b, "\"tool\",\"name\":");
			r_ |= jw_cstr(b, r->tool_choice_name ?
			    r->tool_choice_name : "");
			break;
		default:
			r_ |= buf_addstr(b, "\"auto\"");
			break;
		}
		if (r->has_parallel_tool_calls && !r->parallel_tool_calls)
			r_ |= buf_addstr(b, ",\"disable_parallel_tool_use\":"
			    "true");
		r_ |= buf_addc(b, '}');
	}

	switch (t.mode) {
	case C_THINK_ENABLED:
		r_ |= buf_addf(b, ",\"thinking\":{\"type\":\"enabled\","
		    "\"budget_tokens\":%lld}", (long long)t.budget);
		break;
	case C_THINK_ADAPTIVE:
		r_ |= buf_addstr(b, ",\"thinking\":{\"type\":\"adaptive\"}");
		if (r->reasoning_effort != NULL) {
			r_ |= buf_addstr(b, ",\"output_config\":{\"effort\":");
			r_ |= jw_cstr(b, r->reasoning_effort);
			r_ |= buf_addc(b, '}');
		}
		break;
	case C_THINK_DISABLED:
		r_ |= buf_addstr(b, ",\"thinking\":{\"type\":\"disabled\"}");
		break;
	default:
		break;
	}

	/* sampling (§3.7, §3.9 constraints when thinking) */
	if (r->has_temperature) {
		temp = r->temperature > 1.0 ? 1.0 : r->temperature;
		if (!thinking || temp == 1.0)
			r_ |= put_double(b, ",\"temperature\":", temp);
	}
	if (r->has_top_p && (!thinking || r->top_p >= 0.95))
		r_ |= put_double(b, ",\"top_p\":", r->top_p);
	if (r->top_k > 0 && !thinking)
		r_ |= buf_addf(b, ",\"top_k\":%lld", (long long)r->top_k);
	if (r->nstop > 0) {
		r_ |= buf_addstr(b, ",\"stop_sequences\":[");
		for (i = 0; i < r->nstop; i++) {
			if (i > 0)
				r_ |= buf_addc(b, ',');
			r_ |= jw_cstr(b, r->stop[i] ? r->stop[i] : "");
		}
		r_ |= buf_addc(b, ']');
	}
	if (r->user != NULL) {
		r_ |= buf_addstr(b, ",\"metadata\":{\"user_id\":");
		r_ |= jw_cstr(b, r->user);
		r_ |= buf_addc(b, '}');
	}
	if (e->o != NULL && e->o->stream)
		r_ |= buf_addstr(b, ",\"stream\":true");
	r_ |= buf_addc(b, '}');
	return r_ ? -1 : 0;
}

int
claude_encode_request(const struct c_request *r, const struct c_opts *o,
    struct buf *out)
{
	struct enc e;
	int rc = -1;

	memset(&e, 0, sizeof(e));
	e.r = r;
	e.o = o;
	if (enc_collect(&e) == -1 || enc_repair(&e) == -1 ||
	    enc_order(&e) == -1)
		goto done;
	rc = enc_write(&e, out);
done:
	enc_free(&e);
	return rc;
}

/*
 * gemini_req.c: Gemini (v1beta generateContent) requests, both ways.
 *
 * Client side: a GenerateContentRequest, every field in camelCase or
 * snake_case, becomes a c_request (conversion.md §2.3, §3): the system
 * instruction, contents and their parts, function declarations (their
 * OpenAPI schemas turned into JSON Schema), the tool config, the
 * generation config and the thinking config.  Function calls without
 * an id get call_<content>_<ordinal> and function responses are paired
 * with the calls of the model content before them (§3.6 rule 4).
 * Strings are borrowed from the body or copied into the arena; the
 * JSON Schema made from an OpenAPI schema is a new json-c object that
 * is attached to the body (under an "x-aiclientd-*" member) so the body
 * owns it and frees it with everything else.
 *
 * Backend side: a c_request becomes a Gemini request body: merged
 * turns, function responses named after their calls and put first,
 * the tool-history repair of §3.6 rule 7, declarations with schemas
 * run through the sanitizer of §3.4.1 and names made valid (§3.4.2),
 * toolConfig, generationConfig with thinkingConfig (§3.9).  The model
 * is not part of the body.  Temporary arrays are malloc'd and freed
 * before returning; the output goes to the caller's buffer.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include <json-c/json_pointer.h>

#include "gemini_int.h"
#include "jsonw.h"
#include "util.h"

#define PATHLEN		128	/* "contents[123].parts[45].functionCall" */
#define SCHEMA_DEPTH	64	/* OpenAPI → JSON Schema conversion */

/* ---- client side: decoding ----------------------------------------------- */

struct gdec {
	struct arena	*a;
	char		*err;
	size_t		 errlen;
};

static int	derr(struct gdec *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
derr(struct gdec *d, const char *fmt, ...)
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
is_num(json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double);
}

static int
is_str(json_object *v)
{
	return json_object_is_type(v, json_type_string);
}

static int
is_obj(json_object *v)
{
	return json_object_is_type(v, json_type_object);
}

/* An integral JSON number (1 or 1.0) into *out; -1 if v is none. */
static int
get_int(json_object *v, int64_t *out)
{
	double d;

	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (d != floor(d) || d < -9.0e18 || d > 9.0e18)
			return -1;
		*out = (int64_t)d;
		return 0;
	}
	return -1;
}

/* Arena copy of the compact JSON text of o. */
static const char *
json_copy(struct arena *a, json_object *o, size_t *lenp)
{
	const char *s;
	size_t len;

	s = gemini_json_text(o, &len);
	if (lenp != NULL)
		*lenp = len;
	return arena_strndup(a, s, len);
}

/*
 * An OpenAPI-subset schema as Gemini sends it (upper-case types,
 * nullable, propertyOrdering) as JSON Schema: lower-case types, type
 * [t, "null"] for nullable, propertyOrdering dropped, snake_case keys
 * spelled the JSON Schema way.  New reference; NULL only for NULL.
 */
static json_object *
oapi_to_jsonschema(json_object *s, int depth)
{
	static const char *const keymap[][2] = {
		{ "any_of", "anyOf" }, { "min_items", "minItems" },
		{ "max_items", "maxItems" }, { "min_length", "minLength" },
		{ "max_length", "maxLength" },
		{ "min_properties", "minProperties" },
		{ "max_properties", "maxProperties" },
	};
	json_object *o, *sub, *t, *arr;
	const char *k;
	char low[32];
	size_t i, n;
	int nullable = 0;

	if (s == NULL || !is_obj(s) || depth > SCHEMA_DEPTH)
		return json_object_get(s);
	o = json_object_new_object();
	if (o == NULL)
		return NULL;
	json_object_object_foreach(s, key, val) {
		k = key;
		for (i = 0; i < sizeof(keymap) / sizeof(keymap[0]); i++)
			if (strcmp(key, keymap[i][0]) == 0)
				k = keymap[i][1];
		if (strcmp(k, "nullable") == 0) {
			nullable = json_object_get_boolean(val);
			continue;
		}
		if (strcmp(k, "propertyOrdering") == 0 ||
		    strcmp(k, "property_ordering") == 0)
			continue;
		if (strcmp(k, "type") == 0 && is_str(val)) {
			n = strlcpy(low, json_object_get_string(val),
			    sizeof(low));
			if (n >= sizeof(low))
				continue;
			for (i = 0; i < n; i++)
				low[i] = (char)tolower((unsigned char)low[i]);
			if (strcmp(low, "type_unspecified") == 0)
				continue;
			json_object_object_add(o, "type",
			    json_object_new_string(low));
			continue;
		}
		if (strcmp(k, "properties") == 0 && is_obj(val)) {
			sub = json_object_new_object();
			json_object_object_foreach(val, pk, pv)
				json_object_object_add(sub, pk,
				    oapi_to_jsonschema(pv, depth + 1));
			json_object_object_add(o, k, sub);
			continue;
		}
		if (strcmp(k, "items") == 0) {
			json_object_object_add(o, k,
			    oapi_to_jsonschema(val, depth + 1));
			continue;
		}
		if (strcmp(k, "anyOf") == 0 &&
		    json_object_is_type(val, json_type_array)) {
			arr = json_object_new_array();
			n = json_object_array_length(val);
			for (i = 0; i < n; i++)
				json_object_array_add(arr, oapi_to_jsonschema(
				    json_object_array_get_idx(val, i),
				    depth + 1));
			json_object_object_add(o, k, arr);
			continue;
		}
		json_object_object_add(o, k, json_object_get(val));
	}
	if (nullable && json_object_object_get_ex(o, "type", &t) &&
	    is_str(t)) {
		arr = json_object_new_array();
		json_object_array_add(arr, json_object_get(t));
		json_object_array_add(arr, json_object_new_string("null"));
		json_object_object_add(o, "type", arr);
	}
	return o;
}

/*
 * The JSON Schema form of an OpenAPI schema, owned by holder (the body
 * object the schema came from) under member key; borrowed.
 */
static json_object *
attach_schema(json_object *holder, const char *key, json_object *s)
{
	json_object *o;

	o = oapi_to_jsonschema(s, 0);
	if (o == NULL)
		return NULL;
	if (json_object_object_add(holder, key, o) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int
dec_blob(struct gdec *d, json_object *v, const char *path, const char *k,
    struct c_part *p)
{
	json_object *mt, *data;
	const char *mk, *s;

	if (!is_obj(v))
		return derr(d, "%s.%s: must be an object", path, k);
	mt = gemini_field(v, "mimeType", "mime_type", &mk);
	data = gemini_field(v, "data", NULL, NULL);
	if (mt == NULL)
		return derr(d, "%s.%s.%s: missing", path, k,
		    strchr(k, '_') ? "mime_type" : "mimeType");
	if (!is_str(mt))
		return derr(d, "%s.%s.%s: must be a string", path, k, mk);
	if (data == NULL)
		return derr(d, "%s.%s.data: missing", path, k);
	if (!is_str(data))
		return derr(d, "%s.%s.data: must be a string", path, k);
	s = json_object_get_string(mt);
	p->media_type = s;
	if (strncasecmp(s, "image/", 6) == 0)
		p->type = C_IMAGE;
	else if (strncasecmp(s, "audio/", 6) == 0)
		p->type = C_AUDIO;
	else
		p->type = C_DOCUMENT;
	p->data = c_b64_clean(d->a, json_object_get_string(data),
	    (size_t)json_object_get_string_len(data), &p->data_len);
	if (p->data == NULL)
		return derr(d, "out of memory");
	return 0;
}

static int
ext_is_image(const char *uri)
{
	static const char *const exts[] = { ".png", ".jpg", ".jpeg", ".gif",
	    ".webp", ".heic", ".heif" };
	size_t i, n, e;

	n = strcspn(uri, "?#");
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		e = strlen(exts[i]);
		if (n > e && strncasecmp(uri + n - e, exts[i], e) == 0)
			return 1;
	}
	return 0;
}

static int
dec_file(struct gdec *d, json_object *v, const char *path, const char *k,
    struct c_part *p)
{
	json_object *mt, *uri;
	const char *mk, *uk, *m;

	if (!is_obj(v))
		return derr(d, "%s.%s: must be an object", path, k);
	mt = gemini_field(v, "mimeType", "mime_type", &mk);
	uri = gemini_field(v, "fileUri", "file_uri", &uk);
	if (mt != NULL && !is_str(mt))
		return derr(d, "%s.%s.%s: must be a string", path, k, mk);
	if (uri == NULL)
		return derr(d, "%s.%s.%s: missing", path, k,
		    strchr(k, '_') ? "file_uri" : "fileUri");
	if (!is_str(uri))
		return derr(d, "%s.%s.%s: must be a string", path, k, uk);
	m = mt ? json_object_get_string(mt) : NULL;
	p->url = json_object_get_string(uri);
	p->media_type = m;
	if ((m != NULL && strncasecmp(m, "image/", 6) == 0) ||
	    (m == NULL && ext_is_image(p->url)))
		p->type = C_IMAGE;
	else
		p->type = C_DOCUMENT;
	return 0;
}

/*
 * functionResponse.response as tool-result text (§3.6 rule 4): the
 * string of a lone output/result/content member, the text of a lone
 * error member (is_error), else the compact JSON of the object.
 */
static int
dec_result(struct gdec *d, json_object *resp, struct c_part *p)
{
	struct c_part *t;
	const char *s = NULL;
	size_t len = 0;

	t = arena_alloc(d->a, sizeof(*t));
	if (t == NULL)
		return derr(d, "out of memory");
	t->type = C_TEXT;
	if (resp == NULL) {
		s = "{}";
		len = 2;
	} else if (json_object_object_length(resp) == 1) {
		json_object_object_foreach(resp, key, val) {
			if ((strcmp(key, "output") == 0 ||
			    strcmp(key, "result") == 0 ||
			    strcmp(key, "content") == 0) && is_str(val)) {
				s = json_object_get_string(val);
				len = (size_t)json_object_get_string_len(val);
			} else if (strcmp(key, "error") == 0) {
				p->is_error = 1;
				if (is_str(val)) {
					s = json_object_get_string(val);
					len = (size_t)
					    json_object_get_string_len(val);
				} else if (val == NULL) {
					s = "null";
					len = 4;
				} else
					s = json_copy(d->a, val, &len);
			}
		}
	}
	if (s == NULL)
		s = json_copy(d->a, resp, &len);
	if (s == NULL)
		return derr(d, "out of memory");
	t->text = s;
	t->text_len = len;
	p->content = t;
	p->ncontent = 1;
	return 0;
}

static int
dec_call(struct gdec *d, json_object *v, const char *path, const char *k,
    int model, struct c_part *p)
{
	json_object *name, *args, *id;
	const char *ak;

	if (!model)
		return derr(d, "%s.%s: only allowed in model contents", path,
		    k);
	if (!is_obj(v))
		return derr(d, "%s.%s: must be an object", path, k);
	name = gemini_field(v, "name", NULL, NULL);
	args = gemini_field(v, "args", "arguments", &ak);
	id = gemini_field(v, "id", NULL, NULL);
	if (name == NULL || !is_str(name) ||
	    json_object_get_string_len(name) == 0)
		return derr(d, "%s.%s.name: must be a non-empty string", path,
		    k);
	if (args != NULL && !is_obj(args))
		return derr(d, "%s.%s.%s: must be an object", path, k, ak);
	if (id != NULL && !is_str(id))
		return derr(d, "%s.%s.id: must be a string", path, k);
	p->type = C_TOOL_USE;
	p->name = json_object_get_string(name);
	if (id != NULL && json_object_get_string_len(id) > 0)
		p->id = json_object_get_string(id);
	if (args == NULL) {
		p->input = "{}";
		p->input_len = 2;
	} else {
		p->input = json_copy(d->a, args, &p->input_len);
		if (p->input == NULL)
			return derr(d, "out of memory");
	}
	return 0;
}

static int
dec_response(struct gdec *d, json_object *v, const char *path,
    const char *k, int model, struct c_part *p)
{
	json_object *name, *resp, *id;

	if (model)
		return derr(d, "%s.%s: not allowed in model contents", path,
		    k);
	if (!is_obj(v))
		return derr(d, "%s.%s: must be an object", path, k);
	name = gemini_field(v, "name", NULL, NULL);
	resp = gemini_field(v, "response", NULL, NULL);
	id = gemini_field(v, "id", NULL, NULL);
	if (name == NULL || !is_str(name))
		return derr(d, "%s.%s.name: must be a string", path, k);
	if (resp != NULL && !is_obj(resp))
		return derr(d, "%s.%s.response: must be an object", path, k);
	if (id != NULL && !is_str(id))
		return derr(d, "%s.%s.id: must be a string", path, k);
	p->type = C_TOOL_RESULT;
	p->name = json_object_get_string(name);
	/* the response's own id; pair_calls() replaces it by the call's */
	if (id != NULL && json_object_get_string_len(id) > 0)
		p->id = json_object_get_string(id);
	return dec_result(d, resp, p);
}

/* executableCode / codeExecutionResult as fenced text (§5.6 C). */
static int
dec_code(struct gdec *d, json_object *v, const char *path, const char *k,
    int result, struct c_part *p)
{
	json_object *lang, *body;
	char *s, *l;
	size_t i;

	if (!is_obj(v))
		return derr(d, "%s.%s: must be an object", path, k);
	body = gemini_field(v, result ? "output" : "code", NULL, NULL);
	lang = result ? NULL : gemini_field(v, "language", NULL, NULL);
	if (body != NULL && !is_str(body))
		return derr(d, "%s.%s.%s: must be a string", path, k,
		    result ? "output" : "code");
	l = arena_strdup(d->a, lang != NULL && is_str(lang) ?
	    json_object_get_string(lang) : "");
	if (l == NULL)
		return derr(d, "out of memory");
	for (i = 0; l[i] != '\0'; i++)
		l[i] = (char)tolower((unsigned char)l[i]);
	if (strcmp(l, "language_unspecified") == 0)
		l[0] = '\0';
	s = arena_printf(d->a, "```%s\n%s\n```", l, body ?
	    json_object_get_string(body) : "");
	if (s == NULL)
		return derr(d, "out of memory");
	p->type = C_TEXT;
	p->text = s;
	p->text_len = strlen(s);
	return 0;
}

/*
 * One part of a content into p.  *keep is cleared for parts that carry
 * nothing kept (unknown kinds, thoughts of user contents).
 */
static int
dec_part(struct gdec *d, json_object *j, const char *path, int model,
    struct c_part *p, int *keep)
{
	json_object *v, *sig, *th;
	const char *k, *sk;

	memset(p, 0, sizeof(*p));
	*keep = 1;
	if (!is_obj(j))
		return derr(d, "%s: must be an object", path);
	sig = gemini_field(j, "thoughtSignature", "thought_signature", &sk);
	if (sig != NULL && !is_str(sig))
		return derr(d, "%s.%s: must be a string", path, sk);
	th = gemini_field(j, "thought", NULL, NULL);
	if (th != NULL && !json_object_is_type(th, json_type_boolean))
		return derr(d, "%s.thought: must be a boolean", path);
	if (sig != NULL) {
		p->signature = json_object_get_string(sig);
		p->origin = C_ORIGIN_GEMINI;
	}

	v = gemini_field(j, "text", NULL, NULL);
	if (v != NULL) {
		if (!is_str(v))
			return derr(d, "%s.text: must be a string", path);
		p->text = json_object_get_string(v);
		p->text_len = (size_t)json_object_get_string_len(v);
		if (th != NULL && json_object_get_boolean(th)) {
			p->type = C_THINKING;
			p->origin = C_ORIGIN_GEMINI;
			if (!model)
				*keep = 0;
		} else
			p->type = C_TEXT;
		return 0;
	}
	v = gemini_field(j, "inlineData", "inline_data", &k);
	if (v != NULL)
		return dec_blob(d, v, path, k, p);
	v = gemini_field(j, "fileData", "file_data", &k);
	if (v != NULL)
		return dec_file(d, v, path, k, p);
	v = gemini_field(j, "functionCall", "function_call", &k);
	if (v != NULL)
		return dec_call(d, v, path, k, model, p);
	v = gemini_field(j, "functionResponse", "function_response", &k);
	if (v != NULL)
		return dec_response(d, v, path, k, model, p);
	v = gemini_field(j, "executableCode", "executable_code", &k);
	if (v != NULL)
		return dec_code(d, v, path, k, 0, p);
	v = gemini_field(j, "codeExecutionResult", "code_execution_result",
	    &k);
	if (v != NULL)
		return dec_code(d, v, path, k, 1, p);
	*keep = 0;	/* videoMetadata alone, a bare signature, ... */
	return 0;
}

/*
 * Ids for function calls and the pairing of function responses
 * (§3.6 rule 4).  A call without an id gets call_<c>_<k>, c the index
 * of its model content in "contents", k its ordinal there.  Each
 * response of the user contents that follow is paired with an unpaired
 * call of that model content: same id, else same name, else the first
 * one; it takes the call's id.  A response left over keeps its own id
 * or gets call_<c>_<k> after its own content.
 */
static int
pair_calls(struct gdec *d, struct c_request *r, const size_t *cidx)
{
	struct c_part **win = NULL, *p;
	char *used = NULL;
	size_t m, j, i, nwin = 0, k;
	ssize_t match;

	for (m = 0; m < r->nmsgs; m++) {
		k = 0;
		if (r->msgs[m].role == C_ASSISTANT) {
			nwin = 0;
			for (j = 0; j < r->msgs[m].nparts; j++)
				if (r->msgs[m].parts[j].type == C_TOOL_USE)
					nwin++;
			win = arena_alloc(d->a, (nwin + 1) * sizeof(*win));
			used = arena_alloc(d->a, nwin + 1);
			if (win == NULL || used == NULL)
				return derr(d, "out of memory");
			nwin = 0;
			for (j = 0; j < r->msgs[m].nparts; j++) {
				p = &r->msgs[m].parts[j];
				if (p->type != C_TOOL_USE)
					continue;
				if (p->id == NULL)
					p->id = arena_printf(d->a,
					    "call_%zu_%zu", cidx[m], k);
				if (p->id == NULL)
					return derr(d, "out of memory");
				k++;
				win[nwin++] = p;
			}
			continue;
		}
		for (j = 0; j < r->msgs[m].nparts; j++) {
			p = &r->msgs[m].parts[j];
			if (p->type != C_TOOL_RESULT)
				continue;
			match = -1;
			for (i = 0; match < 0 && p->id != NULL && i < nwin; i++)
				if (!used[i] && strcmp(win[i]->id, p->id) == 0)
					match = (ssize_t)i;
			for (i = 0; match < 0 && i < nwin; i++)
				if (!used[i] && strcmp(win[i]->name,
				    p->name) == 0)
					match = (ssize_t)i;
			for (i = 0; match < 0 && i < nwin; i++)
				if (!used[i])
					match = (ssize_t)i;
			if (match >= 0) {
				used[match] = 1;
				p->id = win[match]->id;
			} else if (p->id == NULL) {
				p->id = arena_printf(d->a, "call_%zu_%zu",
				    cidx[m], k);
				if (p->id == NULL)
					return derr(d, "out of memory");
			}
			k++;
		}
	}
	return 0;
}

static int
dec_contents(struct gdec *d, json_object *arr, const char *ck,
    struct c_request *r)
{
	json_object *c, *role, *parts;
	struct c_message *msg;
	size_t *cidx, n, np, i, j, kept;
	const char *rs;
	char path[PATHLEN];
	int model, keep;

	if (!json_object_is_type(arr, json_type_array))
		return derr(d, "%s: must be an array", ck);
	n = json_object_array_length(arr);
	if (n == 0)
		return derr(d, "%s: must not be empty", ck);
	r->msgs = arena_alloc(d->a, n * sizeof(*r->msgs));
	cidx = arena_alloc(d->a, n * sizeof(*cidx));
	if (r->msgs == NULL || cidx == NULL)
		return derr(d, "out of memory");
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(arr, i);
		if (!is_obj(c))
			return derr(d, "%s[%zu]: must be an object", ck, i);
		role = gemini_field(c, "role", NULL, NULL);
		model = 0;
		if (role != NULL) {
			if (!is_str(role))
				return derr(d, "%s[%zu].role: must be a string",
				    ck, i);
			rs = json_object_get_string(role);
			if (strcmp(rs, "model") == 0)
				model = 1;
			else if (*rs != '\0' && strcmp(rs, "user") != 0 &&
			    strcmp(rs, "function") != 0 &&
			    strcmp(rs, "tool") != 0)
				return derr(d, "%s[%zu].role: unknown role "
				    "'%.64s'", ck, i, rs);
		}
		parts = gemini_field(c, "parts", NULL, NULL);
		if (parts == NULL)
			return derr(d, "%s[%zu].parts: missing", ck, i);
		if (!json_object_is_type(parts, json_type_array))
			return derr(d, "%s[%zu].parts: must be an array", ck,
			    i);
		np = json_object_array_length(parts);
		msg = &r->msgs[r->nmsgs];
		msg->role = model ? C_ASSISTANT : C_USER;
		msg->parts = arena_alloc(d->a, (np + 1) * sizeof(*msg->parts));
		if (msg->parts == NULL)
			return derr(d, "out of memory");
		kept = 0;
		for (j = 0; j < np; j++) {
			snprintf(path, sizeof(path), "%s[%zu].parts[%zu]", ck,
			    i, j);
			if (dec_part(d, json_object_array_get_idx(parts, j),
			    path, model, &msg->parts[kept], &keep) == -1)
				return -1;
			if (keep)
				kept++;
		}
		msg->nparts = kept;
		if (kept > 0)
			cidx[r->nmsgs++] = i;
	}
	return pair_calls(d, r, cidx);
}

static int
dec_system(struct gdec *d, json_object *v, const char *k,
    struct c_request *r)
{
	json_object *parts, *p, *t;
	size_t n, i;

	if (is_str(v)) {
		r->system = arena_alloc(d->a, sizeof(*r->system));
		if (r->system == NULL)
			return derr(d, "out of memory");
		r->system[0].type = C_TEXT;
		r->system[0].text = json_object_get_string(v);
		r->system[0].text_len = (size_t)json_object_get_string_len(v);
		r->nsystem = 1;
		return 0;
	}
	if (!is_obj(v))
		return derr(d, "%s: must be an object", k);
	parts = gemini_field(v, "parts", NULL, NULL);
	if (parts == NULL)
		return 0;
	if (!json_object_is_type(parts, json_type_array))
		return derr(d, "%s.parts: must be an array", k);
	n = json_object_array_length(parts);
	r->system = arena_alloc(d->a, (n + 1) * sizeof(*r->system));
	if (r->system == NULL)
		return derr(d, "out of memory");
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(parts, i);
		if (!is_obj(p))
			return derr(d, "%s.parts[%zu]: must be an object", k,
			    i);
		t = gemini_field(p, "text", NULL, NULL);
		if (t == NULL)
			continue;	/* non-text parts are ignored (§3.2) */
		if (!is_str(t))
			return derr(d, "%s.parts[%zu].text: must be a string",
			    k, i);
		r->system[r->nsystem].type = C_TEXT;
		r->system[r->nsystem].text = json_object_get_string(t);
		r->system[r->nsystem].text_len =
		    (size_t)json_object_get_string_len(t);
		r->nsystem++;
	}
	return 0;
}

static int
dec_decl(struct gdec *d, json_object *fd, const char *path,
    struct c_tool *t)
{
	json_object *name, *desc, *js, *ps;
	const char *jk, *pk;

	if (!is_obj(fd))
		return derr(d, "%s: must be an object", path);
	name = gemini_field(fd, "name", NULL, NULL);
	desc = gemini_field(fd, "description", NULL, NULL);
	js = gemini_field(fd, "parametersJsonSchema", "parameters_json_schema",
	    &jk);
	ps = gemini_field(fd, "parameters", NULL, &pk);
	if (name == NULL || !is_str(name) ||
	    json_object_get_string_len(name) == 0)
		return derr(d, "%s.name: must be a non-empty string", path);
	if (desc != NULL && !is_str(desc))
		return derr(d, "%s.description: must be a string", path);
	if (js != NULL && !is_obj(js) &&
	    !json_object_is_type(js, json_type_boolean))
		return derr(d, "%s.%s: must be an object", path, jk);
	if (ps != NULL && !is_obj(ps))
		return derr(d, "%s.%s: must be an object", path, pk);
	t->name = json_object_get_string(name);
	t->description = desc ? json_object_get_string(desc) : NULL;
	if (js != NULL && is_obj(js))
		t->schema = js;
	else if (ps != NULL) {
		t->schema = attach_schema(fd, "x-aiclientd-parameters", ps);
		if (t->schema == NULL)
			return derr(d, "out of memory");
	}
	return 0;
}

static int
dec_tools(struct gdec *d, json_object *v, const char *k, struct c_request *r)
{
	json_object *t, *fds;
	const char *fk;
	char path[PATHLEN];
	size_t n, i, j, nd, total = 0;

	if (!json_object_is_type(v, json_type_array))
		return derr(d, "%s: must be an array", k);
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(v, i);
		if (!is_obj(t))
			return derr(d, "%s[%zu]: must be an object", k, i);
		fds = gemini_field(t, "functionDeclarations",
		    "function_declarations", &fk);
		if (fds == NULL)
			continue;	/* googleSearch, codeExecution, ... */
		if (!json_object_is_type(fds, json_type_array))
			return derr(d, "%s[%zu].%s: must be an array", k, i,
			    fk);
		total += json_object_array_length(fds);
	}
	r->tools = arena_alloc(d->a, (total + 1) * sizeof(*r->tools));
	if (r->tools == NULL)
		return derr(d, "out of memory");
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(v, i);
		fds = gemini_field(t, "functionDeclarations",
		    "function_declarations", &fk);
		if (fds == NULL)
			continue;
		nd = json_object_array_length(fds);
		for (j = 0; j < nd; j++) {
			snprintf(path, sizeof(path), "%s[%zu].%s[%zu]", k, i,
			    fk, j);
			if (dec_decl(d, json_object_array_get_idx(fds, j), path,
			    &r->tools[r->ntools]) == -1)
				return -1;
			r->ntools++;
		}
	}
	return 0;
}

static int
dec_tool_config(struct gdec *d, json_object *v, const char *k,
    struct c_request *r)
{
	json_object *fcc, *mode, *names, *e;
	const char *fk, *nk, *m;
	size_t n, i;

	if (!is_obj(v))
		return derr(d, "%s: must be an object", k);
	fcc = gemini_field(v, "functionCallingConfig",
	    "function_calling_config", &fk);
	if (fcc == NULL)
		return 0;
	if (!is_obj(fcc))
		return derr(d, "%s.%s: must be an object", k, fk);
	mode = gemini_field(fcc, "mode", NULL, NULL);
	names = gemini_field(fcc, "allowedFunctionNames",
	    "allowed_function_names", &nk);
	n = 0;
	if (names != NULL) {
		if (!json_object_is_type(names, json_type_array))
			return derr(d, "%s.%s.%s: must be an array", k, fk, nk);
		n = json_object_array_length(names);
		for (i = 0; i < n; i++)
			if (!is_str(json_object_array_get_idx(names, i)))
				return derr(d,
				    "%s.%s.%s[%zu]: must be a string", k, fk,
				    nk, i);
	}
	if (mode == NULL)
		return 0;
	if (!is_str(mode))
		return derr(d, "%s.%s.mode: must be a string", k, fk);
	m = json_object_get_string(mode);
	if (strcasecmp(m, "AUTO") == 0 || strcasecmp(m, "VALIDATED") == 0)
		r->tool_choice = C_TC_AUTO;
	else if (strcasecmp(m, "NONE") == 0)
		r->tool_choice = C_TC_NONE;
	else if (strcasecmp(m, "ANY") == 0) {
		r->tool_choice = C_TC_ANY;
		if (n == 1) {
			e = json_object_array_get_idx(names, 0);
			r->tool_choice = C_TC_TOOL;
			r->tool_choice_name = json_object_get_string(e);
		}
	} else if (strcasecmp(m, "MODE_UNSPECIFIED") != 0)
		return derr(d, "%s.%s.mode: unknown mode '%.32s'", k, fk, m);
	return 0;
}

static int
dec_thinking(struct gdec *d, json_object *v, const char *path,
    struct c_request *r)
{
	static const char *const levels[] = { "minimal", "low", "medium",
	    "high" };
	json_object *b, *l, *inc;
	const char *bk, *lk, *ik, *s;
	int64_t budget;
	size_t i;

	if (!is_obj(v))
		return derr(d, "%s: must be an object", path);
	b = gemini_field(v, "thinkingBudget", "thinking_budget", &bk);
	l = gemini_field(v, "thinkingLevel", "thinking_level", &lk);
	inc = gemini_field(v, "includeThoughts", "include_thoughts", &ik);
	if (inc != NULL) {
		if (!json_object_is_type(inc, json_type_boolean))
			return derr(d, "%s.%s: must be a boolean", path, ik);
		r->include_thoughts = json_object_get_boolean(inc);
	}
	if (b != NULL) {
		if (get_int(b, &budget) == -1)
			return derr(d, "%s.%s: must be an integer", path, bk);
		if (budget < -1)
			return derr(d, "%s.%s: must be -1 or more", path, bk);
		if (budget == 0)
			r->thinking = C_THINK_DISABLED;
		else {
			r->thinking = C_THINK_ENABLED;
			r->thinking_budget = budget;
		}
		return 0;
	}
	if (l != NULL) {
		if (!is_str(l))
			return derr(d, "%s.%s: must be a string", path, lk);
		s = json_object_get_string(l);
		if (strcasecmp(s, "THINKING_LEVEL_UNSPECIFIED") == 0)
			return 0;
		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
			if (strcasecmp(s, levels[i]) == 0) {
				r->thinking = C_THINK_ADAPTIVE;
				r->reasoning_effort = levels[i];
				return 0;
			}
		return derr(d, "%s.%s: unknown level '%.32s'", path, lk, s);
	}
	return 0;
}

/* One optional number member of generationConfig; 1 when present. */
static int
gc_num(struct gdec *d, json_object *g, const char *gk, const char *camel,
    const char *snake, double *out)
{
	json_object *v;
	const char *k;

	v = gemini_field(g, camel, snake, &k);
	if (v == NULL)
		return 0;
	if (!is_num(v))
		return derr(d, "%s.%s: must be a number", gk, k);
	*out = json_object_get_double(v);
	return 1;
}

/* One optional integer member (>= min) of generationConfig. */
static int
gc_int(struct gdec *d, json_object *g, const char *gk, const char *camel,
    const char *snake, int64_t min, int64_t *out)
{
	json_object *v;
	const char *k;

	v = gemini_field(g, camel, snake, &k);
	if (v == NULL)
		return 0;
	if (get_int(v, out) == -1)
		return derr(d, "%s.%s: must be an integer", gk, k);
	if (*out < min)
		return derr(d, "%s.%s: must be %lld or more", gk, k,
		    (long long)min);
	return 1;
}

static int
dec_gen_config(struct gdec *d, json_object *g, const char *gk,
    struct c_request *r)
{
	json_object *v, *schema = NULL, *jschema = NULL;
	const char *k, *mime = NULL;
	char path[PATHLEN];
	int64_t iv;
	double dv;
	size_t n, i;
	int rc;

	if (!is_obj(g))
		return derr(d, "%s: must be an object", gk);
	rc = gc_num(d, g, gk, "temperature", NULL, &dv);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		r->has_temperature = 1;
		r->temperature = dv;
	}
	rc = gc_num(d, g, gk, "topP", "top_p", &dv);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		r->has_top_p = 1;
		r->top_p = dv;
	}
	rc = gc_num(d, g, gk, "topK", "top_k", &dv);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		if (dv < 0 || dv > 1.0e9)
			return derr(d, "%s.topK: out of range", gk);
		r->top_k = (int64_t)dv;
	}
	rc = gc_int(d, g, gk, "maxOutputTokens", "max_output_tokens", 0,
	    &iv);
	if (rc == -1)
		return -1;
	if (rc == 1)
		r->max_tokens = iv;
	rc = gc_int(d, g, gk, "candidateCount", "candidate_count", 1,
	    &iv);
	if (rc == -1)
		return -1;
	if (rc == 1 && iv > 1)
		r->n = iv;
	rc = gc_int(d, g, gk, "seed", NULL, INT64_MIN, &iv);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		r->has_seed = 1;
		r->seed = iv;
	}
	rc = gc_num(d, g, gk, "presencePenalty", "presence_penalty",
	    &dv);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		r->has_presence_penalty = 1;
		r->presence_penalty = dv;
	}
	rc = gc_num(d, g, gk, "frequencyPenalty", "frequency_penalty",
	    &dv);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		r->has_frequency_penalty = 1;
		r->frequency_penalty = dv;
	}

	v = gemini_field(g, "stopSequences", "stop_sequences", &k);
	if (v != NULL && is_str(v)) {
		r->stop = arena_alloc(d->a, sizeof(*r->stop));
		if (r->stop == NULL)
			return derr(d, "out of memory");
		r->stop[0] = json_object_get_string(v);
		r->nstop = 1;
	} else if (v != NULL) {
		if (!json_object_is_type(v, json_type_array))
			return derr(d, "%s.%s: must be an array", gk, k);
		n = json_object_array_length(v);
		r->stop = arena_alloc(d->a, (n + 1) * sizeof(*r->stop));
		if (r->stop == NULL)
			return derr(d, "out of memory");
		for (i = 0; i < n; i++) {
			if (!is_str(json_object_array_get_idx(v, i)))
				return derr(d, "%s.%s[%zu]: must be a string",
				    gk, k, i);
			r->stop[i] = json_object_get_string(
			    json_object_array_get_idx(v, i));
		}
		r->nstop = n;
	}

	v = gemini_field(g, "responseMimeType", "response_mime_type", &k);
	if (v != NULL) {
		if (!is_str(v))
			return derr(d, "%s.%s: must be a string", gk, k);
		mime = json_object_get_string(v);
	}
	v = gemini_field(g, "responseSchema", "response_schema", &k);
	if (v != NULL) {
		if (!is_obj(v))
			return derr(d, "%s.%s: must be an object", gk, k);
		schema = v;
	}
	v = gemini_field(g, "responseJsonSchema", "response_json_schema", &k);
	if (v == NULL)
		v = gemini_field(g, "_responseJsonSchema", NULL, &k);
	if (v != NULL) {
		if (!is_obj(v) && !json_object_is_type(v, json_type_boolean))
			return derr(d, "%s.%s: must be an object", gk, k);
		jschema = v;
	}
	if (jschema != NULL || schema != NULL) {
		r->format = C_FMT_JSON_SCHEMA;
		r->response_schema_name = "response";
		if (jschema != NULL)
			r->response_schema = jschema;
		else {
			r->response_schema = attach_schema(g,
			    "x-aiclientd-response-schema", schema);
			if (r->response_schema == NULL)
				return derr(d, "out of memory");
		}
	} else if (mime != NULL && (strcasecmp(mime, "application/json") == 0 ||
	    strcasecmp(mime, "text/x.enum") == 0))
		r->format = C_FMT_JSON_OBJECT;

	v = gemini_field(g, "thinkingConfig", "thinking_config", &k);
	if (v != NULL) {
		snprintf(path, sizeof(path), "%s.%s", gk, k);
		if (dec_thinking(d, v, path, r) == -1)
			return -1;
	}
	return 0;
}

int
gemini_decode_request(json_object *body, const char *path_model, int stream,
    struct c_request *out, struct arena *a, char *err, size_t errlen)
{
	struct gdec d;
	json_object *v;
	const char *k;

	d.a = a;
	d.err = err;
	d.errlen = errlen;
	memset(out, 0, sizeof(*out));
	if (body == NULL || !is_obj(body))
		return derr(&d, "request body: must be a JSON object");
	if (path_model == NULL || *path_model == '\0')
		return derr(&d, "model: missing (it belongs in the URL path)");
	out->model = path_model;
	out->stream = stream > 0;

	v = gemini_field(body, "contents", NULL, &k);
	if (v == NULL)
		return derr(&d, "contents: missing");
	if (dec_contents(&d, v, k, out) == -1)
		return -1;
	v = gemini_field(body, "systemInstruction", "system_instruction", &k);
	if (v != NULL && dec_system(&d, v, k, out) == -1)
		return -1;
	v = gemini_field(body, "tools", NULL, &k);
	if (v != NULL && dec_tools(&d, v, k, out) == -1)
		return -1;
	v = gemini_field(body, "toolConfig", "tool_config", &k);
	if (v != NULL && dec_tool_config(&d, v, k, out) == -1)
		return -1;
	v = gemini_field(body, "generationConfig", "generation_config", &k);
	if (v != NULL && dec_gen_config(&d, v, k, out) == -1)
		return -1;
	return 0;
}

/* ---- the schema sanitizer (§3.4.1) --------------------------------------- */

#define SAN_DEPTH	32		/* properties/items nesting; refs */
#define SAN_NODES	20000		/* schemas emitted per sanitize call */
#define SAN_WORK	1000000		/* members merged per sanitize call */

struct san {
	json_object	*root;
	const char	*refs[SAN_DEPTH * 2];	/* $refs on the current path */
	int		 nrefs;
	long		 nodes;
	long		 work;
};

static json_object	*san_node(struct san *, json_object *, int, int);

static int
san_is_null_alt(json_object *alt)
{
	json_object *t;

	if (!is_obj(alt) || !json_object_object_get_ex(alt, "type", &t))
		return 0;
	if (is_str(t))
		return strcmp(json_object_get_string(t), "null") == 0;
	if (json_object_is_type(t, json_type_array) &&
	    json_object_array_length(t) == 1)
		return is_str(json_object_array_get_idx(t, 0)) &&
		    strcmp(json_object_get_string(
		    json_object_array_get_idx(t, 0)), "null") == 0;
	return 0;
}

/* Union of the strings of src into the array dst (no duplicates). */
static void
san_union_required(json_object *dst, json_object *src)
{
	json_object *e;
	size_t i, j, n, m;
	int dup;

	n = json_object_array_length(src);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(src, i);
		if (!is_str(e))
			continue;
		m = json_object_array_length(dst);
		dup = 0;
		for (j = 0; j < m && !dup; j++)
			dup = strcmp(json_object_get_string(
			    json_object_array_get_idx(dst, j)),
			    json_object_get_string(e)) == 0;
		if (!dup)
			json_object_array_add(dst, json_object_get(e));
	}
}

/*
 * Fold one schema level into merged: its own members first (first
 * value wins, properties and required are unions), then its $ref
 * target, its allOf members and the first non-null alternative of
 * anyOf/oneOf (§3.4.1 steps 1-3).  Refs stay on s->refs until the
 * caller (san_node) has emitted this level's children: that is the
 * cycle guard.
 */
static void
san_collect(struct san *s, json_object *node, json_object *merged,
    int *nullable, int *variants, int depth)
{
	static const char *const combos[] = { "anyOf", "oneOf" };
	json_object *v, *props, *target, *alt, *first;
	const char *ref;
	size_t i, j, n, nalt;
	int cycle;

	if (depth > SAN_DEPTH || !is_obj(node) || s->work <= 0)
		return;
	json_object_object_foreach(node, key, val) {
		if (--s->work <= 0)
			return;
		if (strcmp(key, "$ref") == 0 || strcmp(key, "allOf") == 0 ||
		    strcmp(key, "anyOf") == 0 || strcmp(key, "oneOf") == 0 ||
		    strcmp(key, "$defs") == 0 ||
		    strcmp(key, "definitions") == 0)
			continue;
		if (strcmp(key, "nullable") == 0) {
			if (json_object_get_boolean(val))
				*nullable = 1;
			continue;
		}
		if (strcmp(key, "properties") == 0 && is_obj(val)) {
			if (!json_object_object_get_ex(merged, "properties",
			    &props)) {
				props = json_object_new_object();
				json_object_object_add(merged, "properties",
				    props);
			}
			json_object_object_foreach(val, pk, pv) {
				if (--s->work <= 0)
					return;
				if (!json_object_object_get_ex(props, pk, NULL))
					json_object_object_add(props, pk,
					    json_object_get(pv));
			}
			continue;
		}
		if (strcmp(key, "required") == 0 &&
		    json_object_is_type(val, json_type_array)) {
			if (!json_object_object_get_ex(merged, "required",
			    &v)) {
				v = json_object_new_array();
				json_object_object_add(merged, "required", v);
			}
			s->work -= (long)json_object_array_length(val);
			san_union_required(v, val);
			continue;
		}
		if (strcmp(key, "properties") == 0 ||
		    strcmp(key, "required") == 0)
			continue;	/* of a wrong type: dropped */
		if (val != NULL &&
		    !json_object_object_get_ex(merged, key, NULL))
			json_object_object_add(merged, key,
			    json_object_get(val));
	}

	if (json_object_object_get_ex(node, "$ref", &v) && is_str(v)) {
		ref = json_object_get_string(v);
		cycle = 0;
		for (i = 0; i < (size_t)s->nrefs; i++)
			if (strcmp(s->refs[i], ref) == 0)
				cycle = 1;
		target = NULL;
		if (!cycle && s->nrefs < (int)(sizeof(s->refs) /
		    sizeof(s->refs[0])) && ref[0] == '#') {
			if (ref[1] == '\0')
				target = s->root;
			else if (json_pointer_get(s->root, ref + 1,
			    &target) != 0)
				target = NULL;
		}
		if (target == NULL) {
			/* a cycle or a ref we cannot resolve: an object */
			if (!json_object_object_get_ex(merged, "type", NULL))
				json_object_object_add(merged, "type",
				    json_object_new_string("object"));
		} else {
			s->refs[s->nrefs++] = ref;
			san_collect(s, target, merged, nullable, variants,
			    depth + 1);
		}
	}

	if (json_object_object_get_ex(node, "allOf", &v) &&
	    json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			san_collect(s, json_object_array_get_idx(v, i), merged,
			    nullable, variants, depth + 1);
	}

	for (j = 0; j < sizeof(combos) / sizeof(combos[0]); j++) {
		if (!json_object_object_get_ex(node, combos[j], &v) ||
		    !json_object_is_type(v, json_type_array))
			continue;
		n = json_object_array_length(v);
		first = NULL;
		nalt = 0;
		for (i = 0; i < n; i++) {
			alt = json_object_array_get_idx(v, i);
			if (san_is_null_alt(alt)) {
				*nullable = 1;
				continue;
			}
			if (first == NULL)
				first = alt;
			nalt++;
		}
		if (nalt > 1)
			*variants = 1;
		if (first != NULL)
			san_collect(s, first, merged, nullable, variants,
			    depth + 1);
	}
}

/* The description with note appended: a new string object (desc put),
 * or desc itself when memory ran out. */
static json_object *
san_note(json_object *desc, const char *note)
{
	struct buf b;
	json_object *o;
	const char *d = desc ? json_object_get_string(desc) : "";

	buf_init(&b, 0);
	if (buf_addstr(&b, d) == -1 ||
	    buf_addstr(&b, *d == '\0' && *note == ' ' ? note + 1 : note) == -1)
		return desc;
	o = json_object_new_string_len(b.data, (int)b.len);
	buf_free(&b);
	if (o == NULL)
		return desc;
	json_object_put(desc);
	return o;
}

static const char *
san_type_name(const char *t)
{
	static const char *const names[][2] = {
		{ "string", "STRING" }, { "number", "NUMBER" },
		{ "integer", "INTEGER" }, { "boolean", "BOOLEAN" },
		{ "array", "ARRAY" }, { "object", "OBJECT" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(t, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

static int
san_format_ok(const char *type, const char *fmt)
{
	if (strcmp(type, "STRING") == 0)
		return strcmp(fmt, "date-time") == 0 ||
		    strcmp(fmt, "enum") == 0;
	if (strcmp(type, "INTEGER") == 0)
		return strcmp(fmt, "int32") == 0 || strcmp(fmt, "int64") == 0;
	if (strcmp(type, "NUMBER") == 0)
		return strcmp(fmt, "float") == 0 || strcmp(fmt, "double") == 0;
	return 0;
}

/* Steps 4-10 on a folded level: the Gemini schema object. */
static json_object *
san_emit(struct san *s, json_object *m, int nullable, int variants,
    int depth, int top)
{
	static const char *const numeric[] = { "minItems", "maxItems",
	    "minimum", "maximum", "minLength", "maxLength" };
	json_object *out, *v, *e, *desc = NULL, *props, *req, *arr, *child;
	const char *tname = NULL, *t;
	struct buf b;
	size_t i, n;
	int allstr, rc;

	out = json_object_new_object();
	if (out == NULL)
		return NULL;
	/* step 4: type */
	if (json_object_object_get_ex(m, "type", &v)) {
		if (is_str(v)) {
			t = json_object_get_string(v);
			if (strcmp(t, "null") == 0)
				nullable = 1;
			else
				tname = san_type_name(t);
		} else if (json_object_is_type(v, json_type_array)) {
			n = json_object_array_length(v);
			for (i = 0; i < n; i++) {
				e = json_object_array_get_idx(v, i);
				if (!is_str(e))
					continue;
				t = json_object_get_string(e);
				if (strcmp(t, "null") == 0)
					nullable = 1;
				else if (tname == NULL)
					tname = san_type_name(t);
			}
		}
	}
	if (tname == NULL) {
		if (json_object_object_get_ex(m, "properties", NULL))
			tname = "OBJECT";
		else if (json_object_object_get_ex(m, "items", &v) &&
		    (is_obj(v) || json_object_is_type(v, json_type_array)))
			tname = "ARRAY";
		else
			tname = top ? "OBJECT" : "STRING";
	}
	json_object_object_add(out, "type", json_object_new_string(tname));

	if (json_object_object_get_ex(m, "description", &v) && is_str(v))
		desc = json_object_get(v);
	if (variants)
		desc = san_note(desc, " (one of several variants)");
	if (json_object_object_get_ex(m, "title", &v) && is_str(v))
		json_object_object_add(out, "title", json_object_get(v));

	/* steps 5 and 7: const and enum */
	if (json_object_object_get_ex(m, "enum", &v) &&
	    json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		allstr = 1;
		for (i = 0; i < n; i++)
			if (!is_str(json_object_array_get_idx(v, i)))
				allstr = 0;
		if (allstr && n > 0) {
			arr = json_object_new_array();
			for (i = 0; i < n; i++)
				json_object_array_add(arr, json_object_get(
				    json_object_array_get_idx(v, i)));
			json_object_object_add(out, "enum", arr);
		} else if (n > 0) {
			buf_init(&b, 64 * 1024);
			rc = buf_addstr(&b, " Allowed values: ");
			for (i = 0; i < n && rc == 0; i++) {
				e = json_object_array_get_idx(v, i);
				if (i > 0)
					rc |= buf_addstr(&b, ", ");
				rc |= buf_addstr(&b, is_str(e) ?
				    json_object_get_string(e) : e ?
				    gemini_json_text(e, NULL) : "null");
			}
			if (rc == 0)
				desc = san_note(desc, b.data);
			buf_free(&b);
		}
	} else if (json_object_object_get_ex(m, "const", &v) && is_str(v)) {
		arr = json_object_new_array();
		json_object_array_add(arr, json_object_get(v));
		json_object_object_add(out, "enum", arr);
	}
	if (desc != NULL)
		json_object_object_add(out, "description", desc);
	if (nullable)
		json_object_object_add(out, "nullable",
		    json_object_new_boolean(1));

	/* step 9: properties and required */
	props = NULL;
	if (json_object_object_get_ex(m, "properties", &v) && is_obj(v) &&
	    json_object_object_length(v) > 0) {
		props = json_object_new_object();
		json_object_object_foreach(v, pk, pv) {
			child = san_node(s, pv, depth + 1, 0);
			if (child != NULL)
				json_object_object_add(props, pk, child);
		}
		json_object_object_add(out, "properties", props);
	}
	if (props != NULL && json_object_object_get_ex(m, "required", &v) &&
	    json_object_is_type(v, json_type_array)) {
		req = json_object_new_array();
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(v, i);
			if (is_str(e) && json_object_object_get_ex(props,
			    json_object_get_string(e), NULL))
				json_object_array_add(req, json_object_get(e));
		}
		if (json_object_array_length(req) > 0)
			json_object_object_add(out, "required", req);
		else
			json_object_put(req);
	}

	/* step 10: items */
	if (json_object_object_get_ex(m, "items", &v)) {
		if (json_object_is_type(v, json_type_array))
			v = json_object_array_length(v) > 0 ?
			    json_object_array_get_idx(v, 0) : NULL;
		if (is_obj(v)) {
			child = san_node(s, v, depth + 1, 0);
			if (child != NULL)
				json_object_object_add(out, "items", child);
		}
	}

	/* step 6: the few other members Gemini takes */
	for (i = 0; i < sizeof(numeric) / sizeof(numeric[0]); i++)
		if (json_object_object_get_ex(m, numeric[i], &v) && is_num(v))
			json_object_object_add(out, numeric[i],
			    json_object_get(v));
	if (json_object_object_get_ex(m, "format", &v) && is_str(v) &&
	    san_format_ok(tname, json_object_get_string(v)))
		json_object_object_add(out, "format", json_object_get(v));
	return out;
}

static json_object *
san_node(struct san *s, json_object *node, int depth, int top)
{
	json_object *merged, *out;
	int saved, nullable = 0, variants = 0;

	if (depth > SAN_DEPTH || --s->nodes <= 0) {
		out = json_object_new_object();
		json_object_object_add(out, "type",
		    json_object_new_string("OBJECT"));
		return out;
	}
	saved = s->nrefs;
	merged = json_object_new_object();
	if (merged == NULL)
		return NULL;
	san_collect(s, node, merged, &nullable, &variants, 0);
	out = san_emit(s, merged, nullable, variants, depth, top);
	json_object_put(merged);
	s->nrefs = saved;
	return out;
}

json_object *
gemini_sanitize_schema(json_object *schema, int top)
{
	struct san s;

	memset(&s, 0, sizeof(s));
	s.root = schema;
	s.nodes = SAN_NODES;
	s.work = SAN_WORK;
	return san_node(&s, schema, 0, top);
}

/* ---- backend side: encoding ---------------------------------------------- */

/* What one canonical part becomes in the Gemini body. */
enum gi_kind {
	GI_TEXT = 0,		/* {text} (+ a Gemini thoughtSignature) */
	GI_THOUGHT,		/* {text, thought, thoughtSignature} */
	GI_MEDIA,		/* inlineData / fileData / document text */
	GI_CALL,		/* functionCall */
	GI_RESP,		/* functionResponse */
	GI_RESP_MEDIA,		/* a tool result's image, after the responses */
	GI_ORPHAN		/* a result without its call, as text */
};

struct gitem {
	enum gi_kind		 kind;
	const struct c_part	*p;
	const char		*name;	/* GI_RESP: the call's name */
};

/* Consecutive canonical messages of one role, as slices of flat arrays. */
struct gturn {
	int			 model;
	size_t			 start, n;	/* into genc.parts */
	size_t			 istart, ni;	/* into genc.items */
};

struct genc {
	const struct c_request	*r;
	struct buf		*out;
	const struct c_part	**parts;
	unsigned char		*paired;
	const char		**rname;
	struct gturn		*turns;
	size_t			 nturns;
	struct gitem		*items;
	size_t			 nitems;
	char			**safe;		/* Gemini-safe tool names */
	int			 err;
};

static int
name_char_ok(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
}

/* A name Gemini takes (§3.4.2), into out (>= 72 bytes). */
static void
safe_name(const char *in, char *out)
{
	const char *src = in, *last, *q;
	size_t i, o = 0, len = strlen(in);

	if (len > 64 && strncmp(in, "mcp__", 5) == 0) {
		last = NULL;
		q = strstr(in + 5, "__");
		while (q != NULL) {
			last = q;
			q = strstr(q + 2, "__");
		}
		memcpy(out, "mcp__", 5);
		o = 5;
		src = last ? last + 2 : in + 5;
	}
	if (o == 0 && !(isalpha((unsigned char)src[0]) || src[0] == '_'))
		out[o++] = '_';
	for (i = 0; src[i] != '\0' && o < 64; i++)
		out[o++] = name_char_ok((unsigned char)src[i]) ? src[i] : '_';
	if (o == 0)
		out[o++] = '_';
	out[o] = '\0';
}

static int
build_names(struct genc *e)
{
	const struct c_request *r = e->r;
	char tmp[72], cand[80];
	size_t i, j, base;
	int n, dup;

	e->safe = calloc(r->ntools + 1, sizeof(*e->safe));
	if (e->safe == NULL)
		return -1;
	for (i = 0; i < r->ntools; i++) {
		if (r->tools[i].name == NULL)
			continue;
		safe_name(r->tools[i].name, tmp);
		strlcpy(cand, tmp, sizeof(cand));
		for (n = 2;; n++) {
			dup = 0;
			for (j = 0; j < i && !dup; j++)
				dup = e->safe[j] != NULL &&
				    strcmp(e->safe[j], cand) == 0;
			if (!dup)
				break;
			base = strlen(tmp);
			if (base > 64 - 8)
				base = 64 - 8;
			snprintf(cand, sizeof(cand), "%.*s_%d", (int)base, tmp,
			    n);
		}
		e->safe[i] = strdup(cand);
		if (e->safe[i] == NULL)
			return -1;
	}
	return 0;
}

/* The Gemini name for a canonical tool name, into tmp (>= 72 bytes). */
static const char *
map_name(struct genc *e, const char *name, char *tmp)
{
	size_t i;

	if (name == NULL)
		name = "";
	for (i = 0; i < e->r->ntools; i++)
		if (e->safe[i] != NULL && e->r->tools[i].name != NULL &&
		    strcmp(e->r->tools[i].name, name) == 0)
			return e->safe[i];
	safe_name(name, tmp);
	return tmp;
}

static int
has_media(const struct c_part *p)
{
	switch (p->type) {
	case C_IMAGE:
	case C_AUDIO:
		return p->data != NULL || p->url != NULL;
	case C_DOCUMENT:
		return p->data != NULL || p->url != NULL || p->text != NULL;
	default:
		return 0;
	}
}

static void
add_item(struct genc *e, enum gi_kind k, const struct c_part *p,
    const char *name)
{
	e->items[e->nitems].kind = k;
	e->items[e->nitems].p = p;
	e->items[e->nitems].name = name;
	e->nitems++;
}

/*
 * Turns, pairing and items.  Messages of one role are merged into a
 * turn.  A result is paired with the first unpaired call of the model
 * turn right before its own turn that has the same id; calls left
 * unpaired are dropped and results left unpaired become text
 * (§3.6 rule 7).  Thoughts survive only when a Gemini model signed
 * them; empty text is dropped.
 */
static int
build_turns(struct genc *e)
{
	const struct c_request *r = e->r;
	const struct c_part *p, *c;
	struct gturn *t, *prev;
	size_t np = 0, ni = 0, m, i, j, k;

	for (m = 0; m < r->nmsgs; m++) {
		np += r->msgs[m].nparts;
		for (j = 0; j < r->msgs[m].nparts; j++)
			ni += 1 + r->msgs[m].parts[j].ncontent;
	}
	e->parts = calloc(np + 1, sizeof(*e->parts));
	e->paired = calloc(np + 1, 1);
	e->rname = calloc(np + 1, sizeof(*e->rname));
	e->turns = calloc(r->nmsgs + 1, sizeof(*e->turns));
	e->items = calloc(ni + 1, sizeof(*e->items));
	if (e->parts == NULL || e->paired == NULL || e->rname == NULL ||
	    e->turns == NULL || e->items == NULL)
		return -1;
	np = 0;
	for (m = 0; m < r->nmsgs; m++) {
		if (r->msgs[m].nparts == 0)
			continue;
		if (e->nturns == 0 || e->turns[e->nturns - 1].model !=
		    (r->msgs[m].role == C_ASSISTANT)) {
			t = &e->turns[e->nturns++];
			t->model = r->msgs[m].role == C_ASSISTANT;
			t->start = np;
		}
		for (j = 0; j < r->msgs[m].nparts; j++)
			e->parts[np++] = &r->msgs[m].parts[j];
		e->turns[e->nturns - 1].n = np - e->turns[e->nturns - 1].start;
	}

	for (k = 1; k < e->nturns; k++) {
		t = &e->turns[k];
		prev = &e->turns[k - 1];
		if (t->model || !prev->model)
			continue;
		for (i = t->start; i < t->start + t->n; i++) {
			p = e->parts[i];
			if (p->type != C_TOOL_RESULT || p->id == NULL)
				continue;
			for (j = prev->start; j < prev->start + prev->n; j++) {
				c = e->parts[j];
				if (c->type == C_TOOL_USE && !e->paired[j] &&
				    c->id != NULL &&
				    strcmp(c->id, p->id) == 0) {
					e->paired[j] = e->paired[i] = 1;
					e->rname[i] = c->name;
					break;
				}
			}
		}
	}

	for (k = 0; k < e->nturns; k++) {
		t = &e->turns[k];
		t->istart = e->nitems;
		for (i = t->start; i < t->start + t->n; i++) {
			p = e->parts[i];
			switch (p->type) {
			case C_TEXT:
				if (p->text != NULL && p->text_len > 0)
					add_item(e, GI_TEXT, p, NULL);
				break;
			case C_THINKING:
				if (t->model && p->origin == C_ORIGIN_GEMINI &&
				    p->signature != NULL && p->text != NULL)
					add_item(e, GI_THOUGHT, p, NULL);
				break;
			case C_IMAGE:
			case C_DOCUMENT:
			case C_AUDIO:
				if (has_media(p))
					add_item(e, GI_MEDIA, p, NULL);
				break;
			case C_TOOL_USE:
				if (t->model && e->paired[i])
					add_item(e, GI_CALL, p, NULL);
				break;
			case C_TOOL_RESULT:
				if (!t->model && e->paired[i])
					add_item(e, GI_RESP, p, e->rname[i]);
				else
					add_item(e, GI_ORPHAN, p, NULL);
				for (j = 0; j < p->ncontent; j++) {
					c = &p->content[j];
					if (c->type != C_TEXT && has_media(c))
						add_item(e, !t->model &&
						    e->paired[i] ?
						    GI_RESP_MEDIA : GI_MEDIA,
						    c, NULL);
				}
				break;
			default:
				break;
			}
		}
		t->ni = e->nitems - t->istart;
	}
	return 0;
}

/* Text of a tool result's C_TEXT parts joined with "\n", into b. */
static int
result_text(const struct c_part *p, struct buf *b)
{
	size_t i;
	int first = 1;

	for (i = 0; i < p->ncontent; i++) {
		if (p->content[i].type != C_TEXT || p->content[i].text == NULL)
			continue;
		if (!first && buf_addc(b, '\n') == -1)
			return -1;
		if (buf_add(b, p->content[i].text,
		    p->content[i].text_len) == -1)
			return -1;
		first = 0;
	}
	if (b->data == NULL && buf_reserve(b, 1) == -1)
		return -1;
	return 0;
}

/* The JSON object in text, or NULL (new reference). */
static json_object *
parse_object(const char *text, size_t len)
{
	struct json_tokener *tok;
	json_object *o;
	size_t end;

	if (text == NULL || len == 0 || len > INT32_MAX)
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL)
		return NULL;
	while (end < len && isspace((unsigned char)text[end]))
		end++;
	if (!is_obj(o) || end != len) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* A media type from a URL's extension, or dflt. */
static const char *
mime_from_url(const char *url, const char *dflt)
{
	static const char *const map[][2] = {
		{ ".png", "image/png" }, { ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" }, { ".gif", "image/gif" },
		{ ".webp", "image/webp" }, { ".heic", "image/heic" },
		{ ".heif", "image/heif" }, { ".pdf", "application/pdf" },
		{ ".txt", "text/plain" }, { ".wav", "audio/wav" },
		{ ".mp3", "audio/mpeg" },
	};
	size_t i, n, e;

	n = strcspn(url, "?#");
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		e = strlen(map[i][0]);
		if (n > e && strncasecmp(url + n - e, map[i][0], e) == 0)
			return map[i][1];
	}
	return dflt;
}

static const char *
audio_mime(const char *mt, char *tmp, size_t tmplen)
{
	if (mt == NULL || *mt == '\0' || strcasecmp(mt, "wav") == 0)
		return "audio/wav";
	if (strcasecmp(mt, "mp3") == 0 || strcasecmp(mt, "audio/mp3") == 0)
		return "audio/mpeg";
	if (strchr(mt, '/') != NULL)
		return mt;
	snprintf(tmp, tmplen, "audio/%s", mt);
	return tmp;
}

static int
w_inline(struct buf *b, const char *mime, size_t mlen, const char *data,
    size_t dlen)
{
	int r = 0;

	r |= buf_addstr(b, "{\"inlineData\":{\"mimeType\":");
	r |= jw_str(b, mime, mlen);
	r |= buf_addstr(b, ",\"data\":");
	r |= jw_str(b, data, dlen);
	r |= buf_addstr(b, "}}");
	return r ? -1 : 0;
}

static int
w_media(struct buf *b, const struct c_part *p)
{
	const char *mt, *comma, *semi;
	char tmp[64];
	int r = 0;

	if (p->data != NULL) {
		if (p->type == C_AUDIO)
			mt = audio_mime(p->media_type, tmp, sizeof(tmp));
		else if (p->media_type != NULL)
			mt = p->media_type;
		else
			mt = p->type == C_IMAGE ? "image/png" :
			    "application/pdf";
		return w_inline(b, mt, strlen(mt), p->data, p->data_len);
	}
	if (p->url != NULL) {
		if (strncmp(p->url, "data:", 5) == 0) {
			comma = strchr(p->url, ',');
			semi = comma ? memchr(p->url + 5, ';',
			    (size_t)(comma - p->url - 5)) : NULL;
			if (semi != NULL)
				return w_inline(b, p->url + 5,
				    (size_t)(semi - p->url - 5), comma + 1,
				    strlen(comma + 1));
		}
		if (p->type == C_AUDIO)
			mt = p->media_type ? audio_mime(p->media_type, tmp,
			    sizeof(tmp)) : mime_from_url(p->url, "audio/mpeg");
		else if (p->media_type != NULL)
			mt = p->media_type;
		else
			mt = mime_from_url(p->url, p->type == C_IMAGE ?
			    "image/jpeg" : "application/pdf");
		r |= buf_addstr(b, "{\"fileData\":{\"mimeType\":");
		r |= jw_cstr(b, mt);
		r |= buf_addstr(b, ",\"fileUri\":");
		r |= jw_cstr(b, p->url);
		r |= buf_addstr(b, "}}");
		return r ? -1 : 0;
	}
	r |= buf_addstr(b, "{\"text\":");
	r |= jw_str(b, p->text, p->text_len);
	r |= buf_addc(b, '}');
	return r ? -1 : 0;
}

static int
w_item(struct genc *e, const struct gitem *it)
{
	const struct c_part *p = it->p;
	struct buf *b = e->out;
	struct buf t;
	json_object *o;
	char tmp[72];
	int r = 0;

	switch (it->kind) {
	case GI_TEXT:
		r |= buf_addstr(b, "{\"text\":");
		r |= jw_str(b, p->text, p->text_len);
		if (p->origin == C_ORIGIN_GEMINI && p->signature != NULL) {
			r |= buf_addstr(b, ",\"thoughtSignature\":");
			r |= jw_cstr(b, p->signature);
		}
		r |= buf_addc(b, '}');
		break;
	case GI_THOUGHT:
		r |= buf_addstr(b, "{\"text\":");
		r |= jw_str(b, p->text, p->text_len);
		r |= buf_addstr(b, ",\"thought\":true,\"thoughtSignature\":");
		r |= jw_cstr(b, p->signature);
		r |= buf_addc(b, '}');
		break;
	case GI_MEDIA:
	case GI_RESP_MEDIA:
		r |= w_media(b, p);
		break;
	case GI_CALL:
		r |= buf_addstr(b, "{\"functionCall\":{\"name\":");
		r |= jw_cstr(b, map_name(e, p->name, tmp));
		r |= buf_addstr(b, ",\"args\":");
		o = parse_object(p->input, p->input_len);
		r |= o ? jw_obj(b, o) : buf_addstr(b, "{}");
		json_object_put(o);
		r |= buf_addstr(b, "},\"thoughtSignature\":");
		r |= jw_cstr(b, p->origin == C_ORIGIN_GEMINI &&
		    p->signature != NULL ? p->signature :
		    GEMINI_SKIP_SIGNATURE);
		r |= buf_addc(b, '}');
		break;
	case GI_RESP:
		buf_init(&t, 0);
		if (result_text(p, &t) == -1)
			return -1;
		r |= buf_addstr(b, "{\"functionResponse\":{\"name\":");
		r |= jw_cstr(b, map_name(e, it->name, tmp));
		r |= buf_addstr(b, ",\"response\":");
		o = p->is_error ? NULL : parse_object(t.data, t.len);
		if (o != NULL)
			r |= jw_obj(b, o);
		else {
			r |= buf_addstr(b, p->is_error ? "{\"error\":" :
			    "{\"output\":");
			r |= jw_str(b, t.data, t.len);
			r |= buf_addc(b, '}');
		}
		json_object_put(o);
		buf_free(&t);
		r |= buf_addstr(b, "}}");
		break;
	case GI_ORPHAN:
		buf_init(&t, 0);
		if (buf_addf(&t, "Tool result (%s): ", p->id ? p->id : "") ==
		    -1 || result_text(p, &t) == -1)
			return -1;
		r |= buf_addstr(b, "{\"text\":");
		r |= jw_str(b, t.data, t.len);
		r |= buf_addc(b, '}');
		buf_free(&t);
		break;
	}
	return r ? -1 : 0;
}

/*
 * The contents array.  Turns that kept no item vanish and their
 * neighbours of one role merge; in a user content the function
 * responses come first, then their images, then the rest.
 */
static int
w_contents(struct genc *e, int *nwritten)
{
	static const int order[3] = { GI_RESP, GI_RESP_MEDIA, -1 };
	struct buf *b = e->out;
	size_t k, g, i, pass;
	const struct gitem *it;
	int first, sel, model;

	*nwritten = 0;
	for (k = 0; k < e->nturns; k = g) {
		if (e->turns[k].ni == 0) {
			g = k + 1;
			continue;
		}
		model = e->turns[k].model;
		for (g = k + 1; g < e->nturns; g++)
			if (e->turns[g].ni > 0 && e->turns[g].model != model)
				break;
		if (buf_addstr(b, *nwritten ? ",{\"role\":" : "{\"role\":") ==
		    -1 || buf_addstr(b, model ? "\"model\"" : "\"user\"") ==
		    -1 || buf_addstr(b, ",\"parts\":[") == -1)
			return -1;
		first = 1;
		for (pass = 0; pass < (model ? 1 : 3); pass++) {
			sel = model ? -1 : order[pass];
			for (i = k; i < g; i++) {
				for (it = &e->items[e->turns[i].istart];
				    it < &e->items[e->turns[i].istart +
				    e->turns[i].ni]; it++) {
					if (sel >= 0 && (int)it->kind != sel)
						continue;
					if (sel < 0 && !model &&
					    (it->kind == GI_RESP ||
					    it->kind == GI_RESP_MEDIA))
						continue;
					if (!first && buf_addc(b, ',') == -1)
						return -1;
					if (w_item(e, it) == -1)
						return -1;
					first = 0;
				}
			}
		}
		if (buf_addstr(b, "]}") == -1)
			return -1;
		(*nwritten)++;
	}
	return 0;
}

/* The system parts joined with "\n", as a JSON string. */
static int
w_system_text(struct buf *b, const struct c_request *r)
{
	struct buf t;
	size_t i;
	int rc;

	buf_init(&t, 0);
	for (i = 0; i < r->nsystem; i++) {
		if (r->system[i].text == NULL)
			continue;
		if ((t.len > 0 && buf_addc(&t, '\n') == -1) ||
		    buf_add(&t, r->system[i].text, r->system[i].text_len) == -1)
			return -1;
	}
	rc = jw_str(b, t.data ? t.data : "", t.len);
	buf_free(&t);
	return rc;
}

static int
is_function_tool(const struct c_tool *t)
{
	return t->name != NULL && (t->type == NULL ||
	    strcmp(t->type, "custom") == 0 || strcmp(t->type, "function") == 0);
}

static int
w_tools(struct genc *e, size_t *ndecl)
{
	const struct c_request *r = e->r;
	struct buf *b = e->out;
	json_object *s, *t;
	size_t i;
	int rc = 0;

	*ndecl = 0;
	for (i = 0; i < r->ntools; i++) {
		if (!is_function_tool(&r->tools[i]))
			continue;
		rc |= buf_addstr(b, *ndecl ? ",{\"name\":" :
		    ",\"tools\":[{\"functionDeclarations\":[{\"name\":");
		rc |= jw_cstr(b, e->safe[i]);
		if (r->tools[i].description != NULL) {
			rc |= buf_addstr(b, ",\"description\":");
			rc |= jw_cstr(b, r->tools[i].description);
		}
		if (r->tools[i].schema != NULL) {
			s = gemini_sanitize_schema(r->tools[i].schema, 1);
			if (s == NULL)
				return -1;
			/* an object without properties: no parameters */
			if (!(json_object_object_get_ex(s, "type", &t) &&
			    strcmp(json_object_get_string(t), "OBJECT") == 0 &&
			    !json_object_object_get_ex(s, "properties",
			    NULL))) {
				rc |= buf_addstr(b, ",\"parameters\":");
				rc |= jw_obj(b, s);
			}
			json_object_put(s);
		}
		rc |= buf_addc(b, '}');
		(*ndecl)++;
	}
	if (*ndecl > 0)
		rc |= buf_addstr(b, "]}]");
	return rc ? -1 : 0;
}

static int
w_tool_config(struct genc *e)
{
	const struct c_request *r = e->r;
	struct buf *b = e->out;
	const char *mode;
	char tmp[72];
	int rc = 0;

	switch (r->tool_choice) {
	case C_TC_AUTO:
		mode = "AUTO";
		break;
	case C_TC_NONE:
		mode = "NONE";
		break;
	case C_TC_ANY:
	case C_TC_TOOL:
		mode = "ANY";
		break;
	default:
		return 0;
	}
	rc |= buf_addstr(b, ",\"toolConfig\":{\"functionCallingConfig\":"
	    "{\"mode\":");
	rc |= jw_cstr(b, mode);
	if (r->tool_choice == C_TC_TOOL && r->tool_choice_name != NULL) {
		rc |= buf_addstr(b, ",\"allowedFunctionNames\":[");
		rc |= jw_cstr(b, map_name(e, r->tool_choice_name, tmp));
		rc |= buf_addc(b, ']');
	}
	rc |= buf_addstr(b, "}}");
	return rc ? -1 : 0;
}

/* conversion.md §3.9: effort names, budgets and Gemini 3 levels. */
static const char *
effort_norm(const char *e)
{
	static const char *const names[] = { "none", "minimal", "low",
	    "medium", "high" };
	size_t i;

	if (e == NULL)
		return NULL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(e, names[i]) == 0)
			return names[i];
	if (strcasecmp(e, "max") == 0 || strcasecmp(e, "xhigh") == 0)
		return "high";
	return NULL;
}

static int64_t
effort_budget(const char *e)
{
	if (strcmp(e, "none") == 0)
		return 0;
	if (strcmp(e, "minimal") == 0)
		return 512;
	if (strcmp(e, "low") == 0)
		return 1024;
	if (strcmp(e, "medium") == 0)
		return 8192;
	return 24576;
}

static const char *
effort_level(const char *e, int pro)
{
	if (strcmp(e, "none") == 0)
		return NULL;
	if (strcmp(e, "minimal") == 0 || strcmp(e, "low") == 0)
		return "LOW";
	if (strcmp(e, "medium") == 0)
		return pro ? "HIGH" : "MEDIUM";
	return "HIGH";
}

/*
 * thinkingConfig for the request, by model family: Gemini 3 models
 * take a thinkingLevel for an effort, 2.x models a thinkingBudget; Pro
 * models cannot turn thinking off, so "off" is omitted for them.
 * Thoughts are asked for whenever thinking is wanted: the client
 * encoders drop them when the client did not ask.
 */
static int
w_thinking(struct buf *b, const struct c_request *r, int *first)
{
	const char *model = r->model ? r->model : "", *eff, *level = NULL;
	int g3, pro, has_budget = 0, incl = r->include_thoughts, rc = 0;
	int64_t budget = 0;

	g3 = strstr(model, "gemini-3") != NULL;
	pro = strstr(model, "pro") != NULL;
	eff = effort_norm(r->reasoning_effort);
	switch (r->thinking) {
	case C_THINK_ENABLED:
		incl = 1;
		if (r->thinking_budget != 0) {
			budget = r->thinking_budget;
			has_budget = 1;
		} else if (eff != NULL && strcmp(eff, "none") != 0) {
			if (g3)
				level = effort_level(eff, pro);
			else {
				budget = effort_budget(eff);
				has_budget = 1;
			}
		}
		break;
	case C_THINK_ADAPTIVE:
	case C_THINK_UNSET:
		if (eff == NULL) {
			if (r->thinking == C_THINK_ADAPTIVE)
				incl = 1;
			break;
		}
		if (strcmp(eff, "none") == 0) {
			if (!g3 && !pro)
				has_budget = 1;
			break;
		}
		incl = 1;
		if (g3)
			level = effort_level(eff, pro);
		else {
			budget = effort_budget(eff);
			has_budget = 1;
		}
		break;
	case C_THINK_DISABLED:
		if (!g3 && !pro)
			has_budget = 1;
		break;
	}
	if (has_budget && budget == 0)
		incl = 0;
	if (!has_budget && level == NULL && !incl)
		return 0;
	rc |= buf_addstr(b, *first ? "\"thinkingConfig\":{" :
	    ",\"thinkingConfig\":{");
	*first = 0;
	if (has_budget) {
		rc |= buf_addstr(b, "\"thinkingBudget\":");
		rc |= jw_int(b, budget);
	}
	if (level != NULL) {
		rc |= buf_addstr(b, has_budget ? ",\"thinkingLevel\":" :
		    "\"thinkingLevel\":");
		rc |= jw_cstr(b, level);
	}
	if (incl)
		rc |= buf_addstr(b, has_budget || level != NULL ?
		    ",\"includeThoughts\":true" : "\"includeThoughts\":true");
	rc |= buf_addc(b, '}');
	return rc ? -1 : 0;
}

static int
w_key(struct buf *b, const char *key, int *first)
{
	int rc;

	rc = jw_key(b, key, *first);
	*first = 0;
	return rc;
}

static int
w_gen_config(struct buf *b, const struct c_request *r)
{
	struct buf g;
	json_object *s;
	size_t i, n;
	int first = 1, rc = 0;

	buf_init(&g, 0);
	if (r->max_tokens > 0) {
		rc |= w_key(&g, "maxOutputTokens", &first);
		rc |= jw_int(&g, r->max_tokens);
	}
	if (r->has_temperature) {
		rc |= w_key(&g, "temperature", &first);
		rc |= gemini_jw_double(&g, r->temperature);
	}
	if (r->has_top_p) {
		rc |= w_key(&g, "topP", &first);
		rc |= gemini_jw_double(&g, r->top_p);
	}
	if (r->top_k > 0) {
		rc |= w_key(&g, "topK", &first);
		rc |= jw_int(&g, r->top_k);
	}
	if (r->nstop > 0) {
		rc |= w_key(&g, "stopSequences", &first);
		rc |= buf_addc(&g, '[');
		for (i = 0, n = 0; i < r->nstop && n < 5; i++) {
			if (r->stop[i] == NULL || *r->stop[i] == '\0')
				continue;
			if (n++ > 0)
				rc |= buf_addc(&g, ',');
			rc |= jw_cstr(&g, r->stop[i]);
		}
		rc |= buf_addc(&g, ']');
	}
	if (r->n > 1) {
		rc |= w_key(&g, "candidateCount", &first);
		rc |= jw_int(&g, r->n);
	}
	if (r->has_seed) {
		rc |= w_key(&g, "seed", &first);
		rc |= jw_int(&g, r->seed);
	}
	if (r->has_presence_penalty) {
		rc |= w_key(&g, "presencePenalty", &first);
		rc |= gemini_jw_double(&g, r->presence_penalty);
	}
	if (r->has_frequency_penalty) {
		rc |= w_key(&g, "frequencyPenalty", &first);
		rc |= gemini_jw_double(&g, r->frequency_penalty);
	}
	if (r->format == C_FMT_JSON_OBJECT || r->format == C_FMT_JSON_SCHEMA) {
		rc |= w_key(&g, "responseMimeType", &first);
		rc |= buf_addstr(&g, "\"application/json\"");
	}
	if (r->format == C_FMT_JSON_SCHEMA && r->response_schema != NULL) {
		s = gemini_sanitize_schema(r->response_schema, 0);
		if (s == NULL)
			rc = -1;
		else {
			rc |= w_key(&g, "responseSchema", &first);
			rc |= jw_obj(&g, s);
			json_object_put(s);
		}
	}
	rc |= w_thinking(&g, r, &first);
	if (rc == 0 && !first) {
		rc |= buf_addstr(b, ",\"generationConfig\":{");
		rc |= buf_add(b, g.data, g.len);
		rc |= buf_addc(b, '}');
	}
	buf_free(&g);
	return rc ? -1 : 0;
}

static void
genc_free(struct genc *e)
{
	size_t i;

	if (e->safe != NULL)
		for (i = 0; i < e->r->ntools; i++)
			free(e->safe[i]);
	free(e->safe);
	free(e->parts);
	free(e->paired);
	free(e->rname);
	free(e->turns);
	free(e->items);
}

int
gemini_encode_request(const struct c_request *r, const struct c_opts *o,
    struct buf *out)
{
	struct genc e;
	size_t ndecl;
	int n, rc = -1;

	(void)o;
	memset(&e, 0, sizeof(e));
	e.r = r;
	e.out = out;
	if (build_names(&e) == -1 || build_turns(&e) == -1)
		goto done;
	if (buf_addstr(out, "{\"contents\":[") == -1 ||
	    w_contents(&e, &n) == -1)
		goto done;
	if (n == 0 && r->nsystem > 0) {
		/* only a system prompt: it becomes the user turn (§3.1) */
		if (buf_addstr(out, "{\"role\":\"user\",\"parts\":[{\"text\":")
		    == -1 || w_system_text(out, r) == -1 ||
		    buf_addstr(out, "}]}]") == -1)
			goto done;
	} else {
		if (buf_addc(out, ']') == -1)
			goto done;
		if (r->nsystem > 0 && (buf_addstr(out,
		    ",\"systemInstruction\":{\"parts\":[{\"text\":") == -1 ||
		    w_system_text(out, r) == -1 ||
		    buf_addstr(out, "}]}") == -1))
			goto done;
	}
	if (w_tools(&e, &ndecl) == -1)
		goto done;
	if (ndecl > 0 && w_tool_config(&e) == -1)
		goto done;
	if (w_gen_config(out, r) == -1 || buf_addc(out, '}') == -1)
		goto done;
	rc = 0;
done:
	genc_free(&e);
	return rc;
}

/*
 * openai_req.c: OpenAI Chat Completions requests in both directions.
 * The client decoder turns a /v1/chat/completions body into a
 * c_request (conversion.md §2.1 and §3 with OpenAI as the source),
 * accepting the Anthropic-shaped tools and content blocks the user
 * guide sends there (DESIGN decision 6) and answering malformed input
 * with a message that names the field (decision 17).  The backend
 * encoder renders a c_request as an OpenAI request body (§3 with OpenAI
 * as the target: merged turns, one tool message per result, the repair
 * pass of §3.6 rule 7).
 *
 * Ownership: strings of a decoded request are borrowed from the body
 * (valid until the caller puts it) or copied into the arena; the
 * encoder writes into the caller's buffer and frees nothing it did not
 * allocate.  Nothing here logs.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json_object_iterator.h>

#include "jsonw.h"
#include "openai_int.h"
#include "util.h"

#define PATHLEN		128
#define CALL_SCAN	1024	/* how far back a result looks for its call */
#define SCHEMA_DEPTH	32

/* ---- client side: decoder state ------------------------------------------ */

struct plist {
	struct c_part	*p;
	size_t		 n, cap;
};

/* A tool call seen so far, for legacy function messages (§3.6 rule 9). */
struct call {
	const char	*id;
	const char	*name;
	int		 answered;
};

struct dctx {
	struct arena	*a;
	char		*err;
	size_t		 errlen;
	struct plist	 sys;
	struct c_message *tmp;		/* one per non-system message */
	size_t		 ntmp;
	struct call	*calls;
	size_t		 ncalls, capcalls;
};

static int fail(struct dctx *, const char *, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Write "<path>.<key>: <message>" into the caller's error buffer and
 * return -1.  path and key may be empty / NULL.
 */
static int
fail(struct dctx *d, const char *path, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (d->err == NULL || d->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path != NULL && *path != '\0' && key != NULL)
		snprintf(d->err, d->errlen, "%s.%s: %s", path, key, msg);
	else if (path != NULL && *path != '\0')
		snprintf(d->err, d->errlen, "%s: %s", path, msg);
	else if (key != NULL)
		snprintf(d->err, d->errlen, "%s: %s", key, msg);
	else
		snprintf(d->err, d->errlen, "%s", msg);
	return -1;
}

static int
nomem(struct dctx *d)
{
	return fail(d, NULL, NULL, "request too large");
}

/* out = path + "." + key (+ "[idx]" when idx >= 0); truncated to PATHLEN. */
static void
subpath(char *out, const char *path, const char *key, long idx)
{
	char ix[32];

	if (out != path)
		strlcpy(out, path, PATHLEN);
	if (*out != '\0')
		strlcat(out, ".", PATHLEN);
	strlcat(out, key, PATHLEN);
	if (idx >= 0) {
		snprintf(ix, sizeof(ix), "[%ld]", idx);
		strlcat(out, ix, PATHLEN);
	}
}

/* ---- client side: typed member access ------------------------------------ */

/* 0: absent or null; 1: a string; -1: another type (error set). */
static int
want_str(struct dctx *d, json_object *o, const char *path, const char *key,
    const char **s, size_t *len)
{
	json_object *v;

	*s = NULL;
	if (len != NULL)
		*len = 0;
	v = c_json_get(o, key);
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return fail(d, path, key, "must be a string");
	*s = json_object_get_string(v);
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return 1;
}

/* As want_str, but absence is an error too. */
static int
need_str(struct dctx *d, json_object *o, const char *path, const char *key,
    const char **s, size_t *len)
{
	int rc;

	rc = want_str(d, o, path, key, s, len);
	if (rc == 0)
		return fail(d, path, key, "required");
	return rc;
}

/* Member key of o in *out when present: 1; absent: 0; of another JSON
 * type: -1 with the error "must be <what>". */
static int
want_typed(struct dctx *d, json_object *o, const char *path, const char *key,
    json_type type, const char *what, json_object **out)
{
	json_object *v;

	*out = NULL;
	v = c_json_get(o, key);
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, type))
		return fail(d, path, key, "%s", what);
	*out = v;
	return 1;
}

static int
want_obj(struct dctx *d, json_object *o, const char *path, const char *key,
    json_object **out)
{
	return want_typed(d, o, path, key, json_type_object,
	    "must be an object", out);
}

static int
want_arr(struct dctx *d, json_object *o, const char *path, const char *key,
    json_object **out)
{
	return want_typed(d, o, path, key, json_type_array,
	    "must be an array", out);
}

static int
want_bool(struct dctx *d, json_object *o, const char *path, const char *key,
    int *has, int *out)
{
	json_object *v;

	v = c_json_get(o, key);
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return fail(d, path, key, "must be a boolean");
	*out = json_object_get_boolean(v) ? 1 : 0;
	if (has != NULL)
		*has = 1;
	return 1;
}

/* A finite number. */
static int
want_num(struct dctx *d, json_object *o, const char *path, const char *key,
    int *has, double *out)
{
	json_object *v;
	double x;

	v = c_json_get(o, key);
	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int))
		x = (double)json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_double))
		x = json_object_get_double(v);
	else
		return fail(d, path, key, "must be a number");
	if (!isfinite(x))
		return fail(d, path, key, "must be a finite number");
	*out = x;
	if (has != NULL)
		*has = 1;
	return 1;
}

/* An integer >= min (an integral double is accepted). */
static int
want_int(struct dctx *d, json_object *o, const char *path, const char *key,
    int64_t min, int *has, int64_t *out)
{
	json_object *v;
	double x;
	int64_t n;

	v = c_json_get(o, key);
	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int))
		n = json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_double)) {
		x = json_object_get_double(v);
		if (!isfinite(x) || x != floor(x) || fabs(x) > 9e15)
			return fail(d, path, key, "must be an integer");
		n = (int64_t)x;
	} else
		return fail(d, path, key, "must be an integer");
	if (n < min)
		return fail(d, path, key, "must be at least %lld",
		    (long long)min);
	*out = n;
	if (has != NULL)
		*has = 1;
	return 1;
}

/* ---- client side: parts -------------------------------------------------- */

static struct c_part *
plist_add(struct dctx *d, struct plist *l)
{
	struct c_part *np, *p;
	size_t ncap;

	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 4;
		np = arena_realloc(d->a, l->p, l->cap * sizeof(*np),
		    ncap * sizeof(*np));
		if (np == NULL)
			return NULL;
		l->p = np;
		l->cap = ncap;
	}
	p = &l->p[l->n++];
	memset(p, 0, sizeof(*p));
	return p;
}

static int
add_text(struct dctx *d, struct plist *l, const char *s, size_t len)
{
	struct c_part *p;

	p = plist_add(d, l);
	if (p == NULL)
		return nomem(d);
	p->type = C_TEXT;
	p->text = s;
	p->text_len = len;
	return 0;
}

static const char *
new_call_id(struct dctx *d)
{
	char id[40];

	c_make_id(id, sizeof(id), "call_");
	return arena_strdup(d->a, id);
}

static int
call_add(struct dctx *d, const char *id, const char *name)
{
	struct call *nc;
	size_t ncap;

	if (d->ncalls == d->capcalls) {
		ncap = d->capcalls ? d->capcalls * 2 : 8;
		nc = arena_realloc(d->a, d->calls, d->capcalls * sizeof(*nc),
		    ncap * sizeof(*nc));
		if (nc == NULL)
			return nomem(d);
		d->calls = nc;
		d->capcalls = ncap;
	}
	d->calls[d->ncalls].id = id;
	d->calls[d->ncalls].name = name;
	d->calls[d->ncalls].answered = 0;
	d->ncalls++;
	return 0;
}

static void
call_answer_id(struct dctx *d, const char *id)
{
	size_t i, lim;

	lim = d->ncalls > CALL_SCAN ? d->ncalls - CALL_SCAN : 0;
	for (i = d->ncalls; i > lim; i--) {
		if (strcmp(d->calls[i - 1].id, id) == 0) {
			d->calls[i - 1].answered = 1;
			return;
		}
	}
}

/* The id of the latest unanswered call named name, now answered. */
static const char *
call_answer_name(struct dctx *d, const char *name)
{
	size_t i, lim;

	lim = d->ncalls > CALL_SCAN ? d->ncalls - CALL_SCAN : 0;
	for (i = d->ncalls; i > lim; i--) {
		if (!d->calls[i - 1].answered &&
		    strcmp(d->calls[i - 1].name, name) == 0) {
			d->calls[i - 1].answered = 1;
			return d->calls[i - 1].id;
		}
	}
	return NULL;
}

/*
 * "data:<mime>[;param]*;base64,<payload>" (conversion.md §3.3): the
 * media type is the text before the first ';' or ','; the payload loses
 * its white space (DESIGN decision 20).  Returns 0, -1 when the URL is
 * not a base64 data URL, -2 when the arena is full.
 */
static int
data_url(struct arena *a, const char *url, size_t len, const char **mt,
    const char **data, size_t *dlen)
{
	const char *comma, *semi, *p, *next, *end, *hdr;
	int b64 = 0;

	if (len < 5 || strncasecmp(url, "data:", 5) != 0)
		return -1;
	hdr = url + 5;
	comma = memchr(hdr, ',', len - 5);
	if (comma == NULL)
		return -1;
	semi = memchr(hdr, ';', (size_t)(comma - hdr));
	for (p = semi; p != NULL; p = next) {
		next = memchr(p + 1, ';', (size_t)(comma - p - 1));
		end = next != NULL ? next : comma;
		if (end - p - 1 == 6 && strncasecmp(p + 1, "base64", 6) == 0)
			b64 = 1;
	}
	if (!b64)
		return -1;
	*mt = arena_strndup(a, hdr, (size_t)((semi ? semi : comma) - hdr));
	if (*mt == NULL)
		return -2;
	*data = c_b64_clean(a, comma + 1, len - (size_t)(comma + 1 - url),
	    dlen);
	return *data == NULL ? -2 : 0;
}

/* A media type from a file name's extension; PDF when unknown (§3.3). */
static const char *
mime_of_name(const char *name)
{
	static const struct {
		const char	*ext;
		const char	*mime;
	} map[] = {
		{ "pdf", "application/pdf" }, { "txt", "text/plain" },
		{ "md", "text/markdown" }, { "markdown", "text/markdown" },
		{ "csv", "text/csv" }, { "html", "text/html" },
		{ "htm", "text/html" }, { "json", "application/json" },
		{ "xml", "text/xml" }, { "png", "image/png" },
		{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
		{ "gif", "image/gif" }, { "webp", "image/webp" },
		{ "wav", "audio/wav" }, { "mp3", "audio/mpeg" },
	};
	const char *dot;
	size_t i;

	dot = name != NULL ? strrchr(name, '.') : NULL;
	if (dot == NULL)
		return "application/pdf";
	for (i = 0; i < nitems(map); i++)
		if (strcasecmp(dot + 1, map[i].ext) == 0)
			return map[i].mime;
	return "application/pdf";
}

/* An image given by URL: a base64 data URL or a remote (http) URL. */
static int
image_url(struct dctx *d, const char *url, size_t len, const char *path,
    const char *key, struct c_part *p)
{
	int rc;

	p->type = C_IMAGE;
	if (len == 0)
		return fail(d, path, key, "must not be empty");
	if (strncasecmp(url, "data:", 5) == 0) {
		rc = data_url(d->a, url, len, &p->media_type, &p->data,
		    &p->data_len);
		if (rc == -2)
			return nomem(d);
		if (rc == -1)
			return fail(d, path, key, "not a base64 data URL");
		if (*p->media_type == '\0')
			p->media_type = "image/jpeg";
	} else
		p->url = url;
	return 0;
}

/* OpenAI {type:"image_url", image_url:{url} | "<url>"}. */
static int
part_image_url(struct dctx *d, json_object *part, const char *path,
    struct c_part *p)
{
	json_object *v;
	const char *url;
	size_t len;
	char sub[PATHLEN];

	v = c_json_get(part, "image_url");
	if (v == NULL)
		return fail(d, path, "image_url", "required");
	if (json_object_is_type(v, json_type_string))
		return image_url(d, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), path, "image_url",
		    p);
	if (!json_object_is_type(v, json_type_object))
		return fail(d, path, "image_url", "must be an object");
	subpath(sub, path, "image_url", -1);
	if (need_str(d, v, sub, "url", &url, &len) == -1)
		return -1;
	return image_url(d, url, len, sub, "url", p);
}

/*
 * An Anthropic block with a source (DESIGN decision 6): image (base64
 * or url) or document (base64, text or url).
 */
static int
part_source(struct dctx *d, json_object *part, const char *path,
    struct c_part *p, int document)
{
	json_object *src;
	const char *type, *s, *mt;
	size_t len;
	char sub[PATHLEN];

	p->type = document ? C_DOCUMENT : C_IMAGE;
	if (want_obj(d, part, path, "source", &src) == -1)
		return -1;
	if (src == NULL)
		return fail(d, path, "source", "required");
	subpath(sub, path, "source", -1);
	if (need_str(d, src, sub, "type", &type, NULL) == -1)
		return -1;
	if (want_str(d, src, sub, "media_type", &mt, NULL) == -1)
		return -1;
	if (strcmp(type, "base64") == 0) {
		if (need_str(d, src, sub, "data", &s, &len) == -1)
			return -1;
		p->data = c_b64_clean(d->a, s, len, &p->data_len);
		if (p->data == NULL)
			return nomem(d);
		p->media_type = mt != NULL && *mt != '\0' ? mt :
		    document ? "application/pdf" : "image/jpeg";
	} else if (strcmp(type, "url") == 0) {
		if (need_str(d, src, sub, "url", &s, &len) == -1)
			return -1;
		if (len == 0)
			return fail(d, sub, "url", "must not be empty");
		p->url = s;
		p->media_type = mt;
	} else if (document && strcmp(type, "text") == 0) {
		if (need_str(d, src, sub, "data", &s, &len) == -1)
			return -1;
		p->text = s;
		p->text_len = len;
		p->media_type = mt != NULL ? mt : "text/plain";
	} else
		return fail(d, sub, "type", "unknown source type '%.32s'",
		    type);
	if (document && want_str(d, part, path, "title", &p->title,
	    NULL) == -1)
		return -1;
	return 0;
}

/* OpenAI {type:"file", file:{file_data, filename?, file_id?}}. */
static int
part_file(struct dctx *d, json_object *part, const char *path,
    struct c_part *p)
{
	json_object *f;
	const char *fd, *name, *fid;
	size_t len;
	char sub[PATHLEN];
	int rc;

	if (want_obj(d, part, path, "file", &f) == -1)
		return -1;
	if (f == NULL)
		return fail(d, path, "file", "required");
	subpath(sub, path, "file", -1);
	if (want_str(d, f, sub, "file_data", &fd, &len) == -1 ||
	    want_str(d, f, sub, "filename", &name, NULL) == -1 ||
	    want_str(d, f, sub, "file_id", &fid, NULL) == -1)
		return -1;
	if (fd == NULL) {
		if (fid == NULL)
			return fail(d, sub, "file_data", "required");
		/* A Files-API id cannot be resolved here: say so (§3.3). */
		p->type = C_TEXT;
		p->text = arena_printf(d->a, "[File: %s]", fid);
		if (p->text == NULL)
			return nomem(d);
		p->text_len = strlen(p->text);
		return 0;
	}
	p->type = C_DOCUMENT;
	p->title = name;
	rc = data_url(d->a, fd, len, &p->media_type, &p->data, &p->data_len);
	if (rc == -2)
		return nomem(d);
	if (rc == -1) {
		if (strncasecmp(fd, "data:", 5) == 0)
			return fail(d, sub, "file_data",
			    "not a base64 data URL");
		/* bare base64: the type comes from the file name */
		p->media_type = mime_of_name(name);
		p->data = c_b64_clean(d->a, fd, len, &p->data_len);
		if (p->data == NULL)
			return nomem(d);
	}
	if (*p->media_type == '\0')
		p->media_type = mime_of_name(name);
	if (strncmp(p->media_type, "image/", 6) == 0)
		p->type = C_IMAGE;
	return 0;
}

/* "wav" -> "audio/wav", "mp3" -> "audio/mp3" (canonical.h). */
static const char *
audio_mime(struct dctx *d, const char *format)
{
	return arena_printf(d->a, "audio/%s", format);
}

static int
part_audio(struct dctx *d, json_object *part, const char *path,
    struct c_part *p)
{
	json_object *v;
	const char *s, *fmt;
	size_t len;
	char sub[PATHLEN];
	int rc;

	p->type = C_AUDIO;
	if (want_obj(d, part, path, "input_audio", &v) == -1)
		return -1;
	if (v != NULL) {
		subpath(sub, path, "input_audio", -1);
		if (need_str(d, v, sub, "data", &s, &len) == -1 ||
		    need_str(d, v, sub, "format", &fmt, NULL) == -1)
			return -1;
		p->media_type = audio_mime(d, fmt);
		p->data = c_b64_clean(d->a, s, len, &p->data_len);
		if (p->media_type == NULL || p->data == NULL)
			return nomem(d);
		return 0;
	}
	/* legacy {type:"audio", audio_url:{url} | "<data URL>"} */
	v = c_json_get(part, "audio_url");
	if (v == NULL)
		return fail(d, path, "input_audio", "required");
	subpath(sub, path, "audio_url", -1);
	if (json_object_is_type(v, json_type_object)) {
		if (need_str(d, v, sub, "url", &s, &len) == -1)
			return -1;
		subpath(sub, sub, "url", -1);
	} else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
	} else
		return fail(d, sub, NULL, "must be an object");
	rc = data_url(d->a, s, len, &p->media_type, &p->data, &p->data_len);
	if (rc == -2)
		return nomem(d);
	if (rc == -1)
		return fail(d, sub, NULL, "not a base64 data URL");
	return 0;
}

/*
 * Tool arguments as compact JSON object text in the arena (§3.6 rule
 * 2): a string is parsed (after dropping a dangling trailing backslash
 * or partial \u escape when it does not parse); an object is
 * serialised; anything else, or text that is not an object, is {}.
 */
static const char *
args_compact(struct dctx *d, json_object *v, size_t *outlen)
{
	json_tokener *tok;
	json_object *o = NULL;
	const char *s, *t, *res;
	size_t len, cut, tlen;
	int owned = 0, i;

	if (v != NULL && json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		tok = json_tokener_new();
		if (tok == NULL)
			return NULL;
		o = json_tokener_parse_ex(tok, s, (int)(len > 0x7fffffff ?
		    0x7fffffff : len));
		if (o == NULL && len > 0) {
			cut = len;
			if (s[cut - 1] == '\\')
				cut--;
			else
				for (i = 0; i < 5 && (size_t)i + 2 <= cut;
				    i++) {
					if (s[cut - i - 2] == '\\' &&
					    s[cut - i - 1] == 'u') {
						cut -= (size_t)i + 2;
						break;
					}
				}
			if (cut != len) {
				json_tokener_reset(tok);
				o = json_tokener_parse_ex(tok, s, (int)cut);
			}
		}
		json_tokener_free(tok);
		owned = 1;
	} else
		o = v;
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		res = arena_strdup(d->a, "{}");
		*outlen = 2;
	} else {
		t = json_object_to_json_string_length(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &tlen);
		res = arena_strndup(d->a, t, tlen);
		*outlen = tlen;
	}
	if (owned)
		json_object_put(o);
	return res;
}

/* A tool result's content: a string, or text / image blocks. */
static int
result_content(struct dctx *d, json_object *v, const char *path,
    const char *key, struct c_part *p)
{
	struct plist l = { NULL, 0, 0 };
	struct c_part *q;
	json_object *e;
	const char *type, *s;
	size_t i, n, len;
	char sub[PATHLEN];

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_string)) {
		if (add_text(d, &l, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)) == -1)
			return -1;
	} else if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(v, i);
			subpath(sub, path, key, (long)i);
			if (e == NULL || !json_object_is_type(e,
			    json_type_object))
				return fail(d, sub, NULL, "must be an object");
			if (need_str(d, e, sub, "type", &type, NULL) == -1)
				return -1;
			if (strcmp(type, "text") == 0 ||
			    strcmp(type, "input_text") == 0) {
				if (need_str(d, e, sub, "text", &s,
				    &len) == -1 || add_text(d, &l, s,
				    len) == -1)
					return -1;
			} else if (strcmp(type, "image") == 0 ||
			    strcmp(type, "image_url") == 0) {
				q = plist_add(d, &l);
				if (q == NULL)
					return nomem(d);
				if ((type[5] == '\0' ? part_source(d, e, sub, q,
				    0) : part_image_url(d, e, sub, q)) == -1)
					return -1;
			}
			/* other block types are dropped (decision 17) */
		}
	} else
		return fail(d, path, key, "must be a string or an array");
	p->content = l.p;
	p->ncontent = l.n;
	return 0;
}

/*
 * One element of a content array.  OpenAI parts and, tolerated, the
 * Anthropic blocks; unknown types are dropped (decision 17).
 */
static int
decode_part(struct dctx *d, json_object *part, const char *path,
    struct plist *l)
{
	struct c_part *p;
	json_object *v;
	const char *type, *s;
	size_t len, before = l->n;
	int has;

	if (part == NULL || !json_object_is_type(part, json_type_object))
		return fail(d, path, NULL, "must be an object");
	if (need_str(d, part, path, "type", &type, NULL) == -1)
		return -1;
	if (strcmp(type, "text") == 0 || strcmp(type, "input_text") == 0 ||
	    strcmp(type, "output_text") == 0) {
		if (need_str(d, part, path, "text", &s, &len) == -1 ||
		    add_text(d, l, s, len) == -1)
			return -1;
	} else if (strcmp(type, "refusal") == 0) {
		if (need_str(d, part, path, "refusal", &s, &len) == -1 ||
		    add_text(d, l, s, len) == -1)
			return -1;
	} else if (strcmp(type, "image_url") == 0 ||
	    strcmp(type, "image") == 0 || strcmp(type, "document") == 0 ||
	    strcmp(type, "file") == 0 || strcmp(type, "input_audio") == 0 ||
	    strcmp(type, "audio") == 0) {
		p = plist_add(d, l);
		if (p == NULL)
			return nomem(d);
		if (strcmp(type, "image_url") == 0) {
			if (part_image_url(d, part, path, p) == -1)
				return -1;
		} else if (strcmp(type, "image") == 0) {
			if (part_source(d, part, path, p, 0) == -1)
				return -1;
		} else if (strcmp(type, "document") == 0) {
			if (part_source(d, part, path, p, 1) == -1)
				return -1;
		} else if (strcmp(type, "file") == 0) {
			if (part_file(d, part, path, p) == -1)
				return -1;
		} else if (part_audio(d, part, path, p) == -1)
			return -1;
	} else if (strcmp(type, "tool_use") == 0) {
		p = plist_add(d, l);
		if (p == NULL)
			return nomem(d);
		p->type = C_TOOL_USE;
		if (need_str(d, part, path, "id", &p->id, NULL) == -1 ||
		    need_str(d, part, path, "name", &p->name, NULL) == -1)
			return -1;
		v = c_json_get(part, "input");
		if (v != NULL && !json_object_is_type(v, json_type_object) &&
		    !json_object_is_type(v, json_type_string))
			return fail(d, path, "input", "must be an object");
		p->input = args_compact(d, v, &p->input_len);
		if (p->input == NULL || call_add(d, p->id, p->name) == -1)
			return nomem(d);
	} else if (strcmp(type, "tool_result") == 0) {
		p = plist_add(d, l);
		if (p == NULL)
			return nomem(d);
		p->type = C_TOOL_RESULT;
		if (need_str(d, part, path, "tool_use_id", &p->id,
		    NULL) == -1 ||
		    result_content(d, c_json_get(part, "content"), path,
		    "content", p) == -1 ||
		    want_bool(d, part, path, "is_error", &has,
		    &p->is_error) == -1)
			return -1;
		call_answer_id(d, p->id);
	} else if (strcmp(type, "thinking") == 0) {
		p = plist_add(d, l);
		if (p == NULL)
			return nomem(d);
		p->type = C_THINKING;
		p->origin = C_ORIGIN_CLAUDE;
		if (need_str(d, part, path, "thinking", &p->text,
		    &p->text_len) == -1 ||
		    want_str(d, part, path, "signature", &p->signature,
		    NULL) == -1)
			return -1;
	} else if (strcmp(type, "redacted_thinking") == 0) {
		p = plist_add(d, l);
		if (p == NULL)
			return nomem(d);
		p->type = C_REDACTED_THINKING;
		if (need_str(d, part, path, "data", &p->data,
		    &p->data_len) == -1)
			return -1;
	}
	/* Anthropic cache_control (some clients send it in OpenAI parts) */
	v = c_json_get(part, "cache_control");
	if (l->n > before && v != NULL && json_object_is_type(v,
	    json_type_object))
		l->p[l->n - 1].cache_control = 1;
	return 0;
}

/* A message's content: a string, an array of parts, or null. */
static int
decode_content(struct dctx *d, json_object *m, const char *path,
    struct plist *l)
{
	json_object *v;
	size_t i, n;
	char sub[PATHLEN];

	v = c_json_get(m, "content");
	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_string))
		return add_text(d, l, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
	if (!json_object_is_type(v, json_type_array))
		return fail(d, path, "content",
		    "must be a string or an array");
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		subpath(sub, path, "content", (long)i);
		if (decode_part(d, json_object_array_get_idx(v, i), sub,
		    l) == -1)
			return -1;
	}
	return 0;
}

/* system / developer: text joins the request's system prompt (§3.2). */
static int
decode_system(struct dctx *d, json_object *m, const char *path)
{
	struct c_part *p;
	json_object *v, *e, *cc;
	const char *type, *s;
	size_t i, n, len;
	char sub[PATHLEN];

	v = c_json_get(m, "content");
	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_string)) {
		if (json_object_get_string_len(v) == 0)
			return 0;
		return add_text(d, &d->sys, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
	}
	if (!json_object_is_type(v, json_type_array))
		return fail(d, path, "content",
		    "must be a string or an array");
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		subpath(sub, path, "content", (long)i);
		if (e == NULL || !json_object_is_type(e, json_type_object))
			return fail(d, sub, NULL, "must be an object");
		if (need_str(d, e, sub, "type", &type, NULL) == -1)
			return -1;
		if (strcmp(type, "text") != 0 &&
		    strcmp(type, "input_text") != 0)
			continue;	/* only text goes into system */
		if (need_str(d, e, sub, "text", &s, &len) == -1)
			return -1;
		if (len == 0)
			continue;
		if (add_text(d, &d->sys, s, len) == -1)
			return -1;
		p = &d->sys.p[d->sys.n - 1];
		cc = c_json_get(e, "cache_control");
		if (cc != NULL && json_object_is_type(cc, json_type_object))
			p->cache_control = 1;
	}
	return 0;
}

/* One OpenAI tool call {id, type, function:{name, arguments}}. */
static int
decode_tool_call(struct dctx *d, json_object *tc, const char *path,
    struct plist *l)
{
	struct c_part *p;
	json_object *fn, *args;
	const char *id, *type;
	char sub[PATHLEN];

	if (tc == NULL || !json_object_is_type(tc, json_type_object))
		return fail(d, path, NULL, "must be an object");
	if (want_str(d, tc, path, "id", &id, NULL) == -1 ||
	    want_str(d, tc, path, "type", &type, NULL) == -1 ||
	    want_obj(d, tc, path, "function", &fn) == -1)
		return -1;
	if (fn == NULL)
		return fail(d, path, "function", "required");
	p = plist_add(d, l);
	if (p == NULL)
		return nomem(d);
	p->type = C_TOOL_USE;
	subpath(sub, path, "function", -1);
	if (need_str(d, fn, sub, "name", &p->name, NULL) == -1)
		return -1;
	if (*p->name == '\0')
		return fail(d, sub, "name", "must not be empty");
	args = c_json_get(fn, "arguments");
	if (args != NULL && !json_object_is_type(args, json_type_string) &&
	    !json_object_is_type(args, json_type_object))
		return fail(d, sub, "arguments", "must be a string");
	p->id = id != NULL && *id != '\0' ? id : new_call_id(d);
	p->input = args_compact(d, args, &p->input_len);
	if (p->id == NULL || p->input == NULL)
		return nomem(d);
	return call_add(d, p->id, p->name);
}

static int
decode_assistant(struct dctx *d, json_object *m, const char *path,
    struct plist *l)
{
	struct c_part *p;
	json_object *v;
	const char *s;
	size_t i, n, len;
	char sub[PATHLEN];

	/* reasoning_content first: thinking precedes the answer (§3.3) */
	if (want_str(d, m, path, "reasoning_content", &s, &len) == -1)
		return -1;
	if (s == NULL && want_str(d, m, path, "reasoning", &s, &len) == -1)
		return -1;
	if (s != NULL && len > 0) {
		p = plist_add(d, l);
		if (p == NULL)
			return nomem(d);
		p->type = C_THINKING;
		p->origin = C_ORIGIN_OPENAI;
		p->text = s;
		p->text_len = len;
	}
	if (decode_content(d, m, path, l) == -1)
		return -1;
	if (want_arr(d, m, path, "tool_calls", &v) == -1)
		return -1;
	n = v != NULL ? json_object_array_length(v) : 0;
	for (i = 0; i < n; i++) {
		subpath(sub, path, "tool_calls", (long)i);
		if (decode_tool_call(d, json_object_array_get_idx(v, i), sub,
		    l) == -1)
			return -1;
	}
	/* legacy function_call: one call with a generated id (§3.6 rule 9) */
	if (want_obj(d, m, path, "function_call", &v) == -1)
		return -1;
	if (v != NULL) {
		p = plist_add(d, l);
		if (p == NULL)
			return nomem(d);
		p->type = C_TOOL_USE;
		subpath(sub, path, "function_call", -1);
		if (need_str(d, v, sub, "name", &p->name, NULL) == -1)
			return -1;
		p->id = new_call_id(d);
		p->input = args_compact(d, c_json_get(v, "arguments"),
		    &p->input_len);
		if (p->id == NULL || p->input == NULL ||
		    call_add(d, p->id, p->name) == -1)
			return nomem(d);
	}
	return 0;
}

/* role "tool" and legacy "function": a tool result in a user turn. */
static int
decode_result(struct dctx *d, json_object *m, const char *path,
    struct plist *l, int legacy)
{
	struct c_part *p;
	const char *id, *name;

	p = plist_add(d, l);
	if (p == NULL)
		return nomem(d);
	p->type = C_TOOL_RESULT;
	if (legacy) {
		if (need_str(d, m, path, "name", &name, NULL) == -1)
			return -1;
		id = call_answer_name(d, name);
		p->name = name;
		p->id = id != NULL ? id : new_call_id(d);
		if (p->id == NULL)
			return nomem(d);
	} else {
		if (need_str(d, m, path, "tool_call_id", &p->id, NULL) == -1)
			return -1;
		call_answer_id(d, p->id);
	}
	return result_content(d, c_json_get(m, "content"), path, "content", p);
}

static int
decode_messages(struct dctx *d, json_object *msgs)
{
	struct plist l;
	json_object *m;
	const char *role;
	size_t i, n;
	char path[PATHLEN];
	enum c_role ir;

	n = json_object_array_length(msgs);
	d->tmp = arena_alloc(d->a, n * sizeof(*d->tmp));
	if (d->tmp == NULL)
		return nomem(d);
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(msgs, i);
		subpath(path, "", "messages", (long)i);
		if (m == NULL || !json_object_is_type(m, json_type_object))
			return fail(d, path, NULL, "must be an object");
		if (need_str(d, m, path, "role", &role, NULL) == -1)
			return -1;
		memset(&l, 0, sizeof(l));
		ir = C_USER;
		if (strcmp(role, "system") == 0 ||
		    strcmp(role, "developer") == 0) {
			if (decode_system(d, m, path) == -1)
				return -1;
			continue;
		} else if (strcmp(role, "user") == 0) {
			if (c_json_get(m, "content") == NULL)
				return fail(d, path, "content", "required");
			if (decode_content(d, m, path, &l) == -1)
				return -1;
		} else if (strcmp(role, "assistant") == 0) {
			ir = C_ASSISTANT;
			if (decode_assistant(d, m, path, &l) == -1)
				return -1;
		} else if (strcmp(role, "tool") == 0) {
			if (decode_result(d, m, path, &l, 0) == -1)
				return -1;
		} else if (strcmp(role, "function") == 0) {
			if (decode_result(d, m, path, &l, 1) == -1)
				return -1;
		} else
			return fail(d, path, "role", "unknown role '%.32s'",
			    role);
		d->tmp[d->ntmp].role = ir;
		d->tmp[d->ntmp].parts = l.p;
		d->tmp[d->ntmp].nparts = l.n;
		d->ntmp++;
	}
	return 0;
}

static int
empty_text(const struct c_part *p)
{
	return p->type == C_TEXT && p->text_len == 0;
}

/*
 * Messages without parts are dropped; consecutive messages of one role
 * are merged (conversion.md §3.1: every target merges them, and the
 * canonical model mirrors Anthropic turns); in a merged turn empty text
 * goes when something else remains (§1.6 rule 8).
 */
static int
merge_messages(struct dctx *d, struct c_request *r)
{
	struct c_message *out, *m;
	size_t i, j, k, n, np, keep;

	out = arena_alloc(d->a, (d->ntmp ? d->ntmp : 1) * sizeof(*out));
	if (out == NULL)
		return nomem(d);
	n = 0;
	for (i = 0; i < d->ntmp; i = j) {
		if (d->tmp[i].nparts == 0) {
			j = i + 1;
			continue;
		}
		np = 0;
		for (j = i; j < d->ntmp && (d->tmp[j].nparts == 0 ||
		    d->tmp[j].role == d->tmp[i].role); j++)
			np += d->tmp[j].nparts;
		m = &out[n++];
		m->role = d->tmp[i].role;
		if (j == i + 1)
			m->parts = d->tmp[i].parts;
		else {
			m->parts = arena_alloc(d->a, np * sizeof(*m->parts));
			if (m->parts == NULL)
				return nomem(d);
			for (k = i, np = 0; k < j; k++) {
				if (d->tmp[k].nparts == 0)
					continue;
				memcpy(m->parts + np, d->tmp[k].parts,
				    d->tmp[k].nparts * sizeof(*m->parts));
				np += d->tmp[k].nparts;
			}
		}
		m->nparts = np;
		for (k = 0, keep = 0; k < np; k++)
			if (!empty_text(&m->parts[k]))
				keep++;
		if (keep > 0 && keep < np) {
			for (k = 0, keep = 0; k < np; k++)
				if (!empty_text(&m->parts[k]))
					m->parts[keep++] = m->parts[k];
			m->nparts = keep;
		}
	}
	r->msgs = out;
	r->nmsgs = n;
	return 0;
}

/* ---- client side: tools, choices, parameters ----------------------------- */

static int
decode_tool(struct dctx *d, json_object *t, const char *path,
    struct c_tool *out, int *keep)
{
	json_object *fn, *schema;
	const char *type;
	char sub[PATHLEN];

	*keep = 0;
	if (t == NULL || !json_object_is_type(t, json_type_object))
		return fail(d, path, NULL, "must be an object");
	if (want_str(d, t, path, "type", &type, NULL) == -1 ||
	    want_obj(d, t, path, "function", &fn) == -1)
		return -1;
	memset(out, 0, sizeof(*out));
	if (fn != NULL) {
		subpath(sub, path, "function", -1);
		if (need_str(d, fn, sub, "name", &out->name, NULL) == -1 ||
		    want_str(d, fn, sub, "description", &out->description,
		    NULL) == -1 ||
		    want_obj(d, fn, sub, "parameters", &schema) == -1)
			return -1;
		if (*out->name == '\0')
			return fail(d, sub, "name", "must not be empty");
		out->schema = schema;
		*keep = 1;
		return 0;
	}
	if (c_json_get(t, "name") == NULL) {
		/* an OpenAI built-in ({type:"web_search"} ...): dropped */
		if (type != NULL)
			return 0;
		return fail(d, path, "function", "required");
	}
	/* Anthropic-shaped {name, description, input_schema} (decision 6) */
	if (need_str(d, t, path, "name", &out->name, NULL) == -1 ||
	    want_str(d, t, path, "description", &out->description,
	    NULL) == -1 ||
	    want_obj(d, t, path, "input_schema", &schema) == -1)
		return -1;
	if (schema == NULL && want_obj(d, t, path, "parameters",
	    &schema) == -1)
		return -1;
	if (*out->name == '\0')
		return fail(d, path, "name", "must not be empty");
	out->schema = schema;
	/* a server tool keeps its type (decision 17) */
	if (type != NULL && strcmp(type, "custom") != 0 &&
	    strcmp(type, "function") != 0)
		out->type = type;
	*keep = 1;
	return 0;
}

static int
decode_tools(struct dctx *d, json_object *body, struct c_request *r)
{
	json_object *tools, *fns, *f;
	struct c_tool *t;
	size_t i, n, nf;
	char path[PATHLEN];
	int keep;

	if (want_arr(d, body, "", "tools", &tools) == -1 ||
	    want_arr(d, body, "", "functions", &fns) == -1)
		return -1;
	n = tools != NULL ? json_object_array_length(tools) : 0;
	nf = fns != NULL ? json_object_array_length(fns) : 0;
	if (n + nf == 0)
		return 0;
	r->tools = arena_alloc(d->a, (n + nf) * sizeof(*r->tools));
	if (r->tools == NULL)
		return nomem(d);
	for (i = 0; i < n; i++) {
		subpath(path, "", "tools", (long)i);
		if (decode_tool(d, json_object_array_get_idx(tools, i), path,
		    &r->tools[r->ntools], &keep) == -1)
			return -1;
		r->ntools += keep;
	}
	/* legacy functions[]: {name, description, parameters} */
	for (i = 0; i < nf; i++) {
		f = json_object_array_get_idx(fns, i);
		t = &r->tools[r->ntools];
		subpath(path, "", "functions", (long)i);
		if (f == NULL || !json_object_is_type(f, json_type_object))
			return fail(d, path, NULL, "must be an object");
		if (need_str(d, f, path, "name", &t->name, NULL) == -1 ||
		    want_str(d, f, path, "description", &t->description,
		    NULL) == -1 ||
		    want_obj(d, f, path, "parameters", &t->schema) == -1)
			return -1;
		r->ntools++;
	}
	return 0;
}

static int
choice_of(const char *s, enum c_tool_choice *tc)
{
	if (strcmp(s, "auto") == 0)
		*tc = C_TC_AUTO;
	else if (strcmp(s, "none") == 0)
		*tc = C_TC_NONE;
	else if (strcmp(s, "required") == 0 || strcmp(s, "any") == 0)
		*tc = C_TC_ANY;
	else
		return -1;
	return 0;
}

/*
 * tool_choice (§3.5): "auto" | "none" | "required", {type:"function",
 * function:{name}}; tolerated: the flattened {type:"function", name},
 * Anthropic {type:"auto"|"any"|"none"|"tool", name,
 * disable_parallel_tool_use}, {type:"allowed_tools", allowed_tools:
 * {mode}}; legacy function_call "auto" | "none" | {name}.
 */
static int
decode_tool_choice(struct dctx *d, json_object *body, struct c_request *r)
{
	json_object *v, *fn;
	const char *key = "tool_choice", *type, *name;
	char sub[PATHLEN];
	int has = 0, dis = 0;

	v = c_json_get(body, key);
	if (v == NULL) {
		key = "function_call";
		v = c_json_get(body, key);
		if (v == NULL)
			return 0;
		if (json_object_is_type(v, json_type_object)) {
			if (need_str(d, v, key, "name", &name, NULL) == -1)
				return -1;
			r->tool_choice = C_TC_TOOL;
			r->tool_choice_name = name;
			return 0;
		}
	}
	if (json_object_is_type(v, json_type_string)) {
		if (choice_of(json_object_get_string(v), &r->tool_choice) ==
		    -1)
			return fail(d, "", key, "unknown value '%.32s'",
			    json_object_get_string(v));
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return fail(d, "", key, "must be a string or an object");
	if (need_str(d, v, key, "type", &type, NULL) == -1 ||
	    want_bool(d, v, key, "disable_parallel_tool_use", &has,
	    &dis) == -1)
		return -1;
	if (has && dis && !r->has_parallel_tool_calls) {
		r->has_parallel_tool_calls = 1;
		r->parallel_tool_calls = 0;
	}
	if (strcmp(type, "function") == 0 || strcmp(type, "tool") == 0) {
		if (want_obj(d, v, key, "function", &fn) == -1)
			return -1;
		if (fn != NULL) {
			subpath(sub, key, "function", -1);
			if (need_str(d, fn, sub, "name", &name, NULL) == -1)
				return -1;
		} else if (need_str(d, v, key, "name", &name, NULL) == -1)
			return -1;
		r->tool_choice = C_TC_TOOL;
		r->tool_choice_name = name;
		return 0;
	}
	if (strcmp(type, "allowed_tools") == 0) {
		fn = c_json_get(v, "allowed_tools");
		name = c_json_str(fn, "mode", NULL);
		r->tool_choice = name != NULL && strcmp(name, "required") ==
		    0 ? C_TC_ANY : C_TC_AUTO;
		return 0;
	}
	if (choice_of(type, &r->tool_choice) == -1)
		return fail(d, key, "type", "unknown value '%.32s'", type);
	return 0;
}

static int
decode_stop(struct dctx *d, json_object *body, struct c_request *r)
{
	json_object *v, *e;
	size_t i, n;
	char path[PATHLEN];

	v = c_json_get(body, "stop");
	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_string)) {
		r->stop = arena_alloc(d->a, sizeof(*r->stop));
		if (r->stop == NULL)
			return nomem(d);
		r->stop[0] = json_object_get_string(v);
		r->nstop = 1;
		return 0;
	}
	if (!json_object_is_type(v, json_type_array))
		return fail(d, "", "stop", "must be a string or an array");
	n = json_object_array_length(v);
	if (n == 0)
		return 0;
	r->stop = arena_alloc(d->a, n * sizeof(*r->stop));
	if (r->stop == NULL)
		return nomem(d);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (e == NULL || !json_object_is_type(e, json_type_string)) {
			subpath(path, "", "stop", (long)i);
			return fail(d, path, NULL, "must be a string");
		}
		r->stop[r->nstop++] = json_object_get_string(e);
	}
	return 0;
}

static int
decode_format(struct dctx *d, json_object *body, struct c_request *r)
{
	json_object *v, *js;
	const char *type;
	int has = 0;

	if (want_obj(d, body, "", "response_format", &v) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if (need_str(d, v, "response_format", "type", &type, NULL) == -1)
		return -1;
	if (strcmp(type, "text") == 0)
		r->format = C_FMT_TEXT;
	else if (strcmp(type, "json_object") == 0)
		r->format = C_FMT_JSON_OBJECT;
	else if (strcmp(type, "json_schema") == 0) {
		r->format = C_FMT_JSON_SCHEMA;
		if (want_obj(d, v, "response_format", "json_schema",
		    &js) == -1)
			return -1;
		if (js == NULL)
			return fail(d, "response_format", "json_schema",
			    "required");
		if (want_str(d, js, "response_format.json_schema", "name",
		    &r->response_schema_name, NULL) == -1 ||
		    want_obj(d, js, "response_format.json_schema", "schema",
		    &r->response_schema) == -1 ||
		    want_bool(d, js, "response_format.json_schema", "strict",
		    &has, &r->response_schema_strict) == -1)
			return -1;
	} else
		return fail(d, "response_format", "type",
		    "unknown value '%.32s'", type);
	return 0;
}

/*
 * Reasoning (§3.9): reasoning_effort; a Claude-style thinking object at
 * the top level, under extra_body or extra_body.anthropic; Gemini's
 * extra_body.google.thinking_config.  The objects take precedence for
 * their own targets, so both the effort and the budget are kept.
 */
static int
decode_thinking_obj(struct dctx *d, json_object *v, const char *path,
    struct c_request *r)
{
	const char *type;
	int64_t budget = 0;
	int has = 0, on;

	if (json_object_is_type(v, json_type_boolean)) {
		on = json_object_get_boolean(v);
		r->thinking = on ? C_THINK_ENABLED : C_THINK_DISABLED;
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return fail(d, path, NULL, "must be an object");
	if (want_str(d, v, path, "type", &type, NULL) == -1 ||
	    want_int(d, v, path, "budget_tokens", 0, &has, &budget) == -1)
		return -1;
	if (type == NULL || strcmp(type, "enabled") == 0) {
		if (type == NULL && !has)
			return 0;
		r->thinking = C_THINK_ENABLED;
		r->thinking_budget = budget;
	} else if (strcmp(type, "disabled") == 0)
		r->thinking = C_THINK_DISABLED;
	else if (strcmp(type, "adaptive") == 0)
		r->thinking = C_THINK_ADAPTIVE;
	/* other values are other vendors' extensions: ignored */
	return 0;
}

static const char *
effort_of(const char *s)
{
	static const char *const known[] = { "none", "minimal", "low",
	    "medium", "high" };
	size_t i;

	for (i = 0; i < nitems(known); i++)
		if (strcmp(s, known[i]) == 0)
			return known[i];
	if (strcmp(s, "xhigh") == 0 || strcmp(s, "max") == 0)
		return "high";
	return NULL;
}

static int
decode_reasoning(struct dctx *d, json_object *body, struct c_request *r)
{
	json_object *xb, *v, *g;
	const char *s;
	int64_t budget = 0;
	int has = 0, inc = 0, hasinc = 0;

	if (want_str(d, body, "", "reasoning_effort", &s, NULL) == -1)
		return -1;
	if (s != NULL) {
		r->reasoning_effort = effort_of(s);
		if (r->reasoning_effort == NULL)
			return fail(d, "", "reasoning_effort",
			    "unknown value '%.32s'", s);
	}
	if (want_obj(d, body, "", "extra_body", &xb) == -1)
		return -1;
	v = c_json_get(body, "thinking");
	if (v != NULL && decode_thinking_obj(d, v, "thinking", r) == -1)
		return -1;
	if (xb == NULL)
		return 0;
	s = c_json_str(xb, "reasoning_effort", NULL);
	if (r->reasoning_effort == NULL && s != NULL)
		r->reasoning_effort = effort_of(s);
	v = c_json_get(xb, "thinking");
	if (v != NULL && decode_thinking_obj(d, v, "extra_body.thinking",
	    r) == -1)
		return -1;
	v = c_json_get(c_json_get(xb, "anthropic"), "thinking");
	if (v != NULL && decode_thinking_obj(d, v,
	    "extra_body.anthropic.thinking", r) == -1)
		return -1;
	g = c_json_get(c_json_get(xb, "google"), "thinking_config");
	if (g == NULL)
		return 0;
	if (!json_object_is_type(g, json_type_object))
		return fail(d, "extra_body.google", "thinking_config",
		    "must be an object");
	if (want_int(d, g, "extra_body.google.thinking_config",
	    "thinking_budget", -1, &has, &budget) == -1)
		return -1;
	if (!has && want_int(d, g, "extra_body.google.thinking_config",
	    "thinkingBudget", -1, &has, &budget) == -1)
		return -1;
	if (want_bool(d, g, "extra_body.google.thinking_config",
	    "include_thoughts", &hasinc, &inc) == -1)
		return -1;
	if (!hasinc && want_bool(d, g, "extra_body.google.thinking_config",
	    "includeThoughts", &hasinc, &inc) == -1)
		return -1;
	if (has) {
		r->thinking = budget == 0 ? C_THINK_DISABLED : C_THINK_ENABLED;
		r->thinking_budget = budget;
	}
	if (hasinc)
		r->include_thoughts = inc;
	return 0;
}

static int
decode_params(struct dctx *d, json_object *body, struct c_request *r)
{
	json_object *so, *xb;
	int64_t n = 0;
	int has = 0, b = 0, hasb = 0;

	if (want_int(d, body, "", "max_completion_tokens", 0, &has, &n) ==
	    -1)
		return -1;
	if (!has && want_int(d, body, "", "max_tokens", 0, &has, &n) == -1)
		return -1;
	r->max_tokens = n;
	if (want_num(d, body, "", "temperature", &r->has_temperature,
	    &r->temperature) == -1 ||
	    want_num(d, body, "", "top_p", &r->has_top_p, &r->top_p) == -1 ||
	    want_int(d, body, "", "top_k", 0, NULL, &r->top_k) == -1 ||
	    want_int(d, body, "", "n", 0, NULL, &r->n) == -1 ||
	    want_int(d, body, "", "seed", INT64_MIN, &r->has_seed,
	    &r->seed) == -1 ||
	    want_num(d, body, "", "presence_penalty",
	    &r->has_presence_penalty, &r->presence_penalty) == -1 ||
	    want_num(d, body, "", "frequency_penalty",
	    &r->has_frequency_penalty, &r->frequency_penalty) == -1 ||
	    want_str(d, body, "", "user", &r->user, NULL) == -1 ||
	    want_bool(d, body, "", "parallel_tool_calls",
	    &r->has_parallel_tool_calls, &r->parallel_tool_calls) == -1)
		return -1;
	/* extra_body.top_k: clients that send extra_body literally */
	xb = c_json_get(body, "extra_body");
	if (r->top_k == 0 && xb != NULL && json_object_is_type(xb,
	    json_type_object) && want_int(d, xb, "extra_body", "top_k", 0,
	    NULL, &r->top_k) == -1)
		return -1;
	if (decode_stop(d, body, r) == -1 || decode_format(d, body, r) == -1 ||
	    decode_reasoning(d, body, r) == -1)
		return -1;
	if (want_obj(d, body, "", "stream_options", &so) == -1 ||
	    want_bool(d, so, "stream_options", "include_usage", &hasb,
	    &b) == -1)
		return -1;
	r->include_usage = b;
	return 0;
}

int
openai_decode_request(json_object *body, const char *path_model, int stream,
    struct c_request *r, struct arena *a, char *err, size_t errlen)
{
	struct dctx d;
	json_object *msgs;
	int s = 0;

	memset(r, 0, sizeof(*r));
	memset(&d, 0, sizeof(d));
	d.a = a;
	d.err = err;
	d.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (body == NULL || !json_object_is_type(body, json_type_object))
		return fail(&d, NULL, NULL,
		    "request body must be a JSON object");
	if (want_str(&d, body, "", "model", &r->model, NULL) == -1)
		return -1;
	if (r->model == NULL)
		r->model = path_model;
	if (r->model == NULL)
		return fail(&d, "", "model", "required");
	if (*r->model == '\0')
		return fail(&d, "", "model", "must not be empty");
	if (want_arr(&d, body, "", "messages", &msgs) == -1)
		return -1;
	if (msgs == NULL)
		return fail(&d, "", "messages", "required");
	if (json_object_array_length(msgs) == 0)
		return fail(&d, "", "messages",
		    "must contain at least one message");
	if (decode_messages(&d, msgs) == -1 ||
	    decode_tools(&d, body, r) == -1 ||
	    decode_tool_choice(&d, body, r) == -1 ||
	    decode_params(&d, body, r) == -1)
		return -1;
	if (stream >= 0)
		r->stream = stream ? 1 : 0;
	else if (want_bool(&d, body, "", "stream", NULL, &s) == -1)
		return -1;
	else
		r->stream = s;
	if (merge_messages(&d, r) == -1)
		return -1;
	r->system = d.sys.p;
	r->nsystem = d.sys.n;
	return 0;
}

/* ---- backend side: the request encoder ----------------------------------- */

static int
is_textual(const struct c_part *p)
{
	return p->type == C_TEXT || (p->type == C_DOCUMENT &&
	    p->text != NULL);
}

/* Is there a part of type t with this id in msgs [i, j)? */
static int
run_has(const struct c_request *r, size_t i, size_t j, enum c_part_type t,
    const char *id)
{
	size_t k, q;

	if (id == NULL)
		return 0;
	for (k = i; k < j; k++)
		for (q = 0; q < r->msgs[k].nparts; q++)
			if (r->msgs[k].parts[q].type == t &&
			    r->msgs[k].parts[q].id != NULL &&
			    strcmp(r->msgs[k].parts[q].id, id) == 0)
				return 1;
	return 0;
}

/* Text parts of a list joined with sep, into scratch. */
static int
join_text(struct buf *s, const struct c_part *p, size_t n, const char *sep)
{
	size_t i;
	int r = 0, first = 1;

	for (i = 0; i < n; i++) {
		if (!is_textual(&p[i]) || p[i].text == NULL)
			continue;
		if (!first)
			r |= buf_addstr(s, sep);
		r |= buf_add(s, p[i].text, p[i].text_len);
		first = 0;
	}
	return r ? -1 : 0;
}

/*
 * A JSON Schema for OpenAI (§3.4): $schema and propertyOrdering
 * dropped; Gemini upper-case type names lower-cased and nullable:true
 * written as type:[t,"null"].  Walks only schema positions (a property
 * named "type" is left alone); deeper than SCHEMA_DEPTH it copies.
 */
static int schema_write(struct buf *, json_object *, int);

static int
type_write(struct buf *b, json_object *t, int nullable)
{
	static const char *const up[] = { "STRING", "NUMBER", "INTEGER",
	    "BOOLEAN", "ARRAY", "OBJECT", "NULL" };
	const char *s;
	char low[16];
	size_t i, k;
	int r = 0;

	if (!json_object_is_type(t, json_type_string))
		return jw_obj(b, t);
	s = json_object_get_string(t);
	for (i = 0; i < nitems(up); i++) {
		if (strcmp(s, up[i]) == 0) {
			for (k = 0; s[k] != '\0' && k < sizeof(low) - 1; k++)
				low[k] = (char)(s[k] - 'A' + 'a');
			low[k] = '\0';
			s = low;
			break;
		}
	}
	if (nullable && strcmp(s, "null") != 0) {
		r |= buf_addc(b, '[');
		r |= jw_cstr(b, s);
		r |= buf_addstr(b, ",\"null\"]");
	} else
		r |= jw_cstr(b, s);
	return r ? -1 : 0;
}

static int
schema_list(struct buf *b, json_object *v, int depth)
{
	size_t i, n;
	int r = 0;

	if (!json_object_is_type(v, json_type_array))
		return schema_write(b, v, depth);
	r |= buf_addc(b, '[');
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		if (i > 0)
			r |= buf_addc(b, ',');
		r |= schema_write(b, json_object_array_get_idx(v, i), depth);
	}
	r |= buf_addc(b, ']');
	return r ? -1 : 0;
}

static int
schema_map(struct buf *b, json_object *v, int depth)
{
	struct json_object_iterator it, end;
	int r = 0, first = 1;

	if (!json_object_is_type(v, json_type_object))
		return jw_obj(b, v);
	r |= buf_addc(b, '{');
	it = json_object_iter_begin(v);
	end = json_object_iter_end(v);
	for (; !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		r |= jw_key(b, json_object_iter_peek_name(&it), first);
		r |= schema_write(b, json_object_iter_peek_value(&it), depth);
		first = 0;
	}
	r |= buf_addc(b, '}');
	return r ? -1 : 0;
}

static int
schema_write(struct buf *b, json_object *s, int depth)
{
	static const char *const maps[] = { "properties", "$defs",
	    "definitions", "patternProperties", "dependentSchemas" };
	static const char *const subs[] = { "items", "additionalProperties",
	    "not", "if", "then", "else", "contains", "propertyNames",
	    "additionalItems", "unevaluatedProperties", "unevaluatedItems",
	    "anyOf", "allOf", "oneOf", "prefixItems" };
	struct json_object_iterator it, end;
	json_object *v, *nv;
	const char *k;
	size_t i;
	int r = 0, first = 1, nullable, done;

	if (s == NULL || !json_object_is_type(s, json_type_object) ||
	    depth > SCHEMA_DEPTH)
		return jw_obj(b, s);
	nv = c_json_get(s, "nullable");
	nullable = nv != NULL && json_object_is_type(nv, json_type_boolean) &&
	    json_object_get_boolean(nv) && c_json_get(s, "type") != NULL;
	r |= buf_addc(b, '{');
	it = json_object_iter_begin(s);
	end = json_object_iter_end(s);
	for (; !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		k = json_object_iter_peek_name(&it);
		v = json_object_iter_peek_value(&it);
		if (strcmp(k, "$schema") == 0 ||
		    strcmp(k, "propertyOrdering") == 0 ||
		    (nullable && strcmp(k, "nullable") == 0))
			continue;
		r |= jw_key(b, k, first);
		first = 0;
		if (strcmp(k, "type") == 0) {
			r |= type_write(b, v, nullable);
			continue;
		}
		done = 0;
		for (i = 0; !done && i < nitems(maps); i++)
			if (strcmp(k, maps[i]) == 0) {
				r |= schema_map(b, v, depth + 1);
				done = 1;
			}
		for (i = 0; !done && i < nitems(subs); i++)
			if (strcmp(k, subs[i]) == 0) {
				r |= schema_list(b, v, depth + 1);
				done = 1;
			}
		if (!done)
			r |= jw_obj(b, v);
	}
	r |= buf_addc(b, '}');
	return r ? -1 : 0;
}

/* "data:<mt>;base64,<data>" as a JSON string. */
static int
data_url_write(struct buf *b, struct buf *s, const char *mt,
    const char *data, size_t len)
{
	int r = 0;

	buf_reset(s);
	r |= buf_addstr(s, "data:");
	r |= buf_addstr(s, mt);
	r |= buf_addstr(s, ";base64,");
	r |= buf_add(s, data, len);
	if (r != 0)
		return -1;
	return jw_str(b, s->data, s->len);
}

/* The OpenAI format name of an audio media type. */
static const char *
audio_format(const char *mt)
{
	const char *slash;

	if (mt == NULL)
		return "wav";
	if (strcmp(mt, "audio/mpeg") == 0 || strcmp(mt, "audio/mp3") == 0)
		return "mp3";
	slash = strchr(mt, '/');
	return slash != NULL && slash[1] != '\0' ? slash + 1 : "wav";
}

/*
 * An item of a rendered user message: a part, or a tool result without
 * its call, written as text (§3.6 rule 7).
 */
struct uitem {
	const struct c_part	*p;
	int			 orphan;
};

/* The plain text of an item if it is text-like (into s), else 0. */
static int
item_text(const struct uitem *it, struct buf *s, int *rc)
{
	const struct c_part *p = it->p;
	int r = 0;

	buf_reset(s);
	if (it->orphan) {
		r |= buf_addstr(s, "Tool result (");
		r |= buf_addstr(s, p->id != NULL ? p->id : "");
		r |= buf_addstr(s, "): ");
		r |= join_text(s, p->content, p->ncontent, "\n");
	} else if (is_textual(p))
		r |= buf_add(s, p->text != NULL ? p->text : "", p->text_len);
	else if (p->type == C_DOCUMENT && p->data == NULL) {
		r |= buf_addstr(s, "[Document: ");
		r |= buf_addstr(s, p->url != NULL ? p->url : "");
		r |= buf_addc(s, ']');
	} else
		return 0;
	if (r != 0)
		*rc = -1;
	return 1;
}

static int
item_write(struct buf *b, struct buf *s, const struct uitem *it)
{
	const struct c_part *p = it->p;
	int r = 0;

	if (item_text(it, s, &r)) {
		r |= buf_addstr(b, "{\"type\":\"text\",\"text\":");
		r |= jw_str(b, s->data != NULL ? s->data : "", s->len);
		r |= buf_addc(b, '}');
		return r ? -1 : 0;
	}
	switch (p->type) {
	case C_IMAGE:
		r |= buf_addstr(b,
		    "{\"type\":\"image_url\",\"image_url\":{\"url\":");
		if (p->data != NULL)
			r |= data_url_write(b, s, p->media_type != NULL ?
			    p->media_type : "image/jpeg", p->data,
			    p->data_len);
		else
			r |= jw_cstr(b, p->url != NULL ? p->url : "");
		r |= buf_addstr(b, "}}");
		break;
	case C_DOCUMENT:
		r |= buf_addstr(b,
		    "{\"type\":\"file\",\"file\":{\"filename\":");
		r |= jw_cstr(b, p->title != NULL ? p->title :
		    p->media_type == NULL ||
		    strcmp(p->media_type, "application/pdf") == 0 ?
		    "document.pdf" : "document");
		r |= buf_addstr(b, ",\"file_data\":");
		r |= data_url_write(b, s, p->media_type != NULL ?
		    p->media_type : "application/pdf", p->data, p->data_len);
		r |= buf_addstr(b, "}}");
		break;
	case C_AUDIO:
		r |= buf_addstr(b,
		    "{\"type\":\"input_audio\",\"input_audio\":{\"data\":");
		r |= jw_str(b, p->data != NULL ? p->data : "", p->data_len);
		r |= buf_addstr(b, ",\"format\":");
		r |= jw_cstr(b, audio_format(p->media_type));
		r |= buf_addstr(b, "}}");
		break;
	default:
		break;
	}
	return r ? -1 : 0;
}

/* Does a user item render at all in a user message? */
static int
item_renders(const struct c_part *p)
{
	switch (p->type) {
	case C_TEXT:
	case C_IMAGE:
	case C_DOCUMENT:
		return 1;
	case C_AUDIO:
		return p->data != NULL;
	default:
		return 0;
	}
}

/* A buffer's text, "" when nothing was ever added. */
static const char *
sdata(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

struct menc {
	struct buf	*b;		/* the messages array */
	struct buf	*s;		/* scratch */
	int		 n;		/* messages written */
	int		 r;		/* OR of results */
};

static void
msg_begin(struct menc *e, const char *role)
{
	if (e->n++ > 0)
		e->r |= buf_addc(e->b, ',');
	e->r |= buf_addstr(e->b, "{\"role\":");
	e->r |= jw_cstr(e->b, role);
}

static int
empty_item(const struct uitem *it)
{
	return !it->orphan && is_textual(it->p) && it->p->text_len == 0;
}

/*
 * The content of a rendered user message: a lone text is a plain
 * string; empty text goes when something else remains (§1.6 rule 8).
 */
static void
user_content(struct menc *e, const struct uitem *items, size_t n,
    size_t nonempty)
{
	size_t k, c;

	if (nonempty <= 1) {
		for (k = 0; k < n && nonempty > 0; k++)
			if (!empty_item(&items[k]))
				break;
		if (k == n)
			k = 0;
		if (item_text(&items[k], e->s, &e->r)) {
			e->r |= jw_str(e->b, sdata(e->s), e->s->len);
			return;
		}
	}
	e->r |= buf_addc(e->b, '[');
	for (k = 0, c = 0; k < n; k++) {
		if (nonempty > 0 && empty_item(&items[k]))
			continue;
		if (c++ > 0)
			e->r |= buf_addc(e->b, ',');
		e->r |= item_write(e->b, e->s, &items[k]);
	}
	e->r |= buf_addc(e->b, ']');
}

/*
 * A user turn [i, j) after the assistant turn [pi, pj) (pi == pj: none):
 * one tool message per answered call, in block order, then one user
 * message with the rest (tool-result images included, orphan results
 * as text) (§3.1, §3.3 notes, §3.6 rules 5 and 7).
 */
static void
enc_user(struct menc *e, const struct c_request *r, size_t i, size_t j,
    size_t pi, size_t pj)
{
	const struct c_part *p;
	struct uitem *items;
	size_t k, q, c, cap = 0, n = 0, nonempty = 0;

	for (k = i; k < j; k++) {
		for (q = 0; q < r->msgs[k].nparts; q++) {
			p = &r->msgs[k].parts[q];
			cap += 1 + (p->type == C_TOOL_RESULT ? p->ncontent : 0);
			if (p->type != C_TOOL_RESULT ||
			    !run_has(r, pi, pj, C_TOOL_USE, p->id))
				continue;
			msg_begin(e, "tool");
			e->r |= buf_addstr(e->b, ",\"tool_call_id\":");
			e->r |= jw_cstr(e->b, p->id);
			e->r |= buf_addstr(e->b, ",\"content\":");
			buf_reset(e->s);
			e->r |= join_text(e->s, p->content, p->ncontent, "\n");
			e->r |= jw_str(e->b, sdata(e->s),
			    e->s->len);
			e->r |= buf_addc(e->b, '}');
		}
	}
	if (cap == 0)
		return;
	items = calloc(cap, sizeof(*items));
	if (items == NULL) {
		e->r = -1;
		return;
	}
	for (k = i; k < j; k++) {
		for (q = 0; q < r->msgs[k].nparts; q++) {
			p = &r->msgs[k].parts[q];
			if (p->type == C_TOOL_RESULT) {
				if (!run_has(r, pi, pj, C_TOOL_USE, p->id)) {
					items[n].p = p;
					items[n++].orphan = 1;
					nonempty++;
				}
				for (c = 0; c < p->ncontent; c++)
					if (!is_textual(&p->content[c]) &&
					    item_renders(&p->content[c])) {
						items[n++].p = &p->content[c];
						nonempty++;
					}
			} else if (item_renders(p)) {
				items[n++].p = p;
				if (!(is_textual(p) && p->text_len == 0))
					nonempty++;
			}
		}
	}
	if (n > 0) {
		msg_begin(e, "user");
		e->r |= buf_addstr(e->b, ",\"content\":");
		user_content(e, items, n, nonempty);
		e->r |= buf_addc(e->b, '}');
	}
	free(items);
}

/*
 * Does a part render as text in an assistant message?  Text does (when
 * not empty); parts an assistant message cannot carry become a bracketed
 * placeholder (§3.3 notes).  With s, the text is put there.
 */
static int
assistant_text(const struct c_part *p, struct buf *s, int *rc)
{
	const char *what;
	int r = 0;

	if (is_textual(p)) {
		if (p->text_len == 0)
			return 0;
		if (s != NULL) {
			buf_reset(s);
			r |= buf_add(s, p->text, p->text_len);
		}
	} else if (p->type == C_IMAGE || p->type == C_DOCUMENT ||
	    p->type == C_AUDIO) {
		what = p->type == C_IMAGE ? "[Image" : p->type == C_AUDIO ?
		    "[Audio" : "[Document";
		if (s != NULL) {
			buf_reset(s);
			r |= buf_addstr(s, what);
			if (p->url != NULL) {
				r |= buf_addstr(s, ": ");
				r |= buf_addstr(s, p->url);
			}
			r |= buf_addc(s, ']');
		}
	} else
		return 0;
	if (r != 0 && rc != NULL)
		*rc = -1;
	return 1;
}

/*
 * An assistant turn [i, j) followed by the user turn [ni, nj): one
 * message with its text, reasoning_content and the calls that have a
 * result in the next turn (§3.6 rules 5 and 7).  Parts OpenAI cannot
 * carry in an assistant message become bracketed text (§3.3 notes).
 */
static void
enc_assistant(struct menc *e, const struct c_request *r, size_t i, size_t j,
    size_t ni, size_t nj, int reasoning)
{
	const struct c_part *p;
	size_t k, q, ntext = 0, ncalls = 0, nthink = 0, c;
	int first;

	for (k = i; k < j; k++) {
		for (q = 0; q < r->msgs[k].nparts; q++) {
			p = &r->msgs[k].parts[q];
			if (p->type == C_TOOL_USE) {
				if (run_has(r, ni, nj, C_TOOL_RESULT, p->id))
					ncalls++;
			} else if (p->type == C_THINKING) {
				if (p->text != NULL)
					nthink++;
			} else if (assistant_text(p, NULL, NULL))
				ntext++;
		}
	}
	if (ntext == 0 && ncalls == 0)
		return;
	msg_begin(e, "assistant");
	e->r |= buf_addstr(e->b, ",\"content\":");
	if (ntext == 0)
		e->r |= buf_addstr(e->b, "null");
	else {
		if (ntext > 1)
			e->r |= buf_addc(e->b, '[');
		for (k = i, c = 0; k < j; k++) {
			for (q = 0; q < r->msgs[k].nparts; q++) {
				p = &r->msgs[k].parts[q];
				if (!assistant_text(p, e->s, &e->r))
					continue;
				if (ntext > 1) {
					if (c++ > 0)
						e->r |= buf_addc(e->b, ',');
					e->r |= buf_addstr(e->b,
					    "{\"type\":\"text\",\"text\":");
				}
				e->r |= jw_str(e->b, sdata(e->s), e->s->len);
				if (ntext > 1)
					e->r |= buf_addc(e->b, '}');
			}
		}
		if (ntext > 1)
			e->r |= buf_addc(e->b, ']');
	}
	/* thinking in history as reasoning_content (§3.9); servers that
	 * demand it beside tool_calls get "" when reasoning is on */
	if (nthink > 0 || (reasoning && ncalls > 0)) {
		buf_reset(e->s);
		for (k = i, first = 1; k < j; k++) {
			for (q = 0; q < r->msgs[k].nparts; q++) {
				p = &r->msgs[k].parts[q];
				if (p->type != C_THINKING || p->text == NULL)
					continue;
				if (!first)
					e->r |= buf_addc(e->s, '\n');
				e->r |= buf_add(e->s, p->text, p->text_len);
				first = 0;
			}
		}
		e->r |= buf_addstr(e->b, ",\"reasoning_content\":");
		e->r |= jw_str(e->b, sdata(e->s), e->s->len);
	}
	if (ncalls > 0) {
		e->r |= buf_addstr(e->b, ",\"tool_calls\":[");
		for (k = i, c = 0; k < j; k++) {
			for (q = 0; q < r->msgs[k].nparts; q++) {
				p = &r->msgs[k].parts[q];
				if (p->type != C_TOOL_USE ||
				    !run_has(r, ni, nj, C_TOOL_RESULT, p->id))
					continue;
				if (c++ > 0)
					e->r |= buf_addc(e->b, ',');
				e->r |= buf_addstr(e->b, "{\"id\":");
				e->r |= jw_cstr(e->b, p->id);
				e->r |= buf_addstr(e->b,
				    ",\"type\":\"function\",\"function\":"
				    "{\"name\":");
				e->r |= jw_cstr(e->b, p->name ? p->name : "");
				e->r |= buf_addstr(e->b, ",\"arguments\":");
				if (p->input != NULL && p->input_len > 0)
					e->r |= jw_str(e->b, p->input,
					    p->input_len);
				else
					e->r |= jw_cstr(e->b, "{}");
				e->r |= buf_addstr(e->b, "}}");
			}
		}
		e->r |= buf_addc(e->b, ']');
	}
	e->r |= buf_addc(e->b, '}');
}

/* Does the request ask for reasoning (for max_completion_tokens etc.)? */
static int
wants_reasoning(const struct c_request *r)
{
	if (r->reasoning_effort != NULL)
		return strcmp(r->reasoning_effort, "none") != 0;
	return r->thinking == C_THINK_ENABLED ||
	    r->thinking == C_THINK_ADAPTIVE;
}

/* The effort to send (§3.9 budget -> effort), or NULL. */
static const char *
effort_for(const struct c_request *r)
{
	if (r->reasoning_effort != NULL)
		return strcmp(r->reasoning_effort, "xhigh") == 0 ||
		    strcmp(r->reasoning_effort, "max") == 0 ? "high" :
		    r->reasoning_effort;
	if (r->thinking == C_THINK_ADAPTIVE)
		return "medium";
	if (r->thinking != C_THINK_ENABLED)
		return NULL;
	if (r->thinking_budget == 0 || r->thinking_budget == -1)
		return "medium";
	if (r->thinking_budget <= 2048)
		return "low";
	if (r->thinking_budget <= 8192)
		return "medium";
	return "high";
}

static int
server_tool(const struct c_tool *t)
{
	return t->type != NULL && strcmp(t->type, "custom") != 0 &&
	    strcmp(t->type, "function") != 0;
}

static int
enc_messages(struct menc *e, const struct c_request *r)
{
	size_t i, j, pi = 0, pj = 0, nj;
	int reasoning = wants_reasoning(r);

	for (i = 0; i < r->nmsgs; i = j) {
		for (j = i; j < r->nmsgs && r->msgs[j].role ==
		    r->msgs[i].role; j++)
			;
		if (r->msgs[i].role == C_ASSISTANT) {
			for (nj = j; nj < r->nmsgs && r->msgs[nj].role ==
			    C_USER; nj++)
				;
			enc_assistant(e, r, i, j, j, nj, reasoning);
			pi = i;
			pj = j;
		} else {
			enc_user(e, r, i, j, pi, pj);
			pi = pj = 0;
		}
	}
	return e->r ? -1 : 0;
}

static int
enc_tools(struct buf *b, const struct c_request *r, size_t *nout)
{
	const struct c_tool *t;
	size_t i;
	int rr = 0;

	*nout = 0;
	for (i = 0; i < r->ntools; i++) {
		t = &r->tools[i];
		if (server_tool(t) || t->name == NULL)
			continue;	/* not expressible for OpenAI (§3.4) */
		rr |= buf_addstr(b, *nout == 0 ? ",\"tools\":[" : ",");
		rr |= buf_addstr(b, "{\"type\":\"function\",\"function\":"
		    "{\"name\":");
		rr |= jw_cstr(b, t->name);
		if (t->description != NULL) {
			rr |= buf_addstr(b, ",\"description\":");
			rr |= jw_cstr(b, t->description);
		}
		rr |= buf_addstr(b, ",\"parameters\":");
		if (t->schema != NULL && json_object_is_type(t->schema,
		    json_type_object))
			rr |= schema_write(b, t->schema, 0);
		else
			rr |= buf_addstr(b,
			    "{\"type\":\"object\",\"properties\":{}}");
		rr |= buf_addstr(b, "}}");
		(*nout)++;
	}
	if (*nout > 0)
		rr |= buf_addc(b, ']');
	return rr ? -1 : 0;
}

int
openai_encode_request(const struct c_request *r, const struct c_opts *o,
    struct buf *out)
{
	struct buf msgs, scratch;
	struct menc e;
	const char *effort;
	size_t i, ntools, nstop;
	int rr = 0, stream;

	buf_init(&msgs, out->max);
	buf_init(&scratch, out->max);
	e.b = &msgs;
	e.s = &scratch;
	e.n = 0;
	e.r = 0;
	if (enc_messages(&e, r) == -1)
		goto fail;

	rr |= buf_addstr(out, "{\"model\":");
	rr |= jw_cstr(out, r->model ? r->model : "");
	rr |= buf_addstr(out, ",\"messages\":[");
	/* one system message first (§3.2); the system text alone becomes
	 * a user message when nothing else is left (§3.1) */
	if (r->nsystem > 0) {
		buf_reset(&scratch);
		rr |= join_text(&scratch, r->system, r->nsystem, "\n");
		rr |= buf_addstr(out, e.n > 0 ? "{\"role\":\"system\"," :
		    "{\"role\":\"user\",");
		rr |= buf_addstr(out, "\"content\":");
		rr |= jw_str(out, sdata(&scratch), scratch.len);
		rr |= buf_addc(out, '}');
		if (e.n > 0)
			rr |= buf_addc(out, ',');
	}
	if (msgs.len > 0)
		rr |= buf_add(out, msgs.data, msgs.len);
	rr |= buf_addc(out, ']');

	rr |= enc_tools(out, r, &ntools);
	if (ntools > 0) {
		switch (r->tool_choice) {
		case C_TC_AUTO:
			rr |= buf_addstr(out, ",\"tool_choice\":\"auto\"");
			break;
		case C_TC_NONE:
			rr |= buf_addstr(out, ",\"tool_choice\":\"none\"");
			break;
		case C_TC_ANY:
			rr |= buf_addstr(out, ",\"tool_choice\":\"required\"");
			break;
		case C_TC_TOOL:
			rr |= buf_addstr(out, ",\"tool_choice\":{\"type\":"
			    "\"function\",\"function\":{\"name\":");
			rr |= jw_cstr(out, r->tool_choice_name ?
			    r->tool_choice_name : "");
			rr |= buf_addstr(out, "}}");
			break;
		default:
			break;
		}
		if (r->has_parallel_tool_calls)
			rr |= buf_addstr(out, r->parallel_tool_calls ?
			    ",\"parallel_tool_calls\":true" :
			    ",\"parallel_tool_calls\":false");
	}

	/* generation parameters: only what the client sent (§1.6, §3.7) */
	if (r->max_tokens > 0)
		rr |= buf_addf(out, ",\"%s\":%lld", wants_reasoning(r) ?
		    "max_completion_tokens" : "max_tokens",
		    (long long)r->max_tokens);
	if (r->has_temperature && isfinite(r->temperature)) {
		rr |= buf_addstr(out, ",\"temperature\":");
		rr |= oai_double(out, r->temperature);
	}
	if (r->has_top_p && isfinite(r->top_p)) {
		rr |= buf_addstr(out, ",\"top_p\":");
		rr |= oai_double(out, r->top_p);
	}
	for (i = 0, nstop = 0; i < r->nstop && nstop < 4; i++) {
		if (r->stop[i] == NULL)
			continue;
		rr |= buf_addstr(out, nstop++ == 0 ? ",\"stop\":[" : ",");
		rr |= jw_cstr(out, r->stop[i]);
	}
	if (nstop > 0)
		rr |= buf_addc(out, ']');
	if (r->n > 0)
		rr |= buf_addf(out, ",\"n\":%lld", (long long)r->n);
	if (r->has_seed)
		rr |= buf_addf(out, ",\"seed\":%lld", (long long)r->seed);
	if (r->has_presence_penalty && isfinite(r->presence_penalty)) {
		rr |= buf_addstr(out, ",\"presence_penalty\":");
		rr |= oai_double(out, r->presence_penalty);
	}
	if (r->has_frequency_penalty && isfinite(r->frequency_penalty)) {
		rr |= buf_addstr(out, ",\"frequency_penalty\":");
		rr |= oai_double(out, r->frequency_penalty);
	}
	if (r->user != NULL) {
		rr |= buf_addstr(out, ",\"user\":");
		rr |= jw_cstr(out, r->user);
	}
	switch (r->format) {
	case C_FMT_TEXT:
		rr |= buf_addstr(out,
		    ",\"response_format\":{\"type\":\"text\"}");
		break;
	case C_FMT_JSON_OBJECT:
		rr |= buf_addstr(out,
		    ",\"response_format\":{\"type\":\"json_object\"}");
		break;
	case C_FMT_JSON_SCHEMA:
		if (r->response_schema == NULL) {
			rr |= buf_addstr(out, ",\"response_format\":"
			    "{\"type\":\"json_object\"}");
			break;
		}
		rr |= buf_addstr(out, ",\"response_format\":{\"type\":"
		    "\"json_schema\",\"json_schema\":{\"name\":");
		rr |= jw_cstr(out, r->response_schema_name ?
		    r->response_schema_name : "response");
		rr |= buf_addstr(out, ",\"schema\":");
		rr |= schema_write(out, r->response_schema, 0);
		if (r->response_schema_strict)
			rr |= buf_addstr(out, ",\"strict\":true");
		rr |= buf_addstr(out, "}}");
		break;
	default:
		break;
	}
	effort = effort_for(r);
	if (effort != NULL) {
		rr |= buf_addstr(out, ",\"reasoning_effort\":");
		rr |= jw_cstr(out, effort);
	}
	/* usage is always asked for: accounting needs it, and the client
	 * encoder decides what the client sees (§3.7) */
	stream = o != NULL ? o->stream : r->stream;
	if (stream)
		rr |= buf_addstr(out, ",\"stream\":true,"
		    "\"stream_options\":{\"include_usage\":true}");
	rr |= buf_addc(out, '}');
	if (rr != 0)
		goto fail;
	buf_free(&msgs);
	buf_free(&scratch);
	return 0;
fail:
	buf_free(&msgs);
	buf_free(&scratch);
	buf_free(out);
	return -1;
}

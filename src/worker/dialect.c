/*
 * dialect.c: the dialect table, error bodies shared by all dialects
 * (conversion.md §7) and small decoding helpers.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "dialect.h"
#include "jsonw.h"
#include "util.h"

const struct dialect_ops *
dialect_get(enum dialect d)
{
	switch (d) {
	case DIALECT_CLAUDE:
		return &dialect_claude;
	case DIALECT_GEMINI:
		return &dialect_gemini;
	default:
		return &dialect_openai;
	}
}

const char *
dialect_str(enum dialect d)
{
	switch (d) {
	case DIALECT_CLAUDE:
		return "claude";
	case DIALECT_GEMINI:
		return "gemini";
	default:
		return "openai";
	}
}

/* conversion.md §7.2 */
void
dialect_error_names(int status, const char **oai, const char **oai_code,
    const char **claude, const char **gemini)
{
	*oai_code = NULL;
	switch (status) {
	case 400:
		*oai = "invalid_request_error";
		*claude = "invalid_request_error";
		*gemini = "INVALID_ARGUMENT";
		break;
	case 401:
		*oai = "authentication_error";
		*oai_code = "invalid_api_key";
		*claude = "authentication_error";
		*gemini = "UNAUTHENTICATED";
		break;
	case 402:
		*oai = "insufficient_quota";
		*oai_code = "insufficient_quota";
		*claude = "billing_error";
		*gemini = "FAILED_PRECONDITION";
		break;
	case 403:
		*oai = "permission_error";
		*claude = "permission_error";
		*gemini = "PERMISSION_DENIED";
		break;
	case 404:
		*oai = "not_found_error";
		*claude = "not_found_error";
		*gemini = "NOT_FOUND";
		break;
	case 408:
		*oai = "timeout";
		*claude = "timeout_error";
		*gemini = "DEADLINE_EXCEEDED";
		break;
	case 413:
		*oai = "invalid_request_error";
		*claude = "request_too_large";
		*gemini = "INVALID_ARGUMENT";
		break;
	case 429:
		*oai = "rate_limit_error";
		*oai_code = "rate_limit_exceeded";
		*claude = "rate_limit_error";
		*gemini = "RESOURCE_EXHAUSTED";
		break;
	case 500:
		*oai = "server_error";
		*claude = "api_error";
		*gemini = "INTERNAL";
		break;
	case 502:
		*oai = "server_error";
		*claude = "api_error";
		*gemini = "UNAVAILABLE";
		break;
	case 503:
	case 529:
		*oai = "server_error";
		*claude = "overloaded_error";
		*gemini = "UNAVAILABLE";
		break;
	case 504:
		*oai = "timeout";
		*claude = "timeout_error";
		*gemini = "DEADLINE_EXCEEDED";
		break;
	default:
		if (status >= 500) {
			*oai = "server_error";
			*claude = "api_error";
			*gemini = "INTERNAL";
		} else {
			*oai = "invalid_request_error";
			*claude = "invalid_request_error";
			*gemini = "INVALID_ARGUMENT";
		}
		break;
	}
}

int
dialect_error_body(struct buf *b, enum dialect d, int status,
    const char *msg)
{
	const char *oai, *code, *claude, *gemini;
	int r = 0;

	dialect_error_names(status, &oai, &code, &claude, &gemini);
	switch (d) {
	case DIALECT_CLAUDE:
		r |= buf_addstr(b, "{\"type\":\"error\",\"error\":{\"type\":");
		r |= jw_cstr(b, claude);
		r |= buf_addstr(b, ",\"message\":");
		r |= jw_cstr(b, msg);
		r |= buf_addstr(b, "}}");
		break;
	case DIALECT_GEMINI:
		r |= buf_addf(b, "{\"error\":{\"code\":%d,\"message\":", status);
		r |= jw_cstr(b, msg);
		r |= buf_addstr(b, ",\"status\":");
		r |= jw_cstr(b, gemini);
		r |= buf_addstr(b, "}}");
		break;
	default:
		r |= buf_addstr(b, "{\"error\":{\"message\":");
		r |= jw_cstr(b, msg);
		r |= buf_addstr(b, ",\"type\":");
		r |= jw_cstr(b, oai);
		r |= buf_addstr(b, ",\"param\":null,\"code\":");
		r |= jw_cstr(b, code);
		r |= buf_addstr(b, "}}");
		break;
	}
	return r ? -1 : 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\v';
}

const char *
c_b64_clean(struct arena *a, const char *s, size_t len, size_t *outlen)
{
	size_t i, o = 0;
	char *p;

	for (i = 0; i < len; i++)
		if (is_space(s[i]))
			break;
	if (i == len) {
		*outlen = len;
		return s;
	}
	p = arena_alloc(a, len + 1);
	if (p == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		if (!is_space(s[i]))
			p[o++] = s[i];
	p[o] = '\0';
	*outlen = o;
	return p;
}

int
c_parse_data_url(struct arena *a, const char *url, const char **media_type,
    const char **data, size_t *len)
{
	const char *comma, *semi;

	if (strncmp(url, "data:", 5) != 0)
		return -1;
	comma = strchr(url + 5, ',');
	/* data:<type>[;param=value...];base64,<payload> */
	if (comma == NULL || comma - url < 12 ||
	    strncmp(comma - 7, ";base64", 7) != 0)
		return -1;
	semi = memchr(url + 5, ';', (size_t)(comma - url - 5));
	*media_type = arena_strndup(a, url + 5, (size_t)(semi - url - 5));
	if (*media_type == NULL)
		return -1;
	*data = c_b64_clean(a, comma + 1, strlen(comma + 1), len);
	return *data == NULL ? -1 : 0;
}

json_object *
c_json_get(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *
c_json_str(json_object *o, const char *key, size_t *len)
{
	json_object *v = c_json_get(o, key);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

json_object *
c_parse_json(const char *s, size_t len)
{
	struct json_tokener *tok;
	json_object *o;

	if (s == NULL || len > INT32_MAX)
		return NULL;
	tok = json_tokener_new_ex(C_JSON_DEPTH);
	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o != NULL && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

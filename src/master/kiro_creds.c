/*
 * kiro_creds.c: Kiro credential records, refresh bodies and write-back
 * (see kiro_creds.h; spec/kiro.md §2, §3).  Nothing here logs: errors
 * are returned with the path and the reason, never a token.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonw.h"
#include "kiro_creds.h"
#include "util.h"
#include "xalloc.h"

#define CRED_MAX_BYTES	(1024 * 1024)

static const char *
rec_str(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	if (json_object_get_string_len(v) == 0)
		return NULL;
	return json_object_get_string(v);
}

int64_t
kiro_parse_expiry(json_object *v)
{
	int64_t n;

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double)) {
		n = json_object_get_int64(v);
		if (n <= 0)
			return 0;
		return n > 10000000000LL ? n : n * 1000;
	}
	if (json_object_is_type(v, json_type_string)) {
		n = iso8601_parse(json_object_get_string(v));
		return n < 0 ? 0 : n;
	}
	return 0;
}

void
kiro_cred_clear(struct kiro_cred *c)
{
	if (c->record != NULL) {
		json_wipe_strings(c->record);
		json_object_put(c->record);
	}
	memset(c, 0, sizeof(*c));
}

/* Fill the typed view of c->record (§2.1, §2.4). */
static void
cred_view(struct kiro_cred *c)
{
	json_object *v = NULL;

	c->access_token = rec_str(c->record, "accessToken");
	c->refresh_token = rec_str(c->record, "refreshToken");
	c->profile_arn = rec_str(c->record, "profileArn");
	c->region = rec_str(c->record, "region");
	if (c->region == NULL)
		c->region = "us-east-1";
	c->idc_region = rec_str(c->record, "idcRegion");
	if (c->idc_region == NULL)
		c->idc_region = c->region;
	c->auth_method = rec_str(c->record, "authMethod");
	c->client_id = rec_str(c->record, "clientId");
	c->client_secret = rec_str(c->record, "clientSecret");
	json_object_object_get_ex(c->record, "expiresAt", &v);
	c->expires_ms = kiro_parse_expiry(v);
	/* HEAD rule: social when said so, or when unsaid and no IdC client */
	if (c->auth_method != NULL)
		c->social = strcasecmp(c->auth_method, "social") == 0;
	else
		c->social = c->client_id == NULL || c->client_secret == NULL;
}

int
kiro_cred_from_json(json_object *o, struct kiro_cred *c, char *err,
    size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		json_object_put(o);
		return -1;
	}
	c->record = o;
	cred_view(c);
	if (c->access_token == NULL && c->refresh_token == NULL) {
		snprintf(err, errlen, "neither accessToken nor refreshToken");
		kiro_cred_clear(c);
		return -1;
	}
	return 0;
}

static json_object *
read_json(const char *path, char *err, size_t errlen)
{
	struct json_tokener *tok;
	enum json_tokener_error je;
	json_object *o;
	size_t len;
	char *text;

	text = file_read_all(path, CRED_MAX_BYTES, &len);
	if (text == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, text, (int)len);
	je = json_tokener_get_error(tok);
	json_tokener_free(tok);
	explicit_bzero(text, len);
	free(text);
	if (o == NULL || je != json_tokener_success) {
		snprintf(err, errlen, "%s: not valid JSON (%s)", path,
		    o == NULL && je == json_tokener_continue ?
		    "unexpected end of file" : json_tokener_error_desc(je));
		json_object_put(o);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int
is_hex_id(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isxdigit((unsigned char)*s) ||
		    isupper((unsigned char)*s))
			return 0;
	return n >= 16 && n <= 64;
}

/* Take clientId and clientSecret (only) from another file. */
static void
take_client(json_object *rec, json_object *other)
{
	const char *id = rec_str(other, "clientId");
	const char *sec = rec_str(other, "clientSecret");

	if (id == NULL || sec == NULL)
		return;
	json_object_object_add(rec, "clientId", json_object_new_string(id));
	json_object_object_add(rec, "clientSecret",
	    json_object_new_string(sec));
}

/* §2.2 [REC] step 3: the client registration of an IdC token file. */
static void
merge_registration(json_object *rec, const char *path)
{
	char dirbuf[PATH_MAX], file[PATH_MAX], e[256];
	const char *hash, *dir;
	json_object *o;
	struct dirent *de;
	DIR *d;
	size_t n;

	if (rec_str(rec, "clientId") != NULL &&
	    rec_str(rec, "clientSecret") != NULL)
		return;
	strlcpy(dirbuf, path, sizeof(dirbuf));
	dir = dirname(dirbuf);
	hash = rec_str(rec, "clientIdHash");
	if (hash != NULL) {
		if (!is_hex_id(hash))
			return;
		snprintf(file, sizeof(file), "%s/%s.json", dir, hash);
		o = read_json(file, e, sizeof(e));
		if (o != NULL) {
			take_client(rec, o);
			json_wipe_strings(o);
			json_object_put(o);
		}
		return;
	}
	/* R0 layouts: a registration file beside the token file */
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0 ||
		    strcmp(de->d_name, KIRO_TOKEN_FILE) == 0)
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
		if (strcmp(file, path) == 0)
			continue;
		o = read_json(file, e, sizeof(e));
		if (o == NULL)
			continue;
		/* never tokens from another file: only a pure registration */
		if (rec_str(o, "accessToken") == NULL &&
		    rec_str(o, "refreshToken") == NULL)
			take_client(rec, o);
		json_wipe_strings(o);
		json_object_put(o);
		if (rec_str(rec, "clientId") != NULL)
			break;
	}
	closedir(d);
}

int
kiro_cred_load_file(const char *path, struct kiro_cred *c, char *err,
    size_t errlen)
{
	json_object *o;
	char e[256];

	memset(c, 0, sizeof(*c));
	o = read_json(path, err, errlen);
	if (o == NULL)
		return -1;
	merge_registration(o, path);
	if (kiro_cred_from_json(o, c, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "%s: %s", path, e);
		return -1;
	}
	return 0;
}

int
kiro_cred_load_base64(const char *b64, struct kiro_cred *c, char *err,
    size_t errlen)
{
	unsigned char *raw;
	json_object *o;
	size_t len;

	memset(c, 0, sizeof(*c));
	raw = base64_decode(b64, strlen(b64), &len);
	if (raw == NULL) {
		snprintf(err, errlen, "KIRO_OAUTH_CREDS_BASE64: not valid "
		    "base64");
		return -1;
	}
	o = json_tokener_parse((char *)raw);
	explicit_bzero(raw, len);
	free(raw);
	if (o == NULL) {
		snprintf(err, errlen, "KIRO_OAUTH_CREDS_BASE64: not valid "
		    "JSON once decoded");
		return -1;
	}
	if (kiro_cred_from_json(o, c, err, errlen) == -1) {
		char e[256];

		snprintf(e, sizeof(e), "KIRO_OAUTH_CREDS_BASE64: %s", err);
		strlcpy(err, e, errlen);
		return -1;
	}
	return 0;
}

int
kiro_refresh_request(const struct kiro_cred *c, const char *social_url,
    const char *idc_url, char **url, struct buf *body, char *err,
    size_t errlen)
{
	json_object *o;
	int rc;

	*url = NULL;
	if (c->refresh_token == NULL) {
		snprintf(err, errlen, "no refreshToken in the credential");
		return -1;
	}
	o = json_object_new_object();
	json_object_object_add(o, "refreshToken",
	    json_object_new_string(c->refresh_token));
	if (c->social) {
		*url = url_region(social_url, c->region);
	} else {
		if (c->client_id == NULL || c->client_secret == NULL) {
			snprintf(err, errlen, "IdC credential without clientId "
			    "and clientSecret");
			json_wipe_strings(o);
			json_object_put(o);
			return -1;
		}
		json_object_object_add(o, "clientId",
		    json_object_new_string(c->client_id));
		json_object_object_add(o, "clientSecret",
		    json_object_new_string(c->client_secret));
		json_object_object_add(o, "grantType",
		    json_object_new_string("refresh_token"));
		*url = url_region(idc_url, c->idc_region);
	}
	rc = buf_addstr(body, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_wipe_strings(o);
	json_object_put(o);
	return rc;
}

static void
set_str(json_object *rec, const char *k, const char *v)
{
	json_object_object_add(rec, k, json_object_new_string(v));
}

int
kiro_refresh_apply(struct kiro_cred *c, const char *body, size_t len,
    int64_t now, char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *o, *v;
	const char *at, *rt, *arn;
	int64_t secs = 3600;
	char ts[40];

	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, body, (int)len);
	json_tokener_free(tok);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "invalid refresh response (not JSON)");
		json_object_put(o);
		return -1;
	}
	at = rec_str(o, "accessToken");
	if (at == NULL) {
		snprintf(err, errlen, "invalid refresh response (no "
		    "accessToken)");
		json_wipe_strings(o);
		json_object_put(o);
		return -1;
	}
	rt = rec_str(o, "refreshToken");
	arn = rec_str(o, "profileArn");
	if (json_object_object_get_ex(o, "expiresIn", &v) &&
	    (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double)) &&
	    json_object_get_int64(v) > 0)
		secs = json_object_get_int64(v);
	set_str(c->record, "accessToken", at);
	if (rt != NULL)
		set_str(c->record, "refreshToken", rt);
	if (arn != NULL)
		set_str(c->record, "profileArn", arn);
	iso8601_utc(now + secs * 1000, ts, sizeof(ts));
	set_str(c->record, "expiresAt", ts);
	json_wipe_strings(o);
	json_object_put(o);
	cred_view(c);
	return 0;
}

int
kiro_cred_write_back(const char *path, const struct kiro_cred *c, char *err,
    size_t errlen)
{
	static const char *const members[] = { "accessToken", "refreshToken",
	    "expiresAt", "profileArn" };
	json_object *cur, *v;
	const char *s;
	size_t i, len;
	int rc;

	cur = read_json(path, err, errlen);
	if (cur == NULL) {
		/* a vanished or damaged file: start from our record */
		cur = json_object_new_object();
	}
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		if (json_object_object_get_ex(c->record, members[i], &v) &&
		    v != NULL)
			json_object_object_add(cur, members[i],
			    json_object_get(v));
	}
	s = json_object_to_json_string_length(cur, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	{
		/* json-c pretty prints with 2 spaces; add the final newline */
		char *out = xmalloc(len + 2);

		memcpy(out, s, len);
		out[len] = '\n';
		rc = file_write_atomic(path, out, len + 1, 0600, 1, err,
		    errlen);
		explicit_bzero(out, len + 1);
		free(out);
	}
	/* cur shares the token strings with c->record: only unref */
	json_object_put(cur);
	return rc;
}

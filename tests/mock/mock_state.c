/*
 * mock_state.c: the mock upstream's mutable state and the endpoints
 * that change or show it.  It owns the set of valid access tokens, the
 * valid refresh tokens (each with the access token issued alongside),
 * the per-directive counters of MOCK:fail, the endpoint counters, the
 * request log (a ring of the last 1000 requests, raw bytes kept in
 * reused buffers and turned into JSON only when asked), the social and
 * IdC token endpoints, the /_mock control API and the optional
 * --state file.  All of it is per process: with -w N each worker has
 * its own copy.  Every string here is malloc'd and owned by this file;
 * json-c objects are created and put within one function.
 */
#include "config.h"

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "buf.h"
#include "util.h"
#include "mockup.h"

#define MAX_RECS	1000
#define REC_BODY_MAX	(8u * 1024 * 1024)
#define REC_BUDGET	(256u * 1024 * 1024)
#define REC_KEEP	(64u * 1024)
#define STATE_MAX	(16u * 1024 * 1024)
#define PROFILE_ARN	"arn:aws:codewhisperer:us-east-1:000000000000:" \
			"profile/MOCK"

enum stat_kind {
	ST_CHAT,
	ST_REFRESH_SOCIAL,
	ST_REFRESH_IDC,
	ST_USAGE,
	ST_COUNT
};

static const char *const stat_names[ST_COUNT] = {
	"chat", "refresh_social", "refresh_idc", "usage"
};

/* A valid refresh token and the access token issued with it. */
struct rtok {
	char		*rt;
	char		*at;		/* NULL: none known */
};

struct dcount {
	char		*key;
	size_t		 klen;
	long		 n;
};

/* One logged request: method, target, header lines, body, in data. */
struct rec {
	uint64_t	 n;
	int64_t		 time_ms;
	struct buf	 data;
	size_t		 mlen, tlen, hlen, blen;
	size_t		 body_total;	/* before truncation */
};

struct tokset {
	char		**v;
	size_t		 n, cap;
};

static struct tokset	 access_set;
static struct rtok	*rtoks;
static size_t		 nrtoks, caprtoks;
static struct dcount	*dcounts;
static size_t		 ndcounts, capdcounts;
static struct rec	 recs[MAX_RECS];
static size_t		 rhead, rcount, rbytes;
static uint64_t		 recn, issued, tool_id;
static long		 stats[ST_COUNT];
static int		 refresh_status;
static long		 refresh_delay_ms;

/* --- token sets ---------------------------------------------------- */

static ssize_t
tok_find(const struct tokset *ts, const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < ts->n; i++) {
		if (strlen(ts->v[i]) == len && memcmp(ts->v[i], t, len) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static int
tok_add(struct tokset *ts, const char *t)
{
	char **nv;
	char *s;

	if (tok_find(ts, t, strlen(t)) >= 0)
		return 0;
	if (ts->n == ts->cap) {
		nv = reallocarray(ts->v, ts->cap ? ts->cap * 2 : 16,
		    sizeof(*nv));
		if (nv == NULL)
			return -1;
		ts->v = nv;
		ts->cap = ts->cap ? ts->cap * 2 : 16;
	}
	s = strdup(t);
	if (s == NULL)
		return -1;
	ts->v[ts->n++] = s;
	return 0;
}

static void
tok_del(struct tokset *ts, const char *t)
{
	ssize_t i;

	i = tok_find(ts, t, strlen(t));
	if (i < 0)
		return;
	free(ts->v[i]);
	ts->v[i] = ts->v[--ts->n];
}

static void
tok_clear(struct tokset *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		free(ts->v[i]);
	ts->n = 0;
}

static ssize_t
rtok_find(const char *t)
{
	size_t i;

	for (i = 0; i < nrtoks; i++) {
		if (strcmp(rtoks[i].rt, t) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static int
rtok_add(const char *rt, const char *at)
{
	struct rtok *nv;
	ssize_t i;

	i = rtok_find(rt);
	if (i >= 0) {
		if (at != NULL && rtoks[i].at == NULL)
			rtoks[i].at = strdup(at);
		return 0;
	}
	if (nrtoks == caprtoks) {
		nv = reallocarray(rtoks, caprtoks ? caprtoks * 2 : 16,
		    sizeof(*nv));
		if (nv == NULL)
			return -1;
		rtoks = nv;
		caprtoks = caprtoks ? caprtoks * 2 : 16;
	}
	rtoks[nrtoks].rt = strdup(rt);
	rtoks[nrtoks].at = at != NULL ? strdup(at) : NULL;
	if (rtoks[nrtoks].rt == NULL) {
		free(rtoks[nrtoks].at);
		return -1;
	}
	nrtoks++;
	return 0;
}

static void
rtok_del(size_t i)
{
	free(rtoks[i].rt);
	free(rtoks[i].at);
	rtoks[i] = rtoks[--nrtoks];
}

static void
rtok_clear(void)
{
	while (nrtoks > 0)
		rtok_del(nrtoks - 1);
}

/* --- the --state file ---------------------------------------------- */

static void
state_save(void)
{
	json_object *o, *a, *r;
	const char *s;
	char err[256];
	size_t i;

	if (mopts.state_file == NULL)
		return;
	o = json_object_new_object();
	a = json_object_new_array();
	for (i = 0; i < access_set.n; i++)
		json_object_array_add(a,
		    json_object_new_string(access_set.v[i]));
	json_object_object_add(o, "valid_tokens", a);
	a = json_object_new_array();
	for (i = 0; i < nrtoks; i++) {
		r = json_object_new_object();
		json_object_object_add(r, "token",
		    json_object_new_string(rtoks[i].rt));
		json_object_object_add(r, "access", rtoks[i].at != NULL ?
		    json_object_new_string(rtoks[i].at) : NULL);
		json_object_array_add(a, r);
	}
	json_object_object_add(o, "refresh_tokens", a);
	json_object_object_add(o, "issued", json_object_new_int64(
	    (int64_t)issued));
	json_object_object_add(o, "tool_id", json_object_new_int64(
	    (int64_t)tool_id));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (file_write_atomic(mopts.state_file, s, strlen(s), 0600, 0, err,
	    sizeof(err)) == -1)
		mlog("cannot write %s: %s", mopts.state_file, err);
	json_object_put(o);
}

static int
state_load(void)
{
	json_object *o, *a, *e, *v, *at;
	char *data;
	size_t len, i;

	data = file_read_all(mopts.state_file, STATE_MAX, &len);
	if (data == NULL)
		return errno == ENOENT ? 0 : -1;
	o = json_tokener_parse(data);
	free(data);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	if (json_object_object_get_ex(o, "valid_tokens", &a) &&
	    json_object_is_type(a, json_type_array)) {
		for (i = 0; i < json_object_array_length(a); i++) {
			e = json_object_array_get_idx(a, i);
			if (json_object_is_type(e, json_type_string))
				(void)tok_add(&access_set,
				    json_object_get_string(e));
		}
	}
	if (json_object_object_get_ex(o, "refresh_tokens", &a) &&
	    json_object_is_type(a, json_type_array)) {
		for (i = 0; i < json_object_array_length(a); i++) {
			e = json_object_array_get_idx(a, i);
			if (!json_object_object_get_ex(e, "token", &v) ||
			    !json_object_is_type(v, json_type_string))
				continue;
			if (!json_object_object_get_ex(e, "access", &at) ||
			    !json_object_is_type(at, json_type_string))
				at = NULL;
			(void)rtok_add(json_object_get_string(v),
			    at != NULL ? json_object_get_string(at) : NULL);
		}
	}
	if (json_object_object_get_ex(o, "issued", &v))
		issued = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "tool_id", &v))
		tool_id = (uint64_t)json_object_get_int64(v);
	json_object_put(o);
	return 0;
}

int
state_init(char **tokens, size_t ntokens, char **rtokens, size_t nrtokens)
{
	size_t i;

	for (i = 0; i < MAX_RECS; i++)
		buf_init(&recs[i].data, 0);
	for (i = 0; i < ntokens; i++) {
		if (tok_add(&access_set, tokens[i]) == -1)
			return -1;
	}
	/* --token i and --refresh-token i are one credential. */
	for (i = 0; i < nrtokens; i++) {
		if (rtok_add(rtokens[i], i < ntokens ? tokens[i] : NULL) ==
		    -1)
			return -1;
	}
	if (mopts.state_file != NULL && state_load() == -1) {
		fprintf(stderr, "mockup: cannot load %s\n", mopts.state_file);
		return -1;
	}
	return 0;
}

static void
records_clear(void)
{
	size_t i;

	for (i = 0; i < MAX_RECS; i++)
		buf_free(&recs[i].data);
	rhead = rcount = rbytes = 0;
	recn = 0;
}

static void
dcounts_clear(void)
{
	size_t i;

	for (i = 0; i < ndcounts; i++)
		free(dcounts[i].key);
	ndcounts = 0;
}

void
state_free(void)
{
	records_clear();
	dcounts_clear();
	free(dcounts);
	dcounts = NULL;
	capdcounts = 0;
	tok_clear(&access_set);
	free(access_set.v);
	access_set.v = NULL;
	access_set.cap = 0;
	rtok_clear();
	free(rtoks);
	rtoks = NULL;
	caprtoks = 0;
}

/* --- what the chat side asks --------------------------------------- */

int
state_auth_ok(const struct mreq *r)
{
	const struct mhdr *h;
	const char *v;
	size_t n;

	if (mopts.any_token)
		return 1;
	h = req_header(r, "authorization");
	if (h == NULL || h->vlen < 7 || strncasecmp(h->val, "bearer ", 7) != 0)
		return 0;
	v = h->val + 7;
	n = h->vlen - 7;
	while (n > 0 && *v == ' ') {
		v++;
		n--;
	}
	return n > 0 && tok_find(&access_set, v, n) >= 0;
}

long
state_directive_hit(const char *key, size_t klen)
{
	struct dcount *nv;
	size_t i;

	for (i = 0; i < ndcounts; i++) {
		if (dcounts[i].klen == klen &&
		    memcmp(dcounts[i].key, key, klen) == 0)
			return dcounts[i].n++;
	}
	if (ndcounts == capdcounts) {
		nv = reallocarray(dcounts, capdcounts ? capdcounts * 2 : 16,
		    sizeof(*nv));
		if (nv == NULL)
			return 0;
		dcounts = nv;
		capdcounts = capdcounts ? capdcounts * 2 : 16;
	}
	dcounts[ndcounts].key = malloc(klen + 1);
	if (dcounts[ndcounts].key == NULL)
		return 0;
	memcpy(dcounts[ndcounts].key, key, klen);
	dcounts[ndcounts].key[klen] = '\0';
	dcounts[ndcounts].klen = klen;
	dcounts[ndcounts].n = 1;
	ndcounts++;
	return 0;
}

uint64_t
state_next_tool_id(void)
{
	tool_id++;
	if (mopts.state_file != NULL)
		state_save();
	return tool_id;
}

void
state_count(const char *what)
{
	int i;

	for (i = 0; i < ST_COUNT; i++) {
		if (strcmp(stat_names[i], what) == 0)
			stats[i]++;
	}
}

/* --- the request log ----------------------------------------------- */

static void
rec_drop_oldest(int release)
{
	struct rec *o;

	o = &recs[rhead];
	rbytes -= o->data.len;
	if (release)
		buf_free(&o->data);
	else
		buf_reset(&o->data);
	rhead = (rhead + 1) % MAX_RECS;
	rcount--;
}

void
state_record(const struct mreq *r)
{
	struct rec *e;
	size_t blen, need;

	blen = r->blen > REC_BODY_MAX ? REC_BODY_MAX : r->blen;
	need = r->mlen + r->tlen + r->hblen + blen;
	if (rcount == MAX_RECS)
		rec_drop_oldest(0);
	while (rcount > 0 && rbytes + need > REC_BUDGET)
		rec_drop_oldest(1);
	e = &recs[(rhead + rcount) % MAX_RECS];
	buf_reset(&e->data);
	if (e->data.cap > REC_KEEP && e->data.cap > 2 * need)
		buf_free(&e->data);
	if (buf_reserve(&e->data, need) == -1)
		return;
	(void)buf_add(&e->data, r->method, r->mlen);
	(void)buf_add(&e->data, r->target, r->tlen);
	(void)buf_add(&e->data, r->hblock, r->hblen);
	(void)buf_add(&e->data, r->body, blen);
	e->mlen = r->mlen;
	e->tlen = r->tlen;
	e->hlen = r->hblen;
	e->blen = blen;
	e->body_total = r->blen;
	e->n = ++recn;
	e->time_ms = wall_ms();
	rbytes += e->data.len;
	rcount++;
}

/* s[0..n) with invalid UTF-8 replaced by U+FFFD, as a json string. */
static json_object *
json_utf8_string(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b;
	json_object *o;
	size_t i, k, len;

	buf_init(&b, 0);
	for (i = 0; i < n; i += len) {
		len = 1;
		if (p[i] >= 0x80) {
			if (p[i] >= 0xc2 && p[i] <= 0xdf)
				len = 2;
			else if (p[i] >= 0xe0 && p[i] <= 0xef)
				len = 3;
			else if (p[i] >= 0xf0 && p[i] <= 0xf4)
				len = 4;
			else
				len = 0;
			for (k = 1; len > 0 && k < len; k++) {
				if (i + k >= n || (p[i + k] & 0xc0) != 0x80)
					len = 0;
			}
			if (len == 0) {
				(void)buf_add(&b, "\xef\xbf\xbd", 3);
				len = 1;
				continue;
			}
		}
		(void)buf_add(&b, s + i, len);
	}
	o = json_object_new_string_len(b.data != NULL ? b.data : "",
	    (int)b.len);
	buf_free(&b);
	return o;
}

static json_object *
rec_headers(const char *h, size_t n)
{
	json_object *o, *old;
	const char *end, *le, *colon, *v, *ve;
	char name[256];
	size_t nl, i;
	struct buf joined;

	o = json_object_new_object();
	end = h + n;
	for (; h < end; h = le + 2) {
		le = memmem(h, (size_t)(end - h), "\r\n", 2);
		if (le == NULL)
			le = end;
		colon = memchr(h, ':', (size_t)(le - h));
		if (colon == NULL)
			continue;
		nl = (size_t)(colon - h);
		if (nl >= sizeof(name))
			nl = sizeof(name) - 1;
		for (i = 0; i < nl; i++)
			name[i] = (char)tolower((unsigned char)h[i]);
		name[nl] = '\0';
		v = colon + 1;
		while (v < le && (*v == ' ' || *v == '\t'))
			v++;
		ve = le;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (json_object_object_get_ex(o, name, &old)) {
			buf_init(&joined, 0);
			(void)buf_addf(&joined, "%s, %.*s",
			    json_object_get_string(old), (int)(ve - v), v);
			json_object_object_add(o, name, json_utf8_string(
			    joined.data != NULL ? joined.data : "",
			    joined.len));
			buf_free(&joined);
		} else
			json_object_object_add(o, name,
			    json_utf8_string(v, (size_t)(ve - v)));
		if (le == end)
			break;
	}
	return o;
}

static json_object *
rec_body(const char *b, size_t n)
{
	json_tokener *tok;
	json_object *o;

	if (n == 0 || n > INT32_MAX)
		return json_utf8_string(b, n);
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, b, (int)n);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o == NULL)
		o = json_utf8_string(b, n);
	return o;
}

static json_object *
rec_to_json(const struct rec *e)
{
	json_object *o;
	const char *d, *q;
	size_t plen;

	d = e->data.data;
	o = json_object_new_object();
	json_object_object_add(o, "n", json_object_new_int64((int64_t)e->n));
	json_object_object_add(o, "method", json_utf8_string(d, e->mlen));
	d += e->mlen;
	q = memchr(d, '?', e->tlen);
	plen = q != NULL ? (size_t)(q - d) : e->tlen;
	json_object_object_add(o, "path", json_utf8_string(d, plen));
	json_object_object_add(o, "query", q != NULL ?
	    json_utf8_string(q + 1, e->tlen - plen - 1) :
	    json_object_new_string(""));
	d += e->tlen;
	json_object_object_add(o, "headers", rec_headers(d, e->hlen));
	d += e->hlen;
	json_object_object_add(o, "body", rec_body(d, e->blen));
	json_object_object_add(o, "body_length",
	    json_object_new_int64((int64_t)e->body_total));
	if (e->body_total > e->blen)
		json_object_object_add(o, "body_truncated",
		    json_object_new_boolean(1));
	json_object_object_add(o, "time_ms", json_object_new_int64(
	    e->time_ms));
	return o;
}

/* --- answers ------------------------------------------------------- */

/* Answer with o (put here) as JSON; delayed when ms > 0. */
static void
answer_obj(struct conn *c, int status, json_object *o, long ms)
{
	const char *s;
	struct buf *out;

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (ms > 0) {
		out = &conn_job(c)->data;
		buf_reset(out);
	} else
		out = conn_out(c);
	resp_jsonstr(out, conn_keepalive(c), status, s);
	json_object_put(o);
	if (ms > 0)
		conn_send_later(c, ms);
}

static int
oauth_error(struct conn *c, int status, const char *err, const char *desc,
    long ms)
{
	json_object *o;

	o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(err));
	if (desc != NULL)
		json_object_object_add(o, "error_description",
		    json_object_new_string(desc));
	answer_obj(c, status, o, ms);
	return status;
}

static const char *
get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return NULL;
	return json_object_get_string(v);
}

static json_object *
parse_body(const struct mreq *r)
{
	json_tokener *tok;
	json_object *o;

	if (r->blen == 0 || r->blen > INT32_MAX)
		return NULL;
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, r->body, (int)r->blen);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != r->blen)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

int
state_refresh(struct conn *c, const struct mreq *r, int idc)
{
	json_object *body, *o;
	const char *rt, *gt;
	char at_new[64], rt_new[64], desc[64];
	ssize_t i;
	long ms;
	int status;

	state_count(idc ? "refresh_idc" : "refresh_social");
	state_record(r);
	ms = refresh_delay_ms;
	if (refresh_status != 0) {
		(void)snprintf(desc, sizeof(desc), "mock forced status %d",
		    refresh_status);
		return oauth_error(c, refresh_status,
		    refresh_status >= 400 && refresh_status < 500 ?
		    "invalid_grant" : "server_error", desc, ms);
	}
	body = parse_body(r);
	if (body == NULL)
		return oauth_error(c, 400, "invalid_request", NULL, ms);
	rt = get_str(body, "refreshToken");
	if (idc) {
		gt = get_str(body, "grantType");
		if (gt == NULL || strcmp(gt, "refresh_token") != 0 ||
		    get_str(body, "clientId") == NULL ||
		    get_str(body, "clientSecret") == NULL || rt == NULL) {
			json_object_put(body);
			return oauth_error(c, 400, "invalid_request", NULL, ms);
		}
	} else if (rt == NULL) {
		json_object_put(body);
		return oauth_error(c, 400, "invalid_request", NULL, ms);
	}
	i = rtok_find(rt);
	json_object_put(body);
	if (i < 0)
		return oauth_error(c, 400, "invalid_grant",
		    "Invalid refresh token", ms);

	issued++;
	(void)snprintf(at_new, sizeof(at_new), "mock-access-%llu",
	    (unsigned long long)issued);
	(void)snprintf(rt_new, sizeof(rt_new), "mock-refresh-%llu",
	    (unsigned long long)issued);
	if (mopts.rotate_invalidates) {
		if (rtoks[i].at != NULL)
			tok_del(&access_set, rtoks[i].at);
		rtok_del((size_t)i);
	}
	status = 200;
	if (tok_add(&access_set, at_new) == -1 ||
	    rtok_add(rt_new, at_new) == -1)
		return oauth_error(c, 500, "server_error", "out of memory", ms);
	state_save();

	o = json_object_new_object();
	json_object_object_add(o, "accessToken",
	    json_object_new_string(at_new));
	if (idc) {
		json_object_object_add(o, "tokenType",
		    json_object_new_string("Bearer"));
		json_object_object_add(o, "expiresIn",
		    json_object_new_int64(mopts.expires_in));
		json_object_object_add(o, "refreshToken",
		    json_object_new_string(rt_new));
	} else {
		json_object_object_add(o, "refreshToken",
		    json_object_new_string(rt_new));
		json_object_object_add(o, "profileArn",
		    json_object_new_string(PROFILE_ARN));
		json_object_object_add(o, "expiresIn",
		    json_object_new_int64(mopts.expires_in));
	}
	answer_obj(c, status, o, ms);
	return status;
}

/* --- the control API ----------------------------------------------- */

static int
control_error(struct conn *c, int status, const char *msg)
{
	json_object *o;

	o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_string(msg));
	answer_obj(c, status, o, 0);
	return status;
}

static int
is_str_array(json_object *v)
{
	size_t i;

	if (!json_object_is_type(v, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(v); i++) {
		if (!json_object_is_type(json_object_array_get_idx(v, i),
		    json_type_string))
			return 0;
	}
	return 1;
}

static int
is_int_in(json_object *v, int64_t min, int64_t max)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return 0;
	x = json_object_get_int64(v);
	return x >= min && x <= max;
}

/* Check one config member; NULL if fine, else why not. */
static const char *
config_check(const char *k, json_object *v)
{
	if (strcmp(k, "valid_tokens") == 0 || strcmp(k, "refresh_tokens") == 0)
		return is_str_array(v) ? NULL : "wants an array of strings";
	if (strcmp(k, "add_token") == 0 || strcmp(k, "revoke_token") == 0 ||
	    strcmp(k, "add_refresh_token") == 0)
		return json_object_is_type(v, json_type_string) ? NULL :
		    "wants a string";
	if (strcmp(k, "refresh_status") == 0)
		return is_int_in(v, 0, 599) && (json_object_get_int64(v) == 0 ||
		    json_object_get_int64(v) >= 100) ? NULL :
		    "wants 0 or an HTTP status";
	if (strcmp(k, "refresh_delay_ms") == 0)
		return is_int_in(v, 0, 600000) ? NULL :
		    "wants 0 to 600000";
	if (strcmp(k, "expires_in") == 0)
		return is_int_in(v, 0, 100000000) ? NULL :
		    "wants 0 to 100000000";
	if (strcmp(k, "any_token") == 0 ||
	    strcmp(k, "rotate_invalidates") == 0)
		return json_object_is_type(v, json_type_boolean) ? NULL :
		    "wants a boolean";
	return "unknown member";
}

static void
config_apply(const char *k, json_object *v)
{
	size_t i;

	if (strcmp(k, "valid_tokens") == 0) {
		tok_clear(&access_set);
		for (i = 0; i < json_object_array_length(v); i++)
			(void)tok_add(&access_set, json_object_get_string(
			    json_object_array_get_idx(v, i)));
	} else if (strcmp(k, "refresh_tokens") == 0) {
		rtok_clear();
		for (i = 0; i < json_object_array_length(v); i++)
			(void)rtok_add(json_object_get_string(
			    json_object_array_get_idx(v, i)), NULL);
	} else if (strcmp(k, "add_token") == 0)
		(void)tok_add(&access_set, json_object_get_string(v));
	else if (strcmp(k, "revoke_token") == 0)
		tok_del(&access_set, json_object_get_string(v));
	else if (strcmp(k, "add_refresh_token") == 0)
		(void)rtok_add(json_object_get_string(v), NULL);
	else if (strcmp(k, "refresh_status") == 0)
		refresh_status = (int)json_object_get_int64(v);
	else if (strcmp(k, "refresh_delay_ms") == 0)
		refresh_delay_ms = (long)json_object_get_int64(v);
	else if (strcmp(k, "expires_in") == 0)
		mopts.expires_in = (long)json_object_get_int64(v);
	else if (strcmp(k, "any_token") == 0)
		mopts.any_token = json_object_get_boolean(v);
	else if (strcmp(k, "rotate_invalidates") == 0)
		mopts.rotate_invalidates = json_object_get_boolean(v);
}

static int
control_config(struct conn *c, const struct mreq *r)
{
	json_object *body;
	const char *why;
	char msg[256];

	body = parse_body(r);
	if (body == NULL)
		return control_error(c, 400, "mock: config wants a JSON "
		    "object");
	json_object_object_foreach(body, k, v) {
		why = config_check(k, v);
		if (why != NULL) {
			(void)snprintf(msg, sizeof(msg), "mock: config %.64s: "
			    "%s", k, why);
			json_object_put(body);
			return control_error(c, 400, msg);
		}
	}
	json_object_object_foreach(body, k2, v2)
		config_apply(k2, v2);
	json_object_put(body);
	state_save();
	return control_error(c, 200, "ok");
}

static json_object *
config_to_json(void)
{
	json_object *o, *a;
	size_t i;

	o = json_object_new_object();
	a = json_object_new_array();
	for (i = 0; i < access_set.n; i++)
		json_object_array_add(a,
		    json_object_new_string(access_set.v[i]));
	json_object_object_add(o, "valid_tokens", a);
	a = json_object_new_array();
	for (i = 0; i < nrtoks; i++)
		json_object_array_add(a, json_object_new_string(rtoks[i].rt));
	json_object_object_add(o, "refresh_tokens", a);
	json_object_object_add(o, "refresh_status",
	    json_object_new_int(refresh_status));
	json_object_object_add(o, "refresh_delay_ms",
	    json_object_new_int64(refresh_delay_ms));
	json_object_object_add(o, "expires_in",
	    json_object_new_int64(mopts.expires_in));
	json_object_object_add(o, "any_token",
	    json_object_new_boolean(mopts.any_token));
	json_object_object_add(o, "rotate_invalidates",
	    json_object_new_boolean(mopts.rotate_invalidates));
	return o;
}

static int
path_is(const struct mreq *r, const char *p)
{
	return r->plen == strlen(p) && memcmp(r->path, p, r->plen) == 0;
}

static int
method_is(const struct mreq *r, const char *m)
{
	return r->mlen == strlen(m) && memcmp(r->method, m, r->mlen) == 0;
}

int
state_control(struct conn *c, const struct mreq *r)
{
	json_object *o;
	size_t i;
	int k;

	if (path_is(r, "/_mock/requests") && method_is(r, "GET")) {
		o = json_object_new_array();
		for (i = 0; i < rcount; i++)
			json_object_array_add(o,
			    rec_to_json(&recs[(rhead + i) % MAX_RECS]));
		answer_obj(c, 200, o, 0);
		return 200;
	}
	if (path_is(r, "/_mock/stats") && method_is(r, "GET")) {
		o = json_object_new_object();
		for (k = 0; k < ST_COUNT; k++)
			json_object_object_add(o, stat_names[k],
			    json_object_new_int64(stats[k]));
		answer_obj(c, 200, o, 0);
		return 200;
	}
	if (path_is(r, "/_mock/reset") && method_is(r, "POST")) {
		records_clear();
		dcounts_clear();
		memset(stats, 0, sizeof(stats));
		return control_error(c, 200, "ok");
	}
	if (path_is(r, "/_mock/config") && method_is(r, "POST"))
		return control_config(c, r);
	if (path_is(r, "/_mock/config") && method_is(r, "GET")) {
		answer_obj(c, 200, config_to_json(), 0);
		return 200;
	}
	return control_error(c, 404, "mock: no such endpoint");
}

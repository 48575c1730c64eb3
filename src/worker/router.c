/*
 * router.c: route table, provider selection and early answers (see
 * router.h), and the error bodies of each dialect.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "handlers.h"
#include "jsonw.h"
#include "router.h"
#include "util.h"

#define ANY_METHOD	NULL

struct route {
	const char	*method;
	const char	*path;
	enum dialect	 dialect;
	int		 auth;
	int		 body;
	route_fn	 fn;
	const char	*name;
};

static const struct route routes[] = {
	{ "GET", "/health", DIALECT_OPENAI, 0, 0, h_health, "health" },
	{ "GET", "/v1/models", DIALECT_OPENAI, 1, 0, h_openai_models,
	    "models" },
	{ "POST", "/v1/chat/completions", DIALECT_OPENAI, 1, 1,
	    h_openai_chat, "chat.completions" },
	{ "POST", "/v1/messages", DIALECT_CLAUDE, 1, 1, h_claude_messages,
	    "messages" },
	{ "POST", "/v1/messages/count_tokens", DIALECT_CLAUDE, 1, 1,
	    h_claude_count_tokens, "count_tokens" },
	{ "GET", "/v1beta/models", DIALECT_GEMINI, 1, 0, h_gemini_models,
	    "gemini.models" },
};

enum dialect
router_dialect_of(const char *path)
{
	const char *slash;
	size_t i, n;

	/* skip a provider prefix */
	slash = strchr(path + 1, '/');
	for (i = 0; slash != NULL && conf_provider_types[i] != NULL; i++) {
		n = strlen(conf_provider_types[i]);
		if ((size_t)(slash - path - 1) >= n &&
		    strncmp(path + 1, conf_provider_types[i], n) == 0) {
			path = slash;
			break;
		}
	}
	if (strncmp(path, "/v1/messages", 12) == 0 &&
	    (path[12] == '\0' || path[12] == '/' || path[12] == '?'))
		return DIALECT_CLAUDE;
	if (strncmp(path, "/v1beta/", 8) == 0 || strcmp(path, "/v1beta") == 0)
		return DIALECT_GEMINI;
	return DIALECT_OPENAI;
}

void
api_json(struct request *r, int status, const char *body, size_t len)
{
	conn_respond(r->c, status, "application/json", body, len, NULL);
}

void
api_error(struct request *r, int status, const char *fmt, ...)
{
	struct buf b;
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_init(&b, 16384);
	if (dialect_error_body(&b, r->dialect, status, msg) == -1) {
		buf_free(&b);
		conn_respond(r->c, 500, "application/json",
		    "{\"error\":{\"message\":\"internal error\"}}", 38, NULL);
		return;
	}
	conn_respond(r->c, status, "application/json", b.data, b.len, NULL);
	buf_free(&b);
}

/* Is s a provider type or a custom group of one?  Returns the spelling
 * to use (static for known types, s itself for groups), else NULL. */
static const char *
provider_name(const char *s, size_t len, int exact_case)
{
	size_t i, n;
	const char *t;

	for (i = 0; conf_provider_types[i] != NULL; i++) {
		t = conf_provider_types[i];
		n = strlen(t);
		if (len == n && (exact_case ? strncmp(s, t, n) == 0 :
		    strncasecmp(s, t, n) == 0))
			return t;
		if (len > n + 1 && strncmp(s, t, n) == 0 && s[n] == '-')
			return s;
	}
	return NULL;
}

static void
early(struct request *r, int status, const char *msg)
{
	r->early_status = status;
	snprintf(r->early_msg, sizeof(r->early_msg), "%s", msg);
}

/* Gemini: /v1beta/models/{model}[:generateContent|:streamGenerateContent] */
static int
route_gemini(struct request *r, const char *method)
{
	static const char pfx[] = "/v1beta/models/";
	static const char gen[] = ":generateContent";
	static const char sgen[] = ":streamGenerateContent";
	const char *rest = r->path + sizeof(pfx) - 1;
	size_t len = strlen(rest), mlen;
	char alt[16];

	if (strncmp(r->path, pfx, sizeof(pfx) - 1) != 0 || len == 0)
		return 0;
	r->dialect = DIALECT_GEMINI;
	if (len > sizeof(sgen) - 1 &&
	    strcmp(rest + len - (sizeof(sgen) - 1), sgen) == 0) {
		mlen = len - (sizeof(sgen) - 1);
		r->gemini_stream = 1;
	} else if (len > sizeof(gen) - 1 &&
	    strcmp(rest + len - (sizeof(gen) - 1), gen) == 0) {
		mlen = len - (sizeof(gen) - 1);
	} else {
		/* GET /v1beta/models/{model} */
		if (strchr(rest, '/') != NULL || strchr(rest, ':') != NULL)
			return 0;
		if (strcmp(method, "GET") != 0) {
			r->early_allow = "GET, OPTIONS";
			early(r, 405, "Method Not Allowed");
			return 1;
		}
		if (len >= sizeof(r->model))
			return 0;
		memcpy(r->model, rest, len + 1);
		r->handler = h_gemini_model;
		r->route = "gemini.model";
		return 1;
	}
	if (mlen == 0 || mlen >= sizeof(r->model))
		return 0;
	memcpy(r->model, rest, mlen);
	r->model[mlen] = '\0';
	if (strcmp(method, "POST") != 0) {
		r->early_allow = "POST, OPTIONS";
		early(r, 405, "Method Not Allowed");
		return 1;
	}
	if (http_query_get(r->c->req.query, "alt", alt, sizeof(alt)) >= 0 &&
	    strcmp(alt, "sse") == 0)
		r->gemini_sse = 1;
	r->handler = h_gemini_generate;
	r->route = r->gemini_stream ? "gemini.streamGenerateContent" :
	    "gemini.generateContent";
	r->needs_body = 1;
	return 1;
}

void
router_route(struct request *r, struct conn *c, const struct conf *conf)
{
	const struct http_parser *p = &c->req;
	const char *path = p->path, *seg, *slash, *hdr, *pn;
	size_t i, len, seglen;
	int path_known = 0;
	char allow[64];

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->conf = conf;
	r->t0 = mono_ms();
	r->route = "-";
	r->provider = conf->model_providers[0];

	/* Provider prefix: /claude-kiro-oauth/v1/messages */
	seg = path + 1;
	slash = strchr(seg, '/');
	seglen = slash ? (size_t)(slash - seg) : strlen(seg);
	pn = seglen > 0 ? provider_name(seg, seglen, 1) : NULL;
	if (pn != NULL && pn != seg) {
		r->provider = pn;
		r->provider_from_prefix = 1;
		path = slash ? slash : "/";
	} else if (pn == seg) {
		/* custom group: keep its own spelling */
		static char group[128];

		if (seglen < sizeof(group)) {
			memcpy(group, seg, seglen);
			group[seglen] = '\0';
			r->provider = group;
			r->provider_from_prefix = 1;
			path = slash ? slash : "/";
		}
	}
	len = strlen(path);
	if (len >= sizeof(r->path))
		len = sizeof(r->path) - 1;
	memcpy(r->path, path, len);
	r->path[len] = '\0';
	/* HEAD: one trailing slash is tolerated */
	if (len > 1 && r->path[len - 1] == '/')
		r->path[--len] = '\0';
	r->dialect = router_dialect_of(r->path);

	if (strcmp(p->method, "OPTIONS") == 0) {
		r->early_status = 204;
		r->route = "preflight";
		return;
	}

	/* model-provider header (the path prefix wins over it) */
	hdr = http_header_get(p, "model-provider");
	if (!r->provider_from_prefix && hdr != NULL && *hdr != '\0') {
		pn = provider_name(hdr, strlen(hdr), 0);
		if (pn == NULL) {
			snprintf(r->early_msg, sizeof(r->early_msg),
			    "Provider %.64s in header is not available.", hdr);
			r->early_status = 400;
			return;
		}
		r->provider = pn;
	}

	if (strcmp(r->path, "/health") == 0) {
		if (strcmp(p->method, "GET") != 0 &&
		    strcmp(p->method, "HEAD") != 0) {
			r->early_allow = "GET, OPTIONS";
			early(r, 405, "Method Not Allowed");
			return;
		}
		r->handler = h_health;
		r->route = "health";
		return;
	}

	if (!clientauth_ok(p, conf)) {
		early(r, 401, "Unauthorized: API key is invalid or missing.");
		r->route = "unauthorized";
		return;
	}
	r->authorized = 1;

	if (route_gemini(r, p->method))
		return;
	allow[0] = '\0';
	for (i = 0; i < nitems(routes); i++) {
		if (strcmp(routes[i].path, r->path) != 0)
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, p->method) == 0) {
			r->dialect = routes[i].dialect;
			r->handler = routes[i].fn;
			r->route = routes[i].name;
			r->needs_body = routes[i].body;
			return;
		}
		strlcat(allow, routes[i].method, sizeof(allow));
		strlcat(allow, ", ", sizeof(allow));
	}
	if (path_known) {
		static char allow_hdr[80];

		snprintf(allow_hdr, sizeof(allow_hdr), "%sOPTIONS", allow);
		r->early_allow = allow_hdr;
		early(r, 405, "Method Not Allowed");
		return;
	}
	early(r, 404, "Not Found");
	r->early_generic = 1;
	r->route = "not_found";
}

void
router_answer_early(struct request *r)
{
	char extra[128];

	switch (r->early_status) {
	case 204:
		conn_respond(r->c, 204, NULL, NULL, 0, NULL);
		return;
	case 404:
		{
			static const char nf[] =
			    "{\"error\":{\"message\":\"Not Found\"}}";

			api_json(r, 404, nf, sizeof(nf) - 1);
			return;
		}
	case 405:
		{
			struct buf b;

			buf_init(&b, 4096);
			snprintf(extra, sizeof(extra), "Allow: %s\r\n",
			    r->early_allow ? r->early_allow : "OPTIONS");
			dialect_error_body(&b, r->dialect, 405, r->early_msg);
			conn_respond(r->c, 405, "application/json", b.data,
			    b.len, extra);
			buf_free(&b);
			return;
		}
	default:
		api_error(r, r->early_status, "%s", r->early_msg);
		return;
	}
}

/*
 * api.c: the route handlers: health, generation (through generate.c),
 * model lists and token counting.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "generate.h"
#include "handlers.h"
#include "providers.h"
#include "jsonw.h"
#include "scoreboard.h"
#include "util.h"

/* GET /health: never touches an upstream or an account. */
void
h_health(struct request *r)
{
	struct buf b;
	char ts[40];
	int64_t now = wall_ms();
	int i, total = 0, busy = 0;
	uint32_t gen = atomic_load(&sb->generation), st;

	for (i = 0; i < SB_SLOTS; i++) {
		if (atomic_load(&sb->w[i].pid) == 0 ||
		    atomic_load(&sb->w[i].generation) != gen)
			continue;
		st = atomic_load(&sb->w[i].state);
		if (st == SB_FREE || st == SB_EXITING)
			continue;
		total++;
		if (st == SB_READ || st == SB_BUSY || st == SB_KEEPALIVE)
			busy++;
	}
	iso8601_utc(now, ts, sizeof(ts));
	buf_init(&b, 4096);
	buf_addstr(&b, "{\"status\":\"healthy\",\"timestamp\":");
	jw_cstr(&b, ts);
	buf_addstr(&b, ",\"provider\":");
	jw_cstr(&b, r->provider);
	buf_addstr(&b, ",\"version\":\"" VERSION "\",\"uptime\":");
	jw_int(&b, (now - sb->started_ms) / 1000);
	buf_addf(&b, ",\"workers\":{\"total\":%d,\"busy\":%d,\"idle\":%d,"
	    "\"generation\":%u}}", total, busy, total - busy, gen);
	api_json(r, 200, b.data, b.len);
	buf_free(&b);
}

/* ---- generation ----------------------------------------------------------- */

void
h_openai_chat(struct request *r)
{
	generate(r, DIALECT_OPENAI);
}

void
h_claude_messages(struct request *r)
{
	generate(r, DIALECT_CLAUDE);
}

void
h_gemini_generate(struct request *r)
{
	generate(r, DIALECT_GEMINI);
}

/* ---- model lists -------------------------------------------------------------- */

static int
provider_models(struct request *r, struct arena *a, struct c_model **m,
    size_t *n)
{
	const struct provider *p = provider_find(r->provider);

	if (p == NULL || p->models == NULL) {
		api_error(r, 501, "provider %s is not available in aiclientd "
		    "%s", r->provider, VERSION);
		return -1;
	}
	if (p->models(r->conf, a, m, n) == -1) {
		api_error(r, 500, "could not list the models");
		return -1;
	}
	return 0;
}

static void
models(struct request *r, enum dialect dl, const char *one)
{
	const struct dialect_ops *d = dialect_get(dl);
	struct c_opts o;
	struct c_model *m;
	struct arena a;
	struct buf b;
	size_t n, i;
	int rc;

	arena_init(&a, 0);
	if (provider_models(r, &a, &m, &n) == -1) {
		arena_free(&a);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.created = sb->started_ms / 1000;
	buf_init(&b, 0);
	if (one != NULL) {
		for (i = 0; i < n; i++)
			if (strcmp(m[i].id, one) == 0)
				break;
		if (i == n) {
			api_error(r, 404, "model %s is not served by %s", one,
			    r->provider);
			buf_free(&b);
			arena_free(&a);
			return;
		}
		rc = d->encode_model ? d->encode_model(&m[i], &o, &b) : -1;
	} else
		rc = d->encode_models(m, n, &o, &b);
	if (rc == -1)
		api_error(r, 500, "could not encode the model list");
	else
		api_json(r, 200, b.data, b.len);
	buf_free(&b);
	arena_free(&a);
}

void
h_openai_models(struct request *r)
{
	models(r, DIALECT_OPENAI, NULL);
}

void
h_gemini_models(struct request *r)
{
	models(r, DIALECT_GEMINI, NULL);
}

void
h_gemini_model(struct request *r)
{
	const char *m = r->model;

	if (strncmp(m, "models/", 7) == 0)
		m += 7;
	models(r, DIALECT_GEMINI, m);
}

/*
 * POST /v1/messages/count_tokens: a local estimate (DESIGN decision 21),
 * never an upstream call.
 */
void
h_claude_count_tokens(struct request *r)
{
	const struct http_parser *p = &r->c->req;
	struct c_request req;
	json_object *body;
	struct arena a;
	char err[1024], out[64];
	int n;

	body = json_tokener_parse(p->body.len ? p->body.data : "");
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		json_object_put(body);
		api_error(r, 400, "the request body is not a valid JSON "
		    "object");
		return;
	}
	arena_init(&a, 256 * 1024 * 1024);
	memset(&req, 0, sizeof(req));
	if (dialect_claude.decode_request(body, NULL, 0, &req, &a, err,
	    sizeof(err)) == -1) {
		api_error(r, 400, "%s", err);
	} else {
		n = snprintf(out, sizeof(out), "{\"input_tokens\":%lld}",
		    (long long)c_est_request(&req));
		api_json(r, 200, out, (size_t)n);
	}
	json_object_put(body);
	arena_free(&a);
}

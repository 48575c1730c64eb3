/*
 * kiro.c: the claude-kiro-oauth provider's call (spec/kiro.md §4, §8):
 * account choice, headers, the streaming HTTP call, and the retry and
 * failover policy of §8.4 with DESIGN decision 8:
 *
 *   400            no retry; "prompt is too long: ..." for oversize input
 *   401, any 403   the master refreshes the token once, same account,
 *                  one retry; a second failure: 403 classifier decides
 *   402            account out (quota), next account
 *   429, 5xx, net  back off REQUEST_BASE_DELAY * 2^k, k < REQUEST_MAX_RETRIES,
 *                  preferring another account
 *
 * Retries happen only while nothing has reached the client.  Every
 * failed attempt is reported to the master (ACCOUNT_FAILED).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "generate.h"
#include "kiro.h"
#include "log.h"
#include "providers.h"
#include "scoreboard.h"
#include "upstream.h"
#include "util.h"
#include "wacct.h"

#define KIRO_NAME	"claude-kiro-oauth"

struct kcall {
	struct gen		*g;
	struct kiro_stream	*ks;
	int			 failed;	/* the decoder stopped */
};

static int
on_data(void *arg, const char *p, size_t n)
{
	struct kcall *k = arg;
	int rc;

	gen_batch(k->g);
	rc = kiro_stream_feed(k->ks, p, n);
	if (gen_flush(k->g) == -1 || rc == -1) {
		k->failed = 1;
		return -1;
	}
	return 0;
}

static int
on_tick(void *arg)
{
	struct kcall *k = arg;

	return gen_tick(k->g);
}

/* "linux#6.1.0-18-amd64" (kiro.md §4.2), or KIRO_OS. */
static const char *
os_string(const struct conf *c)
{
	static char os[160];
	struct utsname u;
	size_t i;

	if (c->kiro_os != NULL)
		return c->kiro_os;
	if (os[0] != '\0')
		return os;
	if (uname(&u) == -1)
		return "linux#unknown";
	for (i = 0; u.sysname[i] != '\0'; i++)
		u.sysname[i] = (char)tolower((unsigned char)u.sysname[i]);
	snprintf(os, sizeof(os), "%s#%s", strcmp(u.sysname, "darwin") == 0 ?
	    "macos" : u.sysname, u.release);
	return os;
}

/* The message of an upstream error body (JSON message or raw text). */
static void
error_text(struct upstream_call *u, char *out, size_t len, char *reason,
    size_t rlen)
{
	json_object *o, *v;

	out[0] = '\0';
	reason[0] = '\0';
	o = u->errbody.len > 0 ? json_tokener_parse(u->errbody.data) : NULL;
	if (o != NULL && json_object_is_type(o, json_type_object)) {
		if ((json_object_object_get_ex(o, "message", &v) ||
		    json_object_object_get_ex(o, "Message", &v)) &&
		    json_object_is_type(v, json_type_string))
			snprintf(out, len, "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "reason", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(reason, rlen, "%s", json_object_get_string(v));
	}
	json_object_put(o);
	if (out[0] == '\0' && u->errbody.len > 0)
		snprintf(out, len, "%.*s", (int)(u->errbody.len > 2000 ? 2000 :
		    u->errbody.len), u->errbody.data);
	if (out[0] == '\0')
		snprintf(out, len, "HTTP %ld", u->status);
}

/* kiro.md §8.1: is this 403 about the token? */
static int
token_related_403(const char *body)
{
	static const char *const not_token[] = { "temporarily is suspended",
	    "temporarily suspended", "disabled", "violation of terms",
	    "terms of service", "appeal", "quota", "limit exceeded",
	    "payment required", "not authorized to access", "not allowed" };
	static const char *const kind[] = { "token", "authorization",
	    "authenticate", "credential" };
	static const char *const state[] = { "expired", "invalid",
	    "unauthorized" };
	size_t i;
	int a = 0, b = 0;

	for (i = 0; i < nitems(not_token); i++)
		if (strcasestr(body, not_token[i]) != NULL)
			return 0;
	for (i = 0; i < nitems(kind); i++)
		a |= strcasestr(body, kind[i]) != NULL;
	for (i = 0; i < nitems(state); i++)
		b |= strcasestr(body, state[i]) != NULL;
	return a && b;
}

static int
too_long(const char *msg, const char *reason)
{
	return strcasestr(msg, "too long") != NULL ||
	    strcmp(reason, "CONTENT_LENGTH_EXCEEDS_THRESHOLD") == 0;
}

/* Build the header list of §4.2 into h (strings in the arena). */
static void
headers(struct gen *g, const struct account_view *v, const char **h)
{
	struct arena *a = g->a;
	const struct conf *c = g->conf;
	char inv[37];
	const char *mid = v->machine_id ? v->machine_id : "";
	int n = 0;

	uuid_v4(inv);
	h[n++] = "Content-Type: application/json";
	h[n++] = "Accept: application/json";
	h[n++] = arena_printf(a, "Authorization: Bearer %s", v->access_token);
	h[n++] = arena_printf(a, "amz-sdk-invocation-id: %s", inv);
	h[n++] = "amz-sdk-request: attempt=1; max=3";
	h[n++] = "x-amzn-kiro-agent-mode: vibe";
	h[n++] = "x-amzn-codewhisperer-optout: true";
	h[n++] = arena_printf(a, "x-amz-user-agent: aws-sdk-js/1.0.34 "
	    "KiroIDE-%s-%s", c->kiro_version, mid);
	h[n++] = arena_printf(a, "User-Agent: aws-sdk-js/1.0.34 ua/2.1 os/%s "
	    "lang/js md/nodejs#%s api/codewhispererstreaming#1.0.34 m/E "
	    "KiroIDE-%s-%s", os_string(c), c->kiro_node_version,
	    c->kiro_version, mid);
	h[n] = NULL;
}

/* Unknown model: 400 listing the known names (DESIGN decision 16). */
static void
unknown_model(struct gen *g)
{
	const char **names;
	struct buf b;
	size_t i, n;

	n = kiro_model_names(g->conf, g->a, &names);
	buf_init(&b, 16384);
	for (i = 0; i < n; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", names[i]);
	gen_fail(g, 400, "invalid_request_error", "model: unknown model "
	    "'%s' for claude-kiro-oauth; known models: %s", g->req->model,
	    b.data ? b.data : "(none)");
	buf_free(&b);
}

static void
kiro_generate(struct gen *g)
{
	const struct conf *c = g->conf;
	const struct account_view *v;
	struct wacct_tried tried;
	struct kiro_stream_opts so;
	struct kiro_req kr;
	struct upstream_call u;
	struct kcall kc;
	struct buf body;
	const char *hdr[16], *model_id;
	char why[512], msg[2048], reason[128], msg_id[40], *url;
	int idx, refreshed = 0, backoff_k = 0, st, rc, final_status = 0;
	int64_t delay;

	model_id = kiro_model_id(c, g->req->model);
	if (model_id == NULL) {
		unknown_model(g);
		return;
	}
	memset(&tried, 0, sizeof(tried));
	buf_init(&body, 0);
	idx = -1;
	for (;;) {
		if (idx == -1) {
			idx = wacct_pick(KIRO_NAME, &tried, why, sizeof(why));
			if (idx == -1) {
				if (final_status == 0)
					gen_fail(g, 503, "overloaded_error",
					    "no usable claude-kiro-oauth "
					    "account: %s%s", why,
					    strcmp(why, "no credentials "
					    "configured") == 0 ? " (log in with "
					    "the Kiro IDE, or set KIRO_OAUTH_"
					    "CREDS_FILE_PATH; see aiclient.yaml"
					    "(5))" : "");
				break;
			}
			refreshed = 0;
		}
		v = wacct_get((uint32_t)idx);
		snprintf(g->r->account, sizeof(g->r->account), "%s", v->id);
		memset(&kr, 0, sizeof(kr));
		kr.model_id = model_id;
		kr.profile_arn = v->profile_arn;
		buf_reset(&body);
		if (kiro_build_request(g->req, &kr, g->a, &body, msg,
		    sizeof(msg)) == -1) {
			wacct_release(idx, 0, 0, 0);
			gen_fail(g, 400, "invalid_request_error", "%s", msg);
			break;
		}
		if (gen_attempt(g) == -1) {
			wacct_release(idx, 0, 0, 0);
			break;
		}
		c_make_id(msg_id, sizeof(msg_id), "msg_");
		memset(&so, 0, sizeof(so));
		so.msg_id = msg_id;
		so.model = g->req->model;
		so.thinking = kr.thinking;
		so.bracket_tool_calls = c->kiro_bracket_tool_calls;
		so.dedupe = c->kiro_dedupe_consecutive_fragments;
		so.aliases = kr.aliases;
		so.naliases = kr.naliases;
		so.tool_names = kr.tool_names;
		so.ntool_names = kr.ntool_names;
		so.input_estimate = kr.input_estimate;
		so.context_window = kiro_context_window(c, g->req->model);
		kc.g = g;
		kc.failed = 0;
		kc.ks = kiro_stream_new(g->a, g->sink, &so);
		if (kc.ks == NULL) {
			wacct_release(idx, 1, 0, 0);
			gen_fail(g, 500, "api_error", "out of memory");
			break;
		}
		headers(g, v, hdr);
		url = url_region(c->kiro_base_url, v->region);
		if (url == NULL) {
			wacct_release(idx, 0, 0, 0);
			gen_fail(g, 500, "api_error", "out of memory");
			break;
		}
		upstream_init(&u);
		u.url = url;
		u.headers = hdr;
		u.body = body.data;
		u.body_len = body.len;
		u.connect_timeout_s = c->upstream_connect_timeout_seconds;
		u.idle_timeout_s = c->upstream_idle_timeout_seconds;
		u.on_data = on_data;
		u.on_tick = on_tick;
		u.arg = &kc;
		rc = upstream_perform(&u);
		free(url);
		st = (int)u.status;
		if (g->client_gone) {
			wacct_release(idx, 0, 0, 0);
			upstream_done(&u);
			break;
		}
		if (st >= 200 && st < 300 && u.content_type[0] != '\0' &&
		    strncasecmp(u.content_type,
		    "application/vnd.amazon.eventstream", 34) != 0) {
			/* kiro.md §6.1 [REC] */
			kc.failed = 1;
			gen_fail(g, 502, "api_error", "upstream answered 200 "
			    "with Content-Type %s", u.content_type);
		} else if (st >= 200 && st < 300 && !kc.failed) {
			if (rc == -1) {
				/* cut after the head: never a complete answer */
				kc.failed = 1;
				gen_fail(g, u.timed_out ? 504 : 502,
				    "api_error", "upstream transfer failed: %s",
				    u.error);
			} else {
				gen_batch(g);
				if (kiro_stream_finish(kc.ks) == -1)
					kc.failed = 1;
				gen_flush(g);
			}
		}
		if (st >= 200 && st < 300 && !kc.failed && !gen_failed(g)) {
			/* success */
			g->tokens_in = (uint64_t)(kr.input_estimate > 0 ?
			    kr.input_estimate : 0);
			wacct_release(idx, 0, g->tokens_in, g->tokens_out);
			if (kiro_stream_credits(kc.ks) > 0)
				log_debug("kiro: %.4f credits",
				    kiro_stream_credits(kc.ks));
			upstream_done(&u);
			break;
		}
		/* a failure: decide what the next attempt is */
		if (st >= 200 && st < 300) {
			/* a stream error: exception frame, corrupt or cut */
			final_status = gen_error_status(g);
			if (final_status == 0)
				final_status = 502;
			wacct_release(idx, 1, 0, 0);
			wacct_report_failure(idx, final_status, g->err_message);
			upstream_done(&u);
			if (gen_committed(g))
				break;
			if ((final_status == 429 || final_status >= 500) &&
			    backoff_k < c->request_max_retries) {
				wacct_mark_tried(&tried, idx);
				idx = -1;
				goto backoff;
			}
			break;
		}
		error_text(&u, msg, sizeof(msg), reason, sizeof(reason));
		wacct_release(idx, st != 400, 0, 0);
		if (st == 0) {
			snprintf(msg, sizeof(msg), "%s", u.error);
			final_status = u.timed_out ? 504 : 502;
		} else
			final_status = st;
		/* a first 401/403 is the token's: the refresh below decides */
		if (!((st == 401 || st == 403) && !refreshed))
			wacct_report_failure(idx, st == 403 &&
			    token_related_403(msg) ? 401 : final_status, msg);
		log_info("kiro: account %s: HTTP %d: %s%s%s", v->id, st, msg,
		    u.request_id[0] ? " request-id " : "", u.request_id);
		upstream_done(&u);
		if (st == 400) {
			if (too_long(msg, reason))
				gen_fail(g, 400, "invalid_request_error",
				    "prompt is too long: %s", msg);
			else
				gen_fail(g, 400, "invalid_request_error",
				    "%s%s%s%s", msg, reason[0] ? " (reason: " :
				    "", reason, reason[0] ? ")" : "");
			break;
		}
		if (st == 401 || st == 403) {
			if (!refreshed) {
				refreshed = 1;
				rc = wacct_renew(idx, 20000);
				if (rc == 1) {
					wacct_hold(idx);
					continue;	/* same account */
				}
			}
			if (st == 401 || token_related_403(msg))
				gen_fail(g, 502, "api_error", "upstream "
				    "authentication failed: %s", msg);
			else
				gen_fail(g, 403, "permission_error", "%s", msg);
			wacct_mark_tried(&tried, idx);
			idx = -1;
			continue;	/* next account, if any */
		}
		if (st == 402) {
			gen_fail(g, 429, "rate_limit_error", "Kiro quota "
			    "exhausted: %s", msg);
			wacct_mark_tried(&tried, idx);
			idx = -1;
			continue;
		}
		if (st == 429 || st >= 500 || st == 0) {
			if (st == 429)
				gen_fail(g, 429, "rate_limit_error", "%s", msg);
			else if (st == 503)
				gen_fail(g, 529, "overloaded_error", "%s", msg);
			else if (st == 0)
				gen_fail(g, final_status, "api_error",
				    "upstream unreachable: %s", msg);
			else
				gen_fail(g, 500, "api_error", "%s", msg);
			if (backoff_k >= c->request_max_retries)
				break;
			wacct_mark_tried(&tried, idx);
			idx = -1;
			goto backoff;
		}
		gen_fail(g, st >= 400 && st < 600 ? st : 502, NULL, "%s", msg);
		break;
backoff:
		delay = c->request_base_delay << backoff_k;
		backoff_k++;
		if (u.retry_after[0] != '\0') {
			long long ra;

			if (parse_int(u.retry_after, 0, 300, &ra) == 0 &&
			    ra * 1000 > delay)
				delay = ra * 1000;
		}
		if (gen_sleep(g, delay) == -1)
			break;
		/* every account tried: start over with all of them */
		if (wacct_pick_count(KIRO_NAME, &tried) == 0)
			memset(&tried, 0, sizeof(tried));
	}
	buf_free(&body);
}

static int
kiro_models(const struct conf *c, struct arena *a, struct c_model **out,
    size_t *n)
{
	const char **names;
	struct c_model *m;
	size_t i, k;

	k = kiro_model_names(c, a, &names);
	m = arena_alloc(a, (k ? k : 1) * sizeof(*m));
	if (m == NULL)
		return -1;
	for (i = 0; i < k; i++) {
		m[i].id = names[i];
		m[i].owned_by = "anthropic";
		m[i].created = sb->started_ms / 1000;
		m[i].input_limit = kiro_context_window(c, names[i]);
		m[i].output_limit = 64000;
	}
	*out = m;
	*n = k;
	return 0;
}

const struct provider provider_kiro = {
	.name = KIRO_NAME,
	.generate = kiro_generate,
	.models = kiro_models,
};

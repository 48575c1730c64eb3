/*
 * refresh.c: token refresh in the master (DESIGN decision 8; spec
 * kiro.md §3).
 *
 * Per account, one refresh at a time (single flight), at most
 * REFRESH_PARALLEL at once overall.  Before calling the token endpoint
 * the credential file is read again: the Kiro IDE may already have
 * refreshed it, and then its token is simply adopted.  Outcomes:
 *
 *   200           new token: written back (file: atomic, 0600, owner and
 *                 unknown members kept; base64: STATE_DIR/state.json),
 *                 pushed to every worker, next refresh scheduled
 *   400/401/403   definitive: the account needs a new login; the file
 *                 is left alone; cleared when the file changes
 *   anything else back off 1, 2, 4 ... 30 minutes
 *
 * Timing: CRON_NEAR_MINUTES (clamped 1..60) before expiry when
 * CRON_REFRESH_TOKEN is on, and in any case 5 minutes before, minus up
 * to 30 s of jitter so that accounts loaded together do not refresh in
 * the same second.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "control.h"
#include "log.h"
#include "mhttp.h"
#include "util.h"
#include "xalloc.h"

#define REFRESH_PARALLEL	4
#define REFRESH_TIMEOUT_MS	15000
#define REFRESH_CONNECT_MS	10000
#define MIN_LEAD_MS		(5 * 60000LL)
#define BACKOFF_MAX_MIN		30

static int nactive;

void
refresh_schedule(struct macct *a)
{
	int64_t lead = MIN_LEAD_MS, near;

	if (a->v.expires_ms == 0) {
		a->refresh_at = 0;
		return;
	}
	if (M->conf->cron_refresh_token) {
		near = M->conf->cron_near_minutes;
		if (near < 1)
			near = 1;
		if (near > 60)
			near = 60;
		if (near * 60000 > lead)
			lead = near * 60000;
	}
	a->refresh_at = a->v.expires_ms - lead - (int64_t)(random_u32() %
	    30000);
}

static void
answer_waiters(struct macct *a, int ok, const char *msg)
{
	json_object *o;
	int i;

	for (i = 0; i < a->nwaiters; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(ok));
		json_object_object_add(o, ok ? "message" : "error",
		    json_object_new_string(msg));
		control_reply(a->waiters[i], json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	a->nwaiters = 0;
}

static void
expiry_text(int64_t ms, char *out, size_t len)
{
	iso8601_utc(ms, out, len);
}

/* The OAuth "error" member of a refusal, for the log and the reason. */
static void
oauth_error(const char *body, size_t len, char *out, size_t outlen)
{
	json_object *o, *v;

	out[0] = '\0';
	o = json_tokener_parse(len ? body : "{}");
	if (o == NULL)
		return;
	if ((json_object_object_get_ex(o, "error", &v) ||
	    json_object_object_get_ex(o, "message", &v)) &&
	    json_object_is_type(v, json_type_string))
		snprintf(out, outlen, ": %.120s", json_object_get_string(v));
	json_object_put(o);
}

static void
on_done(void *arg, long status, const char *body, size_t len,
    const char *err)
{
	struct macct *a = &accts[(uintptr_t)arg];
	char e[512], when[40], oe[160];
	int64_t backoff;

	a->refreshing = 0;
	nactive--;
	if (status == 200 && kiro_refresh_apply(&a->kc, body, len, wall_ms(),
	    e, sizeof(e)) == 0) {
		if (a->source == CRED_FILE) {
			if (kiro_cred_write_back(a->path, &a->kc, e,
			    sizeof(e)) == -1)
				log_warnx("account %s: refreshed, but the "
				    "token could not be saved: %s", a->v.id, e);
			a->have_st = stat(a->path, &a->st) == 0;
		} else if (a->source == CRED_BASE64) {
			persist_put_record(a->v.id, a->src_hash, a->kc.record);
			persist_save();
		}
		acct_adopt(a);
		a->failures = 0;
		a->refreshed_ms = wall_ms();
		refresh_schedule(a);
		expiry_text(a->v.expires_ms, when, sizeof(when));
		log_info("account %s: token refreshed, expires %s", a->v.id,
		    when);
		accounts_broadcast(a);
		answer_waiters(a, 1, "token refreshed");
		return;
	}
	if (status == 400 || status == 401 || status == 403) {
		oauth_error(body, len, oe, sizeof(oe));
		snprintf(e, sizeof(e), "token refresh refused (HTTP %ld%s): "
		    "log in to Kiro again", status, oe);
		log_warnx("account %s: %s", a->v.id, e);
		accounts_set_health(a, ACCT_NEEDS_LOGIN, 0, e);
	} else {
		if (status == 200)
			;	/* e says what was wrong with the answer */
		else if (status != 0)
			snprintf(e, sizeof(e), "token endpoint answered HTTP "
			    "%ld", status);
		else
			snprintf(e, sizeof(e), "token endpoint unreachable: "
			    "%s", err ? err : "transfer failed");
		a->failures++;
		backoff = (1LL << (a->failures > 6 ? 5 : a->failures - 1));
		if (backoff > BACKOFF_MAX_MIN)
			backoff = BACKOFF_MAX_MIN;
		a->refresh_at = wall_ms() + backoff * 60000 +
		    (int64_t)(random_u32() % 10000);
		log_warnx("account %s: token refresh failed (%s); next try in "
		    "%lld min", a->v.id, e, (long long)backoff);
		{
			char r[600];

			snprintf(r, sizeof(r), "token refresh failing: %s", e);
			set_reason(a, r);
		}
	}
	strlcpy(a->last_error, e, sizeof(a->last_error));
	a->last_error_ms = wall_ms();
	accounts_broadcast(a);
	answer_waiters(a, 0, e);
}

/* The file may hold a newer token than ours (the IDE refreshed it). */
static int
adopt_file(struct macct *a)
{
	struct kiro_cred fresh;
	char e[512];
	int newer;

	if (a->source != CRED_FILE ||
	    kiro_cred_load_file(a->path, &fresh, e, sizeof(e)) == -1)
		return 0;
	newer = fresh.access_token != NULL && fresh.expires_ms >
	    wall_ms() + MIN_LEAD_MS && (a->kc.access_token == NULL ||
	    strcmp(fresh.access_token, a->kc.access_token) != 0);
	/* the file is the authority on the refresh token too */
	kiro_cred_clear(&a->kc);
	a->kc = fresh;
	a->have_st = stat(a->path, &a->st) == 0;
	if (!newer)
		return 0;
	acct_adopt(a);
	refresh_schedule(a);
	log_info("account %s: %s already holds a fresh token; using it",
	    a->v.id, a->path);
	accounts_broadcast(a);
	answer_waiters(a, 1, "the credential file had a fresh token");
	return 1;
}

void
refresh_start(struct macct *a, const char *why)
{
	struct buf body;
	char *url = NULL, e[512];
	int rc;

	if (a->refreshing || !a->loaded || a->disabled)
		return;
	if (nactive >= REFRESH_PARALLEL) {
		a->refresh_at = wall_ms() + 1000;
		return;
	}
	if (adopt_file(a))
		return;
	buf_init(&body, 64 * 1024);
	if (kiro_refresh_request(&a->kc, M->conf->kiro_refresh_url,
	    M->conf->kiro_refresh_idc_url, &url, &body, e, sizeof(e)) == -1) {
		log_warnx("account %s: cannot refresh: %s", a->v.id, e);
		strlcpy(a->last_error, e, sizeof(a->last_error));
		a->last_error_ms = wall_ms();
		if (a->v.expires_ms != 0 && a->v.expires_ms < wall_ms()) {
			accounts_set_health(a, ACCT_UNUSABLE, 0, e);
			accounts_broadcast(a);
		}
		a->refresh_at = 0;
		answer_waiters(a, 0, e);
		buf_wipe(&body);
		return;
	}
	log_info("account %s: refreshing the token (%s)", a->v.id, why);
	rc = mhttp_post(url, body.data, REFRESH_TIMEOUT_MS, REFRESH_CONNECT_MS,
	    on_done, (void *)(uintptr_t)a->v.index);
	buf_wipe(&body);
	free(url);
	if (rc == -1) {
		log_warnx("account %s: cannot start the refresh call", a->v.id);
		a->refresh_at = wall_ms() + 60000;
		return;
	}
	a->refreshing = 1;
	nactive++;
}

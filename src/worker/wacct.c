/*
 * wacct.c: the worker's copy of the account table (see wacct.h).  Only
 * access tokens live here, never refresh tokens.  Fairness across
 * workers comes from the shared per-account counters of the
 * scoreboard: last use time and requests in flight.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "scoreboard.h"
#include "util.h"
#include "wacct.h"
#include "worker.h"

#define TOKEN_MIN_LEFT_MS	60000
#define RENEW_WAIT_MS		20000

static struct account_view	 views[ACCOUNT_MAX];
static int			 present[ACCOUNT_MAX];

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void
wacct_seed(const struct account_view *src)
{
	struct account_view *v;

	if (src->index >= ACCOUNT_MAX)
		return;
	v = &views[src->index];
	if (present[src->index])
		account_view_clear(v);
	*v = *src;
	v->access_token = dup_or_null(src->access_token);
	v->region = dup_or_null(src->region);
	v->profile_arn = dup_or_null(src->profile_arn);
	v->machine_id = dup_or_null(src->machine_id);
	v->project_id = dup_or_null(src->project_id);
	v->reason = dup_or_null(src->reason);
	present[src->index] = 1;
}

void
wacct_update(struct msg_in *m)
{
	struct account_view v;

	if (account_msg_get(m, &v) == -1)
		fatalx("malformed ACCOUNT_SET from the master");
	if (present[v.index])
		account_view_clear(&views[v.index]);
	views[v.index] = v;
	present[v.index] = 1;
}

const struct account_view *
wacct_get(uint32_t index)
{
	if (index >= ACCOUNT_MAX || !present[index])
		return NULL;
	return &views[index];
}

void
wacct_mark_tried(struct wacct_tried *t, int i)
{
	if (i >= 0 && i < ACCOUNT_MAX)
		t->bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

static int
tried(const struct wacct_tried *t, int i)
{
	return t != NULL && (t->bits[i / 8] & (1u << (i % 8))) != 0;
}

/* Does the account belong to provider (a type or a custom group)? */
static int
of_provider(const struct account_view *v, const char *provider)
{
	return strcmp(v->provider, provider) == 0;
}

static int
token_ok(const struct account_view *v, int64_t now)
{
	return v->access_token != NULL && (v->expires_ms == 0 ||
	    v->expires_ms - now > TOKEN_MIN_LEFT_MS);
}

static void
send_rejected(int index)
{
	struct msg_out m;

	msg_create(&m, MSG_TOKEN_REJECTED, (uint32_t)W.slot);
	msg_add_str(&m, views[index].id);
	msg_add_u64(&m, views[index].token_gen);
	if (worker_send(&m) == -1)
		log_warnx("cannot reach the master");
}

/* Wait for the channel until deadline or until cond(index) holds. */
static int
wait_for(int index, uint64_t gen, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;

	for (;;) {
		if (present[index] && (views[index].token_gen > gen ||
		    views[index].health != ACCT_OK))
			return 1;
		if (W.chan_eof)
			return 0;
		left = deadline - mono_ms();
		if (left <= 0)
			return 0;
		pfd.fd = W.chan;
		pfd.events = POLLIN;
		log_flush();
		if (poll(&pfd, 1, (int)left) > 0)
			worker_poll_channel();
	}
}

int
wacct_pick(const char *provider, struct wacct_tried *t, char *why,
    size_t whylen)
{
	int64_t now, best_used = 0, used;
	uint32_t best_inflight = 0, inflight;
	int i, best, waiting, any, round;
	uint64_t gen;

	for (round = 0; round < 2; round++) {
		/* the channel was drained before this request was read
		 * (and during the wait of round 0) */
		now = wall_ms();
		best = -1;
		waiting = -1;
		any = 0;
		why[0] = '\0';
		for (i = 0; i < ACCOUNT_MAX; i++) {
			const struct account_view *v = &views[i];

			if (!present[i] || !of_provider(v, provider))
				continue;
			if (v->health == ACCT_DISABLED && v->reason != NULL &&
			    strcmp(v->reason, "removed") == 0)
				continue;
			any = 1;
			if (tried(t, i)) {
				if (why[0] == '\0')
					snprintf(why, whylen, "every account "
					    "failed for this request");
				continue;
			}
			if (v->health != ACCT_OK) {
				snprintf(why, whylen, "%s: %s%s%s", v->id,
				    acct_health_str(v->health),
				    v->reason ? ": " : "",
				    v->reason ? v->reason : "");
				continue;
			}
			if (!token_ok(v, now)) {
				if (waiting == -1)
					waiting = i;
				snprintf(why, whylen, "%s: %s", v->id,
				    v->reason ? v->reason :
				    "no valid access token");
				continue;
			}
			used = atomic_load(&sb->acct[i].last_used_ms);
			inflight = atomic_load(&sb->acct[i].inflight);
			if (best == -1 || inflight < best_inflight ||
			    (inflight == best_inflight && used < best_used)) {
				best = i;
				best_used = used;
				best_inflight = inflight;
			}
		}
		if (best != -1) {
			atomic_store(&sb->acct[best].last_used_ms, now);
			atomic_fetch_add(&sb->acct[best].inflight, 1);
			atomic_fetch_add(&sb->acct[best].requests, 1);
			return best;
		}
		if (!any) {
			snprintf(why, whylen, "no credentials configured");
			return -1;
		}
		if (waiting == -1 || round == 1)
			return -1;
		/* decision 8: never send a token about to expire; ask */
		gen = views[waiting].token_gen;
		send_rejected(waiting);
		wait_for(waiting, gen, mono_ms() + RENEW_WAIT_MS);
	}
	return -1;
}

int
wacct_pick_count(const char *provider, const struct wacct_tried *t)
{
	int i, n = 0;

	for (i = 0; i < ACCOUNT_MAX; i++)
		if (present[i] && of_provider(&views[i], provider) &&
		    views[i].health == ACCT_OK && !tried(t, i))
			n++;
	return n;
}

void
wacct_release(int i, int failed, uint64_t tin, uint64_t tout)
{
	if (i < 0 || i >= ACCOUNT_MAX)
		return;
	atomic_fetch_sub(&sb->acct[i].inflight, 1);
	if (failed)
		atomic_fetch_add(&sb->acct[i].errors, 1);
	atomic_fetch_add(&sb->acct[i].tokens_in, tin);
	atomic_fetch_add(&sb->acct[i].tokens_out, tout);
}

void
wacct_hold(int i)
{
	if (i >= 0 && i < ACCOUNT_MAX)
		atomic_fetch_add(&sb->acct[i].inflight, 1);
}

int
wacct_renew(int index, int timeout_ms)
{
	uint64_t gen;

	if (index < 0 || index >= ACCOUNT_MAX || !present[index])
		return -1;
	gen = views[index].token_gen;
	send_rejected(index);
	if (!wait_for(index, gen, mono_ms() + (timeout_ms > 0 ? timeout_ms :
	    RENEW_WAIT_MS)))
		return 0;
	if (views[index].health != ACCT_OK ||
	    !token_ok(&views[index], wall_ms()))
		return -1;
	return views[index].token_gen > gen ? 1 : 0;
}

void
wacct_report_failure(int index, int status, const char *reason)
{
	struct msg_out m;

	if (index < 0 || index >= ACCOUNT_MAX || !present[index])
		return;
	msg_create(&m, MSG_ACCOUNT_FAILED, (uint32_t)W.slot);
	msg_add_str(&m, views[index].id);
	msg_add_u32(&m, (uint32_t)status);
	msg_add_str(&m, reason);
	if (worker_send(&m) == -1)
		log_warnx("cannot reach the master");
}

/*
 * wacct.h: the accounts as a worker knows them (account views pushed
 * by the master), and the choice of an account for a request.
 */
#ifndef AICLIENT_WACCT_H
#define AICLIENT_WACCT_H

#include <stddef.h>
#include <stdint.h>

#include "account.h"
#include "msg.h"

/* Accounts already tried by one request (failover). */
struct wacct_tried {
	uint8_t		 bits[ACCOUNT_MAX / 8];
};

/*
 * A new worker starts with the master's current views (copied in the
 * child right after fork, before the master's secrets are wiped), so it
 * never serves a request without accounts.
 */
void	 wacct_seed(const struct account_view *);
/* MSG_ACCOUNT_SET from the master. */
void	 wacct_update(struct msg_in *);
/* The current view of an account (borrowed; valid until the next
 * channel drain). */
const struct account_view *wacct_get(uint32_t index);

/*
 * Pick the least recently used usable account of provider (DESIGN
 * decision 15), skipping tried ones.  A token with less than 60 s left
 * is never used: the master is asked for a new one and the worker waits
 * (bounded) for it.  Returns the index, or -1 with why set to the
 * reason no account can serve ("no credentials configured", the
 * account's own reason, ...).  On success the shared in-flight counter
 * of the account is raised: call wacct_release() when done.
 */
int	 wacct_pick(const char *provider, struct wacct_tried *, char *why,
	    size_t whylen);
void	 wacct_release(int index, int failed, uint64_t tokens_in,
	    uint64_t tokens_out);
/* Raise the in-flight counter again for another attempt on the same
 * account (after a release); wacct_release() ends it. */
void	 wacct_hold(int index);
void	 wacct_mark_tried(struct wacct_tried *, int index);
/* How many usable accounts of provider are not tried yet. */
int	 wacct_pick_count(const char *provider, const struct wacct_tried *);
/*
 * The upstream rejected the token (401/403): ask the master for a new
 * one and wait until it arrives (1), nothing came in time (0), or the
 * account became unusable (-1).
 */
int	 wacct_renew(int index, int timeout_ms);
/* Tell the master an upstream call failed on this account. */
void	 wacct_report_failure(int index, int status, const char *reason);

#endif

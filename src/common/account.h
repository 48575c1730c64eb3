/*
 * account.h: what workers know about an upstream account, and how the
 * master tells them (MSG_ACCOUNT_SET).  This view holds the access
 * token and nothing else secret: refresh tokens and client secrets
 * stay in the master (DESIGN.md, "Credentials belong to the master").
 */
#ifndef AICLIENT_ACCOUNT_H
#define AICLIENT_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define ACCOUNT_ID_MAX		64
#define ACCOUNT_MAX		256	/* accounts in the shared table */

/* Health as the master decides it; workers only read it. */
enum acct_health {
	ACCT_OK = 0,		/* usable */
	ACCT_UNUSABLE,		/* bad or missing credential (reason says why) */
	ACCT_NEEDS_LOGIN,	/* refresh token rejected: log in again */
	ACCT_UNHEALTHY,		/* upstream refused it; retried after a while */
	ACCT_QUOTA,		/* quota exhausted until a known time */
	ACCT_DISABLED		/* aiclientctl disable */
};

const char *acct_health_str(enum acct_health);

struct account_view {
	uint32_t	 index;		/* slot in the shared table */
	char		 id[ACCOUNT_ID_MAX];
	char		 provider[32];
	char		*access_token;	/* NULL: none yet (refresh pending) */
	uint64_t	 token_gen;	/* grows with every new token */
	int64_t		 expires_ms;	/* wall clock; 0 unknown */
	char		*region;
	char		*profile_arn;	/* social Kiro accounts only */
	char		*machine_id;
	char		*project_id;
	uint32_t	 health;	/* enum acct_health */
	int64_t		 until_ms;	/* health holds until then (0: open-ended) */
	char		*reason;	/* why not OK; never a secret */
};

/* Append an ACCOUNT_SET payload for v to m. */
void	 account_msg_add(struct msg_out *m, const struct account_view *v);
/* Read one back; strings are malloc'd (account_view_clear frees and
 * wipes).  -1 on a malformed message. */
int	 account_msg_get(struct msg_in *m, struct account_view *v);
void	 account_view_clear(struct account_view *v);

#endif

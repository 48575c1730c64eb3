/*
 * accounts.h: the master's account table (DESIGN decision 15): one
 * entry per pool member, or one for the top-level keys of a provider.
 * The master owns the secrets, refreshes tokens (refresh.c), keeps
 * health, and pushes each worker the view it needs (ACCOUNT_SET).
 */
#ifndef AICLIENT_ACCOUNTS_H
#define AICLIENT_ACCOUNTS_H

#include <stdint.h>
#include <sys/stat.h>

#include "account.h"
#include "conf.h"
#include "kiro_creds.h"
#include "master.h"

enum cred_source {
	CRED_NONE = 0,
	CRED_FILE,	/* KIRO_OAUTH_CREDS_FILE_PATH or the default file */
	CRED_BASE64	/* KIRO_OAUTH_CREDS_BASE64 */
};

struct macct {
	struct account_view	 v;		/* what workers get */
	int			 live;		/* still configured */

	/* where the credential comes from */
	enum cred_source	 source;
	char			*path;		/* CRED_FILE */
	char			 src_hash[13];	/* CRED_BASE64: hash of the value */
	char			*b64;		/* CRED_BASE64: the configured value */
	struct stat		 st;		/* file identity when last read */
	int			 have_st;
	struct kiro_cred	 kc;		/* secrets */
	int			 loaded;	/* kc is valid */

	/* refresh state (refresh.c) */
	int			 refreshing;
	int64_t			 refresh_at;	/* wall ms: next scheduled refresh */
	int			 failures;	/* consecutive transient failures */
	int64_t			 refreshed_ms;	/* last successful refresh */
	int			 waiters[8];	/* control fds waiting on a refresh */
	int			 nwaiters;

	char			 last_error[256];
	int64_t			 last_error_ms;
	int			 disabled;	/* aiclientctl disable */
};

extern struct macct	*accts;
extern size_t		 naccts;

/* Build or rebuild the table from the configuration (start and reload). */
void	 accounts_load(const struct conf *);
/* Periodic work: scheduled refreshes, health recovery, file changes. */
void	 accounts_tick(void);
/*
 * In a new worker, right after fork: hand the account views to the
 * worker's table, then wipe every secret the child inherited from the
 * master (refresh tokens, client secrets, base64 credentials, the
 * runtime state), so a compromised worker cannot read them.
 */
void	 accounts_child_handover(void);
/* A worker is ready: send it every account. */
void	 accounts_send_all(struct wslot *);
/* Send one account to every worker. */
void	 accounts_broadcast(struct macct *);
/* ACCOUNT_FAILED, TOKEN_REJECTED from a worker. */
void	 accounts_worker_msg(struct wslot *, struct msg_in *);
/* Control commands: accounts, refresh ID, enable ID, disable ID. */
int	 accounts_control(const char *cmd, const char *arg, int fd, char *err,
	    size_t errlen);
struct macct *accounts_find(const char *id);
void	 accounts_set_health(struct macct *, enum acct_health, int64_t until,
	    const char *reason);

/* The credential in a->kc is new: update the worker view (new token
 * generation) and clear a needs-login state. */
void	 acct_adopt(struct macct *);
void	 set_reason(struct macct *, const char *);

/* refresh.c */
void	 refresh_start(struct macct *, const char *why);
void	 refresh_schedule(struct macct *);
/* state.json (persist.c) */
void	 persist_load(const char *state_dir);
void	 persist_save(void);
void	 persist_scrub(void);	/* a worker wipes the inherited state */
/* A rotated base64 credential saved earlier, or NULL (borrowed). */
json_object *persist_get_record(const char *id, const char *src_hash);
void	 persist_put_record(const char *id, const char *src_hash,
	    json_object *record);

#endif

/*
 * scoreboard.h: state shared by the master and all workers through one
 * MAP_SHARED anonymous mapping created before the first fork (Apache's
 * scoreboard).  Fixed-size records, no pointers, no secrets; fields
 * that several processes write are C11 atomics.  A worker writes only
 * its own slot; the master reads all of them for `aiclientctl status`
 * and for growing and shrinking the pool.
 */
#ifndef AICLIENT_SCOREBOARD_H
#define AICLIENT_SCOREBOARD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SB_SLOTS	2048	/* MAX_WORKERS (<= 1024) twice, for reloads */
#define SB_ROUTE_LEN	64

enum sb_state {
	SB_FREE = 0,	/* slot unused */
	SB_STARTING,	/* forked, not yet accepting */
	SB_IDLE,	/* waiting in accept */
	SB_READ,	/* reading a request */
	SB_BUSY,	/* serving a request */
	SB_KEEPALIVE,	/* waiting for the next request on a connection */
	SB_EXITING	/* told to stop; finishing its request */
};

struct sb_worker {
	_Atomic int32_t		 pid;
	_Atomic uint32_t	 generation;
	_Atomic uint32_t	 state;
	_Atomic uint64_t	 requests;	/* served by this worker */
	_Atomic uint64_t	 connections;
	_Atomic int64_t		 started_ms;	/* wall clock */
	_Atomic int64_t		 since_ms;	/* wall clock of the last state change */
	_Atomic uint32_t	 stop;		/* master: finish and exit (also sent as
						 * MSG_SHUTDOWN; this one costs no read) */
	_Atomic uint32_t	 mail;		/* master: bumped after each write to
						 * the worker's channel */
	char			 route[SB_ROUTE_LEN]; /* "POST /v1/messages", informational */
};

/* Per-account counters every worker sees at once (no secrets). */
struct sb_account {
	_Atomic uint32_t	 used;		/* slot in use */
	_Atomic uint32_t	 inflight;	/* requests on it right now */
	_Atomic int64_t		 last_used_ms;	/* wall clock of the last pick */
	_Atomic uint64_t	 requests;
	_Atomic uint64_t	 errors;
	_Atomic uint64_t	 tokens_in;
	_Atomic uint64_t	 tokens_out;
};

#define SB_ACCOUNTS	256	/* = ACCOUNT_MAX */

struct scoreboard {
	uint32_t		 magic;
	uint32_t		 nslots;
	int64_t			 started_ms;
	_Atomic uint64_t	 total_requests;
	_Atomic int32_t		 idle;		/* workers in SB_IDLE */
	_Atomic uint32_t	 generation;	/* current generation */
	_Atomic uint64_t	 fetch_gen;	/* fetch_system_prompt.txt writes */
	struct sb_worker	 w[SB_SLOTS];
	struct sb_account	 acct[SB_ACCOUNTS];
};

extern struct scoreboard *sb;

/* Master, before the first fork. */
int	 sb_create(void);
/* Worker: change its own slot's state (keeps the idle count right). */
void	 sb_set_state(int slot, enum sb_state);
const char *sb_state_str(unsigned);

#endif

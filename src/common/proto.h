/*
 * proto.h: the messages master and workers exchange over their channel
 * (DESIGN.md, "Channel messages"), with the payload layout of each.
 * Payload fields are written in the order listed, with msg_add_*().
 */
#ifndef AICLIENT_PROTO_H
#define AICLIENT_PROTO_H

enum msg_type {
	MSG_NONE = 0,
	/* master -> worker */
	MSG_ACCOUNT_SET = 1,	/* see account.h: account_msg_add() */
	MSG_ACCOUNT_HEALTH = 2,	/* u32 account index, u32 health, i64 until */
	MSG_SHUTDOWN = 3,	/* empty: finish the request in flight, exit 0 */
	/* worker -> master */
	MSG_READY = 16,		/* u32 generation */
	MSG_ACCOUNT_FAILED = 17,/* str account id, u32 status, str reason */
	MSG_TOKEN_REJECTED = 18,/* str account id, u64 token generation */
	MSG_STATS = 19		/* u64 requests, u64 errors */
};

const char *msg_type_str(unsigned);

/* Worker exit status contract (nginx, Apache prefork). */
/*
 * An idle keep-alive connection is given up for a waiting new client
 * only once it has been idle this long: a client that sends its next
 * request right after a response (most of them) is not cut off in the
 * middle of sending it.  The master counts a worker that has waited this
 * long on its connection as holding it idle (see sup_tick).
 */
#define KA_YIELD_IDLE_MS	100

#define WORKER_EXIT_OK		0	/* retired normally */
#define WORKER_EXIT_FATAL	2	/* configuration error: do not respawn */
#define WORKER_EXIT_SICK	3	/* resource shortage: respawn slowly */

#endif

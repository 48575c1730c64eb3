/*
 * msg.h: framed, typed messages over a socketpair between the master
 * and a worker (OpenSMTPD mproc / imsg shape).
 *
 * A frame is a header of four uint32_t in host order {type, len, peer,
 * pid} followed by len payload bytes.  Payloads are built field by
 * field with msg_add_*() and read back with msg_get_*(), each of which
 * checks the remaining length; a reader that runs short marks the
 * message bad, and the caller treats a bad message of a known type as
 * a fatal protocol error (it can only be a bug: both ends are us).
 *
 * Sending never blocks: frames are queued in a struct msgq and written
 * when the descriptor is writable.  Receiving accumulates bytes in a
 * struct msgin and hands out complete frames; short reads are normal.
 */
#ifndef AICLIENT_MSG_H
#define AICLIENT_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define MSG_HDR_SIZE	16
#define MSG_MAX_PAYLOAD	(1024 * 1024)	/* one frame, all types */

struct msg_hdr {
	uint32_t	type;
	uint32_t	len;	/* payload bytes, header excluded */
	uint32_t	peer;	/* sender's slot or account index */
	uint32_t	pid;	/* sender's pid */
};

/* A message being built. */
struct msg_out {
	struct buf	b;	/* header + payload */
	int		err;	/* an add failed: the message is unusable */
};

/* A received message; payload borrowed from the msgin buffer. */
struct msg_in {
	struct msg_hdr	 hdr;
	const unsigned char *data;
	size_t		 len;
	size_t		 off;
	int		 bad;	/* a get ran short or a string was bad */
};

/* Outbound queue of complete frames. */
struct msgq {
	struct buf	 b;
	size_t		 max;	/* refuse to queue beyond this */
};

/* Inbound accumulator. */
struct msgin {
	struct buf	 b;
	size_t		 next;	/* start of the frame to hand out next */
};

void	 msg_create(struct msg_out *, uint32_t type, uint32_t peer);
void	 msg_add_u32(struct msg_out *, uint32_t);
void	 msg_add_u64(struct msg_out *, uint64_t);
void	 msg_add_i64(struct msg_out *, int64_t);
/* A string, length-prefixed; NULL is sent as "absent" and read back as NULL. */
void	 msg_add_str(struct msg_out *, const char *);
void	 msg_add_data(struct msg_out *, const void *, size_t);
/* Finish the header; -1 when the message is unusable or too large. */
int	 msg_close(struct msg_out *);
void	 msg_discard(struct msg_out *);

uint32_t msg_get_u32(struct msg_in *);
uint64_t msg_get_u64(struct msg_in *);
int64_t	 msg_get_i64(struct msg_in *);
/*
 * Borrowed strings, valid until the next msgin_next()/msgin_read().
 * The wire form carries its NUL, so the pointer can be used directly.
 */
const char *msg_get_str(struct msg_in *);
const void *msg_get_data(struct msg_in *, size_t *len);
/* 0 when every byte was read and nothing ran short, else -1. */
int	 msg_end(struct msg_in *);

void	 msgq_init(struct msgq *, size_t max);
void	 msgq_free(struct msgq *);
/* Queue a closed message (consumed in all cases); -1 if the queue is full. */
int	 msgq_put(struct msgq *, struct msg_out *);
int	 msgq_pending(const struct msgq *);
/* Write as much as the fd takes: 0 ok (maybe partial), -1 on error. */
int	 msgq_flush(struct msgq *, int fd);
/* Blocking convenience for workers: write the whole queue. */
int	 msgq_flush_all(struct msgq *, int fd, int timeout_ms);

void	 msgin_init(struct msgin *);
void	 msgin_free(struct msgin *);
/* Read what is available: >0 bytes read, 0 on EOF, -1 error (EAGAIN ok: returns -1, errno set). */
ssize_t	 msgin_read(struct msgin *, int fd);
/* Feed bytes directly (tests). */
int	 msgin_feed(struct msgin *, const void *, size_t);
/*
 * Next complete frame: 1 and *m filled, 0 when none is complete, -1
 * when the stream is corrupt (length above MSG_MAX_PAYLOAD).
 */
int	 msgin_next(struct msgin *, struct msg_in *m);

#endif

/*
 * worker.h: state of the worker process, shared by its files.  A
 * worker serves one connection at a time; nothing here is shared with
 * other processes except through the scoreboard and the channel.
 */
#ifndef AICLIENT_WORKER_H
#define AICLIENT_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "msg.h"

struct listener;

struct worker {
	const struct conf	*conf;
	const struct listener	*l;
	size_t			 nl;
	int			 chan;		/* to the master */
	int			 slot;
	uint32_t		 generation;
	int			 shutdown;	/* SHUTDOWN received or master gone */
	int			 chan_eof;	/* the master closed the channel */
	uint64_t		 requests;
	struct msgin		 in;
	struct msgq		 out;
};

extern struct worker W;

/* Drain the channel without blocking; handles every queued message. */
void	 worker_poll_channel(void);
void	 worker_check_mail(void);
void	 worker_check_stop(void);
/* Queue a message to the master and try to send it now. */
int	 worker_send(struct msg_out *);

#endif

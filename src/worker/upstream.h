/*
 * upstream.h: one HTTP call to an upstream provider, on a libcurl easy
 * handle the worker keeps between requests (so connections to the
 * upstream are reused).  The response body of a 2xx answer is handed
 * to the caller as it arrives (streaming); any other answer's body is
 * collected (capped) for the error message.
 */
#ifndef AICLIENT_UPSTREAM_H
#define AICLIENT_UPSTREAM_H

#include <stddef.h>

#include "buf.h"

struct upstream_call {
	/* in */
	const char	*url;
	const char	*const *headers;	/* "Name: value", NULL-terminated */
	const char	*body;
	size_t		 body_len;
	long		 connect_timeout_s;
	long		 idle_timeout_s;	/* no byte for this long: abort */
	/* 2xx body bytes; return -1 to abort the transfer */
	int		(*on_data)(void *arg, const char *, size_t);
	/* about once a second while the call runs; -1 aborts */
	int		(*on_tick)(void *arg);
	void		*arg;

	/* out */
	long		 status;		/* 0: no HTTP answer */
	char		 content_type[128];
	char		 request_id[96];	/* x-amzn-requestid, for logs */
	char		 retry_after[32];
	struct buf	 errbody;		/* non-2xx body, <= 64 KiB */
	int		 aborted;		/* a callback asked to stop */
	int		 timed_out;
	char		 error[256];		/* transport error text */
};

void	 upstream_init(struct upstream_call *);
void	 upstream_done(struct upstream_call *);
/* 0 when an HTTP answer was received (any status), -1 otherwise. */
int	 upstream_perform(struct upstream_call *);

#endif

/*
 * generate.h: one content-generation request, from the decoded client
 * request to the bytes on the wire, whatever the dialect and provider.
 *
 * The provider emits canonical events into g->sink.  For a stream,
 * that sink is the relay: it feeds the client dialect's stream encoder
 * and holds the response head back until the first event that carries
 * output (DESIGN decision 5), so that a failure before it can still be
 * retried or answered with a real status; after that it writes every
 * event as soon as it comes and sends keep-alive pings every 15 s of
 * upstream silence.  For a non-stream request the sink accumulates a
 * c_response, encoded at the end.
 */
#ifndef AICLIENT_GENERATE_H
#define AICLIENT_GENERATE_H

#include "canonical.h"
#include "dialect.h"
#include "router.h"

#define PING_INTERVAL_MS	15000

struct relay {
	struct c_sink		 sink;		/* providers emit into this */
	struct c_writer		 w;		/* the encoder writes into this */
	struct gen		*g;
	struct c_sink		*enc;		/* this attempt's stream encoder */
	struct buf		 pending;	/* encoded bytes before the head */
	int			 committed;	/* response head sent */
	int			 batching;	/* hold writes until gen_flush() */
	int64_t			 last_write;	/* mono ms */
};

struct gen {
	struct request		*r;
	const struct conf	*conf;
	struct arena		*a;
	struct c_request	*req;
	const struct dialect_ops *d;
	struct c_opts		 opts;
	int			 stream;
	const char		*content_type;	/* of a stream */

	struct relay		 relay;
	struct c_response	 resp;		/* non-stream accumulator */
	struct c_sink		*sink;		/* current attempt's sink */

	int			 attempts;
	int			 client_gone;
	/* the last failure, answered when nothing was sent yet */
	int			 err_status;
	const char		*err_etype;
	char			 err_message[2048];
	uint64_t		 tokens_in, tokens_out;
	struct buf		 logged;	/* answer text for the prompt log */
};

/*
 * Prepare a fresh sink for a (new) attempt.  -1 when output already
 * went to the client: no retry is possible any more.
 */
int	 gen_attempt(struct gen *);
/* Has the client seen part of the answer? */
int	 gen_committed(const struct gen *);
/* Has the current attempt ended in an error (not yet sent)? */
int	 gen_failed(const struct gen *);
/* The status of that error, 0 when there is none. */
int	 gen_error_status(const struct gen *);
/*
 * Events decoded from one piece of upstream data go out in one write:
 * gen_batch() before feeding a decoder, gen_flush() after it.  Still
 * real streaming: nothing waits for more upstream data.
 */
void	 gen_batch(struct gen *);
int	 gen_flush(struct gen *);
/* About once a second while waiting on an upstream: pings, client gone. */
int	 gen_tick(struct gen *);
/* Sleep ms, returning early (-1) when the client goes away. */
int	 gen_sleep(struct gen *, int64_t ms);
/* Record the final failure (answered by gen_finish). */
void	 gen_fail(struct gen *, int status, const char *etype,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The handler of every generate route: dialect decode, provider, reply. */
void	 generate(struct request *, enum dialect);

#endif

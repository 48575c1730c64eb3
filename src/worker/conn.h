/*
 * conn.h: one client connection as a worker serves it: socket I/O with
 * deadlines, the request parser, and the response writers (complete
 * responses, chunked streams, lingering close).  Every response carries
 * the CORS headers and the keep-alive decision made for it.
 */
#ifndef AICLIENT_CONN_H
#define AICLIENT_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"

struct conn {
	int			 fd;
	char			 peer[64];	/* "127.0.0.1:51234" */
	struct buf		 in;		/* bytes read, not yet parsed */
	struct http_parser	 req;
	unsigned		 nreq;		/* requests on this connection */

	/* The response in progress. */
	int			 keep_alive;	/* decided before the head is sent */
	int			 status;
	int			 head_sent;
	int			 chunked;
	int			 broken;	/* a write failed: client gone */
	int			 head_only;	/* a HEAD request: no body in the answer */
	int			 corked;	/* the last answer waits for the FIN */
	uint64_t		 bytes_out;
	int			 write_timeout_ms;
	struct buf		 out;		/* scratch for heads and bodies */
};

void	 conn_init(struct conn *, int fd, const char *peer);
/* Per request: parser reset, response state cleared, buffers kept. */
void	 conn_next(struct conn *);
void	 conn_free(struct conn *);

/*
 * Read what is available, waiting until deadline (mono ms).  Returns
 * bytes read (> 0), 0 on EOF, -1 on error, -2 on timeout.
 */
ssize_t	 conn_read(struct conn *, int64_t deadline);
/* Write everything or fail (-1, c->broken set). */
int	 conn_write(struct conn *, const void *, size_t);
/* Has the client gone away (EOF or error pending), without reading data? */
int	 conn_peer_closed(struct conn *);

/*
 * A complete response.  extra: more header lines, each ending in
 * "\r\n", or NULL.
 */
int	 conn_respond(struct conn *, int status, const char *ctype,
	    const char *body, size_t len, const char *extra);
/* Head of a chunked response (streams). */
int	 conn_stream_start(struct conn *, int status, const char *ctype,
	    const char *extra);
int	 conn_stream_write(struct conn *, const void *, size_t);
int	 conn_stream_end(struct conn *);
/* "HTTP/1.1 100 Continue" */
int	 conn_continue(struct conn *);
/*
 * Close after an error response the client may still be uploading
 * into: half-close, drain for a short while, then close (nginx's
 * lingering close), so the client can read our answer.
 */
void	 conn_linger_close(struct conn *);
void	 conn_close(struct conn *);

#endif

/*
 * mockup.h: the pieces of the mock upstream (tests/mock/mockup) that
 * its three files share.  mockup.c owns the processes, the epoll loop,
 * the connections, HTTP/1.1 parsing and the per-connection timer;
 * mock_kiro.c owns the Kiro chat and getUsageLimits endpoints (request
 * body scanning, directives, event-stream answers); mock_state.c owns
 * the mutable state (access and refresh tokens, counters, the request
 * log), the token endpoints and the /_mock control API.  Everything is
 * single-threaded: one event loop per process, no locking.
 */
#ifndef MOCKUP_H
#define MOCKUP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define MOCK_MAX_HEADERS	128
#define MOCK_MAX_HEAD		(64u * 1024)	/* request line + headers */
#define MOCK_MAX_BODY		(64u * 1024 * 1024)

/* One request header; pointers borrowed from the connection's input. */
struct mhdr {
	const char	*name;
	size_t		 nlen;
	const char	*val;
	size_t		 vlen;
};

/*
 * A complete request, handed to the handlers.  Every pointer is
 * borrowed from the connection's input buffer and valid only during
 * the handler call; nothing is NUL-terminated.
 */
struct mreq {
	const char	*method;
	size_t		 mlen;
	const char	*target;	/* path and query as sent */
	size_t		 tlen;
	const char	*path;		/* target without the query */
	size_t		 plen;
	const char	*hblock;	/* raw header lines, CRLF separated */
	size_t		 hblen;
	struct mhdr	 hdrs[MOCK_MAX_HEADERS];
	size_t		 nhdrs;
	const char	*body;
	size_t		 blen;
};

struct conn;

/*
 * A deferred piece of work of a connection: fire() runs when the
 * deadline passes; it either calls conn_defer() again or conn_done().
 * data holds bytes the job will send (kept between requests).
 */
struct job {
	void		(*fire)(struct conn *, struct job *);
	int64_t		 at;		/* CLOCK_MONOTONIC ms */
	long		 i, n, ms;
	struct buf	 data;
};

/* Command line options and process-wide settings (mockup.c). */
struct mopts {
	const char	*fixtures;	/* fixtures root (holds kiro/) */
	const char	*state_file;	/* NULL: state is not persisted */
	int		 quiet;
	int		 any_token;
	int		 rotate_invalidates;
	long		 expires_in;
};

extern struct mopts	 mopts;

/* mockup.c: the answer sink of the connection being served. */
struct buf	*conn_out(struct conn *);
int		 conn_keepalive(const struct conn *);
void		 conn_close_after(struct conn *);
struct job	*conn_job(struct conn *);
/* Make the connection busy until conn_done(); fire after ms. */
void		 conn_defer(struct conn *, long ms,
		    void (*)(struct conn *, struct job *));
void		 conn_done(struct conn *);
/* Send job->data after ms, then the connection goes on. */
void		 conn_send_later(struct conn *, long ms);

/* Response helpers: append a whole answer to out. */
void	 resp_json(struct buf *, int keepalive, int status,
	    const char *body, size_t len);
void	 resp_jsonstr(struct buf *, int keepalive, int status,
	    const char *body);
void	 mlog(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Request helpers. */
const struct mhdr *req_header(const struct mreq *, const char *name);
int	 path_endswith(const struct mreq *, const char *suffix);

/* mock_kiro.c */
int	 kiro_init(void);
void	 kiro_free(void);
int	 kiro_chat(struct conn *, const struct mreq *);
int	 kiro_usage(struct conn *, const struct mreq *);

/* mock_state.c */
int	 state_init(char **tokens, size_t ntokens, char **rtokens,
	    size_t nrtokens);
void	 state_free(void);
/* Is the request's Authorization a valid bearer token? */
int	 state_auth_ok(const struct mreq *);
/* Count one use of a directive; returns the count before this one. */
long	 state_directive_hit(const char *, size_t);
uint64_t state_next_tool_id(void);
void	 state_count(const char *what);
void	 state_record(const struct mreq *);
int	 state_refresh(struct conn *, const struct mreq *, int idc);
int	 state_control(struct conn *, const struct mreq *);

#endif

/*
 * router.h: from a parsed request head to a handler.  The order is
 * server.md §3 as aiclientd does it: OPTIONS, /health, provider
 * (path prefix, then the model-provider header), client key, route
 * table (404, 405).  Errors are answered in the dialect of the route.
 */
#ifndef AICLIENT_ROUTER_H
#define AICLIENT_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "conn.h"
#include "dialect.h"

struct request;
typedef void (*route_fn)(struct request *);

/* Everything a handler needs about the request it serves. */
struct request {
	struct conn		*c;
	const struct conf	*conf;
	char			 path[1024];	/* routing path, prefix removed */
	const char		*provider;	/* effective provider type */
	int			 provider_from_prefix;
	enum dialect		 dialect;
	route_fn		 handler;
	const char		*route;		/* route name for logs */
	char			 model[256];	/* Gemini: model from the path */
	int			 gemini_stream;	/* :streamGenerateContent */
	int			 gemini_sse;	/* ?alt=sse */
	int			 needs_body;
	int			 authorized;	/* the client key matched */

	/* An answer decided from the head alone (401, 404, 405, ...). */
	int			 early_status;
	char			 early_msg[256];
	const char		*early_allow;	/* Allow: for 405 */
	int			 early_generic;	/* REF's {"error":{"message"}} body */

	/* Filled by handlers, for the access log. */
	char			 account[64];
	char			 model_used[128];
	uint64_t		 tokens_in, tokens_out;
	int64_t			 t0;		/* mono ms at head */
};

/* Decide what to do with the head in c->req; fills r. */
void	 router_route(struct request *r, struct conn *c,
	    const struct conf *conf);
/* The dialect of a path (after any provider prefix), for errors. */
enum dialect router_dialect_of(const char *path);
/* Answer the early decision (no handler runs). */
void	 router_answer_early(struct request *r);

/* Answer an error in the request's dialect, printf-style message. */
void	 api_error(struct request *, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* JSON 200 response. */
void	 api_json(struct request *, int status, const char *body, size_t len);

/* clientauth.c: does the request carry the configured key? */
int	 clientauth_ok(const struct http_parser *, const struct conf *);
/* A loggable id of the configured key (hash prefix), set at start. */
const char *clientauth_key_id(void);
void	 clientauth_init(const struct conf *);

#endif

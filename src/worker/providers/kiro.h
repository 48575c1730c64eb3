/*
 * kiro.h: the claude-kiro-oauth provider (spec/kiro.md).  Three parts:
 *
 *  - the model table (kiro_models.c): public name -> Kiro modelId,
 *    KIRO_MODELS merged over the built-in table (kiro.md §5.3,
 *    DESIGN decision 16), context windows for usage maths (§5.2, §7.4);
 *  - the request builder (kiro_request.c): canonical request -> the
 *    generateAssistantResponse body (§4);
 *  - the stream decoder (kiro_stream.c): event-stream frames (via
 *    eventstream.c) -> canonical events (§6, §7), as a push parser fed
 *    by libcurl's write callback.
 *
 * The call itself (credentials, headers, libcurl, retries) is kiro.c.
 * Nothing here sees a refresh token.
 */
#ifndef AICLIENT_KIRO_H
#define AICLIENT_KIRO_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "canonical.h"
#include "conf.h"

/* ---- models (kiro_models.c) ------------------------------------------------ */

/* The Kiro modelId for a public name, or NULL when unknown. */
const char	*kiro_model_id(const struct conf *, const char *name);
/*
 * Every public name, sorted, built-in and configured (KIRO_MODELS) merged;
 * *names is arena-allocated (or static when a is NULL and there is no
 * KIRO_MODELS).  Returns the count.
 */
size_t		 kiro_model_names(const struct conf *, struct arena *,
		    const char ***names);
/* Context window in tokens for §7.4 (KIRO_CONTEXT_WINDOWS, then built-in,
 * then 200000). */
int64_t		 kiro_context_window(const struct conf *, const char *name);
/* The default model: health checks only (decision 16). */
#define KIRO_DEFAULT_MODEL	"claude-sonnet-4-5"

/* ---- request (kiro_request.c) ---------------------------------------------- */

/* A shortened tool name (> 64 chars) and the name the client used. */
struct kiro_alias {
	const char	*alias;
	const char	*name;
};

struct kiro_req {
	/* in */
	const char		*model_id;	/* from kiro_model_id() */
	const char		*profile_arn;	/* social credential's ARN, or NULL */
	const char		*conversation_id; /* uuid; NULL: generate */
	/* out, arena-allocated */
	int			 thinking;	/* thinking was requested (§6.9) */
	struct kiro_alias	*aliases;
	size_t			 naliases;
	const char		**tool_names;	/* client names of the request's tools */
	size_t			 ntool_names;
	int64_t			 input_estimate;	/* §7.4 est() of what was sent */
};

/*
 * Build the body of §4.3/§4.4 for r into out (compact JSON).  -1 with
 * err set for a request that cannot be sent (no messages, ...): the
 * caller answers 400 invalid_request_error.
 */
int	 kiro_build_request(const struct c_request *r, struct kiro_req *k,
	    struct arena *a, struct buf *out, char *err, size_t errlen);

/* ---- stream (kiro_stream.c) -------------------------------------------------- */

struct kiro_stream_opts {
	const char		*msg_id;	/* "msg_..." */
	const char		*model;		/* as the client sent it */
	int			 thinking;	/* from struct kiro_req */
	int			 bracket_tool_calls;	/* KIRO_BRACKET_TOOL_CALLS */
	int			 dedupe;	/* KIRO_DEDUPE_CONSECUTIVE_FRAGMENTS */
	const struct kiro_alias	*aliases;
	size_t			 naliases;
	const char *const	*tool_names;	/* bracket calls must name one */
	size_t			 ntool_names;
	int64_t			 input_estimate;
	int64_t			 context_window;
};

struct kiro_stream;

struct kiro_stream *kiro_stream_new(struct arena *, struct c_sink *,
	    const struct kiro_stream_opts *);
/*
 * Bytes of the HTTP 200 body.  -1: decoding stopped: a corrupt frame
 * (error event emitted, status 502), an exception/error frame (error
 * event emitted with the mapped status), or the sink refused an event.
 */
int	 kiro_stream_feed(struct kiro_stream *, const void *, size_t);
/*
 * End of the body: close what is open and emit message_delta (stop
 * reason, usage) and message_stop; a partial frame left over is a
 * truncated stream (error event, 502).  -1 on error.
 */
int	 kiro_stream_finish(struct kiro_stream *);
/* Has an event that carries output been emitted (DESIGN decision 5)? */
int	 kiro_stream_has_output(const struct kiro_stream *);
/* Credits reported by meteringEvent (logged, never put into usage). */
double	 kiro_stream_credits(const struct kiro_stream *);

#endif

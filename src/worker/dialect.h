/*
 * dialect.h: what every dialect module (OpenAI, Claude, Gemini) offers,
 * as one table of functions (DESIGN decision 19).  The client side
 * turns a client's request into a c_request and c_event's into the
 * client's response or stream; the backend side turns a c_request into
 * that dialect's upstream request and the upstream's response, stream
 * events, model list and errors back into canonical form.  Providers
 * that speak a dialect (claude-custom, openai-custom, gemini-cli, qwen)
 * add transport and auth only.
 *
 * Everything returns 0 on success, -1 on failure with a message in err
 * where there is one.  Request decoders' messages name the offending
 * field ("messages[2].content[0].type: unknown block type 'x'") and are
 * answered as 400 invalid_request_error.
 */
#ifndef AICLIENT_DIALECT_H
#define AICLIENT_DIALECT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"
#include "canonical.h"

enum dialect {
	DIALECT_OPENAI = 0,
	DIALECT_CLAUDE,
	DIALECT_GEMINI,
	DIALECT_COUNT
};

/*
 * Where a stream encoder's bytes go: one write() per complete client
 * event (an SSE event, a JSON-array element), so the caller can flush
 * each one as it comes.  Return -1 when the client is gone.
 */
struct c_writer {
	int	(*write)(struct c_writer *, const char *, size_t);
};

/* Options for encoders (client side and backend side). */
struct c_opts {
	const char	*client_model;	/* echoed in every response/chunk */
	int		 include_usage;	/* OpenAI stream_options.include_usage */
	int		 include_thoughts;	/* Gemini client asked for thoughts */
	int		 gemini_sse;	/* Gemini stream framing: 1 SSE, 0 JSON array */
	int64_t		 created;	/* unix seconds for "created" fields; 0 = now */
	int64_t		 default_max_tokens;	/* Claude backend default (8192) */
	int		 stream;	/* backend request: ask for a stream */
};

/* One model of a list (conversion.md §6). */
struct c_model {
	const char	*id;		/* "claude-sonnet-4-5", no "models/" prefix */
	const char	*display_name;	/* may be NULL */
	const char	*owned_by;	/* "anthropic", "google", ... */
	int64_t		 created;	/* unix seconds; 0 = unknown */
	int64_t		 input_limit;	/* tokens; 0 = unknown */
	int64_t		 output_limit;
};

/* A backend error turned into what the client gets (conversion.md §7). */
struct c_error {
	int		 status;	/* HTTP status for the client */
	char		 message[2048];
	const char	*etype;		/* Claude type name when the backend gave one */
};

struct dialect_ops {
	const char	*name;		/* "openai", "claude", "gemini" */

	/* ---- client side ---- */
	/*
	 * Decode a client request body.  path_model: the model named in the
	 * URL (Gemini), else NULL.  stream: the endpoint asked for a stream
	 * (Gemini :streamGenerateContent), else -1 (read it from the body).
	 */
	int	(*decode_request)(json_object *body, const char *path_model,
		    int stream, struct c_request *out, struct arena *,
		    char *err, size_t errlen);
	/* A whole (non-stream) answer. */
	int	(*encode_response)(const struct c_response *,
		    const struct c_opts *, struct buf *out);
	/* A stream encoder: a sink writing client events to w. */
	struct c_sink *(*stream_encoder)(struct arena *, struct c_writer *w,
		    const struct c_opts *);
	/* A model list; for OpenAI also the Anthropic list members
	 * (DESIGN decision 16). */
	int	(*encode_models)(const struct c_model *, size_t n,
		    const struct c_opts *, struct buf *out);
	/* One model (Gemini GET /v1beta/models/{m}); NULL if the dialect
	 * has no such route. */
	int	(*encode_model)(const struct c_model *, const struct c_opts *,
		    struct buf *out);

	/* ---- backend side ---- */
	/* The upstream request body for a canonical request. */
	int	(*encode_request)(const struct c_request *,
		    const struct c_opts *, struct buf *out);
	/* A whole upstream answer into events (START ... MESSAGE_STOP). */
	int	(*decode_response)(json_object *body, const struct c_opts *,
		    struct c_sink *, char *err, size_t errlen);
	/*
	 * Upstream stream: a decoder state, then one call per upstream
	 * event: event is the SSE "event:" name or NULL, data the parsed
	 * "data:" JSON, NULL for OpenAI's "[DONE]".  stream_end() closes
	 * what the upstream left open (a cut stream is an error).
	 */
	void	*(*stream_decoder)(struct arena *, struct c_sink *,
		    const struct c_opts *);
	int	(*stream_decode)(void *state, const char *event,
		    json_object *data, char *err, size_t errlen);
	int	(*stream_end)(void *state, char *err, size_t errlen);
	/* A native model list into c_model's (arena-allocated). */
	int	(*decode_models)(json_object *body, struct arena *,
		    struct c_model **out, size_t *n);
	/* An upstream error status and body (JSON or NULL) into c_error. */
	void	(*decode_error)(int status, json_object *body,
		    const char *raw, size_t rawlen, struct c_error *out);
};

const struct dialect_ops *dialect_get(enum dialect);
const char	*dialect_str(enum dialect);

extern const struct dialect_ops dialect_openai;
extern const struct dialect_ops dialect_claude;
extern const struct dialect_ops dialect_gemini;

/*
 * Error body in a dialect (conversion.md §7.1, §7.2), and the matching
 * type names for a status.
 */
int	 dialect_error_body(struct buf *, enum dialect, int status,
	    const char *message);
void	 dialect_error_names(int status, const char **openai_type,
	    const char **openai_code, const char **claude_type,
	    const char **gemini_status);

/* Helpers every decoder needs (dialect.c). */
/* Base64 payload with ASCII white space removed (DESIGN decision 20);
 * arena copy only when there was white space. */
const char	*c_b64_clean(struct arena *, const char *, size_t len,
		    size_t *outlen);
/*
 * JSON text (a tool input, an argument string) into a new json-c value
 * (caller puts), or NULL when it is not one whole JSON value.  Nests up
 * to C_JSON_DEPTH levels: deeper than json_tokener_parse()'s 32, since
 * the request body the text came from may have allowed it.
 */
#define C_JSON_DEPTH	256
json_object	*c_parse_json(const char *, size_t len);
/* A member of o (borrowed), or NULL when o is not an object or has none. */
json_object	*c_json_get(json_object *o, const char *key);
/* A string member of o (borrowed; its length in *len when len is not
 * NULL), or NULL when absent or not a string. */
const char	*c_json_str(json_object *o, const char *key, size_t *len);
/* "data:<mime>;base64,<b64>" → media type and payload; -1 if not a data URL. */
int		 c_parse_data_url(struct arena *, const char *url,
		    const char **media_type, const char **data, size_t *len);

#endif

/*
 * canonical.h: the one request model and the one event stream every
 * dialect and every provider speaks (DESIGN.md, "Canonical model";
 * conversion.md §1.5).  A client dialect decodes its request into a
 * struct c_request and turns struct c_event's into its own response or
 * stream; a provider turns a c_request into an upstream call and the
 * upstream's answer into c_event's.  N + M pieces, no pair code.
 *
 * The model mirrors Anthropic Messages, the richest of the three:
 * messages of typed parts, a system prompt of text parts, tools with
 * JSON Schema, and an event stream of numbered blocks.
 *
 * Ownership: a c_request is filled by a decoder; every string and
 * array in it is either borrowed from the request's parsed JSON body
 * (json-c; valid until the handler puts the body) or allocated from the
 * request's arena (valid until arena_reset).  Nothing in it is freed on
 * its own.  Strings are NUL-terminated; *_len fields give the length
 * where the text may contain NUL bytes or was sliced.
 *
 * Events carry borrowed pointers valid only during the sink call.
 */
#ifndef AICLIENT_CANONICAL_H
#define AICLIENT_CANONICAL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"

/* ---- request ------------------------------------------------------------ */

enum c_role {
	C_USER = 0,
	C_ASSISTANT
};

enum c_part_type {
	C_TEXT = 0,
	C_IMAGE,		/* media_type + data (base64) or url */
	C_DOCUMENT,		/* media_type + data, or text (text source), or url */
	C_AUDIO,		/* media_type ("audio/wav", "audio/mp3") + data */
	C_TOOL_USE,		/* assistant: id, name, input (JSON object text) */
	C_TOOL_RESULT,		/* user: id (= tool_use id), name?, content, is_error */
	C_THINKING,		/* text, signature?, origin */
	C_REDACTED_THINKING	/* data (opaque, Claude only) */
};

/* Which dialect produced a thinking part: signatures only mean
 * something to their own vendor (conversion.md §3.9). */
enum c_origin {
	C_ORIGIN_UNKNOWN = 0,
	C_ORIGIN_CLAUDE,
	C_ORIGIN_OPENAI,
	C_ORIGIN_GEMINI
};

struct c_part {
	enum c_part_type	 type;

	/* C_TEXT, C_THINKING, C_DOCUMENT with a text source */
	const char		*text;
	size_t			 text_len;
	const char		*signature;	/* C_THINKING; Gemini thoughtSignature */
	enum c_origin		 origin;

	/* C_IMAGE, C_DOCUMENT, C_AUDIO, C_REDACTED_THINKING */
	const char		*media_type;	/* "image/png", "application/pdf" */
	const char		*data;		/* base64, white space removed */
	size_t			 data_len;
	const char		*url;		/* remote source instead of data */
	const char		*title;		/* C_DOCUMENT, optional */

	/* C_TOOL_USE: id, name, input.  C_TOOL_RESULT: id, name (when the
	 * dialect names it, e.g. Gemini functionResponse), content. */
	const char		*id;
	const char		*name;
	const char		*input;		/* compact JSON object text */
	size_t			 input_len;
	struct c_part		*content;	/* C_TOOL_RESULT: C_TEXT / C_IMAGE */
	size_t			 ncontent;
	int			 is_error;

	int			 cache_control;	/* Claude cache_control was set */
};

struct c_message {
	enum c_role		 role;
	struct c_part		*parts;
	size_t			 nparts;
};

struct c_tool {
	const char		*name;
	const char		*description;	/* may be NULL */
	json_object		*schema;	/* JSON Schema object, borrowed; NULL = none */
	const char		*type;		/* Claude server tool type ("web_search_20250305"), else NULL */
};

enum c_tool_choice {
	C_TC_UNSET = 0,
	C_TC_AUTO,
	C_TC_NONE,
	C_TC_ANY,		/* OpenAI "required", Gemini ANY */
	C_TC_TOOL		/* tool_choice_name */
};

enum c_thinking {
	C_THINK_UNSET = 0,
	C_THINK_DISABLED,
	C_THINK_ENABLED,	/* budget in thinking_budget */
	C_THINK_ADAPTIVE	/* effort in reasoning_effort */
};

enum c_format {
	C_FMT_UNSET = 0,
	C_FMT_TEXT,
	C_FMT_JSON_OBJECT,
	C_FMT_JSON_SCHEMA	/* response_schema (+ name, strict) */
};

struct c_request {
	const char		*model;		/* exactly as the client sent it */

	struct c_part		*system;	/* C_TEXT parts, in order */
	size_t			 nsystem;
	struct c_message	*msgs;		/* user/assistant turns, in order */
	size_t			 nmsgs;
	struct c_tool		*tools;
	size_t			 ntools;

	enum c_tool_choice	 tool_choice;
	const char		*tool_choice_name;
	int			 has_parallel_tool_calls;
	int			 parallel_tool_calls;	/* when has_: 0 no, 1 yes */

	/* Generation parameters: only what the client sent (§1.6). */
	int64_t			 max_tokens;		/* 0: unset */
	int			 has_temperature;
	double			 temperature;
	int			 has_top_p;
	double			 top_p;
	int64_t			 top_k;			/* 0: unset */
	const char		**stop;
	size_t			 nstop;
	int64_t			 n;			/* 0: unset */
	int			 has_seed;
	int64_t			 seed;
	int			 has_presence_penalty;
	double			 presence_penalty;
	int			 has_frequency_penalty;
	double			 frequency_penalty;
	const char		*user;

	enum c_format		 format;
	json_object		*response_schema;	/* borrowed */
	const char		*response_schema_name;
	int			 response_schema_strict;

	/* Reasoning (conversion.md §3.9). */
	enum c_thinking		 thinking;
	int64_t			 thinking_budget;	/* 0: unset; -1 dynamic */
	const char		*reasoning_effort;	/* none|minimal|low|medium|high, or NULL */
	int			 include_thoughts;

	int			 stream;
	int			 include_usage;		/* OpenAI stream_options */
};

/* ---- events ------------------------------------------------------------- */

enum c_block {
	C_BLOCK_TEXT = 0,
	C_BLOCK_THINKING,
	C_BLOCK_TOOL_USE
};

enum c_delta {
	C_DELTA_TEXT = 0,
	C_DELTA_THINKING,
	C_DELTA_SIGNATURE,
	C_DELTA_JSON		/* partial_json of a tool_use input */
};

enum c_stop {
	C_STOP_NONE = 0,	/* not known yet */
	C_STOP_END_TURN,
	C_STOP_MAX_TOKENS,
	C_STOP_STOP_SEQUENCE,
	C_STOP_TOOL_USE,
	C_STOP_REFUSAL,
	C_STOP_PAUSE_TURN,
	C_STOP_CONTEXT_WINDOW	/* model_context_window_exceeded */
};

/* Token counts (conversion.md §1.5).  -1 = not known. */
struct c_usage {
	int64_t			 input;		/* all prompt tokens, cached ones included */
	int64_t			 output;	/* reasoning included */
	int64_t			 cache_read;
	int64_t			 cache_write;
	int64_t			 reasoning;
};

enum c_event_type {
	C_EV_MESSAGE_START = 0,	/* id, model, usage so far (estimate) */
	C_EV_BLOCK_START,	/* index, block; tool id and name for tool_use */
	C_EV_BLOCK_DELTA,	/* index, delta, text/len */
	C_EV_BLOCK_STOP,	/* index */
	C_EV_MESSAGE_DELTA,	/* stop, stop_sequence, final usage */
	C_EV_MESSAGE_STOP,	/* end of the message */
	C_EV_ERROR,		/* status, message, etype: the call failed */
	C_EV_PING		/* keep-alive while the upstream is silent */
};

struct c_event {
	enum c_event_type	 type;
	int			 index;		/* block index: 0, 1, 2, ... */
	enum c_block		 block;
	enum c_delta		 delta;
	const char		*text;		/* delta payload */
	size_t			 len;
	const char		*id;		/* message id (START) or tool id */
	const char		*name;		/* tool name */
	const char		*model;		/* START */
	enum c_stop		 stop;
	const char		*stop_sequence;
	struct c_usage		 usage;
	int			 status;	/* ERROR: HTTP status for the client */
	const char		*message;	/* ERROR */
	const char		*etype;		/* ERROR: optional Claude error type */
};

/*
 * A consumer of events.  Encoders and accumulators embed this as their
 * first member.  event() returns 0, or -1 to abort the call (client
 * gone, output cap hit): the provider then stops its transfer.
 */
struct c_sink {
	int	(*event)(struct c_sink *, const struct c_event *);
};

/* Event constructors (thin helpers so providers stay short). */
int	 c_emit_start(struct c_sink *, const char *id, const char *model,
	    const struct c_usage *);
int	 c_emit_block_start(struct c_sink *, int index, enum c_block,
	    const char *tool_id, const char *tool_name);
int	 c_emit_delta(struct c_sink *, int index, enum c_delta,
	    const char *text, size_t len);
int	 c_emit_block_stop(struct c_sink *, int index);
int	 c_emit_message_delta(struct c_sink *, enum c_stop,
	    const char *stop_sequence, const struct c_usage *);
int	 c_emit_message_stop(struct c_sink *);
int	 c_emit_error(struct c_sink *, int status, const char *etype,
	    const char *message);

void	 c_usage_init(struct c_usage *);	/* all -1 */

/* ---- accumulated response (non-stream) ------------------------------------ */

struct c_rblock {
	enum c_block		 type;
	struct buf		 text;		/* text, thinking, or tool input JSON */
	struct buf		 signature;	/* thinking signature */
	char			*id;		/* tool_use */
	char			*name;
};

/*
 * A sink that collects a whole answer: what a non-stream request
 * encodes into one JSON body.  The dialect encoders read it.
 */
struct c_response {
	struct c_sink		 sink;
	char			*id;
	char			*model;
	struct c_rblock		*blocks;
	size_t			 nblocks;
	enum c_stop		 stop;
	char			*stop_sequence;
	struct c_usage		 usage;
	int			 started, finished;
	int			 error_status;	/* an ERROR event arrived */
	char			*error_message;
	char			*error_type;
	size_t			 max_bytes;	/* cap on collected text */
};

void	 c_response_init(struct c_response *, size_t max_bytes);
void	 c_response_free(struct c_response *);

/* ---- ids and names ---------------------------------------------------------- */

/* "msg_" + 24 base62, "toolu_" + 24, "call_" + 24, "chatcmpl-" + 24. */
void	 c_make_id(char *out, size_t outlen, const char *prefix);
const char *c_stop_str(enum c_stop);	/* Claude names: "end_turn", ... */

/*
 * kiro.md §7.4 est(): ceil(ASCII/4) + CJK code points + ceil(other/2).
 * Used wherever the daemon must estimate tokens (DESIGN decision 21).
 * A c_est adds up text that arrives in pieces (rounding once at the end).
 */
struct c_est {
	int64_t		 ascii, cjk, other;
};
void	 c_est_add(struct c_est *, const char *s, size_t len);
int64_t	 c_est_value(const struct c_est *);
int64_t	 c_est_tokens(const char *s, size_t len);
/* Estimate for a whole request: system, messages, tools, 1600/image. */
int64_t	 c_est_request(const struct c_request *);

/* ---- debugging and tests ------------------------------------------------- */

/*
 * A c_request as JSON, for golden tests and debug logs:
 * {"model","system":[parts],"messages":[{"role","parts":[...]}],
 *  "tools":[{"name","description","schema","type"}],"tool_choice", ...}
 * Parts: {"type":"text","text"} {"type":"image","media_type","data"|"url"}
 * {"type":"tool_use","id","name","input":<object>} {"type":"tool_result",
 * "id","name","content":[...],"is_error"} {"type":"thinking","text",
 * "signature","origin"} ... ; unset optional fields are omitted.
 */
int	 c_request_to_json(const struct c_request *, struct buf *out);

/* A sink that records every event as JSON into an array (tests). */
struct c_recorder {
	struct c_sink		 sink;
	json_object		*events;	/* owned; array of event objects */
};
void	 c_recorder_init(struct c_recorder *);
void	 c_recorder_free(struct c_recorder *);
/* One event as JSON: {"type":"block_delta","index":0,"delta":"text","text":"..."} */
json_object *c_event_to_json(const struct c_event *);

#endif

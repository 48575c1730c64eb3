/*
 * openai_int.h: the OpenAI Chat Completions dialect's functions, split
 * over three files: openai_req.c (requests: the client decoder and the
 * backend encoder), openai_resp.c (answers: client encoders for whole
 * responses and streams, backend decoders for responses and streams)
 * and openai.c (the dialect table, model lists, errors and the small
 * helpers the other two share).  The signatures are those of struct
 * dialect_ops (dialect.h).
 */
#ifndef AICLIENT_OPENAI_INT_H
#define AICLIENT_OPENAI_INT_H

#include "dialect.h"

/* openai_req.c */
int	 openai_decode_request(json_object *, const char *, int,
	    struct c_request *, struct arena *, char *, size_t);
int	 openai_encode_request(const struct c_request *,
	    const struct c_opts *, struct buf *);

/* openai_resp.c */
int	 openai_encode_response(const struct c_response *,
	    const struct c_opts *, struct buf *);
struct c_sink *openai_stream_encoder(struct arena *, struct c_writer *,
	    const struct c_opts *);
int	 openai_decode_response(json_object *, const struct c_opts *,
	    struct c_sink *, char *, size_t);
void	*openai_stream_decoder(struct arena *, struct c_sink *,
	    const struct c_opts *);
int	 openai_stream_decode(void *, const char *, json_object *, char *,
	    size_t);
int	 openai_stream_end(void *, char *, size_t);

/* openai.c */
int	 openai_encode_models(const struct c_model *, size_t,
	    const struct c_opts *, struct buf *);
int	 openai_decode_models(json_object *, struct arena *,
	    struct c_model **, size_t *);
void	 openai_decode_error(int, json_object *, const char *, size_t,
	    struct c_error *);

/* Shared helpers (openai.c). */
/* A member of an object, borrowed; NULL when absent or JSON null. */
/* The string value of a member, borrowed; NULL unless it is a string. */
/* A finite double as a JSON number, shortest form that reads back. */
int	 oai_double(struct buf *, double);
/* IR stop reason -> OpenAI finish_reason (conversion.md §4.3). */
const char *oai_finish_str(enum c_stop, int has_tool_calls);
/* OpenAI finish_reason -> IR stop reason; C_STOP_NONE for unknown. */
enum c_stop oai_finish_parse(const char *);
/* The OpenAI usage object for IR usage (conversion.md §4.4). */
int	 oai_usage_write(struct buf *, const struct c_usage *);
/*
 * An OpenAI usage object into IR usage; returns 1 when it held a
 * non-zero count, 0 otherwise (the GLM sample sends zeros until the end).
 */
int	 oai_usage_parse(json_object *, struct c_usage *);
/* The HTTP status an upstream error object stands for, else dflt. */
int	 oai_error_status(json_object *error, int dflt);
/* The error message of an upstream error body; NULL if none. */
const char *oai_error_message(json_object *body);

#endif

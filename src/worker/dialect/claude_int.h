/*
 * claude_int.h: the Claude (Anthropic Messages) dialect's functions,
 * split over two files: claude_req.c (requests: client decoder, backend
 * encoder) and claude_resp.c (answers: client encoders for responses,
 * streams and model lists; backend decoders for responses, streams,
 * model lists and errors).  claude.c puts them in the dialect table.
 * The signatures are those of struct dialect_ops (dialect.h).
 */
#ifndef AICLIENT_CLAUDE_INT_H
#define AICLIENT_CLAUDE_INT_H

#include "dialect.h"

/* claude_req.c */
int	 claude_decode_request(json_object *, const char *, int,
	    struct c_request *, struct arena *, char *, size_t);
int	 claude_encode_request(const struct c_request *,
	    const struct c_opts *, struct buf *);

/* claude_resp.c */
int	 claude_encode_response(const struct c_response *,
	    const struct c_opts *, struct buf *);
struct c_sink *claude_stream_encoder(struct arena *, struct c_writer *,
	    const struct c_opts *);
int	 claude_encode_models(const struct c_model *, size_t,
	    const struct c_opts *, struct buf *);
int	 claude_decode_response(json_object *, const struct c_opts *,
	    struct c_sink *, char *, size_t);
void	*claude_stream_decoder(struct arena *, struct c_sink *,
	    const struct c_opts *);
int	 claude_stream_decode(void *, const char *, json_object *, char *,
	    size_t);
int	 claude_stream_end(void *, char *, size_t);
int	 claude_decode_models(json_object *, struct arena *,
	    struct c_model **, size_t *);
void	 claude_decode_error(int, json_object *, const char *, size_t,
	    struct c_error *);

#endif

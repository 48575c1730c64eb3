/*
 * gemini_int.h: the Gemini (v1beta generateContent) dialect's functions,
 * split over two files: gemini_req.c (requests: the client decoder and
 * the backend encoder with its schema sanitizer) and gemini_resp.c
 * (answers: client encoders for responses, streams and model lists;
 * backend decoders for responses, streams, model lists and errors).
 * gemini.c puts them in the dialect table and holds the small helpers
 * both halves share.  The signatures are those of struct dialect_ops
 * (dialect.h).
 */
#ifndef AICLIENT_GEMINI_INT_H
#define AICLIENT_GEMINI_INT_H

#include "dialect.h"

/* The documented thoughtSignature placeholder for function calls that no
 * Gemini model signed (conversion.md §3.6 rule 3). */
#define GEMINI_SKIP_SIGNATURE	"skip_thought_signature_validator"

/* gemini_req.c */
int	 gemini_decode_request(json_object *, const char *, int,
	    struct c_request *, struct arena *, char *, size_t);
int	 gemini_encode_request(const struct c_request *,
	    const struct c_opts *, struct buf *);
/*
 * The §3.4.1 sanitizer: a new json-c object (caller puts) holding the
 * Gemini form of the JSON Schema s; top: a tool's parameters, whose
 * missing type means OBJECT.  Never NULL unless memory ran out.
 */
json_object *gemini_sanitize_schema(json_object *s, int top);

/* gemini_resp.c */
int	 gemini_encode_response(const struct c_response *,
	    const struct c_opts *, struct buf *);
struct c_sink *gemini_stream_encoder(struct arena *, struct c_writer *,
	    const struct c_opts *);
int	 gemini_encode_models(const struct c_model *, size_t,
	    const struct c_opts *, struct buf *);
int	 gemini_encode_model(const struct c_model *, const struct c_opts *,
	    struct buf *);
int	 gemini_decode_response(json_object *, const struct c_opts *,
	    struct c_sink *, char *, size_t);
void	*gemini_stream_decoder(struct arena *, struct c_sink *,
	    const struct c_opts *);
int	 gemini_stream_decode(void *, const char *, json_object *, char *,
	    size_t);
int	 gemini_stream_end(void *, char *, size_t);
int	 gemini_decode_models(json_object *, struct arena *,
	    struct c_model **, size_t *);
void	 gemini_decode_error(int, json_object *, const char *, size_t,
	    struct c_error *);

/* gemini.c: shared helpers */
/*
 * Member of o spelled camel or snake (camel wins); borrowed from o.
 * *key, when not NULL, gets the spelling found (for error messages).
 */
json_object *gemini_field(json_object *o, const char *camel,
	    const char *snake, const char **key);
/* A number as compact JSON: integral values without a fraction, others
 * with the shortest of %.15g / %.17g that reads back the same. */
int	 gemini_jw_double(struct buf *, double);
/* Compact JSON text of o: borrowed from o, valid until o changes. */
const char *gemini_json_text(json_object *o, size_t *len);

#endif

/*
 * claude_resp.c: placeholder until the module lands.
 */
#include "config.h"

#include <stdio.h>

#include "claude_int.h"

int
claude_encode_response(const struct c_response *r, const struct c_opts *o,
    struct buf *out)
{
	return -1;
}

struct c_sink *
claude_stream_encoder(struct arena *a, struct c_writer *w,
    const struct c_opts *o)
{
	return NULL;
}

int
claude_encode_models(const struct c_model *m, size_t n,
    const struct c_opts *o, struct buf *out)
{
	return -1;
}

int
claude_decode_response(json_object *b, const struct c_opts *o,
    struct c_sink *s, char *err, size_t errlen)
{
	return -1;
}

void *
claude_stream_decoder(struct arena *a, struct c_sink *s,
    const struct c_opts *o)
{
	return NULL;
}

int
claude_stream_decode(void *st, const char *ev, json_object *d, char *err,
    size_t errlen)
{
	return -1;
}

int
claude_stream_end(void *st, char *err, size_t errlen)
{
	return -1;
}

int
claude_decode_models(json_object *b, struct arena *a, struct c_model **out,
    size_t *n)
{
	return -1;
}

void
claude_decode_error(int status, json_object *body, const char *raw,
    size_t rawlen, struct c_error *out)
{
	out->status = status;
	out->message[0] = '\0';
	out->etype = NULL;
}

/*
 * claude_req.c: placeholder until the module lands.
 */
#include "config.h"

#include <stdio.h>

#include "claude_int.h"

int
claude_decode_request(json_object *body, const char *pm, int stream,
    struct c_request *out, struct arena *a, char *err, size_t errlen)
{
	snprintf(err, errlen, "not implemented");
	return -1;
}

int
claude_encode_request(const struct c_request *r, const struct c_opts *o,
    struct buf *out)
{
	return -1;
}

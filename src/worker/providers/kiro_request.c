/* kiro_request.c: placeholder until the module lands. */
#include "config.h"

#include <stdio.h>

#include "kiro.h"

int
kiro_build_request(const struct c_request *r, struct kiro_req *k,
    struct arena *a, struct buf *out, char *err, size_t errlen)
{
	snprintf(err, errlen, "not implemented");
	return -1;
}

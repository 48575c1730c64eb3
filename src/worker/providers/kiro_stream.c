/* kiro_stream.c: placeholder until the module lands. */
#include "config.h"

#include "kiro.h"

struct kiro_stream *
kiro_stream_new(struct arena *a, struct c_sink *s,
    const struct kiro_stream_opts *o)
{
	return NULL;
}

int
kiro_stream_feed(struct kiro_stream *ks, const void *p, size_t n)
{
	return -1;
}

int
kiro_stream_finish(struct kiro_stream *ks)
{
	return -1;
}

int
kiro_stream_has_output(const struct kiro_stream *ks)
{
	return 0;
}

double
kiro_stream_credits(const struct kiro_stream *ks)
{
	return 0;
}

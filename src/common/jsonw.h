/*
 * jsonw.h: a small JSON writer that appends to a struct buf.  The hot
 * paths (stream events, response bodies) build JSON with these instead
 * of json-c objects: no allocation per value, one pass.  Callers write
 * the punctuation themselves; these helpers only encode values.
 * Every function returns 0, or -1 when the buffer's cap was hit.
 */
#ifndef AICLIENT_JSONW_H
#define AICLIENT_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"

/* A JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD. */
int	 jw_str(struct buf *, const char *s, size_t len);
int	 jw_cstr(struct buf *, const char *s);	/* NULL -> null */
int	 jw_int(struct buf *, int64_t);
/* "key": (with the comma before it when first == 0) */
int	 jw_key(struct buf *, const char *key, int first);
/* A json-c value, compact. */
int	 jw_obj(struct buf *, json_object *);
/* Zero every string inside a json-c value (credentials) before it is
 * put: json-c frees without wiping. */
void	 json_wipe_strings(json_object *);

#endif

/*
 * eventstream.h: decoder for the AWS binary event-stream framing
 * (application/vnd.amazon.eventstream) that Kiro answers with.
 *
 * A push parser: es_feed() takes whatever libcurl's write callback
 * got, verifies each frame's prelude and message CRC-32 (IEEE, not
 * CRC-32C), parses its header block and hands complete frames to a
 * callback.  It keeps at most one frame buffered (<= 16 MiB).  It
 * knows nothing about Kiro's JSON payloads: that is kiro_stream's job.
 */
#ifndef AICLIENT_EVENTSTREAM_H
#define AICLIENT_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define ES_MAX_FRAME	(16u * 1024 * 1024)
#define ES_MAX_HEADERS_LEN	(128u * 1024)

/* One decoded frame; every pointer borrowed, valid during the callback. */
struct es_frame {
	/* String headers Kiro uses; NULL when absent. NUL-terminated copies. */
	const char		*message_type;	/* ":message-type" */
	const char		*event_type;	/* ":event-type" */
	const char		*exception_type;/* ":exception-type" */
	const char		*content_type;	/* ":content-type" */
	const char		*error_code;	/* ":error-code" */
	const char		*error_message;	/* ":error-message" */
	const unsigned char	*payload;
	size_t			 payload_len;
};

/* Return 0 to go on, -1 to stop decoding (es_feed then returns -1). */
typedef int (*es_frame_cb)(void *arg, const struct es_frame *);

struct es_decoder {
	struct buf	 b;		/* unconsumed bytes: at most one frame */
	uint64_t	 frames;	/* frames delivered so far */
	char		 err[128];	/* why decoding stopped */
	int		 failed;	/* sticky: corrupt stream */
};

void	 es_init(struct es_decoder *);
void	 es_free(struct es_decoder *);
/*
 * Feed bytes.  0: all complete frames delivered, the rest buffered.
 * -1: corrupt stream (bad CRC, bad lengths, bad header block) or the
 * callback asked to stop; es->err says which.  Once failed, every
 * later call returns -1.
 */
int	 es_feed(struct es_decoder *, const void *, size_t, es_frame_cb,
	    void *arg);
/* End of body: -1 (and err set) when a partial frame is left over. */
int	 es_finish(struct es_decoder *);

/* IEEE CRC-32 (zlib polynomial), continuing from crc (start with 0). */
uint32_t es_crc32(uint32_t crc, const void *, size_t);

/*
 * Encoder, for the tests and the mock upstream: one frame with the
 * given string headers (names and values arrays of n) and payload,
 * appended to out.  -1 if out's cap is hit.
 */
int	 es_encode(struct buf *out, const char *const *names,
	    const char *const *values, size_t n, const void *payload,
	    size_t payload_len);

#endif

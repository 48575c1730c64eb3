/*
 * eventstream.c: the AWS event-stream frame codec.  It owns the IEEE
 * CRC-32 table, the prelude and length checks, the bounds-checked walk
 * over a frame's header block, the buffering of at most one partial
 * frame between es_feed() calls, and the encoder used by the tests and
 * the mock upstream.  Frames that are contiguous in the caller's input
 * are decoded in place; only a frame's unfinished tail is copied.  It
 * never looks inside payloads.  See eventstream.h for the contract and
 * kiro.md section 6.2-6.4 for the wire format.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "eventstream.h"

#define ES_PRELUDE_LEN	12		/* total, headers length, CRC */
#define ES_MIN_FRAME	16		/* prelude + message CRC */
#define ES_HDR_VALUE_MAX	1024	/* longer exposed values are cut */
#define ES_KEEP_BUF	(64u * 1024)	/* drop bigger buffers when idle */

/* The string headers struct es_frame exposes, in scratch slot order. */
enum es_slot {
	ES_SLOT_MESSAGE_TYPE,
	ES_SLOT_EVENT_TYPE,
	ES_SLOT_EXCEPTION_TYPE,
	ES_SLOT_CONTENT_TYPE,
	ES_SLOT_ERROR_CODE,
	ES_SLOT_ERROR_MESSAGE,
	ES_SLOT_COUNT
};

#define ES_NAME(s)	{ s, sizeof(s) - 1 }

static const struct {
	const char	*name;
	size_t		 len;
} es_slot_names[ES_SLOT_COUNT] = {
	ES_NAME(":message-type"),
	ES_NAME(":event-type"),
	ES_NAME(":exception-type"),
	ES_NAME(":content-type"),
	ES_NAME(":error-code"),
	ES_NAME(":error-message"),
};

/* Per-frame copies of the exposed header values; lives on the stack. */
struct es_scratch {
	char	 v[ES_SLOT_COUNT][ES_HDR_VALUE_MAX + 1];
};

/* Header value types, kiro.md section 6.3. */
enum es_htype {
	ES_HT_TRUE = 0,
	ES_HT_FALSE = 1,
	ES_HT_BYTE = 2,
	ES_HT_SHORT = 3,
	ES_HT_INT = 4,
	ES_HT_LONG = 5,
	ES_HT_BYTES = 6,
	ES_HT_STRING = 7,
	ES_HT_TIMESTAMP = 8,
	ES_HT_UUID = 9
};

/* Reflected polynomial 0xEDB88320, entry i = CRC of the byte i. */
static const uint32_t es_crc_table[256] = {
	0x00000000, 0x77073096, 0xee0e612c, 0x990951ba,
	0x076dc419, 0x706af48f, 0xe963a535, 0x9e6495a3,
	0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
	0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91,
	0x1db71064, 0x6ab020f2, 0xf3b97148, 0x84be41de,
	0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
	0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec,
	0x14015c4f, 0x63066cd9, 0xfa0f3d63, 0x8d080df5,
	0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
	0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b,
	0x35b5a8fa, 0x42b2986c, 0xdbbbc9d6, 0xacbcf940,
	0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
	0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116,
	0x21b4f4b5, 0x56b3c423, 0xcfba9599, 0xb8bda50f,
	0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
	0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d,
	0x76dc4190, 0x01db7106, 0x98d220bc, 0xefd5102a,
	0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
	0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818,
	0x7f6a0dbb, 0x086d3d2d, 0x91646c97, 0xe6635c01,
	0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
	0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457,
	0x65b0d9c6, 0x12b7e950, 0x8bbeb8ea, 0xfcb9887c,
	0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
	0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2,
	0x4adfa541, 0x3dd895d7, 0xa4d1c46d, 0xd3d6f4fb,
	0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
	0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9,
	0x5005713c, 0x270241aa, 0xbe0b1010, 0xc90c2086,
	0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
	0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4,
	0x59b33d17, 0x2eb40d81, 0xb7bd5c3b, 0xc0ba6cad,
	0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
	0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683,
	0xe3630b12, 0x94643b84, 0x0d6d6a3e, 0x7a6a5aa8,
	0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
	0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe,
	0xf762575d, 0x806567cb, 0x196c3671, 0x6e6b06e7,
	0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
	0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5,
	0xd6d6a3e8, 0xa1d1937e, 0x38d8c2c4, 0x4fdff252,
	0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
	0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60,
	0xdf60efc3, 0xa867df55, 0x316e8eef, 0x4669be79,
	0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
	0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f,
	0xc5ba3bbe, 0xb2bd0b28, 0x2bb45a92, 0x5cb36a04,
	0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
	0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a,
	0x9c0906a9, 0xeb0e363f, 0x72076785, 0x05005713,
	0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
	0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21,
	0x86d3d2d4, 0xf1d4e242, 0x68ddb3f8, 0x1fda836e,
	0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
	0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c,
	0x8f659eff, 0xf862ae69, 0x616bffd3, 0x166ccf45,
	0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
	0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db,
	0xaed16a4a, 0xd9d65adc, 0x40df0b66, 0x37d83bf0,
	0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
	0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6,
	0xbad03605, 0xcdd70693, 0x54de5729, 0x23d967bf,
	0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
	0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d
};

static int	es_fail(struct es_decoder *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

uint32_t
es_crc32(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	crc ^= 0xffffffffu;
	for (i = 0; i < len; i++)
		crc = es_crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return crc ^ 0xffffffffu;
}

static uint32_t
es_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint16_t
es_be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
es_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
es_put_be16(unsigned char *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

void
es_init(struct es_decoder *es)
{
	buf_init(&es->b, ES_MAX_FRAME);
	es->frames = 0;
	es->err[0] = '\0';
	es->failed = 0;
}

void
es_free(struct es_decoder *es)
{
	buf_free(&es->b);
}

/* Record why decoding stopped; the decoder stays failed.  Returns -1. */
static int
es_fail(struct es_decoder *es, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(es->err, sizeof(es->err), fmt, ap);
	va_end(ap);
	es->failed = 1;
	return -1;
}

/*
 * Check the 12-byte prelude at p: its CRC first (so a corrupt length is
 * never trusted), then the limits.  The frame length goes to *totalp.
 */
static int
es_check_prelude(struct es_decoder *es, const unsigned char *p,
    uint32_t *totalp)
{
	uint32_t total, hlen;

	if (es_crc32(0, p, 8) != es_be32(p + 8))
		return es_fail(es, "prelude CRC mismatch");
	total = es_be32(p);
	hlen = es_be32(p + 4);
	if (total < ES_MIN_FRAME || total > ES_MAX_FRAME)
		return es_fail(es, "frame length %u out of range", total);
	if (hlen > ES_MAX_HEADERS_LEN || hlen > total - ES_MIN_FRAME)
		return es_fail(es, "headers length %u out of range for frame "
		    "length %u", hlen, total);
	*totalp = total;
	return 0;
}

/*
 * Copy a string header value into its scratch slot and point the frame
 * at it.  Values longer than ES_HDR_VALUE_MAX are cut, before the UTF-8
 * sequence that straddles the limit.  A repeated header: the last wins.
 */
static void
es_expose(struct es_frame *f, struct es_scratch *sc, enum es_slot slot,
    const unsigned char *v, size_t vlen)
{
	size_t n;

	n = vlen;
	if (n > ES_HDR_VALUE_MAX) {
		n = ES_HDR_VALUE_MAX;
		while (n > 0 && (v[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(sc->v[slot], v, n);
	sc->v[slot][n] = '\0';
	switch (slot) {
	case ES_SLOT_MESSAGE_TYPE:
		f->message_type = sc->v[slot];
		break;
	case ES_SLOT_EVENT_TYPE:
		f->event_type = sc->v[slot];
		break;
	case ES_SLOT_EXCEPTION_TYPE:
		f->exception_type = sc->v[slot];
		break;
	case ES_SLOT_CONTENT_TYPE:
		f->content_type = sc->v[slot];
		break;
	case ES_SLOT_ERROR_CODE:
		f->error_code = sc->v[slot];
		break;
	case ES_SLOT_ERROR_MESSAGE:
		f->error_message = sc->v[slot];
		break;
	case ES_SLOT_COUNT:
		break;
	}
}

/*
 * Walk the header block p[0..hlen): validate every header, expose the
 * known string ones, skip the rest.  Every read is bounds-checked
 * against hlen, never against the payload behind it.
 */
static int
es_parse_headers(struct es_decoder *es, const unsigned char *p, size_t hlen,
    struct es_frame *f, struct es_scratch *sc)
{
	const unsigned char *name;
	size_t off, nlen, vlen;
	unsigned int type;
	int i;

	off = 0;
	while (off < hlen) {
		nlen = p[off++];
		if (nlen == 0)
			return es_fail(es, "bad header block: name length 0 "
			    "at offset %zu", off - 1);
		if (nlen > hlen - off)
			return es_fail(es, "bad header block: truncated "
			    "header name");
		name = p + off;
		off += nlen;
		if (off == hlen)
			return es_fail(es, "bad header block: header "
			    "without value type");
		type = p[off++];
		switch (type) {
		case ES_HT_TRUE:
		case ES_HT_FALSE:
			vlen = 0;
			break;
		case ES_HT_BYTE:
			vlen = 1;
			break;
		case ES_HT_SHORT:
			vlen = 2;
			break;
		case ES_HT_INT:
			vlen = 4;
			break;
		case ES_HT_LONG:
		case ES_HT_TIMESTAMP:
			vlen = 8;
			break;
		case ES_HT_UUID:
			vlen = 16;
			break;
		case ES_HT_BYTES:
		case ES_HT_STRING:
			if (hlen - off < 2)
				return es_fail(es, "bad header block: "
				    "truncated value length");
			vlen = es_be16(p + off);
			off += 2;
			break;
		default:
			return es_fail(es, "bad header block: unknown header "
			    "value type %u", type);
		}
		if (vlen > hlen - off)
			return es_fail(es, "bad header block: truncated "
			    "value of type %u", type);
		if (type == ES_HT_STRING) {
			for (i = 0; i < ES_SLOT_COUNT; i++) {
				if (nlen == es_slot_names[i].len &&
				    memcmp(name, es_slot_names[i].name,
				    nlen) == 0) {
					es_expose(f, sc, i, p + off, vlen);
					break;
				}
			}
		}
		off += vlen;
	}
	return 0;
}

/*
 * p holds one whole frame of total bytes whose prelude was checked:
 * verify the message CRC, parse the headers and hand it to cb.
 */
static int
es_deliver(struct es_decoder *es, const unsigned char *p, uint32_t total,
    es_frame_cb cb, void *arg)
{
	struct es_scratch sc;
	struct es_frame f;
	uint32_t hlen;

	if (es_crc32(0, p, total - 4) != es_be32(p + total - 4))
		return es_fail(es, "message CRC mismatch");
	hlen = es_be32(p + 4);
	memset(&f, 0, sizeof(f));
	if (es_parse_headers(es, p + ES_PRELUDE_LEN, hlen, &f, &sc) == -1)
		return -1;
	f.payload = p + ES_PRELUDE_LEN + hlen;
	f.payload_len = total - ES_MIN_FRAME - hlen;
	es->frames++;
	if (cb != NULL && cb(arg, &f) != 0)
		return es_fail(es, "stopped by consumer");
	return 0;
}

/* Append to the partial frame buffer. */
static int
es_stash(struct es_decoder *es, const unsigned char *p, size_t n)
{
	if (buf_add(&es->b, p, n) == -1)
		return es_fail(es, "out of memory buffering a frame");
	return 0;
}

/* The buffered frame is done: empty the buffer, keep small memory. */
static void
es_unstash(struct es_decoder *es)
{
	if (es->b.cap > ES_KEEP_BUF)
		buf_free(&es->b);
	else
		buf_reset(&es->b);
}

/*
 * Invariant between calls: es->b holds a proper prefix of one frame, and
 * if it holds 12 bytes or more their prelude has been checked.  The
 * callback must not call es_feed() on the same decoder.
 */
int
es_feed(struct es_decoder *es, const void *data, size_t len, es_frame_cb cb,
    void *arg)
{
	const unsigned char *p = data;
	const unsigned char *fp;
	uint32_t total;
	size_t need, take;
	int r;

	if (es->failed)
		return -1;

	/* Finish the buffered frame, copying only the bytes it lacks. */
	while (es->b.len > 0 && len > 0) {
		fp = (const unsigned char *)es->b.data;
		if (es->b.len < ES_PRELUDE_LEN)
			need = ES_PRELUDE_LEN - es->b.len;
		else
			need = es_be32(fp) - es->b.len;
		take = need < len ? need : len;
		if (es_stash(es, p, take) == -1)
			return -1;
		p += take;
		len -= take;
		fp = (const unsigned char *)es->b.data;
		if (es->b.len == ES_PRELUDE_LEN) {
			if (es_check_prelude(es, fp, &total) == -1)
				return -1;
		} else if (es->b.len > ES_PRELUDE_LEN &&
		    es->b.len == es_be32(fp)) {
			r = es_deliver(es, fp, es->b.len, cb, arg);
			es_unstash(es);
			if (r == -1)
				return -1;
		}
	}

	/* Whole frames in the caller's bytes are decoded in place. */
	while (len >= ES_PRELUDE_LEN) {
		if (es_check_prelude(es, p, &total) == -1)
			return -1;
		if (total > len)
			break;
		if (es_deliver(es, p, total, cb, arg) == -1)
			return -1;
		p += total;
		len -= total;
	}

	/* What is left is the start of one frame (the buffer is empty). */
	if (len > 0 && es_stash(es, p, len) == -1)
		return -1;
	return 0;
}

int
es_finish(struct es_decoder *es)
{
	if (es->failed)
		return -1;
	if (es->b.len > 0)
		return es_fail(es, "truncated frame: %zu bytes left at end "
		    "of stream", es->b.len);
	return 0;
}

/*
 * Bad arguments (a name of 0 or more than 255 bytes, a value over 65535
 * bytes, headers or frame over the limits) return -1 and leave out as it
 * was; hitting out's cap returns -1 and frees out, as buf_add does.
 */
int
es_encode(struct buf *out, const char *const *names,
    const char *const *values, size_t n, const void *payload,
    size_t payload_len)
{
	unsigned char *q, *start;
	size_t i, hlen, total, nlen, vlen;

	hlen = 0;
	for (i = 0; i < n; i++) {
		if (names[i] == NULL || values[i] == NULL)
			return -1;
		nlen = strlen(names[i]);
		vlen = strlen(values[i]);
		if (nlen == 0 || nlen > 255 || vlen > UINT16_MAX)
			return -1;
		hlen += 1 + nlen + 1 + 2 + vlen;
		if (hlen > ES_MAX_HEADERS_LEN)
			return -1;
	}
	if (payload_len > ES_MAX_FRAME - ES_MIN_FRAME - hlen)
		return -1;
	total = ES_MIN_FRAME + hlen + payload_len;
	if (buf_reserve(out, total) == -1)
		return -1;

	start = (unsigned char *)out->data + out->len;
	q = start;
	es_put_be32(q, (uint32_t)total);
	es_put_be32(q + 4, (uint32_t)hlen);
	es_put_be32(q + 8, es_crc32(0, q, 8));
	q += ES_PRELUDE_LEN;
	for (i = 0; i < n; i++) {
		nlen = strlen(names[i]);
		vlen = strlen(values[i]);
		*q++ = (unsigned char)nlen;
		memcpy(q, names[i], nlen);
		q += nlen;
		*q++ = ES_HT_STRING;
		es_put_be16(q, (uint16_t)vlen);
		q += 2;
		memcpy(q, values[i], vlen);
		q += vlen;
	}
	if (payload_len > 0)
		memcpy(q, payload, payload_len);
	q += payload_len;
	es_put_be32(q, es_crc32(0, start, total - 4));
	out->len += total;
	out->data[out->len] = '\0';
	return 0;
}

/*
 * test_eventstream.c: unit tests of the event-stream codec
 * (eventstream.c): CRC known answers, the captured Kiro fixtures fed
 * whole, split in two at every byte and byte by byte, a bit flipped in
 * every byte, every truncation, bad lengths, every header value type,
 * a consumer that stops, and the encoder.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "eventstream.h"
#include "unit.h"

/*
 * Check's ck_assert_*() report every assertion that passes to the
 * runner (a write(2) each); these call into Check only on failure, so
 * the loops over every byte and bit stay fast.
 */
#define EXPECT_MSG(c, ...)	do {					\
	if (!(c))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)
#define EXPECT(c)	EXPECT_MSG(c, "expected %s", #c)
#define EXPECT_INT(a, op, b)	do {					\
	intmax_t a_ = (a), b_ = (b);					\
	EXPECT_MSG(a_ op b_, "%s %s %s: %jd, %jd", #a, #op, #b, a_, b_); \
} while (0)
#define EXPECT_UINT(a, op, b)	do {					\
	uintmax_t a_ = (a), b_ = (b);					\
	EXPECT_MSG(a_ op b_, "%s %s %s: %ju, %ju", #a, #op, #b, a_, b_); \
} while (0)
#define EXPECT_PSTR(a, b)	do {					\
	const char *a_ = (a), *b_ = (b);				\
	EXPECT_MSG((a_ == NULL && b_ == NULL) || (a_ != NULL &&		\
	    b_ != NULL && strcmp(a_, b_) == 0), "%s is \"%s\", want \"%s\"", \
	    #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");		\
} while (0)
#define EXPECT_STR(a, b)	EXPECT_PSTR(a, b)

#define MAX_FRAMES	64
#define NHDR		6
#define HDR_VALUE_MAX	1024	/* eventstream.c cuts exposed values here */

static const char *const fixture_names[] = {
	"text-answer",
	"tool-call-fragments",
	"exception-midstream",
	"exception-first",
	"bracket-tool-call",
};
#define NFIXTURES	(sizeof(fixture_names) / sizeof(fixture_names[0]))

/* Keys of the .frames.json entries, in got.hdr order. */
static const char *const hdr_keys[NHDR] = {
	"message_type", "event_type", "exception_type",
	"content_type", "error_code", "error_message",
};

/*
 * What a header must be when its key is missing from a .frames.json
 * entry: the listings leave out :content-type, which every captured
 * frame carries.
 */
static const char *const hdr_defaults[NHDR] = {
	NULL, NULL, NULL, "application/json", NULL, NULL,
};

static const unsigned char empty_frame[16] = {
	0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
	0x05, 0xc2, 0x48, 0xeb, 0x7d, 0x98, 0xc8, 0xff,
};

/* A delivered frame, copied out of the callback. */
struct got {
	char		*hdr[NHDR];	/* NULL when the header was absent */
	unsigned char	*payload;
	size_t		 payload_len;
	int		 in_place;	/* payload pointed into the input */
};

struct collector {
	struct got	 f[MAX_FRAMES];
	size_t		 n;
	size_t		 stop_at;	/* return -1 for this frame index */
	const unsigned char *lo, *hi;	/* the bytes of the current es_feed */
};

/* One fixture: the .bin bytes, its .frames.json and frame offsets. */
struct fx {
	unsigned char	*data;
	size_t		 len;
	struct json_object *frames;	/* owned, put in fx_free */
	size_t		 bounds[MAX_FRAMES + 1];	/* starts, then len */
	size_t		 nb;		/* frame count */
};

static char *
dupstr(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = strdup(s);
	EXPECT(p != NULL);
	return p;
}

static int
collect(void *arg, const struct es_frame *ef)
{
	struct collector *c = arg;
	struct got *g;

	EXPECT_UINT(c->n, <, MAX_FRAMES);
	g = &c->f[c->n];
	g->hdr[0] = dupstr(ef->message_type);
	g->hdr[1] = dupstr(ef->event_type);
	g->hdr[2] = dupstr(ef->exception_type);
	g->hdr[3] = dupstr(ef->content_type);
	g->hdr[4] = dupstr(ef->error_code);
	g->hdr[5] = dupstr(ef->error_message);
	g->payload = malloc(ef->payload_len + 1);
	EXPECT(g->payload != NULL);
	if (ef->payload_len > 0)
		memcpy(g->payload, ef->payload, ef->payload_len);
	g->payload_len = ef->payload_len;
	g->in_place = c->lo != NULL &&
	    (uintptr_t)ef->payload >= (uintptr_t)c->lo &&
	    (uintptr_t)ef->payload < (uintptr_t)c->hi;
	c->n++;
	if (c->n - 1 == c->stop_at)
		return -1;
	return 0;
}

static void
collector_init(struct collector *c)
{
	memset(c, 0, sizeof(*c));
	c->stop_at = SIZE_MAX;
}

static void
collector_free(struct collector *c)
{
	size_t i;
	int j;

	for (i = 0; i < c->n; i++) {
		for (j = 0; j < NHDR; j++)
			free(c->f[i].hdr[j]);
		free(c->f[i].payload);
	}
	c->n = 0;
}

/* es_feed with the in-place window set to these bytes. */
static int
feed(struct es_decoder *es, struct collector *c, const unsigned char *p,
    size_t n)
{
	c->lo = p;
	c->hi = p + n;
	return es_feed(es, p, n, collect, c);
}

static uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
wr32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static unsigned char *
slurp(const char *path, size_t *lenp)
{
	FILE *fp;
	unsigned char *p;
	long n;

	fp = fopen(path, "rb");
	EXPECT_MSG(fp != NULL, "cannot open %s", path);
	EXPECT_INT(fseek(fp, 0, SEEK_END), ==, 0);
	n = ftell(fp);
	EXPECT_INT(n, >=, 0);
	rewind(fp);
	p = malloc((size_t)n + 1);
	EXPECT(p != NULL);
	EXPECT_UINT(fread(p, 1, (size_t)n, fp), ==, (size_t)n);
	fclose(fp);
	*lenp = (size_t)n;
	return p;
}

static void
fx_load(struct fx *x, const char *name)
{
	char path[512];
	size_t off;

	snprintf(path, sizeof(path), "%s/kiro/%s.bin", FIXTURES, name);
	x->data = slurp(path, &x->len);
	snprintf(path, sizeof(path), "%s/kiro/%s.frames.json", FIXTURES, name);
	x->frames = json_object_from_file(path);
	EXPECT_MSG(x->frames != NULL, "cannot parse %s", path);
	EXPECT(json_object_is_type(x->frames, json_type_array));

	/* Frame offsets, walked independently of the decoder. */
	x->nb = 0;
	off = 0;
	while (off < x->len) {
		EXPECT_UINT(off + 16, <=, x->len);
		EXPECT_UINT(x->nb, <, MAX_FRAMES);
		x->bounds[x->nb++] = off;
		off += rd32(x->data + off);
	}
	EXPECT_UINT(off, ==, x->len);
	x->bounds[x->nb] = x->len;
	EXPECT_UINT(x->nb, ==, json_object_array_length(x->frames));
}

static void
fx_free(struct fx *x)
{
	free(x->data);
	json_object_put(x->frames);
}

/* Index of the frame that holds byte pos (nb when pos == len). */
static size_t
fx_frame_of(const struct fx *x, size_t pos)
{
	size_t k;

	for (k = 0; k < x->nb; k++)
		if (pos < x->bounds[k + 1])
			return k;
	return x->nb;
}

/* Compare the first count collected frames with the .frames.json ones. */
static void
check_frames(const struct collector *c, const struct fx *x, size_t count,
    const char *what, size_t where)
{
	struct json_tokener *tok;
	struct json_object *e, *v, *o;
	const struct got *g;
	const char *want;
	size_t i;
	int j;

	EXPECT_MSG(c->n == count, "%s %zu: %zu frames, want %zu", what,
	    where, c->n, count);
	for (i = 0; i < count; i++) {
		g = &c->f[i];
		e = json_object_array_get_idx(x->frames, i);
		for (j = 0; j < NHDR; j++) {
			want = hdr_defaults[j];
			if (json_object_object_get_ex(e, hdr_keys[j], &v))
				want = json_object_get_string(v);
			EXPECT_MSG((want == NULL && g->hdr[j] == NULL) ||
			    (want != NULL && g->hdr[j] != NULL &&
			    strcmp(want, g->hdr[j]) == 0),
			    "%s %zu: frame %zu %s is %s, want %s", what, where,
			    i, hdr_keys[j], g->hdr[j] ? g->hdr[j] : "(null)",
			    want ? want : "(null)");
		}
		if (!json_object_object_get_ex(e, "payload", &v) || v == NULL) {
			EXPECT_UINT(g->payload_len, ==, 0);
			continue;
		}
		tok = json_tokener_new();
		EXPECT(tok != NULL);
		o = json_tokener_parse_ex(tok, (const char *)g->payload,
		    (int)g->payload_len);
		EXPECT_MSG(o != NULL &&
		    json_tokener_get_error(tok) == json_tokener_success &&
		    json_tokener_get_parse_end(tok) == g->payload_len,
		    "%s %zu: frame %zu payload is not one JSON value", what,
		    where, i);
		EXPECT_MSG(json_object_equal(o, v),
		    "%s %zu: frame %zu payload differs", what, where, i);
		json_object_put(o);
		json_tokener_free(tok);
	}
}

/* A 12-byte prelude with a correct CRC. */
static void
mk_prelude(unsigned char p[12], uint32_t total, uint32_t hlen)
{
	wr32(p, total);
	wr32(p + 4, hlen);
	wr32(p + 8, es_crc32(0, p, 8));
}

/* Wrap a raw header block and payload into a frame, by hand. */
static void
frame_wrap(struct buf *out, const void *hdr, size_t hlen,
    const void *payload, size_t plen)
{
	unsigned char pre[12], crc[4];
	size_t start = out->len;

	mk_prelude(pre, (uint32_t)(16 + hlen + plen), (uint32_t)hlen);
	EXPECT_INT(buf_add(out, pre, sizeof(pre)), ==, 0);
	EXPECT_INT(buf_add(out, hdr, hlen), ==, 0);
	EXPECT_INT(buf_add(out, payload, plen), ==, 0);
	wr32(crc, es_crc32(0, out->data + start, out->len - start));
	EXPECT_INT(buf_add(out, crc, sizeof(crc)), ==, 0);
}

/* One header of any type; val is the raw value (no length prefix). */
struct hspec {
	const char	*name;
	unsigned char	 type;
	const char	*val;
	size_t		 vlen;
};

static void
hdr_add(struct buf *h, const struct hspec *s)
{
	unsigned char nlen, len2[2];

	nlen = (unsigned char)strlen(s->name);
	EXPECT_INT(buf_add(h, &nlen, 1), ==, 0);
	EXPECT_INT(buf_add(h, s->name, nlen), ==, 0);
	EXPECT_INT(buf_add(h, &s->type, 1), ==, 0);
	if (s->type == 6 || s->type == 7) {
		len2[0] = s->vlen >> 8;
		len2[1] = s->vlen & 0xff;
		EXPECT_INT(buf_add(h, len2, 2), ==, 0);
	}
	EXPECT_INT(buf_add(h, s->val, s->vlen), ==, 0);
}

/* ---- CRC and the empty frame ------------------------------------- */

START_TEST(test_crc_known)
{
	EXPECT_UINT(es_crc32(0, "123456789", 9), ==, 0xcbf43926u);
	EXPECT_UINT(es_crc32(es_crc32(0, "1234", 4), "56789", 5), ==,
	    0xcbf43926u);
	EXPECT_UINT(es_crc32(0, "", 0), ==, 0);
	EXPECT_UINT(es_crc32(0, "a", 1), ==, 0xe8b7be43u);
	EXPECT_UINT(es_crc32(0,
	    "The quick brown fox jumps over the lazy dog", 43), ==,
	    0x414fa339u);
	EXPECT_UINT(es_crc32(0, empty_frame, 8), ==, 0x05c248ebu);
	EXPECT_UINT(es_crc32(0, empty_frame, 12), ==, 0x7d98c8ffu);
}
END_TEST

START_TEST(test_empty_frame_encode)
{
	struct buf b;

	buf_init(&b, 0);
	EXPECT_INT(es_encode(&b, NULL, NULL, 0, NULL, 0), ==, 0);
	EXPECT_UINT(b.len, ==, sizeof(empty_frame));
	EXPECT(memcmp(b.data, empty_frame, sizeof(empty_frame)) == 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_empty_frame_decode)
{
	struct es_decoder es;
	struct collector c;
	int j;

	collector_init(&c);
	es_init(&es);
	EXPECT_INT(feed(&es, &c, empty_frame, sizeof(empty_frame)), ==, 0);
	EXPECT_INT(es_finish(&es), ==, 0);
	EXPECT_UINT(c.n, ==, 1);
	EXPECT_UINT(es.frames, ==, 1);
	for (j = 0; j < NHDR; j++)
		EXPECT(c.f[0].hdr[j] == NULL);
	EXPECT_UINT(c.f[0].payload_len, ==, 0);
	collector_free(&c);
	es_free(&es);

	/* Nothing fed, an empty feed: a clean end. */
	es_init(&es);
	EXPECT_INT(es_feed(&es, NULL, 0, collect, &c), ==, 0);
	EXPECT_INT(es_finish(&es), ==, 0);
	EXPECT_UINT(c.n, ==, 0);
	es_free(&es);
}
END_TEST

/* ---- fixtures ---------------------------------------------------- */

START_TEST(test_fixture_whole)
{
	struct es_decoder es;
	struct collector c;
	struct fx x;
	size_t i;

	fx_load(&x, fixture_names[_i]);
	collector_init(&c);
	es_init(&es);
	EXPECT_INT(feed(&es, &c, x.data, x.len), ==, 0);
	EXPECT_INT(es_finish(&es), ==, 0);
	check_frames(&c, &x, x.nb, fixture_names[_i], 0);
	EXPECT_UINT(es.frames, ==, x.nb);
	/* Decoded in place: nothing was ever copied into the buffer. */
	EXPECT(es.b.data == NULL);
	for (i = 0; i < c.n; i++)
		EXPECT_INT(c.f[i].in_place, ==, 1);
	collector_free(&c);
	es_free(&es);
	fx_free(&x);
}
END_TEST

START_TEST(test_fixture_split2)
{
	struct es_decoder es;
	struct collector c;
	struct fx x;
	size_t s, k, i;
	int straddle;

	fx_load(&x, fixture_names[_i]);
	for (s = 0; s <= x.len; s++) {
		collector_init(&c);
		es_init(&es);
		EXPECT_INT(feed(&es, &c, x.data, s), ==, 0);
		/* Only the tail of the one cut frame is buffered. */
		k = fx_frame_of(&x, s);
		EXPECT_MSG(es.b.len == s - x.bounds[k],
		    "split %zu: %zu bytes buffered", s, es.b.len);
		EXPECT_UINT(c.n, ==, k);
		EXPECT_INT(feed(&es, &c, x.data + s, x.len - s), ==, 0);
		EXPECT_UINT(es.b.len, ==, 0);
		EXPECT_INT(es_finish(&es), ==, 0);
		check_frames(&c, &x, x.nb, "split", s);
		for (i = 0; i < c.n; i++) {
			straddle = x.bounds[i] < s && s < x.bounds[i + 1];
			EXPECT_MSG(c.f[i].in_place == !straddle,
			    "split %zu: frame %zu in_place %d", s, i,
			    c.f[i].in_place);
		}
		collector_free(&c);
		es_free(&es);
	}
	fx_free(&x);
}
END_TEST

START_TEST(test_fixture_chunked)
{
	struct es_decoder es;
	struct collector c;
	struct fx x;
	size_t chunk, off, n, k;

	fx_load(&x, fixture_names[_i]);
	/* Chunk 1 is byte by byte; the others cut frames everywhere. */
	for (chunk = 1; chunk <= 40; chunk++) {
		collector_init(&c);
		es_init(&es);
		for (off = 0; off < x.len; off += n) {
			n = x.len - off < chunk ? x.len - off : chunk;
			EXPECT_INT(feed(&es, &c, x.data + off, n), ==, 0);
			k = fx_frame_of(&x, off + n);
			EXPECT_UINT(es.b.len, ==, off + n - x.bounds[k]);
			EXPECT_UINT(c.n, ==, k);
		}
		EXPECT_INT(es_finish(&es), ==, 0);
		check_frames(&c, &x, x.nb, "chunk", chunk);
		EXPECT_UINT(es.frames, ==, x.nb);
		collector_free(&c);
		es_free(&es);
	}
	fx_free(&x);
}
END_TEST

/* ---- corruption and truncation ----------------------------------- */

START_TEST(test_bitflip_whole)
{
	struct es_decoder es;
	struct collector c;
	struct fx x;
	unsigned char *d;
	size_t pos, k;
	int bit;
	const char *want;

	fx_load(&x, fixture_names[_i]);
	d = malloc(x.len);
	EXPECT(d != NULL);
	for (pos = 0; pos < x.len; pos++) {
		k = fx_frame_of(&x, pos);
		want = pos - x.bounds[k] < 12 ? "prelude CRC mismatch" :
		    "message CRC mismatch";
		for (bit = 0; bit < 8; bit++) {
			memcpy(d, x.data, x.len);
			d[pos] ^= 1u << bit;
			collector_init(&c);
			es_init(&es);
			EXPECT_INT(feed(&es, &c, d, x.len), ==, -1);
			EXPECT_INT(es.failed, ==, 1);
			EXPECT_MSG(strcmp(es.err, want) == 0,
			    "flip %zu.%d: err \"%s\"", pos, bit, es.err);
			/* Only the good frames before the bad one. */
			check_frames(&c, &x, k, "flip", pos);
			/* Sticky. */
			EXPECT_INT(feed(&es, &c, x.data, x.len), ==, -1);
			EXPECT_INT(es_finish(&es), ==, -1);
			EXPECT_UINT(c.n, ==, k);
			collector_free(&c);
			es_free(&es);
		}
	}
	free(d);
	fx_free(&x);
}
END_TEST

START_TEST(test_bitflip_bytewise)
{
	struct es_decoder es;
	struct collector c;
	struct fx x;
	unsigned char *d;
	size_t pos, k, i, failed_at, want_at;
	int r;

	fx_load(&x, fixture_names[_i]);
	d = malloc(x.len);
	EXPECT(d != NULL);
	for (pos = 0; pos < x.len; pos++) {
		k = fx_frame_of(&x, pos);
		/* A bad prelude is caught at its 12th byte, not later. */
		if (pos - x.bounds[k] < 12)
			want_at = x.bounds[k] + 11;
		else
			want_at = x.bounds[k + 1] - 1;
		memcpy(d, x.data, x.len);
		d[pos] ^= 1u << (pos % 8);
		collector_init(&c);
		es_init(&es);
		failed_at = SIZE_MAX;
		for (i = 0; i < x.len; i++) {
			r = feed(&es, &c, d + i, 1);
			if (failed_at == SIZE_MAX && r == -1)
				failed_at = i;
			if (failed_at != SIZE_MAX)
				EXPECT_INT(r, ==, -1);
		}
		EXPECT_MSG(failed_at == want_at,
		    "flip %zu: failed at %zu, want %zu", pos, failed_at,
		    want_at);
		EXPECT(strstr(es.err, "CRC mismatch") != NULL);
		check_frames(&c, &x, k, "bytewise flip", pos);
		EXPECT_INT(es_finish(&es), ==, -1);
		collector_free(&c);
		es_free(&es);
	}
	free(d);
	fx_free(&x);
}
END_TEST

START_TEST(test_truncated)
{
	struct es_decoder es;
	struct collector c;
	struct fx x;
	char want[128];
	size_t len, k, i;
	int bytewise;

	fx_load(&x, fixture_names[_i]);
	for (bytewise = 0; bytewise < 2; bytewise++) {
		for (len = 0; len < x.len; len++) {
			collector_init(&c);
			es_init(&es);
			if (bytewise) {
				for (i = 0; i < len; i++)
					EXPECT_INT(feed(&es, &c,
					    x.data + i, 1), ==, 0);
			} else
				EXPECT_INT(feed(&es, &c, x.data, len), ==, 0);
			k = fx_frame_of(&x, len);
			check_frames(&c, &x, k, "prefix", len);
			if (len == x.bounds[k]) {
				EXPECT_INT(es_finish(&es), ==, 0);
			} else {
				EXPECT_INT(es_finish(&es), ==, -1);
				snprintf(want, sizeof(want), "truncated frame: "
				    "%zu bytes left at end of stream",
				    len - x.bounds[k]);
				EXPECT_STR(es.err, want);
				EXPECT_INT(es_finish(&es), ==, -1);
			}
			collector_free(&c);
			es_free(&es);
		}
	}
	fx_free(&x);
}
END_TEST

/*
 * A prelude alone: bad lengths fail at once (with a correct prelude
 * CRC, so the length check is what fires), good ones wait for more.
 */
static const struct {
	uint32_t	 total;
	uint32_t	 hlen;
	int		 bad_crc;
	const char	*err;	/* from es_feed, or from es_finish if good */
} prelude_cases[] = {
	{ 0, 0, 0, "frame length 0 out of range" },
	{ 5, 0, 0, "frame length 5 out of range" },
	{ 15, 0, 0, "frame length 15 out of range" },
	{ ES_MAX_FRAME + 1, 0, 0, "frame length 16777217 out of range" },
	{ 0xffffffffu, 0, 0, "frame length 4294967295 out of range" },
	{ 16, 1, 0, "headers length 1 out of range for frame length 16" },
	{ 100, 85, 0, "headers length 85 out of range for frame length 100" },
	{ 16, 0xffffffffu, 0,
	    "headers length 4294967295 out of range for frame length 16" },
	{ ES_MAX_FRAME, ES_MAX_HEADERS_LEN + 1, 0,
	    "headers length 131073 out of range for frame length 16777216" },
	/* A bad CRC is reported before any length is believed. */
	{ ES_MAX_FRAME, 0, 1, "prelude CRC mismatch" },
	{ 5, 0, 1, "prelude CRC mismatch" },
	{ 100, 0, 1, "prelude CRC mismatch" },
	/* Good preludes at the limits: wait, then truncated. */
	{ 16, 0, 0, NULL },
	{ 100, 84, 0, NULL },
	{ ES_MAX_FRAME, ES_MAX_HEADERS_LEN, 0, NULL },
};

START_TEST(test_prelude)
{
	struct es_decoder es;
	struct collector c;
	unsigned char p[12];
	int bytewise, r;
	size_t i;

	mk_prelude(p, prelude_cases[_i].total, prelude_cases[_i].hlen);
	if (prelude_cases[_i].bad_crc)
		p[11] ^= 0x40;
	for (bytewise = 0; bytewise < 2; bytewise++) {
		collector_init(&c);
		es_init(&es);
		r = 0;
		if (bytewise) {
			for (i = 0; i < 12 && r == 0; i++) {
				r = feed(&es, &c, p + i, 1);
				if (i < 11)
					EXPECT_INT(r, ==, 0);
			}
		} else
			r = feed(&es, &c, p, 12);
		if (prelude_cases[_i].err != NULL) {
			EXPECT_INT(r, ==, -1);
			EXPECT_STR(es.err, prelude_cases[_i].err);
		} else {
			EXPECT_INT(r, ==, 0);
			EXPECT_INT(es_finish(&es), ==, -1);
			EXPECT_STR(es.err, "truncated frame: 12 bytes "
			    "left at end of stream");
		}
		EXPECT_UINT(c.n, ==, 0);
		es_free(&es);
	}
}
END_TEST

/* ---- header block ------------------------------------------------ */

/* Every value type, with exposed names among them and a decoy. */
static const struct hspec type_hdrs[] = {
	{ "b-true", 0, "", 0 },
	{ "b-false", 1, "", 0 },
	{ "i8", 2, "\x7f", 1 },
	{ ":message-type", 7, "event", 5 },
	{ "i16", 3, "\x80\x01", 2 },
	{ "i32", 4, "\xff\xff\xff\xfe", 4 },
	{ ":content-type", 7, "application/json", 16 },
	{ "i64", 5, "\x01\x02\x03\x04\x05\x06\x07\x08", 8 },
	/* Bytes that look like a header: must be skipped, not parsed. */
	{ "decoy", 6, "\x0d:message-type\x07\x00\x03" "bad", 20 },
	/* A known name with a non-string type is not exposed. */
	{ ":exception-type", 6, "\x00xx", 3 },
	{ "ts", 8, "\x00\x00\x01\x93\x5b\x2c\x10\x00", 8 },
	{ "uuid", 9, "0123456789abcdef", 16 },
	{ ":event-type", 7, "toolUseEvent", 12 },
	{ "x-other", 7, "ignored", 7 },
	{ ":error-code", 7, "", 0 },
	{ ":error-message", 7, "ok: \xc3\xa9", 6 },
	{ "empty-bytes", 6, "", 0 },
};
#define NTYPE_HDRS	(sizeof(type_hdrs) / sizeof(type_hdrs[0]))

START_TEST(test_header_types)
{
	static const unsigned char payload[] = { 0x00, 0x01, '{', '}', 0xff };
	struct es_decoder es;
	struct collector c;
	struct buf h, f;
	size_t i, j;

	/* _i: 0 forward, 1 reversed, 2 rotated by 5 */
	buf_init(&h, 0);
	for (i = 0; i < NTYPE_HDRS; i++) {
		j = i;
		if (_i == 1)
			j = NTYPE_HDRS - 1 - i;
		else if (_i == 2)
			j = (i + 5) % NTYPE_HDRS;
		hdr_add(&h, &type_hdrs[j]);
	}
	buf_init(&f, 0);
	frame_wrap(&f, h.data, h.len, payload, sizeof(payload));

	collector_init(&c);
	es_init(&es);
	EXPECT_INT(feed(&es, &c, (unsigned char *)f.data, f.len), ==, 0);
	EXPECT_INT(es_finish(&es), ==, 0);
	EXPECT_UINT(c.n, ==, 1);
	EXPECT_PSTR(c.f[0].hdr[0], "event");
	EXPECT_PSTR(c.f[0].hdr[1], "toolUseEvent");
	EXPECT(c.f[0].hdr[2] == NULL);
	EXPECT_PSTR(c.f[0].hdr[3], "application/json");
	EXPECT_PSTR(c.f[0].hdr[4], "");
	EXPECT_PSTR(c.f[0].hdr[5], "ok: \xc3\xa9");
	EXPECT_UINT(c.f[0].payload_len, ==, sizeof(payload));
	EXPECT(memcmp(c.f[0].payload, payload, sizeof(payload)) == 0);
	collector_free(&c);
	es_free(&es);
	buf_free(&f);
	buf_free(&h);
}
END_TEST

/* Broken header blocks; a payload follows so overruns would not fault. */
static const struct {
	const char	*hdr;
	size_t		 hlen;
	const char	*err;
} bad_hdrs[] = {
	{ "\x00", 1, "name length 0" },
	{ "\x01" "a" "\x00" "\x00", 4, "name length 0" },
	{ "\x05" "ab", 3, "truncated header name" },
	{ "\x01" "a", 2, "without value type" },
	{ "\x01" "a" "\x0a", 3, "unknown header value type 10" },
	{ "\x01" "a" "\xff", 3, "unknown header value type 255" },
	{ "\x01" "a" "\x02", 3, "truncated value of type 2" },
	{ "\x01" "a" "\x03" "\x00", 4, "truncated value of type 3" },
	{ "\x01" "a" "\x04" "\x00\x00\x00", 6, "truncated value of type 4" },
	{ "\x01" "a" "\x05" "\x00\x00\x00\x00\x00\x00\x00", 10,
	    "truncated value of type 5" },
	{ "\x01" "a" "\x06", 3, "truncated value length" },
	{ "\x01" "a" "\x07" "\x00", 4, "truncated value length" },
	{ "\x01" "a" "\x06" "\x00\x03" "ab", 7, "truncated value of type 6" },
	{ "\x01" "a" "\x07" "\x00\x05" "ab", 7, "truncated value of type 7" },
	{ "\x01" "a" "\x07" "\xff\xff", 5, "truncated value of type 7" },
	{ "\x01" "a" "\x08" "\x00\x00\x00\x00\x00\x00\x00", 10,
	    "truncated value of type 8" },
	{ "\x01" "a" "\x09" "0123456789abcde", 18,
	    "truncated value of type 9" },
	/* A good header, then a bad one. */
	{ "\x01" "a" "\x00" "\x01" "b" "\x0a", 6,
	    "unknown header value type 10" },
};

START_TEST(test_header_bad)
{
	static const char payload[] = "{\"payload\":\"that follows\"}";
	struct es_decoder es;
	struct collector c;
	struct buf f;
	size_t i;
	int bytewise, r;

	buf_init(&f, 0);
	frame_wrap(&f, bad_hdrs[_i].hdr, bad_hdrs[_i].hlen, payload,
	    sizeof(payload) - 1);
	for (bytewise = 0; bytewise < 2; bytewise++) {
		collector_init(&c);
		es_init(&es);
		if (bytewise) {
			r = 0;
			for (i = 0; i < f.len && r == 0; i++)
				r = feed(&es, &c, (unsigned char *)f.data + i,
				    1);
			EXPECT_UINT(i, ==, f.len);
		} else
			r = feed(&es, &c, (unsigned char *)f.data, f.len);
		EXPECT_INT(r, ==, -1);
		EXPECT_MSG(strstr(es.err, bad_hdrs[_i].err) != NULL,
		    "case %d: err \"%s\"", _i, es.err);
		EXPECT(strstr(es.err, "bad header block") != NULL);
		EXPECT_UINT(c.n, ==, 0);
		EXPECT_INT(es_finish(&es), ==, -1);
		es_free(&es);
	}
	buf_free(&f);
}
END_TEST

/* Long string values are cut at 1024 bytes, not inside a character. */
static const struct {
	size_t		 len;		/* value length */
	size_t		 utf8_at;	/* a 2-byte character here, or 0 */
	size_t		 want;		/* exposed length */
} long_vals[] = {
	{ 1023, 0, 1023 },
	{ 1024, 0, 1024 },
	{ 1025, 0, 1024 },
	{ 3000, 0, 1024 },
	{ 65535, 0, 1024 },
	{ 3000, 1023, 1023 },	/* straddles the cut: dropped whole */
	{ 3000, 1022, 1024 },	/* ends right at the cut: kept */
};

START_TEST(test_header_long_value)
{
	struct es_decoder es;
	struct collector c;
	struct hspec s;
	struct buf h, f;
	char *v;
	size_t len;

	len = long_vals[_i].len;
	v = malloc(len);
	EXPECT(v != NULL);
	memset(v, 'x', len);
	if (long_vals[_i].utf8_at != 0) {
		v[long_vals[_i].utf8_at] = '\xc3';
		v[long_vals[_i].utf8_at + 1] = '\xa9';
	}
	s.name = ":error-message";
	s.type = 7;
	s.val = v;
	s.vlen = len;
	buf_init(&h, 0);
	hdr_add(&h, &s);
	buf_init(&f, 0);
	frame_wrap(&f, h.data, h.len, "", 0);

	collector_init(&c);
	es_init(&es);
	EXPECT_INT(feed(&es, &c, (unsigned char *)f.data, f.len), ==, 0);
	EXPECT_UINT(c.n, ==, 1);
	EXPECT(c.f[0].hdr[5] != NULL);
	EXPECT_UINT(strlen(c.f[0].hdr[5]), ==, long_vals[_i].want);
	EXPECT(memcmp(c.f[0].hdr[5], v, long_vals[_i].want) == 0);
	EXPECT_UINT(long_vals[_i].want, <=, HDR_VALUE_MAX);
	collector_free(&c);
	es_free(&es);
	buf_free(&f);
	buf_free(&h);
	free(v);
}
END_TEST

/* ---- consumer stop ----------------------------------------------- */

START_TEST(test_consumer_stop)
{
	struct es_decoder es;
	struct collector c;
	struct fx x;
	size_t stop, i, failed_at;
	int r, bytewise;

	fx_load(&x, "tool-call-fragments");
	for (stop = 0; stop < x.nb; stop++) {
		for (bytewise = 0; bytewise < 2; bytewise++) {
			collector_init(&c);
			c.stop_at = stop;
			es_init(&es);
			failed_at = SIZE_MAX;
			if (bytewise) {
				for (i = 0; i < x.len; i++) {
					r = feed(&es, &c, x.data + i, 1);
					if (failed_at == SIZE_MAX && r == -1)
						failed_at = i;
					if (failed_at != SIZE_MAX)
						EXPECT_INT(r, ==, -1);
				}
				EXPECT_UINT(failed_at, ==,
				    x.bounds[stop + 1] - 1);
			} else
				EXPECT_INT(feed(&es, &c, x.data, x.len),
				    ==, -1);
			EXPECT_STR(es.err, "stopped by consumer");
			EXPECT_UINT(c.n, ==, stop + 1);
			EXPECT_UINT(es.frames, ==, stop + 1);
			check_frames(&c, &x, stop + 1, "stop", stop);
			/* Sticky: no more frames, ever. */
			EXPECT_INT(feed(&es, &c, x.data, x.len), ==, -1);
			EXPECT_INT(es_finish(&es), ==, -1);
			EXPECT_UINT(c.n, ==, stop + 1);
			collector_free(&c);
			es_free(&es);
		}
	}
	fx_free(&x);
}
END_TEST

/* ---- encoder ----------------------------------------------------- */

START_TEST(test_encode_roundtrip)
{
	static const char *const names[] = {
		":message-type", ":event-type", "x-custom", ":content-type",
		":exception-type", ":error-code", ":error-message",
	};
	static const char *const values[] = {
		"event", "toolUseEvent", "custom value",
		"application/octet-stream", "SomeException", "E42",
		"message \xe2\x9c\x93",
	};
	unsigned char payload[256];
	struct hspec s;
	struct es_decoder es;
	struct collector c;
	struct buf b, h, w;
	size_t i, n = sizeof(names) / sizeof(names[0]);
	int j;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (unsigned char)(255 - i);
	buf_init(&b, 0);
	EXPECT_INT(es_encode(&b, names, values, n, payload,
	    sizeof(payload)), ==, 0);
	EXPECT_INT(es_encode(&b, NULL, NULL, 0, NULL, 0), ==, 0);
	EXPECT_INT(es_encode(&b, names, values, 1, "{}", 2), ==, 0);

	/* Byte for byte what the hand-built frame_wrap() produces. */
	buf_init(&h, 0);
	for (i = 0; i < n; i++) {
		s.name = names[i];
		s.type = 7;
		s.val = values[i];
		s.vlen = strlen(values[i]);
		hdr_add(&h, &s);
	}
	buf_init(&w, 0);
	frame_wrap(&w, h.data, h.len, payload, sizeof(payload));
	EXPECT_UINT(b.len, >=, w.len);
	EXPECT(memcmp(b.data, w.data, w.len) == 0);
	EXPECT(memcmp(b.data + w.len, empty_frame, sizeof(empty_frame)) == 0);

	collector_init(&c);
	es_init(&es);
	EXPECT_INT(feed(&es, &c, (unsigned char *)b.data, b.len), ==, 0);
	EXPECT_INT(es_finish(&es), ==, 0);
	EXPECT_UINT(c.n, ==, 3);
	EXPECT_PSTR(c.f[0].hdr[0], "event");
	EXPECT_PSTR(c.f[0].hdr[1], "toolUseEvent");
	EXPECT_PSTR(c.f[0].hdr[2], "SomeException");
	EXPECT_PSTR(c.f[0].hdr[3], "application/octet-stream");
	EXPECT_PSTR(c.f[0].hdr[4], "E42");
	EXPECT_PSTR(c.f[0].hdr[5], "message \xe2\x9c\x93");
	EXPECT_UINT(c.f[0].payload_len, ==, sizeof(payload));
	EXPECT(memcmp(c.f[0].payload, payload, sizeof(payload)) == 0);
	for (j = 0; j < NHDR; j++)
		EXPECT(c.f[1].hdr[j] == NULL);
	EXPECT_UINT(c.f[1].payload_len, ==, 0);
	EXPECT_PSTR(c.f[2].hdr[0], "event");
	EXPECT(c.f[2].hdr[1] == NULL);
	EXPECT_UINT(c.f[2].payload_len, ==, 2);
	EXPECT(memcmp(c.f[2].payload, "{}", 2) == 0);
	collector_free(&c);
	es_free(&es);
	buf_free(&w);
	buf_free(&h);
	buf_free(&b);
}
END_TEST

START_TEST(test_encode_limits)
{
	const char *names[3], *values[3];
	char *n255, *n256, *v64k, *vmax;
	struct es_decoder es;
	struct collector c;
	struct buf b;

	n255 = malloc(256);
	n256 = malloc(257);
	v64k = malloc(65537);
	vmax = malloc(65536);
	EXPECT(n255 && n256 && v64k && vmax);
	memset(n255, 'n', 255);
	n255[255] = '\0';
	memset(n256, 'n', 256);
	n256[256] = '\0';
	memset(v64k, 'v', 65536);
	v64k[65536] = '\0';
	memset(vmax, 'v', 65535);
	vmax[65535] = '\0';

	/* Bad arguments leave the buffer as it was. */
	buf_init(&b, 0);
	EXPECT_INT(buf_add(&b, "xy", 2), ==, 0);
	names[0] = "";
	values[0] = "v";
	EXPECT_INT(es_encode(&b, names, values, 1, NULL, 0), ==, -1);
	names[0] = n256;
	EXPECT_INT(es_encode(&b, names, values, 1, NULL, 0), ==, -1);
	names[0] = "a";
	values[0] = v64k;
	EXPECT_INT(es_encode(&b, names, values, 1, NULL, 0), ==, -1);
	names[0] = NULL;
	EXPECT_INT(es_encode(&b, names, values, 1, NULL, 0), ==, -1);
	/* Three maximal values pass the 128 KiB header limit. */
	names[0] = names[1] = names[2] = "a";
	values[0] = values[1] = values[2] = vmax;
	EXPECT_INT(es_encode(&b, names, values, 3, NULL, 0), ==, -1);
	EXPECT_INT(es_encode(&b, NULL, NULL, 0, NULL, ES_MAX_FRAME), ==, -1);
	EXPECT_INT(es_encode(&b, NULL, NULL, 0, NULL, ES_MAX_FRAME - 15),
	    ==, -1);
	EXPECT_UINT(b.len, ==, 2);
	EXPECT_STR(b.data, "xy");

	/* Maximal name and value are fine and decode. */
	names[0] = n255;
	values[0] = vmax;
	names[1] = ":message-type";
	values[1] = "event";
	EXPECT_INT(es_encode(&b, names, values, 2, "p", 1), ==, 0);
	collector_init(&c);
	es_init(&es);
	EXPECT_INT(feed(&es, &c, (unsigned char *)b.data + 2, b.len - 2),
	    ==, 0);
	EXPECT_INT(es_finish(&es), ==, 0);
	EXPECT_UINT(c.n, ==, 1);
	EXPECT_PSTR(c.f[0].hdr[0], "event");
	EXPECT_UINT(c.f[0].payload_len, ==, 1);
	collector_free(&c);
	es_free(&es);
	buf_free(&b);

	/* The cap of out: -1 and the buffer is freed. */
	buf_init(&b, 20);
	EXPECT_INT(es_encode(&b, NULL, NULL, 0, NULL, 0), ==, 0);
	EXPECT_INT(es_encode(&b, NULL, NULL, 0, "12345", 5), ==, -1);
	EXPECT(b.data == NULL);
	EXPECT_UINT(b.len, ==, 0);
	buf_free(&b);

	free(n255);
	free(n256);
	free(v64k);
	free(vmax);
}
END_TEST

START_TEST(test_large_frame)
{
	static const char *const names[] = { ":message-type" };
	static const char *const values[] = { "event" };
	const size_t plen = 1024 * 1024 + 7, chunk = 4093;
	unsigned char *payload;
	struct es_decoder es;
	struct collector c;
	struct buf b;
	size_t i, off, n;

	payload = malloc(plen);
	EXPECT(payload != NULL);
	for (i = 0; i < plen; i++)
		payload[i] = (unsigned char)(i * 131 + (i >> 11));
	buf_init(&b, 0);
	EXPECT_INT(es_encode(&b, names, values, 1, payload, plen), ==, 0);
	EXPECT_INT(es_encode(&b, names, values, 1, "{}", 2), ==, 0);

	collector_init(&c);
	es_init(&es);
	for (off = 0; off < b.len; off += n) {
		n = b.len - off < chunk ? b.len - off : chunk;
		EXPECT_INT(feed(&es, &c, (unsigned char *)b.data + off, n),
		    ==, 0);
		EXPECT_UINT(es.b.len, <, 1024 * 1024 + 64);
	}
	EXPECT_INT(es_finish(&es), ==, 0);
	EXPECT_UINT(c.n, ==, 2);
	EXPECT_UINT(c.f[0].payload_len, ==, plen);
	EXPECT(memcmp(c.f[0].payload, payload, plen) == 0);
	EXPECT_UINT(c.f[1].payload_len, ==, 2);
	collector_free(&c);
	es_free(&es);
	buf_free(&b);
	free(payload);
}
END_TEST

static Suite *
eventstream_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("eventstream");

	tc = tcase_create("crc");
	tcase_add_test(tc, test_crc_known);
	tcase_add_test(tc, test_empty_frame_encode);
	tcase_add_test(tc, test_empty_frame_decode);
	suite_add_tcase(s, tc);

	tc = tcase_create("fixtures");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_fixture_whole, 0, NFIXTURES);
	tcase_add_loop_test(tc, test_fixture_split2, 0, NFIXTURES);
	tcase_add_loop_test(tc, test_fixture_chunked, 0, NFIXTURES);
	suite_add_tcase(s, tc);

	tc = tcase_create("corrupt");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_bitflip_whole, 0, NFIXTURES);
	tcase_add_loop_test(tc, test_bitflip_bytewise, 0, NFIXTURES);
	tcase_add_loop_test(tc, test_truncated, 0, NFIXTURES);
	tcase_add_loop_test(tc, test_prelude, 0,
	    sizeof(prelude_cases) / sizeof(prelude_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("headers");
	tcase_add_loop_test(tc, test_header_types, 0, 3);
	tcase_add_loop_test(tc, test_header_bad, 0,
	    sizeof(bad_hdrs) / sizeof(bad_hdrs[0]));
	tcase_add_loop_test(tc, test_header_long_value, 0,
	    sizeof(long_vals) / sizeof(long_vals[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("consumer");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_consumer_stop);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_encode_roundtrip);
	tcase_add_test(tc, test_encode_limits);
	tcase_add_test(tc, test_large_frame);
	suite_add_tcase(s, tc);

	return s;
}

UNIT_MAIN(eventstream_suite)

/*
 * msg.c: framing and field codecs for master <-> worker channels.
 * See msg.h.  Nothing here logs; callers decide what a bad message
 * means (for us: a bug, so fatalx naming the type).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "util.h"

void
msg_create(struct msg_out *m, uint32_t type, uint32_t peer)
{
	struct msg_hdr h;

	buf_init(&m->b, MSG_HDR_SIZE + MSG_MAX_PAYLOAD);
	m->err = 0;
	h.type = type;
	h.len = 0;
	h.peer = peer;
	h.pid = (uint32_t)getpid();
	if (buf_add(&m->b, &h, sizeof(h)) == -1)
		m->err = 1;
}

static void
msg_add(struct msg_out *m, const void *p, size_t n)
{
	if (m->err)
		return;
	if (buf_add(&m->b, p, n) == -1)
		m->err = 1;
}

void
msg_add_u32(struct msg_out *m, uint32_t v)
{
	msg_add(m, &v, sizeof(v));
}

void
msg_add_u64(struct msg_out *m, uint64_t v)
{
	msg_add(m, &v, sizeof(v));
}

void
msg_add_i64(struct msg_out *m, int64_t v)
{
	msg_add(m, &v, sizeof(v));
}

/* Strings: u32 length including the NUL (0 = NULL), then the bytes. */
void
msg_add_str(struct msg_out *m, const char *s)
{
	uint32_t n;

	if (s == NULL) {
		msg_add_u32(m, 0);
		return;
	}
	n = (uint32_t)strlen(s) + 1;
	msg_add_u32(m, n);
	msg_add(m, s, n);
}

void
msg_add_data(struct msg_out *m, const void *p, size_t n)
{
	msg_add_u32(m, (uint32_t)n);
	msg_add(m, p, n);
}

int
msg_close(struct msg_out *m)
{
	struct msg_hdr h;

	if (m->err || m->b.len < MSG_HDR_SIZE ||
	    m->b.len - MSG_HDR_SIZE > MSG_MAX_PAYLOAD) {
		msg_discard(m);
		return -1;
	}
	memcpy(&h, m->b.data, sizeof(h));
	h.len = (uint32_t)(m->b.len - MSG_HDR_SIZE);
	memcpy(m->b.data, &h, sizeof(h));
	return 0;
}

void
msg_discard(struct msg_out *m)
{
	buf_free(&m->b);
	m->err = 1;
}

static int
msg_get(struct msg_in *m, void *p, size_t n)
{
	if (m->bad || m->len - m->off < n) {
		m->bad = 1;
		memset(p, 0, n);
		return -1;
	}
	memcpy(p, m->data + m->off, n);
	m->off += n;
	return 0;
}

uint32_t
msg_get_u32(struct msg_in *m)
{
	uint32_t v;

	msg_get(m, &v, sizeof(v));
	return v;
}

uint64_t
msg_get_u64(struct msg_in *m)
{
	uint64_t v;

	msg_get(m, &v, sizeof(v));
	return v;
}

int64_t
msg_get_i64(struct msg_in *m)
{
	int64_t v;

	msg_get(m, &v, sizeof(v));
	return v;
}

const char *
msg_get_str(struct msg_in *m)
{
	const char *s;
	uint32_t n;

	n = msg_get_u32(m);
	if (m->bad || n == 0)
		return NULL;
	if (m->len - m->off < n) {
		m->bad = 1;
		return NULL;
	}
	s = (const char *)m->data + m->off;
	if (s[n - 1] != '\0' || memchr(s, '\0', n - 1) != NULL) {
		m->bad = 1;
		return NULL;
	}
	m->off += n;
	return s;
}

const void *
msg_get_data(struct msg_in *m, size_t *len)
{
	const void *p;
	uint32_t n;

	*len = 0;
	n = msg_get_u32(m);
	if (m->bad)
		return NULL;
	if (m->len - m->off < n) {
		m->bad = 1;
		return NULL;
	}
	p = m->data + m->off;
	m->off += n;
	*len = n;
	return p;
}

int
msg_end(struct msg_in *m)
{
	return (m->bad || m->off != m->len) ? -1 : 0;
}

void
msgq_init(struct msgq *q, size_t max)
{
	buf_init(&q->b, 0);
	q->max = max;
}

void
msgq_free(struct msgq *q)
{
	buf_wipe(&q->b);	/* may hold access tokens */
}

int
msgq_put(struct msgq *q, struct msg_out *m)
{
	int r = 0;

	if (m->err)
		r = -1;
	else if (q->max && q->b.len + m->b.len > q->max)
		r = -1;
	else if (buf_add(&q->b, m->b.data, m->b.len) == -1) {
		buf_init(&q->b, 0);
		r = -1;
	}
	if (m->b.data != NULL)
		explicit_bzero(m->b.data, m->b.len);
	buf_free(&m->b);
	return r;
}

int
msgq_pending(const struct msgq *q)
{
	return q->b.len > 0;
}

int
msgq_flush(struct msgq *q, int fd)
{
	ssize_t w;

	while (q->b.len > 0) {
		w = write(fd, q->b.data, q->b.len);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		explicit_bzero(q->b.data, (size_t)w);
		buf_consume(&q->b, (size_t)w);
	}
	return 0;
}

int
msgq_flush_all(struct msgq *q, int fd, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	struct pollfd pfd;
	int left;

	while (q->b.len > 0) {
		if (msgq_flush(q, fd) == -1)
			return -1;
		if (q->b.len == 0)
			break;
		left = (int)(deadline - mono_ms());
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, left) == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}

void
msgin_init(struct msgin *in)
{
	buf_init(&in->b, MSG_HDR_SIZE + MSG_MAX_PAYLOAD + 65536);
	in->next = 0;
}

void
msgin_free(struct msgin *in)
{
	buf_wipe(&in->b);
	in->next = 0;
}

/* Drop frames already handed out before appending more bytes. */
static void
msgin_compact(struct msgin *in)
{
	if (in->next > 0) {
		explicit_bzero(in->b.data, in->next);
		buf_consume(&in->b, in->next);
		in->next = 0;
	}
}

int
msgin_feed(struct msgin *in, const void *p, size_t n)
{
	msgin_compact(in);
	if (buf_add(&in->b, p, n) == -1) {
		buf_init(&in->b, MSG_HDR_SIZE + MSG_MAX_PAYLOAD + 65536);
		return -1;
	}
	return 0;
}

ssize_t
msgin_read(struct msgin *in, int fd)
{
	ssize_t r;

	msgin_compact(in);
	if (buf_reserve(&in->b, 65536) == -1) {
		buf_init(&in->b, MSG_HDR_SIZE + MSG_MAX_PAYLOAD + 65536);
		errno = ENOBUFS;
		return -1;
	}
	do {
		r = read(fd, in->b.data + in->b.len, 65536);
	} while (r == -1 && errno == EINTR);
	if (r > 0) {
		in->b.len += (size_t)r;
		in->b.data[in->b.len] = '\0';
	}
	return r;
}

int
msgin_next(struct msgin *in, struct msg_in *m)
{
	struct msg_hdr h;
	size_t avail;

	avail = in->b.len - in->next;
	if (avail < MSG_HDR_SIZE)
		return 0;
	memcpy(&h, in->b.data + in->next, sizeof(h));
	if (h.len > MSG_MAX_PAYLOAD)
		return -1;
	if (avail - MSG_HDR_SIZE < h.len)
		return 0;
	m->hdr = h;
	m->data = (const unsigned char *)in->b.data + in->next + MSG_HDR_SIZE;
	m->len = h.len;
	m->off = 0;
	m->bad = 0;
	in->next += MSG_HDR_SIZE + h.len;
	return 1;
}

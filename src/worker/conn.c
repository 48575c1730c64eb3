/*
 * conn.c: socket I/O for one client connection (see conn.h).  Sockets
 * are non-blocking; every wait is a poll() bounded by a deadline, so a
 * slow or silent client can never hold a worker longer than the
 * configured timeouts.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "util.h"

#define READ_CHUNK	16384
#define LINGER_MS	2000
#define LINGER_BYTES	(1024 * 1024)

/* CORS on every response (server.md §6, HEAD plus the Anthropic headers). */
static const char cors_headers[] =
    "Access-Control-Allow-Origin: *\r\n"
    "Access-Control-Allow-Methods: GET, POST, PUT, DELETE, OPTIONS, PATCH\r\n"
    "Access-Control-Allow-Headers: Content-Type, Authorization, "
    "x-api-key, x-goog-api-key, anthropic-version, anthropic-beta, "
    "Model-Provider, X-Requested-With, Accept, Origin\r\n"
    "Access-Control-Max-Age: 86400\r\n";

void
conn_init(struct conn *c, int fd, const char *peer)
{
	c->fd = fd;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->nreq = 0;
	c->broken = 0;
	c->corked = 0;
	if (c->write_timeout_ms == 0)
		c->write_timeout_ms = 60000;
	buf_reset(&c->in);
	conn_next(c);
}

void
conn_next(struct conn *c)
{
	http_parser_reset(&c->req);
	c->keep_alive = 0;
	c->status = 0;
	c->head_only = 0;
	c->head_sent = 0;
	c->chunked = 0;
	c->bytes_out = 0;
	buf_reset(&c->out);
}

void
conn_free(struct conn *c)
{
	buf_free(&c->in);
	buf_free(&c->out);
	http_parser_free(&c->req);
}

ssize_t
conn_read(struct conn *c, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	ssize_t r;

	if (buf_reserve(&c->in, READ_CHUNK) == -1) {
		errno = ENOBUFS;
		return -1;
	}
	for (;;) {
		r = read(c->fd, c->in.data + c->in.len, READ_CHUNK);
		if (r > 0) {
			c->in.len += (size_t)r;
			c->in.data[c->in.len] = '\0';
			return r;
		}
		if (r == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		left = deadline - mono_ms();
		if (left <= 0)
			return -2;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		log_flush();
		r = poll(&pfd, 1, (int)left);
		if (r == -1 && errno != EINTR)
			return -1;
		if (r == 0)
			return -2;
	}
}

int
conn_write(struct conn *c, const void *p, size_t len)
{
	const char *s = p;
	struct pollfd pfd;
	int64_t deadline;
	ssize_t w;
	int r;

	if (c->broken)
		return -1;
	deadline = mono_ms() + c->write_timeout_ms;
	while (len > 0) {
		w = send(c->fd, s, len, MSG_NOSIGNAL);
		if (w > 0) {
			s += w;
			len -= (size_t)w;
			c->bytes_out += (uint64_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int64_t left = deadline - mono_ms();

			if (left <= 0)
				goto fail;
			pfd.fd = c->fd;
			pfd.events = POLLOUT;
			log_flush();
			r = poll(&pfd, 1, (int)left);
			if (r == 0)
				goto fail;
			if (r == -1 && errno != EINTR)
				goto fail;
			continue;
		}
		goto fail;
	}
	return 0;
fail:
	c->broken = 1;
	return -1;
}

int
conn_peer_closed(struct conn *c)
{
	struct pollfd pfd;
	char b;
	ssize_t r;

	if (c->broken)
		return 1;
	pfd.fd = c->fd;
	pfd.events = POLLIN | POLLRDHUP;
	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (pfd.revents & (POLLERR | POLLHUP | POLLRDHUP))
		return 1;
	if (pfd.revents & POLLIN) {
		r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (r == 0)
			return 1;
	}
	return 0;
}

static void
http_date(char *out, size_t len)
{
	static time_t cached;
	static char cbuf[40];
	time_t now = time(NULL);
	struct tm tm;

	if (now != cached) {
		gmtime_r(&now, &tm);
		strftime(cbuf, sizeof(cbuf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		cached = now;
	}
	snprintf(out, len, "%s", cbuf);
}

static int
add_head(struct conn *c, struct buf *b, int status, const char *ctype,
    const char *extra)
{
	char date[40];

	http_date(date, sizeof(date));
	c->status = status;
	return buf_addf(b, "HTTP/1.1 %d %s\r\n"
	    "Server: aiclientd/" VERSION "\r\n"
	    "Date: %s\r\n"
	    "%s%s%s%s%s"
	    "Connection: %s\r\n",
	    status, http_reason(status), date,
	    ctype ? "Content-Type: " : "", ctype ? ctype : "",
	    ctype ? "\r\n" : "",
	    cors_headers, extra ? extra : "",
	    c->keep_alive ? "keep-alive" : "close");
}

int
conn_respond(struct conn *c, int status, const char *ctype,
    const char *body, size_t len, const char *extra)
{
	struct iovec iov[2];
	struct buf *b = &c->out;
	size_t total, off;
	ssize_t w;

	buf_reset(b);
	if (add_head(c, b, status, ctype, extra) == -1 ||
	    ((status >= 200 && status != 204 && status != 304) &&
	    buf_addf(b, "Content-Length: %zu\r\n", len) == -1) ||
	    buf_add(b, "\r\n", 2) == -1) {
		c->broken = 1;
		return -1;
	}
	c->head_sent = 1;
	if (status == 204 || status == 304 || c->head_only)
		len = 0;	/* HEAD keeps the Content-Length, not the body */
	/* head and body in one writev when the socket takes it all */
	iov[0].iov_base = b->data;
	iov[0].iov_len = b->len;
	iov[1].iov_base = (void *)body;
	iov[1].iov_len = body ? len : 0;
	total = iov[0].iov_len + iov[1].iov_len;
	do {
		if (!c->keep_alive && c->in.len == 0) {
			/* the last answer: held until conn_close, so that
			 * the FIN goes out in the same segment */
			struct msghdr mh;

			memset(&mh, 0, sizeof(mh));
			mh.msg_iov = iov;
			mh.msg_iovlen = 2;
			w = sendmsg(c->fd, &mh, MSG_MORE | MSG_NOSIGNAL);
			c->corked = 1;
		} else
			w = writev(c->fd, iov, 2);
	} while (w == -1 && errno == EINTR);
	if (w == (ssize_t)total) {
		c->bytes_out += total;
		return 0;
	}
	off = w > 0 ? (size_t)w : 0;
	if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
		c->broken = 1;
		return -1;
	}
	c->bytes_out += off;
	if (off < iov[0].iov_len) {
		if (conn_write(c, b->data + off, b->len - off) == -1)
			return -1;
		off = 0;
	} else
		off -= iov[0].iov_len;
	if (iov[1].iov_len > off)
		return conn_write(c, body + off, iov[1].iov_len - off);
	return 0;
}

int
conn_stream_start(struct conn *c, int status, const char *ctype,
    const char *extra)
{
	struct buf *b = &c->out;

	buf_reset(b);
	if (add_head(c, b, status, ctype, extra) == -1 ||
	    buf_addstr(b, "Cache-Control: no-cache\r\n"
	    "X-Accel-Buffering: no\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n") == -1) {
		c->broken = 1;
		return -1;
	}
	c->head_sent = 1;
	c->chunked = 1;
	return conn_write(c, b->data, b->len);
}

/* "<hex length>\r\n" without printf: this runs once per stream event. */
static int
chunk_header(char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[16];
	int n = 0, i;

	do {
		tmp[n++] = hex[len & 15];
		len >>= 4;
	} while (len > 0 && n < (int)sizeof(tmp));
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}

int
conn_stream_write(struct conn *c, const void *p, size_t len)
{
	struct iovec iov[3];
	char hdr[24];
	size_t total, off, i;
	ssize_t w;
	int n;

	if (len == 0)
		return 0;
	if (c->broken)
		return -1;
	n = chunk_header(hdr, len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)n;
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = len;
	iov[2].iov_base = (void *)"\r\n";
	iov[2].iov_len = 2;
	total = (size_t)n + len + 2;
	do {
		w = writev(c->fd, iov, 3);
	} while (w == -1 && errno == EINTR);
	if (w == (ssize_t)total) {
		c->bytes_out += total;
		return 0;
	}
	if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
		c->broken = 1;
		return -1;
	}
	off = w > 0 ? (size_t)w : 0;
	c->bytes_out += off;
	for (i = 0; i < 3; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		if (conn_write(c, (char *)iov[i].iov_base + off,
		    iov[i].iov_len - off) == -1)
			return -1;
		off = 0;
	}
	return 0;
}

int
conn_stream_end(struct conn *c)
{
	if (!c->chunked)
		return 0;
	c->chunked = 0;
	return conn_write(c, "0\r\n\r\n", 5);
}

int
conn_continue(struct conn *c)
{
	static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";

	return conn_write(c, msg, sizeof(msg) - 1);
}

void
conn_linger_close(struct conn *c)
{
	char b[4096];
	int64_t deadline = mono_ms() + LINGER_MS;
	size_t drained = 0;
	ssize_t r;

	if (c->fd == -1)
		return;
	if (shutdown(c->fd, SHUT_WR) == 0) {
		for (;;) {
			struct pollfd pfd = { c->fd, POLLIN, 0 };
			int64_t left = deadline - mono_ms();

			if (left <= 0 || drained > LINGER_BYTES)
				break;
			log_flush();
			if (poll(&pfd, 1, (int)left) <= 0)
				break;
			r = read(c->fd, b, sizeof(b));
			if (r <= 0 && !(r == -1 && errno == EINTR))
				break;
			if (r > 0)
				drained += (size_t)r;
		}
	}
	conn_close(c);
}

void
conn_close(struct conn *c)
{
	/* a held answer leaves with the FIN before the close: a close with
	 * unread input (a pipelining client) would reset the connection
	 * and drop what is still queued */
	if (c->fd != -1 && c->corked)
		shutdown(c->fd, SHUT_WR);
	c->corked = 0;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

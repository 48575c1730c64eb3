/*
 * mockup.c: the mock upstream's processes, event loop and HTTP/1.1
 * server side.  It owns the command line, the listening sockets (one
 * per process, SO_REUSEPORT, 127.0.0.1 only), the fork of -w workers
 * and their shutdown, the epoll loop with its signalfd, the
 * connections (input parsing with Content-Length and in-place chunked
 * decoding, keep-alive, pipelining, 100-continue, bounded buffers,
 * output back-pressure) and the single timer each connection may arm
 * for a deferred answer.  What a request means is decided by
 * mock_kiro.c and mock_state.c; see tests/mock/README.md for the
 * user's view.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"
#include "mockup.h"

#define READ_CHUNK	(64u * 1024)
#define OUT_HIGH	(1024u * 1024)	/* stop reading above this */
#define IN_MAX		(MOCK_MAX_HEAD + MOCK_MAX_BODY + 2 * READ_CHUNK)
#define KEEP_BUF	(256u * 1024)	/* free bigger idle buffers */
#define MAX_WORKERS	64
#define MAX_EVENTS	256

/* Chunked request body decoder states. */
enum chunk_state {
	CH_SIZE,
	CH_DATA,
	CH_DATA_END,
	CH_TRAILER
};

/* Offsets of one header inside the input buffer (it may move). */
struct hoff {
	uint32_t	 no, nl, vo, vl;
};

struct conn {
	int		 fd;
	struct buf	 in;
	struct buf	 out;
	size_t		 outoff;	/* bytes of out already written */
	uint32_t	 mask;		/* registered epoll events */
	int		 busy;		/* a job is pending */
	int		 closing;	/* close once out is written */
	int		 eof;		/* the peer closed its side */

	/* The request being received. */
	int		 have_head;
	size_t		 hscan;		/* where to look for CRLFCRLF */
	size_t		 headlen;	/* request line + headers + CRLF */
	size_t		 m_off, m_len, t_off, t_len, hb_off;
	struct hoff	 hoffs[MOCK_MAX_HEADERS];
	size_t		 nhdrs;
	int		 chunked;
	size_t		 clen;
	size_t		 rp, wp, cleft;	/* chunked: read, write, left */
	enum chunk_state cst;
	int		 keepalive;	/* of the current request */
	int		 expect100;
	int		 sent100;

	struct job	 job;
	int		 timed;
	struct conn	*tprev, *tnext;	/* timer list */
	struct conn	*prev, *next;	/* all connections */
};

struct mopts	 mopts;

static int		 ep = -1;
static int		 tag_listen, tag_signal;
static struct conn	*conns;
static struct conn	*timers;
static volatile int	 stopping;

static void	 usage(void) __attribute__((noreturn));

/*
 * One log line on stderr.  A pipe that nobody reads must not stall the
 * loop, so stderr is non-blocking when it is a pipe (see main) and a
 * line that does not fit is dropped.
 */
void
mlog(const char *fmt, ...)
{
	va_list ap;
	char line[1024];
	int n, m;

	if (mopts.quiet)
		return;
	n = snprintf(line, sizeof(line), "mockup[%d]: ", (int)getpid());
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)write(STDERR_FILENO, line, (size_t)n);
}

static const char *
reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 402:
		return "Payment Required";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Payload Too Large";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "Mock Status";
	}
}

void
resp_json(struct buf *o, int keepalive, int status, const char *body,
    size_t len)
{
	if (buf_addf(o, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n%s\r\n", status, reason(status), len,
	    keepalive ? "" : "Connection: close\r\n") == -1)
		return;
	(void)buf_add(o, body, len);
}

void
resp_jsonstr(struct buf *o, int keepalive, int status, const char *body)
{
	resp_json(o, keepalive, status, body, strlen(body));
}

const struct mhdr *
req_header(const struct mreq *r, const char *name)
{
	size_t i, n;

	n = strlen(name);
	for (i = 0; i < r->nhdrs; i++) {
		if (r->hdrs[i].nlen == n &&
		    strncasecmp(r->hdrs[i].name, name, n) == 0)
			return &r->hdrs[i];
	}
	return NULL;
}

int
path_endswith(const struct mreq *r, const char *suffix)
{
	size_t n;

	n = strlen(suffix);
	return r->plen >= n && memcmp(r->path + r->plen - n, suffix, n) == 0;
}

/* --- timers ------------------------------------------------------- */

static void
timer_add(struct conn *c)
{
	if (c->timed)
		return;
	c->tprev = NULL;
	c->tnext = timers;
	if (timers != NULL)
		timers->tprev = c;
	timers = c;
	c->timed = 1;
}

static void
timer_del(struct conn *c)
{
	if (!c->timed)
		return;
	if (c->tprev != NULL)
		c->tprev->tnext = c->tnext;
	else
		timers = c->tnext;
	if (c->tnext != NULL)
		c->tnext->tprev = c->tprev;
	c->tprev = c->tnext = NULL;
	c->timed = 0;
}

/* Milliseconds until the next deadline, -1 when there is none. */
static int
timer_wait(void)
{
	struct conn *c;
	int64_t now, min;

	if (timers == NULL)
		return -1;
	now = mono_ms();
	min = INT64_MAX;
	for (c = timers; c != NULL; c = c->tnext) {
		if (c->job.at < min)
			min = c->job.at;
	}
	if (min <= now)
		return 0;
	if (min - now > 60000)
		return 60000;
	return (int)(min - now);
}

/* --- the API the handlers see -------------------------------------- */

struct buf *
conn_out(struct conn *c)
{
	return &c->out;
}

int
conn_keepalive(const struct conn *c)
{
	return c->keepalive;
}

void
conn_close_after(struct conn *c)
{
	c->closing = 1;
}

struct job *
conn_job(struct conn *c)
{
	return &c->job;
}

void
conn_defer(struct conn *c, long ms, void (*fire)(struct conn *, struct job *))
{
	if (ms < 0)
		ms = 0;
	c->job.fire = fire;
	c->job.at = mono_ms() + ms;
	c->busy = 1;
	timer_add(c);
}

void
conn_done(struct conn *c)
{
	c->busy = 0;
	c->job.fire = NULL;
}

static void
job_send_data(struct conn *c, struct job *j)
{
	if (j->data.len > 0)
		(void)buf_add(&c->out, j->data.data, j->data.len);
	buf_reset(&j->data);
	if (j->data.cap > KEEP_BUF)
		buf_free(&j->data);
	conn_done(c);
}

void
conn_send_later(struct conn *c, long ms)
{
	conn_defer(c, ms, job_send_data);
}

/* --- connections --------------------------------------------------- */

static size_t
conn_pending(const struct conn *c)
{
	return c->out.len > c->outoff ? c->out.len - c->outoff : 0;
}

static void
conn_reset_request(struct conn *c)
{
	c->have_head = 0;
	c->hscan = 0;
	c->headlen = 0;
	c->nhdrs = 0;
	c->chunked = 0;
	c->clen = 0;
	c->rp = c->wp = c->cleft = 0;
	c->cst = CH_SIZE;
	c->expect100 = 0;
	c->sent100 = 0;
}

static struct conn *
conn_new(int fd)
{
	struct conn *c;
	struct epoll_event ev;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->fd = fd;
	buf_init(&c->in, IN_MAX);
	buf_init(&c->out, 0);
	buf_init(&c->job.data, 0);
	conn_reset_request(c);
	c->keepalive = 1;
	c->mask = EPOLLIN;
	memset(&ev, 0, sizeof(ev));
	ev.events = c->mask;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		free(c);
		return NULL;
	}
	c->next = conns;
	if (conns != NULL)
		conns->prev = c;
	conns = c;
	return c;
}

static void
conn_free(struct conn *c)
{
	timer_del(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->job.data);
	free(c);
}

static void
conn_setmask(struct conn *c)
{
	struct epoll_event ev;
	uint32_t want;

	want = 0;
	if (!c->busy && !c->closing && !c->eof && conn_pending(c) < OUT_HIGH)
		want |= EPOLLIN;
	if (conn_pending(c) > 0)
		want |= EPOLLOUT;
	if (want == c->mask)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->mask = want;
}

/* Write what is pending.  -1: the connection is dead. */
static int
conn_flush(struct conn *c)
{
	ssize_t n;

	while (c->outoff < c->out.len) {
		n = send(c->fd, c->out.data + c->outoff,
		    c->out.len - c->outoff, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->outoff += (size_t)n;
	}
	c->outoff = 0;
	buf_reset(&c->out);
	if (c->out.cap > KEEP_BUF)
		buf_free(&c->out);
	return 0;
}

/* Queue an error answer for a request we cannot parse; then close. */
static int
conn_reject(struct conn *c, int status, const char *msg)
{
	char body[160];
	int n;

	n = snprintf(body, sizeof(body), "{\"message\":\"mock: %s\"}", msg);
	resp_json(&c->out, 0, status, body, (size_t)n);
	mlog("closing a connection: %d %s", status, msg);
	return -1;
}

static int
is_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Does the comma-separated header value contain token tok? */
static int
has_token(const char *v, size_t vlen, const char *tok)
{
	size_t i, j, e, n;

	n = strlen(tok);
	i = 0;
	while (i < vlen) {
		while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		j = i;
		while (j < vlen && v[j] != ',')
			j++;
		e = j;
		while (e > i && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - i == n && strncasecmp(v + i, tok, n) == 0)
			return 1;
		i = j;
	}
	return 0;
}

/* A Content-Length value: 0, -1 if malformed, -2 if above the cap. */
static int
parse_clen(const char *v, size_t vl, long long *out)
{
	long long n;
	size_t i;

	if (vl == 0)
		return -1;
	n = 0;
	for (i = 0; i < vl; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (v[i] - '0');
		if (n > (long long)MOCK_MAX_BODY)
			return -2;
	}
	*out = n;
	return 0;
}

/*
 * Parse the request line and the headers once CRLFCRLF is in.
 * 1: done; 0: need more; -1: bad request (an answer is queued).
 */
static int
parse_head(struct conn *c)
{
	const char *d, *end, *p, *le, *sp1, *sp2, *colon;
	const char *v, *ve;
	struct hoff *h;
	size_t start;
	int http10, have_cl, conn_close, conn_ka, r;
	long long cl, n;

	d = c->in.data;
	start = c->hscan;
	if (c->in.len < 4)
		return 0;
	end = memmem(d + start, c->in.len - start, "\r\n\r\n", 4);
	if (end == NULL) {
		if (c->in.len > MOCK_MAX_HEAD)
			return conn_reject(c, 431, "request head too large");
		c->hscan = c->in.len - 3;
		return 0;
	}
	if ((size_t)(end - d) + 4 > MOCK_MAX_HEAD)
		return conn_reject(c, 431, "request head too large");
	c->headlen = (size_t)(end - d) + 4;

	/* Request line: METHOD SP target SP HTTP/1.x CRLF. */
	le = memmem(d, c->headlen, "\r\n", 2);
	sp1 = memchr(d, ' ', (size_t)(le - d));
	if (sp1 == NULL || sp1 == d)
		return conn_reject(c, 400, "bad request line");
	for (p = d; p < sp1; p++) {
		if (!is_tchar((unsigned char)*p))
			return conn_reject(c, 400, "bad method");
	}
	sp2 = memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return conn_reject(c, 400, "bad request line");
	for (p = sp1 + 1; p < sp2; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return conn_reject(c, 400, "bad request target");
	}
	if (le - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return conn_reject(c, 400, "bad protocol version");
	http10 = sp2[8] == '0';
	c->m_off = 0;
	c->m_len = (size_t)(sp1 - d);
	c->t_off = (size_t)(sp1 + 1 - d);
	c->t_len = (size_t)(sp2 - sp1 - 1);
	c->hb_off = (size_t)(le + 2 - d);

	/* Header lines. */
	c->nhdrs = 0;
	have_cl = conn_close = conn_ka = 0;
	cl = 0;
	c->chunked = 0;
	c->expect100 = 0;
	for (p = le + 2; p < end + 2; p = le + 2) {
		le = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if (*p == ' ' || *p == '\t')
			return conn_reject(c, 400, "obsolete line folding");
		colon = memchr(p, ':', (size_t)(le - p));
		if (colon == NULL || colon == p)
			return conn_reject(c, 400, "bad header line");
		for (v = p; v < colon; v++) {
			if (!is_tchar((unsigned char)*v))
				return conn_reject(c, 400, "bad header name");
		}
		v = colon + 1;
		while (v < le && (*v == ' ' || *v == '\t'))
			v++;
		ve = le;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (sp1 = v; sp1 < ve; sp1++) {
			if (((unsigned char)*sp1 < 0x20 && *sp1 != '\t') ||
			    *sp1 == 0x7f)
				return conn_reject(c, 400, "bad header value");
		}
		if (c->nhdrs == MOCK_MAX_HEADERS)
			return conn_reject(c, 431, "too many headers");
		h = &c->hoffs[c->nhdrs++];
		h->no = (uint32_t)(p - d);
		h->nl = (uint32_t)(colon - p);
		h->vo = (uint32_t)(v - d);
		h->vl = (uint32_t)(ve - v);
		if (h->nl == 14 && strncasecmp(p, "content-length", 14) == 0) {
			r = parse_clen(v, h->vl, &n);
			if (r == -2)
				return conn_reject(c, 413, "body too large");
			if (r == -1 || (have_cl && n != cl))
				return conn_reject(c, 400,
				    "bad content-length");
			cl = n;
			have_cl = 1;
		} else if (h->nl == 17 &&
		    strncasecmp(p, "transfer-encoding", 17) == 0) {
			if (!has_token(v, h->vl, "chunked"))
				return conn_reject(c, 501,
				    "unsupported transfer-encoding");
			c->chunked = 1;
		} else if (h->nl == 10 &&
		    strncasecmp(p, "connection", 10) == 0) {
			if (has_token(v, h->vl, "close"))
				conn_close = 1;
			if (has_token(v, h->vl, "keep-alive"))
				conn_ka = 1;
		} else if (h->nl == 6 && strncasecmp(p, "expect", 6) == 0) {
			if (h->vl == 12 && strncasecmp(v, "100-continue",
			    12) == 0)
				c->expect100 = 1;
		}
	}
	c->clen = c->chunked ? 0 : (size_t)cl;
	if (conn_close)
		c->keepalive = 0;
	else if (http10)
		c->keepalive = conn_ka;
	else
		c->keepalive = 1;
	if (c->chunked && have_cl)
		c->keepalive = 0;	/* RFC 9112 6.3: suspicious */
	c->rp = c->wp = c->headlen;
	c->cst = CH_SIZE;
	c->have_head = 1;
	return 1;
}

/*
 * Decode the chunked body in place: data moves down to wp, right
 * behind the head.  1: complete (rp = end of the request); 0: need
 * more; -1: bad (an answer is queued).
 */
static int
chunk_step(struct conn *c)
{
	char *d;
	const char *nl;
	size_t end, n, v, i;
	int x, digits;

	d = c->in.data;
	end = c->in.len;
	for (;;) {
		switch (c->cst) {
		case CH_SIZE:
			nl = memchr(d + c->rp, '\n', end - c->rp);
			if (nl == NULL) {
				if (end - c->rp > 4096)
					return conn_reject(c, 400,
					    "bad chunk size line");
				return 0;
			}
			v = 0;
			digits = 0;
			for (i = c->rp; d + i < nl; i++) {
				x = hex_digit((unsigned char)d[i]);
				if (x < 0)
					break;
				if (v > MOCK_MAX_BODY)
					return conn_reject(c, 413,
					    "body too large");
				v = v * 16 + (size_t)x;
				digits++;
			}
			if (digits == 0 || (d + i < nl && d[i] != ';' &&
			    d[i] != ' ' && d[i] != '\t' && d[i] != '\r'))
				return conn_reject(c, 400, "bad chunk size");
			c->rp = (size_t)(nl - d) + 1;
			if (v == 0) {
				c->cst = CH_TRAILER;
				break;
			}
			if (v > MOCK_MAX_BODY ||
			    c->wp - c->headlen > MOCK_MAX_BODY - v)
				return conn_reject(c, 413, "body too large");
			c->cleft = v;
			c->cst = CH_DATA;
			break;
		case CH_DATA:
			n = end - c->rp;
			if (n > c->cleft)
				n = c->cleft;
			if (n == 0)
				return 0;
			if (c->wp != c->rp)
				memmove(d + c->wp, d + c->rp, n);
			c->wp += n;
			c->rp += n;
			c->cleft -= n;
			if (c->cleft > 0)
				return 0;
			c->cst = CH_DATA_END;
			break;
		case CH_DATA_END:
			if (end - c->rp < 1)
				return 0;
			if (d[c->rp] == '\n') {
				c->rp++;
			} else if (d[c->rp] == '\r') {
				if (end - c->rp < 2)
					return 0;
				if (d[c->rp + 1] != '\n')
					return conn_reject(c, 400,
					    "bad chunk end");
				c->rp += 2;
			} else
				return conn_reject(c, 400, "bad chunk end");
			c->cst = CH_SIZE;
			break;
		case CH_TRAILER:
			nl = memchr(d + c->rp, '\n', end - c->rp);
			if (nl == NULL) {
				if (end - c->rp > 8192)
					return conn_reject(c, 431,
					    "trailer too large");
				return 0;
			}
			n = (size_t)(nl - (d + c->rp));
			c->rp = (size_t)(nl - d) + 1;
			if (n == 0 || (n == 1 && nl[-1] == '\r'))
				return 1;
			break;
		}
	}
}

/* 1: a whole request is in; 0: need more; -1: bad (answer queued). */
static int
parse_request(struct conn *c)
{
	int r;

	if (!c->have_head) {
		r = parse_head(c);
		if (r <= 0)
			return r;
	}
	if (c->chunked)
		r = chunk_step(c);
	else
		r = c->in.len - c->headlen >= c->clen;
	if (r == 0 && c->expect100 && !c->sent100) {
		(void)buf_addstr(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
		c->sent100 = 1;
	}
	return r;
}

static int
is_method(const struct mreq *r, const char *m)
{
	size_t n;

	n = strlen(m);
	return r->mlen == n && memcmp(r->method, m, n) == 0;
}

static void
dispatch(struct conn *c)
{
	struct mreq r;
	const char *d, *q;
	size_t i;
	int status;

	d = c->in.data;
	r.method = d + c->m_off;
	r.mlen = c->m_len;
	r.target = d + c->t_off;
	r.tlen = c->t_len;
	r.path = r.target;
	r.plen = r.tlen;
	if (r.plen > 7 && strncasecmp(r.path, "http://", 7) == 0) {
		q = memchr(r.path + 7, '/', r.plen - 7);
		if (q == NULL)
			q = r.path + r.plen;
		r.plen -= (size_t)(q - r.path);
		r.path = q;
	}
	q = memchr(r.path, '?', r.plen);
	if (q != NULL)
		r.plen = (size_t)(q - r.path);
	r.hblock = d + c->hb_off;
	r.hblen = c->headlen - 2 - c->hb_off;
	r.nhdrs = c->nhdrs;
	for (i = 0; i < c->nhdrs; i++) {
		r.hdrs[i].name = d + c->hoffs[i].no;
		r.hdrs[i].nlen = c->hoffs[i].nl;
		r.hdrs[i].val = d + c->hoffs[i].vo;
		r.hdrs[i].vlen = c->hoffs[i].vl;
	}
	r.body = d + c->headlen;
	r.blen = c->chunked ? c->wp - c->headlen : c->clen;

	if (r.plen >= 7 && memcmp(r.path, "/_mock/", 7) == 0)
		status = state_control(c, &r);
	else if (is_method(&r, "POST") &&
	    path_endswith(&r, "/generateAssistantResponse"))
		status = kiro_chat(c, &r);
	else if (is_method(&r, "GET") && path_endswith(&r, "/getUsageLimits"))
		status = kiro_usage(c, &r);
	else if (is_method(&r, "POST") && path_endswith(&r, "/refreshToken"))
		status = state_refresh(c, &r, 0);
	else if (is_method(&r, "POST") && path_endswith(&r, "/token"))
		status = state_refresh(c, &r, 1);
	else {
		resp_jsonstr(&c->out, c->keepalive, 404,
		    "{\"message\":\"mock: no such endpoint\"}");
		status = 404;
	}
	if (!mopts.quiet)
		mlog("%.*s %.*s -> %d", (int)r.mlen, r.method,
		    (int)(r.tlen > 200 ? 200 : r.tlen), r.target, status);
}

/*
 * Serve what the input holds, write what can be written.  -1: close
 * the connection now.
 */
static int
conn_service(struct conn *c)
{
	size_t used;
	int r, full;

	for (;;) {
		full = 0;
		while (!c->busy && !c->closing) {
			if (conn_pending(c) >= OUT_HIGH) {
				full = 1;
				break;
			}
			r = parse_request(c);
			if (r == 0)
				break;
			if (r < 0) {
				c->closing = 1;
				break;
			}
			dispatch(c);
			used = c->chunked ? c->rp : c->headlen + c->clen;
			buf_consume(&c->in, used);
			if (c->in.len == 0 && c->in.cap > KEEP_BUF)
				buf_free(&c->in);
			conn_reset_request(c);
			if (!c->keepalive)
				c->closing = 1;
			c->keepalive = 1;
		}
		if (conn_flush(c) == -1)
			return -1;
		if (!full || c->busy || c->closing || conn_pending(c) > 0)
			break;
	}
	if (c->eof && !c->busy)
		c->closing = 1;
	if (c->closing && !c->busy && conn_pending(c) == 0)
		return -1;
	conn_setmask(c);
	return 0;
}

static int
conn_read(struct conn *c)
{
	size_t room;
	ssize_t n;

	room = c->in.max - c->in.len;
	if (room == 0) {
		(void)conn_reject(c, 413, "request too large");
		c->closing = 1;
		return conn_service(c);
	}
	if (room > READ_CHUNK)
		room = READ_CHUNK;
	if (buf_reserve(&c->in, room) == -1)
		return -1;
	n = recv(c->fd, c->in.data + c->in.len, room, 0);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return -1;
	}
	if (n == 0)
		c->eof = 1;
	c->in.len += (size_t)n;
	c->in.data[c->in.len] = '\0';
	return conn_service(c);
}

static void
conn_event(struct conn *c, uint32_t events)
{
	if (events & EPOLLERR) {
		conn_free(c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP)) {
		if (c->mask & EPOLLIN) {
			if (conn_read(c) == -1) {
				conn_free(c);
				return;
			}
		} else if ((events & EPOLLHUP) && !(events & EPOLLOUT)) {
			conn_free(c);
			return;
		}
	}
	if (events & EPOLLOUT) {
		if (conn_service(c) == -1)
			conn_free(c);
	}
}

static void
timers_run(void)
{
	struct conn *list, *c;
	int64_t now;

	if (timers == NULL)
		return;
	now = mono_ms();
	/* Detach the list: jobs that re-arm go onto a fresh one. */
	list = timers;
	timers = NULL;
	for (c = list; c != NULL; c = c->tnext)
		c->timed = 0;
	while (list != NULL) {
		c = list;
		list = c->tnext;
		c->tprev = c->tnext = NULL;
		if (c->job.at > now || c->job.fire == NULL) {
			if (c->job.fire != NULL)
				timer_add(c);
			continue;
		}
		c->job.fire(c, &c->job);
		if (conn_service(c) == -1)
			conn_free(c);
	}
}

static void
accept_all(int lfd)
{
	struct conn *c;
	int fd, one;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		one = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		c = conn_new(fd);
		if (c == NULL)
			close(fd);
	}
}

/* One process's event loop on its listener; returns at SIGTERM. */
static int
serve(int lfd)
{
	struct epoll_event ev, evs[MAX_EVENTS];
	struct signalfd_siginfo si;
	sigset_t ss;
	int sfd, n, i;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd == -1 || ep == -1) {
		perror("mockup: epoll/signalfd");
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &tag_listen;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1)
		return -1;
	ev.data.ptr = &tag_signal;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) == -1)
		return -1;
	while (!stopping) {
		n = epoll_wait(ep, evs, MAX_EVENTS, timer_wait());
		if (n == -1) {
			if (errno == EINTR)
				continue;
			perror("mockup: epoll_wait");
			break;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &tag_listen)
				accept_all(lfd);
			else if (evs[i].data.ptr == &tag_signal) {
				if (read(sfd, &si, sizeof(si)) > 0)
					stopping = 1;
			} else
				conn_event(evs[i].data.ptr, evs[i].events);
		}
		timers_run();
	}
	while (conns != NULL)
		conn_free(conns);
	close(sfd);
	close(ep);
	return 0;
}

static int
make_listener(int port)
{
	struct sockaddr_in sin;
	int fd, one;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	one = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1)
		goto bad;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto bad;
	if (listen(fd, 4096) == -1)
		goto bad;
	return fd;
bad:
	close(fd);
	return -1;
}

static int
bound_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len;

	len = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	return ntohs(sin.sin_port);
}

static void
usage(void)
{
	fprintf(stderr, "usage: mockup [-p port] [-w workers] "
	    "[--fixtures dir] [--state file]\n"
	    "\t[--token T]... [--refresh-token R]... [--expires-in S]\n"
	    "\t[--any-token] [--rotate-invalidates] [--quiet]\n");
	exit(2);
}

/* The parent of -w N workers: forward SIGTERM/SIGINT, reap. */
static int
supervise(pid_t *pids, int n, const sigset_t *ss)
{
	siginfo_t si;
	pid_t pid;
	int alive, i, status, rc, sig;

	alive = n;
	rc = 0;
	while (alive > 0) {
		sig = sigwaitinfo(ss, &si);
		if (sig == -1)
			continue;
		if (sig == SIGTERM || sig == SIGINT) {
			for (i = 0; i < n; i++) {
				if (pids[i] > 0)
					(void)kill(pids[i], SIGTERM);
			}
			continue;
		}
		for (;;) {
			pid = waitpid(-1, &status, WNOHANG);
			if (pid <= 0)
				break;
			for (i = 0; i < n; i++) {
				if (pids[i] != pid)
					continue;
				pids[i] = -1;
				alive--;
				if (!WIFEXITED(status) ||
				    WEXITSTATUS(status) != 0) {
					rc = 1;
					for (i = 0; i < n; i++) {
						if (pids[i] > 0)
							(void)kill(pids[i],
							    SIGTERM);
					}
				}
				break;
			}
		}
	}
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "fixtures", required_argument, NULL, 'F' },
		{ "state", required_argument, NULL, 'S' },
		{ "token", required_argument, NULL, 'T' },
		{ "refresh-token", required_argument, NULL, 'R' },
		{ "expires-in", required_argument, NULL, 'E' },
		{ "any-token", no_argument, NULL, 'A' },
		{ "rotate-invalidates", no_argument, NULL, 'I' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char **tokens, **rtokens;
	size_t ntokens, nrtokens;
	long long v;
	int ch, port, workers, lfds[MAX_WORKERS], i, j, rc;
	pid_t pids[MAX_WORKERS], parent;
	struct stat sb;
	sigset_t ss;

	port = 0;
	workers = 1;
	mopts.expires_in = 3600;
#ifdef FIXTURES
	mopts.fixtures = FIXTURES;
#endif
	tokens = calloc((size_t)argc + 1, sizeof(*tokens));
	rtokens = calloc((size_t)argc + 1, sizeof(*rtokens));
	if (tokens == NULL || rtokens == NULL)
		return 1;
	ntokens = nrtokens = 0;
	for (;;) {
		ch = getopt_long(argc, argv, "p:w:qh", longopts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'p':
			if (parse_int(optarg, 0, 65535, &v) != 0)
				usage();
			port = (int)v;
			break;
		case 'w':
			if (parse_int(optarg, 1, MAX_WORKERS, &v) != 0)
				usage();
			workers = (int)v;
			break;
		case 'F':
			mopts.fixtures = optarg;
			break;
		case 'S':
			mopts.state_file = optarg;
			break;
		case 'T':
			tokens[ntokens++] = optarg;
			break;
		case 'R':
			rtokens[nrtokens++] = optarg;
			break;
		case 'E':
			if (parse_int(optarg, 0, 100000000, &v) != 0)
				usage();
			mopts.expires_in = (long)v;
			break;
		case 'A':
			mopts.any_token = 1;
			break;
		case 'I':
			mopts.rotate_invalidates = 1;
			break;
		case 'q':
			mopts.quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	signal(SIGPIPE, SIG_IGN);
	if (fstat(STDERR_FILENO, &sb) == 0 && S_ISFIFO(sb.st_mode))
		(void)fd_nonblock(STDERR_FILENO, 1);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);

	for (i = 0; i < workers; i++) {
		lfds[i] = make_listener(port);
		if (lfds[i] == -1) {
			fprintf(stderr, "mockup: cannot listen on "
			    "127.0.0.1:%d: %s\n", port, strerror(errno));
			return 1;
		}
		if (port == 0)
			port = bound_port(lfds[i]);
	}
	if (state_init(tokens, ntokens, rtokens, nrtokens) == -1 ||
	    kiro_init() == -1) {
		fprintf(stderr, "mockup: initialisation failed\n");
		return 1;
	}
	free(tokens);
	free(rtokens);
	printf("PORT %d\n", port);
	fflush(stdout);
	mlog("listening on 127.0.0.1:%d with %d process(es)", port, workers);

	if (workers == 1) {
		rc = serve(lfds[0]) == 0 ? 0 : 1;
		close(lfds[0]);
		kiro_free();
		state_free();
		return rc;
	}

	parent = getpid();
	for (i = 0; i < workers; i++) {
		pids[i] = fork();
		if (pids[i] == -1) {
			perror("mockup: fork");
			for (j = 0; j < i; j++)
				(void)kill(pids[j], SIGTERM);
			return 1;
		}
		if (pids[i] == 0) {
#ifdef HAVE_SYS_PRCTL_H
			(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
			if (getppid() != parent)
				_exit(0);
			for (j = 0; j < workers; j++) {
				if (j != i)
					close(lfds[j]);
			}
			rc = serve(lfds[i]) == 0 ? 0 : 1;
			close(lfds[i]);
			kiro_free();
			state_free();
			exit(rc);
		}
	}
	for (i = 0; i < workers; i++)
		close(lfds[i]);
	rc = supervise(pids, workers, &ss);
	kiro_free();
	state_free();
	return rc;
}

/*
 * worker.c: a worker process.  It accepts on the shared listeners,
 * serves one connection at a time (HTTP/1.1, keep-alive, pipelining),
 * and talks to the master over its channel.  Nothing a client sends
 * can end the process: every failure is an HTTP answer or a closed
 * connection.
 *
 * Keep-alive never starves new clients: before each response the worker
 * checks whether no worker is idle, or more connections wait in the
 * accept queue (TCP_INFO on the listener) than idle workers can take,
 * and if so answers with "Connection: close"; while it waits on an idle
 * keep-alive connection it also watches the listeners and gives the
 * connection up when a new client arrives and nobody else is free to
 * take it.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "conn.h"
#include "log.h"
#include "master.h"
#include "proto.h"
#include "router.h"
#include "scoreboard.h"
#include "util.h"
#include "wacct.h"
#include "worker.h"

#define MAX_HEAD	(64 * 1024)
#define KA_MAX_REQUESTS	10000	/* per connection */

struct worker W;
/* SIGTERM sent to the worker itself (kill of the process group by a
 * service manager or timeout(1)): finish the request in flight, then
 * exit, as for the master's SHUTDOWN. */
static volatile sig_atomic_t got_term;
static struct conn C;	/* the connection being served */

enum readres {
	RR_HEAD = 0,	/* a request head is parsed */
	RR_CLOSE,	/* connection over, nothing to answer */
	RR_ERROR	/* answer c->req.status (or 408) and close */
};

int
worker_send(struct msg_out *m)
{
	if (msg_close(m) == -1 || msgq_put(&W.out, m) == -1)
		return -1;
	return msgq_flush_all(&W.out, W.chan, 5000);
}

static void
handle_message(struct msg_in *m)
{
	switch (m->hdr.type) {
	case MSG_SHUTDOWN:
		if (msg_end(m) == -1)
			fatalx("malformed %s", msg_type_str(m->hdr.type));
		W.shutdown = 1;
		break;
	case MSG_ACCOUNT_SET:
		wacct_update(m);
		break;
	default:
		log_debug("ignoring message %s", msg_type_str(m->hdr.type));
		break;
	}
}

void
worker_poll_channel(void)
{
	struct msg_in m;
	ssize_t r;
	int n;

	if (W.chan_eof)
		return;
	for (;;) {
		r = msgin_read(&W.in, W.chan);
		if (r == 0) {
			/* the master is gone: finish and leave */
			W.shutdown = 1;
			W.chan_eof = 1;
			return;
		}
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				W.shutdown = 1;
			break;
		}
	}
	for (;;) {
		n = msgin_next(&W.in, &m);
		if (n == 0)
			break;
		if (n == -1)
			fatalx("corrupt channel from the master");
		handle_message(&m);
	}
}

static int
keep_alive_allowed(struct conn *c)
{
	static int64_t qcheck;	/* the accept queue, asked at most each 10 ms */
	static int qlen;
	int64_t now;
	int idle;

	worker_check_stop();
	if (!c->req.keep_alive || W.shutdown || c->nreq >= KA_MAX_REQUESTS)
		return 0;
	if (W.conf->keepalive_timeout_seconds == 0)
		return 0;
	if (W.conf->max_requests_per_worker > 0 &&
	    W.requests + 1 >= (uint64_t)W.conf->max_requests_per_worker)
		return 0;
	/* every worker busy, or more clients waiting than idle workers
	 * to take them: this connection makes room */
	idle = atomic_load(&sb->idle);
	if (idle <= 0)
		return 0;
	/* a queue seen long enough to close on is asked again: closing
	 * on a figure up to 10 ms old would cut keep-alive after a burst */
	now = mono_ms();
	if (now - qcheck >= 10 || qlen > idle) {
		qcheck = now;
		qlen = listeners_queue(W.l, W.nl);
	}
	return qlen <= idle;
}

/*
 * Wait for the first byte of the next request on an idle keep-alive
 * connection.  0: data is there; -1: give the connection up.
 */
static int
keepalive_wait(struct conn *c)
{
	struct pollfd pfd[2 + MAX_LISTENERS];
	int64_t deadline, now, watch_after = 0;
	int n, i, r, timeout;

	deadline = mono_ms() + W.conf->keepalive_timeout_seconds * 1000;
	watch_after = mono_ms() + KA_YIELD_IDLE_MS;
	for (;;) {
		now = mono_ms();
		worker_check_stop();
		if (now >= deadline || W.shutdown)
			return -1;
		n = 0;
		pfd[n].fd = c->fd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = W.chan;
		pfd[n++].events = POLLIN;
		timeout = (int)(deadline - now);
		if (now >= watch_after) {
			for (i = 0; i < (int)W.nl; i++) {
				pfd[n].fd = W.l[i].fd;
				pfd[n++].events = POLLIN;
			}
		} else if (watch_after - now < timeout)
			timeout = (int)(watch_after - now);
		log_flush();
		r = poll(pfd, n, timeout);
		if (r == -1 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		if (pfd[0].revents)
			return 0;
		if (pfd[1].revents) {
			worker_poll_channel();
			continue;
		}
		/* a new client: yield unless an idle worker can take it */
		if (atomic_load(&sb->idle) <= 0)
			return -1;
		watch_after = mono_ms() + 50;
	}
}

/*
 * Read until the head of the next request is parsed.  first: the
 * connection was just accepted (no keep-alive wait).
 */
static enum readres
read_head(struct conn *c, int first)
{
	enum http_result hr;
	int64_t deadline = 0;
	size_t used;
	ssize_t r;
	int got = c->in.len > 0;

	if (first || got)
		deadline = mono_ms() + W.conf->header_timeout_seconds * 1000;
	for (;;) {
		if (c->in.len > 0) {
			hr = http_parser_feed(&c->req, c->in.data, c->in.len,
			    &used);
			buf_consume(&c->in, used);
			if (hr == HTTP_HEAD_DONE)
				return RR_HEAD;
			if (hr == HTTP_ERROR)
				return RR_ERROR;
			if (hr == HTTP_COMPLETE)	/* cannot happen first */
				return RR_HEAD;
		}
		if (!got) {
			sb_set_state(W.slot, first ? SB_READ : SB_KEEPALIVE);
			if (!first && keepalive_wait(c) == -1)
				return RR_CLOSE;
			sb_set_state(W.slot, SB_READ);
			if (deadline == 0)
				deadline = mono_ms() +
				    W.conf->header_timeout_seconds * 1000;
		}
		r = conn_read(c, deadline);
		if (r == -2) {
			if (!got)
				return RR_CLOSE;
			c->req.status = 408;
			c->req.error = "timed out reading the request head";
			return RR_ERROR;
		}
		if (r <= 0)
			return RR_CLOSE;
		got = 1;
	}
}

/* Read the body of the request whose head is parsed. */
static enum readres
read_body(struct conn *c)
{
	enum http_result hr;
	int64_t deadline;
	size_t used;
	ssize_t r;

	deadline = mono_ms() + W.conf->body_timeout_seconds * 1000;
	for (;;) {
		hr = http_parser_feed(&c->req, c->in.data ? c->in.data : "",
		    c->in.len, &used);
		buf_consume(&c->in, used);
		if (hr == HTTP_COMPLETE)
			return RR_HEAD;
		if (hr == HTTP_ERROR)
			return RR_ERROR;
		r = conn_read(c, deadline);
		if (r == -2) {
			c->req.status = 408;
			c->req.error = "timed out reading the request body";
			return RR_ERROR;
		}
		if (r <= 0)
			return RR_CLOSE;
	}
}

static void
access_log(struct request *r, struct conn *c)
{
	log_info("%s \"%s %s\" %d %llu %lldms route=%s dialect=%s "
	    "provider=%s key=%s%s%s",
	    c->peer, c->req.method ? c->req.method : "-",
	    c->req.path ? c->req.path : "-", c->status,
	    (unsigned long long)c->bytes_out,
	    (long long)(mono_ms() - r->t0), r->route, dialect_str(r->dialect),
	    r->provider ? r->provider : "-",
	    r->authorized ? clientauth_key_id() : "-",
	    r->account[0] ? " account=" : "", r->account);
}

/* A parse or read error: answer it (when there is a status) and close. */
static void
answer_protocol_error(struct conn *c, struct request *r)
{
	int status = c->req.status ? c->req.status : 400;

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->conf = W.conf;
	r->t0 = mono_ms();
	r->route = "-";
	r->dialect = c->req.path ? router_dialect_of(c->req.path) :
	    DIALECT_OPENAI;
	c->keep_alive = 0;
	api_error(r, status, "%s", c->req.error ? c->req.error :
	    http_reason(status));
	access_log(r, c);
	conn_linger_close(c);
}

static void
serve(int fd, const char *peer)
{
	struct conn *cp = &C;
	struct request r;
	enum readres rr;
	int first = 1, has_body;

	conn_init(cp, fd, peer);
	cp->write_timeout_ms = (int)W.conf->body_timeout_seconds * 1000;
	atomic_fetch_add(&sb->w[W.slot].connections, 1);
	for (;;) {
		conn_next(cp);
		rr = read_head(cp, first);
		first = 0;
		if (rr == RR_CLOSE)
			break;
		if (rr == RR_ERROR) {
			answer_protocol_error(cp, &r);
			return;
		}
		sb_set_state(W.slot, SB_BUSY);
		worker_check_mail();
		snprintf(sb->w[W.slot].route, SB_ROUTE_LEN, "%s %s",
		    cp->req.method, cp->req.path);
		cp->nreq++;
		router_route(&r, cp, W.conf);
		has_body = cp->req.content_length > 0 || cp->req.chunked;
		if (r.early_status != 0 && cp->req.expect_continue &&
		    has_body) {
			/* refused before the body: it never comes */
			cp->req.keep_alive = 0;
		} else {
			if (r.early_status == 0 && cp->req.expect_continue &&
			    has_body)
				conn_continue(cp);
			/* early answers drain the body to keep the
			 * connection in step */
			rr = read_body(cp);
			if (rr == RR_CLOSE)
				break;
			if (rr == RR_ERROR) {
				answer_protocol_error(cp, &r);
				return;
			}
		}
		cp->keep_alive = keep_alive_allowed(cp);
		cp->head_only = strcmp(cp->req.method, "HEAD") == 0;
		if (r.early_status != 0)
			router_answer_early(&r);
		else
			r.handler(&r);
		access_log(&r, cp);
		W.requests++;
		atomic_fetch_add(&sb->w[W.slot].requests, 1);
		atomic_fetch_add(&sb->total_requests, 1);
		sb->w[W.slot].route[0] = '\0';
		if (cp->broken || !cp->keep_alive)
			break;
	}
	conn_close(cp);
}

static void
peer_name(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(out, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(out, len, "%s:%u", a, ntohs(s4->sin_port));
	}
}

/*
 * Accept a waiting client on any listener (they are non-blocking):
 * its descriptor, or -1.  TCP_NODELAY is set on the listeners, and
 * Linux passes it on to accepted sockets; it is set here only if the
 * first accepted socket shows that it was not.
 */
static int
accept_one(struct sockaddr_storage *ss, socklen_t *sl)
{
	static int nodelay_inherited = -1;
	socklen_t ol;
	size_t i;
	int fd, one = 1, v;

	for (i = 0; i < W.nl; i++) {
		*sl = sizeof(*ss);
		fd = accept4(W.l[i].fd, (struct sockaddr *)ss, sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				log_warn("accept");
				poll(NULL, 0, 100);
			}
			continue;	/* EAGAIN: nobody waits here */
		}
		if (nodelay_inherited == -1) {
			v = 0;
			ol = sizeof(v);
			nodelay_inherited = getsockopt(fd, IPPROTO_TCP,
			    TCP_NODELAY, &v, &ol) == 0 && v != 0;
		}
		if (!nodelay_inherited)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		return fd;
	}
	return -1;
}

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* The master's stop flag (its SHUTDOWN message is on its way), or a
 * SIGTERM of our own: finish the request in flight and leave. */
void
worker_check_stop(void)
{
	if (got_term || atomic_load(&sb->w[W.slot].stop))
		W.shutdown = 1;
}

/* Read the channel when the master says it wrote to it (sb mail). */
void
worker_check_mail(void)
{
	static uint32_t seen;
	uint32_t now = atomic_load(&sb->w[W.slot].mail);

	worker_check_stop();
	if (now != seen) {
		seen = now;
		worker_poll_channel();
	}
}

void
worker_main(const struct conf *conf, const struct listener *l, size_t nl,
    int chan, int slot, uint32_t generation)
{
	struct pollfd pfd[1 + MAX_LISTENERS];
	struct sockaddr_storage ss;
	struct msg_out m;
	socklen_t sl;
	char peer[64], role[32];
	size_t i;
	struct sigaction sa;
	int fd, r;

	memset(&W, 0, sizeof(W));
	W.conf = conf;
	W.l = l;
	W.nl = nl;
	W.chan = chan;
	W.slot = slot;
	W.generation = generation;
	snprintf(role, sizeof(role), "worker %d", slot);
	log_procinit(role);
	log_hold();
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;	/* no SA_RESTART: waits end at once */
	sigaction(SIGTERM, &sa, NULL);
	fd_nonblock(chan, 1);
	msgin_init(&W.in);
	msgq_init(&W.out, 0);
	clientauth_init(conf);
	buf_init(&C.in, MAX_HEAD + 4 * 16384);
	buf_init(&C.out, 1024 * 1024);
	http_parser_init(&C.req, MAX_HEAD, (size_t)conf->max_body_bytes);

	msg_create(&m, MSG_READY, (uint32_t)slot);
	msg_add_u32(&m, generation);
	if (worker_send(&m) == -1)
		fatalx("cannot reach the master");

	for (;;) {
		worker_check_mail();
		if (W.shutdown)
			break;
		if (conf->max_requests_per_worker > 0 &&
		    W.requests >= (uint64_t)conf->max_requests_per_worker)
			break;
		sb_set_state(slot, SB_IDLE);
		/* a client already waiting is taken without a poll; only a
		 * worker about to wait writes its held log lines */
		fd = accept_one(&ss, &sl);
		if (fd == -1) {
			log_flush();
			pfd[0].fd = chan;
			pfd[0].events = POLLIN;
			for (i = 0; i < nl; i++) {
				pfd[1 + i].fd = l[i].fd;
				pfd[1 + i].events = POLLIN;
			}
			r = poll(pfd, 1 + nl, -1);
			if (r == -1) {
				if (errno == EINTR)
					continue;
				fatal("poll");
			}
			if (pfd[0].revents) {
				worker_poll_channel();
				continue;
			}
			fd = accept_one(&ss, &sl);
			if (fd == -1)
				continue;	/* another worker won */
		}
		peer_name(&ss, peer, sizeof(peer));
		sb_set_state(slot, SB_READ);
		serve(fd, peer);
	}
	sb_set_state(slot, SB_EXITING);
	exit(WORKER_EXIT_OK);
}

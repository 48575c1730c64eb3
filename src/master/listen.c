/*
 * listen.c: binding the listening sockets for HOST and SERVER_PORT.
 * HOST may list several addresses separated by commas or spaces; each
 * is resolved and every address it yields is bound.  "localhost" thus
 * gives 127.0.0.1 and ::1 (the latter skipped quietly on hosts without
 * IPv6), "::" alone is dual-stack, "*" means every interface.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "log.h"
#include "master.h"
#include "util.h"
#include "xalloc.h"

#define LISTEN_BACKLOG	4096

static void
sockname(int fd, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		snprintf(out, outlen, "?");
		return;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(out, outlen, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(out, outlen, "%s:%u", a, ntohs(s4->sin_port));
	}
}

static int
bind_one(const struct addrinfo *ai, int dual, int *fdp, char *err,
    size_t errlen)
{
	int fd, on = 1, off = 0, defer = 5;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &off : &on,
		    sizeof(int));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		int saved = errno;

		snprintf(err, errlen, "bind: %s", strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	/* Wake a worker only once the client has sent something. */
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
	/* accepted sockets inherit it: no setsockopt per connection */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (listen(fd, LISTEN_BACKLOG) == -1) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

int
listeners_open(const char *host, long long port, struct listener *l,
    size_t *n, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char portstr[16], *copy, *tok, *save, e[256];
	size_t start = *n, ntok = 0;
	int r, fd, any_ok;

	snprintf(portstr, sizeof(portstr), "%lld", port);
	copy = xstrdup(host ? host : "");
	for (tok = strtok_r(copy, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save))
		ntok++;
	free(copy);
	copy = xstrdup((host == NULL || *host == '\0') ? "*" : host);
	for (tok = strtok_r(copy, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		const char *node = tok;
		int dual = 0;

		if (strcmp(tok, "*") == 0) {
			node = "::";
			dual = 1;
		} else if (strcmp(tok, "::") == 0 && ntok <= 1)
			dual = 1;
		if (node[0] == '[') {	/* [::1] */
			size_t len = strlen(node);

			if (len > 2 && node[len - 1] == ']') {
				tok[len - 1] = '\0';
				node = tok + 1;
			}
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		r = getaddrinfo(node, portstr, &hints, &res);
		if (r != 0) {
			snprintf(err, errlen, "cannot resolve HOST '%s': %s",
			    tok, gai_strerror(r));
			goto fail;
		}
		any_ok = 0;
		e[0] = '\0';
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (*n >= MAX_LISTENERS) {
				snprintf(err, errlen, "too many listeners");
				freeaddrinfo(res);
				goto fail;
			}
			if (bind_one(ai, dual, &fd, e, sizeof(e)) == -1) {
				char a[INET6_ADDRSTRLEN] = "?";

				if (ai->ai_family == AF_INET6)
					inet_ntop(AF_INET6, &((struct sockaddr_in6 *)
					    ai->ai_addr)->sin6_addr, a, sizeof(a));
				else
					inet_ntop(AF_INET, &((struct sockaddr_in *)
					    ai->ai_addr)->sin_addr, a, sizeof(a));
				/* localhost's ::1 may not exist: not fatal */
				if (ai->ai_family == AF_INET6 &&
				    (errno == EADDRNOTAVAIL ||
				    errno == EAFNOSUPPORT) && res->ai_next)
					continue;
				snprintf(err, errlen, "%s port %s: %s", a,
				    portstr, e);
				freeaddrinfo(res);
				goto fail;
			}
			l[*n].fd = fd;
			sockname(fd, l[*n].name, sizeof(l[*n].name));
			(*n)++;
			any_ok = 1;
			/* dual-stack "::" covers IPv4 too */
			if (dual)
				break;
		}
		freeaddrinfo(res);
		if (!any_ok) {
			snprintf(err, errlen, "HOST '%s': %s", tok,
			    e[0] ? e : "no usable address");
			goto fail;
		}
	}
	free(copy);
	return 0;
fail:
	free(copy);
	listeners_close(l + start, *n - start);
	*n = start;
	return -1;
}

void
listeners_close(struct listener *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (l[i].fd != -1)
			close(l[i].fd);
		l[i].fd = -1;
	}
}

/*
 * Stop accepting on these listeners in every process at once: the
 * socket is shared with the workers, and shutdown(2) on a listening
 * socket (unlike close) takes it out of the listening state for all of
 * them, so a worker busy with a request cannot keep the port open.
 */
void
listeners_stop(struct listener *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i].fd != -1)
			shutdown(l[i].fd, SHUT_RDWR);
	listeners_close(l, n);
}

/* Connections waiting in the accept queues of the listeners (Linux:
 * TCP_INFO on a listening socket reports the queue in tcpi_unacked). */
int
listeners_queue(const struct listener *l, size_t n)
{
	struct tcp_info ti;
	socklen_t len;
	size_t i;
	int q = 0;

	for (i = 0; i < n; i++) {
		if (l[i].fd == -1)
			continue;
		len = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(l[i].fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
			q += (int)ti.tcpi_unacked;
	}
	return q;
}

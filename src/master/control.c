/*
 * control.c: the control socket aiclientctl talks to (OpenBSD httpd
 * control.c).  A stream UNIX socket, mode 0600, peers checked with
 * SO_PEERCRED: root or the daemon's own uid only.  One request line
 * per connection ("status", "reload", ...), one JSON answer, close.
 * Answers never contain secrets.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "accounts.h"
#include "buf.h"
#include "control.h"
#include "log.h"
#include "master.h"
#include "scoreboard.h"
#include "util.h"
#include "xalloc.h"

#define CTL_MAX_CLIENTS	32
#define CTL_LINE_MAX	4096
#define CTL_TIMEOUT_MS	10000

struct ctl_client {
	int		 fd;
	char		 line[CTL_LINE_MAX];
	size_t		 len;
	struct buf	 out;
	int		 answered;	/* reply queued: close once flushed */
	int		 waiting;	/* reply comes later (reload) */
	int64_t		 since;
};

static int			 ctl_listen = -1;
static struct ctl_client	 clients[CTL_MAX_CLIENTS];
static int			 nclients;

int
control_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(err, errlen, "CONTROL_SOCKET path too long: %s", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A live daemon answers on the socket: never steal it. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
	    errno == EAGAIN) {
		snprintf(err, errlen, "another aiclientd is listening on %s",
		    path);
		close(fd);
		return -1;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "unlink %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	old = umask(S_IXUSR | S_IRWXG | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, S_IRUSR | S_IWUSR) == -1) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (listen(fd, 16) == -1) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	ctl_listen = fd;
	return 0;
}

/* In a worker after fork, and at exit: forget every control fd. */
void
control_close(void)
{
	int i;

	if (ctl_listen != -1)
		close(ctl_listen);
	ctl_listen = -1;
	for (i = 0; i < nclients; i++) {
		close(clients[i].fd);
		buf_free(&clients[i].out);
	}
	nclients = 0;
}

int
control_pollfds(struct pollfd *pfd, int max)
{
	int i, n = 0;

	if (ctl_listen == -1 || max < 1)
		return 0;
	pfd[n].fd = ctl_listen;
	pfd[n].events = nclients < CTL_MAX_CLIENTS ? POLLIN : 0;
	pfd[n].revents = 0;
	n++;
	for (i = 0; i < nclients && n < max; i++) {
		pfd[n].fd = clients[i].fd;
		pfd[n].events = clients[i].out.len > 0 ? POLLOUT : POLLIN;
		if (clients[i].waiting)
			pfd[n].events = 0;
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

static void
client_drop(int i)
{
	if (clients[i].fd == M->reload_client)
		M->reload_client = -1;
	close(clients[i].fd);
	buf_free(&clients[i].out);
	clients[i] = clients[--nclients];
}

void
control_accept(void)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_client *c;
	int fd;

	fd = accept4(ctl_listen, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		log_warnx("control: refused a client with uid %ld",
		    (long)cred.uid);
		close(fd);
		return;
	}
	if (nclients >= CTL_MAX_CLIENTS) {
		close(fd);
		return;
	}
	c = &clients[nclients++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	buf_init(&c->out, 4 * 1024 * 1024);
	c->since = mono_ms();
}

static void
queue_reply(struct ctl_client *c, const char *json)
{
	buf_addstr(&c->out, json);
	buf_addc(&c->out, '\n');
	c->answered = 1;
	c->waiting = 0;
}

void
control_reply(int fd, const char *json)
{
	int i;

	for (i = 0; i < nclients; i++) {
		if (clients[i].fd == fd) {
			queue_reply(&clients[i], json);
			return;
		}
	}
}

static json_object *
status_json(void)
{
	json_object *o, *ws, *w, *ls;
	struct sb_worker *s;
	char ts[40];
	int64_t now = wall_ms();
	size_t i;
	int j;

	o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_string(VERSION));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "generation",
	    json_object_new_int64(M->generation));
	iso8601_utc(sb->started_ms, ts, sizeof(ts));
	json_object_object_add(o, "started", json_object_new_string(ts));
	json_object_object_add(o, "uptime",
	    json_object_new_int64((now - sb->started_ms) / 1000));
	json_object_object_add(o, "config", M->conf->path ?
	    json_object_new_string(M->conf->path) : NULL);
	json_object_object_add(o, "reloading",
	    json_object_new_boolean(M->reloading));
	json_object_object_add(o, "shutting_down",
	    json_object_new_boolean(M->shutting_down));
	json_object_object_add(o, "requests",
	    json_object_new_int64((int64_t)atomic_load(&sb->total_requests)));
	ls = json_object_new_array();
	for (i = 0; i < M->nl; i++)
		json_object_array_add(ls, json_object_new_string(M->l[i].name));
	json_object_object_add(o, "listeners", ls);
	json_object_object_add(o, "workers_min",
	    json_object_new_int64(M->conf->workers));
	json_object_object_add(o, "workers_max",
	    json_object_new_int64(M->conf->max_workers));
	ws = json_object_new_array();
	for (j = 0; j < SB_SLOTS; j++) {
		if (M->w[j].pid == 0)
			continue;
		s = &sb->w[j];
		w = json_object_new_object();
		json_object_object_add(w, "slot", json_object_new_int(j));
		json_object_object_add(w, "pid",
		    json_object_new_int(M->w[j].pid));
		json_object_object_add(w, "generation",
		    json_object_new_int64(M->w[j].generation));
		json_object_object_add(w, "state", json_object_new_string(
		    M->w[j].exiting && atomic_load(&s->state) != SB_BUSY ?
		    "exiting" : sb_state_str(atomic_load(&s->state))));
		json_object_object_add(w, "requests", json_object_new_int64(
		    (int64_t)atomic_load(&s->requests)));
		json_object_object_add(w, "connections", json_object_new_int64(
		    (int64_t)atomic_load(&s->connections)));
		json_object_object_add(w, "since", json_object_new_int64(
		    (now - atomic_load(&s->since_ms)) / 1000));
		if (atomic_load(&s->state) == SB_BUSY && s->route[0] != '\0') {
			char r[SB_ROUTE_LEN];

			memcpy(r, s->route, sizeof(r));
			r[sizeof(r) - 1] = '\0';
			json_object_object_add(w, "route",
			    json_object_new_string(r));
		}
		json_object_array_add(ws, w);
	}
	json_object_object_add(o, "workers", ws);
	return o;
}

static void
reply_obj(struct ctl_client *c, json_object *o)
{
	queue_reply(c, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void
reply_error(struct ctl_client *c, const char *err)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(err));
	reply_obj(c, o);
}

/* Commands of later subsystems; they answer through control_reply(). */
int
control_command_ext(const char *cmd, const char *arg, int fd, char *err,
    size_t errlen)
{
	return accounts_control(cmd, arg, fd, err, errlen);
}

static void
run_command(struct ctl_client *c, char *line)
{
	char err[2048], *arg;

	arg = strchr(line, ' ');
	if (arg != NULL) {
		*arg++ = '\0';
		while (*arg == ' ')
			arg++;
	}
	if (strcmp(line, "status") == 0) {
		reply_obj(c, status_json());
	} else if (strcmp(line, "reload") == 0) {
		log_info("control: reload requested");
		if (sup_reload(err, sizeof(err)) == -1) {
			log_warnx("reload refused: %s", err);
			reply_error(c, err);
			return;
		}
		if (M->reloading) {
			c->waiting = 1;
			M->reload_client = c->fd;
		}
	} else if (control_command_ext(line, arg, c->fd, err,
	    sizeof(err)) == 0) {
		/* handled by an extension (accounts, refresh, ...) */
	} else {
		reply_error(c, err);
	}
}


static void
client_read(struct ctl_client *c)
{
	ssize_t r;
	char *nl;

	r = read(c->fd, c->line + c->len, sizeof(c->line) - 1 - c->len);
	if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR)) {
		c->answered = 1;	/* gone: drop */
		c->out.len = 0;
		return;
	}
	if (r < 0)
		return;
	c->len += (size_t)r;
	c->line[c->len] = '\0';
	nl = strchr(c->line, '\n');
	if (nl == NULL) {
		if (c->len >= sizeof(c->line) - 1)
			reply_error(c, "request line too long");
		return;
	}
	*nl = '\0';
	if (nl > c->line && nl[-1] == '\r')
		nl[-1] = '\0';
	run_command(c, c->line);
}

void
control_handle(struct pollfd *pfd, int n)
{
	int i, j;
	int64_t now = mono_ms();

	if (n == 0)
		return;
	if (pfd[0].revents & POLLIN)
		control_accept();
	for (i = 1; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		for (j = 0; j < nclients; j++)
			if (clients[j].fd == pfd[i].fd)
				break;
		if (j == nclients)
			continue;
		if (pfd[i].revents & POLLIN)
			client_read(&clients[j]);
		else if (pfd[i].revents & (POLLHUP | POLLERR)) {
			client_drop(j);
			continue;
		}
		if (clients[j].out.len > 0) {
			ssize_t w = write(clients[j].fd, clients[j].out.data,
			    clients[j].out.len);

			if (w > 0)
				buf_consume(&clients[j].out, (size_t)w);
			else if (w == -1 && errno != EAGAIN)
				clients[j].out.len = 0;
		}
	}
	for (j = nclients - 1; j >= 0; j--) {
		struct ctl_client *c = &clients[j];

		if ((c->answered && c->out.len == 0) ||
		    (!c->waiting && now - c->since > CTL_TIMEOUT_MS))
			client_drop(j);
	}
}

/*
 * aiclientctl: talk to a running aiclientd over its control socket
 * (ntpctl, smtpctl).  Sends one command line, reads one JSON answer,
 * prints it readably (or as is with --json).  Exit status 0 when the
 * daemon says the command worked, 1 otherwise.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "util.h"

#define DEFAULT_SOCKET	"/run/aiclientd/control.sock"
#define TIMEOUT_MS	60000

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: aiclientctl [-j] [-s socket] command [argument]\n"
"  -s, --socket PATH   control socket (default $CONTROL_SOCKET or\n"
"                      " DEFAULT_SOCKET ")\n"
"  -j, --json          print the daemon's JSON answer as is\n"
"  -V, --version       print the version\n"
"commands:\n"
"  status              generation, workers, listeners, uptime\n"
"  reload              re-read the configuration; prints the error if\n"
"                      the new configuration is refused\n"
"  accounts            provider accounts and their health\n"
"  refresh ID          refresh an account's token now\n"
"  enable ID, disable ID\n");
	exit(status);
}

static int
talk(const char *path, const char *line, struct buf *out)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	char b[8192];
	ssize_t r;
	int fd, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		fprintf(stderr, "aiclientctl: socket path too long\n");
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == -1) {
		fprintf(stderr, "aiclientctl: cannot connect to %s: %s\n"
		    "(is aiclientd running?  use -s to name its "
		    "CONTROL_SOCKET)\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "aiclientctl: write: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, TIMEOUT_MS);
		if (n == 0) {
			fprintf(stderr, "aiclientctl: no answer from the "
			    "daemon\n");
			close(fd);
			return -1;
		}
		r = read(fd, b, sizeof(b));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf_add(out, b, (size_t)r) == -1) {
			fprintf(stderr, "aiclientctl: answer too large\n");
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

static const char *
jstr(json_object *o, const char *k, const char *def)
{
	json_object *v;

	if (json_object_object_get_ex(o, k, &v) && v != NULL)
		return json_object_get_string(v);
	return def;
}

static long long
jint(json_object *o, const char *k)
{
	json_object *v;

	if (json_object_object_get_ex(o, k, &v) && v != NULL)
		return json_object_get_int64(v);
	return 0;
}

static void
duration(long long s, char *out, size_t len)
{
	if (s < 60)
		snprintf(out, len, "%llds", s);
	else if (s < 3600)
		snprintf(out, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(out, len, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

static void
print_status(json_object *o)
{
	json_object *ls, *ws, *w;
	char up[32], since[32];
	size_t i;

	duration(jint(o, "uptime"), up, sizeof(up));
	printf("aiclientd %s, pid %lld, generation %lld, up %s%s%s\n",
	    jstr(o, "version", "?"), jint(o, "pid"), jint(o, "generation"),
	    up, json_object_get_boolean(json_object_object_get(o,
	    "reloading")) ? ", reloading" : "",
	    json_object_get_boolean(json_object_object_get(o,
	    "shutting_down")) ? ", shutting down" : "");
	printf("config:     %s\n", jstr(o, "config", "-"));
	printf("listening:  ");
	ls = json_object_object_get(o, "listeners");
	for (i = 0; ls && i < json_object_array_length(ls); i++)
		printf("%s%s", i ? ", " : "",
		    json_object_get_string(json_object_array_get_idx(ls, i)));
	printf("\nrequests:   %lld\n", jint(o, "requests"));
	ws = json_object_object_get(o, "workers");
	printf("workers:    %zu (min %lld, max %lld)\n",
	    ws ? json_object_array_length(ws) : 0, jint(o, "workers_min"),
	    jint(o, "workers_max"));
	printf("  %-5s %-8s %-4s %-10s %-9s %-6s %-7s %s\n", "SLOT", "PID",
	    "GEN", "STATE", "REQUESTS", "CONNS", "SINCE", "ROUTE");
	for (i = 0; ws && i < json_object_array_length(ws); i++) {
		w = json_object_array_get_idx(ws, i);
		duration(jint(w, "since"), since, sizeof(since));
		printf("  %-5lld %-8lld %-4lld %-10s %-9lld %-6lld %-7s %s\n",
		    jint(w, "slot"), jint(w, "pid"), jint(w, "generation"),
		    jstr(w, "state", "?"), jint(w, "requests"),
		    jint(w, "connections"), since, jstr(w, "route", ""));
	}
}

static void
print_accounts(json_object *o)
{
	json_object *as, *a;
	size_t i;

	as = json_object_object_get(o, "accounts");
	if (as == NULL || json_object_array_length(as) == 0) {
		printf("no accounts configured\n");
		return;
	}
	printf("%-18s %-38s %-7s %-10s %-24s %-15s %-8s %s\n", "PROVIDER",
	    "ID", "AUTH", "REGION", "EXPIRES", "HEALTH", "REQUESTS",
	    "DETAIL");
	for (i = 0; i < json_object_array_length(as); i++) {
		a = json_object_array_get_idx(as, i);
		printf("%-18s %-38s %-7s %-10s %-24s %-15s %-8lld %s\n",
		    jstr(a, "provider", "-"), jstr(a, "id", "-"),
		    jstr(a, "auth", "-"), jstr(a, "region", "-"),
		    jstr(a, "expires", "-"), jstr(a, "health", "-"),
		    jint(a, "requests"), jstr(a, "reason", jstr(a, "last_error",
		    "")));
	}
}

int
main(int argc, char *argv[])
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = getenv("CONTROL_SOCKET"), *cmd;
	struct buf line, out;
	json_object *o, *ok;
	int ch, json = 0, rc = 0;

	if (path == NULL || *path == '\0')
		path = DEFAULT_SOCKET;
	while ((ch = getopt_long(argc, argv, "s:jVh", lopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'V':
			printf("aiclientctl %s\n", VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(1);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		usage(1);
	cmd = argv[0];
	if (strcmp(cmd, "status") && strcmp(cmd, "reload") &&
	    strcmp(cmd, "accounts") && strcmp(cmd, "refresh") &&
	    strcmp(cmd, "enable") && strcmp(cmd, "disable")) {
		fprintf(stderr, "aiclientctl: unknown command '%s'\n", cmd);
		usage(1);
	}
	if ((argc == 2) != (!strcmp(cmd, "refresh") || !strcmp(cmd, "enable")
	    || !strcmp(cmd, "disable"))) {
		fprintf(stderr, "aiclientctl: '%s' %s an argument\n", cmd,
		    argc == 2 ? "takes no" : "needs");
		return 1;
	}
	buf_init(&line, 4096);
	buf_init(&out, 64 * 1024 * 1024);
	if (buf_addf(&line, "%s%s%s\n", cmd, argc == 2 ? " " : "",
	    argc == 2 ? argv[1] : "") == -1 || strchr(line.data, '\n') !=
	    line.data + line.len - 1) {
		fprintf(stderr, "aiclientctl: bad argument\n");
		return 1;
	}
	if (talk(path, line.data, &out) == -1)
		return 1;
	o = out.data ? json_tokener_parse(out.data) : NULL;
	if (o == NULL) {
		fprintf(stderr, "aiclientctl: unreadable answer from the "
		    "daemon\n");
		return 1;
	}
	if (json_object_object_get_ex(o, "ok", &ok) &&
	    !json_object_get_boolean(ok))
		rc = 1;
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (rc != 0) {
		fprintf(stderr, "aiclientctl: %s failed: %s\n", cmd,
		    jstr(o, "error", "unknown error"));
	} else if (strcmp(cmd, "status") == 0) {
		print_status(o);
	} else if (strcmp(cmd, "accounts") == 0) {
		print_accounts(o);
	} else if (strcmp(cmd, "reload") == 0) {
		printf("reloaded: generation %lld is serving\n",
		    jint(o, "generation"));
	} else {
		printf("%s: %s\n", cmd, jstr(o, "message", "done"));
	}
	json_object_put(o);
	buf_free(&line);
	buf_free(&out);
	return rc;
}

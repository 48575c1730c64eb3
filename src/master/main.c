/*
 * main.c: aiclientd's entry point.  Parses the command line, loads the
 * configuration, binds the listeners and the control socket, detaches
 * (unless -d), writes the PID file and hands over to the supervisor
 * loop.  This process stays the master: it owns credentials and never
 * serves HTTP itself.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <curl/curl.h>

#include "accounts.h"
#include "conf.h"
#include "log.h"
#include "master.h"
#include "mhttp.h"
#include "scoreboard.h"
#include "util.h"
#include "xalloc.h"

#define DEFAULT_CONFIG	"/etc/aiclient.yaml"

static void __attribute__((noreturn))
usage(int status)
{
	FILE *f = status ? stderr : stdout;
	size_t i;

	fprintf(f,
"usage: aiclientd [-dhtVv] [-f file] [--KEY-FLAG value ...]\n"
"  -f, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
"  -t                  check the configuration and exit (0 good, 1 bad);\n"
"                      -tt also prints every effective value\n"
"  -d, --foreground    stay in the foreground and log to stderr\n"
"  -v, --verbose       more log output (repeat for more)\n"
"  -V, --version       print the version and exit\n"
"  -h, --help          this help\n"
"Every configuration key can also be set with a flag (value after a\n"
"space or '='); flags override the environment, which overrides the file:\n");
	for (i = 0; i < conf_nkeys(); i++)
		if (conf_key_flag(i) != NULL)
			fprintf(f, "  --%-32s %s\n", conf_key_flag(i),
			    conf_key_name(i));
	exit(status);
}

/* mkdir -p for the parent of path (run-time directories). */
static void
mkparent(const char *path, mode_t mode)
{
	char tmp[PATH_MAX], *p;

	if (strlcpy(tmp, path, sizeof(tmp)) >= sizeof(tmp))
		return;
	p = strrchr(tmp, '/');
	if (p == NULL || p == tmp)
		return;
	*p = '\0';
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(tmp, 0755);
		*p = '/';
	}
	(void)mkdir(tmp, mode);
}

static int
pidfile_check(const char *path)
{
	char buf[32];
	long long pid;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_int(buf, 1, INT_MAX, &pid) == -1)
		return 0;
	if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
		return (int)pid;
	return 0;
}

static int
pidfile_write(const char *path)
{
	char buf[32], err[256];
	int n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (file_write_atomic(path, buf, (size_t)n, 0644, 0, err,
	    sizeof(err)) == -1) {
		log_warnx("PID file: %s", err);
		return -1;
	}
	return 0;
}

static void
daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	fd = open("/dev/null", O_RDWR);
	if (fd != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (log_fd() != STDERR_FILENO)
			dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/* systemd Type=notify without libsystemd. */
void
sd_notify_msg(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	int fd;

	if (path == NULL || *path == '\0' ||
	    strlen(path) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	(void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len);
	close(fd);
}

/*
 * USER and GROUP: the identity workers take when the master runs as
 * root.  -1 with err set when a name is unknown.
 */
int
master_set_user(const struct conf *c, char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;
	uid_t uid = 0;
	gid_t gid = 0;

	if (c->user == NULL && c->group == NULL) {
		M->drop_privs = 0;
		return 0;
	}
	if (geteuid() != 0) {
		log_warnx("USER/GROUP ignored: not started as root");
		M->drop_privs = 0;
		return 0;
	}
	if (c->user != NULL) {
		pw = getpwnam(c->user);
		if (pw == NULL) {
			snprintf(err, errlen, "USER '%s': no such user",
			    c->user);
			return -1;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (c->group != NULL) {
		gr = getgrnam(c->group);
		if (gr == NULL) {
			snprintf(err, errlen, "GROUP '%s': no such group",
			    c->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	M->run_uid = uid;
	M->run_gid = gid;
	M->drop_privs = 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct master m;
	static struct option *lopts;	/* static: still reachable if usage() exits */
	struct conf_diags d;
	const char *conf_path = DEFAULT_CONFIG;
	char err[1024], *abs;
	size_t i, nk = conf_nkeys(), nopt = 0;
	int ch, test = 0, idx, running;
	enum log_level lv = LOG_LVL_INFO;

	M = &m;
	M->ctl_fd = -1;
	lopts = xcalloc(nk + 8, sizeof(*lopts));
	lopts[nopt++] = (struct option){ "config", required_argument, NULL,
	    'f' };
	lopts[nopt++] = (struct option){ "foreground", no_argument, NULL, 'd' };
	lopts[nopt++] = (struct option){ "verbose", no_argument, NULL, 'v' };
	lopts[nopt++] = (struct option){ "version", no_argument, NULL, 'V' };
	lopts[nopt++] = (struct option){ "help", no_argument, NULL, 'h' };
	for (i = 0; i < nk; i++) {
		if (conf_key_flag(i) == NULL)
			continue;
		lopts[nopt++] = (struct option){ conf_key_flag(i),
		    required_argument, NULL, 1000 + (int)i };
	}
	M->ov = xcalloc(argc + 1, sizeof(*M->ov));
	while ((ch = getopt_long(argc, argv, "f:tdvVh", lopts, &idx)) != -1) {
		switch (ch) {
		case 'f':
			conf_path = optarg;
			break;
		case 't':
			test++;
			break;
		case 'd':
			M->foreground = 1;
			break;
		case 'v':
			M->verbose++;
			break;
		case 'V':
			printf("aiclientd %s\n", VERSION);
			free(lopts);
			free(M->ov);
			return 0;
		case 'h':
			usage(0);
		default:
			if (ch >= 1000 && (size_t)(ch - 1000) < nk) {
				M->ov[M->nov].key = conf_key_name(ch - 1000);
				M->ov[M->nov].value = optarg;
				M->nov++;
				break;
			}
			usage(1);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "aiclientd: unexpected argument '%s'\n",
		    argv[optind]);
		usage(1);
	}
	free(lopts);

	log_init(LOG_DEST_STDERR, NULL, LOG_LVL_INFO);
	log_procinit("master");

	if (access(conf_path, F_OK) == -1 && errno == ENOENT &&
	    strcmp(conf_path, DEFAULT_CONFIG) == 0) {
		fprintf(stderr, "aiclientd: %s does not exist; give a "
		    "configuration with -f FILE (see aiclient.yaml(5))\n",
		    conf_path);
		return 1;
	}
	abs = realpath(conf_path, NULL);
	M->conf_path = abs ? abs : conf_path;

	conf_diags_init(&d);
	M->conf = conf_load(M->conf_path, M->ov, M->nov, 1, &d);
	if (test) {
		for (i = 0; i < d.n; i++)
			fprintf(stderr, "aiclientd: %s: %s\n",
			    d.v[i].error ? "error" : "warning", d.v[i].text);
		conf_diags_free(&d);
		if (M->conf == NULL) {
			fprintf(stderr, "aiclientd: configuration file %s test "
			    "failed\n", M->conf_path);
			free(abs);
			free(M->ov);
			return 1;
		}
		if (test > 1) {
			struct buf b;

			buf_init(&b, 0);
			conf_dump(M->conf, &b);
			fputs(b.data ? b.data : "", stdout);
			buf_free(&b);
		}
		fprintf(stderr, "aiclientd: configuration file %s test is "
		    "successful\n", M->conf_path);
		conf_free(M->conf);
		free(abs);
		free(M->ov);
		return 0;
	}
	conf_diags_log(&d);
	if (M->conf == NULL) {
		log_errorx("cannot start: the configuration has errors");
		conf_diags_free(&d);
		free(abs);
		free(M->ov);
		return 1;
	}
	conf_diags_free(&d);

	if (M->conf->log_level)
		log_parselevel(M->conf->log_level, &lv);
	lv = (int)lv - M->verbose < 0 ? LOG_LVL_DEBUG :
	    (enum log_level)((int)lv - M->verbose);
	if (M->foreground)
		log_init(LOG_DEST_STDERR, NULL, lv);
	else if (M->conf->log_file)
		log_init(LOG_DEST_FILE, M->conf->log_file, lv);
	else
		log_init(LOG_DEST_STDERR, NULL, lv);

	if (master_set_user(M->conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	runtime_prepare(M->conf, NULL);
	if (listeners_open(M->conf->host, M->conf->server_port, M->l, &M->nl,
	    err, sizeof(err)) == -1)
		fatalx("cannot listen: %s", err);
	M->bound_host = xstrdup(M->conf->host);
	M->bound_port = M->conf->server_port;

	M->pid_path = M->conf->pid_file ? xstrdup(M->conf->pid_file) : NULL;
	if (M->pid_path != NULL) {
		running = pidfile_check(M->pid_path);
		if (running > 0)
			fatalx("already running as pid %d (PID_FILE %s)",
			    running, M->pid_path);
		mkparent(M->pid_path, 0755);
	}
	if (M->conf->control_socket != NULL) {
		M->ctl_path = xstrdup(M->conf->control_socket);
		mkparent(M->ctl_path, 0755);
		if (control_open(M->ctl_path, err, sizeof(err)) == -1)
			fatalx("control socket: %s", err);
	}
	if (M->conf->state_dir != NULL) {
		if (mkdir(M->conf->state_dir, 0700) == -1 && errno != EEXIST)
			log_warn("STATE_DIR %s", M->conf->state_dir);
	}

	if (!M->foreground) {
		if (M->conf->log_file == NULL)
			log_init(LOG_DEST_SYSLOG, NULL, lv);
		daemonize();
		random_fork();
		log_procinit("master");	/* a new pid */
	}
	if (M->pid_path != NULL && pidfile_write(M->pid_path) == -1)
		fatalx("cannot write the PID file");
#ifdef HAVE_SYS_PRCTL_H
	/* A same-uid worker must not read the master's memory. */
	prctl(PR_SET_DUMPABLE, 0);
#endif
	if (sb_create() == -1)
		fatal("scoreboard");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");

	for (i = 0; i < M->nl; i++)
		log_info("listening on %s", M->l[i].name);
	log_info("aiclientd %s starting: %lld workers (max %lld)", VERSION,
	    M->conf->workers, M->conf->max_workers);
	sup_init();
	if (mhttp_init() == -1)
		fatalx("cannot initialise libcurl's multi interface");
	accounts_load(M->conf);
	M->generation = 1;
	atomic_store(&sb->generation, 1);
	M->grow_step = 1;
	sup_loop();

	log_info("all workers stopped; exiting");
	sd_notify_msg("STOPPING=1");
	control_close();
	if (M->ctl_path != NULL)
		unlink(M->ctl_path);
	if (M->pid_path != NULL)
		unlink(M->pid_path);
	persist_save();
	mhttp_cleanup();
	curl_global_cleanup();
	return M->exit_status;
}

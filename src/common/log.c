/*
 * log.c: one place that formats and writes log lines.  A line is built
 * in a local buffer and written with a single write(2), so lines from
 * several workers sharing LOG_FILE or stderr never interleave.  A
 * process may hold its debug and info lines (log_hold) and write them
 * several at a time, still whole lines in one write of at most
 * LOG_HOLD_MAX bytes: a worker under load then spends no write per
 * access line.  Held lines are written by log_flush (the worker calls it
 * before it waits for anything), when a line at warn or above comes, when
 * the oldest is a second old, and at exit.
 *
 * Text from outside (an upstream's error message, a prompt) cannot forge
 * lines or send terminal escapes: control characters are written as
 * \xNN, and a newline in a message continues the entry on a line that
 * starts with a tab.
 * log_warn appends strerror(errno); log_warnx does not (OpenBSD log.c).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_dest	 log_dest = LOG_DEST_STDERR;
static enum log_level	 log_threshold = LOG_LVL_INFO;
static char		 log_role[32] = "aiclientd";
static char		*log_path;
static int		 log_filefd = -1;
static long		 log_pid;	/* set by log_procinit: one getpid per process */

static char		*hold;		/* held lines, or NULL: write at once */
static size_t		 hold_len;
static int64_t		 hold_since_ms;	/* wall clock of the oldest held line */

static const char *const level_names[] = { "debug", "info", "warn", "error" };

const char *
log_level_str(enum log_level l)
{
	if ((unsigned)l > LOG_LVL_ERROR)
		return "?";
	return level_names[l];
}

int
log_parselevel(const char *s, enum log_level *out)
{
	unsigned i;

	for (i = 0; i <= LOG_LVL_ERROR; i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

static int
log_openfile(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

void
log_init(enum log_dest dest, const char *file, enum log_level level)
{
	int fd;

	log_threshold = level;
	if (dest == LOG_DEST_FILE && file != NULL) {
		fd = log_openfile(file);
		if (fd == -1) {
			fprintf(stderr, "aiclientd: cannot open log file %s: %s\n",
			    file, strerror(errno));
			dest = LOG_DEST_STDERR;
		} else {
			if (log_filefd != -1)
				close(log_filefd);
			log_filefd = fd;
			free(log_path);
			log_path = strdup(file);
		}
	}
	if (dest == LOG_DEST_SYSLOG)
		openlog("aiclientd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_dest = dest;
}

void
log_setlevel(enum log_level level)
{
	log_threshold = level;
}

enum log_level
log_getlevel(void)
{
	return log_threshold;
}

void
log_procinit(const char *role)
{
	snprintf(log_role, sizeof(log_role), "%s", role);
	log_pid = (long)getpid();
}

/* SIGUSR1: reopen LOG_FILE so that logrotate can move it away. */
int
log_reopen(void)
{
	int fd;

	if (log_dest != LOG_DEST_FILE || log_path == NULL)
		return 0;
	fd = log_openfile(log_path);
	if (fd == -1)
		return -1;
	if (dup2(fd, log_filefd) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
log_fd(void)
{
	if (log_dest == LOG_DEST_FILE)
		return log_filefd;
	if (log_dest == LOG_DEST_STDERR)
		return STDERR_FILENO;
	return -1;
}

static void
log_write(const char *p, size_t n)
{
	if (write(log_dest == LOG_DEST_FILE ? log_filefd : STDERR_FILENO,
	    p, n) == -1) {
		/* nowhere left to report it */
	}
}

void
log_flush(void)
{
	if (hold_len > 0) {
		log_write(hold, hold_len);
		hold_len = 0;
	}
}

int
log_pending(void)
{
	return hold_len > 0;
}

void
log_flush_aged(void)
{
	struct timespec ts;

	if (hold_len == 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
	    hold_since_ms >= 1000)
		log_flush();
}

void
log_hold(void)
{
	if (hold != NULL || log_dest == LOG_DEST_SYSLOG)
		return;
	hold = malloc(LOG_HOLD_MAX);
	if (hold != NULL)
		atexit(log_flush);
}

/*
 * msg with its control characters escaped (see the top of this file),
 * in out (cap bytes, truncated) or in a malloc'd copy (*big) when it does
 * not fit; msg itself when it has none.
 */
static const char *
log_escape(const char *msg, char *out, size_t cap, char **big)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	size_t n = 0, need = 0;
	char *d;

	*big = NULL;
	for (p = (const unsigned char *)msg; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			need += *p == '\n' ? 1 : 3;
	if (need == 0)
		return msg;
	need += strlen(msg) + 1;
	d = out;
	if (need > cap && (*big = malloc(need)) != NULL) {
		d = *big;
		cap = need;
	}
	for (p = (const unsigned char *)msg; *p != '\0' && n + 5 < cap; p++) {
		if (*p == '\n') {
			d[n++] = '\n';
			d[n++] = '\t';
		} else if (*p < 0x20 || *p == 0x7f) {
			d[n++] = '\\';
			d[n++] = 'x';
			d[n++] = hex[*p >> 4];
			d[n++] = hex[*p & 15];
		} else
			d[n++] = (char)*p;
	}
	d[n] = '\0';
	return d;
}

/* Write a formatted line, or hold it (see the top of this file). */
static void
log_emit(enum log_level level, const char *line, size_t n, int64_t now_ms)
{
	if (hold != NULL && level < LOG_LVL_WARN && n <= LOG_HOLD_MAX) {
		if (hold_len + n > LOG_HOLD_MAX)
			log_flush();
		if (hold_len == 0)
			hold_since_ms = now_ms;
		memcpy(hold + hold_len, line, n);
		hold_len += n;
		if (now_ms - hold_since_ms >= 1000)
			log_flush();
		return;
	}
	log_flush();
	log_write(line, n);
}

void
logv(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };
	char sline[2048], smsg[1800], sesc[2048], *msg = smsg, *line = sline;
	char *big;
	const char *text;
	int saved = errno, n;
	struct timespec ts;
	struct tm tm;
	size_t len, cap = sizeof(sline);
	va_list aq;

	if (level < log_threshold)
		return;
	va_copy(aq, ap);
	n = vsnprintf(smsg, sizeof(smsg), fmt, ap);
	if (n >= (int)sizeof(smsg) - 64) {
		/* a long entry (prompt log on the console): allocate */
		if (vasprintf(&msg, fmt, aq) == -1)
			msg = smsg;
	}
	va_end(aq);
	if (with_errno) {
		len = strlen(msg);
		if (msg == smsg)
			snprintf(msg + len, sizeof(smsg) - len, ": %s",
			    strerror(saved));
	}
	text = log_escape(msg, sesc, sizeof(sesc), &big);
	if (log_dest == LOG_DEST_SYSLOG) {
		syslog(prio[level], "%s: %s: %s", log_role, level_names[level],
		    text);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	if ((len = strlen(text)) + 128 > sizeof(sline)) {
		cap = len + 128;
		line = malloc(cap);
		if (line == NULL) {
			line = sline;
			cap = sizeof(sline);
		}
	}
	n = snprintf(line, cap,
	    "%04d-%02d-%02d %02d:%02d:%02d.%03ld %s[%ld]: %s: %s\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_role,
	    log_pid ? log_pid : (long)getpid(), level_names[level], text);
	if (n < 0)
		goto out;
	if ((size_t)n >= cap) {
		n = (int)cap - 1;
		line[n - 1] = '\n';
	}
	log_emit(level, line, (size_t)n,
	    (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
out:
	free(big);
	if (msg != smsg)
		free(msg);
	if (line != sline)
		free(line);
	errno = saved;
}

void
log_at(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logv(level, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logv(LOG_LVL_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logv(LOG_LVL_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logv(LOG_LVL_WARN, 1, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logv(LOG_LVL_WARN, 0, fmt, ap);
	va_end(ap);
}

void
log_errorx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logv(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logv(LOG_LVL_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logv(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

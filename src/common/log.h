/*
 * log.h: the daemon's logger.  Lines go to stderr (foreground, -d),
 * to LOG_FILE when set, else to syslog.  Every line carries the role
 * name given to log_procinit() and the pid.  Callers never pass
 * secrets here: mask them first (util.h secret_mask).
 */
#ifndef AICLIENT_LOG_H
#define AICLIENT_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_DEBUG = 0,
	LOG_LVL_INFO,
	LOG_LVL_WARN,
	LOG_LVL_ERROR
};

/* Where the lines go; chosen once at start. */
enum log_dest {
	LOG_DEST_STDERR = 0,
	LOG_DEST_FILE,
	LOG_DEST_SYSLOG
};

void	 log_init(enum log_dest, const char *file, enum log_level);
void	 log_setlevel(enum log_level);
enum log_level log_getlevel(void);
int	 log_parselevel(const char *, enum log_level *);
const char *log_level_str(enum log_level);
void	 log_procinit(const char *role);
int	 log_reopen(void);
int	 log_fd(void);

/* Hold debug and info lines of this process, written at most this many
 * bytes at a time (PIPE_BUF: a write to a pipe stays whole). */
#define LOG_HOLD_MAX	4096
void	 log_hold(void);
void	 log_flush(void);
int	 log_pending(void);
void	 log_flush_aged(void);	/* log_flush if the oldest is 1 s old */

void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_errorx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_at(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 logv(enum log_level, int with_errno, const char *, va_list);
void	 fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif

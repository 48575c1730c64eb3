/*
 * util.h: small helpers shared by every process: clocks and deadlines,
 * constant-time compare, secret masking and wiping, random ids,
 * base64, hashing, atomic file replacement.
 */
#ifndef AICLIENT_UTIL_H
#define AICLIENT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "compat.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

int64_t	 mono_ms(void);		/* CLOCK_MONOTONIC in ms */
int64_t	 wall_ms(void);		/* CLOCK_REALTIME in ms since epoch */
/* "2026-11-25T13:51:06.123Z" into out (>= 25 bytes). */
void	 iso8601_utc(int64_t ms, char *out, size_t outlen);
/* Parse ISO-8601 UTC ("...Z" or "+00:00" offsets) into ms; -1 if bad. */
int64_t	 iso8601_parse(const char *);

/* Constant-time equality of two byte strings (length leaks only). */
int	 ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/*
 * A loggable stand-in for a secret: its first 4 characters then "****"
 * (empty or short secrets give "****").  out must hold >= 16 bytes.
 */
void	 secret_mask(const char *secret, char *out, size_t outlen);
/* First 12 hex digits of SHA-256(s): a stable, non-reversible id. */
void	 hash_id(const void *s, size_t len, char out[13]);
void	 sha256_hex(const void *s, size_t len, char out[65]);
/* The value of one hexadecimal digit, or -1. */
int	 hex_digit(int c);

void	 random_bytes(void *, size_t);
/* In a new process after fork: forget the parent's random buffer. */
void	 random_fork(void);
uint32_t random_u32(void);
/* Lower-case RFC 4122 version-4 UUID, out >= 37 bytes. */
void	 uuid_v4(char *out);
/* n random lower-case alphanumerics then NUL. */
void	 random_alnum(char *out, size_t n);

/*
 * base64 (standard alphabet, '=' padding).  Decoding ignores ASCII
 * white space and also accepts the URL-safe alphabet and missing
 * padding.  Results are malloc'd, caller frees; NULL on bad input.
 */
char	*base64_encode(const void *, size_t, size_t *outlen);
unsigned char *base64_decode(const char *, size_t, size_t *outlen);

/* strtol with range checks: 0 on success. */
int	 parse_int(const char *, long long min, long long max, long long *out);

/*
 * Replace path atomically with data: temp file in the same directory,
 * write, fsync, fchmod(mode), fchown to the uid/gid of the existing file
 * when keep_owner is set and the file exists, rename, fsync the
 * directory.  On failure the old file is untouched and errbuf says why.
 */
int	 file_write_atomic(const char *path, const void *data, size_t len,
	    mode_t mode, int keep_owner, char *errbuf, size_t errlen);
/* Read a whole file (cap max bytes) into a malloc'd NUL-terminated
 * buffer; caller frees.  NULL with errno set on failure. */
char	*file_read_all(const char *path, size_t max, size_t *lenp);

/* Set O_NONBLOCK / FD_CLOEXEC. */
int	 fd_nonblock(int fd, int on);
int	 fd_cloexec(int fd);

/* $HOME, else the passwd home of the real uid (DESIGN decision 12). */
const char *home_dir(void);
/* "~/x" under home_dir(), "/x" as is, else relative to base (may be
 * NULL: as is).  Malloc'd, caller frees; aborts on exhaustion. */
char	*path_resolve(const char *p, const char *base);
/* A URL template with "{{region}}" replaced by region.  Malloc'd, caller
 * frees; NULL on exhaustion. */
char	*url_region(const char *tmpl, const char *region);

/* Is the textual address a loopback one (127.0.0.0/8, ::1, localhost)? */
int	 addr_is_loopback(const char *host);

#endif

/*
 * buf.h: growable byte buffer with a hard size cap (curl's dynbuf).
 * An append that would pass the cap fails with -1 and frees the
 * buffer, so a caller that ignores the error cannot keep using
 * half-written data.  The data is always NUL-terminated (the NUL is
 * not counted in len), so a buffer of text can be used as a string.
 */
#ifndef AICLIENT_BUF_H
#define AICLIENT_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* hard cap on len; 0 = SIZE_MAX/2 */
};

void	 buf_init(struct buf *, size_t max);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);	/* len = 0, memory kept */
int	 buf_reserve(struct buf *, size_t extra);
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addstr(struct buf *, const char *);
int	 buf_addc(struct buf *, char);
int	 buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vaddf(struct buf *, const char *, va_list);
void	 buf_consume(struct buf *, size_t);	/* drop n leading bytes */
char	*buf_steal(struct buf *);	/* caller frees; buffer emptied */
void	 buf_wipe(struct buf *);	/* explicit_bzero then free */

#endif

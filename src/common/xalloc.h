/*
 * xalloc.h: allocation that cannot fail.  Out of memory is fatal: used
 * at start-up, in the master and for small fixed objects.  Request
 * paths that handle client-sized data use buf.h, which has caps.
 */
#ifndef AICLIENT_XALLOC_H
#define AICLIENT_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Free and forget: the pointer is NULL afterwards. */
#define FREE(p)	do { free(p); (p) = NULL; } while (0)

#endif

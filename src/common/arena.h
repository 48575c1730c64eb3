/*
 * arena.h: per-request bump allocator (Apache's per-connection pool).
 * Everything a request needs beyond the parsed JSON body is carved out
 * of the worker's arena and released at once by arena_reset() when the
 * request is done; nothing allocated here is freed individually.
 * Allocation failure returns NULL (callers answer 500), except the x*
 * variants used where a NULL cannot be handled, which abort.
 */
#ifndef AICLIENT_ARENA_H
#define AICLIENT_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk	*head;
	size_t			 total;	/* bytes handed out since the reset */
	size_t			 max;	/* cap on total (0: none) */
};

void	 arena_init(struct arena *, size_t max);
void	*arena_alloc(struct arena *, size_t);	/* zeroed, 16-aligned */
void	*arena_realloc(struct arena *, void *old, size_t oldsize,
	    size_t newsize);
char	*arena_strdup(struct arena *, const char *);
char	*arena_strndup(struct arena *, const char *, size_t);
char	*arena_printf(struct arena *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Free every chunk but the first; keep it for the next request. */
void	 arena_reset(struct arena *);
void	 arena_free(struct arena *);

#endif

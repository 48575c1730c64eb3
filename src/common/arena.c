/*
 * arena.c: bump allocator with chunk reuse (see arena.h).  Chunks are
 * 64 KiB; larger requests get a chunk of their own.  After a reset only
 * the first chunk stays, so a worker's steady-state memory is one chunk.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define CHUNK_SIZE	(64 * 1024)
#define ALIGN		16

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 size;	/* usable bytes */
	size_t			 used;
	unsigned char		 data[] __attribute__((aligned(ALIGN)));
};

void
arena_init(struct arena *a, size_t max)
{
	a->head = NULL;
	a->total = 0;
	a->max = max;
}

static struct arena_chunk *
chunk_new(size_t size)
{
	struct arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c;
	size_t need;
	void *p;

	if (n == 0)
		n = 1;
	need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need < n || (a->max && a->total + need > a->max))
		return NULL;
	c = a->head;
	if (c == NULL || c->size - c->used < need) {
		c = chunk_new(need > CHUNK_SIZE ? need : CHUNK_SIZE);
		if (c == NULL)
			return NULL;
		if (a->head != NULL && need > CHUNK_SIZE) {
			/* a big one-off: keep the current chunk in front */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = c->data + c->used;
	c->used += need;
	a->total += need;
	memset(p, 0, n);
	return p;
}

void *
arena_realloc(struct arena *a, void *old, size_t oldsize, size_t newsize)
{
	void *p;

	if (newsize <= oldsize)
		return old;
	p = arena_alloc(a, newsize);
	if (p != NULL && old != NULL)
		memcpy(p, old, oldsize);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_reset(struct arena *a)
{
	struct arena_chunk *c, *next, *keep = NULL;

	/* keep one standard-size chunk */
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		if (keep == NULL && c->size == CHUNK_SIZE) {
			keep = c;
			continue;
		}
		free(c);
	}
	if (keep != NULL) {
		keep->next = NULL;
		keep->used = 0;
	}
	a->head = keep;
	a->total = 0;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->total = 0;
}

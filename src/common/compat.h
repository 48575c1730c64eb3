/*
 * compat.h: declarations of libc functions that older glibc lacks;
 * the fallbacks live in compat.c (OpenSMTPD's openbsd-compat idea).
 */
#ifndef AICLIENT_COMPAT_H
#define AICLIENT_COMPAT_H

#include "config.h"

#include <stddef.h>
#include <string.h>

#ifndef HAVE_STRLCPY
size_t	strlcpy(char *, const char *, size_t);
#endif
#ifndef HAVE_STRLCAT
size_t	strlcat(char *, const char *, size_t);
#endif
#ifndef HAVE_EXPLICIT_BZERO
void	explicit_bzero(void *, size_t);
#endif

#endif

/*
 * providers.h: the table of upstream providers.  A provider turns a
 * canonical request into upstream calls (with its own auth, retries and
 * failover) and emits canonical events; it also lists its models.
 */
#ifndef AICLIENT_PROVIDERS_H
#define AICLIENT_PROVIDERS_H

#include <stddef.h>

#include "arena.h"
#include "conf.h"
#include "dialect.h"

struct gen;

struct provider {
	const char	*name;		/* provider type */
	void		(*generate)(struct gen *);
	int		(*models)(const struct conf *, struct arena *,
			    struct c_model **, size_t *);
};

/* The provider of a type or of a custom group "<type>-<suffix>". */
const struct provider *provider_find(const char *);

extern const struct provider provider_kiro;

#endif

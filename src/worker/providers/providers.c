/*
 * providers.c: the provider table.  A provider type without an entry
 * here is answered 501 by the routes that need it.
 */
#include "config.h"

#include <string.h>

#include "providers.h"

static const struct provider *const table[] = {
	&provider_kiro,
};

const struct provider *
provider_find(const char *name)
{
	size_t i, n;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		n = strlen(table[i]->name);
		if (strncmp(name, table[i]->name, n) == 0 &&
		    (name[n] == '\0' || name[n] == '-'))
			return table[i];
	}
	return NULL;
}

/* kiro_models.c: placeholder until the module lands. */
#include "config.h"

#include "kiro.h"

const char *
kiro_model_id(const struct conf *c, const char *name)
{
	return NULL;
}

size_t
kiro_model_names(const struct conf *c, struct arena *a, const char ***names)
{
	*names = NULL;
	return 0;
}

int64_t
kiro_context_window(const struct conf *c, const char *name)
{
	return 200000;
}

/*
 * kiro_models.c: the Kiro model table (kiro.md §5.3): public model
 * name -> Kiro modelId, the built-in [REC] table (HEAD's names,
 * claude-haiku-4-5-20251001, the R0 names of the user guide) with
 * KIRO_MODELS merged over it (configured entries win or add; DESIGN
 * decision 16), and the context windows used for usage maths (§5.2,
 * §7.4), KIRO_CONTEXT_WINDOWS first.  The configuration's json objects
 * are borrowed; nothing here allocates except kiro_model_names().
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kiro.h"
#include "util.h"

#define DEFAULT_WINDOW	200000

struct kiro_model {
	const char	*name;
	const char	*id;
	int64_t		 window;
};

/* Sorted by name (strcmp order): kiro_model_names() relies on it. */
static const struct kiro_model builtin[] = {
	{ "amazonq-claude-3-7-sonnet-20250219",
	    "CLAUDE_3_7_SONNET_20250219_V1_0", DEFAULT_WINDOW },
	{ "amazonq-claude-sonnet-4-20250514",
	    "CLAUDE_SONNET_4_20250514_V1_0", DEFAULT_WINDOW },
	{ "claude-3-7-sonnet-20250219",
	    "CLAUDE_3_7_SONNET_20250219_V1_0", DEFAULT_WINDOW },
	{ "claude-haiku-4-5", "claude-haiku-4.5", 200000 },
	{ "claude-haiku-4-5-20251001", "claude-haiku-4.5", 200000 },
	{ "claude-opus-4-5", "claude-opus-4.5", 1000000 },
	{ "claude-opus-4-5-20251101", "claude-opus-4.5", 1000000 },
	{ "claude-opus-4-6", "claude-opus-4.6", 1000000 },
	{ "claude-opus-4-7", "claude-opus-4.7", 1000000 },
	{ "claude-opus-4-8", "claude-opus-4.8", 1000000 },
	{ "claude-sonnet-4-20250514",
	    "CLAUDE_SONNET_4_20250514_V1_0", DEFAULT_WINDOW },
	{ "claude-sonnet-4-5", "claude-sonnet-4.5", 200000 },
	{ "claude-sonnet-4-5-20250929", "claude-sonnet-4.5", 200000 },
	{ "claude-sonnet-4-6", "claude-sonnet-4.6", 200000 },
};

/* The names of builtin[], for kiro_model_names() without an arena. */
static const char *builtin_names[] = {
	"amazonq-claude-3-7-sonnet-20250219",
	"amazonq-claude-sonnet-4-20250514",
	"claude-3-7-sonnet-20250219",
	"claude-haiku-4-5",
	"claude-haiku-4-5-20251001",
	"claude-opus-4-5",
	"claude-opus-4-5-20251101",
	"claude-opus-4-6",
	"claude-opus-4-7",
	"claude-opus-4-8",
	"claude-sonnet-4-20250514",
	"claude-sonnet-4-5",
	"claude-sonnet-4-5-20250929",
	"claude-sonnet-4-6",
};

static const struct kiro_model *
builtin_find(const char *name)
{
	size_t lo = 0, hi = nitems(builtin), mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, builtin[mid].name);
		if (c == 0)
			return &builtin[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* A usable KIRO_MODELS value: a non-empty string; borrowed. */
static const char *
conf_id(json_object *v)
{
	if (v == NULL || !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return NULL;
	return json_object_get_string(v);
}

const char *
kiro_model_id(const struct conf *c, const char *name)
{
	const struct kiro_model *m;
	json_object *v;
	const char *id;

	if (name == NULL || *name == '\0')
		return NULL;
	if (c != NULL && c->kiro_models != NULL &&
	    json_object_is_type(c->kiro_models, json_type_object) &&
	    json_object_object_get_ex(c->kiro_models, name, &v)) {
		id = conf_id(v);
		if (id != NULL)
			return id;
	}
	m = builtin_find(name);
	return m != NULL ? m->id : NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t
kiro_model_names(const struct conf *c, struct arena *a, const char ***names)
{
	const char **v;
	size_t i, n, k, extra = 0;

	if (c != NULL && c->kiro_models != NULL &&
	    json_object_is_type(c->kiro_models, json_type_object))
		extra = (size_t)json_object_object_length(c->kiro_models);
	if (a == NULL || extra == 0) {
		*names = builtin_names;
		return nitems(builtin_names);
	}
	n = nitems(builtin_names);
	v = arena_alloc(a, (n + extra) * sizeof(*v));
	if (v == NULL) {
		*names = builtin_names;
		return n;
	}
	memcpy(v, builtin_names, n * sizeof(*v));
	json_object_object_foreach(c->kiro_models, key, val) {
		if (conf_id(val) != NULL && builtin_find(key) == NULL)
			v[n++] = key;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	/* a configured name may appear twice in a YAML mapping */
	for (i = k = 0; i < n; i++)
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	*names = v;
	return k;
}

/* A positive integer from a json value (integer, integral double or
 * decimal string); 0 when it is none. */
static int64_t
conf_window(json_object *v)
{
	long long x;
	double d;

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v) > 0 ?
		    json_object_get_int64(v) : 0;
	if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		return d >= 1 && d < 1e15 ? (int64_t)d : 0;
	}
	if (json_object_is_type(v, json_type_string) &&
	    parse_int(json_object_get_string(v), 1, INT64_MAX, &x) == 0)
		return x;
	return 0;
}

int64_t
kiro_context_window(const struct conf *c, const char *name)
{
	const struct kiro_model *m;
	json_object *v;
	int64_t w;

	if (name == NULL)
		return DEFAULT_WINDOW;
	if (c != NULL && c->kiro_context_windows != NULL &&
	    json_object_is_type(c->kiro_context_windows, json_type_object) &&
	    json_object_object_get_ex(c->kiro_context_windows, name, &v)) {
		w = conf_window(v);
		if (w > 0)
			return w;
	}
	m = builtin_find(name);
	return m != NULL ? m->window : DEFAULT_WINDOW;
}

/*
 * test_gemini_util.c: helpers shared by the Gemini dialect's unit tests
 * (test_gemini_req.c, test_gemini_resp.c include this file; it is not
 * compiled on its own): fixture listing and loading, a JSON comparison
 * that names the first difference, and failure-only assertions that
 * stay fast in loops.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "canon_load.h"

#define EXPECT_MSG(c, ...)	do {					\
	if (!(c))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)
#define EXPECT(c)	EXPECT_MSG(c, "expected %s", #c)

#define GEM_FIXTURES	FIXTURES "/gemini"

static int
fixture_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the *.json files of FIXTURES/gemini/<dir>. */
static size_t
fixture_list(const char *dir, char ***out)
{
	char path[1024];
	struct dirent *de;
	DIR *d;
	char **v = NULL, **nv;
	size_t n = 0, len;

	snprintf(path, sizeof(path), "%s/%s", GEM_FIXTURES, dir);
	d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		*out = NULL;
		return 0;
	}
	for (;;) {
		de = readdir(d);
		if (de == NULL)
			break;
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (nv == NULL)
			break;
		v = nv;
		v[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), fixture_cmp);
	*out = v;
	return n;
}

static json_object *
fixture_load(const char *dir, const char *name)
{
	char path[1024];
	json_object *j;

	snprintf(path, sizeof(path), "%s/%s/%s", GEM_FIXTURES, dir, name);
	j = canon_read_json(path);
	if (j == NULL)
		ck_abort_msg("cannot parse %s: %s", path,
		    json_util_get_last_err());
	return j;
}

static json_object *
jget(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (o != NULL && json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, k, &v);
	return v;
}

static int
is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double);
}

/*
 * Exact JSON equality (numbers numerically, 1 == 1.0); on a difference
 * 0 with where/why in msg.
 */
static int
jcmp(json_object *e, json_object *a, const char *path, char *msg,
    size_t msglen)
{
	char sub[512];
	size_t i, n;

	if (is_number(e) && is_number(a)) {
		if (json_object_get_double(e) == json_object_get_double(a))
			return 1;
		snprintf(msg, msglen, "%s: %s != %s", path,
		    json_object_to_json_string(e),
		    json_object_to_json_string(a));
		return 0;
	}
	if (json_object_get_type(e) != json_object_get_type(a)) {
		snprintf(msg, msglen, "%s: expected %.300s, got %.300s", path,
		    e ? json_object_to_json_string(e) : "null",
		    a ? json_object_to_json_string(a) : "null");
		return 0;
	}
	switch (json_object_get_type(e)) {
	case json_type_null:
		return 1;
	case json_type_object:
		json_object_object_foreach(e, k, ev) {
			json_object *av = NULL;

			snprintf(sub, sizeof(sub), "%s/%s", path, k);
			if (!json_object_object_get_ex(a, k, &av)) {
				snprintf(msg, msglen, "%s: missing", sub);
				return 0;
			}
			if (!jcmp(ev, av, sub, msg, msglen))
				return 0;
		}
		json_object_object_foreach(a, k2, av2) {
			(void)av2;
			if (!json_object_object_get_ex(e, k2, NULL)) {
				snprintf(msg, msglen,
				    "%s/%s: unexpected %.300s", path, k2,
				    av2 ? json_object_to_json_string(av2) :
				    "null");
				return 0;
			}
		}
		return 1;
	case json_type_array:
		n = json_object_array_length(e);
		if (n != json_object_array_length(a)) {
			snprintf(msg, msglen,
			    "%s: %zu elements, got %zu: %.600s", path, n,
			    json_object_array_length(a),
			    json_object_to_json_string(a));
			return 0;
		}
		for (i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s/%zu", path, i);
			if (!jcmp(json_object_array_get_idx(e, i),
			    json_object_array_get_idx(a, i), sub, msg, msglen))
				return 0;
		}
		return 1;
	default:
		if (json_object_equal(e, a))
			return 1;
		snprintf(msg, msglen, "%s: expected %.300s, got %.300s", path,
		    json_object_to_json_string(e),
		    json_object_to_json_string(a));
		return 0;
	}
}

#define EXPECT_JSON(name, e, a)	do {					\
	char why_[2048];						\
	EXPECT_MSG(jcmp((e), (a), "", why_, sizeof(why_)), "%s: %s\n"	\
	    "got: %.4000s", (name), why_, json_object_to_json_string_ext(\
	    (a), JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)); \
} while (0)

/* Parse exactly len bytes as one JSON value; NULL if that fails. */
static json_object *
parse_exact(const char *s, size_t len)
{
	struct json_tokener *tok;
	json_object *o;

	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o != NULL && json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Number of nodes of a JSON tree (the root counts). */
static size_t
json_nodes(json_object *o)
{
	size_t n = 1, i;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			n += json_nodes(v);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			n += json_nodes(json_object_array_get_idx(o, i));
	}
	return n;
}

/*
 * Replace the k-th node (pre-order, k >= 1) below root by repl (taken
 * over); 1 when done.
 */
static int
json_replace_nth(json_object *o, size_t *k, json_object *repl)
{
	size_t i;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, v) {
			if (--*k == 0) {
				json_object_object_add(o, key, repl);
				return 1;
			}
			if (json_replace_nth(v, k, repl))
				return 1;
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++) {
			if (--*k == 0) {
				json_object_array_put_idx(o, i, repl);
				return 1;
			}
			if (json_replace_nth(json_object_array_get_idx(o, i), k,
			    repl))
				return 1;
		}
	}
	return 0;
}

/* The hostile values every node is replaced with in turn. */
static json_object *
hostile_value(int which)
{
	switch (which) {
	case 0:
		return NULL;
	case 1:
		return json_object_new_int(-1);
	case 2:
		return json_object_new_string("");
	case 3:
		return json_object_new_array();
	case 4:
		return json_object_new_object();
	case 5:
		return json_object_new_double(1.5);
	default:
		return json_object_new_boolean(1);
	}
}
#define NHOSTILE	7

/*
 * test_openai_util.c: helpers shared by the OpenAI dialect's unit tests
 * (test_openai_req.c and test_openai_resp.c include this file; it is
 * not compiled on its own): fixture directories listed in name order, a
 * JSON matcher with placeholders, and a writer that captures a stream
 * and checks that every write() is one complete SSE event.
 *
 * Matching: objects must have the same keys, arrays the same length,
 * numbers compare numerically (1 equals 1.0).  An expected string may be
 * a placeholder: {{ANY}} (any value), {{INT}}, {{STRING}},
 * {{ID:prefix}} (prefix then at least one of [A-Za-z0-9_-]),
 * {{ID:prefix:var}} (and bind var), {{VAR:var}} (equal to the bound
 * value, binding it if unbound), {{JSON:text}} (a string holding JSON
 * equal to text).  The expected key "{{ABSENT}}" is not supported: exact
 * key sets make absence checks implicit.
 */
#ifndef AICLIENT_TEST_OPENAI_UTIL_C
#define AICLIENT_TEST_OPENAI_UTIL_C

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_object_iterator.h>

#include "arena.h"
#include "buf.h"
#include "canonical.h"
#include "dialect.h"

#define TO_MAXFILES	256
#define TO_MAXVARS	16

/* Fails the current test with a formatted message (cheap on success). */
#define TO_CHECK(cond, ...) do {					\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

struct to_dir {
	char	 names[TO_MAXFILES][1024];
	size_t	 n;
};

static int __attribute__((unused))
to_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The *.json files of FIXTURES/openai/<sub>, sorted. */
static void __attribute__((unused))
to_list(struct to_dir *d, const char *sub)
{
	char path[1024];
	struct dirent *de;
	DIR *dir;
	size_t len;

	d->n = 0;
	snprintf(path, sizeof(path), "%s/openai/%s", FIXTURES, sub);
	dir = opendir(path);
	if (dir == NULL)
		return;
	for (de = readdir(dir); de != NULL && d->n < TO_MAXFILES;
	    de = readdir(dir)) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if ((size_t)snprintf(d->names[d->n], sizeof(d->names[0]),
		    "%s/%s", path, de->d_name) >= sizeof(d->names[0]))
			continue;
		d->n++;
	}
	closedir(dir);
	qsort(d->names, d->n, sizeof(d->names[0]), to_cmp);
}

/* A fixture file: new reference, caller puts. */
static json_object * __attribute__((unused))
to_load(const char *path)
{
	json_object *j;

	j = json_object_from_file(path);
	if (j == NULL)
		ck_abort_msg("%s: cannot parse: %s", path,
		    json_util_get_last_err());
	return j;
}

static json_object * __attribute__((unused))
to_get(json_object *o, const char *k)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

/* An option of a fixture: "options": {...}. */
static json_object * __attribute__((unused))
to_opt(json_object *fx, const char *k)
{
	return to_get(to_get(fx, "options"), k);
}

struct to_vars {
	char	*name[TO_MAXVARS];
	char	*value[TO_MAXVARS];
	size_t	 n;
};

static void __attribute__((unused))
to_vars_free(struct to_vars *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free(v->name[i]);
		free(v->value[i]);
	}
	v->n = 0;
}

/* Bind or compare a variable; 0 when consistent. */
static int __attribute__((unused))
to_var(struct to_vars *v, const char *name, size_t nlen, const char *val)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strlen(v->name[i]) == nlen &&
		    strncmp(v->name[i], name, nlen) == 0)
			return strcmp(v->value[i], val) == 0 ? 0 : -1;
	if (v->n == TO_MAXVARS)
		return -1;
	v->name[v->n] = strndup(name, nlen);
	v->value[v->n] = strdup(val);
	v->n++;
	return 0;
}

static int to_match(json_object *, json_object *, struct to_vars *, char *,
    size_t, const char *) __attribute__((unused));

static int __attribute__((unused))
to_idchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* 1: e was a placeholder and matched; 0: no placeholder; -1: mismatch. */
static int __attribute__((unused))
to_placeholder(const char *e, json_object *a, struct to_vars *vars)
{
	const char *s, *p, *colon;
	json_object *ej, *aj;
	size_t elen = strlen(e), plen;
	int rc;

	if (elen < 4 || strncmp(e, "{{", 2) != 0 ||
	    strcmp(e + elen - 2, "}}") != 0)
		return 0;
	if (strcmp(e, "{{ANY}}") == 0)
		return 1;
	if (strcmp(e, "{{INT}}") == 0)
		return json_object_is_type(a, json_type_int) ? 1 : -1;
	if (strcmp(e, "{{STRING}}") == 0)
		return json_object_is_type(a, json_type_string) ? 1 : -1;
	if (!json_object_is_type(a, json_type_string) &&
	    strncmp(e, "{{VAR:", 6) != 0)
		return -1;
	s = a != NULL ? json_object_get_string(a) : "";
	if (strncmp(e, "{{ID:", 5) == 0) {
		p = e + 5;
		colon = strchr(p, ':');
		if (colon == NULL || colon > e + elen - 2)
			colon = e + elen - 2;
		plen = (size_t)(colon - p);
		if (strncmp(s, p, plen) != 0 || !to_idchar(s[plen]))
			return -1;
		for (p = s + plen; *p != '\0'; p++)
			if (!to_idchar(*p))
				return -1;
		if (colon < e + elen - 2 && to_var(vars, colon + 1,
		    (size_t)(e + elen - 2 - colon - 1), s) == -1)
			return -1;
		return 1;
	}
	if (strncmp(e, "{{VAR:", 6) == 0) {
		s = a != NULL ? json_object_get_string(a) : "null";
		return to_var(vars, e + 6, elen - 8, s) == 0 ? 1 : -1;
	}
	if (strncmp(e, "{{JSON:", 7) == 0) {
		char *txt = strndup(e + 7, elen - 9);

		ej = json_tokener_parse(txt);
		aj = json_tokener_parse(s);
		free(txt);
		rc = ej != NULL && aj != NULL && json_object_equal(ej, aj) ?
		    1 : -1;
		json_object_put(ej);
		json_object_put(aj);
		return rc;
	}
	return 0;
}

static int __attribute__((unused))
to_mismatch(char *why, size_t whylen, const char *path, json_object *e,
    json_object *a)
{
	snprintf(why, whylen, "at %s: expected %.300s, got %.300s",
	    *path ? path : "/", json_object_to_json_string_ext(e,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	return -1;
}

/* 0 when actual matches expected; else why says where. */
static int __attribute__((unused))
to_match(json_object *e, json_object *a, struct to_vars *vars, char *why,
    size_t whylen, const char *path)
{
	struct json_object_iterator it, end;
	json_object *av;
	char sub[512];
	size_t i, n;
	int rc;

	if (e != NULL && json_object_is_type(e, json_type_string)) {
		rc = to_placeholder(json_object_get_string(e), a, vars);
		if (rc == 1)
			return 0;
		if (rc == -1)
			return to_mismatch(why, whylen, path, e, a);
	}
	if (e == NULL || a == NULL)
		return e == a ? 0 : to_mismatch(why, whylen, path, e, a);
	if ((json_object_is_type(e, json_type_int) ||
	    json_object_is_type(e, json_type_double)) &&
	    (json_object_is_type(a, json_type_int) ||
	    json_object_is_type(a, json_type_double))) {
		if (fabs(json_object_get_double(e) -
		    json_object_get_double(a)) > 1e-9)
			return to_mismatch(why, whylen, path, e, a);
		return 0;
	}
	if (json_object_get_type(e) != json_object_get_type(a))
		return to_mismatch(why, whylen, path, e, a);
	switch (json_object_get_type(e)) {
	case json_type_object:
		if (json_object_object_length(e) !=
		    json_object_object_length(a))
			return to_mismatch(why, whylen, path, e, a);
		it = json_object_iter_begin(e);
		end = json_object_iter_end(e);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it)) {
			snprintf(sub, sizeof(sub), "%s/%s", path,
			    json_object_iter_peek_name(&it));
			if (!json_object_object_get_ex(a,
			    json_object_iter_peek_name(&it), &av)) {
				snprintf(why, whylen, "at %s: missing", sub);
				return -1;
			}
			if (to_match(json_object_iter_peek_value(&it), av,
			    vars, why, whylen, sub) == -1)
				return -1;
		}
		return 0;
	case json_type_array:
		n = json_object_array_length(e);
		if (n != json_object_array_length(a))
			return to_mismatch(why, whylen, path, e, a);
		for (i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s/%zu", path, i);
			if (to_match(json_object_array_get_idx(e, i),
			    json_object_array_get_idx(a, i), vars, why, whylen,
			    sub) == -1)
				return -1;
		}
		return 0;
	default:
		return json_object_equal(e, a) ? 0 :
		    to_mismatch(why, whylen, path, e, a);
	}
}

/* Match or fail the test naming the fixture. */
static void __attribute__((unused))
to_expect(const char *file, json_object *e, json_object *a)
{
	struct to_vars vars = { .n = 0 };
	char why[1024];
	int rc;

	rc = to_match(e, a, &vars, why, sizeof(why), "");
	to_vars_free(&vars);
	if (rc != 0)
		ck_abort_msg("%s: %s\nactual: %.4000s", file, why,
		    json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * A c_writer that keeps every write as one parsed SSE event:
 * {"data": <object> | "[DONE]"} or {"comment": "<text>"}.  A write
 * that is not exactly one complete event is recorded in bad.
 */
struct to_capture {
	struct c_writer	 w;
	json_object	*events;	/* owned */
	char		 bad[256];
	int		 fail_after;	/* fail from this write on; -1 never */
	int		 nwrites;
};

static int __attribute__((unused))
to_capture_write(struct c_writer *w, const char *s, size_t len)
{
	struct to_capture *c = (struct to_capture *)w;
	json_object *ev, *d;
	char *txt;

	if (c->fail_after >= 0 && c->nwrites >= c->fail_after)
		return -1;
	c->nwrites++;
	if (len < 3 || s[len - 1] != '\n' || s[len - 2] != '\n' ||
	    memmem(s, len - 2, "\n\n", 2) != NULL ||
	    memchr(s, '\n', len - 2) != NULL) {
		snprintf(c->bad, sizeof(c->bad),
		    "write %d is not one SSE event: %.100s", c->nwrites, s);
		return 0;
	}
	txt = strndup(s, len - 2);
	ev = json_object_new_object();
	if (strncmp(txt, "data: ", 6) == 0) {
		if (strcmp(txt + 6, "[DONE]") == 0)
			d = json_object_new_string("[DONE]");
		else {
			d = json_tokener_parse(txt + 6);
			if (d == NULL)
				snprintf(c->bad, sizeof(c->bad),
				    "write %d: data is not JSON: %.100s",
				    c->nwrites, txt);
		}
		json_object_object_add(ev, "data", d);
	} else if (txt[0] == ':')
		json_object_object_add(ev, "comment",
		    json_object_new_string(txt[1] == ' ' ? txt + 2 : txt + 1));
	else
		snprintf(c->bad, sizeof(c->bad), "write %d: not data or "
		    "comment: %.100s", c->nwrites, txt);
	json_object_array_add(c->events, ev);
	free(txt);
	return 0;
}

static void __attribute__((unused))
to_capture_init(struct to_capture *c)
{
	memset(c, 0, sizeof(*c));
	c->w.write = to_capture_write;
	c->events = json_object_new_array();
	c->fail_after = -1;
}

static void __attribute__((unused))
to_capture_free(struct to_capture *c)
{
	json_object_put(c->events);
	c->events = NULL;
}

/* The JSON text of a buffer as a new json-c value (NULL if it does not
 * parse). */
static json_object * __attribute__((unused))
to_parse_buf(const struct buf *b)
{
	if (b->data == NULL)
		return NULL;
	return json_tokener_parse(b->data);
}

#endif

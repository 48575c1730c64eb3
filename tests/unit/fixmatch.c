/*
 * fixmatch.c: the fixture matcher, capturing writer and SSE parser
 * shared by test_kiro_stream and test_claude_resp (see fixmatch.h).
 */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixmatch.h"

/* ---- JSON matcher (tests/fixtures/kiro/README.md) ----------------------- */

char fm_why[2048];

static int
jm_fail(const char *path, const char *what)
{
	snprintf(fm_why, sizeof(fm_why), "%s: %s", path[0] ? path : "(top)", what);
	return 0;
}

static int
jm_isnum(json_object *o, double *d)
{
	if (json_object_is_type(o, json_type_int) ||
	    json_object_is_type(o, json_type_double)) {
		*d = json_object_get_double(o);
		return 1;
	}
	return 0;
}

static int
jm_regex(const char *re, const char *s)
{
	regex_t rx;
	char *pat;
	size_t n = strlen(re);
	int ok;

	pat = malloc(n + 5);
	EXPECT(pat != NULL);
	snprintf(pat, n + 5, "^(%s)$", re);
	EXPECT_MSG(regcomp(&rx, pat, REG_EXTENDED | REG_NOSUB) == 0,
	    "bad regex %s", pat);
	ok = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	free(pat);
	return ok;
}


/* An expected "<<...>>" string against the actual value. */
static int
jm_special(const char *m, size_t mlen, json_object *a, const char *path)
{
	const char *s, *e;
	char *inner;
	json_object *je, *ja;
	size_t sl;
	int ok;

	inner = strndup(m + 2, mlen - 4);
	EXPECT(inner != NULL);
	if (strcmp(inner, "int") == 0) {
		ok = json_object_is_type(a, json_type_int) &&
		    json_object_get_int64(a) >= 0;
		free(inner);
		return ok ? 1 : jm_fail(path, "not an integer >= 0");
	}
	if (!json_object_is_type(a, json_type_string)) {
		free(inner);
		return jm_fail(path, "not a string");
	}
	s = json_object_get_string(a);
	sl = (size_t)json_object_get_string_len(a);
	ok = 0;
	if (strcmp(inner, "uuid") == 0)
		ok = jm_regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
		    "[0-9a-f]{4}-[0-9a-f]{12}", s);
	else if (strncmp(inner, "re:", 3) == 0)
		ok = jm_regex(inner + 3, s);
	else if (strncmp(inner, "contains:", 9) == 0)
		ok = strstr(s, inner + 9) != NULL;
	else if (strncmp(inner, "trim:", 5) == 0) {
		e = s + sl;
		while (s < e && strchr(" \t\r\n", *s) != NULL)
			s++;
		while (e > s && strchr(" \t\r\n", e[-1]) != NULL)
			e--;
		ok = (size_t)(e - s) == strlen(inner + 5) &&
		    memcmp(s, inner + 5, (size_t)(e - s)) == 0;
	} else if (strncmp(inner, "json:", 5) == 0) {
		je = json_tokener_parse(inner + 5);
		ja = json_tokener_parse(s);
		EXPECT_MSG(je != NULL, "bad <<json:>> matcher %s", inner);
		ok = ja != NULL && jm_match(je, ja, path, 0);
		json_object_put(je);
		json_object_put(ja);
		free(inner);
		return ok ? 1 : jm_fail(path, "JSON text differs");
	} else
		EXPECT_MSG(0, "unknown matcher %s", inner);
	free(inner);
	return ok ? 1 : jm_fail(path, json_object_get_string(a));
}

/* Does a match e?  extras: a may have members e lacks (inside usage). */
int
jm_match(json_object *e, json_object *a, const char *path, int extras)
{
	char sub[512];
	const char *s;
	double de = 0, da = 0;
	size_t i, n, sl;

	switch (json_object_get_type(e)) {
	case json_type_null:
		return a == NULL ? 1 : jm_fail(path, "not null");
	case json_type_boolean:
		return json_object_is_type(a, json_type_boolean) &&
		    json_object_get_boolean(a) == json_object_get_boolean(e) ?
		    1 : jm_fail(path, "boolean differs");
	case json_type_int:
	case json_type_double:
		jm_isnum(e, &de);
		return a != NULL && jm_isnum(a, &da) && de == da ? 1 :
		    jm_fail(path, "number differs");
	case json_type_string:
		s = json_object_get_string(e);
		sl = (size_t)json_object_get_string_len(e);
		if (sl >= 4 && strncmp(s, "<<", 2) == 0 &&
		    strcmp(s + sl - 2, ">>") == 0)
			return jm_special(s, sl, a, path);
		if (!json_object_is_type(a, json_type_string))
			return jm_fail(path, "not a string");
		if ((size_t)json_object_get_string_len(a) != sl ||
		    memcmp(json_object_get_string(a), s, sl) != 0) {
			snprintf(sub, sizeof(sub), "\"%s\" != \"%s\"",
			    json_object_get_string(a), s);
			return jm_fail(path, sub);
		}
		return 1;
	case json_type_array:
		if (!json_object_is_type(a, json_type_array))
			return jm_fail(path, "not an array");
		n = json_object_array_length(e);
		if (json_object_array_length(a) != n) {
			snprintf(sub, sizeof(sub), "array length %zu, want %zu",
			    json_object_array_length(a), n);
			return jm_fail(path, sub);
		}
		for (i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (!jm_match(json_object_array_get_idx(e, i),
			    json_object_array_get_idx(a, i), sub, 0))
				return 0;
		}
		return 1;
	case json_type_object:
		if (!json_object_is_type(a, json_type_object))
			return jm_fail(path, "not an object");
		{
			json_object_object_foreach(e, k, v) {
				json_object *av;

				snprintf(sub, sizeof(sub), "%s.%s", path, k);
				if (!json_object_object_get_ex(a, k, &av))
					return jm_fail(sub, "missing");
				if (!jm_match(v, av, sub,
				    strcmp(k, "usage") == 0))
					return 0;
			}
		}
		if (!extras) {
			json_object_object_foreach(a, k, v) {
				(void)v;
				if (!json_object_object_get_ex(e, k, NULL)) {
					snprintf(sub, sizeof(sub), "%s.%s",
					    path, k);
					return jm_fail(sub, "not expected");
				}
			}
		}
		return 1;
	}
	return jm_fail(path, "unknown type");
}



/* ---- capturing writer --------------------------------------------------- */


int
cap_write(struct c_writer *w, const char *p, size_t n)
{
	struct cap *c = (struct cap *)w;
	const char *e;

	if (c->fail_after >= 0 && c->nwrites >= c->fail_after)
		return -1;
	c->nwrites++;
	e = memmem(p, n, "\n\n", 2);
	if (n < 2 || e != p + n - 2 || strncmp(p, "event: ", 7) != 0)
		c->bad = 1;
	EXPECT(buf_add(&c->out, p, n) == 0);
	return 0;
}

void
cap_init(struct cap *c)
{
	memset(c, 0, sizeof(*c));
	c->w.write = cap_write;
	c->fail_after = -1;
	buf_init(&c->out, 0);
}

/* SSE text into [{"event","data"}]; new reference. */
json_object *
sse_parse(const char *s, size_t len)
{
	json_object *arr = json_object_new_array(), *ev, *d;
	const char *end = s + len, *e, *nl, *line;
	char *name;

	while (s < end) {
		e = memmem(s, (size_t)(end - s), "\n\n", 2);
		EXPECT_MSG(e != NULL, "SSE without blank line: %s", s);
		ev = json_object_new_object();
		for (line = s; line < e; line = nl + 1) {
			nl = memchr(line, '\n', (size_t)(e - line));
			if (nl == NULL)
				nl = e;
			if (strncmp(line, "event: ", 7) == 0) {
				name = strndup(line + 7,
				    (size_t)(nl - line - 7));
				json_object_object_add(ev, "event",
				    json_object_new_string(name));
				free(name);
			} else if (strncmp(line, "data: ", 6) == 0) {
				name = strndup(line + 6,
				    (size_t)(nl - line - 6));
				d = json_tokener_parse(name);
				EXPECT_MSG(d != NULL, "bad data: %s", name);
				free(name);
				json_object_object_add(ev, "data", d);
			} else
				EXPECT_MSG(0, "bad SSE line %.*s",
				    (int)(nl - line), line);
		}
		json_object_array_add(arr, ev);
		s = e + 2;
	}
	return arr;
}

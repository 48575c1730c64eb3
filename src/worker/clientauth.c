/*
 * clientauth.c: the client key check (server.md §5.5).  Accepted, in
 * order: "Authorization: Bearer KEY" (scheme case-insensitive, extra
 * spaces tolerated), ?key=KEY, x-goog-api-key, x-api-key.  Comparisons
 * are constant-time; the key itself is never logged, only a hash id.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "router.h"
#include "util.h"

static char key_id[16] = "-";

void
clientauth_init(const struct conf *c)
{
	char id[13];

	if (c->api_key_state != APIKEY_SET) {
		strlcpy(key_id, "none", sizeof(key_id));
		return;
	}
	hash_id(c->required_api_key, strlen(c->required_api_key), id);
	strlcpy(key_id, id, sizeof(key_id));
}

const char *
clientauth_key_id(void)
{
	return key_id;
}

static int
match(const char *given, size_t glen, const struct conf *c)
{
	return ct_equal(given, glen, c->required_api_key,
	    strlen(c->required_api_key));
}

int
clientauth_ok(const struct http_parser *p, const struct conf *c)
{
	const char *v;
	char q[1024];
	ssize_t n;
	int ok = 0;

	if (c->api_key_state == APIKEY_DISABLED)
		return 1;
	if (c->api_key_state != APIKEY_SET)
		return 0;
	v = http_header_get(p, "authorization");
	if (v != NULL && strncasecmp(v, "bearer", 6) == 0 &&
	    (v[6] == ' ' || v[6] == '\t')) {
		v += 6;
		while (*v == ' ' || *v == '\t')
			v++;
		ok |= match(v, strlen(v), c);
	}
	n = http_query_get(p->query, "key", q, sizeof(q));
	if (n >= 0) {
		ok |= match(q, (size_t)n, c);
		explicit_bzero(q, sizeof(q));
	}
	v = http_header_get(p, "x-goog-api-key");
	if (v != NULL)
		ok |= match(v, strlen(v), c);
	v = http_header_get(p, "x-api-key");
	if (v != NULL)
		ok |= match(v, strlen(v), c);
	return ok;
}

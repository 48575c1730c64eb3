/*
 * fixmatch.h: what the Kiro stream and Claude response tests share: fast
 * assertions, the matcher of tests/fixtures/kiro/README.md (<<int>>,
 * <<re:...>>, <<contains:...>>, <<trim:...>>, <<json:...>>, <<uuid>>;
 * extra members only inside usage), a capturing c_writer and an SSE
 * parser.
 */
#ifndef AICLIENT_FIXMATCH_H
#define AICLIENT_FIXMATCH_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "dialect.h"

/* Call into Check only on failure (loops stay fast under ASan). */
#define EXPECT_MSG(c, ...)	do {					\
	if (!(c))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)
#define EXPECT(c)	EXPECT_MSG(c, "expected %s", #c)
#define EXPECT_INT(a, op, b)	do {					\
	intmax_t a_ = (a), b_ = (b);					\
	EXPECT_MSG(a_ op b_, "%s %s %s: %jd, %jd", #a, #op, #b, a_, b_); \
} while (0)
#define EXPECT_STR(a, b)	do {					\
	const char *a_ = (a), *b_ = (b);				\
	EXPECT_MSG(a_ != NULL && b_ != NULL && strcmp(a_, b_) == 0,	\
	    "%s:\n  got  \"%s\"\n  want \"%s\"", #a,			\
	    a_ ? a_ : "(null)",						\
	    b_ ? b_ : "(null)");					\
} while (0)

struct cap {
	struct c_writer	 w;
	struct buf	 out;
	int		 bad;		/* a write() that was not one event */
	int		 fail_after;	/* writes allowed, -1: unlimited */
	int		 nwrites;
};

/* Why the last jm_match() failed. */
extern char fm_why[2048];

/* Does actual a match expected e (README rules)?  path names the spot. */
int		 jm_match(json_object *e, json_object *a, const char *path,
		    int extras);
int		 cap_write(struct c_writer *, const char *, size_t);
void		 cap_init(struct cap *);
/* [{"event": name, "data": object}] of an SSE text; new reference. */
json_object	*sse_parse(const char *, size_t);

/* e matches a, else the test fails saying where. */
#define EXPECT_MATCH(e, a, what)	do {				\
	json_object *a__ = (a);						\
	EXPECT_MSG(jm_match((e), a__, "", 0), "%s: %s\nactual: %s", (what), \
	    fm_why, json_object_to_json_string_ext(a__,			\
	    JSON_C_TO_STRING_PLAIN));					\
} while (0)

#endif

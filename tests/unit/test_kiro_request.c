/*
 * test_kiro_request.c: unit tests of the Kiro model table
 * (kiro_models.c) and request builder (kiro_request.c): the spec's
 * three request fixtures (tests/fixtures/kiro/requests), our own cases
 * under tests/fixtures/claude/kiro (Claude request in, Kiro body out,
 * plus the aliases, tool names and thinking flag expected), the
 * conversation id, the input estimate, error cases, hand-built hostile
 * canonical requests, and KIRO_MODELS / KIRO_CONTEXT_WINDOWS merging.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"
#include "canonical.h"
#include "claude_int.h"
#include "conf.h"
#include "kiro.h"
#include "unit.h"

#define EXPECT_MSG(c, ...)	do {					\
	if (!(c))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)
#define EXPECT(c)	EXPECT_MSG(c, "expected %s", #c)
#define EXPECT_STR(a, b)	do {					\
	const char *a_ = (a), *b_ = (b);				\
	EXPECT_MSG((a_ == NULL && b_ == NULL) || (a_ != NULL &&		\
	    b_ != NULL && strcmp(a_, b_) == 0), "%s is \"%s\", want \"%s\"", \
	    #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");		\
} while (0)

#define SOCIAL_ARN	"arn:aws:codewhisperer:us-east-1:000000000000:" \
	"profile/FAKEPROFILE01"

static const char *const spec_cases[] = { "simple", "tools", "thinking" };

/* Ours: tests/fixtures/claude/kiro/NAME.json. */
static const char *const own_cases[] = {
	"documents",
	"duplicate-results",
	"empty-content",
	"guide-case6-pdf",
	"image-notes",
	"image-retention",
	"leading-assistant",
	"leading-assistant-system",
	"leading-assistant-system-multi",
	"long-tool-names",
	"merge-same-role",
	"placeholder-history-tools",
	"prefill-drop",
	"server-tools",
	"system-multi",
	"system-single",
	"thinking-adaptive",
	"thinking-min-budget",
	"thinking-prefix-present",
	"tool-result-flatten",
	"trailing-assistant",
	"unpaired-emptied",
	"unpaired-partial",
};
#define NOWN	(sizeof(own_cases) / sizeof(own_cases[0]))

static json_object *
load(const char *fmt, const char *name)
{
	char path[1024];
	json_object *o;

	snprintf(path, sizeof(path), fmt, FIXTURES, name);
	o = json_object_from_file(path);
	EXPECT_MSG(o != NULL, "cannot load %s", path);
	return o;
}

static const char *
pretty(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void
expect_equal(json_object *got, json_object *want, const char *what)
{
	char *g;

	if (json_object_equal(got, want))
		return;
	g = strdup(pretty(got));
	ck_abort_msg("%s differs:\n--- got\n%s\n--- want\n%s", what, g,
	    pretty(want));
}

static int
is_uuid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return 0;
	}
	return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

/*
 * No null anywhere, no empty array (§4.3: omit them) outside the
 * client's own documents (tool inputs, schemas), where [] is data.
 */
static void
expect_clean_doc(json_object *o, const char *where, int doc)
{
	size_t i, n;

	EXPECT_MSG(o != NULL, "%s: null in the body", where);
	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		EXPECT_MSG(n > 0 || doc, "%s: empty array in the body", where);
		for (i = 0; i < n; i++)
			expect_clean_doc(json_object_array_get_idx(o, i), where,
			    doc);
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			expect_clean_doc(val, where, doc ||
			    strcmp(key, "input") == 0 ||
			    strcmp(key, "json") == 0);
		}
	}
}

static void
expect_clean(json_object *o, const char *where)
{
	expect_clean_doc(o, where, 0);
}

struct built {
	struct arena		 a;
	struct c_request	 r;
	struct kiro_req		 k;
	struct buf		 out;
	json_object		*body;
	char			 err[256];
	int			 rc;
};

static void
built_free(struct built *b)
{
	json_object_put(b->body);
	buf_free(&b->out);
	arena_free(&b->a);
}

/* Decode a Claude request and build the Kiro body. */
static void
build(struct built *b, json_object *claude, const char *profile_arn,
    const char *conv_id)
{
	memset(b, 0, sizeof(*b));
	arena_init(&b->a, 0);
	buf_init(&b->out, 0);
	EXPECT_MSG(claude_decode_request(claude, NULL, -1, &b->r, &b->a,
	    b->err, sizeof(b->err)) == 0, "decode: %s", b->err);
	b->k.model_id = kiro_model_id(NULL, b->r.model);
	EXPECT_MSG(b->k.model_id != NULL, "unknown model %s", b->r.model);
	b->k.profile_arn = profile_arn;
	b->k.conversation_id = conv_id;
	b->rc = kiro_build_request(&b->r, &b->k, &b->a, &b->out, b->err,
	    sizeof(b->err));
	EXPECT_MSG(b->rc == 0, "build: %s", b->err);
	b->body = json_tokener_parse(b->out.data);
	EXPECT_MSG(b->body != NULL, "not JSON: %s", b->out.data);
}

/* conversationId must be a fresh lowercase UUID; then drop it. */
static void
strip_conv_id(json_object *body, json_object *want)
{
	json_object *cs, *id;

	EXPECT(json_object_object_get_ex(body, "conversationState", &cs));
	EXPECT(json_object_object_get_ex(cs, "conversationId", &id));
	EXPECT_MSG(is_uuid(json_object_get_string(id)), "bad uuid %s",
	    json_object_get_string(id));
	json_object_object_del(cs, "conversationId");
	if (json_object_object_get_ex(want, "conversationState", &cs))
		json_object_object_del(cs, "conversationId");
}

START_TEST(test_spec_fixture)
{
	const char *name = spec_cases[_i];
	json_object *in, *want, *arn;
	struct built b;

	in = load("%s/kiro/requests/%s.claude.json", name);
	want = load("%s/kiro/requests/%s.kiro.json", name);
	/* social (profileArn) for simple and tools, IdC for thinking */
	if (!json_object_object_get_ex(want, "profileArn", &arn))
		arn = NULL;
	EXPECT(strcmp(name, "thinking") == 0 ? arn == NULL :
	    strcmp(json_object_get_string(arn), SOCIAL_ARN) == 0);
	build(&b, in, arn ? json_object_get_string(arn) : NULL, NULL);
	expect_clean(b.body, name);
	strip_conv_id(b.body, want);
	expect_equal(b.body, want, name);
	EXPECT(b.k.thinking == (strcmp(name, "thinking") == 0));
	EXPECT(b.k.input_estimate > 0);
	if (strcmp(name, "tools") == 0) {
		EXPECT(b.k.ntool_names == 1);
		EXPECT_STR(b.k.tool_names[0], "get_weather");
		/* one image sent */
		EXPECT(b.k.input_estimate > 1600);
	}
	built_free(&b);
	json_object_put(in);
	json_object_put(want);
}
END_TEST

START_TEST(test_own_fixture)
{
	const char *name = own_cases[_i];
	json_object *c, *in, *want, *arn, *v, *e;
	struct built b;
	size_t i, n;

	c = load("%s/claude/kiro/%s.json", name);
	EXPECT(json_object_object_get_ex(c, "input", &in));
	EXPECT(json_object_object_get_ex(c, "expected", &want));
	if (!json_object_object_get_ex(c, "profile_arn", &arn))
		arn = NULL;
	build(&b, in, arn ? json_object_get_string(arn) : NULL, NULL);
	expect_clean(b.body, name);
	strip_conv_id(b.body, want);
	expect_equal(b.body, want, name);
	if (json_object_object_get_ex(c, "thinking", &v))
		EXPECT_MSG(b.k.thinking == json_object_get_boolean(v),
		    "%s: thinking %d", name, b.k.thinking);
	else
		EXPECT_MSG(b.k.thinking == 0, "%s: thinking set", name);
	n = 0;
	if (json_object_object_get_ex(c, "aliases", &v)) {
		n = (size_t)json_object_object_length(v);
		for (i = 0; i < b.k.naliases; i++) {
			EXPECT_MSG(json_object_object_get_ex(v,
			    b.k.aliases[i].alias, &e), "%s: alias %s", name,
			    b.k.aliases[i].alias);
			EXPECT_STR(b.k.aliases[i].name,
			    json_object_get_string(e));
		}
	}
	EXPECT_MSG(b.k.naliases == n, "%s: %zu aliases", name, b.k.naliases);
	if (json_object_object_get_ex(c, "tool_names", &v)) {
		n = json_object_array_length(v);
		EXPECT_MSG(b.k.ntool_names == n, "%s: %zu tool names", name,
		    b.k.ntool_names);
		for (i = 0; i < n; i++)
			EXPECT_STR(b.k.tool_names[i], json_object_get_string(
			    json_object_array_get_idx(v, i)));
	}
	built_free(&b);
	json_object_put(c);
}
END_TEST

START_TEST(test_conversation_id)
{
	json_object *in, *cs, *id;
	struct built b;
	char first[40];

	in = load("%s/kiro/requests/%s.claude.json", "simple");
	build(&b, in, NULL, "11111111-2222-4333-8444-555555555555");
	EXPECT(json_object_object_get_ex(b.body, "conversationState", &cs));
	EXPECT(json_object_object_get_ex(cs, "conversationId", &id));
	EXPECT_STR(json_object_get_string(id),
	    "11111111-2222-4333-8444-555555555555");
	EXPECT(!json_object_object_get_ex(b.body, "profileArn", &id));
	built_free(&b);
	/* a social credential without an ARN: no empty profileArn */
	build(&b, in, "", NULL);
	EXPECT(!json_object_object_get_ex(b.body, "profileArn", &id));
	built_free(&b);
	build(&b, in, NULL, NULL);
	json_object_object_get_ex(b.body, "conversationState", &cs);
	json_object_object_get_ex(cs, "conversationId", &id);
	EXPECT(is_uuid(json_object_get_string(id)));
	snprintf(first, sizeof(first), "%s", json_object_get_string(id));
	built_free(&b);
	build(&b, in, NULL, NULL);
	json_object_object_get_ex(b.body, "conversationState", &cs);
	json_object_object_get_ex(cs, "conversationId", &id);
	EXPECT(strcmp(first, json_object_get_string(id)) != 0);
	built_free(&b);
	json_object_put(in);
}
END_TEST

/* A canonical request built by hand, for what no decoder produces. */
struct hand {
	struct arena		 a;
	struct c_request	 r;
	struct c_message	 m[4];
	struct c_part		 p[8];
	struct c_tool		 t[2];
	struct kiro_req		 k;
	struct buf		 out;
	char			 err[256];
};

static void
hand_init(struct hand *h, const char *text)
{
	memset(h, 0, sizeof(*h));
	arena_init(&h->a, 0);
	buf_init(&h->out, 0);
	h->r.model = "claude-sonnet-4-5";
	h->k.model_id = "claude-sonnet-4.5";
	h->p[0].type = C_TEXT;
	h->p[0].text = text;
	h->p[0].text_len = strlen(text);
	h->m[0].role = C_USER;
	h->m[0].parts = &h->p[0];
	h->m[0].nparts = 1;
	h->r.msgs = h->m;
	h->r.nmsgs = 1;
}

static int
hand_build(struct hand *h)
{
	buf_reset(&h->out);
	return kiro_build_request(&h->r, &h->k, &h->a, &h->out, h->err,
	    sizeof(h->err));
}

static void
hand_free(struct hand *h)
{
	buf_free(&h->out);
	arena_free(&h->a);
}

/* The current message's content of the built body. */
static char *
current_content(struct hand *h)
{
	json_object *o, *v;
	char *s;

	o = json_tokener_parse(h->out.data);
	EXPECT_MSG(o != NULL, "not JSON: %s", h->out.data);
	EXPECT(json_object_object_get_ex(o, "conversationState", &v));
	EXPECT(json_object_object_get_ex(v, "currentMessage", &v));
	EXPECT(json_object_object_get_ex(v, "userInputMessage", &v));
	EXPECT(json_object_object_get_ex(v, "content", &v));
	s = strdup(json_object_get_string(v));
	json_object_put(o);
	return s;
}

START_TEST(test_errors)
{
	struct hand h;
	struct arena a;
	struct buf out;

	hand_init(&h, "x");
	h.r.nmsgs = 0;
	EXPECT(hand_build(&h) == -1);
	EXPECT_MSG(strstr(h.err, "messages") != NULL, "err %s", h.err);
	/* only an assistant "{" prefill: nothing left to send */
	h.r.nmsgs = 1;
	h.m[0].role = C_ASSISTANT;
	h.p[0].text = "{";
	h.p[0].text_len = 1;
	h.err[0] = '\0';
	EXPECT(hand_build(&h) == -1);
	EXPECT_MSG(strstr(h.err, "messages") != NULL, "err %s", h.err);
	/* no model id at all */
	h.m[0].role = C_USER;
	h.k.model_id = NULL;
	h.r.model = NULL;
	EXPECT(hand_build(&h) == -1);
	EXPECT_MSG(strstr(h.err, "model") != NULL, "err %s", h.err);
	/* no model id: the client's name is sent */
	h.r.model = "claude-new-model";
	EXPECT(hand_build(&h) == 0);
	EXPECT(strstr(h.out.data, "\"modelId\":\"claude-new-model\"") != NULL);
	hand_free(&h);

	/* an output cap that is hit: an error, never a crash */
	hand_init(&h, "a fairly long text that does not fit in the cap");
	buf_init(&out, 64);
	h.err[0] = '\0';
	EXPECT(kiro_build_request(&h.r, &h.k, &h.a, &out, h.err,
	    sizeof(h.err)) == -1);
	EXPECT(h.err[0] != '\0');
	buf_free(&out);
	hand_free(&h);

	/* an arena that runs out */
	hand_init(&h, "hello");
	arena_init(&a, 64);
	buf_init(&out, 0);
	EXPECT(kiro_build_request(&h.r, &h.k, &a, &out, h.err,
	    sizeof(h.err)) == -1);
	buf_free(&out);
	arena_free(&a);
	hand_free(&h);
}
END_TEST

START_TEST(test_hostile_parts)
{
	struct hand h;
	json_object *o;
	size_t i;

	hand_init(&h, "hi");
	/* every pointer of every part type left NULL */
	h.m[0].role = C_USER;
	h.m[0].parts = &h.p[1];
	h.m[0].nparts = 3;
	h.p[1].type = C_TOOL_RESULT;		/* no id, no content */
	h.p[2].type = C_IMAGE;			/* neither data nor url */
	h.p[3].type = C_DOCUMENT;		/* nothing */
	h.m[1].role = C_ASSISTANT;		/* last: its calls stay */
	h.m[1].parts = &h.p[4];
	h.m[1].nparts = 4;
	h.p[4].type = C_TOOL_USE;		/* no id, name, input */
	h.p[5].type = C_TEXT;			/* text NULL */
	h.p[6].type = C_THINKING;		/* text NULL */
	h.p[7].type = C_TOOL_USE;
	h.p[7].id = "t1";
	h.p[7].name = "x";
	h.p[7].input = "[1,2]";			/* not an object */
	h.p[7].input_len = 5;
	h.r.nmsgs = 2;
	h.t[0].name = NULL;			/* a tool without a name */
	h.t[1].name = "ok";
	h.t[1].description = NULL;
	h.r.tools = h.t;
	h.r.ntools = 2;
	EXPECT_MSG(hand_build(&h) == 0, "err %s", h.err);
	o = json_tokener_parse(h.out.data);
	EXPECT_MSG(o != NULL, "not JSON: %s", h.out.data);
	expect_clean(o, "hostile");
	json_object_put(o);
	EXPECT(strstr(h.out.data, "\"input\":{},\"name\":\"x\"") != NULL);
	EXPECT(h.k.ntool_names == 1);
	EXPECT_STR(h.k.tool_names[0], "ok");
	/* image and document kinds, audio, as the only part */
	for (i = 0; i < 6; i++) {
		h.m[0].role = C_USER;
		h.m[0].parts = &h.p[0];
		h.m[0].nparts = 1;
		h.r.nmsgs = 1;
		memset(&h.p[0], 0, sizeof(h.p[0]));
		h.p[0].type = i < 2 ? C_IMAGE : (i < 4 ? C_DOCUMENT : C_AUDIO);
		h.p[0].data = i % 2 ? "AAAA" : NULL;
		h.p[0].data_len = i % 2 ? 4 : 0;
		EXPECT(hand_build(&h) == 0);
		o = json_tokener_parse(h.out.data);
		EXPECT_MSG(o != NULL, "not JSON: %s", h.out.data);
		expect_clean(o, "hostile part");
		json_object_put(o);
	}
	hand_free(&h);
}
END_TEST

START_TEST(test_descriptions)
{
	struct hand h;
	json_object *body, *v, *o;
	struct buf d;
	const char *s;
	size_t i, len;

	/* 9300 two-byte characters: cut after 9216 code points + "..." */
	buf_init(&d, 0);
	for (i = 0; i < 9300; i++)
		EXPECT(buf_addstr(&d, "\xc3\xa9") == 0);
	hand_init(&h, "hi");
	h.t[0].name = "t";
	h.t[0].description = d.data;
	h.t[1].name = "u";
	h.t[1].description = " \t";
	h.r.tools = h.t;
	h.r.ntools = 2;
	EXPECT(hand_build(&h) == 0);
	body = json_tokener_parse(h.out.data);
	EXPECT(body != NULL);
	json_object_object_get_ex(body, "conversationState", &v);
	json_object_object_get_ex(v, "currentMessage", &v);
	json_object_object_get_ex(v, "userInputMessage", &v);
	json_object_object_get_ex(v, "userInputMessageContext", &v);
	json_object_object_get_ex(v, "tools", &v);
	EXPECT(json_object_array_length(v) == 2);
	json_object_object_get_ex(json_object_array_get_idx(v, 0),
	    "toolSpecification", &o);
	json_object_object_get_ex(o, "description", &o);
	s = json_object_get_string(o);
	len = strlen(s);
	EXPECT_MSG(len == 9216 * 2 + 3, "length %zu", len);
	EXPECT(strcmp(s + len - 3, "...") == 0);
	EXPECT(memcmp(s, d.data, 9216 * 2) == 0);
	json_object_object_get_ex(json_object_array_get_idx(v, 1),
	    "toolSpecification", &o);
	json_object_object_get_ex(o, "description", &o);
	EXPECT_STR(json_object_get_string(o), "u");
	json_object_put(body);
	buf_free(&d);
	hand_free(&h);
}
END_TEST

START_TEST(test_estimate)
{
	struct hand h;
	json_object *o, *v;
	const char *tools;
	size_t len;
	int64_t want;

	hand_init(&h, "hello world");
	EXPECT(hand_build(&h) == 0);
	o = json_tokener_parse(h.out.data);
	json_object_object_get_ex(o, "conversationState", &v);
	json_object_object_get_ex(v, "currentMessage", &v);
	json_object_object_get_ex(v, "userInputMessage", &v);
	json_object_object_get_ex(v, "userInputMessageContext", &v);
	json_object_object_get_ex(v, "tools", &v);
	tools = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	want = c_est_tokens("hello world", 11) + c_est_tokens(tools, len);
	EXPECT_MSG(h.k.input_estimate == want, "estimate %lld, want %lld",
	    (long long)h.k.input_estimate, (long long)want);
	json_object_put(o);
	/* an image adds 1600 */
	h.p[1].type = C_IMAGE;
	h.p[1].media_type = "image/png";
	h.p[1].data = "AAAA";
	h.p[1].data_len = 4;
	h.m[0].nparts = 2;
	EXPECT(hand_build(&h) == 0);
	EXPECT(h.k.input_estimate == want + 1600);
	hand_free(&h);
}
END_TEST

START_TEST(test_thinking_sources)
{
	static const struct {
		enum c_thinking	 mode;
		int64_t		 budget;
		const char	*effort;
		const char	*prefix;	/* NULL: none */
	} t[] = {
		{ C_THINK_UNSET, 0, "low", "<thinking_mode>enabled"
		    "</thinking_mode><max_thinking_length>2048"
		    "</max_thinking_length>\n\nq" },
		{ C_THINK_UNSET, 0, "none", NULL },
		{ C_THINK_UNSET, -1, NULL, "<thinking_mode>enabled"
		    "</thinking_mode><max_thinking_length>8192"
		    "</max_thinking_length>\n\nq" },
		{ C_THINK_UNSET, 99999, NULL, "<thinking_mode>enabled"
		    "</thinking_mode><max_thinking_length>24576"
		    "</max_thinking_length>\n\nq" },
		{ C_THINK_ENABLED, 0, NULL, "<thinking_mode>enabled"
		    "</thinking_mode><max_thinking_length>20000"
		    "</max_thinking_length>\n\nq" },
		{ C_THINK_ADAPTIVE, 0, NULL, "<thinking_mode>adaptive"
		    "</thinking_mode><thinking_effort>high"
		    "</thinking_effort>\n\nq" },
		{ C_THINK_ADAPTIVE, 0, "extreme", "<thinking_mode>adaptive"
		    "</thinking_mode><thinking_effort>high"
		    "</thinking_effort>\n\nq" },
		{ C_THINK_DISABLED, 5000, "high", NULL },
	};
	struct hand h;
	size_t i;
	char *s;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		hand_init(&h, "q");
		h.r.thinking = t[i].mode;
		h.r.thinking_budget = t[i].budget;
		h.r.reasoning_effort = t[i].effort;
		EXPECT(hand_build(&h) == 0);
		s = current_content(&h);
		EXPECT_MSG(strcmp(s, t[i].prefix ? t[i].prefix : "q") == 0,
		    "case %zu: %s", i, s);
		EXPECT_MSG(h.k.thinking == (t[i].prefix != NULL),
		    "case %zu: thinking %d", i, h.k.thinking);
		free(s);
		hand_free(&h);
	}
}
END_TEST

/* ---- hostile input: every member of the fixtures' requests mutated ------- */

static const char *const mutants[] = {
	"null", "0", "-1", "1.5", "\"\"", "\"{\"", "[]", "{}", "true",
	"[{}]", "{\"type\":\"text\",\"text\":\"{\"}",
	"[{\"type\":\"tool_use\",\"id\":\"A\",\"name\":\"n\"}]",
	"[{\"type\":\"tool_result\",\"tool_use_id\":\"A\"}]",
	"\"assistant\"",
};
#define NMUTANTS	(sizeof(mutants) / sizeof(mutants[0]))

static int	nfuzz;

static json_object *
parse_deep(const char *s)
{
	struct json_tokener *tok;
	json_object *o;

	tok = json_tokener_new_ex(256);
	o = json_tokener_parse_ex(tok, s, (int)strlen(s));
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Decode; when accepted, build: valid JSON without nulls, or an error. */
static void
exercise(json_object *body)
{
	struct c_request r;
	struct kiro_req k;
	struct arena a;
	struct buf out;
	json_object *o;
	char err[256];

	nfuzz++;
	arena_init(&a, 0);
	if (claude_decode_request(body, NULL, -1, &r, &a, err,
	    sizeof(err)) == 0) {
		memset(&k, 0, sizeof(k));
		k.model_id = "m";
		k.profile_arn = nfuzz % 2 ? "arn" : NULL;
		buf_init(&out, 0);
		err[0] = '\0';
		if (kiro_build_request(&r, &k, &a, &out, err,
		    sizeof(err)) == 0) {
			o = parse_deep(out.data);
			EXPECT_MSG(o != NULL, "not JSON: %.300s", out.data);
			expect_clean(o, "fuzz");
			json_object_put(o);
		} else
			EXPECT(err[0] != '\0');
		buf_free(&out);
	}
	arena_free(&a);
}

static void
mutate(json_object *root, json_object *node, int depth)
{
	json_object *orig, *v;
	size_t i, j, n;
	char **keys;

	if (depth > 12)
		return;
	if (json_object_is_type(node, json_type_object)) {
		n = (size_t)json_object_object_length(node);
		keys = calloc(n + 1, sizeof(*keys));
		EXPECT(keys != NULL);
		i = 0;
		json_object_object_foreach(node, key, val) {
			(void)val;
			keys[i++] = strdup(key);
		}
		for (i = 0; i < n; i++) {
			json_object_object_get_ex(node, keys[i], &v);
			orig = json_object_get(v);
			for (j = 0; j < NMUTANTS; j++) {
				json_object_object_add(node, keys[i],
				    json_tokener_parse(mutants[j]));
				exercise(root);
			}
			json_object_object_del(node, keys[i]);
			exercise(root);
			json_object_object_add(node, keys[i], orig);
			mutate(root, orig, depth + 1);
			free(keys[i]);
		}
		free(keys);
	} else if (json_object_is_type(node, json_type_array)) {
		n = json_object_array_length(node);
		for (i = 0; i < n; i++) {
			orig = json_object_get(json_object_array_get_idx(node,
			    i));
			for (j = 0; j < NMUTANTS; j++) {
				json_object_array_put_idx(node, i,
				    json_tokener_parse(mutants[j]));
				exercise(root);
			}
			json_object_array_put_idx(node, i, orig);
			mutate(root, orig, depth + 1);
		}
	}
}

START_TEST(test_hostile_fixture)
{
	json_object *c, *in;

	if ((size_t)_i < NOWN) {
		c = load("%s/claude/kiro/%s.json", own_cases[_i]);
		EXPECT(json_object_object_get_ex(c, "input", &in));
	} else {
		c = load("%s/kiro/requests/%s.claude.json",
		    spec_cases[_i - NOWN]);
		in = c;
	}
	nfuzz = 0;
	exercise(in);
	mutate(in, in, 0);
	EXPECT(nfuzz > 10);
	json_object_put(c);
}
END_TEST

/* ---- model table --------------------------------------------------------- */

START_TEST(test_models_builtin)
{
	static const char *const known[][2] = {
		{ "claude-haiku-4-5", "claude-haiku-4.5" },
		{ "claude-haiku-4-5-20251001", "claude-haiku-4.5" },
		{ "claude-sonnet-4-5", "claude-sonnet-4.5" },
		{ "claude-sonnet-4-5-20250929", "claude-sonnet-4.5" },
		{ "claude-sonnet-4-6", "claude-sonnet-4.6" },
		{ "claude-opus-4-5", "claude-opus-4.5" },
		{ "claude-opus-4-5-20251101", "claude-opus-4.5" },
		{ "claude-opus-4-6", "claude-opus-4.6" },
		{ "claude-opus-4-7", "claude-opus-4.7" },
		{ "claude-opus-4-8", "claude-opus-4.8" },
		{ "claude-sonnet-4-20250514", "CLAUDE_SONNET_4_20250514_V1_0" },
		{ "claude-3-7-sonnet-20250219",
		    "CLAUDE_3_7_SONNET_20250219_V1_0" },
		{ "amazonq-claude-sonnet-4-20250514",
		    "CLAUDE_SONNET_4_20250514_V1_0" },
		{ "amazonq-claude-3-7-sonnet-20250219",
		    "CLAUDE_3_7_SONNET_20250219_V1_0" },
	};
	const char **names;
	size_t i, n;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		EXPECT_STR(kiro_model_id(NULL, known[i][0]), known[i][1]);
	EXPECT(kiro_model_id(NULL, "gpt-4o") == NULL);
	EXPECT(kiro_model_id(NULL, "") == NULL);
	EXPECT(kiro_model_id(NULL, NULL) == NULL);
	EXPECT(kiro_model_id(NULL, "claude-sonnet-4-5 ") == NULL);
	EXPECT(kiro_model_id(NULL, KIRO_DEFAULT_MODEL) != NULL);
	n = kiro_model_names(NULL, NULL, &names);
	EXPECT(n == sizeof(known) / sizeof(known[0]));
	for (i = 1; i < n; i++)
		EXPECT_MSG(strcmp(names[i - 1], names[i]) < 0, "%s >= %s",
		    names[i - 1], names[i]);
	for (i = 0; i < n; i++)
		EXPECT(kiro_model_id(NULL, names[i]) != NULL);
	EXPECT(kiro_context_window(NULL, "claude-opus-4-6") == 1000000);
	EXPECT(kiro_context_window(NULL, "claude-sonnet-4-5") == 200000);
	EXPECT(kiro_context_window(NULL, "claude-3-7-sonnet-20250219") ==
	    200000);
	EXPECT(kiro_context_window(NULL, "unknown") == 200000);
	EXPECT(kiro_context_window(NULL, NULL) == 200000);
}
END_TEST

START_TEST(test_models_configured)
{
	struct conf c;
	struct arena a;
	const char **names;
	size_t i, n, nb;

	memset(&c, 0, sizeof(c));
	nb = kiro_model_names(NULL, NULL, &names);
	c.kiro_models = json_tokener_parse("{\"claude-sonnet-4-5\":"
	    "\"claude-sonnet-4.5-v2\",\"aaa-first\":\"A1\",\"zzz-last\":\"Z1\","
	    "\"bad-value\":7,\"empty-value\":\"\",\"claude-opus-4-5\":null}");
	c.kiro_context_windows = json_tokener_parse("{\"claude-sonnet-4-5\":"
	    "123456,\"zzz-last\":\"64000\",\"claude-opus-4-6\":\"junk\","
	    "\"claude-opus-4-7\":-5,\"aaa-first\":1.5e5}");
	EXPECT(c.kiro_models != NULL && c.kiro_context_windows != NULL);
	EXPECT_STR(kiro_model_id(&c, "claude-sonnet-4-5"),
	    "claude-sonnet-4.5-v2");
	EXPECT_STR(kiro_model_id(&c, "aaa-first"), "A1");
	EXPECT_STR(kiro_model_id(&c, "zzz-last"), "Z1");
	EXPECT(kiro_model_id(&c, "bad-value") == NULL);
	EXPECT(kiro_model_id(&c, "empty-value") == NULL);
	/* an unusable value leaves the built-in entry alone */
	EXPECT_STR(kiro_model_id(&c, "claude-opus-4-5"), "claude-opus-4.5");
	EXPECT_STR(kiro_model_id(&c, "claude-haiku-4-5"), "claude-haiku-4.5");
	arena_init(&a, 0);
	n = kiro_model_names(&c, &a, &names);
	EXPECT_MSG(n == nb + 2, "%zu names", n);
	EXPECT_STR(names[0], "aaa-first");
	EXPECT_STR(names[n - 1], "zzz-last");
	for (i = 1; i < n; i++)
		EXPECT_MSG(strcmp(names[i - 1], names[i]) < 0, "%s >= %s",
		    names[i - 1], names[i]);
	/* without an arena: the built-in list */
	EXPECT(kiro_model_names(&c, NULL, &names) == nb);
	EXPECT(kiro_context_window(&c, "claude-sonnet-4-5") == 123456);
	EXPECT(kiro_context_window(&c, "zzz-last") == 64000);
	EXPECT(kiro_context_window(&c, "aaa-first") == 150000);
	EXPECT(kiro_context_window(&c, "claude-opus-4-6") == 1000000);
	EXPECT(kiro_context_window(&c, "claude-opus-4-7") == 1000000);
	EXPECT(kiro_context_window(&c, "nothing") == 200000);
	arena_free(&a);
	json_object_put(c.kiro_models);
	json_object_put(c.kiro_context_windows);

	/* not a mapping at all: ignored */
	c.kiro_models = json_object_new_string("x");
	c.kiro_context_windows = json_object_new_array();
	EXPECT_STR(kiro_model_id(&c, "claude-sonnet-4-5"), "claude-sonnet-4.5");
	EXPECT(kiro_context_window(&c, "claude-opus-4-6") == 1000000);
	arena_init(&a, 0);
	EXPECT(kiro_model_names(&c, &a, &names) == nb);
	arena_free(&a);
	json_object_put(c.kiro_models);
	json_object_put(c.kiro_context_windows);
}
END_TEST

static Suite *
kiro_request_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("kiro_request");
	tc = tcase_create("fixtures");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_spec_fixture, 0,
	    sizeof(spec_cases) / sizeof(spec_cases[0]));
	tcase_add_loop_test(tc, test_own_fixture, 0, NOWN);
	suite_add_tcase(s, tc);
	tc = tcase_create("builder");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_conversation_id);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_hostile_parts);
	tcase_add_test(tc, test_descriptions);
	tcase_add_test(tc, test_estimate);
	tcase_add_test(tc, test_thinking_sources);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_hostile_fixture, 0, NOWN +
	    sizeof(spec_cases) / sizeof(spec_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("models");
	tcase_add_test(tc, test_models_builtin);
	tcase_add_test(tc, test_models_configured);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(kiro_request_suite)

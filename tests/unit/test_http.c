/*
 * test_http.c: unit tests for the HTTP/1.1 request parser.  Every
 * request in the valid and malformed tables is fed whole, split in two
 * at every byte boundary, and byte by byte; all runs must agree.  Also
 * pipelining, buffer reuse on reset, http_query_get and http_reason.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "unit.h"
#include "util.h"

#define T_MAX_HEAD	4096
#define T_MAX_BODY	64

struct outcome {
	enum http_result	 r;
	size_t			 used;	/* bytes consumed in all */
	int			 heads;	/* HTTP_HEAD_DONE count */
};

/*
 * Feed data[0..n) to p: a first piece of `first` bytes, then pieces
 * of `step` bytes, the way a worker would after each read().  Stops
 * at HTTP_COMPLETE or HTTP_ERROR; HTTP_HEAD_DONE feeds the rest of the
 * piece (possibly none of it) again.
 */
static struct outcome
drive(struct http_parser *p, const char *data, size_t n, size_t first,
    size_t step)
{
	struct outcome o;
	size_t off = 0, limit, c;

	o.heads = 0;
	limit = first < n ? first : n;
	for (;;) {
		o.r = http_parser_feed(p, data + off, limit - off, &c);
		ck_assert_uint_le(c, limit - off);
		off += c;
		if (o.r == HTTP_HEAD_DONE) {
			o.heads++;
			ck_assert_int_le(o.heads, 1);
			continue;
		}
		if (o.r == HTTP_COMPLETE || o.r == HTTP_ERROR)
			break;
		ck_assert_int_eq(o.r, HTTP_NEED_MORE);
		ck_assert_uint_eq(off, limit);
		if (limit == n)
			break;
		limit = n - limit > step ? limit + step : n;
	}
	o.used = off;
	return o;
}

/* --- valid requests -------------------------------------------------- */

struct valid_case {
	const char	*raw;
	const char	*method;
	const char	*path;
	const char	*query;
	int		 minor;
	const char	*hname;		/* a header to look up, or NULL */
	const char	*hvalue;
	const char	*body;
	int		 keep_alive;
	int		 expect_continue;
	int		 chunked;
};

static const struct valid_case valid_cases[] = {
	{ "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n"
	  "User-Agent: t/1.0\r\n\r\n",
	  "GET", "/v1/models", "", 1, "user-agent", "t/1.0", "", 1, 0, 0 },
	{ "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
	  "Content-Type: application/json\r\nContent-Length: 13\r\n\r\n"
	  "{\"a\":\"hello\"}",
	  "POST", "/v1/chat/completions", "", 1, "content-type",
	  "application/json", "{\"a\":\"hello\"}", 1, 0, 0 },
	{ "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "5;name=val\r\nhello\r\n6 ; a=b;c=\"d\"\r\n world\r\n"
	  "0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n",
	  "POST", "/up", "", 1, "transfer-encoding", "chunked",
	  "hello world", 1, 0, 1 },
	{ "PUT /hex HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  Chunked \r\n"
	  "\r\nA\r\n0123456789\r\n00000000000000a\r\n"
	  "\r\n\r\n\r\n\r\n\r\n\r\n000\r\n\r\n",
	  "PUT", "/hex", "", 1, "Host", "x",
	  "0123456789\r\n\r\n\r\n\r\n\r\n",
	  1, 0, 1 },
	{ "POST /lfchunks HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n"
	  "3\nabc\n0\n\n",
	  "POST", "/lfchunks", "", 1, NULL, NULL, "abc", 1, 0, 1 },
	{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	  "GET", "/", "", 0, "connection", "keep-alive", "", 1, 0, 0 },
	{ "GET /x HTTP/1.0\r\n\r\n",
	  "GET", "/x", "", 0, NULL, NULL, "", 0, 0, 0 },
	{ "GET /x HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
	  "GET", "/x", "", 0, NULL, NULL, "", 0, 0, 0 },
	{ "GET /c HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n",
	  "GET", "/c", "", 1, NULL, NULL, "", 0, 0, 0 },
	{ "GET http://example.com:8080/v1/models?x=1 HTTP/1.1\r\n"
	  "Host: example.com:8080\r\n\r\n",
	  "GET", "/v1/models", "x=1", 1, "host", "example.com:8080", "",
	  1, 0, 0 },
	{ "OPTIONS HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
	  "OPTIONS", "/", "", 1, NULL, NULL, "", 1, 0, 0 },
	{ "GET http://example.com?k=v HTTP/1.1\r\nHost: example.com\r\n\r\n",
	  "GET", "/", "k=v", 1, NULL, NULL, "", 1, 0, 0 },
	{ "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
	  "OPTIONS", "*", "", 1, NULL, NULL, "", 1, 0, 0 },
	{ "GET /search?q=a+b&x=%20y HTTP/1.1\r\nHost: h\r\n\r\n",
	  "GET", "/search", "q=a+b&x=%20y", 1, NULL, NULL, "", 1, 0, 0 },
	{ "GET /empty? HTTP/1.1\r\nHost: h\r\n\r\n",
	  "GET", "/empty", "", 1, NULL, NULL, "", 1, 0, 0 },
	{ "GET /?only HTTP/1.1\r\nHost: h\r\n\r\n",
	  "GET", "/", "only", 1, NULL, NULL, "", 1, 0, 0 },
	{ "POST /lf HTTP/1.1\nHost: h\nContent-Length: 3\n\nabc",
	  "POST", "/lf", "", 1, "content-length", "3", "abc", 1, 0, 0 },
	{ "GET /mixed HTTP/1.1\r\nHost: h\n\r\n",
	  "GET", "/mixed", "", 1, "HOST", "h", "", 1, 0, 0 },
	{ "\r\n\r\n\nGET /lead HTTP/1.1\r\nHost: h\r\n\r\n",
	  "GET", "/lead", "", 1, NULL, NULL, "", 1, 0, 0 },
	{ "POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
	  "Content-Length: 2\r\n\r\nok",
	  "POST", "/e", "", 1, "expect", "100-Continue", "ok", 1, 1, 0 },
	{ "POST /e HTTP/1.0\r\nExpect: 100-continue\r\n"
	  "Content-Length: 2\r\n\r\nok",
	  "POST", "/e", "", 0, NULL, NULL, "ok", 0, 0, 0 },
	{ "GET /trim HTTP/1.1\r\nHost: h\r\nX-Pad: \t  spaced  value \t \r\n"
	  "X-Empty:\r\n\r\n",
	  "GET", "/trim", "", 1, "x-pad", "spaced  value", "", 1, 0, 0 },
	{ "GET /trim HTTP/1.1\r\nHost: h\r\nX-Empty:   \r\n\r\n",
	  "GET", "/trim", "", 1, "x-empty", "", "", 1, 0, 0 },
	{ "POST /dup HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
	  "Content-Length: 3, 3\r\n\r\nabc",
	  "POST", "/dup", "", 1, NULL, NULL, "abc", 1, 0, 0 },
	{ "POST /zero HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
	  "POST", "/zero", "", 1, NULL, NULL, "", 1, 0, 0 },
	{ "POST /crlf HTTP/1.1\r\nHost: h\r\nContent-Length: 8\r\n\r\n"
	  "a\r\n\r\nb\r\n",
	  "POST", "/crlf", "", 1, NULL, NULL, "a\r\n\r\nb\r\n", 1, 0, 0 },
	{ "POST /old HTTP/1.0\r\nConnection: keep-alive\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
	  "POST", "/old", "", 0, NULL, NULL, "hi", 0, 0, 1 },
	{ "!#$%&'*+-.^_`|~ /%7E/a%20b;p HTTP/1.1\r\nHost: h\r\n"
	  "X-8bit: caf\xc3\xa9\r\n\r\n",
	  "!#$%&'*+-.^_`|~", "/%7E/a%20b;p", "", 1, "x-8bit",
	  "caf\xc3\xa9", "", 1, 0, 0 },
};

static void
check_valid(const struct valid_case *vc, struct http_parser *p,
    struct outcome o, const char *how)
{
	size_t n = strlen(vc->raw);

	ck_assert_msg(o.r == HTTP_COMPLETE, "%s: result %d status %d (%s)",
	    how, o.r, p->status, p->error != NULL ? p->error : "");
	ck_assert_msg(o.used == n, "%s: consumed %zu of %zu", how, o.used, n);
	ck_assert_int_eq(o.heads, 1);
	ck_assert_str_eq(p->method, vc->method);
	ck_assert_str_eq(p->path, vc->path);
	ck_assert_str_eq(p->query, vc->query);
	ck_assert_int_eq(p->version_minor, vc->minor);
	if (vc->hname != NULL) {
		ck_assert_ptr_nonnull(http_header_get(p, vc->hname));
		ck_assert_str_eq(http_header_get(p, vc->hname), vc->hvalue);
	}
	ck_assert_uint_eq(p->body.len, strlen(vc->body));
	if (p->body.len > 0) {
		ck_assert_mem_eq(p->body.data, vc->body, p->body.len);
		ck_assert_int_eq(p->body.data[p->body.len], '\0');
	}
	ck_assert_msg(p->keep_alive == vc->keep_alive, "%s: keep_alive %d",
	    how, p->keep_alive);
	ck_assert_int_eq(p->expect_continue, vc->expect_continue);
	ck_assert_int_eq(p->chunked, vc->chunked);
	ck_assert_int_eq(p->status, 0);
}

START_TEST(test_valid)
{
	const struct valid_case *vc = &valid_cases[_i];
	struct http_parser p;
	struct outcome o;
	size_t n = strlen(vc->raw), k;
	char how[64];

	http_parser_init(&p, T_MAX_HEAD, T_MAX_BODY);

	o = drive(&p, vc->raw, n, n, n);
	check_valid(vc, &p, o, "whole");

	for (k = 0; k <= n; k++) {
		http_parser_reset(&p);
		o = drive(&p, vc->raw, n, k, n);
		snprintf(how, sizeof(how), "split at %zu", k);
		check_valid(vc, &p, o, how);
	}

	http_parser_reset(&p);
	o = drive(&p, vc->raw, n, 1, 1);
	check_valid(vc, &p, o, "byte by byte");

	http_parser_free(&p);
}
END_TEST

/* --- malformed requests ---------------------------------------------- */

static char *
gen_big_header(void)
{
	char *s;
	const char *head = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: ";
	size_t n = strlen(head);

	s = malloc(n + T_MAX_HEAD + 16);
	ck_assert_ptr_nonnull(s);
	memcpy(s, head, n);
	memset(s + n, 'b', T_MAX_HEAD);
	strcpy(s + n + T_MAX_HEAD, "\r\n\r\n");
	return s;
}

static char *
gen_many_headers(void)
{
	char *s;
	size_t i, off;

	s = malloc(64 + (HTTP_MAX_HEADERS + 1) * 16);
	ck_assert_ptr_nonnull(s);
	off = (size_t)sprintf(s, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		off += (size_t)sprintf(s + off, "X-%zu: v\r\n", i);
	strcpy(s + off, "\r\n");
	return s;
}

static char *
gen_many_blank_lines(void)
{
	char *s;
	size_t i;

	s = malloc(T_MAX_HEAD + 64);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < T_MAX_HEAD / 2 + 1; i++)
		memcpy(s + 2 * i, "\r\n", 2);
	strcpy(s + 2 * i, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	return s;
}

static char *
gen_long_chunk_ext(void)
{
	char *s;
	const char *head = "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n1;x=";
	size_t n = strlen(head);

	s = malloc(n + 4200 + 16);
	ck_assert_ptr_nonnull(s);
	memcpy(s, head, n);
	memset(s + n, 'e', 4200);
	strcpy(s + n + 4200, "\r\na\r\n0\r\n\r\n");
	return s;
}

static char *
gen_big_trailers(void)
{
	char *s;
	const char *head = "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: ";
	size_t n = strlen(head);

	s = malloc(n + T_MAX_HEAD + 16);
	ck_assert_ptr_nonnull(s);
	memcpy(s, head, n);
	memset(s + n, 't', T_MAX_HEAD);
	strcpy(s + n + T_MAX_HEAD, "\r\n\r\n");
	return s;
}

struct bad_case {
	const char	*what;
	const char	*raw;		/* or NULL and gen */
	size_t		 len;		/* of raw, which may hold a NUL */
	char		*(*gen)(void);	/* malloc'd request */
	int		 status;
	int		 head_filled;	/* method and path must be set */
};

#define H	"Host: h\r\n"
#define TE	"Transfer-Encoding: chunked\r\n"
#define B32	"0123456789abcdef0123456789abcdef"
#define R(s)	(s), sizeof(s) - 1

static const struct bad_case bad_cases[] = {
	{ "missing version", R("GET /\r\n" H "\r\n"), NULL, 400, 0 },
	{ "extra space", R("GET  / HTTP/1.1\r\n" H "\r\n"), NULL, 400, 0 },
	{ "trailing space", R("GET / HTTP/1.1 \r\n" H "\r\n"), NULL, 400, 0 },
	{ "space in target", R("GET /a b HTTP/1.1\r\n" H "\r\n"), NULL,
	  400, 0 },
	{ "lowercase version", R("GET / http/1.1\r\n" H "\r\n"), NULL, 400, 0 },
	{ "version garbage", R("GET / HTTP/1.10\r\n" H "\r\n"), NULL, 400, 0 },
	{ "version garbage 2", R("GET / HTTP/x.y\r\n" H "\r\n"), NULL, 400, 0 },
	{ "control in target", R("GET /a\x01z HTTP/1.1\r\n" H "\r\n"), NULL,
	  400, 0 },
	{ "DEL in target", R("GET /a\x7f HTTP/1.1\r\n" H "\r\n"), NULL,
	  400, 0 },
	{ "tab in target", R("GET /a\tb HTTP/1.1\r\n" H "\r\n"), NULL, 400, 0 },
	{ "bare CR in line", R("GET / HTTP/1.1\r\r\n" H "\r\n"), NULL, 400, 0 },
	{ "empty target", R("GET  HTTP/1.1\r\n" H "\r\n"), NULL, 400, 0 },
	{ "relative target", R("GET a/b HTTP/1.1\r\n" H "\r\n"), NULL, 400, 0 },
	{ "asterisk not OPTIONS", R("GET * HTTP/1.1\r\n" H "\r\n"), NULL,
	  400, 0 },
	{ "empty authority", R("GET http:///x HTTP/1.1\r\n" H "\r\n"), NULL,
	  400, 0 },
	{ "method not a token", R("G(T / HTTP/1.1\r\n" H "\r\n"), NULL,
	  400, 0 },
	{ "method too long", R("ABCDEFGHIJKLMNOP / HTTP/1.1\r\n" H "\r\n"),
	  NULL, 400, 0 },
	{ "empty method", R(" / HTTP/1.1\r\n" H "\r\n"), NULL, 400, 0 },
	{ "garbage line", R("hello\r\n\r\n"), NULL, 400, 0 },
	{ "HTTP/2.0", R("GET / HTTP/2.0\r\n" H "\r\n"), NULL, 505, 0 },
	{ "HTTP/1.2", R("GET / HTTP/1.2\r\n" H "\r\n"), NULL, 505, 0 },
	{ "HTTP/0.9", R("GET / HTTP/0.9\r\n\r\n"), NULL, 505, 0 },
	{ "differing CL", R("POST / HTTP/1.1\r\n" H "Content-Length: 3\r\n"
	  "Content-Length: 4\r\n\r\nabcd"), NULL, 400, 0 },
	{ "differing CL list", R("POST / HTTP/1.1\r\n" H
	  "Content-Length: 3, 4\r\n\r\nabcd"), NULL, 400, 0 },
	{ "CL with sign", R("POST / HTTP/1.1\r\n" H "Content-Length: +3\r\n"
	  "\r\nabc"), NULL, 400, 0 },
	{ "CL negative", R("POST / HTTP/1.1\r\n" H "Content-Length: -1\r\n"
	  "\r\n"), NULL, 400, 0 },
	{ "CL inner space", R("POST / HTTP/1.1\r\n" H "Content-Length: 1 2\r\n"
	  "\r\n"), NULL, 400, 0 },
	{ "CL hex", R("POST / HTTP/1.1\r\n" H "Content-Length: 0x1\r\n"
	  "\r\n"), NULL, 400, 0 },
	{ "CL empty", R("POST / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n"),
	  NULL, 400, 0 },
	{ "CL empty element", R("POST / HTTP/1.1\r\n" H
	  "Content-Length: 1,,1\r\n\r\na"), NULL, 400, 0 },
	{ "CL overflow", R("POST / HTTP/1.1\r\n" H
	  "Content-Length: 99999999999999999999\r\n\r\n"), NULL, 400, 0 },
	{ "CL and TE", R("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\n" TE
	  "\r\n0\r\n\r\n"), NULL, 400, 0 },
	{ "TE and CL", R("POST / HTTP/1.1\r\n" H TE "Content-Length: 5\r\n"
	  "\r\n0\r\n\r\n"), NULL, 400, 0 },
	{ "TE gzip", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n"
	  "\r\n"), NULL, 501, 0 },
	{ "TE gzip, chunked", R("POST / HTTP/1.1\r\n" H
	  "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), NULL, 501, 0 },
	{ "TE chunked, gzip", R("POST / HTTP/1.1\r\n" H
	  "Transfer-Encoding: chunked, gzip\r\n\r\n"), NULL, 501, 0 },
	{ "TE twice", R("POST / HTTP/1.1\r\n" H TE TE "\r\n0\r\n\r\n"), NULL,
	  501, 0 },
	{ "TE chunkedx", R("POST / HTTP/1.1\r\n" H
	  "Transfer-Encoding: chunkedx\r\n\r\n"), NULL, 501, 0 },
	{ "TE empty", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: \r\n\r\n"),
	  NULL, 400, 0 },
	{ "chunk size zz", R("POST / HTTP/1.1\r\n" H TE "\r\nzz\r\n\r\n"), NULL,
	  400, 1 },
	{ "chunk size -1", R("POST / HTTP/1.1\r\n" H TE "\r\n-1\r\n\r\n"), NULL,
	  400, 1 },
	{ "chunk size 17 digits", R("POST / HTTP/1.1\r\n" H TE
	  "\r\n00000000000000001\r\na\r\n0\r\n\r\n"), NULL, 400, 1 },
	{ "chunk size empty", R("POST / HTTP/1.1\r\n" H TE "\r\n\r\n"), NULL,
	  400, 1 },
	{ "chunk size trailing junk", R("POST / HTTP/1.1\r\n" H TE
	  "\r\n1x\r\na\r\n0\r\n\r\n"), NULL, 400, 1 },
	{ "chunk size trailing space", R("POST / HTTP/1.1\r\n" H TE
	  "\r\n1 \r\na\r\n0\r\n\r\n"), NULL, 400, 1 },
	{ "chunk ext control", R("POST / HTTP/1.1\r\n" H TE
	  "\r\n1;a\rb\r\na\r\n0\r\n\r\n"), NULL, 400, 1 },
	{ "no CRLF after data", R("POST / HTTP/1.1\r\n" H TE
	  "\r\n5\r\nhelloXX\r\n0\r\n\r\n"), NULL, 400, 1 },
	{ "CR then junk after data", R("POST / HTTP/1.1\r\n" H TE
	  "\r\n5\r\nhello\rX\n0\r\n\r\n"), NULL, 400, 1 },
	{ "long chunk ext", NULL, 0, gen_long_chunk_ext, 400, 1 },
	{ "malformed trailer", R("POST / HTTP/1.1\r\n" H TE
	  "\r\n1\r\na\r\n0\r\nnocolon\r\n\r\n"), NULL, 400, 1 },
	{ "big trailers", NULL, 0, gen_big_trailers, 431, 1 },
	{ "no colon", R("GET / HTTP/1.1\r\n" H "NoColon\r\n\r\n"), NULL,
	  400, 0 },
	{ "space before colon", R("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), NULL,
	  400, 0 },
	{ "empty name", R("GET / HTTP/1.1\r\n" H ": v\r\n\r\n"), NULL, 400, 0 },
	{ "obs-fold", R("GET / HTTP/1.1\r\n" H "X-A: a\r\n b\r\n\r\n"), NULL,
	  400, 0 },
	{ "obs-fold tab", R("GET / HTTP/1.1\r\n" H "X-A: a\r\n\tb\r\n\r\n"),
	  NULL, 400, 0 },
	{ "control in value", R("GET / HTTP/1.1\r\n" H "X-A: a\x01z\r\n\r\n"),
	  NULL, 400, 0 },
	{ "bare CR in value", R("GET / HTTP/1.1\r\n" H "X-A: a\rz\r\n\r\n"),
	  NULL, 400, 0 },
	{ "NUL in value", R("GET / HTTP/1.1\r\n" H "X-A: a\0z\r\n\r\n"),
	  NULL, 400, 0 },
	{ "oversized head", NULL, 0, gen_big_header, 431, 0 },
	{ "too many headers", NULL, 0, gen_many_headers, 431, 0 },
	{ "too many blank lines", NULL, 0, gen_many_blank_lines, 431, 0 },
	{ "CL over max_body", R("POST /big HTTP/1.1\r\n" H
	  "Content-Length: 65\r\n\r\n"), NULL, 413, 1 },
	{ "chunk over max_body", R("POST /big HTTP/1.1\r\n" H TE
	  "\r\n41\r\n" B32 B32 "x\r\n0\r\n\r\n"), NULL, 413, 1 },
	{ "chunks sum over max_body", R("POST /big HTTP/1.1\r\n" H TE
	  "\r\n20\r\n" B32 "\r\n21\r\n" B32 "x\r\n0\r\n\r\n"), NULL, 413, 1 },
	{ "huge chunk", R("POST /big HTTP/1.1\r\n" H TE
	  "\r\nffffffffffffffff\r\n"), NULL, 413, 1 },
	{ "missing Host", R("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), NULL,
	  400, 0 },
	{ "duplicate Host", R("GET / HTTP/1.1\r\n" H H "\r\n"), NULL, 400, 0 },
};

static void
check_bad(const struct bad_case *bc, struct http_parser *p,
    struct outcome o, const char *want_error, const char *how)
{
	ck_assert_msg(o.r == HTTP_ERROR, "%s: %s: result %d", bc->what, how,
	    o.r);
	ck_assert_msg(p->status == bc->status, "%s: %s: status %d (%s)",
	    bc->what, how, p->status, p->error);
	ck_assert_ptr_nonnull(p->error);
	ck_assert_str_eq(p->error, want_error);
	ck_assert_int_eq(p->keep_alive, 0);
	if (bc->head_filled) {
		ck_assert_ptr_nonnull(p->method);
		ck_assert_ptr_nonnull(p->path);
		ck_assert_str_eq(p->path, bc->status == 413 ? "/big" : "/");
	}
	if (bc->status == 413 && bc->head_filled && p->chunked == 0)
		ck_assert_int_eq(o.heads, 0);	/* refused from the head */
}

START_TEST(test_bad)
{
	const struct bad_case *bc = &bad_cases[_i];
	struct http_parser p;
	struct outcome o;
	const char *raw, *want;
	char *gen = NULL, how[64];
	size_t n, k;
	enum http_result r;

	if (bc->gen != NULL) {
		gen = bc->gen();
		raw = gen;
		n = strlen(raw);
	} else {
		raw = bc->raw;
		n = bc->len;
	}
	http_parser_init(&p, T_MAX_HEAD, T_MAX_BODY);

	o = drive(&p, raw, n, n, n);
	want = p.error;
	check_bad(bc, &p, o, want, "whole");

	/* The error is sticky. */
	r = http_parser_feed(&p, "x", 1, &k);
	ck_assert_int_eq(r, HTTP_ERROR);
	ck_assert_uint_eq(k, 0);

	for (k = 0; k <= n; k++) {
		http_parser_reset(&p);
		o = drive(&p, raw, n, k, n);
		snprintf(how, sizeof(how), "split at %zu", k);
		check_bad(bc, &p, o, want, how);
	}

	http_parser_reset(&p);
	o = drive(&p, raw, n, 1, 1);
	check_bad(bc, &p, o, want, "byte by byte");

	http_parser_free(&p);
	free(gen);
}
END_TEST

/* --- limits, pipelining, reuse --------------------------------------- */

/* A head of exactly max_head bytes passes; one more byte is 431. */
START_TEST(test_head_limit)
{
	struct http_parser p;
	struct outcome o;
	char *s;
	size_t pad, n, fixed;
	const char *a = "GET / HTTP/1.1\r\nHost: h\r\nX-P: ", *z = "\r\n\r\n";

	fixed = strlen(a) + strlen(z);
	s = malloc(T_MAX_HEAD + 2);
	ck_assert_ptr_nonnull(s);
	http_parser_init(&p, T_MAX_HEAD, T_MAX_BODY);
	for (pad = T_MAX_HEAD - fixed; pad <= T_MAX_HEAD - fixed + 1; pad++) {
		strcpy(s, a);
		memset(s + strlen(a), 'p', pad);
		strcpy(s + strlen(a) + pad, z);
		n = strlen(s);
		http_parser_reset(&p);
		o = drive(&p, s, n, n, n);
		if (n <= T_MAX_HEAD) {
			ck_assert_int_eq(o.r, HTTP_COMPLETE);
			ck_assert_uint_eq(strlen(http_header_get(&p, "x-p")),
			    pad);
		} else {
			ck_assert_int_eq(o.r, HTTP_ERROR);
			ck_assert_int_eq(p.status, 431);
		}
		/* Bytes after the head do not count against it. */
		http_parser_reset(&p);
	}
	http_parser_free(&p);
	free(s);
}
END_TEST

START_TEST(test_head_done_then_body)
{
	struct http_parser p;
	const char *req = "POST /e HTTP/1.1\r\nHost: h\r\n"
	    "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n";
	size_t c, n = strlen(req);
	enum http_result r;

	http_parser_init(&p, T_MAX_HEAD, T_MAX_BODY);
	r = http_parser_feed(&p, req, n, &c);
	ck_assert_int_eq(r, HTTP_HEAD_DONE);
	ck_assert_uint_eq(c, n);
	ck_assert_int_eq(p.expect_continue, 1);
	ck_assert_int_eq(p.content_length, 4);
	r = http_parser_feed(&p, "", 0, &c);
	ck_assert_int_eq(r, HTTP_NEED_MORE);
	ck_assert_uint_eq(c, 0);
	r = http_parser_feed(&p, "ab", 2, &c);
	ck_assert_int_eq(r, HTTP_NEED_MORE);
	ck_assert_uint_eq(c, 2);
	r = http_parser_feed(&p, "cdEXTRA", 7, &c);
	ck_assert_int_eq(r, HTTP_COMPLETE);
	ck_assert_uint_eq(c, 2);
	ck_assert_str_eq(p.body.data, "abcd");
	http_parser_free(&p);
}
END_TEST

START_TEST(test_pipeline)
{
	struct http_parser p;
	const char *buf = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /b?z=1 HTTP/1.1\r\nHost: y\r\nConnection: close\r\n\r\n";
	size_t len1 = strlen("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
	size_t n = strlen(buf), c;
	enum http_result r;

	http_parser_init(&p, T_MAX_HEAD, T_MAX_BODY);
	r = http_parser_feed(&p, buf, n, &c);
	ck_assert_int_eq(r, HTTP_HEAD_DONE);
	ck_assert_uint_eq(c, len1);
	ck_assert_str_eq(p.path, "/a");
	r = http_parser_feed(&p, buf + c, n - c, &c);
	ck_assert_int_eq(r, HTTP_COMPLETE);
	ck_assert_uint_eq(c, 0);
	ck_assert_int_eq(p.keep_alive, 1);

	http_parser_reset(&p);
	r = http_parser_feed(&p, buf + len1, n - len1, &c);
	ck_assert_int_eq(r, HTTP_HEAD_DONE);
	ck_assert_uint_eq(c, n - len1);
	r = http_parser_feed(&p, buf + n, 0, &c);
	ck_assert_int_eq(r, HTTP_COMPLETE);
	ck_assert_str_eq(p.method, "GET");
	ck_assert_str_eq(p.path, "/b");
	ck_assert_str_eq(p.query, "z=1");
	ck_assert_str_eq(http_header_get(&p, "host"), "y");
	ck_assert_int_eq(p.keep_alive, 0);
	http_parser_free(&p);
}
END_TEST

/* Body requests back to back, split everywhere; a stray CRLF between. */
START_TEST(test_pipeline_split)
{
	struct http_parser p;
	struct outcome o;
	const char *first = "POST /one HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 5\r\n\r\nhello";
	const char *buf = "POST /one HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 5\r\n\r\nhello"
	    "\r\nPOST /two HTTP/1.1\r\nHost: h\r\n" TE "\r\n"
	    "3\r\nabc\r\n0\r\n\r\n"
	    "GET /three HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t n = strlen(buf), len1 = strlen(first), k, off;

	http_parser_init(&p, T_MAX_HEAD, T_MAX_BODY);
	for (k = 0; k <= n; k++) {
		http_parser_reset(&p);
		o = drive(&p, buf, n, k, n);
		ck_assert_int_eq(o.r, HTTP_COMPLETE);
		ck_assert_uint_eq(o.used, len1);
		ck_assert_str_eq(p.body.data, "hello");
		off = o.used;

		http_parser_reset(&p);
		o = drive(&p, buf + off, n - off, k > off ? k - off : 1, 1);
		ck_assert_int_eq(o.r, HTTP_COMPLETE);
		ck_assert_str_eq(p.path, "/two");
		ck_assert_str_eq(p.body.data, "abc");
		off += o.used;

		http_parser_reset(&p);
		o = drive(&p, buf + off, n - off, n, n);
		ck_assert_int_eq(o.r, HTTP_COMPLETE);
		ck_assert_str_eq(p.path, "/three");
		ck_assert_uint_eq(off + o.used, n);
	}
	http_parser_free(&p);
}
END_TEST

/* Keep-alive: reset keeps the buffers, a second request reuses them. */
START_TEST(test_reset_keeps_memory)
{
	struct http_parser p;
	struct outcome o;
	const char *req = "POST /r?x=y HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 10\r\n\r\n0123456789";
	size_t n = strlen(req), hcap, bcap;
	char *hdata, *bdata;

	http_parser_init(&p, T_MAX_HEAD, T_MAX_BODY);
	o = drive(&p, req, n, n, n);
	ck_assert_int_eq(o.r, HTTP_COMPLETE);
	hdata = p.head.data;
	bdata = p.body.data;
	hcap = p.head.cap;
	bcap = p.body.cap;
	ck_assert_ptr_nonnull(hdata);
	ck_assert_ptr_nonnull(bdata);

	http_parser_reset(&p);
	ck_assert_ptr_eq(p.head.data, hdata);
	ck_assert_ptr_eq(p.body.data, bdata);
	ck_assert_ptr_null(p.method);
	ck_assert_uint_eq(p.nheaders, 0);
	ck_assert_int_eq(p.content_length, -1);

	o = drive(&p, req, n, 7, 7);
	ck_assert_int_eq(o.r, HTTP_COMPLETE);
	ck_assert_ptr_eq(p.head.data, hdata);
	ck_assert_ptr_eq(p.body.data, bdata);
	ck_assert_uint_eq(p.head.cap, hcap);
	ck_assert_uint_eq(p.body.cap, bcap);
	ck_assert_str_eq(p.path, "/r");
	ck_assert_str_eq(p.target, "/r?x=y");
	ck_assert_str_eq(p.body.data, "0123456789");

	http_parser_free(&p);
	ck_assert_ptr_null(p.head.data);
	ck_assert_ptr_null(p.body.data);
	http_parser_free(&p);	/* twice is harmless */
}
END_TEST

START_TEST(test_header_get)
{
	struct http_parser p;
	struct outcome o;
	const char *req = "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n"
	    "x-a: 2\r\nAuthorization: Bearer k\r\n\r\n";
	size_t n = strlen(req);

	http_parser_init(&p, T_MAX_HEAD, T_MAX_BODY);
	o = drive(&p, req, n, n, n);
	ck_assert_int_eq(o.r, HTTP_COMPLETE);
	ck_assert_uint_eq(p.nheaders, 4);
	ck_assert_str_eq(http_header_get(&p, "X-A"), "1");
	ck_assert_str_eq(http_header_get(&p, "AUTHORIZATION"), "Bearer k");
	ck_assert_uint_eq(p.headers[3].value_len, 8);
	ck_assert_str_eq(p.headers[1].name, "X-A");
	ck_assert_ptr_null(http_header_get(&p, "X-B"));
	ck_assert_ptr_null(http_header_get(&p, "X-"));
	http_parser_free(&p);
}
END_TEST

/* --- http_query_get --------------------------------------------------- */

struct query_case {
	const char	*query;
	const char	*name;
	size_t		 outlen;
	ssize_t		 ret;
	const char	*out;
};

static const struct query_case query_cases[] = {
	{ "a=1&b=2", "b", 16, 1, "2" },
	{ "a=1&b=2", "a", 16, 1, "1" },
	{ "q=hello+world", "q", 32, 11, "hello world" },
	{ "q=%41%62c%2fd", "q", 32, 5, "Abc/d" },
	{ "q=50%25%2", "q", 32, 5, "50%%2" },
	{ "x=%zz%", "x", 32, 4, "%zz%" },
	{ "model=gpt&mod=x", "mod", 16, 1, "x" },
	{ "mod=x&model=gpt", "model", 16, 3, "gpt" },
	{ "mod=x", "model", 16, -1, NULL },
	{ "a=1", "b", 16, -1, NULL },
	{ "", "a", 16, -1, NULL },
	{ "key", "key", 16, 0, "" },
	{ "key&k=2", "k", 16, 1, "2" },
	{ "k%65y=v", "key", 16, 1, "v" },
	{ "a+b=c", "a b", 16, 1, "c" },
	{ "a=123456", "a", 6, -1, NULL },
	{ "a=123456", "a", 7, 6, "123456" },
	{ "a=%41%41", "a", 3, 2, "AA" },
	{ "a=&a=2", "a", 16, 0, "" },
	{ "&&a=1&&", "a", 16, 1, "1" },
	{ "=v&a=1", "a", 16, 1, "1" },
	{ "a=b=c", "a", 16, 3, "b=c" },
	{ "a=1", "a", 0, -1, NULL },
};

START_TEST(test_query)
{
	const struct query_case *qc = &query_cases[_i];
	char out[64];
	ssize_t r;

	memset(out, 'Z', sizeof(out));
	r = http_query_get(qc->query, qc->name, out, qc->outlen);
	ck_assert_msg(r == qc->ret, "%s / %s: got %zd", qc->query, qc->name,
	    r);
	if (qc->out != NULL)
		ck_assert_str_eq(out, qc->out);
}
END_TEST

START_TEST(test_query_null)
{
	char out[8];

	ck_assert_int_eq(http_query_get(NULL, "a", out, sizeof(out)), -1);
}
END_TEST

/* --- http_reason ------------------------------------------------------ */

START_TEST(test_reason)
{
	static const struct {
		int		 code;
		const char	*text;
	} r[] = {
		{ 100, "Continue" }, { 101, "Switching Protocols" },
		{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
		{ 301, "Moved Permanently" }, { 302, "Found" },
		{ 304, "Not Modified" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 408, "Request Timeout" }, { 409, "Conflict" },
		{ 411, "Length Required" }, { 413, "Content Too Large" },
		{ 414, "URI Too Long" }, { 415, "Unsupported Media Type" },
		{ 417, "Expectation Failed" },
		{ 422, "Unprocessable Content" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
		{ 299, "Unknown" }, { 0, "Unknown" }, { -1, "Unknown" },
	};
	size_t i;

	for (i = 0; i < nitems(r); i++)
		ck_assert_str_eq(http_reason(r[i].code), r[i].text);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("http");

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_valid, 0, nitems(valid_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_bad, 0, nitems(bad_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("framing");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_head_limit);
	tcase_add_test(tc, test_head_done_then_body);
	tcase_add_test(tc, test_pipeline);
	tcase_add_test(tc, test_pipeline_split);
	tcase_add_test(tc, test_reset_keeps_memory);
	tcase_add_test(tc, test_header_get);
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_loop_test(tc, test_query, 0, nitems(query_cases));
	tcase_add_test(tc, test_query_null);
	tcase_add_test(tc, test_reason);
	suite_add_tcase(s, tc);

	return s;
}

UNIT_MAIN(http_suite)

/*
 * http.c: incremental HTTP/1.1 request parser (RFC 9112).  The head is
 * collected into p->head until the first empty line, then split in
 * place: tokens are NUL-terminated where they lie and headers point
 * into the buffer.  The end-of-head search only looks back at the two
 * bytes before each LF, so feeding byte by byte stays linear.  The
 * body (Content-Length or chunked) is decoded into p->body, never past
 * max_body.  Every refusal sets p->status and a static p->error; the
 * caller maps them to a reply in the client's dialect.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "util.h"

#define HTTP_METHOD_MAX		15	/* longest method we accept */
#define HTTP_CHUNK_LINE_MAX	4096	/* chunk-size line, CRLF included */
#define HTTP_CHUNK_DIGITS	16	/* hex digits in a chunk size */
#define HTTP_NO_LIMIT		(SIZE_MAX / 4)

static int	 is_tchar(unsigned char);
static int	 is_ows(unsigned char);
static int	 is_token(const char *, size_t);
static int	 http_error(struct http_parser *, int, const char *);
static enum http_result http_fail(struct http_parser *, int, const char *);
static int	 byte_before(const struct http_parser *, const char *, size_t,
		    size_t);
static enum http_result head_feed(struct http_parser *, const char *,
		    size_t, size_t *);
static int	 head_parse(struct http_parser *);
static int	 request_line_parse(struct http_parser *, char *, size_t);
static int	 headers_parse(struct http_parser *, char *, char *);
static int	 framing(struct http_parser *);
static int	 content_length_parse(const char *, int64_t *);
static int	 list_has_token(const char *, const char *);
static size_t	 body_length_feed(struct http_parser *, const char *, size_t);
static size_t	 chunk_size_feed(struct http_parser *, const char *, size_t);
static void	 chunk_size_parse(struct http_parser *, const char *, size_t);
static size_t	 chunk_data_feed(struct http_parser *, const char *, size_t);
static size_t	 chunk_crlf_feed(struct http_parser *, const char *, size_t);
static size_t	 trailers_feed(struct http_parser *, const char *, size_t);
static void	 trailer_line_check(struct http_parser *, const char *,
		    size_t);
static char	 pct_next(const char *, size_t, size_t *);

/* RFC 9110 §5.6.2 tchar. */
static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	if (c == '\0')
		return 0;
	return strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int
is_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Record why the request is refused; returns -1. */
static int
http_error(struct http_parser *p, int status, const char *msg)
{
	p->state = HTTP_S_ERROR;
	p->status = status;
	p->error = msg;
	p->keep_alive = 0;	/* framing is unknown: the reply closes */
	return -1;
}

static enum http_result
http_fail(struct http_parser *p, int status, const char *msg)
{
	http_error(p, status, msg);
	return HTTP_ERROR;
}

void
http_parser_init(struct http_parser *p, size_t max_head, size_t max_body)
{
	memset(p, 0, sizeof(*p));
	p->max_head = max_head != 0 ? max_head : HTTP_NO_LIMIT;
	p->max_body = max_body != 0 ? max_body : HTTP_NO_LIMIT;
	/*
	 * The head buffer may also hold a copy of the path (see
	 * head_parse), so its own cap is above max_head, which
	 * head_feed enforces.
	 */
	buf_init(&p->head, 2 * p->max_head + 2);
	buf_init(&p->body, p->max_body);
	buf_init(&p->line, p->max_head > HTTP_CHUNK_LINE_MAX ?
	    p->max_head : HTTP_CHUNK_LINE_MAX);
	http_parser_reset(p);
}

void
http_parser_reset(struct http_parser *p)
{
	p->state = HTTP_S_HEAD;
	buf_reset(&p->head);
	p->scan = 0;
	p->lead = 0;
	p->method = NULL;
	p->target = NULL;
	p->path = NULL;
	p->query = NULL;
	p->version_minor = 0;
	p->nheaders = 0;
	p->content_length = -1;
	p->chunked = 0;
	p->keep_alive = 0;
	p->expect_continue = 0;
	buf_reset(&p->body);
	p->chunk_left = 0;
	buf_reset(&p->line);
	p->trailer_bytes = 0;
	p->status = 0;
	p->error = NULL;
}

void
http_parser_free(struct http_parser *p)
{
	buf_free(&p->head);
	buf_free(&p->body);
	buf_free(&p->line);
	http_parser_reset(p);
}

enum http_result
http_parser_feed(struct http_parser *p, const char *data, size_t len,
    size_t *consumed)
{
	size_t off = 0, n;

	*consumed = 0;
	if (p->state == HTTP_S_HEAD)
		return head_feed(p, data, len, consumed);

	for (;;) {
		if (p->state == HTTP_S_DONE) {
			*consumed = off;
			return HTTP_COMPLETE;
		}
		if (p->state == HTTP_S_ERROR) {
			*consumed = off;
			return HTTP_ERROR;
		}
		if (off == len) {
			*consumed = off;
			return HTTP_NEED_MORE;
		}
		/* Each step uses at least one byte or ends in an error. */
		switch (p->state) {
		case HTTP_S_BODY_LENGTH:
			n = body_length_feed(p, data + off, len - off);
			break;
		case HTTP_S_CHUNK_SIZE:
			n = chunk_size_feed(p, data + off, len - off);
			break;
		case HTTP_S_CHUNK_DATA:
			n = chunk_data_feed(p, data + off, len - off);
			break;
		case HTTP_S_CHUNK_DATA_CRLF:
			n = chunk_crlf_feed(p, data + off, len - off);
			break;
		case HTTP_S_TRAILERS:
			n = trailers_feed(p, data + off, len - off);
			break;
		default:
			n = 0;
			http_error(p, 500, "parser in a bad state");
			break;
		}
		off += n;
	}
}

/*
 * The byte k positions before s[i], where s continues the head buffer;
 * -1 before the start of the request line.
 */
static int
byte_before(const struct http_parser *p, const char *s, size_t i, size_t k)
{
	if (i >= k)
		return (unsigned char)s[i - k];
	k -= i;
	if (p->head.len >= k)
		return (unsigned char)p->head.data[p->head.len - k];
	return -1;
}

/*
 * Collect the head.  The request line starts at the first byte that is
 * not CR or LF; the head ends at the first empty line, which is an LF
 * preceded by LF or by CR LF.  Only bytes up to that point are used.
 */
static enum http_result
head_feed(struct http_parser *p, const char *data, size_t len,
    size_t *consumed)
{
	size_t off = 0, n, pos, i, end = 0;
	const char *s, *lf;
	int c1;

	if (p->head.len == 0) {
		while (off < len && (data[off] == '\r' || data[off] == '\n'))
			off++;
		p->lead += off;
		*consumed = off;
		if (p->lead > p->max_head)
			return http_fail(p, 431, "header too large");
		if (off == len)
			return HTTP_NEED_MORE;
	}

	s = data + off;
	n = len - off;
	if (n > p->max_head - p->head.len)
		n = p->max_head - p->head.len;
	for (pos = 0; pos < n; pos = i + 1) {
		lf = memchr(s + pos, '\n', n - pos);
		if (lf == NULL)
			break;
		i = lf - s;
		c1 = byte_before(p, s, i, 1);
		if (c1 == '\n' ||
		    (c1 == '\r' && byte_before(p, s, i, 2) == '\n')) {
			end = i + 1;
			break;
		}
	}

	if (end == 0 && n < len - off)
		return http_fail(p, 431, "header too large");
	if (end != 0)
		n = end;
	if (buf_add(&p->head, s, n) == -1)
		return http_fail(p, 500, "out of memory");
	p->scan = p->head.len;
	*consumed = off + n;
	if (end == 0)
		return HTTP_NEED_MORE;
	if (head_parse(p) == -1)
		return HTTP_ERROR;
	return HTTP_HEAD_DONE;
}

/* Split the complete head in place and decide the framing. */
static int
head_parse(struct http_parser *p)
{
	char *line, *eol, *end;
	size_t linelen;

	/*
	 * Room for a copy of the path after the head, reserved before
	 * any pointer into the buffer is taken.
	 */
	eol = memchr(p->head.data, '\n', p->head.len);
	linelen = eol - p->head.data;
	if (buf_reserve(&p->head, linelen + 1) == -1)
		return http_error(p, 500, "out of memory");

	line = p->head.data;
	end = p->head.data + p->head.len;
	eol = line + linelen;
	if (linelen > 0 && line[linelen - 1] == '\r')
		linelen--;
	if (request_line_parse(p, line, linelen) == -1)
		return -1;
	if (headers_parse(p, eol + 1, end) == -1)
		return -1;
	return framing(p);
}

/* METHOD SP request-target SP HTTP-version */
static int
request_line_parse(struct http_parser *p, char *line, size_t len)
{
	char *sp1, *sp2, *target, *version, *q, *path, *auth, *copy;
	size_t tlen, vlen, i, plen;
	unsigned char c;

	sp1 = memchr(line, ' ', len);
	if (sp1 == NULL)
		return http_error(p, 400, "malformed request line");
	if (sp1 - line > HTTP_METHOD_MAX || !is_token(line, sp1 - line))
		return http_error(p, 400, "invalid method");
	target = sp1 + 1;
	sp2 = memchr(target, ' ', line + len - target);
	if (sp2 == NULL)
		return http_error(p, 400, "malformed request line");
	tlen = sp2 - target;
	if (tlen == 0)
		return http_error(p, 400, "malformed request line");
	for (i = 0; i < tlen; i++) {
		c = (unsigned char)target[i];
		if (c <= 0x20 || c == 0x7f)
			return http_error(p, 400, "invalid request target");
	}
	version = sp2 + 1;
	vlen = line + len - version;
	if (vlen == 8 && memcmp(version, "HTTP/1.", 7) == 0 &&
	    (version[7] == '0' || version[7] == '1'))
		p->version_minor = version[7] - '0';
	else if (vlen == 8 && memcmp(version, "HTTP/", 5) == 0 &&
	    version[5] >= '0' && version[5] <= '9' && version[6] == '.' &&
	    version[7] >= '0' && version[7] <= '9')
		return http_error(p, 505, "HTTP version not supported");
	else
		return http_error(p, 400, "malformed request line");

	*sp1 = '\0';
	*sp2 = '\0';
	version[vlen] = '\0';

	/* Request-target forms, RFC 9112 §3.2. */
	if (target[0] == '/')
		path = target;
	else if (tlen == 1 && target[0] == '*') {
		if (strcmp(line, "OPTIONS") != 0)
			return http_error(p, 400, "invalid request target");
		path = target;
	} else if (strncasecmp(target, "http://", 7) == 0 ||
	    strncasecmp(target, "https://", 8) == 0) {
		auth = strchr(target, ':') + 3;
		path = auth + strcspn(auth, "/?");
		if (path == auth)
			return http_error(p, 400, "invalid request target");
	} else
		return http_error(p, 400, "invalid request target");

	p->method = line;
	p->target = target;
	q = strchr(path, '?');
	if (q == NULL) {
		p->query = target + tlen;	/* "" */
		p->path = *path == '\0' ? "/" : path;
		return 0;
	}
	p->query = q + 1;
	plen = q - path;
	if (plen == 0) {
		p->path = "/";
		return 0;
	}
	/* Room was reserved by head_parse: this cannot move the buffer. */
	copy = p->head.data + p->head.len;
	if (buf_add(&p->head, path, plen) == -1)
		return http_error(p, 500, "out of memory");
	p->path = copy;
	return 0;
}

/* Header lines from s to the empty line that ends the head at end. */
static int
headers_parse(struct http_parser *p, char *s, char *end)
{
	char *line, *eol, *colon, *v, *ve, *q;
	size_t len;
	struct http_header *h;
	unsigned char c;

	for (line = s; line < end; line = eol + 1) {
		eol = memchr(line, '\n', end - line);
		len = eol - line;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0)
			break;
		if (is_ows((unsigned char)line[0]))
			return http_error(p, 400, "obsolete line folding");
		colon = memchr(line, ':', len);
		if (colon == NULL)
			return http_error(p, 400, "malformed header");
		if (!is_token(line, colon - line))
			return http_error(p, 400, "invalid header name");
		if (p->nheaders == HTTP_MAX_HEADERS)
			return http_error(p, 431, "too many headers");
		v = colon + 1;
		ve = line + len;
		while (v < ve && is_ows((unsigned char)*v))
			v++;
		while (ve > v && is_ows((unsigned char)ve[-1]))
			ve--;
		for (q = v; q < ve; q++) {
			c = (unsigned char)*q;
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return http_error(p, 400,
				    "invalid header value");
		}
		*colon = '\0';
		*ve = '\0';
		h = &p->headers[p->nheaders++];
		h->name = line;
		h->value = v;
		h->value_len = ve - v;
	}
	return 0;
}

/*
 * Content-Length: 1*DIGIT, possibly as a list of identical values
 * ("5, 5") and possibly repeated; *cl is -1 until a value is seen.
 */
static int
content_length_parse(const char *v, int64_t *cl)
{
	int64_t n;
	int d;

	for (;;) {
		while (is_ows((unsigned char)*v))
			v++;
		if (*v < '0' || *v > '9')
			return -1;
		n = 0;
		while (*v >= '0' && *v <= '9') {
			d = *v - '0';
			if (n > (INT64_MAX - d) / 10)
				return -1;
			n = n * 10 + d;
			v++;
		}
		if (*cl != -1 && *cl != n)
			return -1;
		*cl = n;
		while (is_ows((unsigned char)*v))
			v++;
		if (*v == '\0')
			return 0;
		if (*v != ',')
			return -1;
		v++;
	}
}

/* Does the comma-separated list v hold tok (case-insensitive)? */
static int
list_has_token(const char *v, const char *tok)
{
	size_t n, toklen = strlen(tok);

	while (*v != '\0') {
		while (*v == ',' || is_ows((unsigned char)*v))
			v++;
		n = strcspn(v, ",");
		while (n > 0 && is_ows((unsigned char)v[n - 1]))
			n--;
		if (n == toklen && strncasecmp(v, tok, n) == 0)
			return 1;
		v += strcspn(v, ",");
	}
	return 0;
}

/* Host, Connection, Expect, Content-Length and Transfer-Encoding. */
static int
framing(struct http_parser *p)
{
	const struct http_header *h;
	const char *v;
	size_t i, n, hosts = 0, codings = 0;
	int has_te = 0, chunked = 0, conn_close = 0, conn_keep = 0;

	for (i = 0; i < p->nheaders; i++) {
		h = &p->headers[i];
		switch (h->name[0]) {
		case 'c':
		case 'C':
			if (strcasecmp(h->name, "Content-Length") == 0) {
				if (content_length_parse(h->value,
				    &p->content_length) == -1)
					return http_error(p, 400,
					    "invalid Content-Length");
			} else if (strcasecmp(h->name, "Connection") == 0) {
				if (list_has_token(h->value, "close"))
					conn_close = 1;
				if (list_has_token(h->value, "keep-alive"))
					conn_keep = 1;
			}
			break;
		case 'e':
		case 'E':
			if (strcasecmp(h->name, "Expect") == 0 &&
			    strcasecmp(h->value, "100-continue") == 0)
				p->expect_continue = p->version_minor >= 1;
			break;
		case 'h':
		case 'H':
			if (strcasecmp(h->name, "Host") == 0)
				hosts++;
			break;
		case 't':
		case 'T':
			if (strcasecmp(h->name, "Transfer-Encoding") != 0)
				break;
			/* Codings of all such headers form one list. */
			has_te = 1;
			for (v = h->value; *v != '\0'; v += n) {
				while (*v == ',' || is_ows((unsigned char)*v))
					v++;
				if (*v == '\0')
					break;
				n = strcspn(v, ",");
				codings++;
				chunked = (n >= 7 &&
				    strncasecmp(v, "chunked", 7) == 0 &&
				    strspn(v + 7, " \t") == n - 7);
			}
			break;
		}
	}

	if (p->version_minor >= 1)
		p->keep_alive = !conn_close;
	else
		p->keep_alive = conn_keep && !conn_close;

	if (hosts > 1)
		return http_error(p, 400, "duplicate Host header");
	if (hosts == 0 && p->version_minor >= 1)
		return http_error(p, 400, "missing Host header");
	if (has_te && p->content_length != -1)
		return http_error(p, 400,
		    "both Transfer-Encoding and Content-Length");
	if (has_te) {
		if (codings == 0)
			return http_error(p, 400, "invalid Transfer-Encoding");
		if (codings != 1 || !chunked)
			return http_error(p, 501,
			    "unsupported transfer coding");
		p->chunked = 1;
		/* RFC 9112 §6.1: an HTTP/1.0 message with TE closes. */
		if (p->version_minor == 0)
			p->keep_alive = 0;
		p->state = HTTP_S_CHUNK_SIZE;
		return 0;
	}
	if (p->content_length > 0) {
		if ((uint64_t)p->content_length > p->max_body)
			return http_error(p, 413, "request body too large");
		if (buf_reserve(&p->body, (size_t)p->content_length) == -1)
			return http_error(p, 500, "out of memory");
		p->state = HTTP_S_BODY_LENGTH;
		return 0;
	}
	p->state = HTTP_S_DONE;
	return 0;
}

static size_t
body_length_feed(struct http_parser *p, const char *s, size_t n)
{
	size_t left = (size_t)p->content_length - p->body.len;

	if (n > left)
		n = left;
	if (buf_add(&p->body, s, n) == -1) {
		http_error(p, 500, "out of memory");
		return 0;
	}
	if (p->body.len == (size_t)p->content_length)
		p->state = HTTP_S_DONE;
	return n;
}

/* chunk-size [ chunk-ext ] CRLF, collected in p->line when split. */
static size_t
chunk_size_feed(struct http_parser *p, const char *s, size_t n)
{
	const char *lf;
	size_t take;

	lf = memchr(s, '\n', n);
	take = lf != NULL ? (size_t)(lf - s) + 1 : n;
	if (p->line.len + take > HTTP_CHUNK_LINE_MAX) {
		http_error(p, 400, "chunk size line too long");
		return 0;
	}
	if (lf != NULL && p->line.len == 0) {
		chunk_size_parse(p, s, take - 1);
		return take;
	}
	if (buf_add(&p->line, s, take) == -1) {
		http_error(p, 500, "out of memory");
		return 0;
	}
	if (lf != NULL) {
		chunk_size_parse(p, p->line.data, p->line.len - 1);
		buf_reset(&p->line);
	}
	return take;
}

/* One size line without its LF. */
static void
chunk_size_parse(struct http_parser *p, const char *s, size_t len)
{
	uint64_t size = 0;
	size_t i;
	unsigned char c;
	int d;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++) {
		d = hex_digit((unsigned char)s[i]);
		if (d == -1)
			break;
		if (i == HTTP_CHUNK_DIGITS) {
			http_error(p, 400, "chunk size too large");
			return;
		}
		size = size * 16 + (uint64_t)d;
	}
	if (i == 0) {
		http_error(p, 400, "malformed chunk size");
		return;
	}
	while (i < len && is_ows((unsigned char)s[i]))
		i++;
	if (i < len && s[i] != ';') {
		http_error(p, 400, "malformed chunk size");
		return;
	}
	if (i == len && is_ows((unsigned char)s[len - 1])) {
		http_error(p, 400, "malformed chunk size");
		return;
	}
	/* Extensions are ignored but may not hide control bytes. */
	for (; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			http_error(p, 400, "malformed chunk extension");
			return;
		}
	}
	if (size == 0) {
		p->state = HTTP_S_TRAILERS;
		return;
	}
	if (size > p->max_body - p->body.len) {
		http_error(p, 413, "request body too large");
		return;
	}
	p->chunk_left = size;
	p->state = HTTP_S_CHUNK_DATA;
}

static size_t
chunk_data_feed(struct http_parser *p, const char *s, size_t n)
{
	if (n > p->chunk_left)
		n = (size_t)p->chunk_left;
	if (buf_add(&p->body, s, n) == -1) {
		http_error(p, 500, "out of memory");
		return 0;
	}
	p->chunk_left -= n;
	/* In HTTP_S_CHUNK_DATA_CRLF, chunk_left says whether CR was seen. */
	if (p->chunk_left == 0)
		p->state = HTTP_S_CHUNK_DATA_CRLF;
	return n;
}

/* The CRLF (or bare LF) after chunk data. */
static size_t
chunk_crlf_feed(struct http_parser *p, const char *s, size_t n)
{
	if (s[0] == '\r' && p->chunk_left == 0) {
		p->chunk_left = 1;
		return 1;
	}
	if (s[0] == '\n') {
		p->chunk_left = 0;
		p->state = HTTP_S_CHUNK_SIZE;
		return 1;
	}
	http_error(p, 400, "missing CRLF after chunk data");
	return 0;
}

/* Trailer fields, checked for shape and dropped; an empty line ends. */
static size_t
trailers_feed(struct http_parser *p, const char *s, size_t n)
{
	const char *lf;
	size_t take;

	lf = memchr(s, '\n', n);
	take = lf != NULL ? (size_t)(lf - s) + 1 : n;
	if (take > p->max_head - p->trailer_bytes) {
		http_error(p, 431, "trailer section too large");
		return 0;
	}
	p->trailer_bytes += take;
	if (lf != NULL && p->line.len == 0) {
		trailer_line_check(p, s, take - 1);
		return take;
	}
	if (buf_add(&p->line, s, take) == -1) {
		http_error(p, 500, "out of memory");
		return 0;
	}
	if (lf != NULL) {
		trailer_line_check(p, p->line.data, p->line.len - 1);
		buf_reset(&p->line);
	}
	return take;
}

/* One trailer line without its LF. */
static void
trailer_line_check(struct http_parser *p, const char *s, size_t len)
{
	const char *colon;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len == 0) {
		p->state = HTTP_S_DONE;
		return;
	}
	colon = memchr(s, ':', len);
	if (is_ows((unsigned char)s[0]) || colon == NULL ||
	    !is_token(s, colon - s))
		http_error(p, 400, "malformed trailer");
}

const char *
http_header_get(const struct http_parser *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nheaders; i++)
		if (strcasecmp(p->headers[i].name, name) == 0)
			return p->headers[i].value;
	return NULL;
}

/*
 * The byte at s[*i] after percent-decoding ('+' is a space; a '%' not
 * followed by two hex digits stands for itself); *i moves past it.
 */
static char
pct_next(const char *s, size_t n, size_t *i)
{
	int hi, lo;
	char c;

	c = s[(*i)++];
	if (c == '+')
		return ' ';
	if (c != '%' || n - *i < 2)
		return c;
	hi = hex_digit((unsigned char)s[*i]);
	lo = hex_digit((unsigned char)s[*i + 1]);
	if (hi == -1 || lo == -1)
		return c;
	*i += 2;
	return (char)(hi * 16 + lo);
}

ssize_t
http_query_get(const char *query, const char *name, char *out,
    size_t outlen)
{
	const char *seg, *next, *eq, *v;
	size_t seglen, klen, vlen, i, j, o;

	if (query == NULL || outlen == 0)
		return -1;
	for (seg = query; *seg != '\0'; seg = next) {
		seglen = strcspn(seg, "&");
		next = seg[seglen] == '&' ? seg + seglen + 1 : seg + seglen;
		eq = memchr(seg, '=', seglen);
		klen = eq != NULL ? (size_t)(eq - seg) : seglen;
		if (klen == 0)
			continue;
		/* Compare the decoded key with name as it is decoded. */
		for (i = 0, j = 0; i < klen; j++) {
			if (name[j] == '\0')
				break;
			if (pct_next(seg, klen, &i) != name[j])
				break;
		}
		if (i < klen || name[j] != '\0')
			continue;
		if (eq == NULL) {
			out[0] = '\0';
			return 0;
		}
		v = eq + 1;
		vlen = seg + seglen - v;
		for (i = 0, o = 0; i < vlen; o++) {
			if (o == outlen - 1) {
				out[0] = '\0';
				return -1;
			}
			out[o] = pct_next(v, vlen, &i);
		}
		out[o] = '\0';
		return (ssize_t)o;
	}
	return -1;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 101:
		return "Switching Protocols";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 417:
		return "Expectation Failed";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

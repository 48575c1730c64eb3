/*
 * http.h: HTTP/1.1 request parser (incremental, push style) and the
 * small set of helpers the worker needs around it.  The parser never
 * allocates per header: the request head is copied once into the
 * parser's own buffer and headers point into it.  Limits are enforced
 * while bytes arrive, so a hostile client cannot make it grow past
 * max_head + max_body.
 *
 * The parser knows nothing about sockets; the worker reads into its
 * own buffer and calls http_parser_feed() with whatever it has.
 */
#ifndef AICLIENT_HTTP_H
#define AICLIENT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define HTTP_MAX_HEADERS	100

struct http_header {
	const char	*name;		/* borrowed from the head buffer */
	const char	*value;		/* trimmed, NUL-terminated */
	size_t		 value_len;
};

enum http_parse_state {
	HTTP_S_HEAD = 0,	/* collecting request line and headers */
	HTTP_S_BODY_LENGTH,	/* Content-Length body */
	HTTP_S_CHUNK_SIZE,	/* chunked: size line */
	HTTP_S_CHUNK_DATA,
	HTTP_S_CHUNK_DATA_CRLF,
	HTTP_S_TRAILERS,	/* chunked: trailer section */
	HTTP_S_DONE,
	HTTP_S_ERROR
};

/* Results of http_parser_feed(). */
enum http_result {
	HTTP_NEED_MORE = 0,	/* all input consumed, request incomplete */
	HTTP_HEAD_DONE,		/* head parsed (returned once); call again */
	HTTP_COMPLETE,		/* whole request parsed; *consumed says how far */
	HTTP_ERROR		/* p->status and p->error say why */
};

struct http_parser {
	enum http_parse_state	 state;
	size_t			 max_head;	/* request line + headers (431) */
	size_t			 max_body;	/* decoded body (413) */

	/* The head, copied and then split in place. */
	struct buf		 head;
	size_t			 scan;		/* where the CRLFCRLF search resumes */
	size_t			 lead;		/* CR/LF skipped before it */

	/* Request line. */
	const char		*method;
	const char		*target;	/* as sent: path and query */
	const char		*path;		/* target up to '?', NUL-terminated copy */
	const char		*query;		/* after '?', or "" */
	int			 version_minor;	/* HTTP/1.<minor> */

	struct http_header	 headers[HTTP_MAX_HEADERS];
	size_t			 nheaders;

	/* Framing, decided from the headers. */
	int64_t			 content_length;	/* -1 when absent */
	int			 chunked;
	int			 keep_alive;	/* after Connection / version rules */
	int			 expect_continue;

	/* Body, decoded (chunk framing removed). */
	struct buf		 body;
	uint64_t		 chunk_left;
	struct buf		 line;		/* chunk-size / trailer line */
	size_t			 trailer_bytes;

	int			 status;	/* on HTTP_ERROR: 400, 413, 431, 501, 505 */
	const char		*error;		/* on HTTP_ERROR: static text */
};

/* A limit of 0 means no limit (as with buf_init). */
void	 http_parser_init(struct http_parser *, size_t max_head,
	    size_t max_body);
/* Forget the current request, keep the buffers' memory. */
void	 http_parser_reset(struct http_parser *);
void	 http_parser_free(struct http_parser *);

/*
 * Feed len bytes.  *consumed is set to the number of bytes used; bytes
 * after a complete request belong to the next (pipelined) request and
 * are left for the caller.  HTTP_HEAD_DONE is returned exactly once per
 * request, right after the head is parsed, with *consumed covering the
 * head only: the caller may answer 100-continue, check auth or refuse
 * early (e.g. 413 from Content-Length), then keep feeding.
 */
enum http_result http_parser_feed(struct http_parser *, const char *data,
	    size_t len, size_t *consumed);

/* Case-insensitive header lookup; NULL when absent.  Borrowed. */
const char	*http_header_get(const struct http_parser *, const char *name);

/*
 * Query parameter lookup: the URL-decoded value of name in the query
 * string is written to out (NUL-terminated); returns its length, or -1
 * when absent or longer than outlen - 1.
 */
ssize_t		 http_query_get(const char *query, const char *name, char *out,
		    size_t outlen);

/* Reason phrase for a status code ("OK", "Not Found", ...). */
const char	*http_reason(int status);

#endif

/*
 * mhttp.c: the master's HTTP client (see mhttp.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "log.h"
#include "mhttp.h"
#include "util.h"
#include "xalloc.h"

#define RESP_MAX	(1024 * 1024)

struct xfer {
	struct xfer		*next;
	CURL			*easy;
	struct curl_slist	*headers;
	char			*body;
	size_t			 body_len;
	struct buf		 resp;
	char			 errbuf[CURL_ERROR_SIZE];
	mhttp_cb		 cb;
	void			*arg;
};

static CURLM		*multi;
static int		 active;
static struct xfer	*xfers;	/* every transfer in flight */

int
mhttp_init(void)
{
	multi = curl_multi_init();
	return multi ? 0 : -1;
}

static void
xfer_free(struct xfer *x)
{
	struct xfer **pp;

	for (pp = &xfers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	curl_multi_remove_handle(multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	if (x->body != NULL)
		explicit_bzero(x->body, x->body_len);
	free(x->body);
	buf_wipe(&x->resp);
	free(x);
}

void
mhttp_cleanup(void)
{
	if (multi == NULL)
		return;
	while (xfers != NULL)
		xfer_free(xfers);
	curl_multi_cleanup(multi);
	multi = NULL;
}

static size_t
on_write(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	if (buf_add(&x->resp, p, size * n) == -1)
		return 0;	/* too large: abort the transfer */
	return size * n;
}

int
mhttp_post(const char *url, const char *body, long timeout_ms,
    long connect_timeout_ms, mhttp_cb cb, void *arg)
{
	struct xfer *x;

	x = xcalloc(1, sizeof(*x));
	x->easy = curl_easy_init();
	if (x->easy == NULL) {
		free(x);
		return -1;
	}
	x->body_len = strlen(body);
	x->body = xstrdup(body);
	x->cb = cb;
	x->arg = arg;
	buf_init(&x->resp, RESP_MAX);
	x->headers = curl_slist_append(NULL, "Content-Type: application/json");
	x->headers = curl_slist_append(x->headers, "Accept: application/json");
	x->headers = curl_slist_append(x->headers, "Expect:");
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)x->body_len);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    connect_timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "aiclientd/" VERSION);
	if (curl_multi_add_handle(multi, x->easy) != CURLM_OK) {
		xfer_free(x);
		return -1;
	}
	x->next = xfers;
	xfers = x;
	active++;
	return 0;
}

void
mhttp_scrub(void)
{
	struct xfer *x;

	for (x = xfers; x != NULL; x = x->next) {
		if (x->body != NULL)
			explicit_bzero(x->body, x->body_len);
		if (x->resp.data != NULL)
			explicit_bzero(x->resp.data, x->resp.len);
	}
}

int
mhttp_active(void)
{
	return active;
}

static void
completions(void)
{
	struct CURLMsg *m;
	struct xfer *x;
	long status = 0;
	int left;

	while ((m = curl_multi_info_read(multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		active--;
		if (m->data.result == CURLE_OK) {
			curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE,
			    &status);
			x->cb(x->arg, status, x->resp.data ? x->resp.data : "",
			    x->resp.len, NULL);
		} else {
			x->cb(x->arg, 0, "", 0, x->errbuf[0] ? x->errbuf :
			    curl_easy_strerror(m->data.result));
		}
		xfer_free(x);
	}
}

int
mhttp_poll(struct pollfd *pfd, int n, int timeout_ms)
{
	struct curl_waitfd wf[n > 0 ? n : 1];
	int i, numfds = 0, running, ready = 0;
	CURLMcode mc;

	for (i = 0; i < n; i++) {
		wf[i].fd = pfd[i].fd;
		wf[i].events = (short)(pfd[i].events & (POLLIN | POLLOUT |
		    POLLPRI));
		wf[i].revents = 0;
		pfd[i].revents = 0;
	}
	mc = curl_multi_poll(multi, wf, (unsigned)n, timeout_ms, &numfds);
	if (mc != CURLM_OK) {
		errno = EINTR;
		return -1;
	}
	for (i = 0; i < n; i++) {
		pfd[i].revents = wf[i].revents;
		/* curl reports only what was asked; a hangup reads as input */
		if (pfd[i].revents != 0)
			ready++;
	}
	curl_multi_perform(multi, &running);
	completions();
	return ready;
}

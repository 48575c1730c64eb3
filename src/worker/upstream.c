/*
 * upstream.c: libcurl calls for providers (see upstream.h).  One easy
 * handle and one multi handle per worker process: the multi keeps the
 * connection cache, the options every call shares are set once on the
 * easy, the rest per call.  The transfer is driven here (perform, then
 * wait while it runs) rather than by curl_easy_perform, whose loop polls
 * once before there is anything to wait for.  Timeouts: connect, and an
 * idle limit (less than one byte per second for idle_timeout seconds
 * aborts); a stream has no total limit.  Proxies come from the
 * environment as libcurl reads it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "log.h"
#include "upstream.h"
#include "util.h"

#define ERRBODY_MAX	(64 * 1024)

static CURL	*easy;
static CURLM	*multi;

void
upstream_init(struct upstream_call *u)
{
	memset(u, 0, sizeof(*u));
	buf_init(&u->errbody, ERRBODY_MAX);
	u->connect_timeout_s = 10;
	u->idle_timeout_s = 120;
}

void
upstream_done(struct upstream_call *u)
{
	buf_free(&u->errbody);
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct upstream_call *u = arg;
	size_t len = size * n, k;
	char *dst = NULL;
	size_t dlen = 0;

	if (len > 13 && strncasecmp(p, "content-type:", 13) == 0) {
		k = 13;
		dst = u->content_type;
		dlen = sizeof(u->content_type);
	} else if (len > 17 && strncasecmp(p, "x-amzn-requestid:", 17) == 0) {
		k = 17;
		dst = u->request_id;
		dlen = sizeof(u->request_id);
	} else if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
		k = 12;
		dst = u->retry_after;
		dlen = sizeof(u->retry_after);
	} else if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response head (after a 100 or a redirect) */
		u->content_type[0] = '\0';
		return len;
	}
	if (dst != NULL) {
		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		while (len > k && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
		    p[len - 1] == ' '))
			len--;
		snprintf(dst, dlen, "%.*s", (int)(len - k), p + k);
	}
	return size * n;
}

static size_t
on_write(char *p, size_t size, size_t n, void *arg)
{
	struct upstream_call *u = arg;
	size_t len = size * n;

	if (u->status == 0)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &u->status);
	if (u->status >= 200 && u->status < 300) {
		if (u->on_data != NULL && u->on_data(u->arg, p, len) == -1) {
			u->aborted = 1;
			return 0;
		}
		return len;
	}
	/* an error body: keep its start, drop the rest */
	if (u->errbody.len < ERRBODY_MAX) {
		size_t room = ERRBODY_MAX - u->errbody.len;

		buf_add(&u->errbody, p, len < room ? len : room);
	}
	return len;
}

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct upstream_call *u = arg;
	static int64_t last;
	int64_t now = mono_ms();

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	if (u->on_tick == NULL || now - last < 1000)
		return 0;
	last = now;
	if (u->on_tick(u->arg) == -1) {
		u->aborted = 1;
		return 1;
	}
	return 0;
}

/* Run the easy handle's transfer to its end on the multi handle. */
static CURLcode
transfer(void)
{
	CURLMcode mc;
	CURLMsg *msg;
	CURLcode cc = CURLE_OK;
	int running = 1, left, nfds;

	if (curl_multi_add_handle(multi, easy) != CURLM_OK)
		return CURLE_FAILED_INIT;
	for (;;) {
		mc = curl_multi_perform(multi, &running);
		if (mc != CURLM_OK || running == 0)
			break;
		/* at most a second, so that the progress callback runs.
		 * Held log lines are written when a wait ends with nothing
		 * to read (a quiet upstream, or one of curl's timers), and
		 * at the latest a second after the oldest was held */
		nfds = 0;
		mc = curl_multi_wait(multi, NULL, 0, log_pending() ? 50 : 1000,
		    &nfds);
		if (mc != CURLM_OK)
			break;
		if (nfds == 0)
			log_flush();
		else
			log_flush_aged();	/* a busy stream */
	}
	if (mc != CURLM_OK)
		cc = mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY :
		    CURLE_FAILED_INIT;
	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy)
			cc = msg->data.result;
	curl_multi_remove_handle(multi, easy);
	return cc;
}

int
upstream_perform(struct upstream_call *u)
{
	struct curl_slist *h = NULL;
	char errbuf[CURL_ERROR_SIZE];
	size_t i;
	CURLcode cc;

	if (easy == NULL) {
		easy = curl_easy_init();
		if (easy != NULL && (multi = curl_multi_init()) == NULL) {
			curl_easy_cleanup(easy);
			easy = NULL;
		}
		if (easy == NULL) {
			snprintf(u->error, sizeof(u->error), "out of memory");
			return -1;
		}
		/* options every call shares, set once: no reset per call */
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
		curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	}
	for (i = 0; u->headers != NULL && u->headers[i] != NULL; i++)
		h = curl_slist_append(h, u->headers[i]);
	/* no 100-continue round trip, no compression (kiro.md §4.1) */
	h = curl_slist_append(h, "Expect:");
	errbuf[0] = '\0';
	curl_easy_setopt(easy, CURLOPT_URL, u->url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, u->body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)u->body_len);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, u->connect_timeout_s);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, u->idle_timeout_s);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, u);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, u);
	curl_easy_setopt(easy, CURLOPT_XFERINFODATA, u);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	cc = transfer();
	/* nothing of this call may outlive it in the handle */
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(h);
	if (u->status == 0)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &u->status);
	if (cc == CURLE_OK)
		return 0;
	if (u->aborted)
		snprintf(u->error, sizeof(u->error), "aborted");
	else {
		u->timed_out = cc == CURLE_OPERATION_TIMEDOUT;
		snprintf(u->error, sizeof(u->error), "%s", errbuf[0] ? errbuf :
		    curl_easy_strerror(cc));
	}
	/* a cut transfer after a 2xx head is still "an answer": the caller
	 * decides from status; a transport failure before it is not */
	return u->status != 0 && (u->status < 200 || u->status >= 300) ?
	    0 : -1;
}

/*
 * mhttp.h: asynchronous HTTP POSTs for the master, on libcurl's multi
 * interface, driven from the supervisor's poll loop (mhttp_poll
 * replaces poll(2) there), so a slow token endpoint never stalls
 * supervision.  Request and response bodies may hold secrets: they are
 * wiped when the transfer is done.
 */
#ifndef AICLIENT_MHTTP_H
#define AICLIENT_MHTTP_H

#include <poll.h>
#include <stddef.h>

/*
 * Completion: status is the HTTP status (0 when the transfer failed;
 * then err says why).  body is valid during the call only.
 */
typedef void (*mhttp_cb)(void *arg, long status, const char *body,
    size_t len, const char *err);

int	 mhttp_init(void);
void	 mhttp_cleanup(void);
/* Start a JSON POST; the callback runs from a later mhttp_poll(). */
int	 mhttp_post(const char *url, const char *body, long timeout_ms,
	    long connect_timeout_ms, mhttp_cb, void *arg);
int	 mhttp_active(void);
/* In a new worker: wipe the bodies of transfers inherited by fork. */
void	 mhttp_scrub(void);
/*
 * Wait like poll(2) on the extra descriptors and on every transfer,
 * then drive the transfers and run completions.  Returns like poll.
 */
int	 mhttp_poll(struct pollfd *, int n, int timeout_ms);

#endif

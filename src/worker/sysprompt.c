/*
 * sysprompt.c: system prompt injection, fetch_system_prompt.txt and the
 * prompt log (see sysprompt.h).  The files are opened by the master
 * (runtime.c); workers write through the inherited descriptors, each
 * prompt log entry with a single write(2) on an O_APPEND descriptor so
 * that entries of concurrent workers never interleave.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "sysprompt.h"

#define FETCH_MAX	(1024 * 1024)

int
sysprompt_apply(struct c_request *r, const struct conf *c, struct arena *a)
{
	struct c_part *parts;
	size_t n;

	if (c->system_prompt_content == NULL)
		return 0;
	if (c->system_prompt_mode == SYSPROMPT_APPEND && r->nsystem > 0) {
		n = r->nsystem + 1;
		parts = arena_alloc(a, n * sizeof(*parts));
		if (parts == NULL)
			return -1;
		memcpy(parts, r->system, r->nsystem * sizeof(*parts));
	} else {
		n = 1;
		parts = arena_alloc(a, sizeof(*parts));
		if (parts == NULL)
			return -1;
	}
	parts[n - 1].type = C_TEXT;
	parts[n - 1].text = c->system_prompt_content;
	parts[n - 1].text_len = c->system_prompt_len;
	r->system = parts;
	r->nsystem = n;
	return 0;
}

static void
system_text(const struct c_request *r, struct buf *b)
{
	size_t i;

	for (i = 0; i < r->nsystem; i++) {
		if (r->system[i].text == NULL)
			continue;
		if (b->len > 0)
			buf_addc(b, '\n');
		buf_add(b, r->system[i].text, r->system[i].text_len);
	}
}

void
sysprompt_fetch(const struct c_request *r, const struct conf *c)
{
	static char *last;	/* what this worker last saw in the file */
	static size_t lastlen;
	struct buf cur, file;
	char tmp[8192];
	ssize_t n;
	off_t off = 0;

	if (c->fetch_prompt_fd == -1)
		return;
	buf_init(&cur, FETCH_MAX);
	system_text(r, &cur);
	if (last != NULL && lastlen == cur.len &&
	    memcmp(last, cur.data ? cur.data : "", cur.len) == 0) {
		buf_free(&cur);
		return;
	}
	/* compare with the file under a lock: other workers write it too */
	if (flock(c->fetch_prompt_fd, LOCK_EX) == -1) {
		buf_free(&cur);
		return;
	}
	buf_init(&file, FETCH_MAX + 1);
	while ((n = pread(c->fetch_prompt_fd, tmp, sizeof(tmp), off)) > 0) {
		if (buf_add(&file, tmp, (size_t)n) == -1)
			break;
		off += n;
	}
	if (file.len != cur.len || (cur.len > 0 &&
	    memcmp(file.data, cur.data, cur.len) != 0)) {
		if (ftruncate(c->fetch_prompt_fd, 0) == -1 ||
		    (cur.len > 0 && pwrite(c->fetch_prompt_fd, cur.data, cur.len,
		    0) != (ssize_t)cur.len))
			log_warn("fetch_system_prompt.txt");
	}
	flock(c->fetch_prompt_fd, LOCK_UN);
	free(last);
	last = malloc(cur.len + 1);
	if (last != NULL) {
		memcpy(last, cur.data ? cur.data : "", cur.len);
		lastlen = cur.len;
	}
	buf_free(&file);
	buf_free(&cur);
}

static void
entry(const struct conf *c, const char *tag, const char *text, size_t len)
{
	struct buf b;
	char stamp[32];
	struct tm tm;
	time_t t;

	if (len == 0 || c->prompt_log_mode == PROMPT_LOG_NONE)
		return;
	if (c->prompt_log_mode == PROMPT_LOG_CONSOLE) {
		log_info("[%s]:\n%.*s", tag, (int)len, text);
		return;
	}
	if (c->prompt_log_fd == -1)
		return;
	t = time(NULL);
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	buf_init(&b, 0);
	buf_addf(&b, "%s [%s]:\n", stamp, tag);
	buf_add(&b, text, len);
	buf_addstr(&b, "\n--------------------------------------\n");
	if (b.data != NULL && write(c->prompt_log_fd, b.data, b.len) == -1)
		log_warn("prompt log");
	buf_free(&b);
}

void
promptlog_input(const struct conf *c, const struct c_request *r)
{
	const struct c_message *m;
	struct buf b;
	size_t i;

	if (c->prompt_log_mode == PROMPT_LOG_NONE || r->nmsgs == 0)
		return;
	m = &r->msgs[r->nmsgs - 1];
	buf_init(&b, 0);
	for (i = 0; i < m->nparts; i++) {
		if (m->parts[i].type != C_TEXT || m->parts[i].text == NULL)
			continue;
		if (b.len > 0)
			buf_addc(&b, '\n');
		buf_add(&b, m->parts[i].text, m->parts[i].text_len);
	}
	entry(c, "INPUT", b.data, b.len);
	buf_free(&b);
}

void
promptlog_output(const struct conf *c, const char *text, size_t len)
{
	entry(c, "OUTPUT", text, len);
}

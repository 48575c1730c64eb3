/*
 * sysprompt.c: system prompt injection, fetch_system_prompt.txt and the
 * prompt log (see sysprompt.h).  The files are opened by the master
 * (runtime.c); workers write through the inherited descriptors, each
 * prompt log entry with a single write(2) on an O_APPEND descriptor so
 * that entries of concurrent workers never interleave.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "scoreboard.h"
#include "sysprompt.h"
#include "util.h"

#define FETCH_MAX	(1024 * 1024)

int
sysprompt_apply(struct c_request *r, const struct conf *c, struct arena *a)
{
	struct c_part *parts;
	size_t i, n, len;
	int marked = 0;
	char *t;

	if (c->system_prompt_content == NULL)
		return 0;
	for (i = 0; i < r->nsystem; i++)
		marked |= r->system[i].cache_control;
	if (c->system_prompt_mode == SYSPROMPT_APPEND && r->nsystem > 0 &&
	    marked) {
		/* keep the client's blocks (and their cache marks) */
		n = r->nsystem + 1;
		parts = arena_alloc(a, n * sizeof(*parts));
		if (parts == NULL)
			return -1;
		memcpy(parts, r->system, r->nsystem * sizeof(*parts));
		parts[n - 1].type = C_TEXT;
		parts[n - 1].text = c->system_prompt_content;
		parts[n - 1].text_len = c->system_prompt_len;
	} else if (c->system_prompt_mode == SYSPROMPT_APPEND &&
	    r->nsystem > 0) {
		/* server.md 9.2: existing + "\n" + file, one text */
		len = c->system_prompt_len + 1;
		for (i = 0; i < r->nsystem; i++)
			len += r->system[i].text_len + 1;
		t = arena_alloc(a, len + 1);
		parts = arena_alloc(a, sizeof(*parts));
		if (t == NULL || parts == NULL)
			return -1;
		len = 0;
		for (i = 0; i < r->nsystem; i++) {
			if (r->system[i].text == NULL)
				continue;
			memcpy(t + len, r->system[i].text,
			    r->system[i].text_len);
			len += r->system[i].text_len;
			t[len++] = '\n';
		}
		memcpy(t + len, c->system_prompt_content,
		    c->system_prompt_len);
		len += c->system_prompt_len;
		t[len] = '\0';
		n = 1;
		parts[0].type = C_TEXT;
		parts[0].text = t;
		parts[0].text_len = len;
	} else {
		n = 1;
		parts = arena_alloc(a, sizeof(*parts));
		if (parts == NULL)
			return -1;
		parts[0].type = C_TEXT;
		parts[0].text = c->system_prompt_content;
		parts[0].text_len = c->system_prompt_len;
	}
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

/* May this process write STATE_DIR?  Asked once per worker. */
static int
state_writable(const struct conf *c)
{
	static int w = -1;

	if (w == -1)
		w = c->state_dir != NULL && access(c->state_dir, W_OK) == 0;
	return w;
}

/* Replace the file by rename when this process may write STATE_DIR. */
static int
fetch_rename(const struct conf *c, const char *data, size_t len)
{
	char path[4096], err[256];

	if (!state_writable(c))
		return -1;
	snprintf(path, sizeof(path), "%s/fetch_system_prompt.txt",
	    c->state_dir);
	return file_write_atomic(path, data ? data : "", len, 0600, 0, err,
	    sizeof(err));
}

/* fcntl record locks belong to the process, unlike flock(2) locks,
 * which every worker would share through the inherited descriptor. */
static int
lock_fd(int fd, int type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = (short)type;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, F_SETLKW, &fl);
}

/*
 * What this worker last saw: the text, and the count of writes (by any
 * worker) at that time, kept in the scoreboard: when neither changed
 * there is nothing to do, and that costs no system call.
 */
static struct {
	char		*text;
	size_t		 len;
	uint64_t	 gen;
	int		 valid;
} seen;

/*
 * Keep STATE_DIR/fetch_system_prompt.txt equal to the effective system
 * text of the latest request, whichever worker served it.  The common
 * case costs nothing: no worker wrote the file since this one last
 * looked, and the text has not changed.  Otherwise, under a lock, the
 * file is read, compared and written: replaced atomically when this
 * process may write STATE_DIR, else (workers that dropped privileges)
 * rewritten in place through the descriptor the master opened.
 */
void
sysprompt_fetch(const struct c_request *r, const struct conf *c)
{
	struct buf cur, file;
	char tmp[8192], path[4096], *data;
	ssize_t n;
	off_t off = 0;
	size_t len;
	int fd = c->fetch_prompt_fd;

	if (fd == -1)
		return;
	buf_init(&cur, FETCH_MAX);
	system_text(r, &cur);
	if (seen.valid && seen.gen == atomic_load(&sb->fetch_gen) &&
	    seen.len == cur.len && (cur.len == 0 ||
	    memcmp(seen.text, cur.data, cur.len) == 0)) {
		buf_free(&cur);
		return;
	}
	if (lock_fd(fd, F_WRLCK) == -1) {
		buf_free(&cur);
		return;
	}
	buf_init(&file, FETCH_MAX + 1);
	if (state_writable(c)) {
		snprintf(path, sizeof(path), "%s/fetch_system_prompt.txt",
		    c->state_dir);
		data = file_read_all(path, FETCH_MAX, &len);
		if (data != NULL) {
			buf_add(&file, data, len);
			free(data);
		}
	} else {
		while ((n = pread(fd, tmp, sizeof(tmp), off)) > 0) {
			if (buf_add(&file, tmp, (size_t)n) == -1)
				break;
			off += n;
		}
	}
	if (file.len != cur.len || (cur.len > 0 &&
	    memcmp(file.data, cur.data, cur.len) != 0)) {
		if (fetch_rename(c, cur.data, cur.len) == -1 &&
		    (ftruncate(fd, 0) == -1 || (cur.len > 0 &&
		    pwrite(fd, cur.data, cur.len, 0) != (ssize_t)cur.len)))
			log_warn("fetch_system_prompt.txt");
		atomic_fetch_add(&sb->fetch_gen, 1);
	}
	seen.gen = atomic_load(&sb->fetch_gen);
	lock_fd(fd, F_UNLCK);
	free(seen.text);
	seen.text = malloc(cur.len + 1);
	seen.valid = seen.text != NULL;
	if (seen.valid) {
		memcpy(seen.text, cur.data ? cur.data : "", cur.len);
		seen.len = cur.len;
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

/*
 * runtime.c: what the master prepares for workers after a configuration
 * is loaded: the system prompt file's content, the prompt log file and
 * fetch_system_prompt.txt (DESIGN decisions 7 and 12), opened before
 * the workers fork so that they write through inherited descriptors
 * and never need access to STATE_DIR, which holds state.json.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "master.h"
#include "util.h"
#include "xalloc.h"

#define PROMPT_MAX	(1024 * 1024)

static char	*log_path;	/* the prompt log of this run */

static void
load_system_prompt(struct conf *c)
{
	size_t len, i;
	char *s;

	if (c->system_prompt_file_path == NULL)
		return;
	s = file_read_all(c->system_prompt_file_path, PROMPT_MAX, &len);
	if (s == NULL) {
		if (errno != ENOENT)
			log_warn("SYSTEM_PROMPT_FILE_PATH %s",
			    c->system_prompt_file_path);
		return;
	}
	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\n')
			break;
	if (i == len) {
		free(s);	/* only white space: no injection */
		return;
	}
	c->system_prompt_content = s;	/* verbatim, not trimmed */
	c->system_prompt_len = len;
	log_info("system prompt from %s (%zu bytes, %s)",
	    c->system_prompt_file_path, len,
	    c->system_prompt_mode == SYSPROMPT_APPEND ? "append" : "overwrite");
}

static int
open_in_state(const struct conf *c, const char *name, int flags)
{
	char *p;
	int fd;

	if (c->state_dir == NULL)
		return -1;
	if (mkdir(c->state_dir, 0700) == -1 && errno != EEXIST)
		return -1;
	p = name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", c->state_dir,
	    name);
	fd = open(p, flags | O_CLOEXEC, 0600);
	if (fd == -1)
		log_warn("%s", p);
	free(p);
	return fd;
}

/*
 * Prepare nc, taking over what can be kept from old (NULL at start).
 * The prompt log file name is computed once per run.
 */
void
runtime_prepare(struct conf *nc, struct conf *old)
{
	char stamp[32];
	struct tm tm;
	time_t t;
	int fd;

	load_system_prompt(nc);
	if (nc->prompt_log_mode == PROMPT_LOG_FILE) {
		if (old != NULL && old->prompt_log_fd != -1 &&
		    old->prompt_log_base_name != NULL &&
		    nc->prompt_log_base_name != NULL &&
		    strcmp(old->prompt_log_base_name,
		    nc->prompt_log_base_name) == 0) {
			nc->prompt_log_fd = old->prompt_log_fd;
			old->prompt_log_fd = -1;
		} else {
			t = time(NULL);
			localtime_r(&t, &tm);
			strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
			free(log_path);
			log_path = xasprintf("%s-%s.log",
			    nc->prompt_log_base_name ? nc->prompt_log_base_name :
			    "prompt_log", stamp);
			fd = open_in_state(nc, log_path, O_WRONLY | O_CREAT |
			    O_APPEND);
			nc->prompt_log_fd = fd;
			if (fd != -1)
				log_info("prompt log: %s%s%s", log_path[0] ==
				    '/' ? "" : nc->state_dir, log_path[0] ==
				    '/' ? "" : "/", log_path);
		}
	}
	if (nc->fetch_system_prompt_file) {
		if (old != NULL && old->fetch_prompt_fd != -1) {
			nc->fetch_prompt_fd = old->fetch_prompt_fd;
			old->fetch_prompt_fd = -1;
		} else
			nc->fetch_prompt_fd = open_in_state(nc,
			    "fetch_system_prompt.txt", O_RDWR | O_CREAT);
	}
}

/* The master lets go of a configuration's descriptors. */
void
runtime_release(struct conf *c)
{
	if (c->prompt_log_fd != -1)
		close(c->prompt_log_fd);
	if (c->fetch_prompt_fd != -1)
		close(c->fetch_prompt_fd);
	c->prompt_log_fd = c->fetch_prompt_fd = -1;
}

/*
 * sysprompt.h: the system prompt file and the prompt log, applied to
 * every canonical request whatever its dialect and provider (server.md
 * §9, §10; DESIGN decisions 7 and 12).
 */
#ifndef AICLIENT_SYSPROMPT_H
#define AICLIENT_SYSPROMPT_H

#include <stddef.h>

#include "arena.h"
#include "canonical.h"
#include "conf.h"

/*
 * SYSTEM_PROMPT_FILE_PATH: overwrite replaces the request's system
 * prompt with the file; append adds the file after it (a new text part,
 * so cache-control marks of the client's parts survive).  Only real
 * system text counts as existing: never user text (server.md §9.2).
 */
int	 sysprompt_apply(struct c_request *, const struct conf *,
	    struct arena *);
/* STATE_DIR/fetch_system_prompt.txt: the effective system text, written
 * only when it changes. */
void	 sysprompt_fetch(const struct c_request *, const struct conf *);
/* PROMPT_LOG_MODE: the last message in, the answer's text out. */
void	 promptlog_input(const struct conf *, const struct c_request *);
void	 promptlog_output(const struct conf *, const char *, size_t);

#endif

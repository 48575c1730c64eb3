/*
 * handlers.h: the route handlers.  Each reads r->c->req (head and
 * body) and answers on r->c.
 */
#ifndef AICLIENT_HANDLERS_H
#define AICLIENT_HANDLERS_H

#include "router.h"

void	 h_health(struct request *);
void	 h_openai_chat(struct request *);
void	 h_openai_models(struct request *);
void	 h_claude_messages(struct request *);
void	 h_claude_count_tokens(struct request *);
void	 h_gemini_generate(struct request *);
void	 h_gemini_models(struct request *);
void	 h_gemini_model(struct request *);

#endif

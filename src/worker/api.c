/*
 * api.c: handlers that do not depend on a provider (health), and the
 * answer every API route gives while its provider is not part of this
 * build.  Provider-backed handlers replace the latter as they land.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "jsonw.h"
#include "scoreboard.h"
#include "util.h"

/* GET /health: never touches an upstream or an account. */
void
h_health(struct request *r)
{
	struct buf b;
	char ts[40];
	int64_t now = wall_ms();
	int i, total = 0, busy = 0;
	uint32_t gen = atomic_load(&sb->generation), st;

	for (i = 0; i < SB_SLOTS; i++) {
		if (atomic_load(&sb->w[i].pid) == 0 ||
		    atomic_load(&sb->w[i].generation) != gen)
			continue;
		st = atomic_load(&sb->w[i].state);
		if (st == SB_FREE || st == SB_EXITING)
			continue;
		total++;
		if (st == SB_READ || st == SB_BUSY || st == SB_KEEPALIVE)
			busy++;
	}
	iso8601_utc(now, ts, sizeof(ts));
	buf_init(&b, 4096);
	buf_addstr(&b, "{\"status\":\"healthy\",\"timestamp\":");
	jw_cstr(&b, ts);
	buf_addstr(&b, ",\"provider\":");
	jw_cstr(&b, r->provider);
	buf_addstr(&b, ",\"version\":\"" VERSION "\",\"uptime\":");
	jw_int(&b, (now - sb->started_ms) / 1000);
	buf_addf(&b, ",\"workers\":{\"total\":%d,\"busy\":%d,\"idle\":%d,"
	    "\"generation\":%u}}", total, busy, total - busy, gen);
	api_json(r, 200, b.data, b.len);
	buf_free(&b);
}

/* Until a provider is built in, its routes answer 501 in their dialect. */
static void
not_available(struct request *r)
{
	api_error(r, 501, "provider %s is not available in aiclientd %s",
	    r->provider, VERSION);
}

void
h_openai_chat(struct request *r)
{
	not_available(r);
}

void
h_openai_models(struct request *r)
{
	not_available(r);
}

void
h_claude_messages(struct request *r)
{
	not_available(r);
}

void
h_claude_count_tokens(struct request *r)
{
	not_available(r);
}

void
h_gemini_generate(struct request *r)
{
	not_available(r);
}

void
h_gemini_models(struct request *r)
{
	not_available(r);
}

void
h_gemini_model(struct request *r)
{
	not_available(r);
}

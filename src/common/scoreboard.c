/*
 * scoreboard.c: the shared status area (see scoreboard.h).
 */
#include "config.h"

#include <string.h>
#include <sys/mman.h>

#include "scoreboard.h"
#include "util.h"

#define SB_MAGIC	0x41494344u	/* "AICD" */

struct scoreboard *sb;

int
sb_create(void)
{
	void *p;

	p = mmap(NULL, sizeof(struct scoreboard), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	sb = p;
	sb->magic = SB_MAGIC;
	sb->nslots = SB_SLOTS;
	sb->started_ms = wall_ms();
	return 0;
}

void
sb_set_state(int slot, enum sb_state st)
{
	struct sb_worker *w;
	uint32_t old;

	if (sb == NULL || slot < 0 || slot >= SB_SLOTS)
		return;
	w = &sb->w[slot];
	old = atomic_exchange(&w->state, (uint32_t)st);
	if (old == SB_IDLE && st != SB_IDLE)
		atomic_fetch_sub(&sb->idle, 1);
	else if (old != SB_IDLE && st == SB_IDLE)
		atomic_fetch_add(&sb->idle, 1);
	atomic_store(&w->since_ms, wall_ms());
}

const char *
sb_state_str(unsigned st)
{
	static const char *const names[] = { "free", "starting", "idle",
	    "reading", "busy", "keepalive", "exiting" };

	if (st >= nitems(names))
		return "unknown";
	return names[st];
}

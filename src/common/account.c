/*
 * account.c: the ACCOUNT_SET payload codec (see account.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "util.h"

const char *
acct_health_str(enum acct_health h)
{
	switch (h) {
	case ACCT_OK:
		return "ok";
	case ACCT_UNUSABLE:
		return "unusable";
	case ACCT_NEEDS_LOGIN:
		return "needs-login";
	case ACCT_UNHEALTHY:
		return "unhealthy";
	case ACCT_QUOTA:
		return "quota-exhausted";
	case ACCT_DISABLED:
		return "disabled";
	}
	return "unknown";
}

void
account_msg_add(struct msg_out *m, const struct account_view *v)
{
	msg_add_u32(m, v->index);
	msg_add_str(m, v->id);
	msg_add_str(m, v->provider);
	msg_add_str(m, v->access_token);
	msg_add_u64(m, v->token_gen);
	msg_add_i64(m, v->expires_ms);
	msg_add_str(m, v->region);
	msg_add_str(m, v->profile_arn);
	msg_add_str(m, v->machine_id);
	msg_add_str(m, v->project_id);
	msg_add_u32(m, v->health);
	msg_add_i64(m, v->until_ms);
	msg_add_str(m, v->reason);
}

static char *
dupn(const char *s)
{
	return s ? strdup(s) : NULL;
}

int
account_msg_get(struct msg_in *m, struct account_view *v)
{
	const char *s;

	memset(v, 0, sizeof(*v));
	v->index = msg_get_u32(m);
	s = msg_get_str(m);
	if (s == NULL || strlen(s) >= sizeof(v->id))
		return -1;
	strlcpy(v->id, s, sizeof(v->id));
	s = msg_get_str(m);
	if (s == NULL || strlen(s) >= sizeof(v->provider))
		return -1;
	strlcpy(v->provider, s, sizeof(v->provider));
	v->access_token = dupn(msg_get_str(m));
	v->token_gen = msg_get_u64(m);
	v->expires_ms = msg_get_i64(m);
	v->region = dupn(msg_get_str(m));
	v->profile_arn = dupn(msg_get_str(m));
	v->machine_id = dupn(msg_get_str(m));
	v->project_id = dupn(msg_get_str(m));
	v->health = msg_get_u32(m);
	v->until_ms = msg_get_i64(m);
	v->reason = dupn(msg_get_str(m));
	if (msg_end(m) == -1 || v->index >= ACCOUNT_MAX) {
		account_view_clear(v);
		return -1;
	}
	return 0;
}

void
account_view_clear(struct account_view *v)
{
	if (v->access_token != NULL) {
		explicit_bzero(v->access_token, strlen(v->access_token));
		free(v->access_token);
	}
	free(v->region);
	free(v->profile_arn);
	free(v->machine_id);
	free(v->project_id);
	free(v->reason);
	memset(v, 0, sizeof(*v));
}

/*
 * accounts.c: the master's account table (see accounts.h).
 *
 * Which accounts exist (DESIGN decision 15): the entries of a
 * provider's list in PROVIDER_POOLS_FILE_PATH, or, when there is none,
 * one account made of the top-level keys.  An account whose credential
 * cannot be read stays in the table as "unusable" with the reason, so
 * `aiclientctl accounts` shows it and requests get a clear 503; the
 * daemon itself never stops over a credential.
 *
 * Workers get an account_view per account: the access token, its
 * generation, expiry, region, profile ARN (social only), machine id and
 * health.  Nothing else leaves this process.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "accounts.h"
#include "control.h"
#include "log.h"
#include "mhttp.h"
#include "wacct.h"
#include "proto.h"
#include "scoreboard.h"
#include "util.h"
#include "xalloc.h"

#define KIRO		"claude-kiro-oauth"
#define RECHECK_MS	5000	/* how often unusable files are looked at */

struct macct	*accts;
size_t		 naccts;
static int64_t	 next_recheck;

struct macct *
accounts_find(const char *id)
{
	size_t i;

	for (i = 0; i < naccts; i++)
		if (accts[i].live && strcmp(accts[i].v.id, id) == 0)
			return &accts[i];
	return NULL;
}

static void
set_str(char **dst, const char *s)
{
	if (*dst != NULL)
		explicit_bzero(*dst, strlen(*dst));
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

void
accounts_set_health(struct macct *a, enum acct_health h, int64_t until,
    const char *reason)
{
	a->v.health = h;
	a->v.until_ms = until;
	set_str(&a->v.reason, reason);
}

static void
send_one(struct wslot *w, struct macct *a)
{
	struct msg_out m;

	if (w->pid == 0 || w->fd == -1 || !w->ready)
		return;
	msg_create(&m, MSG_ACCOUNT_SET, a->v.index);
	account_msg_add(&m, &a->v);
	if (msg_close(&m) == -1 || msgq_put(&w->out, &m) == -1) {
		log_warnx("cannot queue an account update for worker pid %ld",
		    (long)w->pid);
		return;
	}
	sup_flush(w);
}

void
accounts_child_handover(void)
{
	size_t i;

	for (i = 0; i < naccts; i++) {
		if (accts[i].live)
			wacct_seed(&accts[i].v);
		kiro_cred_clear(&accts[i].kc);
		if (accts[i].b64 != NULL)
			explicit_bzero(accts[i].b64, strlen(accts[i].b64));
	}
	persist_scrub();
	mhttp_scrub();
}

void
accounts_broadcast(struct macct *a)
{
	int i;

	for (i = 0; i < SB_SLOTS; i++)
		if (M->w[i].pid != 0)
			send_one(&M->w[i], a);
}

void
accounts_send_all(struct wslot *w)
{
	size_t i;

	for (i = 0; i < naccts; i++)
		send_one(w, &accts[i]);
}

/* Copy the credential's public parts into the worker view. */
static void
view_from_cred(struct macct *a)
{
	const struct kiro_cred *c = &a->kc;
	char buf[65];
	const char *seed;

	set_str(&a->v.access_token, c->access_token);
	a->v.token_gen++;
	a->v.expires_ms = c->expires_ms;
	set_str(&a->v.region, c->region);
	set_str(&a->v.profile_arn, c->social ? c->profile_arn : NULL);
	/* kiro.md §4.2 [HEAD]: machine id per credential */
	seed = a->source == CRED_NONE ? NULL : a->v.id;
	if (c->profile_arn != NULL)
		seed = c->profile_arn;
	else if (c->client_id != NULL)
		seed = c->client_id;
	if (seed == NULL)
		seed = "KIRO_DEFAULT_MACHINE";
	sha256_hex(seed, strlen(seed), buf);
	set_str(&a->v.machine_id, buf);
}

void
acct_adopt(struct macct *a)
{
	a->loaded = 1;
	view_from_cred(a);
	if (a->v.health == ACCT_UNUSABLE || a->v.health == ACCT_NEEDS_LOGIN)
		accounts_set_health(a, ACCT_OK, 0, NULL);
	else if (a->v.health == ACCT_OK)
		set_str(&a->v.reason, NULL);
}

void
set_reason(struct macct *a, const char *r)
{
	set_str(&a->v.reason, r);
}

static void
stat_file(struct macct *a)
{
	a->have_st = a->path != NULL && stat(a->path, &a->st) == 0;
}

/* (Re)read the credential.  0 usable, -1 not (health and reason set). */
static int
acct_read(struct macct *a)
{
	struct kiro_cred kc;
	json_object *saved;
	char err[512];
	int rc;

	memset(&kc, 0, sizeof(kc));
	if (a->source == CRED_FILE) {
		stat_file(a);
		rc = kiro_cred_load_file(a->path, &kc, err, sizeof(err));
	} else if (a->source == CRED_BASE64) {
		rc = kiro_cred_load_base64(a->b64, &kc, err, sizeof(err));
		saved = rc == 0 ? persist_get_record(a->v.id, a->src_hash) :
		    NULL;
		if (saved != NULL) {
			/* tokens rotated since the value was configured */
			struct kiro_cred k2;

			if (kiro_cred_from_json(json_object_get(saved), &k2,
			    err, sizeof(err)) == 0) {
				kiro_cred_clear(&kc);
				kc = k2;
			}
		}
	} else {
		snprintf(err, sizeof(err), "no credential source");
		rc = -1;
	}
	if (rc == -1) {
		if (a->v.health != ACCT_UNUSABLE || a->v.reason == NULL ||
		    strcmp(a->v.reason, err) != 0)
			log_warnx("account %s: unusable: %s", a->v.id, err);
		accounts_set_health(a, ACCT_UNUSABLE, 0, err);
		strlcpy(a->last_error, err, sizeof(a->last_error));
		a->last_error_ms = wall_ms();
		return -1;
	}
	kiro_cred_clear(&a->kc);
	a->kc = kc;
	a->loaded = 1;
	view_from_cred(a);
	if (a->v.health == ACCT_UNUSABLE || a->v.health == ACCT_NEEDS_LOGIN)
		accounts_set_health(a, ACCT_OK, 0, NULL);
	if (a->kc.refresh_token == NULL)
		log_warnx("account %s: no refreshToken: the token cannot be "
		    "renewed when it expires", a->v.id);
	return 0;
}

static const char *
get_s(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return NULL;
	return json_object_get_string(v);
}

/* A configured account: find it again after a reload, or add it. */
static struct macct *
acct_add(const char *id, const char *provider, enum cred_source src,
    const char *path, const char *b64)
{
	struct macct *a;
	char h[13] = "";
	size_t i;

	if (b64 != NULL)
		hash_id(b64, strlen(b64), h);
	for (i = 0; i < naccts; i++) {
		a = &accts[i];
		if (strcmp(a->v.id, id) != 0 || strcmp(a->v.provider,
		    provider) != 0)
			continue;
		if (a->source == src && ((path == NULL && a->path == NULL) ||
		    (path != NULL && a->path != NULL &&
		    strcmp(path, a->path) == 0)) && strcmp(h, a->src_hash) == 0) {
			a->live = 1;
			return a;	/* same source: keep tokens and state */
		}
		/* same id, new source: start afresh in the same slot */
		kiro_cred_clear(&a->kc);
		a->loaded = 0;
		set_str(&a->path, path);
		set_str(&a->b64, b64);
		strlcpy(a->src_hash, h, sizeof(a->src_hash));
		a->source = src;
		a->live = 1;
		a->failures = 0;
		a->refresh_at = 0;
		accounts_set_health(a, ACCT_OK, 0, NULL);
		acct_read(a);
		return a;
	}
	if (naccts >= ACCOUNT_MAX) {
		log_warnx("too many accounts: %s ignored", id);
		return NULL;
	}
	accts = xreallocarray(accts, naccts + 1, sizeof(*accts));
	a = &accts[naccts];
	memset(a, 0, sizeof(*a));
	a->v.index = (uint32_t)naccts;
	strlcpy(a->v.id, id, sizeof(a->v.id));
	strlcpy(a->v.provider, provider, sizeof(a->v.provider));
	a->source = src;
	a->path = path ? xstrdup(path) : NULL;
	a->b64 = b64 ? xstrdup(b64) : NULL;
	strlcpy(a->src_hash, h, sizeof(a->src_hash));
	a->live = 1;
	naccts++;
	atomic_store(&sb->acct[a->v.index].used, 1);
	acct_read(a);
	return a;
}

/* The source of one entry (pool member or top-level keys). */
static struct macct *
add_entry(const struct conf *c, const char *id, const char *provider,
    const char *b64, const char *file, const char *dir, char *why,
    size_t whylen)
{
	struct macct *a;
	char *path;

	if (b64 != NULL)
		return acct_add(id, provider, CRED_BASE64, NULL, b64);
	if (file != NULL) {
		path = path_resolve(file, c->dir);
		a = acct_add(id, provider, CRED_FILE, path, NULL);
		free(path);
		return a;
	}
	if (dir != NULL) {
		char *d = path_resolve(dir, c->dir);

		path = xasprintf("%s/%s", d, KIRO_TOKEN_FILE);
		free(d);
		a = acct_add(id, provider, CRED_FILE, path, NULL);
		free(path);
		return a;
	}
	snprintf(why, whylen, "no credential configured");
	return NULL;
}

static int
wants_kiro(const struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nmodel_providers; i++)
		if (strncmp(c->model_providers[i], KIRO, strlen(KIRO)) == 0)
			return 1;
	return 0;
}

/* A pools-file boolean: true, or the strings "true"/"yes"/"1". */
static int
truthy(json_object *v)
{
	const char *s;

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		return !strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
		    !strcmp(s, "1");
	}
	return json_object_get_boolean(v);
}

/* Pool entries of one provider key: a list, or {"accounts": [...]}. */
static json_object *
pool_list(json_object *v)
{
	json_object *acc;

	if (v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_array))
		return v;
	if (json_object_is_type(v, json_type_object) &&
	    json_object_object_get_ex(v, "accounts", &acc) &&
	    json_object_is_type(acc, json_type_array))
		return acc;
	return NULL;
}

static int
load_pools(const struct conf *c)
{
	struct conf_diags d;
	json_object *root, *list, *e;
	const char *uuid;
	char id[ACCOUNT_ID_MAX], why[128], h[13];
	struct macct *a;
	size_t i, n = 0;

	if (c->provider_pools_file_path == NULL)
		return 0;
	conf_diags_init(&d);
	root = conf_read_file(c->provider_pools_file_path, &d);
	conf_diags_log(&d);
	conf_diags_free(&d);
	if (root == NULL) {
		log_warnx("%s: pools not used", c->provider_pools_file_path);
		return 0;
	}
	json_object_object_foreach(root, key, val) {
		if (strcmp(key, KIRO) != 0 && (strncmp(key, KIRO "-",
		    strlen(KIRO) + 1) != 0))
			continue;
		list = pool_list(val);
		if (list == NULL) {
			log_warnx("%s: %s: expected a list of accounts",
			    c->provider_pools_file_path, key);
			continue;
		}
		for (i = 0; i < json_object_array_length(list); i++) {
			e = json_object_array_get_idx(list, i);
			if (e == NULL || !json_object_is_type(e,
			    json_type_object)) {
				log_warnx("%s: %s[%zu]: not an object",
				    c->provider_pools_file_path, key, i);
				continue;
			}
			uuid = get_s(e, "uuid");
			if (uuid != NULL)
				snprintf(id, sizeof(id), "%s", uuid);
			else {
				/* decision 4: stable id from the credential
				 * fields, never the secret itself */
				const char *k = get_s(e,
				    "KIRO_OAUTH_CREDS_BASE64");
				char *src;

				if (k == NULL)
					k = get_s(e,
					    "KIRO_OAUTH_CREDS_FILE_PATH");
				if (k == NULL)
					k = get_s(e,
					    "KIRO_OAUTH_CREDS_DIR_PATH");
				/* the position only when nothing else tells
				 * entries apart */
				src = k != NULL ? xasprintf("%s|%s", key, k) :
				    xasprintf("%s|#%zu", key, i);
				hash_id(src, strlen(src), h);
				free(src);
				snprintf(id, sizeof(id), "kiro-%s", h);
			}
			why[0] = '\0';
			a = add_entry(c, id, KIRO,
			    get_s(e, "KIRO_OAUTH_CREDS_BASE64"),
			    get_s(e, "KIRO_OAUTH_CREDS_FILE_PATH"),
			    get_s(e, "KIRO_OAUTH_CREDS_DIR_PATH"), why,
			    sizeof(why));
			if (a == NULL) {
				log_warnx("%s: %s[%zu]: %s",
				    c->provider_pools_file_path, key, i, why);
				continue;
			}
			a->disabled = truthy(json_object_object_get(e,
			    "isDisabled"));
			if (a->disabled)
				accounts_set_health(a, ACCT_DISABLED, 0,
				    "disabled in the pools file");
			else if (a->v.health == ACCT_DISABLED &&
			    a->v.reason != NULL && strcmp(a->v.reason,
			    "disabled in the pools file") == 0)
				accounts_set_health(a, ACCT_OK, 0, NULL);
			n++;
		}
	}
	json_object_put(root);
	return (int)n;
}

void
accounts_load(const struct conf *c)
{
	char *def, why[128];
	size_t i;
	int64_t now = wall_ms();
	struct macct *a;

	for (i = 0; i < naccts; i++)
		accts[i].live = 0;
	persist_load(c->state_dir);
	if (load_pools(c) == 0) {
		/* the top-level keys form one account */
		if (c->kiro_oauth_creds_base64 != NULL ||
		    c->kiro_oauth_creds_file_path != NULL ||
		    c->kiro_oauth_creds_dir_path != NULL) {
			add_entry(c, KIRO, KIRO, c->kiro_oauth_creds_base64,
			    c->kiro_oauth_creds_file_path,
			    c->kiro_oauth_creds_dir_path, why, sizeof(why));
		} else if (wants_kiro(c)) {
			def = xasprintf("%s/.aws/sso/cache/%s", home_dir(),
			    KIRO_TOKEN_FILE);
			if (access(def, F_OK) == 0)
				acct_add(KIRO, KIRO, CRED_FILE, def, NULL);
			else
				log_warnx("claude-kiro-oauth: no credentials "
				    "configured and %s does not exist", def);
			free(def);
		}
	}
	for (i = 0; i < naccts; i++) {
		a = &accts[i];
		if (!a->live) {
			if (a->v.health != ACCT_DISABLED ||
			    a->v.reason == NULL ||
			    strcmp(a->v.reason, "removed") != 0) {
				accounts_set_health(a, ACCT_DISABLED, 0,
				    "removed");
				accounts_broadcast(a);
			}
			atomic_store(&sb->acct[a->v.index].used, 0);
			continue;
		}
		atomic_store(&sb->acct[a->v.index].used, 1);
		if (!a->loaded || a->disabled)
			continue;
		/* decision 8: at start and reload, refresh what expires soon */
		if (a->v.access_token == NULL || a->v.expires_ms == 0 ||
		    a->v.expires_ms - now < (c->cron_near_minutes > 60 ? 60 :
		    c->cron_near_minutes) * 60000 ||
		    a->v.expires_ms - now < 5 * 60000)
			refresh_start(a, a->v.access_token == NULL ?
			    "no access token" : "expires soon");
		else
			refresh_schedule(a);
		if (!a->refreshing)
			log_info("account %s (%s): %s, %s credential, token "
			    "expires in %lld min", a->v.id, a->v.provider,
			    acct_health_str(a->v.health), a->kc.social ?
			    "social" : "IdC",
			    (long long)((a->v.expires_ms - now) / 60000));
		accounts_broadcast(a);
	}
}

/* Next month's first day, 00:00 UTC, in ms (402: quota until then). */
static int64_t
next_month_ms(void)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (++tm.tm_mon == 12) {
		tm.tm_mon = 0;
		tm.tm_year++;
	}
	return (int64_t)timegm(&tm) * 1000;
}

void
accounts_worker_msg(struct wslot *w, struct msg_in *m)
{
	struct macct *a;
	const char *id, *reason;
	char e[600];
	uint64_t gen;
	uint32_t status;

	switch (m->hdr.type) {
	case MSG_TOKEN_REJECTED:
		id = msg_get_str(m);
		gen = msg_get_u64(m);
		if (id == NULL || msg_end(m) == -1)
			fatalx("malformed TOKEN_REJECTED from pid %ld",
			    (long)w->pid);
		a = accounts_find(id);
		if (a == NULL)
			return;
		if (a->v.token_gen > gen || a->refreshing ||
		    a->v.health != ACCT_OK) {
			/* a newer token exists, one is coming, or the
			 * account is out: tell the worker where things are */
			if (!a->refreshing)
				send_one(w, a);
			return;
		}
		refresh_start(a, "token rejected or about to expire");
		return;
	case MSG_ACCOUNT_FAILED:
		id = msg_get_str(m);
		status = msg_get_u32(m);
		reason = msg_get_str(m);
		if (id == NULL || msg_end(m) == -1)
			fatalx("malformed ACCOUNT_FAILED from pid %ld",
			    (long)w->pid);
		a = accounts_find(id);
		if (a == NULL)
			return;
		snprintf(a->last_error, sizeof(a->last_error), "HTTP %u: %s",
		    status, reason ? reason : "");
		a->last_error_ms = wall_ms();
		if (status == 402) {
			accounts_set_health(a, ACCT_QUOTA, next_month_ms(),
			    "monthly quota exhausted");
			accounts_broadcast(a);
		} else if (status == 401) {
			/* kiro.md §8.4: the worker reports a 401 (or a
			 * token-related 403) only when a refreshed token was
			 * refused again: only a new login helps */
			snprintf(e, sizeof(e), "upstream refused a freshly "
			    "refreshed token (%s): log in to Kiro again",
			    a->last_error);
			log_warnx("account %s: %s", a->v.id, e);
			accounts_set_health(a, ACCT_NEEDS_LOGIN, 0, e);
			accounts_broadcast(a);
		} else if (status == 403) {
			accounts_set_health(a, ACCT_UNHEALTHY,
			    wall_ms() + 60 * 60000, a->last_error);
			accounts_broadcast(a);
		}
		log_info("account %s: upstream failure reported: %s", a->v.id,
		    a->last_error);
		return;
	}
}

void
accounts_tick(void)
{
	int64_t now = wall_ms(), mono = mono_ms();
	struct stat st;
	struct macct *a;
	size_t i;
	int recheck = mono >= next_recheck;

	if (recheck)
		next_recheck = mono + RECHECK_MS;
	for (i = 0; i < naccts; i++) {
		a = &accts[i];
		if (!a->live)
			continue;
		if ((a->v.health == ACCT_UNHEALTHY ||
		    a->v.health == ACCT_QUOTA) && a->v.until_ms != 0 &&
		    now >= a->v.until_ms) {
			accounts_set_health(a, ACCT_OK, 0, NULL);
			log_info("account %s is back in service", a->v.id);
			accounts_broadcast(a);
		}
		if (a->v.health == ACCT_OK && a->loaded && !a->refreshing &&
		    a->refresh_at != 0 && now >= a->refresh_at)
			refresh_start(a, "scheduled");
		/* decision 8: needs-login clears when the file changes */
		if (recheck && a->source == CRED_FILE &&
		    (a->v.health == ACCT_UNUSABLE ||
		    a->v.health == ACCT_NEEDS_LOGIN) &&
		    stat(a->path, &st) == 0 && (!a->have_st ||
		    st.st_mtim.tv_sec != a->st.st_mtim.tv_sec ||
		    st.st_mtim.tv_nsec != a->st.st_mtim.tv_nsec ||
		    st.st_ino != a->st.st_ino || st.st_size != a->st.st_size)) {
			log_info("account %s: %s changed; reading it again",
			    a->v.id, a->path);
			if (acct_read(a) == 0) {
				refresh_schedule(a);
				if (a->v.expires_ms - now < 5 * 60000)
					refresh_start(a, "new credential file");
			}
			accounts_broadcast(a);
		}
	}
}

/* ---- control ----------------------------------------------------------- */

static json_object *
acct_json(struct macct *a)
{
	json_object *o = json_object_new_object();
	struct sb_account *s = &sb->acct[a->v.index];
	char ts[40], mask[32];

	json_object_object_add(o, "provider",
	    json_object_new_string(a->v.provider));
	json_object_object_add(o, "id", json_object_new_string(a->v.id));
	json_object_object_add(o, "auth", json_object_new_string(!a->loaded ?
	    "-" : a->kc.social ? "social" : "idc"));
	json_object_object_add(o, "region", json_object_new_string(
	    a->v.region ? a->v.region : "-"));
	if (a->v.expires_ms > 0) {
		iso8601_utc(a->v.expires_ms, ts, sizeof(ts));
		json_object_object_add(o, "expires", json_object_new_string(ts));
		json_object_object_add(o, "expires_in", json_object_new_int64(
		    (a->v.expires_ms - wall_ms()) / 1000));
	}
	json_object_object_add(o, "health", json_object_new_string(
	    acct_health_str(a->v.health)));
	if (a->v.reason != NULL)
		json_object_object_add(o, "reason",
		    json_object_new_string(a->v.reason));
	if (a->v.until_ms > 0) {
		iso8601_utc(a->v.until_ms, ts, sizeof(ts));
		json_object_object_add(o, "until", json_object_new_string(ts));
	}
	json_object_object_add(o, "last_error", json_object_new_string(
	    a->last_error));
	json_object_object_add(o, "refreshing",
	    json_object_new_boolean(a->refreshing));
	if (a->refreshed_ms > 0) {
		iso8601_utc(a->refreshed_ms, ts, sizeof(ts));
		json_object_object_add(o, "refreshed",
		    json_object_new_string(ts));
	}
	json_object_object_add(o, "requests", json_object_new_int64(
	    (int64_t)atomic_load(&s->requests)));
	json_object_object_add(o, "errors", json_object_new_int64(
	    (int64_t)atomic_load(&s->errors)));
	json_object_object_add(o, "inflight", json_object_new_int64(
	    (int64_t)atomic_load(&s->inflight)));
	if (a->source == CRED_FILE)
		json_object_object_add(o, "source",
		    json_object_new_string(a->path));
	else if (a->source == CRED_BASE64) {
		snprintf(ts, sizeof(ts), "base64:%s", a->src_hash);
		json_object_object_add(o, "source", json_object_new_string(ts));
	}
	if (a->v.access_token != NULL) {
		secret_mask(a->v.access_token, mask, sizeof(mask));
		json_object_object_add(o, "token", json_object_new_string(mask));
	}
	return o;
}

static void
reply(int fd, json_object *o)
{
	control_reply(fd, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

int
accounts_control(const char *cmd, const char *arg, int fd, char *err,
    size_t errlen)
{
	json_object *o, *arr;
	struct macct *a;
	size_t i;

	if (strcmp(cmd, "accounts") == 0) {
		o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		arr = json_object_new_array();
		for (i = 0; i < naccts; i++)
			if (accts[i].live)
				json_object_array_add(arr, acct_json(&accts[i]));
		json_object_object_add(o, "accounts", arr);
		reply(fd, o);
		return 0;
	}
	if (strcmp(cmd, "refresh") != 0 && strcmp(cmd, "enable") != 0 &&
	    strcmp(cmd, "disable") != 0) {
		snprintf(err, errlen, "unknown command '%s' (try: status, "
		    "reload, accounts, refresh ID, enable ID, disable ID)",
		    cmd);
		return -1;
	}
	if (arg == NULL || *arg == '\0') {
		snprintf(err, errlen, "%s needs an account id", cmd);
		return -1;
	}
	a = accounts_find(arg);
	if (a == NULL) {
		snprintf(err, errlen, "no account '%.64s'", arg);
		return -1;
	}
	if (strcmp(cmd, "disable") == 0) {
		a->disabled = 1;
		accounts_set_health(a, ACCT_DISABLED, 0, "disabled by "
		    "aiclientctl");
	} else if (strcmp(cmd, "enable") == 0) {
		a->disabled = 0;
		if (a->v.health == ACCT_DISABLED)
			accounts_set_health(a, ACCT_OK, 0, NULL);
		if (!a->loaded)
			acct_read(a);
	} else {
		if (!a->loaded && acct_read(a) == -1) {
			snprintf(err, errlen, "account %s is unusable: %s",
			    a->v.id, a->last_error);
			return -1;
		}
		if (a->nwaiters >= (int)nitems(a->waiters)) {
			snprintf(err, errlen, "too many waiting clients");
			return -1;
		}
		a->waiters[a->nwaiters++] = fd;
		refresh_start(a, "requested by aiclientctl");
		return 0;	/* answered when the refresh ends */
	}
	accounts_broadcast(a);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "message", json_object_new_string(
	    a->disabled ? "disabled" : "enabled"));
	reply(fd, o);
	return 0;
}

/*
 * persist.c: STATE_DIR/state.json, the master's runtime state (DESIGN
 * decision 4).  For now it keeps credentials rotated by a refresh when
 * they came from KIRO_OAUTH_CREDS_BASE64 (there is no file to write
 * them to), keyed by account id and a hash of the configured value, so
 * that a new value from the user wins over the saved one.  The file may
 * hold refresh tokens: mode 0600 in a 0700 directory, atomic writes,
 * only the master writes it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accounts.h"
#include "jsonw.h"
#include "log.h"
#include "util.h"
#include "xalloc.h"

static json_object	*state;
static char		*state_path;
static char		*state_dir;

void
persist_load(const char *dir)
{
	json_object *o;

	if (dir == NULL)
		return;
	free(state_path);
	free(state_dir);
	state_dir = xstrdup(dir);
	state_path = xasprintf("%s/state.json", dir);
	json_object_put(state);
	state = NULL;
	o = json_object_from_file(state_path);
	if (o != NULL && json_object_is_type(o, json_type_object))
		state = o;
	else {
		json_object_put(o);
		if (access(state_path, F_OK) == 0)
			log_warnx("%s is not valid JSON; starting afresh",
			    state_path);
		state = json_object_new_object();
		json_object_object_add(state, "version",
		    json_object_new_int(1));
	}
}

static json_object *
accounts_obj(void)
{
	json_object *a;

	if (state == NULL)
		return NULL;
	if (!json_object_object_get_ex(state, "accounts", &a) ||
	    !json_object_is_type(a, json_type_object)) {
		a = json_object_new_object();
		json_object_object_add(state, "accounts", a);
	}
	return a;
}

json_object *
persist_get_record(const char *id, const char *src_hash)
{
	json_object *a = accounts_obj(), *e, *h, *r;

	if (a == NULL || !json_object_object_get_ex(a, id, &e) ||
	    !json_object_object_get_ex(e, "source_hash", &h) ||
	    strcmp(json_object_get_string(h), src_hash) != 0 ||
	    !json_object_object_get_ex(e, "record", &r))
		return NULL;
	return r;
}

void
persist_put_record(const char *id, const char *src_hash, json_object *record)
{
	json_object *a = accounts_obj(), *e;

	if (a == NULL)
		return;
	e = json_object_new_object();
	json_object_object_add(e, "source_hash",
	    json_object_new_string(src_hash));
	json_object_object_add(e, "record", json_object_get(record));
	json_object_object_add(a, id, e);
}

void
persist_save(void)
{
	const char *s;
	char err[512];
	size_t len;

	if (state == NULL || state_path == NULL)
		return;
	if (mkdir(state_dir, 0700) == -1 && errno != EEXIST) {
		log_warn("STATE_DIR %s", state_dir);
		return;
	}
	s = json_object_to_json_string_length(state, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (file_write_atomic(state_path, s, len, 0600, 0, err,
	    sizeof(err)) == -1)
		log_warnx("cannot save the runtime state: %s", err);
}

void
persist_scrub(void)
{
	json_wipe_strings(state);
}

/*
 * canon_load.h: test helpers that build canonical requests and events
 * from the JSON shapes c_request_to_json() and c_event_to_json() print,
 * so that golden tests can start from canonical data.
 */
#ifndef AICLIENT_CANON_LOAD_H
#define AICLIENT_CANON_LOAD_H

#include <stddef.h>

#include <json-c/json.h>

#include "arena.h"
#include "canonical.h"

/* j must outlive out (strings are borrowed from it). */
int	 canon_load_request(json_object *j, struct c_request *out,
	    struct arena *a, char *err, size_t errlen);
/* Send each event of the array to s; -1 when the sink refuses one. */
int	 canon_replay_events(json_object *array, struct c_sink *s);
/* Read a JSON file (tests): new reference, caller puts; NULL on error. */
json_object *canon_read_json(const char *path);

#endif

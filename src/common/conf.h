/*
 * conf.h: the daemon's configuration.
 *
 * The file is YAML, or JSON when its first non-blank character is '{'
 * (an existing config.json of the reference works unchanged).  Keys are
 * the reference's upper-case names.  Layers, later wins: built-in
 * defaults, the file, environment variables of the same names (not
 * USER and GROUP), command-line flags.  Every key is described once in
 * the table in conf.c (type, default, flag, bounds), which drives
 * parsing, the environment, getopt and `aiclientd -t`.
 *
 * conf_load() never exits: it returns a struct conf (or NULL) and a
 * list of diagnostics, each "file:line: message", so a reload with a
 * broken file can be refused while the old configuration keeps serving.
 */
#ifndef AICLIENT_CONF_H
#define AICLIENT_CONF_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"

enum prompt_log_mode {
	PROMPT_LOG_NONE = 0,
	PROMPT_LOG_CONSOLE,
	PROMPT_LOG_FILE
};

enum sysprompt_mode {
	SYSPROMPT_OVERWRITE = 0,
	SYSPROMPT_APPEND
};

/* REQUIRED_API_KEY states (DESIGN decision 2). */
enum apikey_state {
	APIKEY_ABSENT = 0,	/* not configured: refuse to start */
	APIKEY_DISABLED,	/* explicit null or "": no client auth (loopback only) */
	APIKEY_SET
};

struct conf {
	char		*path;		/* absolute path of the file, or NULL */
	char		*dir;		/* its directory: base of relative paths */

	/* Service */
	enum apikey_state api_key_state;
	char		*required_api_key;	/* secret */
	long long	 server_port;
	char		*host;
	char		**model_providers;	/* normalised, NULL-terminated */
	size_t		 nmodel_providers;

	/* Providers (used by the provider issues) */
	char		*openai_api_key;	/* secret */
	char		*openai_base_url;
	char		*claude_api_key;	/* secret */
	char		*claude_base_url;
	char		*project_id;
	char		*gemini_oauth_creds_base64;	/* secret */
	char		*gemini_oauth_creds_file_path;
	char		*kiro_oauth_creds_base64;	/* secret */
	char		*kiro_oauth_creds_file_path;
	char		*kiro_oauth_creds_dir_path;
	char		*qwen_oauth_creds_file_path;
	char		*kiro_base_url;
	char		*kiro_refresh_url;
	char		*kiro_refresh_idc_url;
	char		*gemini_base_url;
	char		*google_oauth_token_url;
	char		*qwen_base_url;
	char		*qwen_oauth_base_url;
	char		*kiro_version;
	char		*kiro_os;
	char		*kiro_node_version;
	json_object	*kiro_models;		/* mapping name -> modelId, or NULL */
	json_object	*kiro_context_windows;	/* mapping name -> tokens, or NULL */
	int		 kiro_bracket_tool_calls;
	int		 kiro_dedupe_consecutive_fragments;
	char		*kiro_health_check;	/* usage | chat */
	long long	 claude_default_max_tokens;

	/* Requests */
	char		*system_prompt_file_path;
	enum sysprompt_mode system_prompt_mode;
	char		*prompt_log_base_name;
	enum prompt_log_mode prompt_log_mode;
	int		 fetch_system_prompt_file;
	long long	 request_max_retries;
	long long	 request_base_delay;	/* ms */
	long long	 cron_near_minutes;
	int		 cron_refresh_token;
	char		*provider_pools_file_path;

	/* Daemon */
	long long	 workers;
	long long	 max_workers;
	long long	 max_requests_per_worker;
	char		*control_socket;
	char		*pid_file;
	char		*state_dir;
	char		*user;
	char		*group;
	char		*log_file;
	char		*log_level;
	long long	 max_body_bytes;
	long long	 header_timeout_seconds;
	long long	 body_timeout_seconds;
	long long	 keepalive_timeout_seconds;
	long long	 shutdown_grace_seconds;
	long long	 upstream_connect_timeout_seconds;
	long long	 upstream_idle_timeout_seconds;
	long long	 axios_timeout;		/* ms; sets the idle timeout */

	/*
	 * Run-time resources, not keys: prepared by the master after a
	 * successful load (runtime.c) and inherited by the workers it forks.
	 * conf_free() frees the text; the master owns the descriptors.
	 */
	char		*system_prompt_content;	/* NULL: no injection */
	size_t		 system_prompt_len;
	int		 prompt_log_fd;		/* PROMPT_LOG_MODE file, or -1 */
	int		 fetch_prompt_fd;	/* fetch_system_prompt.txt, or -1 */

	/* Where each key's value came from, for -t and diagnostics. */
	unsigned char	*source;	/* per key: enum conf_source */
	int		*line;		/* per key: file line, 0 if unknown */
};

enum conf_source {
	CONF_SRC_DEFAULT = 0,
	CONF_SRC_FILE,
	CONF_SRC_ENV,
	CONF_SRC_FLAG
};

/* A command-line override: key name and raw text value. */
struct conf_override {
	const char	*key;
	const char	*value;
};

/* Diagnostics collected while loading. */
struct conf_diag {
	int		 error;		/* 1 error, 0 warning */
	char		*text;		/* "file:line: message" */
};

struct conf_diags {
	struct conf_diag *v;
	size_t		  n;
	size_t		  nerrors;
};

/*
 * Load path (NULL: defaults, environment and overrides only).  Returns
 * a new conf when there were no errors (warnings allowed), else NULL.
 * Diagnostics are appended to d either way.  use_env: consult the
 * environment (tests turn it off).
 */
struct conf	*conf_load(const char *path, const struct conf_override *,
		    size_t noverrides, int use_env, struct conf_diags *d);
void		 conf_free(struct conf *);
/* Wipe the values only the master may hold (inline OAuth credentials):
 * a new worker calls it on its inherited copy. */
void		 conf_scrub_master_secrets(struct conf *);
/*
 * Read another file in the configuration's format (YAML or JSON by its
 * first character): the pools file.  New reference or NULL (diagnostics
 * in d).
 */
json_object	*conf_read_file(const char *path, struct conf_diags *d);

void		 conf_diags_init(struct conf_diags *);
void		 conf_diags_free(struct conf_diags *);
/* Print every diagnostic to the logger (warn/error levels). */
void		 conf_diags_log(const struct conf_diags *);

/*
 * The long options derived from the key table, for getopt_long:
 * conf_flag_key(name) gives the key a flag sets, or NULL.
 */
const char	*conf_flag_key(const char *flag);
/* Iterate the table: key name, flag name (or NULL), one-line help. */
size_t		 conf_nkeys(void);
const char	*conf_key_name(size_t i);
const char	*conf_key_flag(size_t i);
int		 conf_key_is_secret(size_t i);
/* Write "KEY: value (source)" lines, secrets masked, into b. */
void		 conf_dump(const struct conf *, struct buf *b);

/* Is every listener of this configuration on a loopback address? */
int		 conf_listeners_loopback(const struct conf *);

/* Known provider types of the reference, canonical spelling. */
extern const char *const conf_provider_types[];
/* Canonical provider name for s (case-insensitive), or NULL; custom
 * groups "<type>-<suffix>" are returned as given. */
const char	*conf_provider_canonical(const char *s);

#endif

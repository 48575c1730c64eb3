/*
 * conf.c: loading and validating the configuration (see conf.h).
 *
 * One table below describes every key: its type, where it lives in
 * struct conf, its default, its command-line flag and its bounds.
 * Files are turned into a json-c tree first (YAML through libyaml with
 * JSON-style scalar resolution, JSON through json-c), so both formats
 * share one path from there on.  Environment values and flags are text
 * and are resolved like plain YAML scalars.
 *
 * Nothing here exits or logs directly: every problem becomes a
 * diagnostic with its file and line, and the caller decides.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "conf.h"
#include "log.h"
#include "util.h"
#include "xalloc.h"

enum ktype {
	K_STR,		/* string or null */
	K_INT,		/* integer within [min, max] */
	K_BOOL,
	K_PROVIDERS,	/* MODEL_PROVIDER: string, "a,b" or list */
	K_MAP,		/* mapping, kept as json */
	K_SPMODE,	/* SYSTEM_PROMPT_MODE */
	K_PLMODE,	/* PROMPT_LOG_MODE */
	K_APIKEY,	/* REQUIRED_API_KEY */
	K_IGNORED	/* accepted, ignored with a warning */
};

#define KF_SECRET	0x01	/* never printed */
#define KF_PATH		0x02	/* ~ and relative paths resolved */
#define KF_NOENV	0x04	/* not read from the environment */
#define KF_LOGLEVEL	0x08	/* checked against log levels */

struct ckey {
	const char	*name;
	enum ktype	 type;
	size_t		 off;
	const char	*def;	/* default as text; NULL = null */
	long long	 min, max;
	const char	*flag;	/* NULL = derived from the name */
	int		 flags;
};

#define O(f)	offsetof(struct conf, f)
#define STR(k, f, d, fl, x)	{ k, K_STR, O(f), d, 0, 0, fl, x }
#define INT(k, f, d, lo, hi, fl) { k, K_INT, O(f), d, lo, hi, fl, 0 }
#define BOOL(k, f, d, fl)	{ k, K_BOOL, O(f), d, 0, 0, fl, 0 }
#define IGN(k)			{ k, K_IGNORED, 0, NULL, 0, 0, NULL, 0 }

static const struct ckey keys[] = {
	{ "REQUIRED_API_KEY", K_APIKEY, O(required_api_key), NULL, 0, 0,
	    "api-key", KF_SECRET },
	INT("SERVER_PORT", server_port, "3000", 0, 65535, "port"),
	STR("HOST", host, "localhost", "host", 0),
	{ "MODEL_PROVIDER", K_PROVIDERS, O(model_providers),
	    "gemini-cli-oauth", 0, 0, "model-provider", 0 },
	STR("OPENAI_API_KEY", openai_api_key, NULL, "openai-api-key",
	    KF_SECRET),
	STR("OPENAI_BASE_URL", openai_base_url, "https://api.openai.com/v1",
	    "openai-base-url", 0),
	STR("CLAUDE_API_KEY", claude_api_key, NULL, "claude-api-key",
	    KF_SECRET),
	STR("CLAUDE_BASE_URL", claude_base_url,
	    "https://api.anthropic.com/v1", "claude-base-url", 0),
	STR("PROJECT_ID", project_id, NULL, "project-id", 0),
	STR("GEMINI_OAUTH_CREDS_BASE64", gemini_oauth_creds_base64, NULL,
	    "gemini-oauth-creds-base64", KF_SECRET),
	STR("GEMINI_OAUTH_CREDS_FILE_PATH", gemini_oauth_creds_file_path,
	    NULL, "gemini-oauth-creds-file", KF_PATH),
	STR("KIRO_OAUTH_CREDS_BASE64", kiro_oauth_creds_base64, NULL,
	    "kiro-oauth-creds-base64", KF_SECRET),
	STR("KIRO_OAUTH_CREDS_FILE_PATH", kiro_oauth_creds_file_path, NULL,
	    "kiro-oauth-creds-file", KF_PATH),
	STR("KIRO_OAUTH_CREDS_DIR_PATH", kiro_oauth_creds_dir_path, NULL,
	    NULL, KF_PATH),
	STR("QWEN_OAUTH_CREDS_FILE_PATH", qwen_oauth_creds_file_path, NULL,
	    "qwen-oauth-creds-file", KF_PATH),
	STR("KIRO_BASE_URL", kiro_base_url,
	    "https://q.{{region}}.amazonaws.com/generateAssistantResponse",
	    NULL, 0),
	STR("KIRO_REFRESH_URL", kiro_refresh_url,
	    "https://prod.{{region}}.auth.desktop.kiro.dev/refreshToken",
	    NULL, 0),
	STR("KIRO_REFRESH_IDC_URL", kiro_refresh_idc_url,
	    "https://oidc.{{region}}.amazonaws.com/token", NULL, 0),
	STR("GEMINI_BASE_URL", gemini_base_url,
	    "https://cloudcode-pa.googleapis.com", NULL, 0),
	STR("GOOGLE_OAUTH_TOKEN_URL", google_oauth_token_url,
	    "https://oauth2.googleapis.com/token", NULL, 0),
	STR("QWEN_BASE_URL", qwen_base_url,
	    "https://portal.qwen.ai/v1", NULL, 0),
	STR("QWEN_OAUTH_BASE_URL", qwen_oauth_base_url,
	    "https://chat.qwen.ai", NULL, 0),
	STR("KIRO_VERSION", kiro_version, "0.11.63", NULL, 0),
	STR("KIRO_OS", kiro_os, NULL, NULL, 0),
	STR("KIRO_NODE_VERSION", kiro_node_version, "22.21.1", NULL, 0),
	{ "KIRO_MODELS", K_MAP, O(kiro_models), NULL, 0, 0, NULL, 0 },
	{ "KIRO_CONTEXT_WINDOWS", K_MAP, O(kiro_context_windows), NULL, 0, 0,
	    NULL, 0 },
	BOOL("KIRO_BRACKET_TOOL_CALLS", kiro_bracket_tool_calls, "true",
	    NULL),
	BOOL("KIRO_DEDUPE_CONSECUTIVE_FRAGMENTS",
	    kiro_dedupe_consecutive_fragments, "false", NULL),
	STR("KIRO_HEALTH_CHECK", kiro_health_check, "usage", NULL, 0),
	INT("CLAUDE_DEFAULT_MAX_TOKENS", claude_default_max_tokens, "8192",
	    1, 10000000, NULL),
	STR("SYSTEM_PROMPT_FILE_PATH", system_prompt_file_path,
	    "input_system_prompt.txt", "system-prompt-file", KF_PATH),
	{ "SYSTEM_PROMPT_MODE", K_SPMODE, O(system_prompt_mode), "overwrite",
	    0, 0, "system-prompt-mode", 0 },
	STR("PROMPT_LOG_BASE_NAME", prompt_log_base_name, "prompt_log",
	    "prompt-log-base-name", 0),
	{ "PROMPT_LOG_MODE", K_PLMODE, O(prompt_log_mode), "none", 0, 0,
	    "log-prompts", 0 },
	BOOL("FETCH_SYSTEM_PROMPT_FILE", fetch_system_prompt_file, "true",
	    NULL),
	INT("REQUEST_MAX_RETRIES", request_max_retries, "3", 0, 100,
	    "request-max-retries"),
	INT("REQUEST_BASE_DELAY", request_base_delay, "1000", 0, 600000,
	    "request-base-delay"),
	INT("CRON_NEAR_MINUTES", cron_near_minutes, "15", 0, 1440,
	    "cron-near-minutes"),
	BOOL("CRON_REFRESH_TOKEN", cron_refresh_token, "true",
	    "cron-refresh-token"),
	STR("PROVIDER_POOLS_FILE_PATH", provider_pools_file_path, NULL,
	    "provider-pools-file", KF_PATH),
	INT("WORKERS", workers, "4", 1, 1024, NULL),
	INT("MAX_WORKERS", max_workers, "64", 1, 1024, NULL),
	INT("MAX_REQUESTS_PER_WORKER", max_requests_per_worker, "0", 0,
	    LLONG_MAX, NULL),
	STR("CONTROL_SOCKET", control_socket, "/run/aiclientd/control.sock",
	    NULL, KF_PATH),
	STR("PID_FILE", pid_file, "/run/aiclientd/aiclientd.pid", NULL,
	    KF_PATH),
	STR("STATE_DIR", state_dir, "/var/lib/aiclientd", NULL, KF_PATH),
	STR("USER", user, NULL, NULL, KF_NOENV),
	STR("GROUP", group, NULL, NULL, KF_NOENV),
	STR("LOG_FILE", log_file, NULL, NULL, KF_PATH),
	STR("LOG_LEVEL", log_level, "info", NULL, KF_LOGLEVEL),
	INT("MAX_BODY_BYTES", max_body_bytes, "33554432", 1024,
	    (long long)4 << 30, NULL),
	INT("HEADER_TIMEOUT_SECONDS", header_timeout_seconds, "10", 1, 3600,
	    NULL),
	INT("BODY_TIMEOUT_SECONDS", body_timeout_seconds, "60", 1, 86400,
	    NULL),
	INT("KEEPALIVE_TIMEOUT_SECONDS", keepalive_timeout_seconds, "5", 0,
	    3600, NULL),
	INT("SHUTDOWN_GRACE_SECONDS", shutdown_grace_seconds, "10", 0, 86400,
	    NULL),
	INT("UPSTREAM_CONNECT_TIMEOUT_SECONDS",
	    upstream_connect_timeout_seconds, "10", 1, 600, NULL),
	INT("UPSTREAM_IDLE_TIMEOUT_SECONDS", upstream_idle_timeout_seconds,
	    "120", 1, 86400, NULL),
	INT("AXIOS_TIMEOUT", axios_timeout, "0", 0, 86400000, NULL),
	/* HEAD's logging keys: decision 11 replaces them. */
	IGN("LOG_ENABLED"),
	IGN("LOG_OUTPUT_MODE"),
	IGN("LOG_DIR"),
	IGN("LOG_MAX_FILE_SIZE"),
	IGN("LOG_MAX_FILES"),
	IGN("LOG_INCLUDE_REQUEST_ID"),
	IGN("LOG_INCLUDE_TIMESTAMP"),
};

#define NKEYS	nitems(keys)

const char *const conf_provider_types[] = {
	"gemini-cli-oauth",
	"openai-custom",
	"claude-custom",
	"claude-kiro-oauth",
	"openai-qwen-oauth",
	NULL
};

/* Keys the reference computes itself; silently dropped from files. */
static const char *const internal_keys[] = {
	"DEFAULT_MODEL_PROVIDERS", "SYSTEM_PROMPT_CONTENT", "providerPools",
	NULL
};

/* ---- diagnostics ---------------------------------------------------- */

void
conf_diags_init(struct conf_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
conf_diags_free(struct conf_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void
conf_diags_log(const struct conf_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].error)
			log_errorx("%s", d->v[i].text);
		else
			log_warnx("%s", d->v[i].text);
	}
}

/* Location prefix: "file:line: ", "file: ", "environment: " ... */
struct loc {
	const char	*what;	/* file path, "environment", "command line" */
	int		 line;
};

static void __attribute__((format(printf, 4, 5)))
diag(struct conf_diags *d, int error, const struct loc *l,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
	d->v[d->n].error = error;
	if (l == NULL)
		d->v[d->n].text = xstrdup(msg);
	else if (l->line > 0)
		d->v[d->n].text = xasprintf("%s:%d: %s", l->what, l->line,
		    msg);
	else
		d->v[d->n].text = xasprintf("%s: %s", l->what, msg);
	d->n++;
	if (error)
		d->nerrors++;
}

/* ---- scalars -------------------------------------------------------- */

/* Does s have JSON number syntax?  Sets *isint when there is no . or e. */
static int
is_json_number(const char *s, int *isint)
{
	const char *p = s;

	*isint = 1;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return 0;
	if (*p == '.') {
		*isint = 0;
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		*isint = 0;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

/*
 * A plain (unquoted) scalar resolved JSON-style: booleans, null, numbers,
 * else a string.  Returns a new json object (NULL for null).
 */
static json_object *
resolve_plain(const char *s)
{
	int isint;

	if (strcasecmp(s, "true") == 0)
		return json_object_new_boolean(1);
	if (strcasecmp(s, "false") == 0)
		return json_object_new_boolean(0);
	if (*s == '\0' || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0)
		return NULL;
	if (is_json_number(s, &isint)) {
		if (isint) {
			errno = 0;
			long long v = strtoll(s, NULL, 10);
			if (errno == 0)
				return json_object_new_int64(v);
		}
		return json_object_new_double(strtod(s, NULL));
	}
	return json_object_new_string(s);
}

/* ---- YAML to json-c ------------------------------------------------- */

struct keyline {
	char	*key;
	int	 line;
};

struct filectx {
	const char	*path;
	struct keyline	*lines;	/* top-level key -> line */
	size_t		 nlines;
};

static int
yaml_to_json(yaml_document_t *doc, yaml_node_t *node, int depth,
    json_object **out, struct filectx *fc, int top, struct conf_diags *d)
{
	struct loc l = { fc->path, (int)node->start_mark.line + 1 };
	yaml_node_item_t *it;
	yaml_node_pair_t *pr;
	json_object *o, *v;
	const char *s;

	*out = NULL;
	if (depth > 64) {
		diag(d, 1, &l, "nesting too deep");
		return -1;
	}
	switch (node->type) {
	case YAML_SCALAR_NODE:
		s = (const char *)node->data.scalar.value;
		if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			*out = resolve_plain(s);
		else
			*out = json_object_new_string_len(s,
			    (int)node->data.scalar.length);
		return 0;
	case YAML_SEQUENCE_NODE:
		o = json_object_new_array();
		for (it = node->data.sequence.items.start;
		    it < node->data.sequence.items.top; it++) {
			if (yaml_to_json(doc, yaml_document_get_node(doc, *it),
			    depth + 1, &v, fc, 0, d) == -1) {
				json_object_put(o);
				return -1;
			}
			json_object_array_add(o, v);
		}
		*out = o;
		return 0;
	case YAML_MAPPING_NODE:
		o = json_object_new_object();
		for (pr = node->data.mapping.pairs.start;
		    pr < node->data.mapping.pairs.top; pr++) {
			yaml_node_t *kn = yaml_document_get_node(doc, pr->key);
			yaml_node_t *vn = yaml_document_get_node(doc,
			    pr->value);

			if (kn == NULL || vn == NULL ||
			    kn->type != YAML_SCALAR_NODE) {
				l.line = kn ? (int)kn->start_mark.line + 1 : 0;
				diag(d, 1, &l, "mapping keys must be scalars");
				json_object_put(o);
				return -1;
			}
			if (yaml_to_json(doc, vn, depth + 1, &v, fc, 0, d) ==
			    -1) {
				json_object_put(o);
				return -1;
			}
			s = (const char *)kn->data.scalar.value;
			json_object_object_add(o, s, v);
			if (top) {
				fc->lines = xreallocarray(fc->lines,
				    fc->nlines + 1, sizeof(*fc->lines));
				fc->lines[fc->nlines].key = xstrdup(s);
				fc->lines[fc->nlines].line =
				    (int)kn->start_mark.line + 1;
				fc->nlines++;
			}
		}
		*out = o;
		return 0;
	default:
		*out = NULL;
		return 0;
	}
}

static json_object *
parse_yaml(const char *text, size_t len, struct filectx *fc,
    struct conf_diags *d)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	json_object *out = NULL;
	struct loc l = { fc->path, 0 };

	if (!yaml_parser_initialize(&parser)) {
		diag(d, 1, &l, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, &doc)) {
		l.line = (int)parser.problem_mark.line + 1;
		diag(d, 1, &l, "YAML syntax error: %s%s%s (column %d)",
		    parser.problem ? parser.problem : "unknown problem",
		    parser.context ? " " : "",
		    parser.context ? parser.context : "",
		    (int)parser.problem_mark.column + 1);
		yaml_parser_delete(&parser);
		return NULL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		/* empty document: no keys */
		out = json_object_new_object();
	} else if (root->type != YAML_MAPPING_NODE) {
		l.line = (int)root->start_mark.line + 1;
		diag(d, 1, &l, "the configuration must be a mapping of keys "
		    "to values");
	} else if (yaml_to_json(&doc, root, 0, &out, fc, 1, d) == -1) {
		out = NULL;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return out;
}

/* Line of the last occurrence of "KEY" followed by ':' in JSON text. */
static int
json_key_line(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text, *best = NULL, *q;
	int line = 1;

	while ((p = strchr(p, '"')) != NULL) {
		if (strncmp(p + 1, key, klen) == 0 && p[klen + 1] == '"') {
			q = p + klen + 2;
			while (*q == ' ' || *q == '\t' || *q == '\r' ||
			    *q == '\n')
				q++;
			if (*q == ':')
				best = p;
		}
		p++;
	}
	if (best == NULL)
		return 0;
	for (p = text; p < best; p++)
		if (*p == '\n')
			line++;
	return line;
}

static json_object *
parse_json(const char *text, size_t len, struct filectx *fc,
    struct conf_diags *d)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *out;
	struct loc l = { fc->path, 0 };
	size_t off, i;
	int col = 1;

	tok = json_tokener_new();
	out = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (out == NULL || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue)
			off = len;
		l.line = 1;
		for (i = 0; i < off && i < len; i++) {
			if (text[i] == '\n') {
				l.line++;
				col = 1;
			} else
				col++;
		}
		diag(d, 1, &l, "JSON syntax error at column %d: %s", col,
		    jerr == json_tokener_continue ? "unexpected end of file" :
		    json_tokener_error_desc(jerr));
		json_object_put(out);
		json_tokener_free(tok);
		return NULL;
	}
	for (i = off; i < len; i++) {
		if (!isspace((unsigned char)text[i])) {
			l.line = 1;
			for (size_t j = 0; j < i; j++)
				if (text[j] == '\n')
					l.line++;
			diag(d, 1, &l, "JSON syntax error: trailing data after "
			    "the top-level object");
			json_object_put(out);
			json_tokener_free(tok);
			return NULL;
		}
	}
	json_tokener_free(tok);
	if (!json_object_is_type(out, json_type_object)) {
		l.line = 1;
		diag(d, 1, &l, "the configuration must be a JSON object");
		json_object_put(out);
		return NULL;
	}
	json_object_object_foreach(out, k, v) {
		(void)v;
		fc->lines = xreallocarray(fc->lines, fc->nlines + 1,
		    sizeof(*fc->lines));
		fc->lines[fc->nlines].key = xstrdup(k);
		fc->lines[fc->nlines].line = json_key_line(text, k);
		fc->nlines++;
	}
	return out;
}

/*
 * Parse a configuration-format file (YAML or JSON by its first
 * non-blank character) into a json object; top-level key lines go to
 * fc.  Also used for the pools file.
 */
static json_object *
parse_file(const char *path, struct filectx *fc, struct conf_diags *d)
{
	struct loc l = { path, 0 };
	json_object *root;
	char *text;
	const char *p;
	size_t len;

	text = file_read_all(path, 16 * 1024 * 1024, &len);
	if (text == NULL) {
		diag(d, 1, &l, "cannot read the configuration: %s",
		    strerror(errno));
		return NULL;
	}
	p = text;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if (strlen(p) != (size_t)(len - (p - text))) {
		diag(d, 1, &l, "the file contains a NUL byte");
		free(text);
		return NULL;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '{')
		root = parse_json(p, len - (p - text), fc, d);
	else
		root = parse_yaml(text, len, fc, d);
	free(text);
	return root;
}

json_object *
conf_read_file(const char *path, struct conf_diags *d)
{
	struct filectx fc = { path, NULL, 0 };
	json_object *root;
	size_t i;

	root = parse_file(path, &fc, d);
	for (i = 0; i < fc.nlines; i++)
		free(fc.lines[i].key);
	free(fc.lines);
	return root;
}

/* ---- applying values ------------------------------------------------ */

static const struct ckey *
key_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static char **
field_str(struct conf *c, const struct ckey *k)
{
	return (char **)((char *)c + k->off);
}

static long long *
field_int(struct conf *c, const struct ckey *k)
{
	return (long long *)((char *)c + k->off);
}

static int *
field_bool(struct conf *c, const struct ckey *k)
{
	return (int *)((char *)c + k->off);
}

static json_object **
field_json(struct conf *c, const struct ckey *k)
{
	return (json_object **)((char *)c + k->off);
}

static const char *
type_name(json_object *v)
{
	if (v == NULL)
		return "null";
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return "a boolean";
	case json_type_int:
	case json_type_double:
		return "a number";
	case json_type_string:
		return "a string";
	case json_type_array:
		return "a list";
	case json_type_object:
		return "a mapping";
	default:
		return "null";
	}
}

static int
is_scalar(json_object *v)
{
	return v != NULL && !json_object_is_type(v, json_type_array) &&
	    !json_object_is_type(v, json_type_object);
}

static void
free_providers(struct conf *c)
{
	size_t i;

	if (c->model_providers == NULL)
		return;
	for (i = 0; c->model_providers[i] != NULL; i++)
		free(c->model_providers[i]);
	FREE(c->model_providers);
	c->nmodel_providers = 0;
}

const char *
conf_provider_canonical(const char *s)
{
	size_t i;

	for (i = 0; conf_provider_types[i] != NULL; i++)
		if (strcasecmp(s, conf_provider_types[i]) == 0)
			return conf_provider_types[i];
	return NULL;
}

/* A custom group "<type>-<suffix>" (HEAD): returns the base type. */
static const char *
provider_group_base(const char *s)
{
	size_t i, n;

	for (i = 0; conf_provider_types[i] != NULL; i++) {
		n = strlen(conf_provider_types[i]);
		if (strncmp(s, conf_provider_types[i], n) == 0 &&
		    s[n] == '-' && s[n + 1] != '\0')
			return conf_provider_types[i];
	}
	return NULL;
}

static void
add_provider(struct conf *c, const char *raw, const struct loc *l,
    struct conf_diags *d)
{
	char *s, *e;
	const char *canon;
	size_t i;

	while (isspace((unsigned char)*raw))
		raw++;
	s = xstrdup(raw);
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if (*s == '\0') {
		free(s);
		return;
	}
	canon = conf_provider_canonical(s);
	if (canon != NULL) {
		free(s);
		s = xstrdup(canon);
	} else if (provider_group_base(s) == NULL) {
		diag(d, 0, l, "MODEL_PROVIDER: unknown provider '%s' ignored "
		    "(known: gemini-cli-oauth, openai-custom, claude-custom, "
		    "claude-kiro-oauth, openai-qwen-oauth)", s);
		free(s);
		return;
	}
	for (i = 0; i < c->nmodel_providers; i++) {
		if (strcmp(c->model_providers[i], s) == 0) {
			free(s);
			return;
		}
	}
	c->model_providers = xreallocarray(c->model_providers,
	    c->nmodel_providers + 2, sizeof(char *));
	c->model_providers[c->nmodel_providers++] = s;
	c->model_providers[c->nmodel_providers] = NULL;
}

static void
set_providers(struct conf *c, json_object *v, const struct loc *l,
    struct conf_diags *d)
{
	char *copy, *tok, *save;
	size_t i;

	free_providers(c);
	if (v == NULL)
		return;
	if (json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (e != NULL)
				add_provider(c, json_object_get_string(e), l,
				    d);
		}
		return;
	}
	copy = xstrdup(json_object_get_string(v));
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		add_provider(c, tok, l, d);
	free(copy);
}

static int
parse_boolish(json_object *v, int *out)
{
	const char *s;

	if (v == NULL)
		return -1;
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		*out = json_object_get_boolean(v);
		return 0;
	case json_type_int:
		if (json_object_get_int64(v) == 0 ||
		    json_object_get_int64(v) == 1) {
			*out = (int)json_object_get_int64(v);
			return 0;
		}
		return -1;
	case json_type_string:
		s = json_object_get_string(v);
		if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
		    !strcasecmp(s, "on") || !strcmp(s, "1")) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, "false") || !strcasecmp(s, "no") ||
		    !strcasecmp(s, "off") || !strcmp(s, "0")) {
			*out = 0;
			return 0;
		}
		return -1;
	default:
		return -1;
	}
}

static int
parse_intish(json_object *v, long long *out)
{
	double dv;

	if (v == NULL)
		return -1;
	switch (json_object_get_type(v)) {
	case json_type_int:
		*out = json_object_get_int64(v);
		return 0;
	case json_type_double:
		dv = json_object_get_double(v);
		if (dv != (double)(long long)dv)
			return -1;
		*out = (long long)dv;
		return 0;
	case json_type_string:
		return parse_int(json_object_get_string(v), LLONG_MIN,
		    LLONG_MAX, out);
	default:
		return -1;
	}
}

/*
 * Apply one value (borrowed) to key k.  Errors become diagnostics and
 * leave the previous value in place.
 */
static void
apply(struct conf *c, const struct ckey *k, json_object *v,
    const struct loc *l, enum conf_source src, struct conf_diags *d)
{
	long long iv;
	int bv;
	const char *s;
	size_t idx = k - keys;

	switch (k->type) {
	case K_IGNORED:
		diag(d, 0, l, "%s is not used by aiclientd and is ignored "
		    "(logging is set with LOG_FILE and LOG_LEVEL)", k->name);
		return;
	case K_APIKEY:
		if (v != NULL && !is_scalar(v)) {
			diag(d, 1, l, "%s: expected a string, got %s",
			    k->name, type_name(v));
			return;
		}
		if (c->required_api_key != NULL) {
			explicit_bzero(c->required_api_key,
			    strlen(c->required_api_key));
			FREE(c->required_api_key);
		}
		s = v ? json_object_get_string(v) : NULL;
		if (s == NULL || *s == '\0') {
			c->api_key_state = APIKEY_DISABLED;
		} else {
			c->api_key_state = APIKEY_SET;
			c->required_api_key = xstrdup(s);
		}
		break;
	case K_STR:
		if (v != NULL && !is_scalar(v)) {
			diag(d, 1, l, "%s: expected a string, got %s",
			    k->name, type_name(v));
			return;
		}
		if ((k->flags & KF_SECRET) && *field_str(c, k) != NULL)
			explicit_bzero(*field_str(c, k),
			    strlen(*field_str(c, k)));
		free(*field_str(c, k));
		s = v ? json_object_get_string(v) : NULL;
		*field_str(c, k) = (s != NULL && *s != '\0') ? xstrdup(s) :
		    NULL;
		if ((k->flags & KF_LOGLEVEL) && *field_str(c, k) != NULL) {
			enum log_level lv;

			if (log_parselevel(*field_str(c, k), &lv) == -1) {
				diag(d, 1, l, "%s: '%s' is not one of debug, "
				    "info, warn, error", k->name,
				    *field_str(c, k));
				FREE(*field_str(c, k));
				*field_str(c, k) = xstrdup("info");
				return;
			}
		}
		break;
	case K_INT:
		if (v == NULL)
			return;	/* null: keep the default */
		if (parse_intish(v, &iv) == -1) {
			diag(d, 1, l, "%s: expected an integer, got %s%s%s%s",
			    k->name, type_name(v), is_scalar(v) ? " '" : "",
			    is_scalar(v) ? json_object_get_string(v) : "",
			    is_scalar(v) ? "'" : "");
			return;
		}
		if (iv < k->min || iv > k->max) {
			diag(d, 1, l, "%s: %lld is out of range (%lld to %lld)",
			    k->name, iv, k->min, k->max);
			return;
		}
		*field_int(c, k) = iv;
		break;
	case K_BOOL:
		if (v == NULL)
			return;
		if (parse_boolish(v, &bv) == -1) {
			diag(d, 1, l, "%s: expected true or false, got %s%s%s%s",
			    k->name, type_name(v), is_scalar(v) ? " '" : "",
			    is_scalar(v) ? json_object_get_string(v) : "",
			    is_scalar(v) ? "'" : "");
			return;
		}
		*field_bool(c, k) = bv;
		break;
	case K_PROVIDERS:
		if (v != NULL && json_object_is_type(v, json_type_object)) {
			diag(d, 1, l, "%s: expected a string or a list, got %s",
			    k->name, type_name(v));
			return;
		}
		set_providers(c, v, l, d);
		break;
	case K_MAP:
		if (v != NULL && !json_object_is_type(v, json_type_object)) {
			diag(d, 1, l, "%s: expected a mapping, got %s",
			    k->name, type_name(v));
			return;
		}
		json_object_put(*field_json(c, k));
		*field_json(c, k) = v ? json_object_get(v) : NULL;
		break;
	case K_SPMODE:
		s = v ? json_object_get_string(v) : "overwrite";
		if (strcasecmp(s, "overwrite") == 0 ||
		    strcasecmp(s, "override") == 0)
			c->system_prompt_mode = SYSPROMPT_OVERWRITE;
		else if (strcasecmp(s, "append") == 0)
			c->system_prompt_mode = SYSPROMPT_APPEND;
		else {
			diag(d, 1, l, "%s: '%s' is not one of overwrite, append",
			    k->name, s);
			return;
		}
		break;
	case K_PLMODE:
		s = v ? json_object_get_string(v) : "none";
		if (strcasecmp(s, "none") == 0)
			c->prompt_log_mode = PROMPT_LOG_NONE;
		else if (strcasecmp(s, "console") == 0)
			c->prompt_log_mode = PROMPT_LOG_CONSOLE;
		else if (strcasecmp(s, "file") == 0 ||
		    strcasecmp(s, "full") == 0)
			c->prompt_log_mode = PROMPT_LOG_FILE;
		else {
			diag(d, 1, l, "%s: '%s' is not one of none, console, "
			    "file", k->name, s);
			return;
		}
		break;
	}
	c->source[idx] = src;
	c->line[idx] = l ? l->line : 0;
}

/* Text values (defaults, environment, flags) as plain YAML scalars. */
static void
apply_text(struct conf *c, const struct ckey *k, const char *text,
    const struct loc *l, enum conf_source src, struct conf_diags *d)
{
	json_object *v;

	if (text == NULL) {
		apply(c, k, NULL, l, src, d);
		return;
	}
	/* Secrets, paths, hosts and lists stay literal strings. */
	if (k->type == K_STR || k->type == K_APIKEY || k->type == K_PROVIDERS)
		v = (*text == '\0' || strcmp(text, "null") == 0) ? NULL :
		    json_object_new_string(text);
	else if (k->type == K_MAP && *text == '{')
		v = json_tokener_parse(text);
	else
		v = resolve_plain(text);
	if (k->type == K_MAP && *text == '{' && v == NULL) {
		diag(d, 1, l, "%s: not a valid JSON object", k->name);
		return;
	}
	apply(c, k, v, l, src, d);
	json_object_put(v);
}

/* ---- paths ---------------------------------------------------------- */

/* ---- load ----------------------------------------------------------- */

static char *
abs_path(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return xstrdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(path);
	return xasprintf("%s/%s", cwd, path);
}

static void
validate(struct conf *c, struct conf_diags *d)
{
	struct loc lk = { c->path ? c->path : "configuration", 0 };
	size_t i;
	char *r;

	/* Relative paths are relative to the configuration file. */
	for (i = 0; i < NKEYS; i++) {
		if (!(keys[i].flags & KF_PATH) || keys[i].type != K_STR)
			continue;
		if (*field_str(c, &keys[i]) == NULL)
			continue;
		r = path_resolve(*field_str(c, &keys[i]), c->dir);
		free(*field_str(c, &keys[i]));
		*field_str(c, &keys[i]) = r;
	}
	if (c->nmodel_providers == 0)
		add_provider(c, "gemini-cli-oauth", NULL, d);

	if (c->max_workers < c->workers) {
		lk.line = c->line[key_find("MAX_WORKERS") - keys];
		if (c->source[key_find("MAX_WORKERS") - keys] !=
		    CONF_SRC_DEFAULT)
			diag(d, 0, &lk, "MAX_WORKERS (%lld) is below WORKERS "
			    "(%lld); using %lld", c->max_workers, c->workers,
			    c->workers);
		c->max_workers = c->workers;
	}
	if (c->axios_timeout > 0)
		c->upstream_idle_timeout_seconds = (c->axios_timeout + 999) /
		    1000;
	if (c->host == NULL)
		c->host = xstrdup("localhost");

	i = key_find("REQUIRED_API_KEY") - keys;
	lk.line = c->line[i];
	switch (c->api_key_state) {
	case APIKEY_ABSENT:
		lk.line = 0;
		diag(d, 1, &lk, "REQUIRED_API_KEY is not set: clients must "
		    "present a key.  Set one in the file (REQUIRED_API_KEY: "
		    "\"...\"), in the environment or with --api-key; "
		    "`openssl rand -hex 24` makes a good one");
		break;
	case APIKEY_DISABLED:
		if (!conf_listeners_loopback(c))
			diag(d, 1, &lk, "REQUIRED_API_KEY is empty, which turns "
			    "client authentication off; that is only allowed "
			    "when HOST is a loopback address (HOST is '%s')",
			    c->host);
		else
			diag(d, 0, &lk, "REQUIRED_API_KEY is empty: client "
			    "authentication is OFF (loopback only)");
		break;
	case APIKEY_SET:
		if (strlen(c->required_api_key) < 16 &&
		    !conf_listeners_loopback(c))
			diag(d, 0, &lk, "REQUIRED_API_KEY is shorter than 16 "
			    "characters on a non-loopback listener");
		break;
	}
	if (c->prompt_log_base_name != NULL &&
	    strchr(c->prompt_log_base_name, '/') != NULL &&
	    c->prompt_log_base_name[0] != '/') {
		lk.line = c->line[key_find("PROMPT_LOG_BASE_NAME") - keys];
		diag(d, 1, &lk, "PROMPT_LOG_BASE_NAME: must be a plain name "
		    "or an absolute path");
	}
}

struct conf *
conf_load(const char *path, const struct conf_override *ov, size_t nov,
    int use_env, struct conf_diags *d)
{
	struct filectx fc = { NULL, NULL, 0 };
	struct loc l;
	struct conf *c;
	json_object *root = NULL;
	const struct ckey *k;
	size_t i, j, errs0 = d->nerrors;
	const char *env;
	char *slash;

	c = xcalloc(1, sizeof(*c));
	c->prompt_log_fd = -1;
	c->fetch_prompt_fd = -1;
	c->source = xcalloc(NKEYS, sizeof(*c->source));
	c->line = xcalloc(NKEYS, sizeof(*c->line));
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type == K_IGNORED || keys[i].type == K_APIKEY)
			continue;
		apply_text(c, &keys[i], keys[i].def, NULL, CONF_SRC_DEFAULT, d);
	}

	if (path != NULL) {
		c->path = abs_path(path);
		c->dir = xstrdup(c->path);
		slash = strrchr(c->dir, '/');
		if (slash == c->dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		fc.path = path;
		root = parse_file(path, &fc, d);
		if (root == NULL)
			goto done;
		json_object_object_foreach(root, key, val) {
			l.what = path;
			l.line = 0;
			for (j = 0; j < fc.nlines; j++)
				if (strcmp(fc.lines[j].key, key) == 0)
					l.line = fc.lines[j].line;
			k = key_find(key);
			if (k == NULL) {
				for (j = 0; internal_keys[j] != NULL; j++)
					if (strcmp(internal_keys[j], key) == 0)
						break;
				if (internal_keys[j] == NULL)
					diag(d, 0, &l, "unknown key '%s' "
					    "ignored", key);
				continue;
			}
			apply(c, k, val, &l, CONF_SRC_FILE, d);
		}
	}

	if (use_env) {
		l.what = "environment";
		l.line = 0;
		for (i = 0; i < NKEYS; i++) {
			if (keys[i].flags & KF_NOENV)
				continue;
			env = getenv(keys[i].name);
			if (env == NULL)
				continue;
			apply_text(c, &keys[i], env, &l, CONF_SRC_ENV, d);
		}
	}

	l.what = "command line";
	l.line = 0;
	for (i = 0; i < nov; i++) {
		k = key_find(ov[i].key);
		if (k == NULL) {
			diag(d, 1, &l, "unknown key '%s'", ov[i].key);
			continue;
		}
		apply_text(c, k, ov[i].value, &l, CONF_SRC_FLAG, d);
	}
	validate(c, d);
done:
	for (j = 0; j < fc.nlines; j++)
		free(fc.lines[j].key);
	free(fc.lines);
	json_object_put(root);
	if (d->nerrors > errs0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NKEYS; i++) {
		switch (keys[i].type) {
		case K_STR:
		case K_APIKEY:
			if (*field_str(c, &keys[i]) != NULL &&
			    (keys[i].flags & KF_SECRET))
				explicit_bzero(*field_str(c, &keys[i]),
				    strlen(*field_str(c, &keys[i])));
			free(*field_str(c, &keys[i]));
			break;
		case K_MAP:
			json_object_put(*field_json(c, &keys[i]));
			break;
		default:
			break;
		}
	}
	free_providers(c);
	free(c->system_prompt_content);
	free(c->path);
	free(c->dir);
	free(c->source);
	free(c->line);
	free(c);
}

void
conf_scrub_master_secrets(struct conf *c)
{
	if (c == NULL)
		return;
	if (c->kiro_oauth_creds_base64 != NULL)
		explicit_bzero(c->kiro_oauth_creds_base64,
		    strlen(c->kiro_oauth_creds_base64));
	if (c->gemini_oauth_creds_base64 != NULL)
		explicit_bzero(c->gemini_oauth_creds_base64,
		    strlen(c->gemini_oauth_creds_base64));
}

/* ---- flags, dump ---------------------------------------------------- */

size_t
conf_nkeys(void)
{
	return NKEYS;
}

const char *
conf_key_name(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

int
conf_key_is_secret(size_t i)
{
	return i < NKEYS && (keys[i].flags & KF_SECRET);
}

/* "--model-provider" style flag: explicit, else derived from the name. */
const char *
conf_key_flag(size_t i)
{
	static char derived[NKEYS][64];
	size_t j;

	if (i >= NKEYS || keys[i].type == K_IGNORED)
		return NULL;
	if (keys[i].flag != NULL)
		return keys[i].flag;
	if (derived[i][0] == '\0') {
		for (j = 0; keys[i].name[j] != '\0' &&
		    j < sizeof(derived[i]) - 1; j++)
			derived[i][j] = keys[i].name[j] == '_' ? '-' :
			    (char)tolower((unsigned char)keys[i].name[j]);
		derived[i][j] = '\0';
	}
	return derived[i];
}

const char *
conf_flag_key(const char *flag)
{
	size_t i;
	const char *f;

	for (i = 0; i < NKEYS; i++) {
		f = conf_key_flag(i);
		if (f != NULL && strcmp(f, flag) == 0)
			return keys[i].name;
	}
	return NULL;
}

static const char *
source_str(const struct conf *c, size_t i, char *tmp, size_t tlen)
{
	switch (c->source[i]) {
	case CONF_SRC_FILE:
		if (c->line[i] > 0)
			snprintf(tmp, tlen, "file line %d", c->line[i]);
		else
			snprintf(tmp, tlen, "file");
		return tmp;
	case CONF_SRC_ENV:
		return "environment";
	case CONF_SRC_FLAG:
		return "command line";
	default:
		return "default";
	}
}

void
conf_dump(const struct conf *c, struct buf *b)
{
	char tmp[64], mask[32];
	const struct ckey *k;
	size_t i, j;
	const char *s;

	for (i = 0; i < NKEYS; i++) {
		k = &keys[i];
		switch (k->type) {
		case K_IGNORED:
			continue;
		case K_APIKEY:
			if (c->api_key_state == APIKEY_DISABLED)
				buf_addf(b, "%s: \"\" (auth disabled)", k->name);
			else {
				secret_mask(c->required_api_key, mask,
				    sizeof(mask));
				buf_addf(b, "%s: %s", k->name, mask);
			}
			break;
		case K_STR:
			s = *field_str((struct conf *)c, k);
			if (s != NULL && (k->flags & KF_SECRET)) {
				secret_mask(s, mask, sizeof(mask));
				s = mask;
			}
			buf_addf(b, "%s: %s", k->name, s ? s : "null");
			break;
		case K_INT:
			buf_addf(b, "%s: %lld", k->name,
			    *field_int((struct conf *)c, k));
			break;
		case K_BOOL:
			buf_addf(b, "%s: %s", k->name,
			    *field_bool((struct conf *)c, k) ? "true" :
			    "false");
			break;
		case K_PROVIDERS:
			buf_addf(b, "%s: ", k->name);
			for (j = 0; j < c->nmodel_providers; j++)
				buf_addf(b, "%s%s", j ? "," : "",
				    c->model_providers[j]);
			break;
		case K_MAP:
			buf_addf(b, "%s: %s", k->name,
			    *field_json((struct conf *)c, k) ?
			    json_object_to_json_string_ext(
			    *field_json((struct conf *)c, k),
			    JSON_C_TO_STRING_PLAIN) : "null");
			break;
		case K_SPMODE:
			buf_addf(b, "%s: %s", k->name,
			    c->system_prompt_mode == SYSPROMPT_APPEND ?
			    "append" : "overwrite");
			break;
		case K_PLMODE:
			buf_addf(b, "%s: %s", k->name,
			    c->prompt_log_mode == PROMPT_LOG_FILE ? "file" :
			    c->prompt_log_mode == PROMPT_LOG_CONSOLE ?
			    "console" : "none");
			break;
		}
		buf_addf(b, "  # %s\n", source_str(c, i, tmp, sizeof(tmp)));
	}
}

int
conf_listeners_loopback(const struct conf *c)
{
	char *copy, *tok, *save;
	int all = 1;

	if (c->host == NULL)
		return 1;
	copy = xstrdup(c->host);
	for (tok = strtok_r(copy, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save))
		if (!addr_is_loopback(tok))
			all = 0;
	free(copy);
	return all;
}

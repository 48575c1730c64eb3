/*
 * kiro_request.c: the generateAssistantResponse body for a canonical
 * request (kiro.md §4.3-§4.10, the [REC] algorithm): system text with
 * the thinking prefix, the message preprocessing of step 4 (prefill
 * drop, same-role merge, unpaired tool call hardening), the tool list
 * (skips, descriptions, aliases for long names, the placeholder tool,
 * specs for tool names only seen in history), history and current
 * message with image retention, notes for what the backend cannot
 * take, and the §7.4 input estimate.  Everything it keeps is in the
 * request's arena or borrowed from the request; the body is written
 * compactly into the caller's buffer with jsonw, never with a null.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "jsonw.h"
#include "dialect.h"
#include "kiro.h"
#include "log.h"
#include "util.h"

#define NAME_MAX_CP	64	/* tool name limit, code points */
#define ALIAS_PREFIX_CP	51	/* + "_" + 12 hex = 64 */
#define DESC_MAX_CP	9216
#define KEEP_IMAGES	5	/* history images: last 5 messages only */
#define IMAGE_TOKENS	1600
#define JSON_INPUT_DEPTH	C_JSON_DEPTH

#define PLACEHOLDER_NAME	"no_tool_available"
#define PLACEHOLDER_DESC	"Placeholder: no tools are available in " \
	"this conversation. Never call it."
#define EMPTY_SCHEMA		"{\"type\":\"object\",\"properties\":{}}"
#define URL_IMAGE_NOTE	"[image omitted: URL images are not supported]"

/* A turn after the preprocessing of step 4: pointers to parts. */
struct kmsg {
	enum c_role		 role;
	const struct c_part	**v;
	size_t			 n, cap;
};

/* One entry of the tool list T. */
struct ktool {
	const char	*name;		/* as sent (alias when long) */
	const char	*desc;
	size_t		 desc_len;
	int		 cut;		/* "..." follows desc */
	json_object	*schema;	/* borrowed; NULL: {} */
	const char	*raw_schema;	/* literal JSON, else schema */
};

struct kctx {
	const struct c_request	*r;
	struct kiro_req		*k;
	struct arena		*a;
	const char		*model_id;
	struct kmsg		*m;
	size_t			 nm;
	struct ktool		*t;
	size_t			 nt, capt;
	size_t			 capalias;
	int64_t			 est;
	char			*err;
	size_t			 errlen;
};

static int
kfail(struct kctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
kfail(struct kctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err != NULL && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
nomem(struct kctx *c)
{
	return kfail(c, "out of memory while building the Kiro request");
}

/* Grow an arena array to hold need elements. */
static int
agrow(struct arena *a, void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / size)
		return -1;
	nv = arena_realloc(a, *v, *cap * size, ncap * size);
	if (nv == NULL)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}

static int
kmsg_push(struct arena *a, struct kmsg *m, const struct c_part *p)
{
	if (agrow(a, (void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v)) == -1)
		return -1;
	m->v[m->n++] = p;
	return 0;
}

/* A synthetic text part in the arena. */
static const struct c_part *
synth_text(struct arena *a, const char *s)
{
	struct c_part *p;

	p = arena_alloc(a, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->type = C_TEXT;
	p->text = s;
	p->text_len = strlen(s);
	return p;
}

/* Number of UTF-8 code points in s[0..len). */
static size_t
cp_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Byte length of the first ncp code points of s. */
static size_t
cp_prefix(const char *s, size_t len, size_t ncp)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (n == ncp)
				return i;
			n++;
		}
	}
	return len;
}

static int
has_type(const struct kmsg *m, enum c_part_type t)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i]->type == t)
			return 1;
	return 0;
}

static int
same_id(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* ---- step 4: preprocessing ----------------------------------------------- */

/*
 * Copy the turns, dropping a final assistant "{" prefill (step 4.2)
 * and merging same-role runs (4.3).  Merged turns whose both sides
 * hold text are joined with "\n" (what 4.3 does for two strings).
 */
static int
step4_merge(struct kctx *c)
{
	const struct c_request *r = c->r;
	const struct c_message *last;
	const struct c_part *sep;
	struct kmsg *m, tmp;
	size_t i, j, n;

	n = r->nmsgs;
	last = n > 0 ? &r->msgs[n - 1] : NULL;
	if (last != NULL && last->role == C_ASSISTANT && last->nparts > 0 &&
	    last->parts[0].type == C_TEXT && last->parts[0].text != NULL &&
	    last->parts[0].text_len == 1 && last->parts[0].text[0] == '{')
		n--;
	if (n == 0)
		return kfail(c, "messages: at least one message is required");
	c->m = arena_alloc(c->a, n * sizeof(*c->m));
	if (c->m == NULL)
		return nomem(c);
	sep = synth_text(c->a, "\n");
	if (sep == NULL)
		return nomem(c);
	for (i = 0; i < n; i++) {
		memset(&tmp, 0, sizeof(tmp));
		tmp.role = r->msgs[i].role;
		if (agrow(c->a, (void **)&tmp.v, &tmp.cap, r->msgs[i].nparts,
		    sizeof(*tmp.v)) == -1)
			return nomem(c);
		for (j = 0; j < r->msgs[i].nparts; j++)
			if (kmsg_push(c->a, &tmp, &r->msgs[i].parts[j]) == -1)
				return nomem(c);
		if (c->nm > 0 && c->m[c->nm - 1].role == tmp.role) {
			m = &c->m[c->nm - 1];
			if (has_type(m, C_TEXT) && has_type(&tmp, C_TEXT) &&
			    kmsg_push(c->a, m, sep) == -1)
				return nomem(c);
			for (j = 0; j < tmp.n; j++)
				if (kmsg_push(c->a, m, tmp.v[j]) == -1)
					return nomem(c);
			continue;
		}
		c->m[c->nm++] = tmp;
	}
	return 0;
}

static int
msg_has_result(const struct kmsg *m, const char *id)
{
	size_t i;

	if (m == NULL || m->role != C_USER)
		return 0;
	for (i = 0; i < m->n; i++)
		if (m->v[i]->type == C_TOOL_RESULT && same_id(m->v[i]->id, id))
			return 1;
	return 0;
}

/*
 * Step 4.4 [REC] hardening: a tool call (outside the last turn) that
 * the next user turn does not answer is dropped, then every result
 * that answers no remaining call of an earlier assistant turn; a turn
 * emptied that way says "(continued)".
 */
static int
step4_harden(struct kctx *c)
{
	const struct c_part *cont = NULL;
	struct kmsg *m;
	size_t i, j, k, h, q;
	int found, had;

	for (i = 0; i < c->nm; i++) {
		m = &c->m[i];
		had = m->n > 0;
		for (j = k = 0; j < m->n; j++) {
			if (m->role == C_ASSISTANT && i + 1 < c->nm &&
			    m->v[j]->type == C_TOOL_USE &&
			    !msg_has_result(&c->m[i + 1], m->v[j]->id)) {
				log_debug("kiro: tool_use %s without a result "
				    "dropped", m->v[j]->id ? m->v[j]->id : "");
				continue;
			}
			if (m->role == C_USER &&
			    m->v[j]->type == C_TOOL_RESULT) {
				found = 0;
				for (h = 0; h < i && !found; h++) {
					if (c->m[h].role != C_ASSISTANT)
						continue;
					for (q = 0; q < c->m[h].n; q++)
						if (c->m[h].v[q]->type ==
						    C_TOOL_USE && same_id(
						    c->m[h].v[q]->id,
						    m->v[j]->id))
							found = 1;
				}
				if (!found) {
					log_debug("kiro: tool_result %s "
					    "without a call dropped",
					    m->v[j]->id ? m->v[j]->id : "");
					continue;
				}
			}
			m->v[k++] = m->v[j];
		}
		m->n = k;
		if (had && m->n == 0) {
			if (cont == NULL)
				cont = synth_text(c->a, "(continued)");
			if (cont == NULL || kmsg_push(c->a, m, cont) == -1)
				return nomem(c);
		}
	}
	return 0;
}

/* ---- step 5: tools ------------------------------------------------------- */

/*
 * The name sent for a client tool name: itself, or (longer than 64
 * code points) its first 51 code points, "_" and 12 hex digits of its
 * SHA-256, recorded in k->aliases.
 */
static const char *
tool_alias(struct kctx *c, const char *name)
{
	struct kiro_req *k = c->k;
	char hex[13], *alias;
	size_t len, plen, i;

	len = strlen(name);
	if (cp_count(name, len) <= NAME_MAX_CP)
		return name;
	for (i = 0; i < k->naliases; i++)
		if (strcmp(k->aliases[i].name, name) == 0)
			return k->aliases[i].alias;
	plen = cp_prefix(name, len, ALIAS_PREFIX_CP);
	hash_id(name, len, hex);
	alias = arena_printf(c->a, "%.*s_%s", (int)plen, name, hex);
	if (alias == NULL)
		return NULL;
	if (agrow(c->a, (void **)&k->aliases, &c->capalias, k->naliases + 1,
	    sizeof(*k->aliases)) == -1)
		return NULL;
	k->aliases[k->naliases].alias = alias;
	k->aliases[k->naliases].name = name;
	k->naliases++;
	return alias;
}

static int
tool_add(struct kctx *c, const struct ktool *t)
{
	if (agrow(c->a, (void **)&c->t, &c->capt, c->nt + 1,
	    sizeof(*c->t)) == -1)
		return -1;
	c->t[c->nt++] = *t;
	return 0;
}

static int
tool_listed(const struct kctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nt; i++)
		if (strcmp(c->t[i].name, name) == 0)
			return 1;
	return 0;
}

static int
is_blank(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static int
step5_tools(struct kctx *c)
{
	const struct c_request *r = c->r;
	const struct c_tool *tool;
	struct kiro_req *k = c->k;
	struct ktool t;
	const struct kmsg *m;
	const char *name;
	size_t i, j, len;

	k->tool_names = arena_alloc(c->a, (r->ntools + 1) *
	    sizeof(*k->tool_names));
	if (k->tool_names == NULL)
		return nomem(c);
	for (i = 0; i < r->ntools; i++) {
		tool = &r->tools[i];
		if (tool->name == NULL || *tool->name == '\0' ||
		    strcasecmp(tool->name, "web_search") == 0 ||
		    strcasecmp(tool->name, "websearch") == 0 ||
		    (tool->type != NULL && strcmp(tool->type, "custom") != 0 &&
		    tool->schema == NULL)) {
			log_debug("kiro: tool %s (%s) skipped: the backend "
			    "cannot run it", tool->name ? tool->name : "?",
			    tool->type ? tool->type : "custom");
			continue;
		}
		memset(&t, 0, sizeof(t));
		t.name = tool_alias(c, tool->name);
		if (t.name == NULL)
			return nomem(c);
		t.desc = is_blank(tool->description) ? tool->name :
		    tool->description;
		len = strlen(t.desc);
		if (cp_count(t.desc, len) > DESC_MAX_CP) {
			len = cp_prefix(t.desc, len, DESC_MAX_CP);
			t.cut = 1;
		}
		t.desc_len = len;
		t.schema = tool->schema;
		if (tool_add(c, &t) == -1)
			return nomem(c);
		k->tool_names[k->ntool_names++] = tool->name;
	}
	if (c->nt == 0) {
		memset(&t, 0, sizeof(t));
		t.name = PLACEHOLDER_NAME;
		t.desc = PLACEHOLDER_DESC;
		t.desc_len = strlen(PLACEHOLDER_DESC);
		t.raw_schema = EMPTY_SCHEMA;
		if (tool_add(c, &t) == -1)
			return nomem(c);
	}
	/* history calls of tools the list does not name (HEAD 5342214) */
	for (i = 0; i < c->nm; i++) {
		m = &c->m[i];
		if (m->role != C_ASSISTANT)
			continue;
		for (j = 0; j < m->n; j++) {
			if (m->v[j]->type != C_TOOL_USE ||
			    m->v[j]->name == NULL)
				continue;
			name = tool_alias(c, m->v[j]->name);
			if (name == NULL)
				return nomem(c);
			if (tool_listed(c, name))
				continue;
			memset(&t, 0, sizeof(t));
			t.name = name;
			t.desc = m->v[j]->name;
			t.desc_len = strlen(t.desc);
			if (cp_count(t.desc, t.desc_len) > DESC_MAX_CP) {
				t.desc_len = cp_prefix(t.desc, t.desc_len,
				    DESC_MAX_CP);
				t.cut = 1;
			}
			t.raw_schema = EMPTY_SCHEMA;
			if (tool_add(c, &t) == -1)
				return nomem(c);
		}
	}
	return 0;
}

/*
 * A client JSON document (tool input, input schema) as sent: null
 * members and elements are left out (§4.3: no null anywhere; the
 * client's tree is not touched), and at the top of a tool input a
 * member named "" too (§4.4 sanitize).
 */
static int
put_doc(struct buf *b, json_object *o, int depth, int drop_empty_key)
{
	json_object *e;
	size_t i, n;
	int r = 0, first = 1;

	if (depth > JSON_INPUT_DEPTH)
		return jw_obj(b, o);
	switch (json_object_get_type(o)) {
	case json_type_object:
		r |= buf_addc(b, '{');
		json_object_object_foreach(o, key, val) {
			if (val == NULL || (drop_empty_key && *key == '\0'))
				continue;
			r |= jw_key(b, key, first);
			r |= put_doc(b, val, depth + 1, 0);
			first = 0;
		}
		r |= buf_addc(b, '}');
		break;
	case json_type_array:
		n = json_object_array_length(o);
		r |= buf_addc(b, '[');
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(o, i);
			if (e == NULL)
				continue;
			if (!first)
				r |= buf_addc(b, ',');
			r |= put_doc(b, e, depth + 1, 0);
			first = 0;
		}
		r |= buf_addc(b, ']');
		break;
	default:
		r |= jw_obj(b, o);
		break;
	}
	return r ? -1 : 0;
}

static int
put_tools(const struct kctx *c, struct buf *b)
{
	const struct ktool *t;
	size_t i;
	int r = 0;

	r |= buf_addc(b, '[');
	for (i = 0; i < c->nt; i++) {
		t = &c->t[i];
		if (i > 0)
			r |= buf_addc(b, ',');
		r |= buf_addstr(b, "{\"toolSpecification\":{\"name\":");
		r |= jw_cstr(b, t->name);
		r |= buf_addstr(b, ",\"description\":");
		if (t->cut) {
			/* the cut text and "..." as one string */
			r |= jw_str(b, t->desc, t->desc_len);
			if (r == 0) {
				b->len--;	/* the closing quote */
				r |= buf_addstr(b, "...\"");
			}
		} else
			r |= jw_str(b, t->desc, t->desc_len);
		r |= buf_addstr(b, ",\"inputSchema\":{\"json\":");
		if (t->raw_schema != NULL)
			r |= buf_addstr(b, t->raw_schema);
		else if (t->schema != NULL)
			r |= put_doc(b, t->schema, 0, 0);
		else
			r |= buf_addstr(b, "{}");
		r |= buf_addstr(b, "}}}");
	}
	r |= buf_addc(b, ']');
	return r ? -1 : 0;
}

/* ---- step 3: system text and thinking prefix ----------------------------- */

static int64_t
effort_budget(const char *e)
{
	if (e == NULL)
		return 0;
	if (strcasecmp(e, "minimal") == 0)
		return 1024;
	if (strcasecmp(e, "low") == 0)
		return 2048;
	if (strcasecmp(e, "medium") == 0)
		return 8192;
	if (strcasecmp(e, "none") == 0)
		return 0;
	return 24576;
}

/*
 * The thinking prefix P of step 3 into b (empty when none).  The
 * canonical request may carry thinking as Claude's object (enabled or
 * adaptive) or, from other dialects, as a bare effort or budget
 * (conversion.md §3.9 turns those into an enabled budget).
 */
static int
thinking_prefix(struct kctx *c, struct buf *b)
{
	const struct c_request *r = c->r;
	char eff[16];
	const char *e;
	size_t i, len;
	int64_t budget = 0;

	switch (r->thinking) {
	case C_THINK_ENABLED:
		budget = r->thinking_budget > 0 ? r->thinking_budget : 20000;
		break;
	case C_THINK_ADAPTIVE:
		e = r->reasoning_effort != NULL ? r->reasoning_effort : "";
		while (isspace((unsigned char)*e))
			e++;
		len = strlen(e);
		while (len > 0 && isspace((unsigned char)e[len - 1]))
			len--;
		if (len >= sizeof(eff))
			len = 0;
		for (i = 0; i < len; i++)
			eff[i] = (char)tolower((unsigned char)e[i]);
		eff[len] = '\0';
		if (strcmp(eff, "low") != 0 && strcmp(eff, "medium") != 0 &&
		    strcmp(eff, "high") != 0)
			strlcpy(eff, "high", sizeof(eff));
		c->k->thinking = 1;
		return buf_addf(b, "<thinking_mode>adaptive</thinking_mode>"
		    "<thinking_effort>%s</thinking_effort>", eff);
	case C_THINK_DISABLED:
		return 0;
	default:
		if (r->thinking_budget > 0)
			budget = r->thinking_budget;
		else if (r->thinking_budget == -1)
			budget = 8192;
		else
			budget = effort_budget(r->reasoning_effort);
		if (budget <= 0)
			return 0;
		break;
	}
	if (budget < 1024)
		budget = 1024;
	if (budget > 24576)
		budget = 24576;
	c->k->thinking = 1;
	return buf_addf(b, "<thinking_mode>enabled</thinking_mode>"
	    "<max_thinking_length>%lld</max_thinking_length>",
	    (long long)budget);
}

/* S of steps 2 and 3: system texts joined with "\n\n", prefixed. */
static int
system_text(struct kctx *c, struct buf *s)
{
	const struct c_request *r = c->r;
	struct buf p;
	size_t i;
	int first = 1;

	for (i = 0; i < r->nsystem; i++) {
		if (r->system[i].type != C_TEXT || r->system[i].text == NULL)
			continue;
		if (!first && buf_add(s, "\n\n", 2) == -1)
			return -1;
		if (buf_add(s, r->system[i].text, r->system[i].text_len) == -1)
			return -1;
		first = 0;
	}
	buf_init(&p, 0);
	if (thinking_prefix(c, &p) == -1)
		return -1;
	if (p.len > 0 && (s->len == 0 || (strstr(s->data,
	    "<thinking_mode>") == NULL && strstr(s->data,
	    "<max_thinking_length>") == NULL && strstr(s->data,
	    "<thinking_effort>") == NULL))) {
		/* S = P + "\n" + S */
		if ((s->len > 0 && (buf_addc(&p, '\n') == -1 ||
		    buf_add(&p, s->data, s->len) == -1))) {
			buf_free(&p);
			return -1;
		}
		buf_free(s);
		*s = p;
		return 0;
	}
	buf_free(&p);
	return 0;
}

/* ---- step 6: entries ----------------------------------------------------- */

/* A user entry under construction (map_user). */
struct uent {
	struct buf		 content;
	int			 note_last;	/* last piece: a note */
	const struct c_part	**img;
	size_t			 nimg;
	const struct c_part	**res;
	size_t			 nres;
	size_t			 omitted;	/* images left out */
};

/* Text blocks are concatenated as they are (§4.4 map_user). */
static int
add_text(struct uent *u, const char *s, size_t len)
{
	if (u->note_last && u->content.len > 0 &&
	    buf_addc(&u->content, '\n') == -1)
		return -1;
	u->note_last = 0;
	return buf_add(&u->content, s, len);
}

/* Notes and inlined documents go on a line of their own. */
static int
add_note(struct uent *u, const char *s, size_t len)
{
	if (u->content.len > 0 && buf_addc(&u->content, '\n') == -1)
		return -1;
	u->note_last = 1;
	return buf_add(&u->content, s, len);
}

/* "png", "jpeg", "gif", "webp" for a supported image media type. */
static const char *
image_format(const char *mt)
{
	const char *f;

	if (mt == NULL || strncasecmp(mt, "image/", 6) != 0)
		return NULL;
	f = mt + 6;
	if (strcasecmp(f, "png") == 0)
		return "png";
	if (strcasecmp(f, "jpeg") == 0 || strcasecmp(f, "jpg") == 0)
		return "jpeg";
	if (strcasecmp(f, "gif") == 0)
		return "gif";
	if (strcasecmp(f, "webp") == 0)
		return "webp";
	return NULL;
}

static int
map_image(struct kctx *c, struct uent *u, const struct c_part *p, int keep)
{
	char note[160];

	if (p->data == NULL) {
		log_info("kiro: URL image replaced by a note");
		return add_note(u, URL_IMAGE_NOTE, strlen(URL_IMAGE_NOTE));
	}
	if (image_format(p->media_type) == NULL) {
		log_info("kiro: %s image replaced by a note",
		    p->media_type ? p->media_type : "untyped");
		snprintf(note, sizeof(note), "[image omitted: %.100s is not "
		    "supported by this backend]", p->media_type ?
		    p->media_type : "this image type");
		return add_note(u, note, strlen(note));
	}
	if (!keep) {
		u->omitted++;
		return 0;
	}
	u->img[u->nimg++] = p;
	return 0;
}

static int
map_document(struct uent *u, const struct c_part *p)
{
	char note[160];
	struct buf b;
	int rc;

	if (p->text != NULL) {
		buf_init(&b, 0);
		rc = buf_addstr(&b, "<document>\n");
		if (rc == 0)
			rc = buf_add(&b, p->text, p->text_len);
		if (rc == 0)
			rc = buf_addstr(&b, "\n</document>");
		if (rc == 0)
			rc = add_note(u, b.data, b.len);
		buf_free(&b);
		return rc;
	}
	log_info("kiro: %s document replaced by a note",
	    p->data == NULL ? "URL" : p->media_type ? p->media_type :
	    "untyped");
	if (p->data == NULL)
		snprintf(note, sizeof(note), "[document omitted: URL "
		    "documents are not supported]");
	else
		snprintf(note, sizeof(note), "[document omitted: %.100s is "
		    "not supported by this backend]", p->media_type ?
		    p->media_type : "this document type");
	return add_note(u, note, strlen(note));
}

/* map_user of §4.4: content text, images, deduplicated tool results. */
static int
map_user(struct kctx *c, const struct kmsg *m, int keep, struct uent *u)
{
	const struct c_part *p;
	char note[160];
	size_t i, j;
	int dup;

	memset(u, 0, sizeof(*u));
	buf_init(&u->content, 0);
	u->img = arena_alloc(c->a, (m->n + 1) * sizeof(*u->img));
	u->res = arena_alloc(c->a, (m->n + 1) * sizeof(*u->res));
	if (u->img == NULL || u->res == NULL)
		return -1;
	for (i = 0; i < m->n; i++) {
		p = m->v[i];
		switch (p->type) {
		case C_TEXT:
			if (p->text != NULL &&
			    add_text(u, p->text, p->text_len) == -1)
				return -1;
			break;
		case C_IMAGE:
			if (map_image(c, u, p, keep) == -1)
				return -1;
			break;
		case C_DOCUMENT:
			if (map_document(u, p) == -1)
				return -1;
			break;
		case C_AUDIO:
			snprintf(note, sizeof(note), "[audio omitted: %.100s "
			    "is not supported by this backend]",
			    p->media_type ? p->media_type : "audio");
			if (add_note(u, note, strlen(note)) == -1)
				return -1;
			break;
		case C_TOOL_RESULT:
			dup = 0;
			for (j = 0; j < u->nres; j++)
				if (same_id(u->res[j]->id, p->id))
					dup = 1;
			if (dup) {
				log_debug("kiro: duplicate tool_result %s "
				    "dropped", p->id ? p->id : "");
				break;
			}
			u->res[u->nres++] = p;
			break;
		default:	/* thinking, tool_use: not in user turns */
			break;
		}
	}
	if (u->omitted > 0) {
		snprintf(note, sizeof(note), "[%zu image(s) omitted from "
		    "history]", u->omitted);
		if (add_note(u, note, strlen(note)) == -1)
			return -1;
	}
	return 0;
}

/* The texts of a tool result's content, concatenated (flatten). */
static int
put_flat(struct kctx *c, struct buf *b, const struct c_part *p)
{
	struct buf t;
	size_t i;
	int rc = 0;

	buf_init(&t, 0);
	for (i = 0; i < p->ncontent && rc == 0; i++)
		if (p->content[i].type == C_TEXT && p->content[i].text != NULL)
			rc = buf_add(&t, p->content[i].text,
			    p->content[i].text_len);
	if (rc == 0) {
		c->est += c_est_tokens(t.data ? t.data : "", t.len);
		rc = jw_str(b, t.data ? t.data : "", t.len);
	}
	buf_free(&t);
	return rc;
}

/*
 * One userInputMessage (history or current).  content/len is the text
 * to send; u (may be NULL) gives images and tool results; tools is the
 * serialised tool list for the current message, else NULL.
 */
static int
put_user(struct kctx *c, struct buf *b, const char *content, size_t len,
    const struct uent *u, const struct buf *tools)
{
	const struct c_part *p;
	size_t i;
	int r = 0;

	c->est += c_est_tokens(content, len);
	r |= buf_addstr(b, "{\"userInputMessage\":{\"content\":");
	r |= jw_str(b, content, len);
	r |= buf_addstr(b, ",\"modelId\":");
	r |= jw_cstr(b, c->model_id);
	r |= buf_addstr(b, ",\"origin\":\"AI_EDITOR\"");
	if (u != NULL && u->nimg > 0) {
		r |= buf_addstr(b, ",\"images\":[");
		for (i = 0; i < u->nimg; i++) {
			p = u->img[i];
			if (i > 0)
				r |= buf_addc(b, ',');
			r |= buf_addstr(b, "{\"format\":");
			r |= jw_cstr(b, image_format(p->media_type));
			r |= buf_addstr(b, ",\"source\":{\"bytes\":");
			r |= jw_str(b, p->data, p->data_len);
			r |= buf_addstr(b, "}}");
			c->est += IMAGE_TOKENS;
		}
		r |= buf_addc(b, ']');
	}
	if ((u != NULL && u->nres > 0) || tools != NULL) {
		r |= buf_addstr(b, ",\"userInputMessageContext\":{");
		if (u != NULL && u->nres > 0) {
			r |= buf_addstr(b, "\"toolResults\":[");
			for (i = 0; i < u->nres; i++) {
				p = u->res[i];
				if (i > 0)
					r |= buf_addc(b, ',');
				r |= buf_addstr(b, "{\"content\":[{\"text\":");
				r |= put_flat(c, b, p);
				r |= buf_addstr(b, "}],\"status\":\"success\","
				    "\"toolUseId\":");
				r |= jw_cstr(b, p->id ? p->id : "");
				r |= buf_addc(b, '}');
			}
			r |= buf_addc(b, ']');
			if (tools != NULL)
				r |= buf_addc(b, ',');
		}
		if (tools != NULL) {
			r |= buf_addstr(b, "\"tools\":");
			r |= buf_add(b, tools->data, tools->len);
		}
		r |= buf_addc(b, '}');
	}
	r |= buf_addstr(b, "}}");
	return r ? -1 : 0;
}

/*
 * tool_use input as sent: a JSON object without an "" member (§4.4
 * sanitize); a string holding an object is unwrapped, anything else
 * is {} (§4.6 [REC]).
 */
static int
put_input(struct kctx *c, struct buf *b, const struct c_part *p)
{
	json_object *o = NULL, *inner;
	size_t at = b->len;
	int rc;

	if (p->input != NULL)
		o = c_parse_json(p->input, p->input_len);
	if (o != NULL && json_object_is_type(o, json_type_string)) {
		inner = c_parse_json(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		json_object_put(o);
		o = inner;
	}
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		log_warnx("kiro: tool_use %s input is not a JSON object; "
		    "sent as {}", p->id ? p->id : "");
		json_object_put(o);
		rc = buf_addstr(b, "{}");
	} else {
		rc = put_doc(b, o, 0, 1);
		json_object_put(o);
	}
	if (rc == 0)
		c->est += c_est_tokens(b->data + at, b->len - at);
	return rc;
}

/* map_assistant of §4.4 as an assistantResponseMessage. */
static int
put_assistant(struct kctx *c, struct buf *b, const struct kmsg *m)
{
	const struct c_part *p;
	struct buf text, think, all;
	const char *name;
	size_t i;
	int r = 0, first = 1;

	buf_init(&text, 0);
	buf_init(&think, 0);
	buf_init(&all, 0);
	for (i = 0; i < m->n && r == 0; i++) {
		p = m->v[i];
		if (p->type == C_TEXT && p->text != NULL)
			r |= buf_add(&text, p->text, p->text_len);
		else if (p->type == C_THINKING && p->text != NULL)
			r |= buf_add(&think, p->text, p->text_len);
	}
	if (think.len > 0) {
		r |= buf_addstr(&all, "<thinking>");
		r |= buf_add(&all, think.data, think.len);
		r |= buf_addstr(&all, "</thinking>");
		if (text.len > 0) {
			r |= buf_addstr(&all, "\n\n");
			r |= buf_add(&all, text.data, text.len);
		}
	} else
		r |= buf_add(&all, text.data ? text.data : "", text.len);
	if (r == 0) {
		c->est += c_est_tokens(all.data ? all.data : "", all.len);
		r |= buf_addstr(b, "{\"assistantResponseMessage\":"
		    "{\"content\":");
		r |= jw_str(b, all.data ? all.data : "", all.len);
	}
	buf_free(&text);
	buf_free(&think);
	buf_free(&all);
	for (i = 0; i < m->n && r == 0; i++) {
		p = m->v[i];
		if (p->type != C_TOOL_USE)
			continue;
		r |= buf_addstr(b, first ? ",\"toolUses\":[" : ",");
		r |= buf_addstr(b, "{\"input\":");
		r |= put_input(c, b, p);
		name = tool_alias(c, p->name ? p->name : "");
		if (name == NULL)
			return -1;
		r |= buf_addstr(b, ",\"name\":");
		r |= jw_cstr(b, name);
		r |= buf_addstr(b, ",\"toolUseId\":");
		r |= jw_cstr(b, p->id ? p->id : "");
		r |= buf_addc(b, '}');
		first = 0;
	}
	if (!first)
		r |= buf_addc(b, ']');
	r |= buf_addstr(b, "}}");
	return r ? -1 : 0;
}

/* The history array, written lazily so that an empty one is omitted. */
struct hist {
	int	 open;		/* "history":[ written */
	int	 last_user;	/* last entry is a user entry */
	int	 n;
};

static int
hist_sep(struct buf *b, struct hist *h)
{
	if (!h->open) {
		h->open = 1;
		return buf_addstr(b, ",\"history\":[");
	}
	return buf_addc(b, ',');
}

static int
hist_user(struct kctx *c, struct buf *b, struct hist *h, const char *s,
    size_t len, const struct uent *u)
{
	if (hist_sep(b, h) == -1 || put_user(c, b, s, len, u, NULL) == -1)
		return -1;
	h->last_user = 1;
	h->n++;
	return 0;
}

static int
hist_assistant(struct kctx *c, struct buf *b, struct hist *h,
    const struct kmsg *m)
{
	if (hist_sep(b, h) == -1 || put_assistant(c, b, m) == -1)
		return -1;
	h->last_user = 0;
	h->n++;
	return 0;
}

/* The assistant filler before a user turn (§4.9). */
static int
hist_continue(struct kctx *c, struct buf *b, struct hist *h)
{
	struct c_part p;
	const struct c_part *pp = &p;
	struct kmsg m;

	memset(&p, 0, sizeof(p));
	p.type = C_TEXT;
	p.text = "Continue";
	p.text_len = 8;
	memset(&m, 0, sizeof(m));
	m.role = C_ASSISTANT;
	m.v = &pp;
	m.n = 1;
	return hist_assistant(c, b, h, &m);
}

/* Step 6: history and the current message. */
static int
step6(struct kctx *c, struct buf *b, const struct buf *sys,
    const struct buf *tools)
{
	struct hist h;
	struct uent u;
	struct buf cur;
	const struct kmsg *last;
	size_t n = c->nm, i, start = 0;
	int prepend = 0, rc = -1;

	memset(&h, 0, sizeof(h));
	memset(&u, 0, sizeof(u));
	buf_init(&cur, 0);
	buf_init(&u.content, 0);
	/* a history that would start with an assistant entry ([REC]) */
	if (sys->len == 0 && c->m[0].role == C_ASSISTANT &&
	    hist_user(c, b, &h, "Continue", 8, NULL) == -1)
		goto done;
	if (sys->len > 0) {
		if (c->m[0].role == C_USER && n == 1)
			prepend = 1;
		else if (c->m[0].role == C_USER) {
			if (map_user(c, &c->m[0], n - 1 <= KEEP_IMAGES,
			    &u) == -1)
				goto done;
			if (buf_add(&cur, sys->data, sys->len) == -1 ||
			    (u.content.len > 0 && (buf_add(&cur, "\n\n",
			    2) == -1 || buf_add(&cur, u.content.data,
			    u.content.len) == -1)))
				goto done;
			if (hist_user(c, b, &h, cur.data, cur.len, &u) == -1)
				goto done;
			buf_reset(&cur);
			buf_free(&u.content);
			start = 1;
		} else if (hist_user(c, b, &h, sys->data, sys->len,
		    NULL) == -1)
			goto done;
	}
	for (i = start; i + 1 < n; i++) {
		if (c->m[i].role == C_ASSISTANT) {
			if (hist_assistant(c, b, &h, &c->m[i]) == -1)
				goto done;
			continue;
		}
		if (map_user(c, &c->m[i], (n - 1) - i <= KEEP_IMAGES,
		    &u) == -1)
			goto done;
		if (hist_user(c, b, &h, u.content.data ? u.content.data : "",
		    u.content.len, &u) == -1)
			goto done;
		buf_free(&u.content);
	}
	last = &c->m[n - 1];
	memset(&u, 0, sizeof(u));
	buf_init(&u.content, 0);
	if (last->role == C_ASSISTANT) {
		if (hist_assistant(c, b, &h, last) == -1 ||
		    buf_addstr(&cur, "Continue") == -1)
			goto done;
	} else {
		if (h.n > 0 && h.last_user && hist_continue(c, b, &h) == -1)
			goto done;
		if (map_user(c, last, 1, &u) == -1)
			goto done;
		if (prepend && (buf_add(&cur, sys->data, sys->len) == -1 ||
		    buf_add(&cur, "\n\n", 2) == -1))
			goto done;
		if (u.content.len > 0) {
			if (buf_add(&cur, u.content.data, u.content.len) == -1)
				goto done;
		} else if (buf_addstr(&cur, u.nres > 0 ?
		    "Tool results provided." : "Continue") == -1)
			goto done;
	}
	if (h.open && buf_addc(b, ']') == -1)
		goto done;
	if (buf_addstr(b, ",\"currentMessage\":") == -1 ||
	    put_user(c, b, cur.data, cur.len, &u, tools) == -1)
		goto done;
	rc = 0;
done:
	buf_free(&cur);
	buf_free(&u.content);
	return rc;
}

int
kiro_build_request(const struct c_request *r, struct kiro_req *k,
    struct arena *a, struct buf *out, char *err, size_t errlen)
{
	struct kctx c;
	struct buf sys, tools;
	char cid[37];
	const char *id;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.k = k;
	c.a = a;
	c.err = err;
	c.errlen = errlen;
	k->thinking = 0;
	k->aliases = NULL;
	k->naliases = 0;
	k->tool_names = NULL;
	k->ntool_names = 0;
	k->input_estimate = 0;
	c.model_id = k->model_id != NULL ? k->model_id : r->model;
	if (c.model_id == NULL || *c.model_id == '\0')
		return kfail(&c, "model: required");
	buf_init(&sys, 0);
	buf_init(&tools, 0);
	if (step4_merge(&c) == -1 || step4_harden(&c) == -1 ||
	    step5_tools(&c) == -1)
		goto done;
	if (system_text(&c, &sys) == -1 || put_tools(&c, &tools) == -1) {
		nomem(&c);
		goto done;
	}
	c.est += c_est_tokens(tools.data, tools.len);
	if (k->conversation_id != NULL)
		id = k->conversation_id;
	else {
		uuid_v4(cid);
		id = cid;
	}
	if (buf_addstr(out, "{\"conversationState\":{\"agentTaskType\":"
	    "\"vibe\",\"chatTriggerType\":\"MANUAL\",\"conversationId\":") ==
	    -1 || jw_cstr(out, id) == -1)
		goto toolarge;
	if (step6(&c, out, &sys, &tools) == -1)
		goto toolarge;
	if (buf_addc(out, '}') == -1)
		goto toolarge;
	if (k->profile_arn != NULL && *k->profile_arn != '\0') {
		if (buf_addstr(out, ",\"profileArn\":") == -1 ||
		    jw_cstr(out, k->profile_arn) == -1)
			goto toolarge;
	}
	if (buf_addc(out, '}') == -1)
		goto toolarge;
	k->input_estimate = c.est;
	rc = 0;
	goto done;
toolarge:
	kfail(&c, "the Kiro request body is too large");
done:
	buf_free(&sys);
	buf_free(&tools);
	return rc;
}

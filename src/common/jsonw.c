/*
 * jsonw.c: JSON value encoding into capped buffers (see jsonw.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"
#include "util.h"

/* Length of a valid UTF-8 sequence at p (max n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

int
jw_str(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, n;
	char esc[8];

	if (buf_reserve(b, len + 2) == -1)
		return -1;
	b->data[b->len++] = '"';
	while (i < len) {
		/* copy the longest run that needs no escaping */
		run = i;
		while (run < len && p[run] >= 0x20 && p[run] < 0x80 &&
		    p[run] != '"' && p[run] != '\\')
			run++;
		if (run > i && buf_add(b, s + i, run - i) == -1)
			return -1;
		i = run;
		if (i >= len)
			break;
		if (p[i] >= 0x80) {
			n = utf8_seq(p + i, len - i);
			if (n == 0) {
				if (buf_add(b, "\xef\xbf\xbd", 3) == -1)
					return -1;
				i++;
			} else {
				if (buf_add(b, s + i, n) == -1)
					return -1;
				i += n;
			}
			continue;
		}
		switch (p[i]) {
		case '"':
			n = 2, esc[0] = '\\', esc[1] = '"';
			break;
		case '\\':
			n = 2, esc[0] = '\\', esc[1] = '\\';
			break;
		case '\n':
			n = 2, esc[0] = '\\', esc[1] = 'n';
			break;
		case '\r':
			n = 2, esc[0] = '\\', esc[1] = 'r';
			break;
		case '\t':
			n = 2, esc[0] = '\\', esc[1] = 't';
			break;
		case '\b':
			n = 2, esc[0] = '\\', esc[1] = 'b';
			break;
		case '\f':
			n = 2, esc[0] = '\\', esc[1] = 'f';
			break;
		default:
			n = 6;
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[p[i] >> 4];
			esc[5] = hex[p[i] & 15];
			break;
		}
		if (buf_add(b, esc, n) == -1)
			return -1;
		i++;
	}
	return buf_addc(b, '"');
}

int
jw_cstr(struct buf *b, const char *s)
{
	if (s == NULL)
		return buf_add(b, "null", 4);
	return jw_str(b, s, strlen(s));
}

int
jw_int(struct buf *b, int64_t v)
{
	return buf_addf(b, "%" PRId64, v);
}

int
jw_key(struct buf *b, const char *key, int first)
{
	if (!first && buf_addc(b, ',') == -1)
		return -1;
	if (jw_cstr(b, key) == -1)
		return -1;
	return buf_addc(b, ':');
}

int
jw_obj(struct buf *b, json_object *o)
{
	size_t len;
	const char *s;

	if (o == NULL)
		return buf_add(b, "null", 4);
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return buf_add(b, s, len);
}

void
json_wipe_strings(json_object *o)
{
	size_t i;

	if (o == NULL)
		return;
	switch (json_object_get_type(o)) {
	case json_type_string:
		explicit_bzero((char *)json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		break;
	case json_type_object:
		json_object_object_foreach(o, k, v) {
			(void)k;
			json_wipe_strings(v);
		}
		break;
	case json_type_array:
		for (i = 0; i < json_object_array_length(o); i++)
			json_wipe_strings(json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
}

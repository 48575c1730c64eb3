/*
 * gemini.c: the Gemini dialect's entry in the dialect table, and the few
 * helpers its request half (gemini_req.c) and answer half
 * (gemini_resp.c) share: camelCase/snake_case field lookup and number
 * output.  Nothing here allocates or keeps state.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gemini_int.h"

const struct dialect_ops dialect_gemini = {
	.name = "gemini",
	.decode_request = gemini_decode_request,
	.encode_response = gemini_encode_response,
	.stream_encoder = gemini_stream_encoder,
	.encode_models = gemini_encode_models,
	.encode_model = gemini_encode_model,
	.encode_request = gemini_encode_request,
	.decode_response = gemini_decode_response,
	.stream_decoder = gemini_stream_decoder,
	.stream_decode = gemini_stream_decode,
	.stream_end = gemini_stream_end,
	.decode_models = gemini_decode_models,
	.decode_error = gemini_decode_error,
};

json_object *
gemini_field(json_object *o, const char *camel, const char *snake,
    const char **key)
{
	json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return NULL;
	if (json_object_object_get_ex(o, camel, &v)) {
		if (key != NULL)
			*key = camel;
		return v;
	}
	if (snake != NULL && json_object_object_get_ex(o, snake, &v)) {
		if (key != NULL)
			*key = snake;
		return v;
	}
	if (key != NULL)
		*key = camel;
	return NULL;
}

int
gemini_jw_double(struct buf *b, double d)
{
	char tmp[40];

	if (!isfinite(d))
		return buf_addc(b, '0');
	if (d == floor(d) && fabs(d) < 1e15)
		return buf_addf(b, "%.0f", d);
	snprintf(tmp, sizeof(tmp), "%.15g", d);
	if (strtod(tmp, NULL) != d)
		snprintf(tmp, sizeof(tmp), "%.17g", d);
	return buf_addstr(b, tmp);
}

const char *
gemini_json_text(json_object *o, size_t *len)
{
	return json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

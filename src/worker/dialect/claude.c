/*
 * claude.c: the Claude dialect's entry in the dialect table.
 */
#include "config.h"

#include "claude_int.h"

const struct dialect_ops dialect_claude = {
	.name = "claude",
	.decode_request = claude_decode_request,
	.encode_response = claude_encode_response,
	.stream_encoder = claude_stream_encoder,
	.encode_models = claude_encode_models,
	.encode_model = NULL,
	.encode_request = claude_encode_request,
	.decode_response = claude_decode_response,
	.stream_decoder = claude_stream_decoder,
	.stream_decode = claude_stream_decode,
	.stream_end = claude_stream_end,
	.decode_models = claude_decode_models,
	.decode_error = claude_decode_error,
};

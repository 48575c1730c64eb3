/*
 * openai.c: the openai dialect (placeholder until the module lands).
 */
#include "config.h"

#include "dialect.h"

const struct dialect_ops dialect_openai = { .name = "openai" };

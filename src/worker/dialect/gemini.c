/*
 * gemini.c: the gemini dialect (placeholder until the module lands).
 */
#include "config.h"

#include "dialect.h"

const struct dialect_ops dialect_gemini = { .name = "gemini" };

/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_JSON_H
#define TINYVMM_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A tiny streaming JSON writer for the --report-json file. It tracks
 * nesting and commas so callers only say what comes next.
 */
#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
void json_begin_object(struct json *j, const char *key);	/* key NULL inside arrays / at top */
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_string(struct json *j, const char *key, const char *value);	/* NULL value -> null */
void json_u64(struct json *j, const char *key, uint64_t value);
void json_int(struct json *j, const char *key, long long value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);

/* Write @s as a JSON string literal (quotes, escapes, control characters). */
void json_write_escaped(FILE *f, const char *s);

#endif

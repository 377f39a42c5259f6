/* SPDX-License-Identifier: MIT */
/*
 * The subset of TOML 1.0 that xfr's config file uses (docs/CONFIG.md), parsed
 * into a flat list of key/value pairs. Debian 12 ships no C TOML library.
 *
 * Accepted: comments, [table] and [[array-of-tables]] headers with bare names,
 * bare keys (A-Za-z0-9_-), basic strings "..." with the TOML escapes
 * (\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX), literal strings '...', decimal
 * integers (sign, '_' between digits), decimal floats (fraction, exponent),
 * true/false, and arrays of those (several lines, trailing comma allowed).
 * Refused with a reason: dotted or quoted keys, inline tables, multi-line
 * strings, dates, hex/octal/binary integers, inf/nan, duplicate keys or tables.
 */
#ifndef XFR_BASE_TOML_H
#define XFR_BASE_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum toml_type {
	TOML_STRING,
	TOML_INT,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_ARRAY,
};

struct toml_value {
	enum toml_type type;
	char *text;		  /* STRING: the decoded string; INT/FLOAT: as written (no '_') */
	int64_t i;		  /* INT */
	bool b;			  /* BOOL */
	struct toml_value *items; /* ARRAY: its elements (scalars only) */
	size_t n;		  /* ARRAY: how many */
	int line, col;		  /* where the value starts, from 1 */
};

struct toml_kv {
	const char *table; /* "" before any header, else the header's name */
	int index;	   /* [[table]]: which element, from 0; [table] and top level: -1 */
	char *key;
	struct toml_value value;
	int line, col; /* where the key starts, from 1 */
};

struct toml_doc {
	struct toml_kv *kv; /* in file order */
	size_t n;
	char **tables; /* the header names, owned here; kv[].table points into them */
	size_t ntables;
};

struct toml_error {
	int line, col; /* from 1 */
	char msg[160]; /* "expected '=' after the key" */
};

/*
 * Parse len bytes of text (need not be NUL-terminated; a NUL byte is an error).
 * 0 and doc filled, or -EINVAL with err set and doc empty, or -ENOMEM.
 */
int toml_parse(const char *text, size_t len, struct toml_doc *doc, struct toml_error *err);
void toml_free(struct toml_doc *doc);

/* The type's name for error lines: "a string", "an integer", ... */
const char *toml_type_name(enum toml_type t);

#endif

// SPDX-License-Identifier: MIT
/*
 * A recursive-descent parser for xfr's TOML subset (toml.h). One pass over the
 * bytes with the line and column of the cursor kept up to date, so that every
 * error names the place it was found. The first error stops the parse.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/toml.h"

#define TOML_MAX_KEYS 4096 /* duplicate checks are linear: bound the work */

struct toml_parser {
	const char *p, *end;
	int line, col;
	struct toml_doc *doc;
	struct toml_error *err;
	const char *table; /* current header, "" at the top */
	int index;	   /* current [[table]] element, or -1 */
	bool nomem;
};

const char *toml_type_name(enum toml_type t)
{
	switch (t) {
	case TOML_STRING:
		return "a string";
	case TOML_INT:
		return "an integer";
	case TOML_FLOAT:
		return "a number";
	case TOML_BOOL:
		return "true or false";
	case TOML_ARRAY:
		return "an array";
	}
	return "a value";
}

static int fail_at(struct toml_parser *ps, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(struct toml_parser *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;

	ps->err->line = line;
	ps->err->col = col;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define fail(ps, ...) fail_at(ps, (ps)->line, (ps)->col, __VA_ARGS__)

static int nomem(struct toml_parser *ps)
{
	ps->nomem = true;
	fail(ps, "out of memory");
	return -ENOMEM;
}

static bool at_end(const struct toml_parser *ps)
{
	return ps->p >= ps->end;
}

static int peek(const struct toml_parser *ps)
{
	return at_end(ps) ? -1 : (unsigned char)*ps->p;
}

static bool looking_at(const struct toml_parser *ps, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, s, n);
}

static void advance(struct toml_parser *ps)
{
	if (*ps->p == '\n') {
		ps->line++;
		ps->col = 1;
	} else {
		ps->col++;
	}
	ps->p++;
}

static void skip_blanks(struct toml_parser *ps)
{
	while (peek(ps) == ' ' || peek(ps) == '\t')
		advance(ps);
}

/* A comment runs to the end of the line; control characters other than tab are invalid. */
static int skip_comment(struct toml_parser *ps)
{
	int c;

	if (peek(ps) != '#')
		return 0;
	while ((c = peek(ps)) != -1 && c != '\n') {
		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return fail(ps, "control character 0x%02x in a comment", c);
		if (c == '\r' && !(ps->end - ps->p > 1 && ps->p[1] == '\n'))
			return fail(ps, "a carriage return must be followed by a newline");
		advance(ps);
	}
	return 0;
}

/* After a header or a value: blanks, a comment, then a newline or the end. */
static int end_of_line(struct toml_parser *ps, const char *after)
{
	skip_blanks(ps);
	if (skip_comment(ps))
		return -EINVAL;
	if (looking_at(ps, "\r\n"))
		advance(ps);
	if (at_end(ps))
		return 0;
	if (peek(ps) == '\n') {
		advance(ps);
		return 0;
	}
	return fail(ps, "expected the end of the line after %s", after);
}

/* Blanks, newlines and comments, as between array elements or lines. */
static int skip_space(struct toml_parser *ps)
{
	for (;;) {
		int c = peek(ps);

		if (c == ' ' || c == '\t' || c == '\n') {
			advance(ps);
		} else if (c == '\r' && looking_at(ps, "\r\n")) {
			advance(ps);
		} else if (c == '#') {
			if (skip_comment(ps))
				return -EINVAL;
		} else {
			return 0;
		}
	}
}

static bool bare_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* A bare key or table name into a new string; what follows a name is checked by the caller. */
static int parse_name(struct toml_parser *ps, const char *what, char **out)
{
	const char *start = ps->p, *stop;

	if (peek(ps) == '"' || peek(ps) == '\'')
		return fail(ps, "quoted %ss are not supported (use letters, digits, '_' and '-')",
			    what);

	while (bare_char(peek(ps)))
		advance(ps);
	if (ps->p == start)
		return fail(ps, "expected a %s (letters, digits, '_' and '-')", what);
	stop = ps->p;
	skip_blanks(ps);
	if (peek(ps) == '.')
		return fail(ps, "dotted %ss are not supported", what);
	*out = strndup(start, (size_t)(stop - start));
	return *out ? 0 : nomem(ps);
}

/* ---- strings ---- */

static int put_utf8(char *buf, size_t *n, unsigned long cp)
{
	if (cp < 0x80) {
		buf[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		buf[(*n)++] = (char)(0xc0 | (cp >> 6));
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		buf[(*n)++] = (char)(0xe0 | (cp >> 12));
		buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		buf[(*n)++] = (char)(0xf0 | (cp >> 18));
		buf[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
	return 0;
}

/* \uXXXX or \UXXXXXXXX after the 'u'/'U': a Unicode scalar value other than NUL. */
static int parse_unicode(struct toml_parser *ps, int digits, char *buf, size_t *n)
{
	int line = ps->line, col = ps->col - 2;
	unsigned long cp = 0;

	for (int i = 0; i < digits; i++) {
		int c = peek(ps);
		int v = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;

		if (v < 0)
			return fail_at(ps, line, col, "\\%c needs %d hex digits",
				       digits == 4 ? 'u' : 'U', digits);
		cp = cp * 16 + (unsigned long)v;
		advance(ps);
	}
	if (!cp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail_at(ps, line, col, "\\u escape: not an allowed character");
	return put_utf8(buf, n, cp);
}

static int parse_escape(struct toml_parser *ps, char *buf, size_t *n)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	int c;
	const char *hit;

	advance(ps); /* the backslash */
	c = peek(ps);
	if (c == 'u' || c == 'U') {
		advance(ps);
		return parse_unicode(ps, c == 'u' ? 4 : 8, buf, n);
	}
	hit = c > 0 ? strchr(from, c) : NULL;
	if (!hit)
		return fail(ps, "unknown escape (use \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX)");
	buf[(*n)++] = to[hit - from];
	advance(ps);
	return 0;
}

/*
 * "..." or '...' on one line. The decoded text is never longer than the rest
 * of the input plus 4 (a \U escape); the buffer is trimmed to it at the end.
 */
static int parse_string(struct toml_parser *ps, struct toml_value *v)
{
	int quote = peek(ps), line = ps->line, col = ps->col;
	char *buf = malloc((size_t)(ps->end - ps->p) + 5);
	size_t n = 0;
	int c;

	if (!buf)
		return nomem(ps);
	if (looking_at(ps, quote == '"' ? "\"\"\"" : "'''")) {
		free(buf);
		return fail(ps, "multi-line strings are not supported");
	}
	advance(ps);
	while ((c = peek(ps)) != quote) {
		if (c == -1 || c == '\n' || c == '\r') {
			free(buf);
			return fail_at(ps, line, col, "string not closed on its line");
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			free(buf);
			return fail(ps, "control character 0x%02x in a string (use an escape)", c);
		}
		if (c == '\\' && quote == '"') {
			if (parse_escape(ps, buf, &n)) {
				free(buf);
				return -EINVAL;
			}
			continue;
		}
		buf[n++] = (char)c;
		advance(ps);
	}
	advance(ps);
	buf[n] = '\0';
	v->type = TOML_STRING;
	v->text = realloc(buf, n + 1); /* it was sized for the rest of the file */
	if (!v->text)
		v->text = buf; /* shrinking failed: keep the larger block */
	return 0;
}

/* ---- numbers and booleans ---- */

/* Digits with single '_' between them; returns how many digits, -1 on a bad '_'. */
static int scan_digits(const char **s, char *out, size_t *n)
{
	int count = 0;

	while ((**s >= '0' && **s <= '9') || **s == '_') {
		if (**s == '_') {
			if (!count || !((*s)[1] >= '0' && (*s)[1] <= '9'))
				return -1;
		} else {
			out[(*n)++] = **s;
			count++;
		}
		(*s)++;
	}
	return count;
}

/*
 * The token's grammar: [+-] int [. digits] [(e|E) [+-] digits], no leading
 * zero. Fills out (without '_') and says whether it is a float.
 */
static bool number_ok(const char *tok, char *out, bool *is_float)
{
	const char *s = tok;
	size_t n = 0;

	*is_float = false;
	if (*s == '+' || *s == '-')
		out[n++] = *s++;
	if (s[0] == '0' && ((s[1] >= '0' && s[1] <= '9') || s[1] == '_'))
		return false;
	if (scan_digits(&s, out, &n) <= 0)
		return false;
	if (*s == '.') {
		out[n++] = *s++;
		*is_float = true;
		if (scan_digits(&s, out, &n) <= 0)
			return false;
	}
	if (*s == 'e' || *s == 'E') {
		out[n++] = *s++;
		*is_float = true;
		if (*s == '+' || *s == '-')
			out[n++] = *s++;
		if (scan_digits(&s, out, &n) <= 0)
			return false;
	}
	out[n] = '\0';
	return !*s;
}

static bool token_char(int c)
{
	return bare_char(c) || c == '+' || c == '.' || c == ':';
}

static int number_value(struct toml_parser *ps, const char *tok, int line, int col,
			struct toml_value *v)
{
	char *clean = malloc(strlen(tok) + 1);
	bool is_float;
	char *end;

	if (!clean)
		return nomem(ps);
	if (!number_ok(tok, clean, &is_float)) {
		free(clean);
		return fail_at(ps, line, col, "'%.40s' is not a decimal number", tok);
	}
	errno = 0;
	if (is_float) {
		v->type = TOML_FLOAT;
		(void)strtod(clean, &end);
	} else {
		v->type = TOML_INT;
		v->i = strtoll(clean, &end, 10);
	}
	if (errno == ERANGE) {
		free(clean);
		return fail_at(ps, line, col, "'%.40s' is out of range", tok);
	}
	v->text = clean;
	return 0;
}

/* true, false or a number: one token of bare characters. */
static int parse_token(struct toml_parser *ps, struct toml_value *v)
{
	int line = ps->line, col = ps->col;
	const char *start = ps->p;
	char tok[64];
	size_t n;

	while (token_char(peek(ps)))
		advance(ps);
	n = (size_t)(ps->p - start);
	if (!n)
		return fail(ps, "expected a value (a string, a number, true, false or [...])");
	if (n >= sizeof(tok))
		return fail_at(ps, line, col, "value too long");
	memcpy(tok, start, n);
	tok[n] = '\0';
	if (!strcmp(tok, "true") || !strcmp(tok, "false")) {
		v->type = TOML_BOOL;
		v->b = tok[0] == 't';
		return 0;
	}
	if (strchr(tok, ':') || (n >= 10 && tok[4] == '-' && tok[7] == '-'))
		return fail_at(ps, line, col, "dates and times are not supported");
	if (strstr(tok, "inf") || strstr(tok, "nan"))
		return fail_at(ps, line, col, "inf and nan are not supported");
	if (strchr("+-", tok[0]) ? tok[1] == '0' && tok[2] && strchr("xob", tok[2])
				 : tok[0] == '0' && tok[1] && strchr("xob", tok[1]))
		return fail_at(ps, line, col, "only decimal numbers are supported");
	return number_value(ps, tok, line, col, v);
}

/* ---- values ---- */

static void value_free(struct toml_value *v)
{
	for (size_t i = 0; i < v->n; i++)
		value_free(&v->items[i]);
	free(v->items);
	free(v->text);
	memset(v, 0, sizeof(*v));
}

static int parse_value(struct toml_parser *ps, struct toml_value *v, bool in_array);

static int array_push(struct toml_parser *ps, struct toml_value *v, struct toml_value *item)
{
	struct toml_value *items = realloc(v->items, (v->n + 1) * sizeof(*items));

	if (!items)
		return nomem(ps);
	v->items = items;
	v->items[v->n++] = *item;
	return 0;
}

static int parse_array(struct toml_parser *ps, struct toml_value *v)
{
	struct toml_value item;

	v->type = TOML_ARRAY;
	advance(ps); /* [ */
	for (;;) {
		if (skip_space(ps))
			return -EINVAL;
		if (peek(ps) == ']')
			break;
		memset(&item, 0, sizeof(item));
		if (parse_value(ps, &item, true))
			return -EINVAL;
		if (array_push(ps, v, &item)) {
			value_free(&item);
			return -ENOMEM;
		}
		if (skip_space(ps))
			return -EINVAL;
		if (peek(ps) == ',') {
			advance(ps);
			continue;
		}
		if (peek(ps) != ']')
			return fail(ps, "expected ',' or ']' in the array");
		break;
	}
	advance(ps); /* ] */
	return 0;
}

static int parse_value(struct toml_parser *ps, struct toml_value *v, bool in_array)
{
	int c = peek(ps);

	v->line = ps->line;
	v->col = ps->col;
	if (c == '"' || c == '\'')
		return parse_string(ps, v);
	if (c == '{')
		return fail(ps, "inline tables are not supported");
	if (c == '[') {
		if (in_array)
			return fail(ps, "nested arrays are not supported");
		return parse_array(ps, v);
	}
	return parse_token(ps, v);
}

/* ---- lines ---- */

static bool same_table(const struct toml_kv *kv, const char *table, int index)
{
	return kv->index == index && !strcmp(kv->table, table);
}

static int add_kv(struct toml_parser *ps, char *key, int line, int col, struct toml_value *v)
{
	struct toml_doc *doc = ps->doc;
	struct toml_kv *kv;

	for (size_t i = 0; i < doc->n; i++) {
		if (same_table(&doc->kv[i], ps->table, ps->index) && !strcmp(doc->kv[i].key, key))
			return fail_at(ps, line, col, "'%.64s' is already set on line %d", key,
				       doc->kv[i].line);
	}
	if (doc->n >= TOML_MAX_KEYS)
		return fail_at(ps, line, col, "too many keys (at most %d)", TOML_MAX_KEYS);
	kv = realloc(doc->kv, (doc->n + 1) * sizeof(*kv));
	if (!kv)
		return nomem(ps);
	doc->kv = kv;
	doc->kv[doc->n++] = (struct toml_kv){ps->table, ps->index, key, *v, line, col};
	return 0;
}

static int parse_keyval(struct toml_parser *ps)
{
	int line = ps->line, col = ps->col;
	struct toml_value v = {0};
	char *key = NULL;

	if (parse_name(ps, "key", &key))
		return -EINVAL;
	if (peek(ps) != '=') {
		free(key);
		return fail(ps, "expected '=' after the key");
	}
	advance(ps);
	skip_blanks(ps);
	if (parse_value(ps, &v, false) || end_of_line(ps, "the value") ||
	    add_kv(ps, key, line, col, &v)) {
		value_free(&v);
		free(key);
		return -EINVAL;
	}
	return 0;
}

/* The element count of [[name]] so far, -1 if name is a [table], -2 if unseen. */
static int table_state(const struct toml_parser *ps, const char *name, int *elements)
{
	struct toml_doc *doc = ps->doc;

	*elements = 0;
	for (size_t i = 0; i < doc->ntables; i++) {
		const char *t = doc->tables[i];

		if (strcmp(t + 1, name))
			continue;
		if (t[0] == '1')
			return -1;
		(*elements)++;
	}
	return *elements ? 0 : -2;
}

/* Tables are kept as "1name" for [name] and "2name" for each [[name]] element. */
static int add_table(struct toml_parser *ps, const char *name, bool array, int line, int col)
{
	struct toml_doc *doc = ps->doc;
	int elements, st = table_state(ps, name, &elements);
	char **tables, *copy;

	if (st == -1 && array)
		return fail_at(ps, line, col, "%s is a table ([%s]), not an array of tables", name,
			       name);
	if (st == -1)
		return fail_at(ps, line, col, "[%s] appears twice", name);
	if (st == 0 && !array)
		return fail_at(ps, line, col, "%s is an array of tables: use [[%s]]", name, name);
	if (doc->ntables >= TOML_MAX_KEYS)
		return fail_at(ps, line, col, "too many tables");
	tables = realloc(doc->tables, (doc->ntables + 1) * sizeof(*tables));
	if (!tables)
		return nomem(ps);
	doc->tables = tables;
	if (asprintf(&copy, "%c%s", array ? '2' : '1', name) < 0)
		return nomem(ps);
	doc->tables[doc->ntables++] = copy;
	ps->table = copy + 1;
	ps->index = array ? elements : -1;
	return 0;
}

static int parse_header(struct toml_parser *ps)
{
	int line = ps->line, col = ps->col, err;
	bool array = looking_at(ps, "[[");
	char *name = NULL;

	advance(ps);
	if (array)
		advance(ps);
	skip_blanks(ps);
	if (parse_name(ps, "table name", &name))
		return -EINVAL;
	if (!looking_at(ps, array ? "]]" : "]")) {
		free(name);
		return fail(ps, "expected '%s' after the table name", array ? "]]" : "]");
	}
	advance(ps);
	if (array)
		advance(ps);
	err = add_table(ps, name, array, line, col);
	free(name);
	return err ? err : end_of_line(ps, "the table header");
}

static int parse_line(struct toml_parser *ps)
{
	skip_blanks(ps);
	switch (peek(ps)) {
	case '#':
	case '\n':
	case '\r':
		return end_of_line(ps, "a comment");
	case '[':
		return parse_header(ps);
	default:
		return parse_keyval(ps);
	}
}

void toml_free(struct toml_doc *doc)
{
	for (size_t i = 0; i < doc->n; i++) {
		free(doc->kv[i].key);
		value_free(&doc->kv[i].value);
	}
	for (size_t i = 0; i < doc->ntables; i++)
		free(doc->tables[i]);
	free(doc->kv);
	free(doc->tables);
	memset(doc, 0, sizeof(*doc));
}

int toml_parse(const char *text, size_t len, struct toml_doc *doc, struct toml_error *err)
{
	struct toml_parser ps = {text, text + len, 1, 1, doc, err, "", -1, false};
	const char *nul = memchr(text, '\0', len);

	memset(doc, 0, sizeof(*doc));
	memset(err, 0, sizeof(*err));
	if (nul) {
		ps.end = nul;
		while (!at_end(&ps))
			advance(&ps);
		toml_free(doc);
		return fail(&ps, "NUL byte in the file");
	}
	if (looking_at(&ps, "\xef\xbb\xbf")) /* a UTF-8 byte order mark */
		ps.p += 3;
	while (!at_end(&ps)) {
		if (parse_line(&ps)) {
			toml_free(doc);
			return ps.nomem ? -ENOMEM : -EINVAL;
		}
	}
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the config file's TOML subset (base/toml.c). Any
 * input parses or fails with a position inside the input and a message; what
 * parses is written back as TOML, which must parse again to the same keys
 * and values (the parser and the writer agree on every accepted value).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/toml.h"
#include "fuzz.h"

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void put_value(FILE *f, const struct toml_value *v)
{
	switch (v->type) {
	case TOML_STRING:
		put_string(f, v->text);
		break;
	case TOML_INT:
	case TOML_FLOAT:
		fputs(v->text, f);
		break;
	case TOML_BOOL:
		fputs(v->b ? "true" : "false", f);
		break;
	case TOML_ARRAY:
		fputc('[', f);
		for (size_t i = 0; i < v->n; i++) {
			put_value(f, &v->items[i]);
			fputs(", ", f);
		}
		fputc(']', f);
		break;
	}
}

static char *write_doc(const struct toml_doc *d, size_t *len)
{
	const char *table = "";
	int index = -1;
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	fuzz_assert(f, "open_memstream");
	for (size_t i = 0; i < d->n; i++) {
		const struct toml_kv *kv = &d->kv[i];

		if (strcmp(kv->table, table) || kv->index != index) {
			fprintf(f, kv->index < 0 ? "[%s]\n" : "[[%s]]\n", kv->table);
			table = kv->table;
			index = kv->index;
		}
		fprintf(f, "%s = ", kv->key);
		put_value(f, &kv->value);
		fputc('\n', f);
	}
	fclose(f);
	return text;
}

static void same_value(const struct toml_value *a, const struct toml_value *b)
{
	fuzz_assert(a->type == b->type, "type changed");
	fuzz_assert(a->n == b->n, "array length changed");
	fuzz_assert(!a->text == !b->text, "text appeared or vanished");
	fuzz_assert(!a->text || !strcmp(a->text, b->text), "text changed");
	fuzz_assert(a->type != TOML_INT || a->i == b->i, "integer changed");
	fuzz_assert(a->type != TOML_BOOL || a->b == b->b, "boolean changed");
	for (size_t i = 0; i < a->n; i++)
		same_value(&a->items[i], &b->items[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_doc d1, d2;
	struct toml_error e;
	size_t len;
	char *text;
	int lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (toml_parse((const char *)data, size, &d1, &e)) {
		fuzz_assert(e.msg[0], "error without a message");
		fuzz_assert(e.line >= 1 && e.line <= lines, "error line outside the input");
		fuzz_assert(e.col >= 1 && (size_t)e.col <= size + 1, "error column outside");
		fuzz_assert(!d1.n && !d1.kv, "failed parse left keys");
		return 0;
	}
	text = write_doc(&d1, &len);
	if (toml_parse(text, len, &d2, &e)) {
		fprintf(stderr, "rewritten: %s\nerror %d:%d: %s\n", text, e.line, e.col, e.msg);
		fuzz_fail("the rewritten document does not parse");
	}
	fuzz_assert(d1.n == d2.n, "key count changed");
	for (size_t i = 0; i < d1.n; i++) {
		fuzz_assert(!strcmp(d1.kv[i].key, d2.kv[i].key), "key changed");
		fuzz_assert(!strcmp(d1.kv[i].table, d2.kv[i].table), "table changed");
		same_value(&d1.kv[i].value, &d2.kv[i].value);
	}
	toml_free(&d1);
	toml_free(&d2);
	free(text);
	return 0;
}

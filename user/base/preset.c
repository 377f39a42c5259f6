// SPDX-License-Identifier: MIT
/* Server presets from [[presets]] tables (preset.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/acl.h"
#include "base/preset.h"
#include "units.h"

#define PRESET_FILE_MAX (1024 * 1024)

struct pctx {
	const char *name; /* wanted */
	struct preset cur;
	bool in_presets; /* inside a [[presets]] table */
	bool found;
	struct preset *out;
	char *known;
	size_t klen;
	char why[200];
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* White space, line ends and comments inside an array. */
static const char *skip_blank(const char *p, const char *end)
{
	for (;;) {
		while (p < end && (*p == '\n' || *p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p >= end || *p != '#')
			return p;
		while (p < end && *p != '\n')
			p++;
	}
}

/* A "string" at p: its contents into buf; the position after it, or NULL. */
static const char *string_at(const char *p, const char *end, char *buf, size_t len)
{
	const char *q;

	if (p >= end || *p != '"')
		return NULL;
	q = memchr(p + 1, '"', (size_t)(end - p - 1));
	if (!q || (size_t)(q - p - 1) >= len || memchr(p + 1, '\\', (size_t)(q - p - 1)))
		return NULL;
	memcpy(buf, p + 1, (size_t)(q - p - 1));
	buf[q - p - 1] = '\0';
	return q + 1;
}

/* The end of the table: keep it if it is the one asked for. */
static void close_table(struct pctx *c)
{
	size_t kl;

	if (!c->in_presets)
		return;
	c->in_presets = false;
	if (!c->found && c->cur.name[0] && !strcmp(c->cur.name, c->name)) {
		*c->out = c->cur;
		c->found = true;
		memset(&c->cur, 0, sizeof(c->cur));
		return;
	}
	kl = strlen(c->known);
	if (c->cur.name[0] && kl + strlen(c->cur.name) + 3 < c->klen)
		snprintf(c->known + kl, c->klen - kl, "%s%s", kl ? ", " : "", c->cur.name);
	preset_fini(&c->cur);
}

static int key_clients(struct pctx *c, const char *p, const char *end)
{
	char cidr[80], why[160];

	if (p >= end || *p != '[')
		return -EINVAL;
	if (!c->cur.allowed && !(c->cur.allowed = acl_new()))
		return -ENOMEM;
	for (p = skip_blank(p + 1, end); p < end && *p != ']'; p = skip_ws(p, end)) {
		p = string_at(p, end, cidr, sizeof(cidr));
		if (!p)
			return -EINVAL;
		if (acl_add(c->cur.allowed, cidr, true, why, sizeof(why))) {
			snprintf(c->why, sizeof(c->why), "allowed_clients: %s", why);
			return -EINVAL;
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p++;
		p = skip_blank(p, end);
	}
	return p < end ? 0 : -EINVAL;
}

static int key_value(struct pctx *c, const char *key, size_t kl, const char *p, const char *end)
{
	char v[64];
	uint64_t u;

	if (kl == 4 && !memcmp(key, "name", 4))
		return string_at(p, end, c->cur.name, sizeof(c->cur.name)) ? 0 : -EINVAL;
	if (kl == 15 && !memcmp(key, "allowed_clients", 15))
		return key_clients(c, p, end);
	if (kl == 17 && !memcmp(key, "max_duration_secs", 17)) {
		size_t n = strspn(p, "0123456789");

		if (!n || n >= sizeof(v))
			return -EINVAL;
		memcpy(v, p, n);
		v[n] = '\0';
		if (units_parse_uint(v, 1, 86400, &u))
			return -ERANGE;
		c->cur.max_duration_s = (uint32_t)u;
		return 0;
	}
	if (kl == 15 && !memcmp(key, "bandwidth_limit", 15)) {
		if (!string_at(p, end, v, sizeof(v)) || units_parse_rate(v, &c->cur.bandwidth_bps))
			return -EINVAL;
		return 0;
	}
	return 0; /* a key this version does not know */
}

/* One statement starting at p (a table header or key = value); *next after it. */
static int statement(struct pctx *c, const char *p, const char *end, const char **next)
{
	const char *eol = memchr(p, '\n', (size_t)(end - p)), *key, *eq;
	size_t kl;

	*next = eol ? eol + 1 : end;
	if (p < end && *p == '[') {
		close_table(c);
		c->in_presets = (size_t)(end - p) >= 11 && !memcmp(p, "[[presets]]", 11);
		return 0;
	}
	if (!c->in_presets)
		return 0;
	key = p;
	while (p < end && (*p == '_' || (*p >= 'a' && *p <= 'z')))
		p++;
	kl = (size_t)(p - key);
	eq = skip_ws(p, end);
	if (!kl || eq >= end || *eq != '=')
		return -EINVAL;
	p = skip_ws(eq + 1, end);
	if (*p == '[') { /* an array may span lines */
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (!close)
			return -EINVAL;
		eol = memchr(close, '\n', (size_t)(end - close));
		*next = eol ? eol + 1 : end;
	}
	return key_value(c, key, kl, p, *next);
}

int preset_find(const char *text, size_t n, const char *name, struct preset *out, char *known,
		size_t klen, char *why, size_t wlen)
{
	struct pctx c = {.name = name, .out = out, .known = known, .klen = klen};
	const char *p = text, *end = text + n, *next, *hash;
	unsigned int line = 1;
	int err = 0;

	known[0] = '\0';
	memset(out, 0, sizeof(*out));
	while (p < end && !err) {
		p = skip_ws(p, end);
		hash = p < end && *p == '#' ? p : NULL;
		if (p < end && (*p == '\n' || hash)) {
			next = memchr(p, '\n', (size_t)(end - p));
			next = next ? next + 1 : end;
		} else {
			err = statement(&c, p, end, &next);
		}
		if (err)
			snprintf(why, wlen, "line %u: %s", line,
				 c.why[0] ? c.why : "not understood");
		for (; p < next; p++)
			line += *p == '\n';
	}
	if (!err)
		close_table(&c);
	preset_fini(&c.cur);
	if (err && c.found)
		preset_fini(out);
	return err ? err : c.found;
}

int preset_load(const char *path, const char *name, struct preset *out, char *why, size_t wlen)
{
	FILE *f = fopen(path, "re");
	char *buf, known[200];
	size_t n;
	int rc;

	if (!f) {
		snprintf(why, wlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	buf = malloc(PRESET_FILE_MAX + 1);
	n = buf ? fread(buf, 1, PRESET_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > PRESET_FILE_MAX) {
		free(buf);
		snprintf(why, wlen, "%s: %s", path, buf ? "larger than 1 MiB" : "out of memory");
		return -EFBIG;
	}
	rc = preset_find(buf, n, name, out, known, sizeof(known), why, wlen);
	free(buf);
	if (rc == 0)
		snprintf(why, wlen, "no preset '%s' in %s (%s%s)", name, path,
			 known[0] ? "it has: " : "it has none", known);
	return rc;
}

void preset_fini(struct preset *p)
{
	acl_free(p->allowed);
	p->allowed = NULL;
}

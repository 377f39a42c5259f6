// SPDX-License-Identifier: MIT
/*
 * The config file: where it is, reading it, its version, its tables, the
 * reference's key names, and [[presets]]. What a [client] or [server] key
 * means is the option table's business (cli.c): keys reach it by long name.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/config_file.h"
#include "units.h"

/*
 * Key names of the reference's config.rs that are not "long option with '_'":
 * the migration path for its files. address_family is handled apart.
 */
static const struct {
	const char *key, *opt;
} aliases[] = {
	{"duration_secs", "time"},
	{"parallel_streams", "parallel"},
	{"window_size", "window"},
	{"interval_secs", "interval"},
	{"omit_secs", "omit"},
	{"json_output", "json"},
	{"prometheus_port", "prometheus"},
};

int config_file_path(const char *explicit_path, char *buf, size_t len, bool *required)
{
	const char *env = getenv("XFR_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	*required = true;
	if (explicit_path)
		n = snprintf(buf, len, "%s", explicit_path);
	else if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if ((*required = false), xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/xfr/config.toml", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.config/xfr/config.toml", home);
	else
		n = snprintf(buf, len, "%s", "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int say(FILE *err, const char *path, int line, int col, const char *fmt, const char *a,
	       const char *b)
{
	fprintf(err, "xfr: %s:%d:%d: ", path, line, col);
	fprintf(err, fmt, a, b);
	fputc('\n', err);
	return -EINVAL;
}

/* The whole file into a NUL-terminated buffer; a regular file of at most CONFIG_FILE_MAX. */
static char *read_file(const char *path, size_t *len, int *err)
{
	struct stat sb;
	char *buf = NULL;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	*err = -EFBIG;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		*err = -EISDIR;
		goto out;
	}
	if (sb.st_size > CONFIG_FILE_MAX)
		goto out;
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		*err = -ENOMEM;
		goto out;
	}
	n = read(fd, buf, (size_t)sb.st_size + 1);
	if (n < 0 || n > sb.st_size) { /* an error, or it grew while we read */
		*err = n < 0 ? -errno : -EFBIG;
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = (size_t)n;
	buf[n] = '\0';
	*err = 0;
out:
	close(fd);
	return buf;
}

static int check_version(const struct config_file *cf, FILE *err)
{
	char text[32];

	for (size_t i = 0; i < cf->doc.n; i++) {
		const struct toml_kv *kv = &cf->doc.kv[i];

		if (kv->table[0] || strcmp(kv->key, "version"))
			continue;
		if (kv->value.type != TOML_INT)
			return say(err, cf->path, kv->value.line, kv->value.col,
				   "version: expected an integer (%s%s)", "1", "");
		if (kv->value.i == CONFIG_FILE_VERSION)
			return 0;
		snprintf(text, sizeof(text), "%.20s", kv->value.text);
		return say(err, cf->path, kv->value.line, kv->value.col,
			   "version %s: this xfr reads version 1 files (%s)", text,
			   kv->value.i > CONFIG_FILE_VERSION ? "a newer xfr wrote it; upgrade xfr"
							     : "see docs/CONFIG.md, Versions");
	}
	return 0; /* no version: version 1, and the reference's key names are read too */
}

/* Top-level keys other than version, and tables other than ours. */
static int check_layout(const struct config_file *cf, FILE *err)
{
	for (size_t i = 0; i < cf->doc.n; i++) {
		const struct toml_kv *kv = &cf->doc.kv[i];
		const char *t = kv->table;

		if (!t[0] && strcmp(kv->key, "version"))
			return say(err, cf->path, kv->line, kv->col,
				   "%s: expected in [client] or [server] (only version is a "
				   "top-level key)%s",
				   kv->key, "");
		if (t[0] && strcmp(t, "client") && strcmp(t, "server") && strcmp(t, "presets"))
			return say(err, cf->path, kv->line, kv->col,
				   "[%s] is not a table of xfr's (expected [client], [server] or "
				   "[[presets]])%s",
				   t, "");
		if (!strcmp(t, "presets") && kv->index < 0)
			return say(err, cf->path, kv->line, kv->col,
				   "presets is an array of tables: write [[%s]]%s", t, "");
		if ((!strcmp(t, "client") || !strcmp(t, "server")) && kv->index >= 0)
			return say(err, cf->path, kv->line, kv->col, "%s is one table: write [%s]",
				   t, t);
	}
	return 0;
}

/* ---- [[presets]] ---- */

/* "ADDR" or "ADDR/LEN" with LEN within the family's bits. */
static bool cidr_ok(const char *s)
{
	char addr[XFR_CIDR_MAX], *slash;
	unsigned char buf[16];
	uint64_t len;
	int bits;

	if (strlen(s) >= sizeof(addr))
		return false;
	strcpy(addr, s);
	slash = strchr(addr, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, addr, buf) == 1)
		bits = 32;
	else if (inet_pton(AF_INET6, addr, buf) == 1)
		bits = 128;
	else
		return false;
	return !slash || !units_parse_uint(slash, 0, (uint64_t)bits, &len);
}

static const char *preset_clients(struct xfr_preset *p, const struct toml_value *v,
				  const struct toml_value **at)
{
	*at = v;
	if (v->type != TOML_ARRAY)
		return "expected an array of addresses or CIDRs ([\"10.0.0.0/8\"])";
	if (v->n > XFR_PRESET_MAX_CLIENTS)
		return "too many entries (at most 16)";
	for (size_t i = 0; i < v->n; i++) {
		*at = &v->items[i];
		if (v->items[i].type != TOML_STRING || !cidr_ok(v->items[i].text))
			return "expected an address or CIDR (10.0.0.0/8, 2001:db8::/32)";
		strcpy(p->allowed_clients[p->nclients++], v->items[i].text);
	}
	return NULL;
}

static const char *preset_key(struct xfr_preset *p, const struct toml_kv *kv,
			      const struct toml_value **at)
{
	const struct toml_value *v = &kv->value;
	uint64_t n;

	*at = v;
	if (!strcmp(kv->key, "name")) {
		if (v->type != TOML_STRING || !v->text[0] || strlen(v->text) >= sizeof(p->name))
			return "expected a name of 1 to 63 characters";
		strcpy(p->name, v->text);
		return NULL;
	}
	if (!strcmp(kv->key, "max_duration_secs")) {
		if (v->type != TOML_INT || units_parse_uint(v->text, 1, XFR_MAX_DURATION, &n))
			return "expected whole seconds, 1 to 3600";
		p->max_duration_s = (uint32_t)n;
		return NULL;
	}
	if (!strcmp(kv->key, "bandwidth_limit")) {
		if ((v->type != TOML_STRING && v->type != TOML_INT) ||
		    units_parse_rate(v->text, &p->bandwidth_limit))
			return "expected a rate in bits/s (\"100M\", \"1G\", 1000000)";
		return NULL;
	}
	if (!strcmp(kv->key, "allowed_clients"))
		return preset_clients(p, v, at);
	return "unknown key (presets take name, bandwidth_limit, allowed_clients, "
	       "max_duration_secs)";
}

/* Preset #index: its keys, a name, and no other preset of that name. */
static int read_preset(const struct config_file *cf, int index, struct xfr_preset *presets,
		       FILE *err)
{
	struct xfr_preset *p = &presets[index];
	const struct toml_value *at;
	int line = 0, col = 0;
	const char *why;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < cf->doc.n; i++) {
		const struct toml_kv *kv = &cf->doc.kv[i];

		if (strcmp(kv->table, "presets") || kv->index != index)
			continue;
		if (!line) {
			line = kv->line;
			col = kv->col;
		}
		why = preset_key(p, kv, &at);
		if (why)
			return say(err, cf->path, at->line, at->col, "[[presets]] %s: %s", kv->key,
				   why);
	}
	if (!p->name[0]) {
		char nth[16];

		snprintf(nth, sizeof(nth), "%d", index + 1);
		return say(err, cf->path, line ? line : 1, col ? col : 1,
			   "[[presets]] number %s: expected a key name = \"...\"%s", nth, "");
	}
	for (int j = 0; j < index; j++) {
		if (!strcmp(presets[j].name, p->name))
			return say(err, cf->path, line, col, "[[presets]] '%s': %s", p->name,
				   "a preset of that name comes earlier");
	}
	return 0;
}

static int read_presets(const struct config_file *cf, struct xfr_preset *presets,
			uint32_t *npresets, FILE *err)
{
	int count = -1;

	for (size_t i = 0; i < cf->doc.ntables; i++) {
		if (!strcmp(cf->doc.tables[i], "2presets"))
			count++;
	}
	*npresets = 0;
	if (count + 1 > XFR_MAX_PRESETS) {
		fprintf(err, "xfr: %s: more than %d [[presets]]\n", cf->path, XFR_MAX_PRESETS);
		return -EINVAL;
	}
	for (int k = 0; k <= count; k++) {
		if (read_preset(cf, k, presets, err))
			return -EINVAL;
	}
	*npresets = (uint32_t)(count + 1);
	return 0;
}

/* ---- the file ---- */

static int parse(struct config_file *cf, const char *text, size_t len, FILE *err)
{
	struct toml_error te;
	int rc = toml_parse(text, len, &cf->doc, &te);

	if (rc == -ENOMEM) {
		fprintf(err, "xfr: %s: out of memory\n", cf->path);
		return rc;
	}
	if (rc)
		return say(err, cf->path, te.line, te.col, "%s%s", te.msg, "");
	return 0;
}

int config_file_open(struct config_file *cf, const char *path, bool required,
		     struct xfr_preset *presets, uint32_t *npresets, FILE *err)
{
	size_t len = 0;
	char *text;
	int rc;

	memset(cf, 0, sizeof(*cf));
	*npresets = 0;
	snprintf(cf->path, sizeof(cf->path), "%s", path);
	if (!path[0])
		return 0;
	text = read_file(path, &len, &rc);
	if (!text) {
		if (rc == -ENOENT && !required)
			return 0;
		fprintf(err, "xfr: %s: cannot read the config file: %s\n", path,
			rc == -EFBIG	? "larger than 1 MiB"
			: rc == -EISDIR ? "not a regular file"
					: strerror(-rc));
		return -EINVAL;
	}
	rc = parse(cf, text, len, err);
	free(text);
	if (!rc)
		rc = check_version(cf, err) ?: check_layout(cf, err) ?:
		     read_presets(cf, presets, npresets, err);
	if (rc) {
		config_file_close(cf);
		return -EINVAL;
	}
	cf->present = true;
	return 0;
}

/* The long option a key names: an alias, else the key with '-' for '_'. */
static void key_to_opt(const char *key, char *opt, size_t len)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (!strcmp(key, aliases[i].key)) {
			snprintf(opt, len, "%s", aliases[i].opt);
			return;
		}
	}
	snprintf(opt, len, "%s", key);
	for (char *c = opt; *c; c++) {
		if (*c == '_')
			*c = '-';
	}
}

/* address_family = "ipv4" | "ipv6" | "dual": the -4/-6 switches. */
static const char *address_family(const struct toml_value *v, config_file_fn fn, void *ctx)
{
	static const struct toml_value yes = {.type = TOML_BOOL, .b = true};

	if (v->type == TOML_STRING && !strcmp(v->text, "dual"))
		return NULL;
	if (v->type == TOML_STRING && !strcmp(v->text, "ipv4"))
		return fn(ctx, "ipv4", &yes);
	if (v->type == TOML_STRING && !strcmp(v->text, "ipv6"))
		return fn(ctx, "ipv6", &yes);
	return "expected \"ipv4\", \"ipv6\" or \"dual\"";
}

static int each_value(const struct config_file *cf, const char *section, const struct toml_kv *kv,
		      config_file_fn fn, void *ctx, FILE *err)
{
	const struct toml_value *v = &kv->value;
	char opt[64], shown[64];
	const char *why;
	size_t n = v->type == TOML_ARRAY ? v->n : 1;

	key_to_opt(kv->key, opt, sizeof(opt));
	for (size_t i = 0; i < n; i++) {
		const struct toml_value *item = v->type == TOML_ARRAY ? &v->items[i] : v;

		if (!strcmp(kv->key, "address_family"))
			why = address_family(item, fn, ctx);
		else
			why = fn(ctx, opt, item);
		if (!why)
			continue;
		if (item->type == TOML_STRING)
			snprintf(shown, sizeof(shown), "\"%.50s\"", item->text);
		else if (item->type == TOML_BOOL)
			snprintf(shown, sizeof(shown), "%s", item->b ? "true" : "false");
		else
			snprintf(shown, sizeof(shown), "%.50s", item->text);
		fprintf(err, "xfr: %s:%d:%d: [%s] %s = %s: %s\n", cf->path, item->line, item->col,
			section, kv->key, shown, why);
		return -EINVAL;
	}
	return 0;
}

int config_file_each(const struct config_file *cf, const char *section, config_file_fn fn,
		     void *ctx, FILE *err)
{
	if (!cf->present)
		return 0;
	for (size_t i = 0; i < cf->doc.n; i++) {
		if (strcmp(cf->doc.kv[i].table, section))
			continue;
		if (each_value(cf, section, &cf->doc.kv[i], fn, ctx, err))
			return -EINVAL;
	}
	return 0;
}

void config_file_close(struct config_file *cf)
{
	toml_free(&cf->doc);
	cf->present = false;
}

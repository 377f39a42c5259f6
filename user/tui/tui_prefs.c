// SPDX-License-Identifier: MIT
/* The TUI's preferences file: a tiny strict reader and a writer (tui_prefs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tui/tui_prefs.h"
#include "tui/tui_theme.h"

#define PREFS_MAX 4096 /* a larger file is not ours */

static const char *const ts_names[] = {"relative", "iso8601", "unix", NULL};

int tui_prefs_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/xfr/prefs.toml", xdg);
	else if (home && home[0])
		n = snprintf(buf, len, "%s/.config/xfr/prefs.toml", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int index_of(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

/* One known key's value into p; -1 when the value is not one of the key's. */
static int set_key(struct tui_prefs *p, const char *key, const char *val)
{
	static const char *const units[] = {"auto", "bits", "bytes", NULL};
	int i;

	if (!strcmp(key, "theme")) {
		if ((i = tui_theme_find(val)) < 0)
			return -1;
		p->theme = (unsigned)i;
	} else if (!strcmp(key, "timestamp_format")) {
		if ((i = index_of(ts_names, val)) < 0)
			return -1;
		p->ts_format = (enum xfr_ts_format)i;
	} else if (!strcmp(key, "units")) {
		if ((i = index_of(units, val)) < 0)
			return -1;
		p->units = (enum tui_units)i;
	}
	return 0; /* unknown keys: a newer xfr's, skipped */
}

/* `key = "value"` (spaces around '=' allowed, nothing after the closing quote but a comment). */
static int parse_line(struct tui_prefs *p, char *s, const char **err)
{
	char *key, *val, *end;

	s += strspn(s, " \t");
	if (!*s || *s == '#')
		return 0;
	key = s;
	s += strspn(s, "abcdefghijklmnopqrstuvwxyz_");
	if (s == key)
		return *err = "expected key = \"value\"", -1;
	end = s;
	s += strspn(s, " \t");
	if (*s != '=')
		return *err = "expected '=' after the key", -1;
	*end = '\0';
	s += 1 + strspn(s + 1, " \t");
	if (*s != '"')
		return *err = "the value must be a quoted string", -1;
	val = ++s;
	s += strcspn(s, "\"\\");
	if (*s != '"')
		return *err = "unterminated string (escapes are not supported)", -1;
	*s++ = '\0';
	s += strspn(s, " \t");
	if (*s && *s != '#')
		return *err = "unexpected text after the value", -1;
	if (set_key(p, key, val))
		return *err = "unknown value for this key", -1;
	return 0;
}

int tui_prefs_parse(struct tui_prefs *p, const char *text, char *why, size_t whylen)
{
	struct tui_prefs tmp = *p;
	char line[256];
	unsigned no = 0;

	while (*text) {
		size_t n = strcspn(text, "\n");
		const char *err = NULL;

		no++;
		if (n >= sizeof(line)) {
			snprintf(why, whylen, "line %u: too long", no);
			return -EINVAL;
		}
		memcpy(line, text, n);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (parse_line(&tmp, line, &err)) {
			snprintf(why, whylen, "line %u: %s", no, err);
			return -EINVAL;
		}
		text += n + (text[n] == '\n');
	}
	*p = tmp;
	return 0;
}

int tui_prefs_load(struct tui_prefs *p, const char *path, char *why, size_t whylen)
{
	char buf[PREFS_MAX + 1];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, PREFS_MAX + 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if (n > PREFS_MAX || memchr(buf, '\0', (size_t)n)) {
		snprintf(why, whylen, "not a preferences file (binary or over %d bytes)",
			 PREFS_MAX);
		return -EINVAL;
	}
	buf[n] = '\0';
	return tui_prefs_parse(p, buf, why, whylen);
}

/* mkdir -p of the file's directory. */
static int make_dirs(const char *path)
{
	char dir[4096];
	size_t n = strlen(path);

	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n + 1);
	for (char *s = dir + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

int tui_prefs_save(const struct tui_prefs *p, const char *path)
{
	char tmp[4200];
	FILE *f;
	int err = make_dirs(path);

	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "# xfr display preferences (written by the TUI)\n");
	fprintf(f, "theme = \"%s\"\n", tui_theme_name(p->theme));
	fprintf(f, "timestamp_format = \"%s\"\n",
		ts_names[p->ts_format <= XFR_TS_UNIX ? p->ts_format : 0]);
	fprintf(f, "units = \"%s\"\n", tui_units_name(p->units));
	if (fclose(f)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

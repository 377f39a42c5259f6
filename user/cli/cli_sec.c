// SPDX-License-Identifier: MIT
/* The security options' values (cli_sec.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/acl.h"
#include "base/preset.h"
#include "cli/cli_sec.h"

#define PSK_MAX (sizeof(((struct xfr_config *)0)->psk) - 1)

static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

static const char *set_key(struct xfr_config *cfg, const char *key, size_t n)
{
	if (!n)
		return "the key is empty";
	if (n > PSK_MAX)
		return "the key is longer than 1024 bytes";
	wipe(cfg->psk, sizeof(cfg->psk));
	memcpy(cfg->psk, key, n);
	cfg->psk_len = (uint32_t)n;
	return NULL;
}

const char *clisec_psk(struct xfr_config *cfg, const char *key)
{
	return set_key(cfg, key, strlen(key));
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The key is what the file holds, trimmed (as the reference reads it). */
static const char *read_key(struct xfr_config *cfg, int fd, char *buf, size_t len)
{
	char key[PSK_MAX + 64], *p = key;
	size_t n = 0;
	ssize_t r;
	const char *why;

	while ((r = read(fd, key + n, sizeof(key) - n)) > 0)
		n += (size_t)r;
	if (r < 0) {
		snprintf(buf, len, "cannot read: %s", strerror(errno));
		why = buf;
		goto out;
	}
	while (n && is_space(*p)) {
		p++;
		n--;
	}
	while (n && is_space(p[n - 1]))
		n--;
	why = n == sizeof(key) ? "the key is longer than 1024 bytes" : set_key(cfg, p, n);
out:
	wipe(key, sizeof(key));
	return why;
}

const char *clisec_psk_file(struct xfr_config *cfg, const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	const char *why;

	if (fd < 0) {
		snprintf(buf, len, "%s", strerror(errno));
		return buf;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return "not a regular file";
	}
	if (st.st_mode & 077) {
		close(fd);
		snprintf(buf, len,
			 "permissions %03o let group or others at the key; chmod 600 the file",
			 (unsigned int)(st.st_mode & 0777));
		return buf;
	}
	why = read_key(cfg, fd, buf, len);
	close(fd);
	return why;
}

static const char *acl_of(struct xfr_config *cfg)
{
	if (!cfg->acl)
		cfg->acl = acl_new();
	return cfg->acl ? NULL : "out of memory";
}

const char *clisec_rule(struct xfr_config *cfg, const char *cidr, int allow, char *buf, size_t len)
{
	const char *why = acl_of(cfg);

	if (why)
		return why;
	if (acl_add(cfg->acl, cidr, allow, buf, len))
		return buf;
	return NULL;
}

const char *clisec_acl_file(struct xfr_config *cfg, const char *path, char *buf, size_t len)
{
	const char *why = acl_of(cfg);

	if (why)
		return why;
	if (acl_load_file(cfg->acl, path, buf, len))
		return buf;
	return NULL;
}

static const char *config_path(char *path, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		snprintf(path, len, "%s/xfr/config.toml", xdg);
	else if (home && *home)
		snprintf(path, len, "%s/.config/xfr/config.toml", home);
	else
		return NULL;
	return path;
}

/*
 * The config file's [[presets]] (already read into cfg->presets by the
 * config-file reader) as a struct preset: 1 found, 0 not there (buf lists
 * the known names), < 0 out of memory or a bad allowed_clients entry.
 */
static int preset_from_config(const struct xfr_config *cfg, const char *name, struct preset *out,
			      char *buf, size_t len)
{
	const struct xfr_preset *x = NULL;
	size_t o = 0;

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < cfg->npresets && !x; i++)
		if (!strcmp(cfg->presets[i].name, name))
			x = &cfg->presets[i];
	if (!x) {
		o = (size_t)snprintf(buf, len, "no preset '%s' in %s (it has%s", name,
				     cfg->config_path, cfg->npresets ? ": " : " none");
		for (uint32_t i = 0; i < cfg->npresets && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
					      cfg->presets[i].name);
		if (o < len)
			snprintf(buf + o, len - o, ")");
		return 0;
	}
	snprintf(out->name, sizeof(out->name), "%s", x->name);
	out->max_duration_s = x->max_duration_s;
	out->bandwidth_bps = x->bandwidth_limit;
	if (x->nclients && !(out->allowed = acl_new())) {
		snprintf(buf, len, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < x->nclients; i++)
		if (acl_add(out->allowed, x->allowed_clients[i], true, buf, len)) {
			preset_fini(out);
			return -EINVAL;
		}
	return 1;
}

const char *clisec_preset(struct xfr_config *cfg, const char *name, const char *file, char *buf,
			  size_t len)
{
	struct preset p;
	char path[4096];

	/* The config file that was read holds the presets, unless --preset-file names another. */
	if (!file && cfg->config_path[0]) {
		if (preset_from_config(cfg, name, &p, buf, len) != 1)
			return buf;
		goto apply;
	}
	if (!file && !(file = config_path(path, sizeof(path))))
		return "no --preset-file, and no HOME to find the config file in";
	if (preset_load(file, name, &p, buf, len) != 1)
		return buf;
apply:
	cfg->preset_acl = p.allowed;
	if (!cfg->max_duration_s)
		cfg->max_duration_s = p.max_duration_s;
	if (!cfg->max_bandwidth)
		cfg->max_bandwidth = p.bandwidth_bps;
	return NULL;
}

void clisec_release(struct xfr_config *cfg)
{
	wipe(cfg->psk, sizeof(cfg->psk));
	cfg->psk_len = 0;
	acl_free(cfg->acl);
	acl_free(cfg->preset_acl);
	cfg->acl = cfg->preset_acl = NULL;
}

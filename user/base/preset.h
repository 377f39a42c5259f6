/* SPDX-License-Identifier: MIT */
/*
 * Server presets: the [[presets]] tables of the config file (the reference's
 * format), read from --preset-file until the config-file reader lands:
 *
 *   [[presets]]
 *   name = "lab"
 *   allowed_clients = ["10.0.0.0/8", "2001:db8::/32"]   # an allow list on top of the ACL
 *   max_duration_secs = 60                               # unless --max-duration is given
 *   bandwidth_limit = "100M"                             # bits/s per test and direction, enforced
 *
 * A TOML subset: strings in double quotes without escapes, integers, arrays
 * of strings (over several lines too), '#' comments. Other tables and keys
 * are skipped, so the whole config file can be given.
 */
#ifndef XFR_BASE_PRESET_H
#define XFR_BASE_PRESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acl;

struct preset {
	char name[64];
	struct acl *allowed;	 /* allowed_clients; NULL = not set */
	uint32_t max_duration_s; /* 0 = not set */
	uint64_t bandwidth_bps;	 /* 0 = not set */
};

/*
 * The preset called name in text: 1 found (*out filled; preset_fini frees),
 * 0 not there (known lists the names found), < 0 a syntax error (why says
 * the line).
 */
int preset_find(const char *text, size_t n, const char *name, struct preset *out, char *known,
		size_t klen, char *why, size_t wlen);
int preset_load(const char *path, const char *name, struct preset *out, char *why, size_t wlen);
void preset_fini(struct preset *p);

#endif

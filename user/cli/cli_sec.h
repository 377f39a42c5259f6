/* SPDX-License-Identifier: MIT */
/*
 * The security options' values: the PSK from an argument, a file or
 * XFR_PSK, and the ACL rules from --allow, --deny and --acl-file. Each
 * returns NULL or why the value is refused (one line, without the option's
 * name); why points at buf when it needs formatting.
 */
#ifndef XFR_CLI_CLI_SEC_H
#define XFR_CLI_CLI_SEC_H

#include <stddef.h>

#include "base/config.h"

const char *clisec_psk(struct xfr_config *cfg, const char *key);
/* The file's contents, white space trimmed; refused when group or others may read it. */
const char *clisec_psk_file(struct xfr_config *cfg, const char *path, char *buf, size_t len);
/* One --allow / --deny CIDR. */
const char *clisec_rule(struct xfr_config *cfg, const char *cidr, int allow, char *buf, size_t len);
const char *clisec_acl_file(struct xfr_config *cfg, const char *path, char *buf, size_t len);

/*
 * --preset NAME from file (NULL: $XDG_CONFIG_HOME/xfr/config.toml or
 * ~/.config/xfr/config.toml): its allow list, and its duration and bandwidth
 * caps where --max-duration / --max-bandwidth left them unset.
 */
const char *clisec_preset(struct xfr_config *cfg, const char *name, const char *file, char *buf,
			  size_t len);

/* At exit: the key wiped, the rule lists freed. */
void clisec_release(struct xfr_config *cfg);

#endif

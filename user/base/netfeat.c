// SPDX-License-Identifier: MIT
/*
 * ethtool's feature names and bits through the legacy ioctl: the string set
 * ETH_SS_FEATURES (ETHTOOL_GSSET_INFO for its size, ETHTOOL_GSTRINGS for the
 * names) gives a feature's index; ETHTOOL_GFEATURES gives the active bits in
 * 32-bit blocks.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/netfeat.h"

#define NETFEAT_MAX 512 /* features the kernel names; 6.x has ~70 */

static int ethtool(int fd, const char *ifname, void *data)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

/* Number of features, or -errno. */
static int feature_count(int fd, const char *ifname)
{
	/* the header, then one __u32 length per set asked for (data[] is flexible) */
	union {
		struct ethtool_sset_info hdr;
		__u8 raw[sizeof(struct ethtool_sset_info) + sizeof(__u32)];
	} s = {.hdr = {.cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_FEATURES}};
	int err = ethtool(fd, ifname, &s);
	__u32 len;

	if (err)
		return err;
	if (!(s.hdr.sset_mask & (1ull << ETH_SS_FEATURES)))
		return -EOPNOTSUPP;
	memcpy(&len, s.raw + sizeof(struct ethtool_sset_info), sizeof(len));
	return len > NETFEAT_MAX ? NETFEAT_MAX : (int)len;
}

/* Index of @feature among @n names, or -ENOENT / -errno. */
static int feature_index(int fd, const char *ifname, const char *feature, int n)
{
	struct ethtool_gstrings *gs = calloc(1, sizeof(*gs) + (size_t)n * ETH_GSTRING_LEN);
	int err, i;

	if (!gs)
		return -ENOMEM;
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = (__u32)n;
	err = ethtool(fd, ifname, gs);
	for (i = 0; !err && i < n; i++) {
		const char *name = (const char *)gs->data + (size_t)i * ETH_GSTRING_LEN;

		if (!strncmp(name, feature, ETH_GSTRING_LEN))
			break;
	}
	free(gs);
	return err ? err : i < n ? i : -ENOENT;
}

static int feature_on(int fd, const char *ifname, int idx, int n, bool *on)
{
	int blocks = (n + 31) / 32, err;
	struct ethtool_gfeatures *gf =
		calloc(1, sizeof(*gf) + (size_t)blocks * sizeof(struct ethtool_get_features_block));

	if (!gf)
		return -ENOMEM;
	gf->cmd = ETHTOOL_GFEATURES;
	gf->size = (__u32)blocks;
	err = ethtool(fd, ifname, gf);
	if (!err)
		*on = gf->features[idx / 32].active & (1u << (idx % 32));
	free(gf);
	return err;
}

int netfeat_active(const char *ifname, const char *feature, bool *on)
{
	int fd, n, idx;

	*on = false;
	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = feature_count(fd, ifname);
	idx = n < 0 ? n : feature_index(fd, ifname, feature, n);
	if (idx >= 0)
		idx = feature_on(fd, ifname, idx, n, on);
	close(fd);
	return idx < 0 ? idx : 0;
}

bool netfeat_virtual(const char *ifname)
{
	char path[64];

	if (!ifname || !*ifname || strchr(ifname, '/'))
		return false;
	snprintf(path, sizeof(path), "/sys/class/net/%s/device", ifname);
	return access(path, F_OK) != 0 && errno == ENOENT;
}

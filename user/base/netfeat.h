/* SPDX-License-Identifier: MIT */
/*
 * An interface's offload features by their ethtool names ("tx-udp-
 * segmentation"), and whether it is virtual (no hardware behind it), to tell
 * when UDP GSO batches cross a link whole instead of as separate frames.
 */
#ifndef XFR_BASE_NETFEAT_H
#define XFR_BASE_NETFEAT_H

#include <stdbool.h>

/* *on = whether @feature is active on @ifname. 0, -ENOENT (no such feature), or -errno. */
int netfeat_active(const char *ifname, const char *feature, bool *on);

/*
 * No device behind @ifname (/sys/class/net/IF/device absent): veth, loopback,
 * bridges, tunnels. Such a link hands a GSO packet to its peer as one skb.
 */
bool netfeat_virtual(const char *ifname);

#endif

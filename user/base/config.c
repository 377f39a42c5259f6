// SPDX-License-Identifier: MIT
/* The names of the enums in config.h: one table each, used everywhere. */
#include "base/config.h"

#include <string.h>
#include "util.h"

const char *const xfr_proto_names[] = {
	[XFR_PROTO_TCP] = "tcp", [XFR_PROTO_UDP] = "udp", [XFR_PROTO_QUIC] = "quic", NULL};
const char *const xfr_dir_names[] = {[XFR_DIR_UPLOAD] = "upload",
				     [XFR_DIR_DOWNLOAD] = "download",
				     [XFR_DIR_BIDIR] = "bidir",
				     NULL};
const char *const xfr_engine_req_names[] = {[XFR_ENGINE_SOCKET] = "socket",
					    [XFR_ENGINE_AUTO] = "auto",
					    [XFR_ENGINE_XDP] = "xdp",
					    [XFR_ENGINE_AFXDP] = "afxdp",
					    NULL};
const char *const xfr_engine_names[] = {[XFR_ENG_SOCKET] = "socket",
					[XFR_ENG_XDP] = "xdp",
					[XFR_ENG_AFXDP] = "afxdp",
					[XFR_ENG_QUIC] = "quic",
					NULL};
const char *const xfr_xdp_mode_names[] = {[XFR_XDP_MODE_DEFAULT] = "",
					  [XFR_XDP_MODE_DROP] = "drop",
					  [XFR_XDP_MODE_PASS] = "pass",
					  [XFR_XDP_MODE_REDIRECT] = "redirect",
					  NULL};

int xfr_name_index(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

/* names[v] for a table of n names; "?" out of range. */
static const char *name_of(const char *const *names, size_t n, unsigned int v)
{
	return v < n ? names[v] : "?";
}

#define NAME_OF(t, v) name_of(t, ARRAY_SIZE(t) - 1, (unsigned int)(v))

const char *xfr_proto_name(enum xfr_proto p)
{
	return NAME_OF(xfr_proto_names, p);
}

int xfr_proto_parse(const char *s)
{
	return xfr_name_index(xfr_proto_names, s);
}

const char *xfr_dir_name(enum xfr_dir d)
{
	return NAME_OF(xfr_dir_names, d);
}

const char *xfr_engine_req_name(enum xfr_engine_req r)
{
	return NAME_OF(xfr_engine_req_names, r);
}

int xfr_engine_req_parse(const char *s)
{
	return xfr_name_index(xfr_engine_req_names, s);
}

const char *xfr_engine_name(enum xfr_engine e)
{
	return NAME_OF(xfr_engine_names, e);
}

int xfr_engine_parse(const char *s)
{
	return xfr_name_index(xfr_engine_names, s);
}

const char *xfr_xdp_mode_name(enum xfr_xdp_mode m)
{
	return NAME_OF(xfr_xdp_mode_names, m);
}

int xfr_xdp_mode_parse(const char *s)
{
	return xfr_name_index(xfr_xdp_mode_names, s);
}

uint32_t xfr_default_length(enum xfr_proto p)
{
	return p == XFR_PROTO_UDP ? XFR_DEFAULT_UDP_LEN : XFR_DEFAULT_TCP_LEN;
}

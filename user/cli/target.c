// SPDX-License-Identifier: MIT
/*
 * HOST on the command line. Our own header prints an IPv6 server as
 * [addr]:port, so that form (and IPv4 addr:port, name:port) must be accepted
 * back. A bare IPv6 address keeps every colon to itself: "fd00::2:5201" is a
 * valid address, and so is fd00::2 with port 5201; rather than guess, the
 * parser asks for brackets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/target.h"
#include "base/net.h"

const char *cli_family_name(enum xfr_family f)
{
	return f == XFR_AF_INET6 ? "IPv6" : "IPv4";
}

static bool is_v4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

/* An IPv6 literal, optionally with a %zone (fe80::1%eth0), of n characters of s. */
static bool is_v6n(const char *s, size_t n)
{
	const char *zone = memchr(s, '%', n);
	size_t alen = zone ? (size_t)(zone - s) : n;
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a;

	if (alen >= sizeof(buf))
		return false;
	if (zone && (n - alen < 2 || n - alen > IF_NAMESIZE))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

static bool is_v6(const char *s)
{
	return is_v6n(s, strlen(s));
}

/*
 * The ':' before a trailing port when what precedes it is an IPv6 address
 * ("fd00::2:5201", "fd00::2:40000"); NULL otherwise.
 */
static const char *v6_port_colon(const char *s)
{
	const char *colon = strrchr(s, ':');
	uint16_t port;

	if (!colon || colon == s || colon[-1] == ':')
		return NULL;
	if (net_parse_port(colon + 1, &port) || !is_v6n(s, (size_t)(colon - s)))
		return NULL;
	return colon;
}

static int fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int take_port(const char *arg, const char *p, struct cli_target *t, char *why, size_t len)
{
	int err = net_parse_port(p, &t->port);

	if (err == -ERANGE)
		return fail(why, len, "%s: port %s: must be between 1 and 65535", arg, p);
	if (err)
		return fail(why, len, "%s: '%s' is not a port (write HOST:PORT, [IPv6]:PORT)", arg,
			    p);
	return 0;
}

static int copy_host(struct cli_target *t, const char *s, size_t n, const char *arg, char *why,
		     size_t len)
{
	if (!n)
		return fail(why, len, "%s: no host before the port", arg);
	if (n >= sizeof(t->host))
		return fail(why, len, "HOST '%.64s...': longer than %zu characters", arg,
			    sizeof(t->host) - 1);
	memcpy(t->host, s, n);
	t->host[n] = '\0';
	return 0;
}

/* [V6] or [V6]:PORT */
static int parse_bracketed(const char *arg, struct cli_target *t, char *why, size_t len)
{
	const char *close = strchr(arg, ']');

	if (!close)
		return fail(why, len, "%s: no closing ']' (write [IPv6] or [IPv6]:PORT)", arg);
	if (!is_v6n(arg + 1, (size_t)(close - arg - 1)))
		return fail(why, len,
			    "%s: brackets hold an IPv6 address (write NAME:PORT or IPv4:PORT "
			    "without them)",
			    arg);
	if (close[1] && close[1] != ':')
		return fail(why, len, "%s: unexpected '%s' after ']' (write [IPv6]:PORT)", arg,
			    close + 1);
	if (close[1] == ':' && take_port(arg, close + 2, t, why, len))
		return -EINVAL;
	t->family = XFR_AF_INET6;
	return copy_host(t, arg + 1, (size_t)(close - arg - 1), arg, why, len);
}

/* fd00::2 and a port: ambiguous when the whole is an address too, plainly a port when not. */
static int v6_with_port(const char *arg, const char *colon, char *why, size_t len)
{
	int n = (int)(colon - arg);

	if (is_v6(arg))
		return fail(why, len,
			    "%s is ambiguous: write [%.*s]:%s for port %s, or [%s] for that IPv6 "
			    "address",
			    arg, n, arg, colon + 1, colon + 1, arg);
	return fail(why, len, "%s is not an IPv6 address: for port %s of %.*s write [%.*s]:%s", arg,
		    colon + 1, n, arg, n, arg, colon + 1);
}

int cli_target_parse(const char *arg, struct cli_target *t, char *why, size_t len)
{
	const char *colon = strchr(arg, ':'), *pc = v6_port_colon(arg);

	memset(t, 0, sizeof(*t));
	t->family = XFR_AF_ANY;
	if (!*arg)
		return fail(why, len, "HOST '': empty");
	if (arg[0] == '[')
		return parse_bracketed(arg, t, why, len);
	if (pc)
		return v6_with_port(arg, pc, why, len);
	if (is_v4(arg) || is_v6(arg)) {
		t->family = is_v4(arg) ? XFR_AF_INET : XFR_AF_INET6;
		return copy_host(t, arg, strlen(arg), arg, why, len);
	}
	if (colon && strchr(colon + 1, ':'))
		return fail(why, len,
			    "%s: not an IPv6 address, and a name has at most one ':' (write "
			    "[IPv6]:PORT for a port)",
			    arg);
	if (colon && take_port(arg, colon + 1, t, why, len))
		return -EINVAL;
	if (copy_host(t, arg, colon ? (size_t)(colon - arg) : strlen(arg), arg, why, len))
		return -EINVAL;
	if (is_v4(t->host))
		t->family = XFR_AF_INET;
	return 0;
}

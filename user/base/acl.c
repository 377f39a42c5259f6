// SPDX-License-Identifier: MIT
/* Allow and deny rules over CIDR prefixes (acl.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/acl.h"

#define ACL_FILE_MAX (16 * 1024 * 1024)

static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

struct acl *acl_new(void)
{
	return calloc(1, sizeof(struct acl));
}

void acl_free(struct acl *a)
{
	if (!a)
		return;
	free(a->rule);
	free(a);
}

/* "a.b.c.d", "v6", with an optional "/bits": the 16-byte form and its bits. */
static int parse_cidr(const char *s, uint8_t addr[16], uint8_t *bits)
{
	char host[INET6_ADDRSTRLEN + 1], *end;
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long b = 0;
	bool v4;
	unsigned int max;

	if (!hl || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	v4 = inet_pton(AF_INET, host, addr + 12) == 1;
	if (v4)
		memcpy(addr, mapped, 12);
	else if (inet_pton(AF_INET6, host, addr) != 1)
		return -EINVAL;
	max = v4 ? 32 : 128;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		errno = 0;
		b = strtoul(slash + 1, &end, 10);
		if (errno || *end || b > max)
			return -EINVAL;
	} else {
		b = max;
	}
	*bits = (uint8_t)(v4 ? b + 96 : b);
	/* the host bits are not part of the prefix */
	for (unsigned int i = *bits; i < 128; i++)
		addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
	return 0;
}

int acl_add(struct acl *a, const char *cidr, bool allow, char *why, size_t len)
{
	struct acl_rule r = {.allow = allow}, *nr;

	if (parse_cidr(cidr, r.addr, &r.bits)) {
		snprintf(why, len, "'%.60s' is not an address or CIDR (10.0.0.0/8, 2001:db8::/32)",
			 cidr);
		return -EINVAL;
	}
	if (a->n >= ACL_MAX_RULES) {
		snprintf(why, len, "more than %d rules", ACL_MAX_RULES);
		return -E2BIG;
	}
	if (a->n == a->cap) {
		uint32_t cap = a->cap ? a->cap * 2 : 8;

		nr = realloc(a->rule, cap * sizeof(*nr));
		if (!nr) {
			snprintf(why, len, "out of memory");
			return -ENOMEM;
		}
		a->rule = nr;
		a->cap = cap;
	}
	a->rule[a->n++] = r;
	a->nallow += allow;
	return 0;
}

/* The next white-space separated word of [*p, end), NUL-terminated into w. */
static size_t word(const char **p, const char *end, char *w, size_t wlen)
{
	size_t n = 0;

	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r'))
		(*p)++;
	while (*p < end && **p != ' ' && **p != '\t' && **p != '\r') {
		if (n + 1 < wlen)
			w[n] = **p;
		n++;
		(*p)++;
	}
	w[n < wlen ? n : wlen - 1] = '\0';
	return n;
}

static int parse_line(struct acl *a, const char *p, const char *end, char *why, size_t len)
{
	char verb[16], cidr[80], extra[8];
	size_t vn, cn;
	const char *hash = memchr(p, '#', (size_t)(end - p));

	if (hash)
		end = hash;
	vn = word(&p, end, verb, sizeof(verb));
	if (!vn)
		return 0;
	cn = word(&p, end, cidr, sizeof(cidr));
	if ((strcmp(verb, "allow") && strcmp(verb, "deny")) || vn >= sizeof(verb)) {
		snprintf(why, len, "expected 'allow CIDR' or 'deny CIDR'");
		return -EINVAL;
	}
	if (!cn || cn >= sizeof(cidr) || word(&p, end, extra, sizeof(extra))) {
		snprintf(why, len, "expected one CIDR after '%s'", verb);
		return -EINVAL;
	}
	return acl_add(a, cidr, verb[0] == 'a', why, len);
}

int acl_parse(struct acl *a, const char *text, size_t n, char *why, size_t len)
{
	const char *p = text, *end = text + n, *nl;
	char line_why[160];
	unsigned int line = 0;
	int err;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		line++;
		err = parse_line(a, p, nl, line_why, sizeof(line_why));
		if (err) {
			snprintf(why, len, "line %u: %s", line, line_why);
			return err;
		}
		p = nl + 1;
	}
	return 0;
}

int acl_load_file(struct acl *a, const char *path, char *why, size_t len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;
	int err;

	if (!f) {
		snprintf(why, len, "%s", strerror(errno));
		return -errno;
	}
	buf = malloc(ACL_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	n = fread(buf, 1, ACL_FILE_MAX + 1, f);
	err = ferror(f) ? -EIO : n > ACL_FILE_MAX ? -EFBIG : 0;
	fclose(f);
	if (err)
		snprintf(why, len, "%s", err == -EIO ? "read error" : "larger than 16 MiB");
	else
		err = acl_parse(a, buf, n, why, len);
	free(buf);
	return err;
}

bool acl_addr_of(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET) {
		memcpy(out, mapped, 12);
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

static bool matches(const struct acl_rule *r, const uint8_t a[16])
{
	unsigned int full = r->bits / 8, rest = r->bits % 8;

	if (memcmp(r->addr, a, full))
		return false;
	return !rest || !((r->addr[full] ^ a[full]) & (uint8_t)(0xff00u >> rest));
}

bool acl_allows(const struct acl *a, const struct sockaddr *sa)
{
	uint8_t addr[16];
	bool allowed;

	if (!a || !a->n)
		return true;
	if (!acl_addr_of(sa, addr))
		return false;
	for (uint32_t i = 0; i < a->n; i++)
		if (!a->rule[i].allow && matches(&a->rule[i], addr))
			return false;
	allowed = !a->nallow;
	for (uint32_t i = 0; !allowed && i < a->n; i++)
		allowed = a->rule[i].allow && matches(&a->rule[i], addr);
	return allowed;
}

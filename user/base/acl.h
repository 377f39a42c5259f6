/* SPDX-License-Identifier: MIT */
/*
 * Who may connect: allow and deny rules over CIDR prefixes. Deny wins; a
 * non-empty allow list means everyone else is denied. IPv4 and IPv4-mapped
 * IPv6 (::ffff:a.b.c.d) are the same address, in rules and in peers.
 *
 * File format (--acl-file): one rule a line, "allow CIDR" or "deny CIDR";
 * a CIDR is an address with an optional "/bits" (a bare address is one host);
 * '#' starts a comment; blank lines are skipped.
 */
#ifndef XFR_BASE_ACL_H
#define XFR_BASE_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct acl_rule {
	uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	uint8_t bits;	  /* prefix length over the 16 bytes */
	bool allow;
};

struct acl {
	struct acl_rule *rule;
	uint32_t n, cap;
	uint32_t nallow;
};

#define ACL_MAX_RULES 100000

struct acl *acl_new(void);
void acl_free(struct acl *a);

/* One CIDR as a rule. 0, or -EINVAL / -ENOMEM / -E2BIG with why. */
int acl_add(struct acl *a, const char *cidr, bool allow, char *why, size_t len);
/* Rules from text in the file format; why names the line. */
int acl_parse(struct acl *a, const char *text, size_t n, char *why, size_t len);
int acl_load_file(struct acl *a, const char *path, char *why, size_t len);

/* Whether a peer may connect (a NULL or empty list allows everyone). */
bool acl_allows(const struct acl *a, const struct sockaddr *sa);
/* The peer's address as 16 bytes (IPv4 mapped); false for other families. */
bool acl_addr_of(const struct sockaddr *sa, uint8_t out[16]);

#endif

// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the ACL parser (base/acl.h): an --acl-file's text.
 * Must hold: parses or says why (with a line number); every rule it keeps
 * has at most 128 bits and no host bits; matching is consistent: a peer in a
 * deny rule is refused, and with no deny match and no allow rules, allowed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "base/acl.h"
#include "fuzz/fuzz.h"

static void check_rule(const struct acl *a, const struct acl_rule *r)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};

	fuzz_assert(r->bits <= 128, "a prefix over 128 bits");
	for (unsigned int i = r->bits; i < 128; i++)
		fuzz_assert(!(r->addr[i / 8] & (0x80u >> (i % 8))), "host bits kept");
	memcpy(&in6.sin6_addr, r->addr, 16); /* the rule's own address matches it */
	if (!r->allow)
		fuzz_assert(!acl_allows(a, (struct sockaddr *)&in6), "a denied address allowed");
	else if (a->nallow == a->n)
		fuzz_assert(acl_allows(a, (struct sockaddr *)&in6), "an allowed address refused");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acl *a = acl_new();
	char why[256] = "";
	int rc;

	if (!a)
		return 0;
	rc = acl_parse(a, (const char *)data, size, why, sizeof(why));
	fuzz_assert(!rc || !strncmp(why, "line ", 5), "an error without its line");
	for (uint32_t i = 0; !rc && i < a->n; i++)
		check_rule(a, &a->rule[i]);
	acl_free(a);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * Who may connect (base/acl.h) and the per-address back-off
 * (server/guard.h): CIDR parsing, deny first, default deny with an allow
 * list, IPv4-mapped IPv6 as IPv4, the file format, the back-off's growth.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/acl.h"
#include "server/guard.h"

static struct sockaddr_storage addr(const char *ip)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
	}
	return ss;
}

static bool allows(const struct acl *a, const char *ip)
{
	struct sockaddr_storage ss = addr(ip);

	return acl_allows(a, (struct sockaddr *)&ss);
}

static struct acl *rules(const char *text)
{
	struct acl *a = acl_new();
	char why[200];

	assert_non_null(a);
	assert_int_equal(acl_parse(a, text, strlen(text), why, sizeof(why)), 0);
	return a;
}

static void test_empty(void **state)
{
	struct acl *a = acl_new();

	(void)state;
	assert_true(allows(NULL, "10.0.0.1"));
	assert_true(allows(a, "10.0.0.1"));
	assert_true(allows(a, "2001:db8::1"));
	acl_free(a);
}

static void test_deny_first(void **state)
{
	struct acl *a = rules("allow 10.0.0.0/8\ndeny 10.1.0.0/16\n");

	(void)state;
	assert_true(allows(a, "10.2.3.4"));
	assert_false(allows(a, "10.1.2.3"));
	assert_false(allows(a, "192.168.1.1")); /* an allow list: the rest is denied */
	assert_false(allows(a, "2001:db8::1"));
	acl_free(a);
	a = rules("deny 192.0.2.7\n");
	assert_false(allows(a, "192.0.2.7"));
	assert_true(allows(a, "192.0.2.8")); /* no allow list: the rest may */
	acl_free(a);
}

static void test_mapped(void **state)
{
	struct acl *a = rules("deny 192.0.2.0/24\n");

	(void)state;
	assert_false(allows(a, "::ffff:192.0.2.9")); /* a dual-stack socket's view of IPv4 */
	assert_true(allows(a, "::ffff:192.0.3.9"));
	acl_free(a);
	a = rules("deny ::ffff:198.51.100.0/120\n");
	assert_false(allows(a, "198.51.100.5"));
	assert_true(allows(a, "198.51.101.5"));
	acl_free(a);
}

static void test_v6(void **state)
{
	struct acl *a = rules("allow 2001:db8:1::/48 # lab\nallow ::1\n");

	(void)state;
	assert_true(allows(a, "2001:db8:1:ffff::1"));
	assert_false(allows(a, "2001:db8:2::1"));
	assert_true(allows(a, "::1"));
	assert_false(allows(a, "::2"));
	acl_free(a);
	a = rules("allow 0.0.0.0/0\nallow ::/0\ndeny 2001:db8::/127\n");
	assert_true(allows(a, "203.0.113.1"));
	assert_false(allows(a, "2001:db8::1"));
	assert_true(allows(a, "2001:db8::2"));
	acl_free(a);
}

static void test_bits(void **state)
{
	struct acl *a = rules("allow 10.0.0.128/25\n");

	(void)state;
	assert_true(allows(a, "10.0.0.200"));
	assert_false(allows(a, "10.0.0.127"));
	acl_free(a);
	a = rules("allow 10.0.0.77/24\n"); /* host bits ignored */
	assert_true(allows(a, "10.0.0.1"));
	acl_free(a);
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
		"allow",
		"allow 10.0.0.0/33",
		"allow 10.0.0.0/",
		"permit 10.0.0.0/8",
		"allow 10.0.0.0/8 x",
		"allow ::/129",
		"allow 300.1.1.1",
		"allow 10.0.0.0/-1",
		"allow 10.0.0.0/+8",
		"deny fe80::1%eth0",
		"allow 10.0.0.0/08x",
		"allowdeny 1.2.3.4",
	};
	char why[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct acl *a = acl_new();

		assert_int_not_equal(acl_parse(a, bad[i], strlen(bad[i]), why, sizeof(why)), 0);
		assert_non_null(strstr(why, "line 1: "));
		acl_free(a);
	}
	struct acl *a = acl_new();
	const char *t = "# comment\n\n  allow 10.0.0.0/8\r\nbogus\n";

	assert_int_equal(acl_parse(a, t, strlen(t), why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "line 4"));
	acl_free(a);
}

static struct policy_key key(uint8_t b)
{
	struct policy_key k = {{0}};

	k.b[15] = b;
	return k;
}

static void test_backoff(void **state)
{
	struct guard g;
	struct policy_key a = key(1), b = key(2);
	uint64_t now = 1000000000000ULL, s = 1000000000ULL;

	(void)state;
	assert_int_equal(guard_init(&g, 42, 0), 0);	     /* the default window */
	assert_int_equal(guard_auth_failed(&g, &a, now), 0); /* two free: typos */
	assert_int_equal(guard_auth_failed(&g, &a, now), 0);
	assert_int_equal(guard_blocked(&g, &a, now), 0);
	assert_int_equal(guard_auth_failed(&g, &a, now), s);
	assert_int_equal(guard_blocked(&g, &a, now), s);
	assert_int_equal(guard_blocked(&g, &b, now), 0); /* others unaffected */
	assert_int_equal(guard_auth_failed(&g, &a, now), 2 * s);
	assert_int_equal(guard_auth_failed(&g, &a, now), 4 * s);
	for (int i = 0; i < 40; i++)
		guard_auth_failed(&g, &a, now);
	assert_int_equal(guard_blocked(&g, &a, now), GUARD_MAX_BACKOFF_NS);
	assert_int_equal(guard_blocked(&g, &a, now + GUARD_MAX_BACKOFF_NS), 0);
	/* a success forgets; so does a long quiet time */
	guard_auth_ok(&g, &a);
	assert_int_equal(guard_auth_failed(&g, &a, now), 0);
	assert_int_equal(guard_auth_failed(&g, &a, now), 0);
	assert_int_equal(guard_auth_failed(&g, &a, now + GUARD_DEFAULT_WINDOW_NS - 1), s);
	guard_auth_ok(&g, &a);
	assert_int_equal(guard_auth_failed(&g, &a, now), 0);
	assert_int_equal(guard_auth_failed(&g, &a, now), 0);
	assert_int_equal(guard_auth_failed(&g, &a, now + GUARD_DEFAULT_WINDOW_NS), 0);
	/* refusals are logged once a minute per address */
	assert_true(guard_log_now(&g, &b, now));
	assert_false(guard_log_now(&g, &b, now + s));
	assert_true(guard_log_now(&g, &a, now + s));
	assert_true(guard_log_now(&g, &b, now + GUARD_LOG_INTERVAL_NS));
	guard_fini(&g);
}

/*
 * --rate-limit-window: the same failures under a 2 s and the default window.
 * Five failures a second apart earn 1, 2 and 4 s (capped at 2 s by the short
 * window); 2 s after the last, the short window has forgotten them and lets
 * the address try, the default one still holds it back for 2 s more.
 */
static void test_backoff_window(void **state)
{
	uint64_t now = 1000000000000ULL, s = 1000000000ULL, t;
	struct policy_key a = key(1);
	struct guard shortw, dflt;

	(void)state;
	assert_int_equal(guard_init(&shortw, 7, 2 * s), 0);
	assert_int_equal(guard_init(&dflt, 7, GUARD_DEFAULT_WINDOW_NS), 0);
	for (int i = 0; i < 4; i++) {
		t = now + (uint64_t)i * s;
		guard_auth_failed(&shortw, &a, t);
		guard_auth_failed(&dflt, &a, t);
	}
	t = now + 4 * s;
	assert_int_equal(guard_auth_failed(&shortw, &a, t), 2 * s); /* 4 s, capped */
	assert_int_equal(guard_auth_failed(&dflt, &a, t), 4 * s);
	assert_int_equal(guard_blocked(&shortw, &a, t + 2 * s), 0);
	assert_int_equal(guard_blocked(&dflt, &a, t + 2 * s), 2 * s);
	/* a failure after a quiet window is a first one again (free); under the default the sixth */
	assert_int_equal(guard_auth_failed(&shortw, &a, t + 2 * s), 0);
	assert_int_equal(guard_auth_failed(&dflt, &a, t + 4 * s), 8 * s);
	/* failures less than a window apart keep counting */
	assert_int_equal(guard_auth_failed(&shortw, &a, t + 3 * s), 0);
	assert_int_equal(guard_auth_failed(&shortw, &a, t + 4 * s), s);
	guard_fini(&shortw);
	guard_fini(&dflt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),	cmocka_unit_test(test_deny_first),
		cmocka_unit_test(test_mapped),	cmocka_unit_test(test_v6),
		cmocka_unit_test(test_bits),	cmocka_unit_test(test_bad),
		cmocka_unit_test(test_backoff), cmocka_unit_test(test_backoff_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

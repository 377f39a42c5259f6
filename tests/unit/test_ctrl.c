// SPDX-License-Identifier: MIT
/* Control framing (control/ctrl.h): ctrl_find looks through buffered lines without consuming them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/ctrl.h"

static const char IV[] = "{\"type\":\"interval\",\"id\":\"t\",\"elapsed_ms\":0,\"streams\":[],"
			 "\"aggregate\":{\"bytes\":0,\"throughput_mbps\":0.0}}\n";
static const char ERR[] = "{\"type\":\"error\",\"message\":\"no room\"}\n";

/* A connection whose peer has written text; returns the peer's fd. */
static int conn_with(struct ctrl_conn *c, const char *text)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ctrl_init(c, sv[0]), 0);
	assert_int_equal(write(sv[1], text, strlen(text)), (ssize_t)strlen(text));
	assert_true(ctrl_fill(c) > 0);
	return sv[1];
}

/* A reference server's interval right behind test_ack, then its error: found, nothing consumed. */
static void test_find_error_behind_interval(void **state)
{
	struct proto_msg *m = malloc(sizeof(*m));
	char text[sizeof(IV) + sizeof(ERR)], err[128];
	struct ctrl_conn c;
	int peer;

	(void)state;
	snprintf(text, sizeof(text), "%s%s", IV, ERR);
	peer = conn_with(&c, text);
	assert_int_equal(ctrl_find(&c, MSG_ERROR, m, err, sizeof(err)), 1);
	assert_string_equal(m->text.text, "no room");
	proto_msg_free(m);
	/* both still there, in order */
	assert_int_equal(ctrl_next_msg(&c, m, err, sizeof(err)), 1);
	assert_int_equal(m->type, MSG_INTERVAL);
	proto_msg_free(m);
	assert_int_equal(ctrl_next_msg(&c, m, err, sizeof(err)), 1);
	assert_int_equal(m->type, MSG_ERROR);
	proto_msg_free(m);
	ctrl_close(&c);
	close(peer);
	free(m);
}

/* Only intervals: none found; a partial line is not looked at; a bad line is an error. */
static void test_find_none(void **state)
{
	struct proto_msg *m = malloc(sizeof(*m));
	char err[128];
	struct ctrl_conn c;
	int peer;

	(void)state;
	peer = conn_with(&c, IV);
	assert_int_equal(ctrl_find(&c, MSG_ERROR, m, err, sizeof(err)), 0);
	assert_int_equal(c.peeked, strlen(IV)); /* looked through once, not again */
	assert_int_equal(write(peer, "{\"type\":\"err", 12), 12);
	ctrl_fill(&c);
	assert_int_equal(ctrl_find(&c, MSG_ERROR, m, err, sizeof(err)), 0);
	assert_int_equal(write(peer, "\n", 1), 1);
	ctrl_fill(&c);
	assert_true(ctrl_find(&c, MSG_ERROR, m, err, sizeof(err)) < 0);
	assert_int_equal(ctrl_next_msg(&c, m, err, sizeof(err)), 1); /* the interval stayed */
	assert_int_equal(m->type, MSG_INTERVAL);
	assert_int_equal(c.peeked, 0); /* consuming forgets what was looked through */
	proto_msg_free(m);
	ctrl_close(&c);
	close(peer);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_error_behind_interval),
		cmocka_unit_test(test_find_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

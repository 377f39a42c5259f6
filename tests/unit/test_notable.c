// SPDX-License-Identifier: MIT
/* Retransmit spikes and loss bursts (model/notable.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model/notable.h"

static struct xfr_flow flow;
static struct xfr_interval iv = {.nflows = 1, .flows = &flow};

static void tcp(uint64_t retransmits)
{
	memset(&flow, 0, sizeof(flow));
	flow.has_sent = flow.has_tcp = true;
	flow.tcp.retransmits = retransmits;
	iv.start_s = iv.end_s;
	iv.end_s += 1;
}

static void udp(uint64_t received, uint64_t lost)
{
	memset(&flow, 0, sizeof(flow));
	flow.has_recv = flow.has_udp_rx = true;
	flow.udp.packets_received = received;
	flow.udp.lost = lost;
	iv.start_s = iv.end_s;
	iv.end_s += 1;
}

static void test_retransmit_spike(void **state)
{
	struct notable n = {0};
	char text[200];

	(void)state;
	iv.end_s = 0;
	tcp(400); /* the first interval has nothing to be judged against */
	assert_false(notable_retransmits(&n, &iv, text, sizeof(text)));
	tcp(10);
	assert_false(notable_retransmits(&n, &iv, text, sizeof(text)));
	tcp(0);
	assert_false(notable_retransmits(&n, &iv, text, sizeof(text)));
	/* mean before: (400 + 10 + 0) / 3 = 136.7: 500 is under 4x */
	tcp(500);
	assert_false(notable_retransmits(&n, &iv, text, sizeof(text)));
	/* mean (910 / 4) = 227.5: 4x = 910 */
	tcp(910);
	assert_true(notable_retransmits(&n, &iv, text, sizeof(text)));
	assert_non_null(strstr(text, "retransmit spike: 910 in 4.00-5.00 s"));
	/* quiet connection: the absolute floor decides */
	struct notable q = {0};

	tcp(0);
	assert_false(notable_retransmits(&q, &iv, text, sizeof(text)));
	tcp(NOTABLE_RTX_MIN - 1);
	assert_false(notable_retransmits(&q, &iv, text, sizeof(text)));
	tcp(NOTABLE_RTX_MIN * 3);
	assert_true(notable_retransmits(&q, &iv, text, sizeof(text)));
	/* no TCP figures: nothing to say */
	udp(100, 0);
	assert_false(notable_retransmits(&q, &iv, text, sizeof(text)));
}

static void test_loss_burst(void **state)
{
	struct notable n = {0};
	char text[200];

	(void)state;
	iv.end_s = 0;
	udp(10000, 50); /* 0.5 %: under the threshold */
	assert_false(notable_loss(&n, &iv, text, sizeof(text)));
	udp(990, 9); /* 0.9 % of fewer: under */
	assert_false(notable_loss(&n, &iv, text, sizeof(text)));
	udp(900, 9); /* 1 % but only 9 lost: under the floor */
	assert_false(notable_loss(&n, &iv, text, sizeof(text)));
	udp(900, 100); /* 10 %: a burst starts */
	assert_true(notable_loss(&n, &iv, text, sizeof(text)));
	assert_non_null(
		strstr(text, "loss burst: 100 of 1000 datagrams (10.00%) lost in 3.00-4.00 s"));
	udp(900, 100); /* the same burst: said once */
	assert_false(notable_loss(&n, &iv, text, sizeof(text)));
	udp(1000, 0); /* over */
	assert_false(notable_loss(&n, &iv, text, sizeof(text)));
	udp(800, 200); /* a new one */
	assert_true(notable_loss(&n, &iv, text, sizeof(text)));
	tcp(1000); /* no UDP receiver figures: nothing to say, state kept */
	assert_false(notable_loss(&n, &iv, text, sizeof(text)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retransmit_spike),
		cmocka_unit_test(test_loss_burst),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * make bench's XDP_DROP sink ceiling: the bare kernel path without xfr's
 * control plane. The XDP counter (count-and-drop) is attached to the sink
 * interface in one namespace; N threads in the generator's namespace run the
 * live-frames generator flat out for T seconds, one flow each. Prints
 *   offered <frames run> counted <frames the sink counted> pps <counted/s>
 *
 *   xdp_ceiling SINK_NS SINK_IF GEN_NS GEN_IF SRC4 DST4 THREADS SECONDS LEN
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/frame.h"
#include "base/netinfo.h"
#include "bpf/xdp_count.h"
#include "bpf/xdp_gen.h"

#define MAX_THREADS 16

struct gen_thread {
	struct xdp_gen *gen;
	uint32_t slot;
	int ifindex;
	double seconds;
	uint64_t sent;
	int cpu;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int enter_ns(const char *ns)
{
	char path[256];
	int fd, err;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return err;
}

static void *gen_main(void *arg)
{
	struct gen_thread *t = arg;
	double end = now_s() + t->seconds;
	cpu_set_t set;
	int n;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (now_s() < end) {
		n = xdp_gen_run(t->gen, t->slot, t->ifindex, 16384, 64);
		if (n < 0) {
			fprintf(stderr, "xdp_ceiling: live frames: %s\n", strerror(-n));
			break;
		}
		t->sent += (uint64_t)n;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct gen_thread th[MAX_THREADS] = {0};
	pthread_t tid[MAX_THREADS];
	struct netinfo_iface sink, src;
	struct xdp_count_stats st;
	struct xdp_flow_key key;
	struct frame_spec fs = {.family = AF_INET, .tos = -1, .zeros = true};
	struct frame_tmpl *tm;
	struct xdp_count *xc;
	struct xdp_gen *gen;
	uint64_t offered = 0, counted = 0;
	int nth, len, sink_idx, link;
	char why[160] = "";
	double secs, t0, t1;

	if (argc != 10) {
		fprintf(stderr,
			"usage: xdp_ceiling SINK_NS SINK_IF GEN_NS GEN_IF SRC4 DST4 THREADS "
			"SECONDS LEN\n");
		return 2;
	}
	nth = atoi(argv[7]);
	secs = atof(argv[8]);
	len = atoi(argv[9]);
	if (nth < 1 || nth > MAX_THREADS || secs <= 0 || len < 16 ||
	    inet_pton(AF_INET, argv[5], fs.saddr) != 1 ||
	    inet_pton(AF_INET, argv[6], fs.daddr) != 1) {
		fprintf(stderr, "xdp_ceiling: bad arguments\n");
		return 2;
	}
	if (enter_ns(argv[1]) || netinfo_iface_get(argv[2], 0, &sink)) {
		fprintf(stderr, "xdp_ceiling: no interface %s in %s\n", argv[2], argv[1]);
		return 1;
	}
	sink_idx = sink.ifindex;
	xc = xdp_count_open(XDP_COUNT_DROP, why, sizeof(why));
	if (!xc || xdp_count_attach(xc, sink_idx, why, sizeof(why)) < 0) {
		fprintf(stderr, "xdp_ceiling: %s\n", why);
		return 1;
	}
	if (enter_ns(argv[3]) || netinfo_iface_get(argv[4], 0, &src)) {
		fprintf(stderr, "xdp_ceiling: no interface %s in %s\n", argv[4], argv[3]);
		return 1;
	}
	gen = xdp_gen_open(why, sizeof(why));
	tm = calloc((size_t)nth, sizeof(*tm));
	if (!gen || !tm) {
		fprintf(stderr, "xdp_ceiling: %s\n", gen ? "out of memory" : why);
		return 1;
	}
	/* Keep the generator in the XDP dispatcher (cheap runs), as xfr does. */
	link = xdp_gen_attach(gen, src.ifindex);
	if (link < 0)
		fprintf(stderr, "xdp_ceiling: generator not attached (%s): runs are slow\n",
			strerror(-link));
	memcpy(fs.src_mac, src.mac, 6);
	memcpy(fs.dst_mac, sink.mac, 6);
	fs.dport = 9;
	fs.payload_len = (uint32_t)len;
	for (int i = 0; i < nth; i++) {
		fs.sport = (uint16_t)(40000 + i);
		if (frame_build(&fs, &tm[i]) || xdp_gen_flow(gen, (uint32_t)i, &tm[i])) {
			fprintf(stderr, "xdp_ceiling: cannot prepare flow %d\n", i);
			return 1;
		}
		xdp_count_key(&key, AF_INET, fs.saddr, fs.daddr, htons(fs.sport), htons(fs.dport));
		xdp_count_add_flow(xc, &key, (uint32_t)i);
		th[i] = (struct gen_thread){.gen = gen,
					    .slot = (uint32_t)i,
					    .ifindex = src.ifindex,
					    .seconds = secs,
					    .cpu = i % (int)sysconf(_SC_NPROCESSORS_ONLN)};
	}
	t0 = now_s();
	for (int i = 0; i < nth; i++)
		pthread_create(&tid[i], NULL, gen_main, &th[i]);
	for (int i = 0; i < nth; i++) {
		pthread_join(tid[i], NULL);
		offered += th[i].sent;
	}
	t1 = now_s();
	usleep(100000);
	for (int i = 0; i < nth; i++)
		if (!xdp_count_read(xc, (uint32_t)i, &st))
			counted += st.packets;
	printf("offered %llu counted %llu pps %.0f\n", (unsigned long long)offered,
	       (unsigned long long)counted, (double)counted / (t1 - t0));
	if (link >= 0)
		close(link);
	xdp_gen_close(gen);
	xdp_count_destroy(xc);
	free(tm);
	return 0;
}

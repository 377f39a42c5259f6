// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the server's control path, fed through real loopback
 * TCP connections into the real handlers: the first-line path (server.c:
 * pending_read, classify, route_hello, route_data), each test's dispatcher
 * (session.c on_ctrl/on_msg: test_start checks, engine choice, ports, the
 * running state's cancel/finish/pause/resume) and, when the input connects
 * them, the data connections (server_ports.c) and the engines they start.
 *
 * Each input is a script of lines. A line is written, with its '\n', to the
 * current control connection (a last line without '\n' is written as is),
 * except these directives:
 *   @cN  switch to connection N (0..3), opened on first use through
 *        srv_accept(): 0 and 1 are socketpairs said to come from 127.0.0.1
 *        (fast, and deterministic), 2 and 3 loopback TCP from 127.0.0.2
 *        (another host; per-stream data ports need a TCP control connection)
 *   @r   run the server's loop until it is idle
 *   @s   connect the data streams the last test_ack asked for (at most 4:
 *        per-stream TCP or UDP ports, or data_hello connections over TCP)
 *   @u.. send the rest of the line as a datagram on UDP data stream 0
 *   @t   every test's deadline passes (srv_test_tick an hour from now)
 *   @x   half-close the connection (FIN);  @X  reset it (RST)
 *   @k   the server requires a PSK from now on (this input only)
 *   @a   answer the server's challenge on this connection with the right key;
 *        after auth_success the harness seals each line into a protected
 *        frame and opens the server's frames (control/pframe.h)
 *   @p.. send the rest of the line raw, unsealed (garbage where a frame is due)
 *   @R   send the last sealed frame again (a replay)
 * At the end the loop runs until idle, every connection is reset, the loop
 * runs again and the server is torn down as server_run does.
 *
 * Must hold: no crash, no sanitizer report, no leak (LeakSanitizer); every
 * line the server sends decodes and is a message a server sends; after the
 * teardown the process has the fds and threads it had before.
 *
 * The harness drops its capabilities first: whatever a client asks, a fuzzed
 * server must not load BPF programs, attach XDP or make the kernel load
 * congestion-control modules on this host.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "control/auth.h"
#include "control/pframe.h"
#include "fuzz/fuzz.h"
#include "output/output.h"
#include "server/server_priv.h"
#include "timeutil.h"

#define NCONN	 4
#define NDATA	 4   /* data streams connected per test; more stay unconnected */
#define MAX_PUMP 256 /* loop batches per "until idle" */

struct conn {
	int fd;	      /* our end of the control connection; -1 = not open */
	uint8_t host; /* we are 127.0.0.host */
	char in[PROTO_MAX_LINE];
	size_t inlen;		       /* what the server sent, not yet a whole line */
	struct proto_test_start start; /* the last test_start we sent */
	bool started;
	struct proto_test_ack ack; /* the last test_ack the server sent */
	bool acked;
	bool tcp;	 /* a TCP connection (else a socketpair) */
	int data[NDATA]; /* our ends of the data streams (TCP or UDP) */
	bool data_udp;
	/* PSK (@k, @a) */
	char cn[AUTH_NONCE_HEX + 1]; /* the client_nonce of the last hello we sent */
	char sn[AUTH_NONCE_HEX + 1]; /* the server's challenge */
	bool answered;		     /* @a sent: auth_success switches to frames */
	bool prot;		     /* frames both ways */
	struct pframe tx, rx;
	unsigned char *last; /* the last sealed frame (@R) */
	size_t lastlen;
};

#define FUZZ_PSK "fuzz-key"

static struct xfr_config cfg;
static int lfd = -1; /* our listener: the far end of every TCP pair */
static struct conn conns[NCONN];
static struct proto_msg msg;
static struct srv *srv;
static int base_fds, base_tasks; /* before the run */
static int ntcp;     /* TCP or UDP sockets opened in this run: delivery takes loopback's softirq */
static bool verbose; /* XFR_FUZZ_LOG set: the server's log at debug, and what it sends */

/*
 * Linked with -Wl,--wrap=close,--wrap=read,--wrap=write,--wrap=send,--wrap=recv:
 * EBADF on any of them during a run is a use of a closed fd (a double close,
 * or a thread writing to an fd its owner closed), which ASan does not see.
 */
static volatile bool armed;

#define WRAP_FD_CALL(ret, name, params, args)                                                      \
	ret __real_##name params;                                                                  \
	ret __wrap_##name params                                                                   \
	{                                                                                          \
		ret r = __real_##name args;                                                        \
		if (r < 0 && errno == EBADF && fd >= 0 && armed)                                   \
			fuzz_fail(#name " on a closed file descriptor");                           \
		return r;                                                                          \
	}

WRAP_FD_CALL(int, close, (int fd), (fd))
WRAP_FD_CALL(ssize_t, read, (int fd, void *buf, size_t len), (fd, buf, len))
WRAP_FD_CALL(ssize_t, write, (int fd, const void *buf, size_t len), (fd, buf, len))
WRAP_FD_CALL(ssize_t, send, (int fd, const void *buf, size_t len, int flags), (fd, buf, len, flags))
WRAP_FD_CALL(ssize_t, recv, (int fd, void *buf, size_t len, int flags), (fd, buf, len, flags))

/* What each open fd is, for the report of a leak. */
static void list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	char path[64], to[256];
	struct dirent *e;
	ssize_t n;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, to, sizeof(to) - 1);
		to[n < 0 ? 0 : n] = '\0';
		fprintf(stderr, "fuzz: fd %s -> %s\n", e->d_name, to);
	}
	if (d)
		closedir(d);
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		fuzz_fail("cannot list /proc/self");
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* No capabilities left: not even root's implicit ones for this process. */
static void drop_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};

	if (syscall(SYS_capset, &h, d))
		fuzz_fail("cannot drop capabilities");
}

static void loopback(struct sockaddr_in *a, uint8_t host, uint16_t port)
{
	*a = (struct sockaddr_in){.sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(0x7f000000u | host)};
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in a;

	(void)argc;
	(void)argv;
	drop_caps();
	signal(SIGPIPE, SIG_IGN);
	log_libs_init(); /* libbpf's complaints through our log level */
	verbose = getenv("XFR_FUZZ_LOG") != NULL;
	log_set_level(verbose ? XFR_LOG_DEBUG : XFR_LOG_ERROR);
	cfg.mode = XFR_MODE_SERVE;
	cfg.engine = XFR_ENGINE_SOCKET;
	cfg.max_tests = 2; /* a third test is "server busy" */
	cfg.tos = -1;
	loopback(&a, 1, 0);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 64))
		fuzz_fail("cannot listen on loopback");
	for (int i = 0; i < NCONN; i++) {
		conns[i].fd = -1;
		for (int k = 0; k < NDATA; k++)
			conns[i].data[k] = -1;
	}
	return 0;
}

static void no_linger(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* A TCP socket from 127.0.0.host to 127.0.0.1:port (blocking connect: loopback). */
static int tcp_from(uint8_t host, uint16_t port)
{
	struct sockaddr_in src, dst;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fuzz_fail("socket");
	loopback(&src, host, 0);
	loopback(&dst, 1, port);
	ntcp++;
	no_linger(fd); /* closed with RST: no TIME_WAIT piling up over millions of runs */
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A connection the server takes through its first-line path; our end, or -1.
 * TCP from 127.0.0.host, or a socketpair the server is told comes from
 * 127.0.0.host: a socketpair delivers at once, so the server sees every byte
 * in the same batch and a run does not depend on when loopback's softirq runs.
 */
static int server_conn(uint8_t host, bool tcp)
{
	struct sockaddr_in me;
	struct net_addr peer = {.len = sizeof(peer.ss)};
	socklen_t ml = sizeof(me);
	int fd, sfd, sv[2];

	if (!tcp) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
			fuzz_fail("socketpair");
		loopback((struct sockaddr_in *)&peer.ss, host, 40000);
		peer.len = sizeof(struct sockaddr_in);
		srv_accept(srv, sv[1], &peer);
		return sv[0];
	}
	getsockname(lfd, (struct sockaddr *)&me, &ml);
	fd = tcp_from(host, ntohs(me.sin_port));
	if (fd < 0)
		return -1;
	sfd = accept4(lfd, (struct sockaddr *)&peer.ss, &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (sfd < 0)
		fuzz_fail("accept on loopback");
	net_set_nonblock(fd, true);
	srv_accept(srv, sfd, &peer);
	return fd;
}

static struct conn *conn_open(int i)
{
	struct conn *c = &conns[i];

	if (c->fd < 0) {
		memset(c, 0, sizeof(*c));
		c->host = i < 2 ? 1 : 2;
		c->tcp = i >= 2;
		for (int k = 0; k < NDATA; k++)
			c->data[k] = -1;
		c->fd = server_conn(c->host, c->tcp);
	}
	return c;
}

/* auth_success: check the proof's shape, then frames both ways. */
static void protect(struct conn *c)
{
	struct auth_keys k;

	fuzz_assert(strlen(msg.text.text) == AUTH_MAC_HEX, "auth_success without a proof");
	if (auth_derive(FUZZ_PSK, strlen(FUZZ_PSK), c->cn, c->sn, &k))
		fuzz_fail("auth_derive");
	pframe_init(&c->tx, k.c2s, PFRAME_C2S);
	pframe_init(&c->rx, k.s2c, PFRAME_S2C);
	auth_keys_wipe(&k);
	c->prot = true;
}

/* One line the server sent: it must decode, and be something a server says. */
static void server_line(struct conn *c, const char *line, size_t len)
{
	char err[PROTO_TEXT_MAX];

	if (verbose)
		fprintf(stderr, "fuzz: conn %d <- %.*s\n", (int)(c - conns), (int)len, line);
	if (proto_decode(line, len, &msg, err, sizeof(err))) {
		fprintf(stderr, "fuzz: server sent \"%.*s\": %s\n", (int)(len > 200 ? 200 : len),
			line, err);
		fuzz_fail("the server sent a line that does not decode");
	}
	switch (msg.type) {
	case MSG_HELLO:
		fuzz_assert(msg.hello.from_server, "the server's hello says client");
		memcpy(c->sn, msg.hello.auth_nonce, sizeof(c->sn));
		break;
	case MSG_AUTH_SUCCESS:
		fuzz_assert(c->answered, "auth_success without the right answer");
		protect(c);
		break;
	case MSG_TEST_ACK:
		c->ack = msg.ack;
		c->acked = true;
		break;
	case MSG_INTERVAL:
	case MSG_RESULT:
	case MSG_CANCELLED:
	case MSG_ERROR:
		break;
	default:
		fuzz_fail("the server sent a message only a client sends");
	}
	proto_msg_free(&msg);
}

static void server_line(struct conn *c, const char *line, size_t len);

/* Protected: whole frames the server sent, each must open. */
static void read_frames(struct conn *c)
{
	unsigned char pt[PROTO_MAX_LINE];
	size_t ptlen;
	uint32_t len;
	char why[160];

	while (c->inlen >= PFRAME_HDR) {
		if (pframe_length((unsigned char *)c->in, &len, why, sizeof(why)))
			fuzz_fail("the server sent a bad frame length");
		fuzz_assert(len <= sizeof(c->in) - PFRAME_HDR,
			    "the server sent a frame over our limit");
		if (c->inlen < PFRAME_HDR + len)
			return;
		if (pframe_open(&c->rx, (unsigned char *)c->in + PFRAME_HDR, len, pt, &ptlen, why,
				sizeof(why)))
			fuzz_fail("the server sent a frame that does not open");
		server_line(c, (const char *)pt, ptlen);
		memmove(c->in, c->in + PFRAME_HDR + len, c->inlen - PFRAME_HDR - len);
		c->inlen -= PFRAME_HDR + len;
	}
}

/* Whatever the server sent on c, line by line (frame by frame once protected). */
static void read_replies(struct conn *c)
{
	ssize_t n;
	char *nl;

	while (c->fd >= 0) {
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
		if (n <= 0)
			return;
		c->inlen += (size_t)n;
		while (!c->prot && (nl = memchr(c->in, '\n', c->inlen))) {
			size_t len = (size_t)(nl - c->in);

			server_line(c, c->in, len && nl[-1] == '\r' ? len - 1 : len);
			memmove(c->in, nl + 1, c->inlen - len - 1);
			c->inlen -= len + 1;
		}
		if (c->prot)
			read_frames(c);
		fuzz_assert(c->inlen < sizeof(c->in), "the server sent a line over the limit");
	}
}

/* Over TCP and UDP what we sent may still sit in loopback's backlog: give it 200 us. */
static bool more_soon(void)
{
	struct pollfd p = {.fd = srv->loop.epfd, .events = POLLIN};
	struct timespec ts = {.tv_nsec = 200 * 1000};

	return ntcp && ppoll(&p, 1, &ts, NULL) > 0;
}

/* Run the server until nothing is left to do. */
static void pump(void)
{
	for (int i = 0; i < MAX_PUMP; i++) {
		int n = loop_run_once(&srv->loop, 0);

		fuzz_assert(n >= 0, "epoll_wait failed");
		for (int k = 0; k < NCONN; k++)
			read_replies(&conns[k]);
		if (!n && !more_soon())
			return;
	}
}

static void send_all(struct conn *c, const char *buf, size_t len)
{
	ssize_t n;

	if (verbose)
		fprintf(stderr, "fuzz: conn %d -> %.*s\n", (int)(c - conns), (int)len, buf);
	for (int tries = 0; c->fd >= 0 && len && tries < 64;) {
		n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			pump(); /* the server reads and answers */
			tries++;
		} else {
			return; /* the server has closed: it no longer reads */
		}
	}
}

/* Our copy of a test_start we send, so that @s knows the test. */
static void note_start(struct conn *c, const char *line, size_t len)
{
	char err[PROTO_TEXT_MAX];

	if ((!memmem(line, len, "test_start", 10) && !memmem(line, len, "client_nonce", 12)) ||
	    proto_decode(line, len, &msg, err, sizeof(err)))
		return;
	if (msg.type == MSG_HELLO)
		memcpy(c->cn, msg.hello.client_nonce, sizeof(c->cn));
	if (msg.type == MSG_TEST_START) {
		c->start = msg.start;
		c->started = true;
	}
	proto_msg_free(&msg);
}

static void data_hello(struct conn *c, int k)
{
	struct proto_msg m;
	size_t len;
	char *line;

	proto_msg_init(&m, MSG_DATA_HELLO);
	snprintf(m.data_hello.test_id, sizeof(m.data_hello.test_id), "%s", c->start.id);
	m.data_hello.stream_index = (uint16_t)k;
	line = proto_encode(&m, &len);
	proto_msg_free(&m);
	if (!line)
		return;
	c->data[k] = server_conn(c->host, true);
	if (c->data[k] >= 0 && send(c->data[k], line, len, MSG_NOSIGNAL) != (ssize_t)len)
		fuzz_fail("data_hello not sent on loopback");
	free(line);
}

/* A UDP stream to 127.0.0.1:port that said "here I am" (1 byte) on the stream's own port. */
static int udp_from(uint8_t host, uint16_t port)
{
	struct sockaddr_in src, dst;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		fuzz_fail("socket");
	loopback(&src, host, 0);
	loopback(&dst, 1, port);
	ntcp++;
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) || send(fd, "", 1, 0) != 1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* @s: the data connections a client makes after test_ack. */
static void connect_streams(struct conn *c)
{
	uint32_t n = c->start.streams < NDATA ? c->start.streams : NDATA;

	if (!c->acked || !c->started || c->data[0] >= 0)
		return;
	c->data_udp = c->start.proto == XFR_PROTO_UDP;
	for (uint32_t k = 0; k < n; k++) {
		if (c->ack.nports) {
			if (k >= c->ack.nports)
				break;
			c->data[k] = c->data_udp ? udp_from(c->host, c->ack.data_ports[k])
						 : tcp_from(c->host, c->ack.data_ports[k]);
		} else if (!c->data_udp) {
			data_hello(c, (int)k);
		}
		pump();
	}
}

static void tick_all(void)
{
	uint64_t later = time_mono_ns() + 3600 * NSEC_PER_SEC;
	struct srv_test *t, *tn;

	for (t = srv->tests; t; t = tn) {
		tn = t->next;
		srv_test_tick(t, later);
	}
}

static void reset_conn(struct conn *c)
{
	if (c->fd >= 0) {
		no_linger(c->fd);
		close(c->fd);
	}
	for (int k = 0; k < NDATA; k++)
		if (c->data[k] >= 0)
			close(c->data[k]);
	c->fd = -1;
	for (int k = 0; k < NDATA; k++)
		c->data[k] = -1;
	free(c->last);
	c->last = NULL;
	c->prot = c->answered = false;
	c->sn[0] = c->cn[0] = '\0';
}

/* @a: the right auth_response to the challenge the server sent on c. */
static void answer(struct conn *c)
{
	struct proto_msg m;
	size_t len;
	char *line;

	if (!c->sn[0] || c->answered || c->prot)
		return;
	proto_msg_init(&m, MSG_AUTH_RESPONSE);
	if (auth_response(FUZZ_PSK, strlen(FUZZ_PSK), c->sn, m.text.text))
		fuzz_fail("auth_response");
	line = proto_encode(&m, &len);
	proto_msg_free(&m);
	if (!line)
		return;
	c->answered = true;
	send_all(c, line, len);
	free(line);
	pump(); /* auth_success: from here on, frames */
}

/* A script line to the server: as it is, or sealed once the channel is protected. */
static void send_line(struct conn *c, const char *p, size_t len, bool nl)
{
	unsigned char *f;
	size_t flen;

	if (!c->prot) {
		send_all(c, p, nl ? len + 1 : len);
		return;
	}
	if (pframe_seal(&c->tx, p, len, &f, &flen))
		return;
	free(c->last);
	c->last = f;
	c->lastlen = flen;
	send_all(c, (const char *)f, flen);
}

/* One line of the script; false when it was not a directive. */
static bool directive(struct conn **cur, const char *p, size_t len)
{
	if (len < 2 || p[0] != '@')
		return false;
	switch (p[1]) {
	case 'c':
		*cur = conn_open(len > 2 ? (p[2] - '0') & (NCONN - 1) : 0);
		return true;
	case 'r':
		pump();
		return true;
	case 's':
		connect_streams(*cur);
		return true;
	case 'u':
		if ((*cur)->data_udp && (*cur)->data[0] >= 0)
			send((*cur)->data[0], p + 2, len - 2, MSG_DONTWAIT);
		return true;
	case 't':
		tick_all();
		return true;
	case 'x':
		if ((*cur)->fd >= 0)
			shutdown((*cur)->fd, SHUT_WR);
		return true;
	case 'X':
		reset_conn(*cur);
		return true;
	case 'k':
		cfg.psk_len = (uint32_t)strlen(FUZZ_PSK);
		memcpy(cfg.psk, FUZZ_PSK, cfg.psk_len);
		return true;
	case 'a':
		answer(*cur);
		return true;
	case 'p':
		send_all(*cur, p + 2, len - 2);
		return true;
	case 'R':
		if ((*cur)->last)
			send_all(*cur, (const char *)(*cur)->last, (*cur)->lastlen);
		return true;
	}
	return false;
}

static void srv_start(void)
{
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		fuzz_fail("out of memory");
	srv->cfg = &cfg;
	srv->loop.epfd = -1;
	srv->sig_it = srv->tick_it = (struct loop_item){.fd = -1};
	for (int i = 0; i < 2; i++)
		srv->lfd_it[i] = srv->ufd_it[i] = (struct loop_item){.fd = -1};
	srv->udp_single_port = false; /* no shared UDP socket here: per-stream UDP ports */
	/* the budgets and the gate as server_run's setup makes them (without them,
	 * every connection is "server busy": no room planned for pending ones) */
	if (loop_init(&srv->loop) || sinks_add(&srv->sinks, output_log_sink_new()) ||
	    admit_init(srv) || gate_init(srv))
		fuzz_fail("cannot set the server up");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct conn *cur = NULL;

	if (size > 256 * 1024)
		return -1;
	/* per input: between inputs libFuzzer starts threads and llvm-symbolizer's pipes */
	base_fds = count_dir("/proc/self/fd");
	base_tasks = count_dir("/proc/self/task");
	ntcp = 0;
	armed = true;
	srv_start();
	cur = conn_open(0);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (!directive(&cur, p, len)) {
			if (cur->fd < 0)
				cur = conn_open((int)(cur - conns));
			note_start(cur, p, len);
			send_line(cur, p, len, nl != NULL);
		}
		p += nl ? len + 1 : len;
	}
	pump();
	for (int i = 0; i < NCONN; i++)
		reset_conn(&conns[i]);
	pump();
	srv_teardown(srv);
	free(srv);
	srv = NULL;
	cfg.psk_len = 0;
	armed = false;
	/* a test closed while its engine was being prepared is not waited for: the
	 * worker releases what it built (eventfds, sockets) when it finishes */
	for (int i = 0; i < 500 && count_dir("/proc/self/fd") != base_fds; i++)
		usleep(1000);
	if (count_dir("/proc/self/fd") != base_fds) {
		list_fds();
		fuzz_fail("file descriptors leaked");
	}
	/* a joined thread leaves /proc a moment after pthread_join returns */
	for (int i = 0; i < 200 && count_dir("/proc/self/task") != base_tasks; i++)
		usleep(1000);
	fuzz_assert(count_dir("/proc/self/task") == base_tasks, "threads left running");
	return 0;
}

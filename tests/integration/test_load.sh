# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Load and faults against one server (issue 9, "Load and fault tests in CI";
# bad-input catalogue 3.3 N2/N3, 3.4 F1/F6 and the "4 nos": no crash, no leak,
# others unaffected). The figures a run measured are printed as "# figures:"
# lines (tests/run.sh keeps them with XT_KEEP=1).

# ---------------------------------------------------------------- 50 at once

XT_LOAD_N=50

# The sane result of one of the 50: exit 0, a valid document, bytes moved at a
# believable rate (-b 10M each: 0 < rate <= 10 Mbit/s + 15 %), the length asked
# for (2 s; the end may come late on a machine this loaded: up to 3.5 s, 6 s in
# sanitizer builds, where 2 s tests were measured at up to 3.3 s), the kind
# asked for.
xt_load_check_one() { # FILE KIND
	local f=$1 kind=$2 want
	jq -e . "$f" >/dev/null 2>&1 || { xt_fail "$(basename "$f"): not JSON: $(head -c 120 "$f")"; return 1; }
	case $kind in
	up) want='.protocol == "tcp" and .direction == "upload"' ;;
	down) want='.protocol == "tcp" and .direction == "download"' ;;
	udp) want='.protocol == "udp" and .udp_stats.packets_received > 0 and .udp_stats.lost_percent <= 10' ;;
	p2) want='.protocol == "tcp" and (.streams | length) == 2' ;;
	esac
	xt_assert "$f" "$want" "$(basename "$f"): not a $kind result: $(xt_jq "$f" '[.protocol, .direction, (.streams | length)]')" || return
	xt_assert "$f" '.bytes_total > 0 and .throughput_mbps > 0 and .throughput_mbps <= 11.5' \
		"$(basename "$f"): $(xt_jq "$f" .throughput_mbps) Mbit/s, want 0 < rate <= 11.5 (-b 10M)" || return
	xt_within "$(xt_jq "$f" .duration_ms)" 1900 "$XT_LOAD_MAXMS" ||
		{ xt_fail "$(basename "$f"): duration_ms $(xt_jq "$f" .duration_ms), want 1900..$XT_LOAD_MAXMS for -t 2"; return 1; }
}

# 50 clients (TCP up, down, 2 streams, UDP), each from its own address so that
# no per-address limit applies, started together against one server: every one
# exits 0 with a sane result of its own, and the server is still fine after.
test_load_50_clients() {
	local i kind args pids=() kinds=() t0 t1 ids d=$XT_TMP/load
	XT_LOAD_MAXMS=3500
	[ -z "$(xt_sanitizer)" ] || XT_LOAD_MAXMS=6000
	xt_setup || return
	mkdir -p "$d"
	xt_client_addrs $XT_LOAD_N || return
	xt_server_start --max-tests $((XT_LOAD_N + 14)) || return
	t0=$(xt_now_ms)
	for ((i = 0; i < XT_LOAD_N; i++)); do
		case $((i % 5)) in
		0 | 1) kind=up args=() ;;
		2) kind=down args=(-R) ;;
		3) kind=udp args=(-u) ;;
		4) kind=p2 args=(-P 2) ;;
		esac
		kinds+=("$kind")
		xt_client_bg "$d/c$i.json" "$d/c$i.err" -t 2 -b 10M "${args[@]}" --json \
			--bind "${XT_CADDRS[$i]}" -p "$SRV_PORT" "$S4"
		pids+=("$CLI_PID")
	done
	for ((i = 0; i < XT_LOAD_N; i++)); do
		xt_wait_exit "${pids[$i]}" 40 || { xt_fail "client $i (${kinds[$i]}) still running after 40 s"; return 1; }
		[ "$XT_EXIT" -eq 0 ] || {
			xt_check_san "$SRV_ERR" || return
			xt_fail "client $i (${kinds[$i]}, ${XT_CADDRS[$i]}) exit $XT_EXIT: $(grep -v '^$' "$d/c$i.err" | tail -n1)"
			return 1
		}
		xt_check_san "$d/c$i.err" || return
	done
	t1=$(xt_now_ms)
	for ((i = 0; i < XT_LOAD_N; i++)); do
		xt_load_check_one "$d/c$i.json" "${kinds[$i]}" || return
	done
	# One schema run over the directory (one python start, not 50).
	"$XT_PY" "$XT_ROOT/tests/schema_check.py" golden "$d" >"$XT_TMP/schema.out" 2>&1 ||
		{ xt_fail "result schema: $(head -n1 "$XT_TMP/schema.out" | cut -c1-200)"; return 1; }
	ids=$(for ((i = 0; i < XT_LOAD_N; i++)); do xt_jq "$d/c$i.json" .id; done | sort -u | wc -l)
	[ "$ids" -eq $XT_LOAD_N ] || { xt_fail "$ids distinct test ids among $XT_LOAD_N results"; return 1; }
	xt_log "figures: $XT_LOAD_N clients done in $((t1 - t0)) ms; $(jq -s -r '"sum \(map(.throughput_mbps) | add * 10 | round / 10) Mbit/s, test durations \(map(.duration_ms) | min)..\(map(.duration_ms) | max) ms"' "$d"/c*.json)"
	xt_server_alive || return
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop
}

# ---------------------------------------------------------------- idle flood

# xt_load_flood_py: a peer that opens N TCP connections to HOST:PORT, sends
# nothing on them, and holds them open; writes READY ("connected N ...") once
# all connects returned; until STOP exists (or 20 s) it watches which ones the
# server closes (FIN, RST or an error line count as closed) and prints the
# summary line at the end.
xt_load_flood_py() {
	cat <<'EOF'
import os, resource, select, socket, sys, time

host, port, n, ready, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
t0 = time.monotonic()
socks, failed = {}, 0
for _ in range(n):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect((host, port))
        socks[s.fileno()] = s
    except OSError:
        failed += 1
        s.close()
took = time.monotonic() - t0
poll = select.poll()
for fd in socks:
    poll.register(fd, select.POLLIN | select.POLLRDHUP)
closed = {}  # fd -> seconds after the first connect

def watch(ms):
    for fd, _ in poll.poll(ms):
        if fd not in closed:
            closed[fd] = time.monotonic() - t0
            poll.unregister(fd)

watch(0)
with open(ready + ".tmp", "w") as f:
    f.write("connected %d failed %d in %.2f s; %d already closed by the server\n"
            % (len(socks), failed, took, len(closed)))
os.rename(ready + ".tmp", ready)
end = t0 + 20
while time.monotonic() < end and not os.path.exists(stop) and len(closed) < len(socks):
    watch(100)
watch(0)
last = max(closed.values()) if closed else 0
print("flood: %d connected (%d failed) in %.2f s; the server closed %d, the last %.2f s after "
      "the first connect; %d still open" % (len(socks), failed, took, len(closed), last,
                                           len(socks) - len(closed)))
EOF
}

# 2 000 idle connections from one address (connected, no first line, held
# open), then a test from another host (a second namespace and link) must
# complete within 5 s while they are held: one address must not be able to
# fill the server's gate for unidentified connections (issue 9 defect 3,
# catalogue 3.3 N2). Then the server closes every idle one (first-line
# deadline) and is still fine. Needs a per-address limit on unidentified
# connections (server defaults, no option given here).
test_load_idle_flood() {
	local n=2000 t0 t1 fpid
	xt_setup || return
	xt_setup_client2 || return
	xt_server_start || return
	xt_load_flood_py >"$XT_TMP/flood.py"
	ip netns exec "$NS_C" "$XT_PY" "$XT_TMP/flood.py" "$S4" "$SRV_PORT" $n \
		"$XT_TMP/flood.ready" "$XT_TMP/flood.stop" >"$XT_TMP/flood.out" 2>&1 &
	fpid=$!
	XT_PIDS+=("$fpid")
	xt_poll 15 test -f "$XT_TMP/flood.ready" || { xt_fail "flood not connected after 15 s: $(cat "$XT_TMP/flood.out")"; return 1; }
	xt_log "$(cat "$XT_TMP/flood.ready")"
	[ "$(awk '{ print $2 }' "$XT_TMP/flood.ready")" -ge $((n / 2)) ] ||
		{ xt_fail "the flood could not open its $n connections: $(cat "$XT_TMP/flood.ready")"; return 1; }
	t0=$(xt_now_ms)
	timeout -k 1 5 ip netns exec "$NS_C2" "$XFR" -n 1M --json -p "$SRV_PORT" "$S2_4" \
		>"$XT_TMP/other.out" 2>"$XT_TMP/other.err"
	RC=$?
	t1=$(xt_now_ms)
	xt_log "figures: test from $C2_4 during the flood: rc $RC after $((t1 - t0)) ms"
	xt_server_alive || return
	case $RC in
	124 | 137) xt_fail "a test from another address did not complete within 5 s of $n idle connections from $C4"; return 1 ;;
	esac
	[ "$RC" -eq 0 ] || { xt_fail "a test from another address failed during $n idle connections from $C4: exit $RC: $(grep -v '^$' "$XT_TMP/other.err" | tail -n1)"; return 1; }
	xt_check_san "$XT_TMP/other.err" || return
	xt_json_ok "$XT_TMP/other.out" || return
	xt_assert "$XT_TMP/other.out" '.bytes_total == 1048576' "the test during the flood: $(xt_jq "$XT_TMP/other.out" .bytes_total) bytes, want 1048576" || return
	# The held connections go at the first-line deadline (5 s) at the latest.
	xt_wait_exit "$fpid" 25 || { xt_fail "flood peer hung"; return 1; }
	xt_log "$(cat "$XT_TMP/flood.out")"
	grep -q "; 0 still open" "$XT_TMP/flood.out" || { xt_fail "idle connections left open: $(cat "$XT_TMP/flood.out")"; return 1; }
	xt_server_alive || return
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop
}

# ---------------------------------------------------------------- 1 000 mixed

# xt_load_mix_py: the mixed-load driver, run in the client namespace.
#
#   mix.py XFR HOST PORT SRC1,SRC2,... WORKERS COUNT
#
# COUNT tests from WORKERS threads, test i from source address SRC[i % n]
# (so that no per-address limit of the server is hit), kinds in a fixed
# rotation: good short tests by the real client (TCP up/down, 4 streams, UDP;
# exit 0 and a result that moved the bytes asked for), bad test_start fields
# and malformed or out-of-state lines (hostile.py's cases: an error line, then
# close), early closes (RST after hello, RST or FIN after test_ack, RST on a
# running data connection, half a first line), cancels (raw cancel after
# test_ack, SIGINT to a running client: exit 130) and clients killed mid-test
# (SIGKILL). Prints one summary line per kind and the failures; exit 1 if any.
xt_load_mix_py() {
	cat <<'EOF'
import json, os, signal, socket, subprocess, sys, threading, time, uuid

sys.path.insert(0, os.environ["XT_ROOT"] + "/tests/integration")
import hostile  # noqa: E402  (raw-protocol peers and cases)
from hostile import CASES, CaseError, Peer, line, test_start  # noqa: E402

XFR, HOST, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
SRCS, WORKERS, COUNT = sys.argv[4].split(","), int(sys.argv[5]), int(sys.argv[6])
tls = threading.local()

# hostile.Peer connects from the kernel's choice of address: bind it to this
# test's source address instead (the swap of socket.socket is process-wide,
# hence the lock; connects on the veth take microseconds).
_peer_init = Peer.__init__
_sock_lock = threading.Lock()


def _bound_init(self, host, port, timeout=3.0):
    src = tls.src

    with _sock_lock:
        real = socket.socket

        def bound(*a, **k):
            s = real(*a, **k)
            s.bind((src, 0))
            return s
        hostile.socket.socket = bound
        try:
            _peer_init(self, host, port, timeout)
        finally:
            hostile.socket.socket = real


Peer.__init__ = _bound_init


def peer(timeout=3.0):
    return Peer(HOST, PORT, timeout)


def xfr(*args, timeout=20):
    """Run the client; returns (rc, stdout, stderr). A 'busy' or limit refusal
    is retried (a slot of the previous test from this address may not be free
    yet): counted, not a failure."""
    for attempt in range(6):
        p = subprocess.run([XFR, *args, "--bind", tls.src, "-p", str(PORT), HOST],
                           capture_output=True, text=True, timeout=timeout)
        if p.returncode == 0 or not any(w in p.stderr.lower() for w in ("busy", "limit", "too many")):
            return p.returncode, p.stdout, p.stderr
        tls.retries += 1
        time.sleep(0.2)
    return p.returncode, p.stdout, p.stderr


def good(*args, nbytes):
    def run():
        rc, out, err = xfr(*args, "-n", str(nbytes), "--json")
        if rc != 0:
            raise CaseError("xfr %s: exit %d: %s" % (" ".join(args), rc, err.strip()[-160:]))
        res = json.loads(out)
        if res.get("bytes_total", 0) < nbytes:
            raise CaseError("xfr %s: bytes_total %s < %d" % (" ".join(args), res.get("bytes_total"), nbytes))
        return "ok"
    return run


def signalled(sig, *args, want=None, after=0.3):
    """A 3 s client, signalled `after` s into its test: once it has printed
    its header (the test is acknowledged; a sanitizer build can take most of a
    second to get there, and a SIGINT before the client's handler is in place
    just kills it)."""
    def run():
        p = subprocess.Popen([XFR, *args, "-t", "3", "-b", "100M", "--bind", tls.src,
                              "-p", str(PORT), HOST],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            head = p.stdout.readline()
            if not head.startswith("xfr "):
                raise CaseError("no header from the client: %r" % head[:100])
            time.sleep(after)
            p.send_signal(sig)
            _, err = p.communicate(timeout=6)
        except subprocess.TimeoutExpired:
            raise CaseError("client still running 6 s after signal %d" % sig)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        if want is not None and p.returncode != want:
            raise CaseError("exit %d after signal %d, want %d: %s"
                            % (p.returncode, sig, want, err.strip()[-160:]))
        return "exit %d" % p.returncode
    return run


def started(p, duration=3, **over):
    """hello, test_start, test_ack; returns the test id."""
    p.hello()
    tid = str(uuid.uuid4())
    p.send(line(test_start(id=tid, duration_secs=duration, **over)))
    ack = p.readline(3)
    if not (isinstance(ack, dict) and ack.get("type") == "test_ack"):
        raise CaseError("no test_ack: %r" % (ack,))
    return tid


def fin_after_ack():
    p = peer()
    started(p)
    p.close()
    return "closed"


def raw_cancel():
    p = peer()
    try:
        tid = started(p)
        p.send(line({"type": "cancel", "id": tid, "reason": "load test"}))
        msg = p.readline(3)
        if not isinstance(msg, dict) or msg.get("type") not in ("cancelled", "error", "result"):
            raise CaseError("cancel after test_ack answered with %r" % (msg,))
        return msg.get("type")
    finally:
        p.close()


def rst_running_data():
    p = peer()
    try:
        tid = started(p, duration=5)
        d = peer()
        try:
            d.send(line({"type": "data_hello", "test_id": tid, "stream_index": 0}))
            d.send(b"\xa5" * 200000)
        finally:
            d.close(rst=True)
    finally:
        p.close(rst=True)
    return "reset"


def half_line():
    p = peer()
    p.send(b'{"type":"hello","vers')
    p.close()
    return "closed"


def hostile_case(name):
    fn = CASES[name][0]
    return lambda: fn(HOST, PORT)


BAD_FIELDS = [c for c in CASES if c.startswith(("c6_", "c7_"))]
MALFORMED = [c for c in CASES if c.startswith(("c1_", "c5_", "c8_", "c10_"))]

# One rotation of 20: 7 good, 6 bad fields, 2 malformed, 3 early closes, 2 cancels/kills
# (early closes and cancels alternate between two variants each).
ROTATION = [
    ("good_tcp_up", good(nbytes=262144)),
    ("bad_fields", None),
    ("early_close", [hostile_case("f4_rst_after_hello"), half_line]),
    ("good_tcp_down", good("-R", nbytes=262144)),
    ("bad_fields", None),
    ("malformed", None),
    ("good_udp", good("-u", "-b", "200M", nbytes=65536)),
    ("bad_fields", None),
    ("cancel", [raw_cancel, signalled(signal.SIGINT, want=130)]),
    ("good_tcp_p4", good("-P", "4", nbytes=1048576)),
    ("early_close", [hostile_case("f4_rst_after_test_start"), fin_after_ack]),
    ("bad_fields", None),
    ("good_tcp_up", good(nbytes=262144)),
    ("malformed", None),
    ("bad_fields", None),
    ("kill", [signalled(signal.SIGKILL), signalled(signal.SIGKILL, "-u")]),
    ("good_tcp_down", good("-R", nbytes=262144)),
    ("early_close", [rst_running_data]),
    ("bad_fields", None),
    ("good_tcp_up", good(nbytes=262144)),
]


def pick(i):
    kind, fn = ROTATION[i % len(ROTATION)]
    rnd = i // len(ROTATION)
    if kind == "bad_fields":
        name = BAD_FIELDS[(rnd * 6 + [1, 4, 7, 11, 14, 18].index(i % len(ROTATION))) % len(BAD_FIELDS)]
        return kind, name, hostile_case(name)
    if kind == "malformed":
        name = MALFORMED[(rnd * 2 + (i % len(ROTATION) == 13)) % len(MALFORMED)]
        return kind, name, hostile_case(name)
    if isinstance(fn, list):
        f = fn[rnd % len(fn)]
        return kind, getattr(f, "__name__", kind), f
    return kind, kind, fn


lock = threading.Lock()
nxt = [0]
stats, failures = {}, []


def worker():
    tls.retries = 0
    while True:
        with lock:
            i = nxt[0]
            nxt[0] += 1
        if i >= COUNT:
            break
        kind, name, fn = pick(i)
        tls.src = SRCS[i % len(SRCS)]
        t0 = time.monotonic()
        try:
            fn()
            ok, why = True, ""
        except (CaseError, OSError, ValueError, subprocess.TimeoutExpired) as e:
            ok, why = False, "%s: %s" % (type(e).__name__, e)
        el = time.monotonic() - t0
        with lock:
            st = stats.setdefault(kind, [0, 0, 0.0])
            st[0] += 1
            st[1] += not ok
            st[2] = max(st[2], el)
            if not ok:
                failures.append("test %d %s (%s from %s): %s" % (i, kind, name, tls.src, why[:300]))
    with lock:
        stats.setdefault("_retries", [0])[0] += tls.retries


t0 = time.monotonic()
threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("mix: %d tests in %.1f s, %d failed, %d busy retries" % (
    COUNT, time.monotonic() - t0, len(failures), stats.pop("_retries", [0])[0]))
for k in sorted(stats):
    print("mix: %-14s %4d run, %d failed, slowest %.2f s" % (k, *stats[k]))
for f in failures[:20]:
    print("FAIL " + f)
sys.exit(1 if failures else 0)
EOF
}

# xt_load_mix COUNT TAG: run the driver (4 workers, 16 source addresses).
xt_load_mix() {
	ip netns exec "$NS_C" env XT_ROOT="$XT_ROOT" "$XT_PY" "$XT_TMP/mix.py" "$XFR" "$S4" "$SRV_PORT" \
		"$(
			IFS=,
			echo "${XT_CADDRS[*]}"
		)" 4 "$1" >"$XT_TMP/mix.$2.out" 2>&1
	local rc=$?
	sed 's/^/# /' "$XT_TMP/mix.$2.out"
	xt_check_san "$SRV_ERR" || return
	xt_server_alive || return
	[ $rc -eq 0 ] || { xt_fail "$2: $(grep -c '^FAIL' "$XT_TMP/mix.$2.out") of $1 mixed tests failed, first: $(grep -m1 '^FAIL' "$XT_TMP/mix.$2.out" | cut -c1-250)"; return 1; }
}

# xt_load_figures: "FDS THREADS RSS_KIB" of the server.
xt_load_figures() {
	echo "$(xt_proc_fds "$SRV_PID") $(xt_proc_threads "$SRV_PID") $(xt_proc_rss "$SRV_PID")"
}

# xt_load_settled FDS THREADS: the server has at most that many of each.
xt_load_settled() {
	[ "$(xt_proc_fds "$SRV_PID")" -le "$1" ] && [ "$(xt_proc_threads "$SRV_PID")" -le "$2" ]
}

# 1 000 mixed good and failing tests (catalogue: "no leak: RSS and open fds
# return to baseline after 1000 repetitions"; issue 9: within 10 %). The
# baseline is taken after a warm-up of 300 of the same mix, once the server is
# idle again (fds as at start: the first-line deadline has closed what the
# peers left half-open). After the 1 000, fds and threads get 15 s to come
# back, then fds, threads and RSS must be within 10 % of the baseline. Every
# good test must pass and every bad one get its error, all along.
#
# malloc's thresholds are fixed for this server (GLIBC_TUNABLES): by default
# glibc raises its mmap threshold to the largest block freed so far, so the
# 128 KiB+ buffers and messages of a test move into the brk heap, and what the
# heap keeps depends on which block happened to be freed last: the same load
# left 5.0 to 9.6 MiB RSS from one run to the next, which says nothing about
# leaks. With fixed thresholds big blocks are mapped and unmapped each time,
# and RSS follows what the server really holds. Sanitizer builds: their
# allocators keep freed memory on purpose (ASan's quarantine), so RSS is
# printed but not checked there; fds and threads are.
test_load_mixed_1000() {
	local f0 t0 bf bt br af at ar san warm=300 count=1000
	san=$(xt_sanitizer)
	# A sanitizer build runs clients and server 5-10 times slower (200 mixed
	# tests: 13 s under ASan, 34 s under TSan): there the mix looks for memory
	# errors and races on the same paths, fewer of them, within the per-test
	# time limit (tests/run.sh: 120 s).
	case $san in
	asan) warm=100 count=300 ;;
	tsan) warm=50 count=200 ;;
	esac
	xt_setup || return
	xt_client_addrs 16 || return
	GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536:glibc.malloc.trim_threshold=131072 \
		xt_server_start --max-tests 200 || return
	f0=$(xt_proc_fds "$SRV_PID") t0=$(xt_proc_threads "$SRV_PID") # TSan has a thread of its own
	xt_load_mix_py >"$XT_TMP/mix.py"
	xt_load_mix $warm warmup || return
	xt_poll 15 xt_load_settled "$f0" "$t0" || true
	read -r bf bt br <<<"$(xt_load_figures)"
	xt_load_mix $count run || return
	xt_poll 15 xt_load_settled "$bf" "$bt" || true
	read -r af at ar <<<"$(xt_load_figures)"
	xt_log "figures: server fds/threads/RSS KiB: at start $f0/$t0; baseline after $warm $bf/$bt/$br; after $count more $af/$at/$ar${san:+ ($san build)}"
	[ "$af" -le $((bf + bf / 10)) ] || { xt_fail "server fds $af after $count mixed tests, baseline $bf (+10 % allowed)"; return 1; }
	[ "$at" -le $((bt + bt / 10)) ] || { xt_fail "server threads $at after $count mixed tests, baseline $bt (+10 % allowed)"; return 1; }
	[ -n "$san" ] || [ "$ar" -le $((br + br / 10)) ] ||
		{ xt_fail "server RSS $ar KiB after $count mixed tests, baseline $br KiB (+10 % allowed)"; return 1; }
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop
}

# ---------------------------------------------------------------- valgrind

# xt_vg_fd_leaks LOG: the fds valgrind found open at exit that the process
# opened itself (not 0-2, not inherited from the test's shell), one per line.
xt_vg_fd_leaks() {
	awk '/ Open .*(descriptor|socket) [0-9]+:/ { if (fd != "" && !inh) print fd; fd = $0; inh = 0; next }
	     /<inherited from parent>/ { inh = 1 }
	     /HEAP SUMMARY/ { if (fd != "" && !inh) print fd; fd = "" }
	     END { if (fd != "" && !inh) print fd }' "$1" | sed 's/^==[0-9]*== *//'
}

# A server session under valgrind's memcheck (catalogue: "valgrind: 0
# definitely/indirectly lost bytes, 0 fd leaks"): TCP up and down (2 streams),
# UDP up and down, failing peers (bad fields, RST after test_start, unknown
# data_hello, not JSON) and a client killed mid-test; then SIGTERM. The server
# must exit 0 with no memcheck error, no definitely or indirectly lost byte and
# no fd of its own left open. Skipped on sanitizer builds (valgrind cannot run
# them) and without valgrind.
test_valgrind_server() {
	local vg=$XT_TMP/vg.log i rc leaks
	command -v valgrind >/dev/null || { xt_skip "valgrind not installed"; return 77; }
	[ -z "$(xt_sanitizer)" ] || { xt_skip "$(xt_sanitizer) build: valgrind runs plain builds only"; return 77; }
	xt_setup || return
	SRV_PORT=$(xt_port)
	SRV_OUT=$XT_TMP/server.out SRV_ERR=$XT_TMP/server.err
	ip netns exec "$NS_S" valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --track-fds=yes --num-callers=30 \
		--error-exitcode=99 --log-file="$vg" "$XFR" serve -p "$SRV_PORT" >"$SRV_OUT" 2>"$SRV_ERR" &
	SRV_PID=$!
	XT_PIDS+=("$SRV_PID")
	xt_poll 30 xt_listening "$NS_S" "$SRV_PORT" || { xt_fail "server under valgrind not listening after 30 s: $(tail -n3 "$vg")"; return 1; }
	# shellcheck disable=SC2034 # read by xt_client_raw
	XT_CLIENT_TIMEOUT=60
	xt_client -n 4M --json
	xt_client_ok || return
	xt_client -R -t 1 -P 2 --json
	xt_client_ok || return
	xt_client -u -b 20M -n 256K --json
	xt_client_ok || return
	xt_client -u -R -b 20M -t 1 --json
	xt_client_ok || return
	ip netns exec "$NS_C" "$XT_PY" "$XT_ROOT/tests/integration/hostile.py" "$S4" "$SRV_PORT" \
		c7_streams_0 c6_congestion_number c1_not_json n5_data_hello_unknown f4_rst_after_test_start \
		>"$XT_TMP/hostile.out" 2>&1 || { xt_fail "failing peers: $(grep -m1 FAIL "$XT_TMP/hostile.out")"; return 1; }
	xt_client_bg "$XT_TMP/k.out" "$XT_TMP/k.err" -t 5 -b 100M -p "$SRV_PORT" "$S4"
	sleep 1.5
	{ kill -KILL "$CLI_PID"; wait "$CLI_PID"; } 2>/dev/null
	sleep 1
	xt_client -n 1M --json
	xt_client_ok || return
	kill -TERM "$SRV_PID"
	xt_wait_exit "$SRV_PID" 60 || { xt_fail "server under valgrind still running 60 s after SIGTERM"; return 1; }
	rc=$XT_EXIT
	sed -n '/FILE DESCRIPTORS/,$p' "$vg" | grep -E 'FILE DESCRIPTORS|in use at exit|lost:|no leaks|ERROR SUMMARY' |
		sed 's/^==[0-9]*== */# valgrind: /'
	[ "$rc" -ne 99 ] || { xt_fail "memcheck errors or leaks: $(grep -m1 -E 'Invalid|uninitialised|definitely lost|indirectly lost' "$vg" | sed 's/^==[0-9]*== *//')"; return 1; }
	[ "$rc" -eq 0 ] || { xt_fail "server under valgrind exited $rc after SIGTERM: $(tail -n1 "$SRV_ERR")"; return 1; }
	grep -q 'ERROR SUMMARY: 0 errors' "$vg" || { xt_fail "memcheck: $(grep -m1 'ERROR SUMMARY' "$vg")"; return 1; }
	grep -qE 'no leaks are possible|definitely lost: 0 bytes' "$vg" ||
		{ xt_fail "leaks: $(grep -m1 'definitely lost' "$vg" | sed 's/^==[0-9]*== *//')"; return 1; }
	! grep -qE 'indirectly lost: [1-9]' "$vg" || { xt_fail "leaks: $(grep -m1 'indirectly lost' "$vg" | sed 's/^==[0-9]*== *//')"; return 1; }
	grep -q 'FILE DESCRIPTORS' "$vg" || { xt_fail "valgrind printed no fd report"; return 1; }
	leaks=$(xt_vg_fd_leaks "$vg")
	[ -z "$leaks" ] || { xt_fail "fds left open at exit: $(echo "$leaks" | paste -sd';' | cut -c1-200)"; return 1; }
}

# ---------------------------------------------------------------- found by the load

# A byte-budget client sends `finish` as soon as its data is written; the
# server may read that control line before the data connection's data_hello
# (two TCP connections: no order between them). test_load_mixed_1000 met it
# under ASan ("unexpected message finish in state streams", a good -n test
# failed); this plays the same order on purpose: the finish must not fail the
# test, which ends with its result once the data has arrived.
test_load_finish_before_data_hello() {
	xt_setup || return
	xt_server_start || return
	cat >"$XT_TMP/early.py" <<'EOF'
import sys, time, uuid
sys.path.insert(0, sys.argv[3] + "/tests/integration")
from hostile import HELLO, Peer, line
host, port = sys.argv[1], int(sys.argv[2])
p = Peer(host, port)
p.send(line(dict(HELLO, capabilities=HELLO["capabilities"] + ["byte_budget_v1"])))
p.readline(3)
tid = str(uuid.uuid4())
p.send(line({"type": "test_start", "id": tid, "protocol": "tcp", "streams": 1, "duration_secs": 10,
             "direction": "upload", "byte_budget": 65536}))
ack = p.readline(3)
if not (isinstance(ack, dict) and ack.get("type") == "test_ack"):
    sys.exit("no test_ack: %r" % (ack,))
d = Peer(host, port)                          # connected: for the client, the stream is up
p.send(line({"type": "finish", "id": tid}))   # its 64 KiB are written: finish
time.sleep(0.1)                               # the data_hello comes second
d.send(line({"type": "data_hello", "test_id": tid, "stream_index": 0}) + b"\xa5" * 65536)
d.close()
while True:
    m = p.readline(5)
    if not isinstance(m, dict) or m.get("type") in ("result", "error"):
        break
if not (isinstance(m, dict) and m.get("type") == "result" and m.get("bytes_total") == 65536):
    sys.exit("finish before the data_hello: want a result of 65536 bytes, got %s" % str(m)[:200])
print("result: %d bytes" % m["bytes_total"])
EOF
	ip netns exec "$NS_C" "$XT_PY" "$XT_TMP/early.py" "$S4" "$SRV_PORT" "$XT_ROOT" >"$XT_TMP/early.out" 2>&1 ||
		{ xt_fail "$(tail -n1 "$XT_TMP/early.out")"; return 1; }
	xt_server_alive || return
	xt_server_stop
}

# ------------------------------------------------------ worst of one address

# The most memory one client address can make a default server hold (issue 9:
# "the worst-case RSS one address can cause with default limits"). It fills
# its half of --max-memory with the tests that hold the most buffers: unpaced
# UDP downloads of 65507-byte datagrams (each flow's send batch is 64 of them,
# all written; 68 MB a test of 16 streams), until the server says no; and its 8 unidentified connections with 60 KB partial first lines. The
# server's peak RSS (VmHWM) may grow by the address's share of the budget
# (512 MiB) and 64 MiB of what no budget counts (thread stacks, allocator),
# no more: the estimates are upper bounds. Plain builds only (a sanitizer's
# shadow memory is not the server's).
test_load_worst_one_address() {
	[ -z "$(xt_sanitizer)" ] || { xt_skip "$(xt_sanitizer) build: RSS is measured on plain builds"; return 77; }
	xt_setup || return
	xt_server_start || return
	local base hwm i n=0 refused=0 pids=() d=$XT_TMP/worst
	mkdir -p "$d"
	sleep 0.5
	base=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$SRV_PID/status")
	for i in 1 2 3 4 5 6 7 8; do
		xt_client_bg "$d/$i.out" "$d/$i.err" -u -R -P 16 -l 65507 -b 0 -t 6 --json -p "$SRV_PORT" "$S4"
		pids+=("$CLI_PID")
		sleep 0.2
	done
	# then 8 connections that hold 60 KB of a first line each (the tests'
	# control connections are past theirs)
	ip netns exec "$NS_C" "$XT_PY" -c '
import socket, sys, time
ss = []
for i in range(8):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    s.sendall(b"{" + b"x" * 60000)
    ss.append(s)
time.sleep(3)
' "$S4" "$SRV_PORT" &
	XT_PIDS+=($!)
	sleep 2
	hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$SRV_PID/status")
	for i in "${!pids[@]}"; do
		xt_wait_exit "${pids[$i]}" 20 || { xt_fail "client $((i + 1)) hung"; return 1; }
		if [ "$XT_EXIT" -eq 0 ]; then
			n=$((n + 1))
		elif grep -q 'server busy: your address holds' "$d/$((i + 1)).err"; then
			refused=$((refused + 1))
		else
			xt_fail "client $((i + 1)): exit $XT_EXIT: $(tail -n1 "$d/$((i + 1)).err")"
			return 1
		fi
	done
	xt_log "figures: one address: $n tests ran, $refused refused for memory; server VmHWM $((base / 1024)) MiB at rest, $((hwm / 1024)) MiB at most (+$(((hwm - base) / 1024)) MiB)"
	[ "$n" -ge 6 ] || { xt_fail "only $n of 8 tests ran: the address's share should hold 7"; return 1; }
	[ "$refused" -ge 1 ] || { xt_fail "no test was refused: the address never reached its share"; return 1; }
	[ $((hwm - base)) -le $(((512 + 64) * 1024)) ] ||
		{ xt_fail "one address raised the server's RSS by $(((hwm - base) / 1024)) MiB, over its 512 MiB share + 64"; return 1; }
	xt_server_alive || return
	xt_server_stop
}

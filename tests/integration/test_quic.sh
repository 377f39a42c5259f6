# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# QUIC (-Q) end to end across the veth pair: directions, streams, byte budgets,
# certificate pinning, the kept certificate, pacing, -t 0 with SIGINT, QUIC
# beside a UDP test on one server, and a peer that never speaks QUIC.

# xt_quic_server [serve options...]: a server with its own config directory
# (its certificate is created there); sets FPR to the fingerprint it prints.
xt_quic_server() {
	export XDG_CONFIG_HOME=$XT_TMP/config
	xt_server_start "$@" || return
	local i
	for ((i = 0; i < 40; i++)); do
		FPR=$(grep -o 'QUIC certificate SHA-256 [0-9a-f]*' "$SRV_ERR" | awk '{print $4}')
		[ -n "$FPR" ] && return 0
		sleep 0.05
	done
	xt_fail "server printed no QUIC fingerprint: $(grep -m1 QUIC "$SRV_ERR")"
	return 1
}

# xt_quic_ok FILE DIRECTION: a valid result document of a QUIC test that moved data.
xt_quic_ok() {
	xt_json_ok "$1" || return
	xt_assert "$1" ".protocol == \"quic\" and .direction == \"$2\" and .bytes_total > 0" \
		"protocol/direction/bytes $(xt_jq "$1" '[.protocol,.direction,.bytes_total]'), want quic/$2/>0"
}

# Upload, pinned: the fingerprint the server printed is accepted, the data
# moves, the certificate files are kept (key 0600), and the client does not
# warn about an unauthenticated server.
test_quic_upload_pinned() {
	xt_setup || return
	xt_quic_server || return
	xt_client -Q -t 2 --quic-verify "$FPR" --json
	xt_client_ok || return
	xt_quic_ok "$OUT" upload || return
	xt_assert "$OUT" '.tcp_info | .quic_handshake_us > 0 and .min_rtt_us > 0 and .rtt_us > 0 and
		.pmtu >= 1200 and .cwnd_bytes > 0 and has("bytes_in_flight")' \
		"QUIC figures missing: $(xt_jq "$OUT" .tcp_info)" || return
	grep -q "not authenticated" "$ERR" && { xt_fail "pinned client still warns: $(cat "$ERR")"; return 1; }
	[ "$(stat -c %a "$XDG_CONFIG_HOME/xfr/quic-key.pem")" = 600 ] ||
		{ xt_fail "quic-key.pem mode $(stat -c %a "$XDG_CONFIG_HOME/xfr/quic-key.pem")"; return 1; }
	xt_log "upload $(xt_jq "$OUT" .throughput_mbps) Mbit/s"
	xt_server_stop
}

# The server keeps its certificate: a restart prints the same fingerprint, and
# a client pinned to it still connects. Without a pin the client warns once.
test_quic_cert_kept() {
	xt_setup || return
	xt_quic_server || return
	local first=$FPR
	xt_server_stop || return
	xt_quic_server || return
	[ "$FPR" = "$first" ] || { xt_fail "fingerprint changed across restarts: $first -> $FPR"; return 1; }
	xt_client -Q -t 1 --json
	xt_client_ok || return
	[ "$(grep -c 'not authenticated' "$ERR")" -eq 1 ] ||
		{ xt_fail "want one 'not authenticated' warning: $(cat "$ERR")"; return 1; }
	xt_server_stop
}

# A wrong pin: exit 1 with the mismatch named, before any data moves (no
# interval rows, nothing counted on the server's UDP port beyond handshakes).
test_quic_pin_mismatch() {
	xt_setup || return
	xt_quic_server || return
	xt_nft "$NS_S" in udp dport "$SRV_PORT" counter comment '"quic"' || return
	xt_client -Q -t 2 --quic-verify "$(printf '%064d' 0)"
	[ "$RC" -eq 1 ] || { xt_fail "wrong pin: exit $RC, want 1"; return 1; }
	grep -q "does not match --quic-verify" "$ERR" ||
		{ xt_fail "no mismatch line: $(cat "$ERR")"; return 1; }
	[ -s "$OUT" ] && grep -q "Gbit/s\|Mbit/s" "$OUT" && { xt_fail "rows printed: $(head -3 "$OUT")"; return 1; }
	local n
	n=$(xt_nft_count "$NS_S" quic)
	[ "$n" -lt 40 ] || { xt_fail "$n datagrams reached the server after a pin mismatch"; return 1; }
	xt_server_alive || return
	xt_server_stop
}

# -R and --bidir: every direction moves data; the download's sender is the server.
test_quic_download_bidir() {
	xt_setup || return
	xt_quic_server || return
	xt_client -Q -R -t 2 --json
	xt_client_ok || return
	xt_quic_ok "$OUT" download || return
	xt_client -Q --bidir -t 2 --json
	xt_client_ok || return
	xt_quic_ok "$OUT" bidir || return
	xt_assert "$OUT" '[.streams[] | select(.direction == "upload" and .bytes > 0)] | length == 1' \
		"bidir: no upload flow with bytes: $(xt_jq "$OUT" '[.streams[] | [.direction,.bytes]]')" || return
	xt_assert "$OUT" '[.streams[] | select(.direction == "download" and .bytes > 0)] | length == 1' \
		"bidir: no download flow with bytes: $(xt_jq "$OUT" '[.streams[] | [.direction,.bytes]]')" || return
	xt_server_stop
}

# -P 4 -n 20M: exactly 20 MiB over four connections, both directions of count.
test_quic_parallel_bytes() {
	xt_setup || return
	xt_quic_server || return
	xt_client -Q -P 4 -n 20M --json
	xt_client_ok || return
	xt_quic_ok "$OUT" upload || return
	xt_assert "$OUT" '.bytes_total == 20971520' "bytes_total $(xt_jq "$OUT" .bytes_total), want 20971520" || return
	xt_assert "$OUT" '(.streams | length) == 4' "streams $(xt_jq "$OUT" '.streams | length'), want 4" || return
	xt_client -Q -R -P 2 -n 8M --json
	xt_client_ok || return
	xt_assert "$OUT" '.bytes_total == 8388608' "-R bytes_total $(xt_jq "$OUT" .bytes_total), want 8388608" || return
	# -n smaller than the streams: the streams with no share still open (FIN
	# only), so neither end takes them for missing streams; both ways
	local d
	for d in "" -R; do
		# shellcheck disable=SC2086 # no -R: no word at all
		xt_client -Q $d -P 4 -n 2 --json
		xt_client_ok || return
		xt_assert "$OUT" '.bytes_total == 2 and (.streams | length) == 4' \
			"-n 2 $d: bytes_total $(xt_jq "$OUT" .bytes_total), streams $(xt_jq "$OUT" '.streams | length')" || return
	done
	xt_server_stop
}

# -b is honoured (the reference ignores it over QUIC): 40 Mbit/s +- 5 %.
test_quic_bitrate() {
	xt_setup || return
	xt_quic_server || return
	xt_client -Q -t 3 -b 40M --json
	xt_client_ok || return
	xt_within "$(xt_jq "$OUT" .throughput_mbps)" 38 42 ||
		{ xt_fail "-Q -b 40M: $(xt_jq "$OUT" .throughput_mbps) Mbit/s"; return 1; }
	xt_server_stop
}

# -t 0 runs until SIGINT: exit 130 with a valid summary, the server lives on.
test_quic_time0_sigint() {
	xt_setup || return
	xt_quic_server || return
	local out=$XT_TMP/inf.out err=$XT_TMP/inf.err
	xt_client_bg "$out" "$err" -Q -t 0 --json -p "$SRV_PORT" "$S4"
	sleep 2
	kill -INT "$CLI_PID"
	xt_wait_exit "$CLI_PID" 5 || { xt_fail "client still running 5 s after SIGINT"; return 1; }
	[ "$XT_EXIT" -eq 130 ] || { xt_fail "exit $XT_EXIT after SIGINT, want 130: $(tail -n1 "$err")"; return 1; }
	xt_check_san "$err" || return
	xt_quic_ok "$out" upload || return
	xt_server_alive || return
	xt_server_stop
}

# A QUIC test and a UDP test against one server at the same time, IPv6 for QUIC.
test_quic_beside_udp() {
	xt_setup || return
	xt_quic_server || return
	local out=$XT_TMP/udp.out err=$XT_TMP/udp.err
	xt_client_bg "$out" "$err" -u -b 50M -t 3 --json -p "$SRV_PORT" "$S4"
	xt_client_raw -Q -t 2 --json -p "$SRV_PORT" "$S6"
	xt_client_ok || return
	xt_quic_ok "$OUT" upload || return
	xt_wait_exit "$CLI_PID" 10 || { xt_fail "UDP client still running"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "UDP client beside QUIC: exit $XT_EXIT: $(tail -n1 "$err")"; return 1; }
	xt_assert "$out" '.protocol == "udp" and .bytes_total > 0' "UDP test beside QUIC moved nothing" || return
	xt_server_stop
}

# Packet size by path (quic/quic_conn.c local_pkt): a peer on this host
# (loopback) gets packets of up to 32752 bytes once the handshake is done, in
# both directions and with every byte counted; a peer across the veth keeps
# ngtcp2's sizes (PMTUD, at most 1452).
test_quic_local_packets() {
	xt_setup || return
	xt_quic_server || return
	local out=$XT_TMP/lo.json err=$XT_TMP/lo.err d pmtu
	for d in "" -R; do
		timeout 30 ip netns exec "$NS_S" "$XFR" 127.0.0.1 -p "$SRV_PORT" -Q -P 2 -n 30M $d \
			--json >"$out" 2>"$err" || { xt_fail "loopback $d: $(tail -n1 "$err")"; return 1; }
		xt_json_ok "$out" || return
		xt_assert "$out" '.bytes_total == 31457280' \
			"loopback $d bytes_total $(xt_jq "$out" .bytes_total), want 31457280" || return
		pmtu=$(xt_jq "$out" .tcp_info.pmtu)
		[ "$pmtu" -gt 1452 ] && [ "$pmtu" -le 32752 ] ||
			{ xt_fail "loopback $d: pmtu $pmtu, want 1453..32752"; return 1; }
	done
	xt_client -Q -n 10M --json
	xt_client_ok || return
	pmtu=$(xt_jq "$OUT" .tcp_info.pmtu)
	[ "$pmtu" -ge 1200 ] && [ "$pmtu" -le 1452 ] ||
		{ xt_fail "veth: pmtu $pmtu, want 1200..1452"; return 1; }
	xt_server_stop
}

# The reference's layout on the wire (reference §2.1, §2.5): the client makes
# no TCP connection to the server's port; one QUIC connection, taken on the
# server's UDP port, carries the control channel and every stream of -P 4
# --bidir (the server logs one QUIC connection and one control connection).
test_quic_wire_layout() {
	local tcp udp n
	xt_setup || return
	xt_quic_server --log-level debug || return
	xt_nft "$NS_S" in tcp dport "$SRV_PORT" counter comment '"qtcp"' || return
	xt_nft "$NS_S" in udp dport "$SRV_PORT" counter comment '"qudp"' || return
	xt_client -Q -P 4 --bidir -t 2 --quic-verify "$FPR" --json
	xt_client_ok || return
	xt_quic_ok "$OUT" bidir || return
	xt_assert "$OUT" '[.streams[] | select(.bytes > 0)] | length == 8' \
		"-P 4 --bidir: flows with bytes $(xt_jq "$OUT" '[.streams[] | [.direction,.bytes]]')" || return
	tcp=$(xt_nft_count "$NS_S" qtcp)
	udp=$(xt_nft_count "$NS_S" qudp)
	xt_log "to the server's port: $tcp TCP packets, $udp UDP datagrams"
	[ "$tcp" -eq 0 ] || { xt_fail "$tcp TCP packets to port $SRV_PORT during a QUIC test"; return 1; }
	[ "$udp" -gt 100 ] || { xt_fail "only $udp UDP datagrams to port $SRV_PORT"; return 1; }
	n=$(grep -c ': QUIC connection$' "$SRV_ERR")
	[ "$n" -eq 1 ] || { xt_fail "$n QUIC connections for one test: $(grep 'QUIC connection' "$SRV_ERR")"; return 1; }
	n=$(grep -c ': connected (xfr/' "$SRV_ERR")
	[ "$n" -eq 1 ] || { xt_fail "$n control connections for one test"; return 1; }
	xt_server_stop
}

# Datagrams with the QUIC bit on the shared port that open nothing (short
# headers, long headers of another version or type, Initials too short) are
# dropped. Initial-shaped garbage from 20 source ports of one address opens
# no more connections than the server's per-address limit on connections
# without a first line (the rest: "server busy"), and those never complete:
# each is closed (at the first-line or handshake timeout, within 12 s). Then
# a real -Q test runs and the server is up.
xq_closed() { [ "$(grep -c ': QUIC connection closed' "$SRV_ERR")" -ge "$1" ]; }

test_quic_shared_port_garbage() {
	local n per closed
	xt_setup || return
	xt_quic_server --log-level debug || return
	ip netns exec "$NS_C" "$XT_PY" - "$S4" "$SRV_PORT" <<'PY' || { xt_fail "sender failed"; return 1; }
import os, random, socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
one = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(200):
    first = random.choice([0x40 | random.randrange(64), 0xc0 | 0x10, 0x80 | random.randrange(128)])
    one.sendto(bytes([first]) + os.urandom(random.randrange(1, 1400)), (host, port))
for _ in range(50):  # a version 1 Initial in shape, but too short
    one.sendto(b"\xc0\x00\x00\x00\x01" + os.urandom(600), (host, port))
# The garbage above can fill the shared socket's receive buffer while a slow
# (sanitizer) server works through it: let it drain, so that the Initials
# below reach the server and it is the per-address limit that refuses them.
time.sleep(0.5)
for _ in range(20):  # Initial-shaped garbage, each from its own port, twice
    time.sleep(0.01)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(2):
        s.sendto(b"\xc3\x00\x00\x00\x01\x08" + os.urandom(1194), (host, port))
PY
	per=$(grep -o 'unidentified connections ([0-9]* per address)' "$SRV_ERR" | grep -o '[0-9]*')
	xt_poll 5 grep -q 'QUIC Initial dropped: server busy' "$SRV_ERR" ||
		{ xt_fail "no Initial refused past the per-address limit"; return 1; }
	n=$(grep -c ': QUIC connection$' "$SRV_ERR")
	xt_log "garbage opened $n QUIC connections (limit $per per address)"
	[ "$n" -ge 1 ] && [ "$n" -le "$per" ] || { xt_fail "$n connections opened, limit $per"; return 1; }
	xt_poll 12 xq_closed "$n" ||
		{ xt_fail "$(grep -c ': QUIC connection closed' "$SRV_ERR") of $n garbage connections closed"; return 1; }
	closed=$(grep -c ': QUIC connection closed' "$SRV_ERR")
	xt_log "closed: $closed; $(grep ': QUIC connection closed' "$SRV_ERR" | head -n1)"
	xt_client -Q -t 2 --quic-verify "$FPR" --json
	xt_client_ok || return
	xt_quic_ok "$OUT" upload || return
	xt_server_alive || return
	xt_server_stop
}

# PSK over QUIC: the protected framing runs on stream 0. The right key runs a
# test; a wrong key fails within 1 s with the reason, and the server serves on.
test_quic_psk() {
	local key bad t0 ms
	xt_setup || return
	key=$XT_TMP/psk bad=$XT_TMP/psk.bad
	(umask 077 && echo "correct horse battery staple" >"$key" && echo "wrong" >"$bad")
	xt_quic_server --psk-file "$key" || return
	xt_client -Q -t 1 --quic-verify "$FPR" --psk-file "$key" --json
	xt_client_ok || return
	xt_quic_ok "$OUT" upload || return
	grep -q "authenticated (PSK), control channel protected" "$SRV_ERR" ||
		{ xt_fail "server did not log the protected session over QUIC"; return 1; }
	t0=$(xt_now_ms)
	xt_client -Q -t 1 --quic-verify "$FPR" --psk-file "$bad"
	ms=$(($(xt_now_ms) - t0))
	xt_log "wrong key: exit $RC after $ms ms: $(tail -n1 "$ERR")"
	[ "$RC" -eq 1 ] || { xt_fail "wrong key: exit $RC: $(tail -n1 "$ERR")"; return 1; }
	grep -qi "authentication" "$ERR" || { xt_fail "wrong key: no reason: $(tail -n2 "$ERR")"; return 1; }
	[ "$ms" -lt 1000 ] || { xt_fail "wrong key took $ms ms to fail"; return 1; }
	xt_server_alive || return
	xt_server_stop
}

# xt_quic_refused WANT ARGS...: xfr ARGS exits 2 (usage) before connecting, with one
# line on stderr that contains WANT.
xt_quic_refused() {
	local want=$1 rc
	shift
	timeout 5 "$XFR" "$@" >"$XT_TMP/o" 2>"$XT_TMP/e" </dev/null
	rc=$?
	[ "$rc" -eq 2 ] && [ "$(wc -l <"$XT_TMP/e")" -eq 1 ] && grep -q -- "$want" "$XT_TMP/e" ||
		{ xt_fail "xfr $*: rc $rc, stderr: $(head -c 300 "$XT_TMP/e")"; return 1; }
}

# Bad arguments: one clear line each, nothing sent.
test_quic_bad_arguments() {
	xt_quic_refused "-u" -Q -u 127.0.0.1 || return
	xt_quic_refused "SHA-256" -Q --quic-verify abc 127.0.0.1 || return
	xt_quic_refused "htcp" -Q --congestion htcp 127.0.0.1 || return
	xt_quic_refused "-Q option" --quic-verify "$(printf '%064d' 0)" 127.0.0.1 || return
	xt_quic_refused "give both" serve --quic-cert /nonexistent.pem || return
}

# Hostile QUIC peers (hostile_quic.py): a stream opened and then silence, and
# datagrams shaped like QUIC that are not; each test ends within the 10 s
# handshake timeout with the reason in the server's log; the server stays up
# and then serves a real client.
test_quic_hostile() {
	xt_setup || return
	xt_quic_server || return
	local out=$XT_TMP/hostile.out
	ip netns exec "$NS_C" "$XT_PY" "$XT_ROOT/tests/integration/hostile_quic.py" "$SRV_ERR" \
		"$S4" "$SRV_PORT" q_silent q_garbage >"$out" 2>&1
	local rc=$?
	xt_log "$(tr '\n' ';' <"$out")"
	[ "$rc" -eq 0 ] || { xt_fail "$(grep -m1 FAIL "$out" || tail -n1 "$out")"; return 1; }
	xt_server_alive || return
	xt_client -Q -t 1 --json
	xt_client_ok || return
	xt_quic_ok "$OUT" upload || return
	xt_server_stop
}

# The peer goes silent mid-test (every datagram toward the server dropped,
# control still up): both ends give up within the 10 s idle timeout, the
# client with one line that says so; the server stays up.
test_quic_peer_silent() {
	xt_setup || return
	xt_quic_server || return
	local out=$XT_TMP/silent.out err=$XT_TMP/silent.err t0
	xt_client_bg "$out" "$err" -Q -t 60 -b 20M --json -p "$SRV_PORT" "$S4"
	sleep 1.5
	t0=$(xt_now_ms)
	xt_nft "$NS_S" in udp dport "$SRV_PORT" drop || return
	xt_wait_exit "$CLI_PID" 20 || { xt_fail "client still running 20 s after its peer went silent"; return 1; }
	xt_log "client exit $XT_EXIT after $(($(xt_now_ms) - t0)) ms: $(grep -v '^$' "$err" | tail -n2 | tr '\n' ';')"
	grep -q "went silent" "$err" "$SRV_ERR" || { xt_fail "no 'went silent' line: $(tail -n2 "$err")"; return 1; }
	xt_check_san "$err" || return
	xt_server_alive || return
	xt_server_stop
}

# Fewer streams than the test asked for. The peer is xfr with an LD_PRELOAD
# shim (quic_streams_shim.so, built by make unit: xfr has no such option) that
# lets it open only 2 unidirectional streams. A download from a server that
# opens 2 of 4: the client closes the connection 10 s after its test started,
# prints why and exits 1. An upload whose client opens 2 of 4, at the same
# time: the server closes it, logs the count with the client's address, and
# then serves the next client.
test_quic_fewer_streams() {
	xt_setup || return
	local shim=$XT_ROOT/${BUILD:-build}/tests/quic_streams_shim.so
	local asan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	local dout=$XT_TMP/down.out derr=$XT_TMP/down.err uout=$XT_TMP/up.out uerr=$XT_TMP/up.err
	local t0 dpid ms
	[ -f "$shim" ] || { xt_fail "$shim not built (make unit)"; return 1; }
	LD_PRELOAD=$shim XT_QUIC_STREAMS=2 ASAN_OPTIONS=$asan xt_quic_server || return
	t0=$(xt_now_ms)
	xt_client_bg "$dout" "$derr" -Q -R -P 4 -t 30 --quic-verify "$FPR" -p "$SRV_PORT" "$S4"
	dpid=$CLI_PID
	LD_PRELOAD=$shim XT_QUIC_STREAMS=2 ASAN_OPTIONS=$asan \
		xt_client_bg "$uout" "$uerr" -Q -P 4 -t 30 --quic-verify "$FPR" -p "$SRV_PORT" "$S4"
	xt_wait_exit "$dpid" 20 || { xt_fail "download client still running after 20 s"; return 1; }
	ms=$(($(xt_now_ms) - t0))
	xt_log "download: exit $XT_EXIT after $ms ms: $(grep -v '^$' "$derr" | tail -n2 | tr '\n' ';')"
	[ "$XT_EXIT" -eq 1 ] || { xt_fail "download client: exit $XT_EXIT, want 1"; return 1; }
	grep -q "the server opened 2 of the 4 streams this test asked for" "$derr" ||
		{ xt_fail "download client did not say why: $(tail -n2 "$derr")"; return 1; }
	[ "$ms" -ge 9500 ] || { xt_fail "download closed after $ms ms, before the 10 s"; return 1; }
	xt_wait_exit "$CLI_PID" 10 || { xt_fail "upload client still running"; return 1; }
	xt_log "upload: exit $XT_EXIT: $(grep -v '^$' "$uerr" | tail -n2 | tr '\n' ';')"
	[ "$XT_EXIT" -eq 1 ] || { xt_fail "upload client: exit $XT_EXIT, want 1"; return 1; }
	grep -q "the client opened 2 of the 4 streams this test asked for" "$uerr" ||
		{ xt_fail "upload client did not say why: $(tail -n2 "$uerr")"; return 1; }
	grep -q "QUIC connection with .*: the client opened 2 of the 4 streams" "$SRV_ERR" ||
		{ xt_fail "no server log line: $(grep -m2 QUIC "$SRV_ERR")"; return 1; }
	xt_check_san "$derr" "$uerr" || return
	xt_server_alive || return
	xt_client -Q -t 1 -P 2 --quic-verify "$FPR" --json
	xt_client_ok || return
	xt_quic_ok "$OUT" upload || return
	xt_server_stop
}

# --quic-ca: the server's own certificate as the trust anchor verifies (HOST
# an address: the chain only); another server's certificate does not, exit 1
# with the reason, and no "not authenticated" warning either way.
test_quic_ca() {
	xt_setup || return
	xt_quic_server || return
	local mine=$XDG_CONFIG_HOME/xfr/quic-cert.pem other=$XT_TMP/other
	xt_client -Q -t 1 --quic-ca "$mine" --json
	xt_client_ok || return
	xt_quic_ok "$OUT" upload || return
	grep -q "not authenticated" "$ERR" && { xt_fail "--quic-ca client still warns"; return 1; }
	# another certificate: a second server's, made in its own config directory
	XDG_CONFIG_HOME=$other timeout 3 "$XFR" serve -p 1 -B 127.0.0.1 >/dev/null 2>&1
	[ -s "$other/xfr/quic-cert.pem" ] || { xt_fail "no second certificate made"; return 1; }
	xt_client -Q -t 1 --quic-ca "$other/xfr/quic-cert.pem"
	[ "$RC" -eq 1 ] && grep -q "does not verify against --quic-ca" "$ERR" ||
		{ xt_fail "foreign CA: rc $RC: $(tail -n1 "$ERR")"; return 1; }
	xt_server_alive || return
	xt_server_stop
}

# --congestion picks ngtcp2's controller on both ends (cubic, reno, bbr): each
# runs a -n test to the byte.
test_quic_congestion() {
	xt_setup || return
	xt_quic_server || return
	local cc
	for cc in cubic reno bbr; do
		xt_client -Q -R -n 4M --congestion "$cc" --json
		xt_client_ok || return
		xt_assert "$OUT" '.bytes_total == 4194304' "--congestion $cc: bytes_total $(xt_jq "$OUT" .bytes_total)" || return
	done
	xt_server_stop
}

# Through a 200 Mbit/s path: QUIC within 5 % of TCP on the same path (both
# fill the tbf; one run each, QUIC second and first alternately would not
# change which one the path limits).
test_quic_tbf_vs_tcp() {
	xt_setup 200mbit || return
	xt_quic_server || return
	local tcp quic
	xt_client -t 4 --json
	xt_client_ok || return
	tcp=$(xt_jq "$OUT" .throughput_mbps)
	xt_client -Q -t 4 --json
	xt_client_ok || return
	quic=$(xt_jq "$OUT" .throughput_mbps)
	xt_log "200 Mbit/s path: TCP $tcp, QUIC $quic Mbit/s"
	awk -v q="$quic" -v t="$tcp" 'BEGIN { exit !(t > 0 && q >= 0.95 * t && q <= 1.05 * t) }' ||
		{ xt_fail "QUIC $quic Mbit/s vs TCP $tcp Mbit/s on a 200 Mbit/s path (want within 5 %)"; return 1; }
	xt_server_stop
}

# nft drops 1 % of the datagrams toward the server: the test completes, every
# byte of a -n budget arrives, and the loss shows as lost packets
# (retransmits in the outputs), at least what nft dropped of the data stream.
test_quic_loss() {
	xt_setup || return
	xt_wire_datagrams || return
	xt_quic_server || return
	xt_nft_loss "$NS_S" "$SRV_PORT" 10 || return
	xt_client -Q -n 20M --json
	xt_client_ok || return
	xt_assert "$OUT" '.bytes_total == 20971520' "1 % loss: bytes_total $(xt_jq "$OUT" .bytes_total)" || return
	local lost dropped
	lost=$(xt_jq "$OUT" '[.streams[].retransmits // 0] | add')
	dropped=$(xt_nft_count "$NS_S" loss)
	xt_log "nft dropped $dropped datagrams, QUIC reported $lost lost packets"
	[ "$dropped" -gt 0 ] && [ "${lost:-0}" -gt 0 ] ||
		{ xt_fail "nft dropped $dropped, QUIC reported ${lost:-none} lost"; return 1; }
	xt_server_stop
}

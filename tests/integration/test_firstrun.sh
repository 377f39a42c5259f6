# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# What a new user meets in the first hour (issue 16): the wrong port, the
# wrong engine, figures that must be true.

# xt_foreign_listener PORT PYTHON-BODY: a TCP listener in the server namespace
# that runs BODY for each accepted connection `c`; sets FL_PID.
xt_foreign_listener() {
	ip netns exec "$NS_S" python3 -c "
import socket, time
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', $1)); s.listen()
while True:
    c, _ = s.accept()
    $2
" &
	FL_PID=$!
	XT_PIDS+=("$FL_PID")
	xt_poll 3 xt_listening "$NS_S" "$1"
}

# xt_client_fails_within SECONDS PATTERN ARGS...: the client exits 1 within
# SECONDS with one line matching PATTERN on stderr and nothing on stdout.
xt_client_fails_within() {
	local limit=$1 pat=$2 t0 ms
	shift 2
	t0=$(xt_now_ms)
	xt_client_raw "$@"
	ms=$(($(xt_now_ms) - t0))
	xt_log "client gave up after $ms ms: $(head -n1 "$ERR")"
	[ "$RC" -eq 1 ] || { xt_fail "exit $RC, want 1: $(head -n1 "$ERR")"; return 1; }
	[ "$ms" -le $((limit * 1000)) ] || { xt_fail "took $ms ms, want <= $limit s"; return 1; }
	grep -qE "$pat" "$ERR" || { xt_fail "stderr does not say /$pat/: $(head -n1 "$ERR")"; return 1; }
	[ "$(grep -c . "$ERR")" -eq 1 ] || { xt_fail "more than one line on stderr: $(cat "$ERR")"; return 1; }
	case " $* " in
	*" --json "*) # the error as JSON on stdout, the same words
		jq -e --arg p "$pat" '.error | test($p)' "$OUT" >/dev/null ||
			{ xt_fail "JSON error does not say /$pat/: $(head -c 300 "$OUT")"; return 1; } ;;
	*) [ ! -s "$OUT" ] || { xt_fail "stdout not empty: $(head -n1 "$OUT")"; return 1; } ;;
	esac
	xt_check_san "$ERR"
}

# iperf3's server answers our hello with its PARAM_EXCHANGE state byte and
# waits: said at once, even with a long --connect-timeout; and when iperf3 is
# busy with another client it sends ACCESS_DENIED, which we name too.
test_foreign_iperf3() {
	xt_setup || return
	command -v iperf3 >/dev/null || { xt_skip "iperf3 not installed"; return 77; }
	local port ip3
	port=$(xt_port)
	ip netns exec "$NS_S" iperf3 -s -p "$port" >"$XT_TMP/iperf3.log" 2>&1 &
	ip3=$!
	XT_PIDS+=("$ip3")
	xt_poll 3 xt_listening "$NS_S" "$port" || { xt_fail "iperf3 not listening"; return 1; }
	xt_client_fails_within 3 "^xfr: $S4:$port is not an xfr server \(iperf3\?\)$" \
		--connect-timeout 1 -p "$port" "$S4" || return
	xt_client_fails_within 3 "is not an xfr server \\(iperf3\\?\\)" --json -t 1 -p "$port" "[$S6]" || return
	# iperf3 busy with a real client: ACCESS_DENIED.
	ip netns exec "$NS_C" iperf3 -c "$S4" -p "$port" -t 4 -b 10M >/dev/null 2>&1 &
	XT_PIDS+=($!)
	sleep 1
	xt_client_fails_within 3 "is not an xfr server \(iperf3, busy with another test\?\)$" -p "$port" "$S4" || return
	kill -0 "$ip3" || { xt_fail "iperf3 server died"; return 1; }
}

# Another protocol's banner is shown (escaped); a silent peer is named within
# the hello deadline (5 s), a peer that closes at once too.
test_foreign_other() {
	xt_setup || return
	local p1 p2 p3
	p1=$(xt_port) p2=$(xt_port) p3=$(xt_port)
	xt_foreign_listener "$p1" 'c.sendall(b"SSH-2.0-OpenSSH_9.2p1\x1b[31m\r\n"); time.sleep(1); c.close()' || return
	xt_foreign_listener "$p2" 'time.sleep(8); c.close()' || return
	xt_foreign_listener "$p3" 'c.close()' || return
	xt_client_fails_within 3 '^xfr: [0-9.]+:[0-9]+ is not an xfr server \(it sent "SSH-2.0-OpenSSH_9.2p1\\x1b\[31m"\)$' \
		-p "$p1" "$S4" || return
	xt_client_fails_within 7 "sent no hello in 5 s: not an xfr server" --connect-timeout 1 -p "$p2" "$S4" || return
	xt_client_fails_within 3 "closed the connection before its hello" -p "$p3" "$S4" || return
}

# xt_counted_all OUT: the receiver of a clean 10 Mbit/s UDP test counted every
# datagram the sender sent (none lost on a path with no loss). A second at
# 10 Mbit/s is 893 datagrams; the floor only says a test ran: the clock starts
# with the flows, so a sender woken late under CI's three files at once sends
# less (757 seen), and a late pacer does not catch up beyond one burst.
xt_counted_all() {
	xt_assert "$1" '.udp_stats.packets_sent > 600 and .udp_stats.lost == 0 and
		.udp_stats.packets_received == .udp_stats.packets_sent' \
		"sent/received/lost $(xt_jq "$1" '[.udp_stats.packets_sent, .udp_stats.packets_received, .udp_stats.lost]')"
}

# Item 1: auto picks live frames only toward a kernel receiver. Upload to a
# sockets-only server: the client sends through AF_XDP (or sockets) and the
# server counts everything; download to an unprivileged client: the server
# does the same. Before, live frames never reached the socket: 100 % loss, exit 0.
test_engine_auto_socket_receiver() {
	xt_setup || return
	command -v capsh >/dev/null || { xt_skip "capsh not installed"; return 77; }
	xt_server_start --engine socket || return
	xt_client -u --engine auto -b 10M -t 1 --json
	xt_client_ok && xt_json_ok "$OUT" || return
	xt_assert "$OUT" '.engine != "xdp" and .server_engine == "socket"' \
		"engines $(xt_jq "$OUT" '[.engine, .server_engine]')" || return
	xt_counted_all "$OUT" || return
	xt_server_stop || return
	SRV_PORT=
	xt_server_start --engine auto || return
	local drop=cap_bpf,cap_net_admin,cap_sys_admin,cap_perfmon,cap_net_raw
	timeout 20 ip netns exec "$NS_C" capsh --drop="$drop" -- -c \
		"$XFR -u -R --engine auto -b 10M -t 1 --json -p $SRV_PORT $S4" >"$XT_TMP/r.out" 2>"$XT_TMP/r.err"
	RC=$? OUT=$XT_TMP/r.out ERR=$XT_TMP/r.err
	[ "$RC" = 0 ] || { xt_fail "unprivileged -R client exited $RC: $(tail -n1 "$ERR")"; return 1; }
	xt_assert "$OUT" '.engine == "socket" and .server_engine != "xdp"' \
		"engines $(xt_jq "$OUT" '[.engine, .server_engine, .server_engine_note]')" || return
	grep -q "the peer receives on sockets" "$ERR" ||
		{ xt_fail "the server's reason is not shown: $(cat "$ERR")"; return 1; }
	xt_counted_all "$OUT" || return
	xt_server_stop
}

# Item 1, the loud part: a receiver that got nothing at all (nft drops every
# data datagram, the small hellos pass) fails the run with a note, in plain
# and JSON; the other direction of the same setup still passes.
test_nothing_arrived() {
	xt_setup || return
	xt_server_start || return
	ip netns exec "$NS_S" nft -f - <<-NFT || { xt_skip "nft cannot add rules"; return 77; }
		table inet xtbh {
			chain in { type filter hook input priority 0; udp dport $SRV_PORT ip length > 500 drop; }
		}
	NFT
	xt_client -u -b 10M -t 1
	[ "$RC" = 1 ] || { xt_fail "exit $RC for a test where nothing arrived, want 1"; return 1; }
	grep -q "^xfr: upload: the receiver got nothing of the [0-9]* bytes sent" "$ERR" ||
		{ xt_fail "not said on stderr: $(cat "$ERR")"; return 1; }
	grep -q "^note: upload: the receiver got nothing" "$OUT" ||
		{ xt_fail "no note in the summary: $(tail -n3 "$OUT")"; return 1; }
	xt_client -u -b 10M -t 1 --json
	[ "$RC" = 1 ] || { xt_fail "--json: exit $RC, want 1"; return 1; }
	xt_schema result "$OUT" || return
	xt_assert "$OUT" '.notes | any(test("^upload: the receiver got nothing"))' "notes $(xt_jq "$OUT" .notes)" || return
	xt_client -u -R -b 10M -t 1 --json
	xt_client_ok || return
	xt_assert "$OUT" '(.notes // []) | length == 0' "a clean download has notes: $(xt_jq "$OUT" .notes)" || return
	xt_server_stop
}

# Item 5: --drop-reasons on a download into a socket-engine client: the
# observer is attached before the server may send, so every receive-buffer
# drop is attributed (SOCKET_RCVBUFF = rcvbuf_drops = lost within 2 %) and
# the Path block shows it. Before, drops in the first second (while the
# client still loaded its BPF programs) went unexplained: 7314 of 27174.
test_drop_reasons_download_socket() {
	xt_setup || return
	xt_server_start --engine socket || return
	local before after lost ovfl reason
	before=$(xt_nstat0 "$NS_C" UdpRcvbufErrors)
	xt_client -u -R --drop-reasons -w 16K -b 2G -t 2 --json
	xt_client_ok && xt_json_ok "$OUT" || return
	after=$(xt_nstat0 "$NS_C" UdpRcvbufErrors)
	lost=$(xt_udp_stat "$OUT" lost)
	ovfl=$(xt_udp_stat "$OUT" rcvbuf_drops)
	reason=$(xt_jq "$OUT" '[.streams[] | .drops_by_reason.rx.SOCKET_RCVBUFF // 0] | add')
	xt_log "lost $lost, rcvbuf_drops $ovfl, SOCKET_RCVBUFF $reason, UdpRcvbufErrors +$((after - before))"
	[ "$ovfl" -ge 100 ] || { xt_skip "only $ovfl receive-buffer drops: the client kept up"; return 77; }
	[ $((ovfl * 100)) -ge $((lost * 98)) ] && [ "$ovfl" -le "$lost" ] ||
		{ xt_fail "rcvbuf_drops $ovfl, lost $lost: not within 2 %"; return 1; }
	[ $((reason * 100)) -ge $((lost * 98)) ] && [ "$reason" -le "$lost" ] ||
		{ xt_fail "SOCKET_RCVBUFF $reason, lost $lost: not within 2 %"; return 1; }
	[ $((after - before)) -gt 0 ] && [ $((after - before)) -le "$ovfl" ] ||
		{ xt_fail "UdpRcvbufErrors +$((after - before)) vs rcvbuf_drops $ovfl"; return 1; }
	xt_client -u -R --drop-reasons -w 16K -b 2G -t 1
	xt_client_ok || return
	grep -qE "^  dropped on receiver: SOCKET_RCVBUFF [1-9]" "$OUT" ||
		{ xt_fail "the Path block does not show the receiver's drops: $(grep -A2 '^Path' "$OUT")"; return 1; }
	xt_server_stop
}

# Item 4: a socket flood across veth keeps its GSO batches whole (veth has
# tx-udp-segmentation on): the datagram count is right, but they were never
# separate frames. The summary and JSON say so, naming the sender's link, for
# uploads and downloads; with USO off, --no-gso, or a paced flow whose
# batches hold one datagram, nothing is said.
test_udp_frames_note() {
	xt_setup || return
	xt_server_start || return
	local uso
	uso=$(ip netns exec "$NS_C" ethtool -k "$IF_C" 2>/dev/null | awk '/^tx-udp-segmentation:/ { print $2 }')
	[ "$uso" = on ] || { xt_skip "tx-udp-segmentation is '$uso' on $IF_C, not on"; return 77; }
	xt_client -u -b 0 -l 64 -t 1 --json
	xt_client_ok && xt_json_ok "$OUT" || return
	xt_assert "$OUT" ".gso_batches.iface == \"$IF_C\" and .gso_batches.datagrams_per_send > 1 and
		.gso_batches.datagrams <= .udp_stats.packets_sent and .gso_batches.sends < .gso_batches.datagrams" \
		"gso_batches $(xt_jq "$OUT" .gso_batches)" || return
	xt_client -u -b 0 -l 64 -t 1
	grep -q "^Frames: [0-9]* datagrams crossed $IF_C in [0-9]* GSO batches" "$OUT" ||
		{ xt_fail "no Frames line: $(tail -n3 "$OUT")"; return 1; }
	xt_client -u -R -b 0 -t 1 --json
	xt_client_ok || return
	xt_assert "$OUT" ".gso_batches.iface == \"$IF_S\" and .download.gso_batches.iface == \"$IF_S\"" \
		"download gso_batches $(xt_jq "$OUT" .gso_batches)" || return
	xt_client -u -b 0 -t 1 --json --no-gso
	xt_assert "$OUT" 'has("gso_batches") | not' "--no-gso has gso_batches" || return
	xt_client -u -b 10M -t 1 --json
	xt_assert "$OUT" 'has("gso_batches") | not' "a 10M flow (one datagram per batch) has gso_batches" || return
	ip netns exec "$NS_C" ethtool -K "$IF_C" tx-udp-segmentation off &&
		ip netns exec "$NS_S" ethtool -K "$IF_S" tx-udp-segmentation off || return
	xt_client -u -b 0 -t 1 --json --bidir
	xt_client_ok || return
	xt_assert "$OUT" '(.upload | has("gso_batches") | not) and (.download | has("gso_batches") | not)' \
		"USO off: $(xt_jq "$OUT" '[.upload.gso_batches, .download.gso_batches]')" || return
	xt_server_stop
}

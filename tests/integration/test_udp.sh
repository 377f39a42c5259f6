# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# UDP end to end across the veth pair: directions, streams, length of the test,
# byte budgets, pacing, datagram sizes, socket options and the UDP-only flags.
# Truth from nftables counters (packets and UDP lengths on the wire), ss and
# /proc. Paced rates keep every run loss-free, so counts can be exact. Where
# nft counts datagrams, UDP segmentation offload is off on the veth
# (xt_wire_datagrams): otherwise a GSO batch crosses the veth as one skb.

# tests/run.sh runs these alone: the first interval's rate and loss need the CPU
XT_SERIAL="test_udp_first_interval"

XT_UDP_KEYS='["packets_sent","packets_received","lost","lost_percent","out_of_order","duplicates",
	"jitter_ms","jitter_max_ms","rcvbuf_drops","packet_size"]'

# xt_udp_ok FILE DIRECTION: a valid UDP result document: schema, protocol,
# direction, every udp_stats key, sane loss arithmetic.
xt_udp_ok() {
	xt_json_ok "$1" || return
	xt_assert "$1" ".protocol == \"udp\" and .direction == \"$2\"" \
		"protocol/direction $(xt_jq "$1" '[.protocol,.direction]'), want udp/$2" || return
	xt_assert "$1" ".udp_stats as \$u | $XT_UDP_KEYS | all(. as \$k | \$u | has(\$k))" \
		"udp_stats lacks keys: $(xt_jq "$1" ".udp_stats as \$u | $XT_UDP_KEYS - (\$u | keys)")" || return
	xt_assert "$1" '.udp_stats | .lost >= 0 and .lost_percent >= 0 and .lost_percent <= 100 and
		(if .packets_received + .lost > 0 then
			(.lost_percent - .lost * 100 / (.packets_received + .lost)) | fabs < 0.01
		 else .lost_percent == 0 end)' \
		"lost_percent inconsistent: $(xt_jq "$1" '.udp_stats | [.lost,.packets_received,.lost_percent]')"
}

# Every stream and every interval carries its "udp" detail and the reference
# keys jitter_ms / lost on interval rows.
xt_udp_detail_ok() {
	xt_assert "$1" '[.streams[] | .udp | type == "object"] | all' "a stream has no udp object" || return
	xt_assert "$1" '(.intervals | length) > 0 and ([.intervals[] | has("jitter_ms") and has("lost")
		and (.udp | type == "object")] | all)' "interval rows lack jitter_ms/lost/udp" || return
}

# -u upload at 50 Mbit/s: every datagram is 1400 bytes (bytes_total ==
# packets_received * 1400); sent == received == the 1408-byte UDP packets that
# crossed the server's input hook, nothing lost; rate 50 +- 5 %.
test_udp_upload() {
	xt_setup || return
	xt_wire_datagrams || return
	xt_server_start || return
	xt_nft "$NS_S" in udp dport "$SRV_PORT" udp length 1408 counter comment '"data"' || return
	xt_client -u -t 2 -b 50M --json
	xt_client_ok || return
	xt_udp_ok "$OUT" upload || return
	xt_udp_detail_ok "$OUT" || return
	xt_assert "$OUT" '.udp_stats.packet_size == 1400 and .udp_stats.packets_received > 0 and
		.bytes_total == .udp_stats.packets_received * 1400' \
		"bytes_total $(xt_jq "$OUT" .bytes_total) != 1400 * packets_received $(xt_udp_stat "$OUT" packets_received)" || return
	local wire rx sent
	wire=$(xt_nft_count "$NS_S" data)
	rx=$(xt_udp_stat "$OUT" packets_received)
	sent=$(xt_udp_stat "$OUT" packets_sent)
	xt_log "wire $wire, sent $sent, received $rx, lost $(xt_udp_stat "$OUT" lost)"
	# Exact: every datagram sent reached the server's input and was counted;
	# none may be called lost (a receiver that stops before the sender's last
	# datagram arrives would report loss that never happened).
	[ "$sent" -eq "$wire" ] || { xt_fail "packets_sent $sent, $wire crossed the server's input (nft)"; return 1; }
	[ "$rx" -eq "$wire" ] && [ "$(xt_udp_stat "$OUT" lost)" -eq 0 ] ||
		{ xt_fail "received $rx and lost $(xt_udp_stat "$OUT" lost) of $wire datagrams that reached the server (nft), rcvbuf_drops $(xt_udp_stat "$OUT" rcvbuf_drops)"; return 1; }
	xt_within "$(xt_jq "$OUT" .throughput_mbps)" 47.5 52.5 ||
		{ xt_fail "-u -b 50M: $(xt_jq "$OUT" .throughput_mbps) Mbit/s"; return 1; }
	xt_server_stop
}

# -u -R: the server sends; the client's received count matches the datagrams
# that crossed the client's input hook from the server port.
test_udp_reverse() {
	xt_setup || return
	xt_wire_datagrams || return
	xt_server_start || return
	xt_nft "$NS_C" in udp sport "$SRV_PORT" udp length 1408 counter comment '"down"' || return
	xt_client -u -R -t 2 -b 50M --json
	xt_client_ok || return
	xt_udp_ok "$OUT" download || return
	xt_udp_detail_ok "$OUT" || return
	xt_assert "$OUT" '[.streams[].direction == "download"] | all' "stream direction not download" || return
	local wire rx
	wire=$(xt_nft_count "$NS_C" down)
	rx=$(xt_udp_stat "$OUT" packets_received)
	xt_log "wire $wire, received $rx, sent $(xt_udp_stat "$OUT" packets_sent)"
	# Every datagram that reached the client is received or, when the receiving thread
	# was late (a slow or sanitized build on a busy host), lost in its full socket
	# buffer and counted there: nothing is lost unexplained.
	local lost drops
	lost=$(xt_udp_stat "$OUT" lost)
	drops=$(xt_udp_stat "$OUT" rcvbuf_drops)
	[ "$rx" -gt 0 ] && [ $((rx + lost)) -eq "$wire" ] && [ "$lost" -eq "$drops" ] ||
		{ xt_fail "-R: received $rx and lost $lost of $wire datagrams that reached the client (nft), rcvbuf_drops $drops"; return 1; }
	[ "$(xt_udp_stat "$OUT" packets_sent)" -eq "$wire" ] ||
		{ xt_fail "-R: packets_sent $(xt_udp_stat "$OUT" packets_sent), $wire reached the client (nft)"; return 1; }
	xt_assert "$OUT" '.bytes_total == .udp_stats.packets_received * 1400' \
		"-R: bytes_total $(xt_jq "$OUT" .bytes_total) != 1400 * $rx" || return
	xt_within "$(xt_jq "$OUT" .throughput_mbps)" 47.5 52.5 ||
		{ xt_fail "-u -R -b 50M: $(xt_jq "$OUT" .throughput_mbps) Mbit/s"; return 1; }
	xt_server_stop
}

# --bidir -P 2: two flows each way, both directions moved data.
test_udp_bidir() {
	xt_setup || return
	xt_server_start || return
	xt_client -u --bidir -P 2 -t 2 -b 40M --json
	xt_client_ok || return
	xt_udp_ok "$OUT" bidir || return
	xt_assert "$OUT" '.bytes_sent > 0 and .bytes_received > 0 and .bytes_total == .bytes_sent + .bytes_received' \
		"bidir bytes: $(xt_jq "$OUT" '[.bytes_total,.bytes_sent,.bytes_received]')" || return
	xt_assert "$OUT" '([.streams[] | select(.direction == "upload")] | length) == 2 and
		([.streams[] | select(.direction == "download")] | length) == 2' \
		"expected 2 upload + 2 download stream entries: $(xt_jq "$OUT" '[.streams[].direction]')" || return
	xt_assert "$OUT" '[.streams[] | .bytes > 0 and .udp.packets_received > 0] | all' \
		"a bidir flow received nothing: $(xt_jq "$OUT" '[.streams[] | [.direction, .bytes]]')" || return
	xt_assert "$OUT" '.upload.receiver.bytes > 0 and .download.receiver.bytes > 0' \
		"upload/download objects missing or empty" || return
	xt_server_stop
}

# -P 3 -b 30M: three flows of ~10 Mbit/s (the rate is the total), ids 0..2,
# the streams add up to the total.
test_udp_parallel() {
	xt_setup || return
	xt_server_start || return
	xt_client -u -P 3 -t 2 -b 30M --json
	xt_client_ok || return
	xt_udp_ok "$OUT" upload || return
	xt_udp_detail_ok "$OUT" || return
	xt_assert "$OUT" '.num_streams == 3 and ([.streams[].id] | sort) == [0,1,2]' \
		"streams $(xt_jq "$OUT" '[.streams[].id]')" || return
	xt_assert "$OUT" '([.streams[].bytes] | add) == .bytes_total' "streams do not add up to bytes_total" || return
	xt_assert "$OUT" '([.streams[].udp.packets_received] | add) == .udp_stats.packets_received' \
		"stream packets do not add up to udp_stats.packets_received" || return
	xt_assert "$OUT" '[.streams[].throughput_mbps | . > 9 and . < 11] | all' \
		"per-stream rates $(xt_jq "$OUT" '[.streams[].throughput_mbps]'), want ~10 each" || return
	xt_within "$(xt_jq "$OUT" .throughput_mbps)" 28.5 31.5 ||
		{ xt_fail "-P 3 -b 30M: $(xt_jq "$OUT" .throughput_mbps) Mbit/s in total"; return 1; }
	xt_server_stop
}

# -t 0 until SIGINT: exit 130 with a valid partial UDP result.
test_udp_time0_sigint() {
	xt_setup || return
	xt_server_start || return
	local out=$XT_TMP/inf.out err=$XT_TMP/inf.err
	xt_client_bg "$out" "$err" -u -t 0 -b 20M --json -p "$SRV_PORT" "$S4"
	sleep 2
	kill -INT "$CLI_PID"
	xt_wait_exit "$CLI_PID" 6 || { xt_fail "client still running 6 s after SIGINT"; return 1; }
	[ "$XT_EXIT" -eq 130 ] || { xt_fail "exit $XT_EXIT after SIGINT, want 130: $(tail -n1 "$err")"; return 1; }
	xt_check_san "$err" || return
	xt_json_ok "$out" || return
	xt_assert "$out" '.interrupted == true and .protocol == "udp"' "interrupted/protocol wrong" || return
	xt_assert "$out" '.bytes_total > 0 and .udp_stats.packets_received > 0' "nothing received in ~2 s" || return
	xt_within "$(xt_jq "$out" .duration_ms)" 1500 3500 ||
		{ xt_fail "duration_ms $(xt_jq "$out" .duration_ms) for a ~2 s run"; return 1; }
	xt_server_alive || return
	xt_server_stop
}

# -n 1M at a modest rate: whole datagrams, exactly 1 MiB delivered; 1 MiB /
# 1400 = 748 full datagrams and one of 1376 bytes (749 packets).
test_udp_bytes() {
	xt_setup || return
	xt_server_start || return
	local args
	for args in "-n 1M" "-n 1M -R" "-n 1M -P 2"; do
		# shellcheck disable=SC2086
		xt_client -u -b 20M $args --json
		xt_client_ok || return
		xt_json_ok "$OUT" || return
		xt_assert "$OUT" '.bytes_total == 1048576 and .udp_stats.lost == 0' \
			"$args: bytes_total $(xt_jq "$OUT" .bytes_total), lost $(xt_udp_stat "$OUT" lost); want 1048576, 0" || return
		xt_assert "$OUT" '.sender.bytes == 1048576 and .receiver.bytes == 1048576' \
			"$args: sender/receiver bytes $(xt_jq "$OUT" '[.sender.bytes,.receiver.bytes]')" || return
	done
	xt_client -u -b 20M -n 1M --json
	xt_assert "$OUT" '.udp_stats.packets_received == 749 and .udp_stats.packets_sent == 749' \
		"-n 1M: packets sent/received $(xt_jq "$OUT" '.udp_stats | [.packets_sent,.packets_received]'), want 749" || return
	xt_server_stop
}

# --bidir -n: each direction sends its budget, however much sooner the other
# ends. The server's egress is limited to 10 Mbit/s, so the client's upload
# (1 MiB at 40 Mbit/s, 0.2 s) is through half a second before the download,
# whose sender waits on its socket buffer (tbf's queue holds the whole MiB:
# nothing is dropped there); the client's finish must not cut the server's
# half short.
test_udp_bidir_bytes_slow_download() {
	xt_setup || return
	tc -n "$NS_S" qdisc replace dev "$IF_S" root tbf rate 10mbit burst 16k latency 2s || return
	xt_server_start || return
	xt_client -u --bidir -b 40M -n 1M --json
	xt_client_ok || return
	xt_json_ok "$OUT" || return
	xt_bidir_exact "$OUT" 749 || return
	xt_server_stop
}

# -b is the total rate: 20 Mbit/s +- 5 % alone, across 2 streams, and sent
# by the server with -R.
test_udp_bitrate() {
	xt_plain_only || return
	xt_setup || return
	xt_server_start || return
	local args v
	for args in "-b 20M" "-b 20M -P 2" "-b 20M -R" "-b 20000K"; do
		# shellcheck disable=SC2086
		xt_client -u -t 3 $args --json
		xt_client_ok || return
		v=$(xt_jq "$OUT" .throughput_mbps)
		xt_within "$v" 19 21 || { xt_fail "-u $args: $v Mbit/s, want 20 +- 5 %"; return 1; }
	done
	xt_server_stop
}

# -l 200 and --packet-size 9000 (MTU 9000 on both veth ends): the datagrams
# on the wire have exactly that UDP payload size (nft "udp length" = size + 8).
test_udp_length() {
	xt_setup || return
	xt_wire_datagrams || return
	ip -n "$NS_C" link set "$IF_C" mtu 9000 && ip -n "$NS_S" link set "$IF_S" mtu 9000 || return
	xt_server_start || return
	xt_nft "$NS_S" in udp dport "$SRV_PORT" udp length 208 counter comment '"l200"' || return
	xt_nft "$NS_S" in udp dport "$SRV_PORT" udp length 9008 counter comment '"l9000"' || return
	xt_client -u -l 200 -t 1 -b 10M --json
	xt_client_ok || return
	xt_udp_ok "$OUT" upload || return
	xt_assert "$OUT" '.udp_stats.packet_size == 200 and .bytes_total == .udp_stats.packets_received * 200' \
		"-l 200: packet_size $(xt_udp_stat "$OUT" packet_size), bytes $(xt_jq "$OUT" .bytes_total)" || return
	[ "$(xt_nft_count "$NS_S" l200)" -ge "$(xt_udp_stat "$OUT" packets_received)" ] &&
		[ "$(xt_udp_stat "$OUT" packets_received)" -gt 1000 ] ||
		{ xt_fail "-l 200: $(xt_nft_count "$NS_S" l200) 208-byte UDP packets on the wire, $(xt_udp_stat "$OUT" packets_received) received"; return 1; }
	xt_client -u --packet-size 9000 -t 1 -b 50M --json
	xt_client_ok || return
	xt_udp_ok "$OUT" upload || return
	xt_assert "$OUT" '.udp_stats.packet_size == 9000 and .bytes_total == .udp_stats.packets_received * 9000' \
		"--packet-size 9000: packet_size $(xt_udp_stat "$OUT" packet_size), bytes $(xt_jq "$OUT" .bytes_total)" || return
	[ "$(xt_nft_count "$NS_S" l9000)" -ge "$(xt_udp_stat "$OUT" packets_received)" ] &&
		[ "$(xt_udp_stat "$OUT" packets_received)" -gt 300 ] ||
		{ xt_fail "--packet-size 9000: $(xt_nft_count "$NS_S" l9000) 9008-byte UDP packets on the wire, $(xt_udp_stat "$OUT" packets_received) received"; return 1; }
	xt_within "$(xt_udp_stat "$OUT" lost_percent)" 0 0.5 ||
		{ xt_fail "--packet-size 9000 lost $(xt_udp_stat "$OUT" lost_percent) % on MTU 9000"; return 1; }
	xt_server_stop
}

# --dscp EF on the client's datagrams; -R --dscp CS1: the server marks its own.
test_udp_dscp() {
	xt_setup || return
	xt_wire_datagrams || return
	xt_server_start || return
	xt_nft "$NS_S" in udp dport "$SRV_PORT" ip dscp ef counter comment '"s_ef"' || return
	xt_nft "$NS_S" in udp dport "$SRV_PORT" ip dscp != ef counter comment '"s_other"' || return
	xt_nft "$NS_C" in udp sport "$SRV_PORT" ip dscp cs1 counter comment '"c_cs1"' || return
	xt_client -u -t 1 -b 10M --dscp EF --json
	xt_client_ok || return
	local ef other
	ef=$(xt_nft_count "$NS_S" s_ef)
	other=$(xt_nft_count "$NS_S" s_other)
	[ "$ef" -ge "$(xt_udp_stat "$OUT" packets_received)" ] && [ "$ef" -gt 500 ] ||
		{ xt_fail "--dscp EF: $ef EF datagrams reached the server, $(xt_udp_stat "$OUT" packets_received) received"; return 1; }
	[ "$other" -le 5 ] || { xt_fail "--dscp EF: $other datagrams without EF (hello aside)"; return 1; }
	xt_client -u -R -t 1 -b 10M --dscp CS1 --json
	xt_client_ok || return
	[ "$(xt_nft_count "$NS_C" c_cs1)" -gt 500 ] ||
		{ xt_fail "-R --dscp CS1: server marked only $(xt_nft_count "$NS_C" c_cs1) datagrams CS1"; return 1; }
	xt_server_stop
}

# ss -uamn in NS: a UDP socket on PORT shows skmem rbVALUE (tb on the sender).
xt_udp_skmem_has() { # NS PORT FIELD VALUE
	ip netns exec "$1" ss -Huamn "( sport = :$2 or dport = :$2 )" 2>/dev/null |
		grep -qE "$3($4)[,)]"
}

# -w 256K: SO_RCVBUF/SO_SNDBUF of the data sockets at both ends (the kernel
# doubles it: rb524288).
test_udp_window() {
	xt_setup || return
	xt_server_start || return
	local out=$XT_TMP/w.out err=$XT_TMP/w.err ok_c=0 ok_s=0 i rb
	# net.core.rmem_max is per namespace since 6.2; on older kernels only the host has it.
	rb=$(ip netns exec "$NS_S" sysctl -n net.core.rmem_max 2>/dev/null || sysctl -n net.core.rmem_max)
	rb="524288|$((2 * (rb < 262144 ? rb : 262144)))"
	xt_client_bg "$out" "$err" -u -t 2 -b 10M -w 256K --json -p "$SRV_PORT" "$S4"
	for ((i = 0; i < 30; i++)); do
		xt_udp_skmem_has "$NS_C" "$SRV_PORT" rb "$rb" && ok_c=1
		xt_udp_skmem_has "$NS_S" "$SRV_PORT" rb "$rb" && ok_s=1
		[ $ok_c = 1 ] && [ $ok_s = 1 ] && break
		sleep 0.05
	done
	xt_wait_exit "$CLI_PID" 10 || { xt_fail "client hung"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "client exit $XT_EXIT: $(tail -n1 "$err")"; return 1; }
	xt_udp_ok "$out" upload || return
	[ $ok_c = 1 ] || { xt_fail "client UDP socket never showed rb 524288 (ss -uam)"; return 1; }
	[ $ok_s = 1 ] || { xt_fail "server UDP socket never showed rb 524288 (ss -uam)"; return 1; }
	xt_server_stop
}

# --cport 40000 -P 2: the two flows leave from 40000 and 40001.
test_udp_cport() {
	xt_setup || return
	xt_wire_datagrams || return
	xt_server_start || return
	xt_nft "$NS_S" in udp sport 40000 udp dport "$SRV_PORT" counter comment '"p0"' || return
	xt_nft "$NS_S" in udp sport 40001 udp dport "$SRV_PORT" counter comment '"p1"' || return
	xt_nft "$NS_S" in udp sport != '{ 40000, 40001 }' udp dport "$SRV_PORT" counter comment '"px"' || return
	xt_client -u -t 1 -P 2 -b 10M --cport 40000 --json
	xt_client_ok || return
	xt_udp_ok "$OUT" upload || return
	[ "$(xt_nft_count "$NS_S" p0)" -gt 200 ] && [ "$(xt_nft_count "$NS_S" p1)" -gt 200 ] ||
		{ xt_fail "datagrams from sport 40000: $(xt_nft_count "$NS_S" p0), 40001: $(xt_nft_count "$NS_S" p1)"; return 1; }
	[ "$(xt_nft_count "$NS_S" px)" -eq 0 ] ||
		{ xt_fail "$(xt_nft_count "$NS_S" px) datagrams from other source ports"; return 1; }
	xt_server_stop
}

# --random / --zeros: the 8 payload bytes after the 16-byte header are zero in
# (nearly) every datagram with --zeros and in (nearly) none with --random.
test_udp_payload() {
	xt_setup || return
	xt_wire_datagrams || return
	xt_server_start || return
	xt_nft "$NS_S" in udp dport "$SRV_PORT" udp length 1408 @th,192,64 0 counter comment '"zero"' || return
	local z
	xt_client -u -b 20M -n 1M --random --json
	xt_client_ok || return
	xt_assert "$OUT" '.bytes_total == 1048576' "--random: bytes_total $(xt_jq "$OUT" .bytes_total)" || return
	z=$(xt_nft_count "$NS_S" zero)
	[ "$z" -le 2 ] || { xt_fail "--random: $z datagrams with a zero payload"; return 1; }
	xt_client -u -b 20M -n 1M --zeros --json
	xt_client_ok || return
	xt_assert "$OUT" '.bytes_total == 1048576' "--zeros: bytes_total $(xt_jq "$OUT" .bytes_total)" || return
	z=$(($(xt_nft_count "$NS_S" zero) - z))
	[ "$z" -ge 748 ] || { xt_fail "--zeros: only $z of 748 full datagrams had a zero payload"; return 1; }
	xt_server_stop
}

# xt_thread_on_cpu PID LIST: some thread of PID is pinned to exactly LIST.
xt_thread_on_cpu() {
	grep -h '^Cpus_allowed_list:' /proc/"$1"/task/*/status 2>/dev/null | grep -qx "Cpus_allowed_list:[[:space:]]*$2"
}

# --affinity 0 pins the client's stream thread to CPU 0 (seen in /proc while it
# runs); --busy-poll 50 and --no-gso still deliver a budget exactly.
test_udp_affinity_busypoll_nogso() {
	xt_setup || return
	xt_server_start || return
	local out=$XT_TMP/a.out err=$XT_TMP/a.err pinned=0 i pid all
	all=$(awk -F: '/^Cpus_allowed_list/ { gsub(/[ \t]/, "", $2); print $2 }' /proc/self/status)
	xt_client_bg "$out" "$err" -u -t 2 -b 10M --affinity 0 --json -p "$SRV_PORT" "$S4"
	for ((i = 0; i < 30; i++)); do
		# The xfr process is the child of ip netns exec (which execs it).
		pid=$CLI_PID
		if [ "$all" != 0 ] && xt_thread_on_cpu "$pid" 0; then
			pinned=1
			break
		fi
		sleep 0.05
	done
	xt_wait_exit "$CLI_PID" 10 || { xt_fail "client hung"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "--affinity 0: exit $XT_EXIT: $(tail -n1 "$err")"; return 1; }
	xt_udp_ok "$out" upload || return
	[ "$all" = 0 ] || [ $pinned = 1 ] ||
		{ xt_fail "--affinity 0: no client thread pinned to CPU 0 (/proc/PID/task/*/status)"; return 1; }
	local args
	for args in "--busy-poll 50" "--no-gso" "--affinity 0-1 -P 2"; do
		# shellcheck disable=SC2086
		xt_client -u -b 20M -n 1M $args --json
		xt_client_ok || return
		xt_assert "$OUT" '.bytes_total == 1048576 and .udp_stats.lost == 0' \
			"$args: bytes_total $(xt_jq "$OUT" .bytes_total), lost $(xt_udp_stat "$OUT" lost)" || return
	done
	xt_server_stop
}

# Usage errors: exit 2, exactly one line on stderr, nothing on stdout, before
# any connection (port 1 would refuse: exit 1).
test_udp_bad_arguments() {
	[ -x "$XFR" ] || { xt_fail "$XFR not built"; return 1; }
	local inv rc bad=0 out=$XT_TMP/bad.out err=$XT_TMP/bad.err
	for inv in "-u -l 10" "-u -l 63" "-u -l 70000" "-u --packet-size 65508" "-u -Z" \
		"-u --zerocopy=msg" "-u --mptcp" "--probe-mtu -R" "--probe-mtu --bidir" "--probe-mtu -P 2" \
		"-u --affinity x" "-u --affinity 1-0" "-u --busy-poll -1" "-u --busy-poll x"; do
		# shellcheck disable=SC2086
		timeout 5 "$XFR" $inv -p 1 127.0.0.1 >"$out" 2>"$err"
		rc=$?
		if [ $rc -ne 2 ] || [ "$(wc -l <"$err")" -ne 1 ] || [ -s "$out" ]; then
			xt_log "xfr $inv: exit $rc, $(wc -l <"$err") stderr lines: $(head -c 200 "$err")"
			[ $bad = 0 ] && xt_fail "xfr $inv: exit $rc (want 2), $(wc -l <"$err") stderr lines (want 1): $(head -n1 "$err")"
			bad=1
		fi
	done
	return $bad
}

# Hostile UDP (bad-input catalogue 3.3 N7/N8: random, short, wrong-token and
# feedback-shaped datagrams to the server's port, and our own UDP test whose
# acknowledged flow gets junk) while a legitimate UDP test runs: that test
# completes with nothing lost, the server stays up and takes a new test.
test_udp_hostile() {
	xt_setup || return
	xt_server_start --log-level debug || return
	local out=$XT_TMP/legit.out err=$XT_TMP/legit.err hrc legit
	xt_client_bg "$out" "$err" -u -t 4 -b 20M --json -p "$SRV_PORT" "$S4"
	legit=$CLI_PID
	sleep 0.3
	ip netns exec "$NS_C" "$XT_PY" "$XT_ROOT/tests/integration/hostile.py" "$S4" "$SRV_PORT" udp \
		>"$XT_TMP/hostile.out" 2>&1
	hrc=$?
	cat "$XT_TMP/hostile.out"
	xt_wait_exit "$legit" 15 || { xt_fail "legitimate UDP client hung beside hostile datagrams"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "legitimate UDP client exit $XT_EXIT: $(tail -n1 "$err")"; return 1; }
	xt_check_san "$err" || return
	xt_udp_ok "$out" upload || return
	xt_assert "$out" '.udp_stats.packets_received > 0 and .udp_stats.lost_percent < 1 and .udp_stats.duplicates == 0' \
		"legitimate test disturbed: $(xt_jq "$out" '.udp_stats | [.packets_received,.lost_percent,.duplicates]')" || return
	xt_server_alive || return
	[ $hrc -eq 0 ] || {
		xt_fail "$(grep -c '^FAIL' "$XT_TMP/hostile.out") hostile UDP case(s) failed, first: $(grep -m1 '^FAIL' "$XT_TMP/hostile.out" | cut -c1-220)"
		return 1
	}
	xt_client -u -b 20M -n 1M --json
	xt_client_ok || return
	xt_assert "$OUT" '.bytes_total == 1048576' "after the hostile run: bytes_total $(xt_jq "$OUT" .bytes_total)" || return
	xt_server_stop
}

# xt_csv_col FILE TYPE NAME: the value of column NAME in the first row of
# type TYPE (interval, summary, ...) of a --csv table.
xt_csv_col() {
	awk -F, -v type="$2" -v name="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
		$1 == type && c { print $c; exit }' "$1"
}

# --json-stream and --csv carry the UDP figures: every stream line passes the
# schema, interval events have jitter_ms and lost, the end result has
# udp_stats; the CSV summary row has jitter_ms, lost, lost_percent and the
# packet size.
test_udp_outputs() {
	xt_setup || return
	xt_server_start || return
	xt_client -u -t 2 -b 20M --json-stream
	xt_client_ok || return
	xt_schema stream "$OUT" || return
	[ "$(tail -n1 "$OUT" | jq -r .event)" = end ] || { xt_fail "last json-stream line is not the end event"; return 1; }
	jq -s -e '[.[] | select(.event == "interval")] | length > 0 and (map(has("jitter_ms") and has("lost")) | all)' \
		"$OUT" >/dev/null || { xt_fail "json-stream interval events lack jitter_ms/lost"; return 1; }
	tail -n1 "$OUT" | jq -e '.result.protocol == "udp" and .result.udp_stats.packets_received > 0' >/dev/null ||
		{ xt_fail "json-stream end result has no udp_stats"; return 1; }
	xt_client -u -t 2 -b 20M --csv
	xt_client_ok || return
	local v c
	for c in jitter_ms lost lost_percent packets_received packet_size; do
		v=$(xt_csv_col "$OUT" summary $c)
		[[ $v =~ ^[0-9.]+$ ]] || { xt_fail "CSV summary $c = '$v'"; return 1; }
	done
	[ "$(xt_csv_col "$OUT" summary packet_size)" = 1400 ] || { xt_fail "CSV packet_size $(xt_csv_col "$OUT" summary packet_size)"; return 1; }
	[ "$(xt_csv_col "$OUT" interval jitter_ms)" != "" ] || { xt_fail "CSV interval row has no jitter_ms"; return 1; }
	xt_client -u -t 1 -b 10M
	xt_client_ok || return
	grep -qiE 'jitter' "$OUT" && grep -qiE 'lost|loss' "$OUT" ||
		{ xt_fail "plain UDP output shows no jitter/loss: $(tail -n3 "$OUT" | tr '\n' '|')"; return 1; }
	xt_server_stop
}

# UDP over IPv6 (single-port hello/ack on the v6 socket): exact budgets both
# ways; the plain test runs over v4, so this is the v6 data path.
test_udp_ipv6() {
	xt_setup || return
	xt_server_start || return
	local args
	for args in "-n 1M" "-n 1M -R"; do
		# shellcheck disable=SC2086
		xt_client_raw -u -b 20M $args --json -p "$SRV_PORT" "$S6"
		xt_client_ok || return
		xt_json_ok "$OUT" || return
		xt_assert "$OUT" '.bytes_total == 1048576 and .udp_stats.lost == 0 and .udp_stats.packets_received == 749' \
			"-6 $args: bytes_total $(xt_jq "$OUT" .bytes_total), udp_stats $(xt_jq "$OUT" '.udp_stats | [.packets_received,.lost]')" || return
	done
	xt_server_stop
}

# Issue 16, item 3: the pacer starts with ~1 ms of credit, not its 20 ms
# bucket, which went out as one burst and overflowed the receiver's buffer
# (-R -b 100M -i 0.1: 81 of 1064 datagrams lost in the first 0.1 s, and that
# interval 2-10 % over the rate). Both directions, 200 Mbit/s path: the first
# interval loses nothing and runs at 100 Mbit/s within 6 % (measured 100.4-101.2
# over 6 runs each way; before the fix 102-110 with 81 lost).
test_udp_first_interval() {
	xt_plain_only || return
	xt_setup 200mbit || return
	xt_server_start || return
	local args lost drops mbps
	for args in "-R" ""; do
		# shellcheck disable=SC2086
		xt_client -u $args -b 100M -i 0.1 -t 1 --json
		xt_client_ok || return
		lost=$(xt_jq "$OUT" '.intervals[0].udp.lost')
		drops=$(xt_jq "$OUT" '.udp_stats.rcvbuf_drops')
		mbps=$(xt_jq "$OUT" '.intervals[0].throughput_mbps')
		xt_log "-u $args: first 0.1 s: $mbps Mbit/s, lost $lost; whole test: $drops dropped by a full receive buffer"
		# A receiver starved of CPU by the tests beside this one overflows its
		# buffer, and the kernel says so (SO_RXQ_OVFL); a datagram lost any
		# other way at the start (sent before the receiver was ready) is the
		# defect this test is for.
		[ "$lost" -le "$drops" ] ||
			{ xt_fail "-u $args: $lost datagrams lost in the first 0.1 s, $drops of the test's dropped by a full receive buffer"; return 1; }
		xt_within "$mbps" 94 106 || {
			xt_fail "-u $args: first 0.1 s at $mbps Mbit/s, paced to 100"
			return 1
		}
	done
	xt_server_stop
}

# Issue 16, item 6: -b with --bidir is per direction (the reference's and
# iperf3's meaning): -b 40M moves 40 Mbit/s each way, on 1 and 2 streams.
test_udp_bidir_rate_per_direction() {
	xt_plain_only || return
	xt_setup 200mbit || return
	xt_server_start || return
	local args up down
	for args in "--bidir -b 40M" "--bidir -P 2 -b 40M"; do
		# shellcheck disable=SC2086
		xt_client -u $args -t 2 --json
		xt_client_ok || return
		up=$(xt_jq "$OUT" .throughput_send_mbps)
		down=$(xt_jq "$OUT" .throughput_recv_mbps)
		xt_log "-u $args: upload $up, download $down Mbit/s"
		xt_within "$up" 37 43 && xt_within "$down" 37 43 || {
			xt_fail "-u $args: upload $up, download $down Mbit/s, want 40 each"
			return 1
		}
	done
	xt_server_stop
}

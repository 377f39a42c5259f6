# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Numbers against independent truths: a tbf rate and iperf3 on the same path,
# and -b pacing on an otherwise unlimited veth.

# iperf3 upload through the path; prints receiver Mbit/s.
xt_iperf3_mbps() { # extra iperf3 client args...
	local port
	port=$(xt_port)
	ip netns exec "$NS_S" iperf3 -s -1 -p "$port" >"$XT_TMP/ip3s.log" 2>&1 &
	XT_PIDS+=("$!")
	xt_poll 3 xt_listening "$NS_S" "$port" || { echo 0; return 1; }
	ip netns exec "$NS_C" timeout 20 iperf3 -c "$S4" -p "$port" -t 5 -J "$@" >"$XT_TMP/ip3.json" 2>/dev/null
	jq '.end.sum_received.bits_per_second / 1e6' "$XT_TMP/ip3.json" 2>/dev/null || echo 0
}

# tbf 200 Mbit/s on the client's egress: xfr's receiver throughput within
# +-5 % of iperf3's receiver bits_per_second, both ~190 Mbit/s. The pair runs
# once more if it misses: the VM's scheduling noise can hit either run.
test_truth_vs_iperf3() {
	xt_plain_only || return
	xt_setup || return
	command -v iperf3 >/dev/null || { xt_skip "iperf3 not installed"; return 77; }
	xt_tbf client 200mbit || return
	xt_server_start || return
	local try ip3 x ratio
	for try in 1 2; do
		ip3=$(xt_iperf3_mbps)
		xt_client -t 5 --json
		xt_client_ok || return
		xt_json_ok "$OUT" || return
		x=$(xt_jq "$OUT" .receiver.throughput_mbps)
		ratio=$(awk -v x="$x" -v i="$ip3" 'BEGIN { if (i > 0) printf "%.3f", x / i; else print 0 }')
		xt_log "try $try: iperf3 $ip3 Mbit/s, xfr $x Mbit/s, ratio $ratio"
		if xt_within "$ratio" 0.95 1.05 && xt_within "$ip3" 170 205; then
			xt_within "$x" 170 205 || { xt_fail "xfr $x Mbit/s through a 200 Mbit/s tbf"; return 1; }
			xt_server_stop
			return
		fi
	done
	xt_fail "xfr $x vs iperf3 $ip3 Mbit/s (ratio $ratio) through tbf 200mbit, twice"
}

# Same with -R: tbf on the server's egress.
test_truth_reverse_tbf() {
	xt_setup || return
	xt_tbf server 100mbit || return
	xt_server_start || return
	xt_client -t 3 -R --json
	xt_client_ok || return
	xt_json_ok "$OUT" || return
	xt_within "$(xt_jq "$OUT" .receiver.throughput_mbps)" 88 102 ||
		{ xt_fail "-R through tbf 100mbit: $(xt_jq "$OUT" .receiver.throughput_mbps) Mbit/s"; return 1; }
	xt_server_stop
}

# -b 50M on a ~20 Gbit/s veth. Noise measured here with iperf3 -b 50M over
# 2 s: 50.31, 50.33, 50.32 Mbit/s (< 1 %), so +-5 % leaves room for the VM.
# -b is the TOTAL: -P 4 -b 50M is still 50 Mbit/s; -R paces on the server.
test_bitrate() {
	xt_plain_only || return
	xt_setup || return
	xt_server_start || return
	local args v
	for args in "-b 50M" "-b 50M -P 4" "-b 50M -R" "-b 50000K"; do
		# shellcheck disable=SC2086
		xt_client -t 3 $args --json
		xt_client_ok || return
		v=$(xt_jq "$OUT" .receiver.throughput_mbps)
		xt_within "$v" 47.5 52.5 || { xt_fail "$args: $v Mbit/s, want 50 +- 5 %"; return 1; }
	done
	xt_server_stop
}

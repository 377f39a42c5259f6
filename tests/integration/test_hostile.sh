# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Hostile peers (bad-input catalogue 3.1 C1-C10/C12, 3.3 N1/N2/N5, 3.4 F4)
# against a server that is running a legitimate test at the same time. For each
# group: the legitimate test completes with a valid result and throughput > 0,
# the server stays up and accepts a new test, and hostile.py has checked the
# error replies and the server's log line per bad peer.

# xt_hostile_group GROUP [hostile.py options]; XT_HOSTILE_SERVE: more serve options
xt_hostile_group() {
	local group=$1 out=$XT_TMP/legit.out err=$XT_TMP/legit.err hrc
	shift
	xt_setup || return
	# shellcheck disable=SC2086 # a list of options
	xt_server_start --log-level debug ${XT_HOSTILE_SERVE:-} || return
	xt_client_bg "$out" "$err" -t 4 --json -p "$SRV_PORT" "$S4"
	local legit=$CLI_PID
	sleep 0.3
	ip netns exec "$NS_C" "$XT_PY" "$XT_ROOT/tests/integration/hostile.py" --log "$SRV_ERR" "$@" \
		"$S4" "$SRV_PORT" "$group" >"$XT_TMP/hostile.out" 2>&1
	hrc=$?
	cat "$XT_TMP/hostile.out"
	xt_wait_exit "$legit" 15 || { xt_fail "legitimate client hung beside hostile peers"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "legitimate client exit $XT_EXIT: $(tail -n1 "$err")"; return 1; }
	xt_check_san "$err" || return
	xt_json_ok "$out" || return
	xt_assert "$out" '.throughput_mbps > 0 and .bytes_total > 0' "legitimate test moved nothing" || return
	xt_server_alive || return
	[ $hrc -eq 0 ] || {
		xt_fail "$(grep -c '^FAIL' "$XT_TMP/hostile.out") hostile case(s) failed, first: $(grep -m1 '^FAIL' "$XT_TMP/hostile.out" | cut -c1-220)"
		return 1
	}
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop
}

# C1, C4-C10, C12, N5, F4: quick cases one after the other (~2 s in all).
test_hostile_control() {
	xt_hostile_group fast
}

# C2 truncated line held open, N1 slow-loris (1 byte / 4 s), N2 200 idle
# connections: all at once, closed by the first-line deadline (~5 s). They all
# come from one address: without --max-pending-per-ip 0 the per-address limit
# would refuse all but 8 at once (test_limits.sh tests that); here it is the
# deadline's turn.
test_hostile_slow() {
	XT_HOSTILE_SERVE="--max-pending-per-ip 0" xt_hostile_group slow --parallel
}

# Defect 1 of the server-safety issue: connections dropped at the first-line
# deadline while the same batch of events still pointed at them (use after
# free, double free). 4 rounds of 300 trickling 60 KB lines, ~30 s.
test_hostile_deadline_batch() {
	xt_hostile_group deadline
}

# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# xfr serve on a public address: budgets and limits (issue 9). Each limit is
# enforced and each refusal reaches the client as an error line that says why
# (never a silent close). Raw peers come from hostile.py's lim_* and d*_ cases;
# a second client address (C4B) on the client's veth plays the real user.

# xl_second_addr: C4B, a second client address on the client's veth.
xl_second_addr() {
	C4B=${C4%.*}.3
	ip -n "$NS_C" addr add "$C4B/24" dev "$IF_C" || { xt_fail "cannot add $C4B"; return 1; }
}

# xl_hostile CASE [VAR=VALUE...]: one hostile.py case against the server, from C4.
xl_hostile() {
	local case=$1
	shift
	env "$@" ip netns exec "$NS_C" "$XT_PY" "$XT_ROOT/tests/integration/hostile.py" \
		--log "$SRV_ERR" "$S4" "$SRV_PORT" "$case" >"$XT_TMP/$case.out" 2>&1
	local rc=$?
	cat "$XT_TMP/$case.out"
	[ $rc -eq 0 ] || { xt_fail "$(grep -m1 '^FAIL' "$XT_TMP/$case.out" | cut -c1-240)"; return 1; }
}

# xl_hostile_bg CASE [VAR=VALUE...]: the same in the background; sets HPID.
xl_hostile_bg() {
	local case=$1
	shift
	env "$@" ip netns exec "$NS_C" "$XT_PY" "$XT_ROOT/tests/integration/hostile.py" \
		--log "$SRV_ERR" "$S4" "$SRV_PORT" "$case" >"$XT_TMP/$case.out" 2>&1 &
	HPID=$!
	XT_PIDS+=("$HPID")
}

# xl_hostile_wait CASE SECONDS: the background case ended and passed.
xl_hostile_wait() {
	xt_wait_exit "$HPID" "$2" || { xt_fail "$1 still running after $2 s"; return 1; }
	cat "$XT_TMP/$1.out"
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "$(grep -m1 '^FAIL' "$XT_TMP/$1.out" | cut -c1-240)"; return 1; }
}

# xl_client_b ARGS...: the real user, from the second address.
xl_client_b() {
	xt_client_raw --bind "$C4B" "$@" -p "$SRV_PORT" "$S4"
}

# xl_cpu_ticks PID: user + system CPU time in clock ticks.
xl_cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# xl_rss_kb PID
xl_rss_kb() {
	awk '/^VmRSS/ { print $2 }' "/proc/$1/status"
}

# Defect 3: with --max-tests 2, idle connections from one address are capped
# per address; those over it hear "server busy" (no silent close), and a
# client from another address is served meanwhile.
test_limits_pending_per_ip() {
	xt_setup || return
	xl_second_addr || return
	xt_server_start --max-tests 2 || return
	xl_hostile_bg lim_busy_line HOSTILE_N=30 HOSTILE_LIMIT=8 HOSTILE_HOLD=3
	sleep 1
	XT_CLIENT_TIMEOUT=5 xl_client_b -t 1 --json
	xt_client_ok || return
	xl_hostile_wait lim_busy_line 8 || return
	xt_server_alive || return
	xt_server_stop
}

# Over the server-wide gate of unidentified connections (here with no
# per-address limit): "server busy" too.
test_limits_pending_gate() {
	xt_setup || return
	xt_server_start --max-tests 1 --max-pending-per-ip 0 || return
	# the gate is 4 x --max-tests, at least 64
	xl_hostile lim_busy_line HOSTILE_N=70 HOSTILE_LIMIT=64 || return
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop
}

# --rate-limit: tests at a time per client address. By default at most half
# of --max-tests: with --max-tests 2 one address holds one slot, and another
# address still gets the other.
test_limits_rate_limit() {
	xt_setup || return
	xl_second_addr || return
	xt_server_start --max-tests 2 || return
	xl_hostile_bg lim_rate_limit HOSTILE_LIMIT=1 HOSTILE_HOLD=3
	sleep 1
	XT_CLIENT_TIMEOUT=5 xl_client_b -t 1 --json
	xt_client_ok || return
	xl_hostile_wait lim_rate_limit 8 || return
	xt_server_stop || return
	SRV_PORT=
	xt_server_start --max-tests 10 --rate-limit 3 --log-level debug || return
	xl_hostile lim_rate_limit HOSTILE_LIMIT=3 || return
	# the slots came back
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop
}

# Defect 3: a paused test held its slot for ever. Now it ends by its duration
# plus --max-pause (with the error saying so), and the slot is free again.
test_limits_pause() {
	xt_setup || return
	xt_server_start --max-duration 3 --max-pause 2 --max-tests 1 || return
	xl_hostile lim_pause HOSTILE_WAIT=10 || return
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop || return
	# --max-pause 0: a test that is not paused still runs its whole length
	SRV_PORT=
	xt_server_start --max-pause 0 || return
	xt_client -t 2 --json
	xt_client_ok || return
	xt_within "$(xt_jq "$OUT" .duration_ms)" 1800 2500 || { xt_fail "duration_ms $(xt_jq "$OUT" .duration_ms)"; return 1; }
	xt_server_stop
}

# --max-streams per test and --max-total-streams over running tests (defect
# 9: the latter bounds the connected UDP sockets on the server port too).
test_limits_streams() {
	xt_setup || return
	xt_server_start --max-streams 4 --max-total-streams 6 || return
	xt_client -P 8 -t 1
	[ "$RC" -eq 1 ] || { xt_fail "-P 8 under --max-streams 4: exit $RC, want 1"; return 1; }
	grep -q 'streams: 8 over' "$ERR" || { xt_fail "no reason for -P 8: $(tail -n1 "$ERR")"; return 1; }
	local out=$XT_TMP/first.out err=$XT_TMP/first.err
	xt_client_bg "$out" "$err" -u -b 1M -P 4 -t 3 --json -p "$SRV_PORT" "$S4"
	sleep 1
	xt_client -P 4 -t 1
	[ "$RC" -eq 1 ] || { xt_fail "4 + 4 streams under --max-total-streams 6: exit $RC, want 1"; return 1; }
	grep -q 'server busy: 4 of 6 streams' "$ERR" || { xt_fail "no reason: $(tail -n1 "$ERR")"; return 1; }
	xt_wait_exit "$CLI_PID" 6 || { xt_fail "first client hung"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "first client exit $XT_EXIT: $(tail -n1 "$err")"; return 1; }
	# its streams came back
	xt_client -P 4 -n 1M --json
	xt_client_ok || return
	xt_server_stop || return
	# one address holds at most half of --max-total-streams (at least one
	# test of --max-streams): here 10 of 20; another address gets the rest
	xl_second_addr || return
	SRV_PORT=
	xt_server_start --max-streams 4 --max-total-streams 20 || return
	local o1=$XT_TMP/a1.out e1=$XT_TMP/a1.err o2=$XT_TMP/a2.out e2=$XT_TMP/a2.err p1 p2
	xt_client_bg "$o1" "$e1" -u -b 1M -P 4 -t 3 -p "$SRV_PORT" "$S4"
	p1=$CLI_PID
	xt_client_bg "$o2" "$e2" -u -b 1M -P 4 -t 3 -p "$SRV_PORT" "$S4"
	p2=$CLI_PID
	sleep 1
	xt_client -P 4 -t 1
	[ "$RC" -eq 1 ] || { xt_fail "12 streams from one address, 10 allowed: exit $RC, want 1"; return 1; }
	grep -q 'server busy: your address runs 8 streams' "$ERR" || { xt_fail "no reason: $(tail -n1 "$ERR")"; return 1; }
	xl_client_b -P 4 -n 1M --json
	xt_client_ok || return
	xt_wait_exit "$p1" 6 && xt_wait_exit "$p2" 6 || { xt_fail "a first client hung"; return 1; }
	xt_server_stop
}

# --max-memory (defect 2a made whole): each test's buffers are estimated
# before anything is allocated (the engine's own sizing); a test over what is
# free, or over half the budget for one address, is refused with the figures.
test_limits_memory() {
	xt_setup || return
	xl_second_addr || return
	xt_server_start --max-memory 64M || return
	grep -q '64.00 MB of test buffers' "$SRV_ERR" || { xt_fail "limits line: $(grep limits: "$SRV_ERR")"; return 1; }
	xt_client -u -R -P 64 -l 65507 -b 0 -t 1
	[ "$RC" -eq 1 ] || { xt_fail "260 MB of unpaced UDP buffers under --max-memory 64M: exit $RC, want 1"; return 1; }
	grep -q 'server busy: this test needs 2[0-9][0-9]\.[0-9]* MB of buffers, 64.00 MB free of 64.00 MB' "$ERR" ||
		{ xt_fail "no reason: $(tail -n1 "$ERR")"; return 1; }
	# one address: half of it. 2 x 12 MiB TCP send buffers (24 MB) run,
	# a second such test from the same address is refused, another address
	# is served.
	local o1=$XT_TMP/m1.out e1=$XT_TMP/m1.err p1
	xt_client_bg "$o1" "$e1" -R -l 12M -b 20M -t 3 --json -p "$SRV_PORT" "$S4"
	p1=$CLI_PID
	sleep 1
	xt_client -R -l 12M -b 20M -t 1
	[ "$RC" -eq 1 ] || { xt_fail "a second 24 MB test from one address (32 MB each): exit $RC, want 1"; return 1; }
	grep -q 'server busy: your address holds 2[0-9]\.[0-9]* MB of buffers, this test needs 2[0-9]\.[0-9]* MB more (limit 32.00 MB per address)' "$ERR" ||
		{ xt_fail "no reason: $(tail -n1 "$ERR")"; return 1; }
	xl_client_b -R -l 12M -b 20M -t 1 --json
	xt_client_ok || return
	xt_wait_exit "$p1" 8 || { xt_fail "the first client hung"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "first client exit $XT_EXIT: $(tail -n1 "$e1")"; return 1; }
	# released at the end: the same test from the first address runs now
	xt_client -R -l 12M -b 20M -t 1 --json
	xt_client_ok || return
	xt_server_stop
}

# Defect 4: with `ulimit -n 300`, a few test starts of 128 per-stream
# listeners used every descriptor: accept looped on EMFILE and a real client
# hung. Now the server budgets its descriptors (connections and the pending
# gate reserved, each test estimated before its ports open): what does not
# fit is refused with the reason, and every client gets an answer.
test_limits_fds() {
	xt_setup || return
	xl_second_addr || return
	ulimit -n 300 || { xt_skip "cannot set ulimit -n 300"; return 77; }
	xt_server_start || return
	# the issue's five 128-stream starts: refused, the real client served
	xl_hostile_bg lim_fd_fill HOSTILE_HOLD=3
	sleep 1.5
	XT_CLIENT_TIMEOUT=8 xl_client_b -t 1 -P 2 --json
	xt_client_ok || return
	xl_hostile_wait lim_fd_fill 10 || return
	# the budget filled with smaller tests: the real client hears why at once
	xl_hostile_bg lim_fd_fill HOSTILE_HOLD=3 HOSTILE_STREAMS=128,128,32,16,8,4,2,1
	sleep 1.5
	XT_CLIENT_TIMEOUT=5 xl_client_b -t 1 -P 2 --json
	if [ "$RC" -ne 0 ]; then
		grep -q 'not enough file descriptors' "$ERR" ||
			{ xt_fail "client with the budget full: exit $RC, $(grep -v '^$' "$ERR" | tail -n1)"; return 1; }
	fi
	xl_hostile_wait lim_fd_fill 10 || return
	grep -q 'accept: ' "$SRV_ERR" && { xt_fail "accept ran out of descriptors: $(grep -m1 'accept: ' "$SRV_ERR")"; return 1; }
	grep -q 'file descriptors: limit 300' "$SRV_ERR" ||
		{ xt_fail "no descriptor limit at start: $(head -n3 "$SRV_ERR")"; return 1; }
	# a test that cannot fit at all is told so, and what to do
	xt_client -P 128 -t 1
	[ "$RC" -eq 1 ] || { xt_fail "-P 128 with 300 descriptors: exit $RC, want 1"; return 1; }
	grep -q 'not enough file descriptors for 128 streams.*ulimit -n' "$ERR" ||
		{ xt_fail "no reason for -P 128: $(tail -n1 "$ERR")"; return 1; }
	xt_client -P 16 -n 1M --json
	xt_client_ok || return
	xt_server_stop
}

# The soft descriptor limit is raised to the hard limit at start, and said.
test_limits_fds_raise() {
	xt_setup || return
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] || [ "$hard" -gt 1024 ] || { xt_skip "hard limit only $hard"; return 77; }
	ulimit -Sn 256 || { xt_skip "cannot set ulimit -Sn 256"; return 77; }
	xt_server_start || return
	grep -q 'file descriptors: limit raised from 256 to' "$SRV_ERR" ||
		{ xt_fail "limit not raised: $(head -n3 "$SRV_ERR")"; return 1; }
	xt_client -P 128 -n 10M --json
	xt_client_ok || return
	xt_server_stop
}

# Defect 2b: --get-server-output with 100 ms intervals on a 128-stream UDP
# test kept every interval (+3 MiB/s of server memory). Now only the newest
# that fit the result line are kept: the server's RSS does not grow with the
# test's length, and the result says the report was truncated.
test_limits_server_output() {
	xt_setup || return
	xt_server_start || return
	local out=$XT_TMP/so.out err=$XT_TMP/so.err r1 r2
	xt_client_bg "$out" "$err" -u -P 128 -b 1M -l 64 -t 12 -i 0.1 --get-server-output --json \
		-p "$SRV_PORT" "$S4"
	sleep 3
	r1=$(xl_rss_kb "$SRV_PID")
	sleep 8
	r2=$(xl_rss_kb "$SRV_PID")
	xt_log "server RSS: ${r1} KiB at 3 s, ${r2} KiB at 11 s"
	xt_wait_exit "$CLI_PID" 10 || { xt_fail "client hung"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "client exit $XT_EXIT: $(tail -n1 "$err")"; return 1; }
	# under a sanitizer freed memory sits in quarantine: only the plain build's RSS means anything
	if [ -z "$(xt_sanitizer)" ] && [ $((r2 - r1)) -ge 8192 ]; then
		xt_fail "server RSS grew by $(((r2 - r1) / 1024)) MiB in 8 s"
		return 1
	fi
	xt_assert "$out" '.server_output.truncated == true' \
		"server_output: $(jq -c '.server_output | {truncated, n: (.intervals | length)}' "$out")" || return
	# fewer streams: many intervals fit, the newest ones
	xt_client -P 8 -t 10 -i 0.1 --get-server-output --json
	xt_client_ok || return
	xt_assert "$OUT" '.server_output.truncated == true and (.server_output.intervals | length) >= 10' \
		"server_output: $(jq -c '.server_output | {truncated, n: (.intervals | length)}' "$OUT")" || return
	xt_assert "$OUT" '.server_output.intervals[-1].elapsed_ms >= 9800' \
		"last kept interval ends at $(jq -c '.server_output.intervals[-1].elapsed_ms' "$OUT") ms" || return
	xt_server_stop
}

# --max-bandwidth: the server's own senders are capped (TCP and UDP); a
# client that sends must ask for no more than the cap (refused with the
# reason otherwise), and one that sends more than it asked is cut off.
test_limits_bandwidth() {
	xt_setup || return
	xt_server_start --max-bandwidth 20M || return
	xt_client -t 1
	[ "$RC" -eq 1 ] || { xt_fail "unlimited TCP upload under --max-bandwidth: exit $RC, want 1"; return 1; }
	grep -q 'bitrate: no limit asked; this server takes at most 20' "$ERR" ||
		{ xt_fail "no reason: $(tail -n1 "$ERR")"; return 1; }
	xt_client -u -t 1
	[ "$RC" -eq 1 ] || { xt_fail "UDP upload at the default 1G: exit $RC, want 1"; return 1; }
	xt_client -t 2 -b 10M --json
	xt_client_ok || return
	local v a
	for a in "-R" "-u -R -b 100M" "--bidir -b 15M"; do
		# shellcheck disable=SC2086 # a list of options
		xt_client $a -t 2 --json
		xt_client_ok || return
		v=$(xt_jq "$OUT" .throughput_mbps)
		[ "$a" = "--bidir -b 15M" ] && v=$(xt_jq "$OUT" .throughput_recv_mbps)
		xt_within "$v" 1 24 || { xt_fail "xfr $a under --max-bandwidth 20M: $v Mbit/s"; return 1; }
	done
	xl_hostile lim_rate_liar || return
	xt_server_stop
}

# --data-port-range: older clients' per-stream ports come from the range;
# when it is exhausted the test is refused with the reason.
test_limits_port_range() {
	xt_setup || return
	local lo=$((41000 + RANDOM % 20000))
	xt_server_start --data-port-range "$lo-$((lo + 3))" || return
	xl_hostile lim_port_range HOSTILE_PORT_RANGE="$lo-$((lo + 3))" || return
	xt_client -P 4 -n 1M --json # single-port clients do not need the range
	xt_client_ok || return
	xt_server_stop
}

# Defect 7: a TCP data_hello with a single-port UDP test's id was taken as
# its stream. Now it is dropped; the UDP stream joins with its token.
test_limits_data_hello_udp() {
	xt_setup || return
	xt_server_start --log-level debug || return
	xl_hostile d7_tcp_data_hello_udp || return
	xt_server_stop
}

# Defect 6: each segment of an unidentified connection re-read its whole
# buffered line (up to 64 KiB). Now each byte is read once: with 8
# connections holding 50 000 bytes and adding one byte per segment, the
# server's MSG_PEEK reads (counted by strace) return a few bytes each, not
# the whole line every time.
test_limits_first_line_rescan() {
	command -v strace >/dev/null || { xt_skip "strace not installed"; return 77; }
	xt_setup || return
	xt_server_start || return
	local trace=$XT_TMP/peek.trace spid calls bytes
	strace -qq -e trace=recvfrom -e signal=none -p "$SRV_PID" -o "$trace" &
	spid=$!
	XT_PIDS+=("$spid")
	sleep 0.5
	xl_hostile d6_trickle HOSTILE_N=8 HOSTILE_WAIT=2 HOSTILE_HELD=50000 || return
	kill -INT "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	read -r calls bytes < <(awk '/MSG_PEEK/ && $NF ~ /^[0-9]+$/ { n++; b += $NF } END { print n + 0, b + 0 }' "$trace")
	xt_log "server peeks: $calls calls returned $bytes bytes"
	[ "$calls" -ge 100 ] || { xt_fail "only $calls peeks traced: $(head -c 300 "$trace")"; return 1; }
	[ "$bytes" -le $((calls * 1024 + 8 * 50100)) ] ||
		{ xt_fail "$calls peeks returned $bytes bytes: the held lines are read again and again"; return 1; }
	xt_server_alive || return
	xt_server_stop
}

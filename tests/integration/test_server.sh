# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# xfr serve: binding, families, limits, lifecycle.

# -B ADDR: listens on that address only; 0.0.0.0 is refused with a hint.
test_server_bind() {
	xt_setup || return
	xt_server_start -B "$S4" || return
	[ -n "$(ip netns exec "$NS_S" ss -Hltn "src $S4 and sport = :$SRV_PORT")" ] ||
		{ xt_fail "not listening on $S4:$SRV_PORT: $(ip netns exec "$NS_S" ss -Hltn)"; return 1; }
	xt_client -n 1M --json
	xt_client_ok || return
	xt_client_raw -n 1M -p "$SRV_PORT" "$S6"
	[ "$RC" -eq 1 ] || { xt_fail "IPv6 client to a server bound to $S4: exit $RC, want 1"; return 1; }
	xt_server_stop || return
	ip netns exec "$NS_S" "$XFR" serve -p "$(xt_port)" -B 0.0.0.0 >/dev/null 2>"$XT_TMP/b.err"
	local rc=$?
	[ $rc -eq 2 ] || { xt_fail "serve -B 0.0.0.0: exit $rc, want 2"; return 1; }
	grep -q -- '-4' "$XT_TMP/b.err" || { xt_fail "serve -B 0.0.0.0 does not suggest -4: $(cat "$XT_TMP/b.err")"; return 1; }
	# IPv6 bind, bracket-free.
	SRV_PORT=
	xt_server_start -B "$S6" || return
	xt_client_raw -n 1M --json -p "$SRV_PORT" "$S6"
	xt_client_ok || return
	xt_server_stop
}

# serve -4 refuses IPv6 clients; serve -6 refuses IPv4; default takes both.
test_server_family() {
	xt_setup || return
	xt_server_start -4 || return
	xt_client -n 1M --json
	xt_client_ok || return
	xt_client_raw -n 1M -p "$SRV_PORT" "$S6"
	[ "$RC" -eq 1 ] || { xt_fail "IPv6 client to serve -4: exit $RC, want 1"; return 1; }
	xt_server_stop || return
	SRV_PORT=
	xt_server_start -6 || return
	xt_client_raw -n 1M --json -p "$SRV_PORT" "$S6"
	xt_client_ok || return
	xt_client -n 1M
	[ "$RC" -eq 1 ] || { xt_fail "IPv4 client to serve -6: exit $RC, want 1"; return 1; }
	xt_server_stop || return
	SRV_PORT=
	xt_server_start || return
	xt_client -n 1M --json
	xt_client_ok || return
	xt_client_raw -n 1M --json -p "$SRV_PORT" "$S6"
	xt_client_ok || return
	xt_server_stop
}

# --one-off: the server exits 0 by itself after one successful test.
test_server_one_off() {
	xt_setup || return
	xt_server_start --one-off || return
	xt_client -t 1 -P 2 --json
	xt_client_ok || return
	xt_wait_exit "$SRV_PID" 3 || { xt_fail "--one-off server still running 3 s after the test"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "--one-off server exit $XT_EXIT"; return 1; }
	xt_check_san "$SRV_ERR"
}

# --max-duration 2: a -t 10 request ends after ~2 s (and -t 0 too).
test_server_max_duration() {
	xt_setup || return
	xt_server_start --max-duration 2 || return
	local t0 t1 t
	for t in 10 0; do
		t0=$(xt_now_ms)
		xt_client -t $t --json
		t1=$(xt_now_ms)
		xt_client_ok || return
		xt_json_ok "$OUT" || return
		xt_within $((t1 - t0)) 1500 4000 || { xt_fail "-t $t under --max-duration 2 took $((t1 - t0)) ms"; return 1; }
		xt_within "$(xt_jq "$OUT" .duration_ms)" 1700 2500 ||
			{ xt_fail "-t $t: duration_ms $(xt_jq "$OUT" .duration_ms) under --max-duration 2"; return 1; }
	done
	xt_server_stop
}

# --max-tests 1: a second concurrent client is told "server busy" (exit 1),
# the first one completes; once it has, a new test runs.
test_server_max_tests() {
	xt_setup || return
	xt_server_start --max-tests 1 || return
	local out=$XT_TMP/first.out err=$XT_TMP/first.err
	xt_client_bg "$out" "$err" -t 3 --json -p "$SRV_PORT" "$S4"
	sleep 1
	xt_client -t 1 --json
	[ "$RC" -eq 1 ] || { xt_fail "second client: exit $RC, want 1 (busy)"; return 1; }
	grep -qi 'busy' "$ERR" || { xt_fail "second client stderr lacks 'server busy': $(head -n1 "$ERR")"; return 1; }
	xt_wait_exit "$CLI_PID" 6 || { xt_fail "first client hung"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "first client exit $XT_EXIT: $(tail -n1 "$err")"; return 1; }
	xt_json_ok "$out" || return
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop
}

# Two clients at once on one server both complete, each with its own result.
test_server_two_clients() {
	xt_setup || return
	xt_server_start || return
	local o1=$XT_TMP/c1.out e1=$XT_TMP/c1.err o2=$XT_TMP/c2.out e2=$XT_TMP/c2.err p1 p2
	xt_client_bg "$o1" "$e1" -t 2 -P 2 --json -p "$SRV_PORT" "$S4"
	p1=$CLI_PID
	xt_client_bg "$o2" "$e2" -t 2 -R --json -p "$SRV_PORT" "$S6"
	p2=$CLI_PID
	xt_wait_exit "$p1" 8 || { xt_fail "client 1 hung"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "client 1 exit $XT_EXIT: $(tail -n1 "$e1")"; return 1; }
	xt_wait_exit "$p2" 8 || { xt_fail "client 2 hung"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "client 2 exit $XT_EXIT: $(tail -n1 "$e2")"; return 1; }
	xt_json_ok "$o1" || return
	xt_json_ok "$o2" || return
	[ "$(xt_jq "$o1" .id)" != "$(xt_jq "$o2" .id)" ] || { xt_fail "both results have the same id"; return 1; }
	xt_assert "$o1" '.bytes_total > 0 and (.streams | length) == 2' "client 1 result" || return
	xt_assert "$o2" '.bytes_total > 0 and .direction == "download"' "client 2 result" || return
	xt_server_stop
}

# SIGTERM while a test runs: the server exits 0 within 2 s; the client ends
# with an error (non-zero) instead of hanging.
test_server_sigterm_busy() {
	xt_setup || return
	xt_server_start || return
	local out=$XT_TMP/c.out err=$XT_TMP/c.err
	xt_client_bg "$out" "$err" -t 10 --json -p "$SRV_PORT" "$S4"
	sleep 1
	xt_server_stop || return
	xt_wait_exit "$CLI_PID" 5 || { xt_fail "client still running 5 s after the server stopped"; return 1; }
	[ "$XT_EXIT" -ne 0 ] || { xt_fail "client exit 0 although the server went away mid-test"; return 1; }
	xt_check_san "$err"
}

# Server port from -p is used (not the default) and a busy port is an error.
test_server_port_in_use() {
	xt_setup || return
	xt_server_start || return
	ip netns exec "$NS_S" "$XFR" serve -p "$SRV_PORT" >/dev/null 2>"$XT_TMP/dup.err" &
	local pid=$!
	XT_PIDS+=("$pid")
	xt_wait_exit $pid 3 || { xt_fail "second server on a busy port did not exit"; return 1; }
	[ "$XT_EXIT" -eq 1 ] || { xt_fail "second server on a busy port: exit $XT_EXIT, want 1"; return 1; }
	[ "$(wc -l <"$XT_TMP/dup.err")" -ge 1 ] || { xt_fail "no error for a busy port"; return 1; }
	xt_server_alive || return
	xt_server_stop
}

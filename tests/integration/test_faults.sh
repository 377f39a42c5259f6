# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Lifecycle faults (bad-input catalogue 3.4 F1-F6) and result-writing failures.

# F1: client SIGKILLed mid-test; with --max-tests 1 the next client can only
# run if the server freed the first test, and must within 1 s.
xt_kill_client_case() { # extra client args...
	local out=$XT_TMP/k.out err=$XT_TMP/k.err
	xt_client_bg "$out" "$err" -t 10 "$@" --json -p "$SRV_PORT" "$S4"
	sleep 1
	kill -KILL "$CLI_PID"
	wait "$CLI_PID" 2>/dev/null
	sleep 1
	xt_client -n 1M --json
	xt_client_ok || { xt_fail "after SIGKILL of a client ($*), the next client failed 1 s later: $(tail -n1 "$ERR")"; return 1; }
	xt_server_alive
}

test_fault_client_sigkill() {
	xt_setup || return
	xt_server_start --max-tests 1 || return
	xt_kill_client_case -P 2 || return
	# F4: the server is the writer (-R) when the client vanishes: EPIPE, no SIGPIPE death.
	xt_kill_client_case -R -P 2 || return
	xt_kill_client_case --bidir || return
	xt_server_stop
}

# F2: the client vanishes without FIN/RST (nft drops everything on its side);
# the server must notice within 10 s and drop the connections, whatever the
# requested duration (-t 30).
xt_estab_count() {
	ip netns exec "$NS_S" ss -Htn state established "( sport = :$SRV_PORT )" 2>/dev/null | wc -l
}
xt_no_estab() {
	[ "$(xt_estab_count)" -eq 0 ]
}
test_fault_client_vanishes() {
	xt_setup || return
	xt_server_start || return
	local out=$XT_TMP/v.out err=$XT_TMP/v.err t0
	xt_client_bg "$out" "$err" -t 30 --json -p "$SRV_PORT" "$S4"
	sleep 1
	[ "$(xt_estab_count)" -ge 2 ] || { xt_fail "test not running (no established connections)"; return 1; }
	ip netns exec "$NS_C" nft add table inet cut &&
		ip netns exec "$NS_C" nft 'add chain inet cut in { type filter hook input priority -10; policy drop; }' &&
		ip netns exec "$NS_C" nft 'add chain inet cut out { type filter hook output priority -10; policy drop; }' || return
	kill -KILL "$CLI_PID"
	t0=$(xt_now_ms)
	xt_poll 12 xt_no_estab || { xt_fail "server still holds $(xt_estab_count) connections 12 s after the client vanished"; return 1; }
	xt_log "server dropped the vanished client after $(($(xt_now_ms) - t0)) ms"
	xt_server_alive || return
	ip netns exec "$NS_C" nft delete table inet cut
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop
}

# F3: server SIGKILLed mid-test: the client exits non-zero within 2.5 s with a
# message (and no crash).
test_fault_server_sigkill() {
	xt_setup || return
	xt_server_start || return
	local out=$XT_TMP/s.out err=$XT_TMP/s.err t0
	xt_client_bg "$out" "$err" -t 10 -P 2 -p "$SRV_PORT" "$S4"
	sleep 1
	kill -KILL "$SRV_PID"
	t0=$(xt_now_ms)
	xt_wait_exit "$CLI_PID" 2.5 || { xt_fail "client still running 2.5 s after the server died"; return 1; }
	[ "$XT_EXIT" -eq 1 ] || { xt_fail "client exit $XT_EXIT after server death, want 1"; return 1; }
	[ -s "$err" ] || { xt_fail "client printed no error when the server died"; return 1; }
	xt_check_san "$err" || return
	xt_log "client gave up after $(($(xt_now_ms) - t0)) ms: $(tail -n1 "$err")"
}

# F6: a second SIGINT exits at once (130) even when the graceful cancel cannot
# finish (server stopped with SIGSTOP).
test_fault_double_sigint() {
	xt_setup || return
	xt_server_start || return
	local out=$XT_TMP/i.out err=$XT_TMP/i.err
	xt_client_bg "$out" "$err" -t 0 -p "$SRV_PORT" "$S4"
	sleep 1
	kill -STOP "$SRV_PID"
	kill -INT "$CLI_PID"
	sleep 0.3
	kill -INT "$CLI_PID"
	xt_wait_exit "$CLI_PID" 1 || { kill -CONT "$SRV_PID"; xt_fail "client still running 1 s after the second SIGINT"; return 1; }
	kill -CONT "$SRV_PID"
	[ "$XT_EXIT" -eq 130 ] || { xt_fail "exit $XT_EXIT after double SIGINT, want 130"; return 1; }
	xt_check_san "$err" || return
	xt_server_alive || return
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop
}

# F5: results to a full device: non-zero exit and "cannot write results".
test_write_dev_full() {
	xt_setup || return
	xt_server_start || return
	local fmt rc
	for fmt in --json --csv --json-stream ""; do
		# shellcheck disable=SC2086
		ip netns exec "$NS_C" "$XFR" -t 1 $fmt -p "$SRV_PORT" "$S4" >/dev/full 2>"$XT_TMP/full.err"
		rc=$?
		[ $rc -eq 1 ] || { xt_fail "${fmt:-plain} >/dev/full: exit $rc, want 1"; return 1; }
		grep -q 'cannot write results' "$XT_TMP/full.err" ||
			{ xt_fail "${fmt:-plain} >/dev/full: stderr lacks 'cannot write results': $(tail -n1 "$XT_TMP/full.err")"; return 1; }
		xt_check_san "$XT_TMP/full.err" || return
	done
	xt_client -t 1 -o /dev/full
	[ "$RC" -eq 1 ] || { xt_fail "-o /dev/full: exit $RC, want 1"; return 1; }
	grep -q 'cannot write' "$ERR" || { xt_fail "-o /dev/full: stderr lacks 'cannot write': $(tail -n1 "$ERR")"; return 1; }
	xt_server_alive || return
	xt_server_stop
}

# F4: stdout is a pipe whose reader goes away after 10 bytes: non-zero exit,
# not killed by SIGPIPE, no crash; the server is unaffected.
test_write_closed_pipe() {
	xt_setup || return
	xt_server_start || return
	local rc fmt
	for fmt in --json-stream ""; do
		# shellcheck disable=SC2086
		ip netns exec "$NS_C" "$XFR" -t 2 $fmt -p "$SRV_PORT" "$S4" 2>"$XT_TMP/pipe.err" | head -c 10 >/dev/null
		rc=${PIPESTATUS[0]}
		[ "$rc" -ne 0 ] || { xt_fail "${fmt:-plain} | head -c 10: exit 0 although output was lost"; return 1; }
		[ "$rc" -lt 128 ] || { xt_fail "${fmt:-plain} | head -c 10: killed by signal $((rc - 128))"; return 1; }
		xt_check_san "$XT_TMP/pipe.err" || return
	done
	xt_server_alive || return
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop
}

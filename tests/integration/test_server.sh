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

# ---- the server's log (docs/OUTPUT.md, "The server's log") ----

# xt_srvlog_line PATTERN: the last server log line matching PATTERN (ERE) in SRV_ERR.
xt_srvlog_line() {
	grep -E "$1" "$SRV_ERR" | tail -n1
}

# A client killed mid-test (SIGKILL at ~1.5 s of -t 10) is logged as
# "client disconnected at X s" with X its real duration, never "complete".
test_server_log_disconnect() {
	xt_setup || return
	xt_server_start || return
	local line at
	xt_client_bg "$XT_TMP/k.out" "$XT_TMP/k.err" -t 10 -p "$SRV_PORT" "$S4"
	xt_poll 5 grep -q "test .*: TCP, 1 stream" "$SRV_ERR" || { xt_fail "the test never started: $(cat "$SRV_ERR")"; return 1; }
	sleep 1.5
	kill -KILL "$CLI_PID"
	xt_poll 5 grep -q "disconnected at" "$SRV_ERR" ||
		{ xt_fail "no 'disconnected' line after the client was killed: $(tail -n3 "$SRV_ERR")"; return 1; }
	line=$(xt_srvlog_line "disconnected at")
	xt_log "server: $line"
	grep -q "complete" "$SRV_ERR" && { xt_fail "a killed client's test logged as complete: $(grep complete "$SRV_ERR")"; return 1; }
	at=$(sed -nE 's/.*client disconnected at ([0-9.]+) s.*/\1/p' <<<"$line")
	xt_within "$at" 1.2 3 || { xt_fail "disconnected at $at s; the client was killed ~1.5 s in"; return 1; }
	grep -qE " in $at s" <<<"$line" || { xt_fail "the figures are not over the real $at s: $line"; return 1; }
	xt_server_alive || return
	xt_server_stop
}

# UDP with 20 % dropped by nft on the server's input: the end line's loss is
# the client's result (same receiver) and the nft truth: lost/total, %, jitter.
test_server_log_udp_loss() {
	xt_setup || return
	xt_wire_datagrams || return
	xt_server_start || return
	xt_nft_loss "$NS_S" "$SRV_PORT" 200 || return
	xt_client -u -b 40M -t 2 --json
	xt_client_ok || return
	local line lost total pct rx clost crx dropped
	line=$(xt_srvlog_line "test .* complete: .*datagrams")
	[ -n "$line" ] || { xt_fail "no UDP end line with datagrams: $(tail -n3 "$SRV_ERR")"; return 1; }
	xt_log "server: $line"
	read -r rx lost total pct < <(sed -nE 's/.*received ([0-9]+) datagrams, lost ([0-9]+)\/([0-9]+) \(([0-9.]+) %\), jitter [0-9.]+ ms.*/\1 \2 \3 \4/p' <<<"$line")
	[ -n "$pct" ] || { xt_fail "end line lacks 'received R datagrams, lost L/T (P %), jitter J ms': $line"; return 1; }
	clost=$(xt_udp_stat "$OUT" lost)
	crx=$(xt_udp_stat "$OUT" packets_received)
	dropped=$(xt_nft_count "$NS_S" loss)
	# Same receiver: the same datagrams received. The client, knowing what it sent,
	# also counts the tail dropped after the last one that arrived (a few at 20 %).
	[ "$rx" -eq "$crx" ] && [ "$lost" -le "$clost" ] && [ "$lost" -ge $((clost - 10)) ] ||
		{ xt_fail "log: received $rx lost $lost; client's result: received $crx lost $clost"; return 1; }
	[ "$total" -eq $((rx + lost)) ] || { xt_fail "total $total != received $rx + lost $lost"; return 1; }
	[ "$lost" -ge $((dropped - 3)) ] || { xt_fail "lost $lost < nft dropped $dropped"; return 1; }
	xt_within "$pct" 17 25 || { xt_fail "logged loss $pct % with 20 % dropped by nft"; return 1; }
	xt_server_stop
}

# -n: logged as the exact byte budget with the server's cap, then "complete";
# the cap's source is named (--max-duration here).
test_server_log_bytes() {
	xt_setup || return
	xt_server_start --max-duration 3 || return
	xt_client -n 3M --json
	xt_client_ok || return
	local start end
	start=$(xt_srvlog_line "test .*: TCP, 1 stream, upload, ")
	end=$(xt_srvlog_line "test .* complete: ")
	xt_log "server: $start" "server: $end"
	grep -qF "3145728 bytes (byte budget), at most 3 s (no limit asked; server cap, --max-duration)" <<<"$start" ||
		{ xt_fail "-n 3M start line: $start"; return 1; }
	grep -qE "complete: .*3\.00 MB in " <<<"$end" || { xt_fail "-n 3M end line: $end"; return 1; }
	# A -t the server cuts short: "server cap reached".
	xt_client -t 5 -b 10M --json
	xt_client_ok || return
	start=$(xt_srvlog_line "test .*: TCP, 1 stream, upload, 3 s")
	grep -qF "3 s (asked 5 s; server cap, --max-duration)" <<<"$start" || { xt_fail "-t 5 start line: $start"; return 1; }
	grep -qF "server cap reached: 3 s (--max-duration)" "$SRV_ERR" ||
		{ xt_fail "no 'server cap reached' end line: $(tail -n2 "$SRV_ERR")"; return 1; }
	xt_server_stop
}

# --probe-mtu is logged as a probe, and its end line's largest payload is the
# client's forward answer (veth MTU 1500: 1472 over IPv4).
test_server_log_probe_mtu() {
	xt_setup || return
	xt_server_start || return
	XT_CLIENT_TIMEOUT=60 xt_client --probe-mtu --json
	xt_client_ok || return
	local start end fwd largest
	start=$(xt_srvlog_line "MTU probe \(UDP\)")
	end=$(xt_srvlog_line "MTU probe complete after")
	xt_log "server: $start" "server: $end"
	[ -n "$start" ] || { xt_fail "no probe start line: $(cat "$SRV_ERR")"; return 1; }
	grep -q "UDP, 1 stream" "$SRV_ERR" && { xt_fail "the probe is logged as a UDP test"; return 1; }
	fwd=$(jq -r '.mtu_probe.forward_max_payload' "$OUT")
	largest=$(sed -nE 's/.*the largest ([0-9]+) bytes of UDP payload \(client -> server path MTU at least ([0-9]+)\).*/\1 \2/p' <<<"$end")
	[ "$largest" = "$fwd $((fwd + 28))" ] || { xt_fail "log: '$largest'; client forward_max_payload $fwd"; return 1; }
	xt_server_stop
}

# Log lines carry ISO 8601 UTC time with milliseconds when stderr is not a
# terminal (here: a file), within 2 s of the clock; --no-timestamps drops it.
test_server_log_timestamps() {
	xt_setup || return
	xt_server_start || return
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop || return
	local n bad first now
	n=$(grep -c . "$SRV_ERR")
	bad=$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z ' "$SRV_ERR")
	[ "$n" -ge 3 ] && [ "$bad" -eq 0 ] || { xt_fail "$bad of $n lines without a timestamp: $(cat "$SRV_ERR")"; return 1; }
	first=$(date -u -d "$(tail -n1 "$SRV_ERR" | cut -d' ' -f1)" +%s)
	now=$(date -u +%s)
	[ $((now - first)) -le 2 ] && [ $((now - first)) -ge 0 ] ||
		{ xt_fail "last line stamped $first, now $now"; return 1; }
	SRV_PORT=
	xt_server_start --no-timestamps || return
	xt_client -n 1M --json
	xt_client_ok || return
	xt_server_stop || return
	grep -qE '^[0-9]{4}-' "$SRV_ERR" && { xt_fail "--no-timestamps: $(head -n1 "$SRV_ERR")"; return 1; }
	grep -q "complete" "$SRV_ERR" || { xt_fail "--no-timestamps: no end line"; return 1; }
}

# serve --max-duration 2 and --max-bandwidth 20M: a client asking -t 4 is told
# on stderr at the start and in the result (JSON notes, a plain "note:" line),
# and the server's result really is ~2 s; -R -b 50M is told the server's
# senders run at 20 Mbit/s, and the bytes moved match that rate.
test_server_cap_notice() {
	xt_setup || return
	xt_server_start --max-duration 2 --max-bandwidth 20M || return
	local want="server limits tests to 2 s (--max-duration); this test runs 2 s, not 4 s" secs mbps
	xt_client -t 4 -b 10M --json
	xt_client_ok || return
	xt_schema result "$OUT" || return
	grep -qF "xfr: warning: $want" "$ERR" || { xt_fail "client stderr: $(cat "$ERR")"; return 1; }
	jq -e --arg w "$want" '.notes == [$w]' "$OUT" >/dev/null || { xt_fail "JSON notes: $(jq -c .notes "$OUT")"; return 1; }
	secs=$(jq -r '.duration_ms / 1000' "$OUT")
	xt_within "$secs" 1.8 2.6 || { xt_fail "the test ran $secs s under a 2 s cap"; return 1; }
	xt_client -t 4 -b 10M
	xt_client_ok || return
	grep -qF "note: $want" "$OUT" || { xt_fail "plain result lacks the note: $(tail -n4 "$OUT")"; return 1; }
	grep -q "TCP upload, 1 stream, 2 s (server cap; asked 4 s)," "$OUT" ||
		{ xt_fail "the header shows what was asked, not what runs: $(head -n1 "$OUT")"; return 1; }
	xt_client -t 2 -R -b 50M --json
	xt_client_ok || return
	xt_assert "$OUT" '.notes[0] | test("server sends at most 20.0 Mbit/s per test \\(--max-bandwidth\\)")' \
		"-R -b 50M notes: $(jq -c .notes "$OUT")" || return
	mbps=$(jq -r '.throughput_mbps' "$OUT")
	xt_log "-R -b 50M under --max-bandwidth 20M: $mbps Mbit/s; notes $(jq -c .notes "$OUT")"
	xt_within "$mbps" 15 21 || { xt_fail "-R under a 20 Mbit/s cap moved $mbps Mbit/s"; return 1; }
	# A test the server does not cap carries no note.
	xt_client -t 1 -b 10M --json
	xt_client_ok || return
	xt_assert "$OUT" '.notes == null' "uncapped test has notes: $(jq -c .notes "$OUT")" || return
	xt_server_stop
}

# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Interoperability with the reference xfr (lance0/xfr 0.9.25), both ways:
# tests/interop/ref_server.py and ref_client.py reproduce its wire behaviour
# from its source (see their heads and docs/COMPARISON.md). Each scenario runs
# on a tbf-limited (lossless) path and interop_check.py compares what each
# side printed with what the other counted and with the bytes moved.

XT_INTEROP=$XT_ROOT/tests/interop
XT_RATE=200mbit

xt_interop_setup() {
	xt_setup || return
	if ! xt_tbf client "$XT_RATE" || ! xt_tbf server "$XT_RATE"; then
		xt_skip "tc tbf not available"
		return 77
	fi
}

# xt_ref_server [ref_server.py options]: the reference server in the server
# namespace, for one test; sets SRV_PORT and REF_LOG (one JSON line per test).
xt_ref_server() {
	local i
	SRV_PORT=$(xt_port)
	REF_LOG=$XT_TMP/ref_server.log
	ip netns exec "$NS_S" "$XT_PY" "$XT_INTEROP/ref_server.py" "$SRV_PORT" --log "$REF_LOG" "$@" \
		>"$XT_TMP/ref_server.out" 2>&1 &
	REF_PID=$!
	XT_PIDS+=("$REF_PID")
	for ((i = 0; i < 40; i++)); do
		xt_listening "$NS_S" "$SRV_PORT" && return 0
		sleep 0.05
	done
	xt_fail "reference server not listening: $(head -n3 "$XT_TMP/ref_server.out")"
}

# xt_ours_vs_ref "SERVER OPTS" CLIENT_ARGS...: our client (--json) against the
# reference server; both sides' figures checked against each other.
xt_ours_vs_ref() {
	local sopts=$1
	shift
	xt_interop_setup || return
	# shellcheck disable=SC2086
	xt_ref_server $sopts || return
	xt_client --json "$@"
	xt_client_ok || return
	if ! xt_wait_exit "$REF_PID" 5; then
		xt_fail "reference server still running after the test"
		return 1
	fi
	[ -s "$REF_LOG" ] || { xt_fail "reference server logged no result: $(tail -n2 "$XT_TMP/ref_server.out")"; return 1; }
	xt_json_ok "$OUT" || return
	xt_interop_check ours "$OUT" "$REF_LOG"
}

# xt_ref_vs_ours PROTO DIR CLIENT_ARGS...: the reference client against our server.
xt_ref_vs_ours() {
	local proto=$1 dir=$2
	shift 2
	xt_interop_setup || return
	xt_server_start || return
	timeout -k 2 40 ip netns exec "$NS_C" "$XT_PY" "$XT_INTEROP/ref_client.py" "$S4" "$SRV_PORT" \
		"$@" >"$XT_TMP/ref_client.out" 2>"$XT_TMP/ref_client.err"
	local rc=$?
	[ "$rc" -eq 0 ] || { xt_fail "reference client exited $rc: $(tail -n1 "$XT_TMP/ref_client.err")"; return 1; }
	xt_server_alive || return
	xt_interop_check ref "$XT_TMP/ref_client.out" "$proto" "$dir" || return
	xt_server_stop
}

# xt_interop_check ours|ref ...: interop_check.py; its measured figures go to the log.
xt_interop_check() {
	local out rc
	out=$("$XT_PY" "$XT_INTEROP/interop_check.py" "$@" 2>&1)
	rc=$?
	echo "$out"
	[ "$rc" -eq 0 ] || { xt_fail "$(echo "$out" | grep -m1 -v '^#' | sed 's/^FAIL: //')"; return 1; }
}

# ---------------------------------------------------------------- our client, reference server

test_interop_ours_tcp_upload() { xt_ours_vs_ref "" -t 2; }
test_interop_ours_tcp_download() { xt_ours_vs_ref "" -t 2 -R; }
test_interop_ours_tcp_bidir() { xt_ours_vs_ref "" -t 2 --bidir; }
test_interop_ours_tcp_parallel() { xt_ours_vs_ref "" -t 2 -P 3; }
test_interop_ours_tcp_bidir_parallel() { xt_ours_vs_ref "" -t 2 -P 2 --bidir; }
test_interop_ours_udp_upload() { xt_ours_vs_ref "" -t 2 -u -b 20M; }
test_interop_ours_udp_download() { xt_ours_vs_ref "" -t 2 -u -b 20M -R; }
test_interop_ours_udp_bidir() { xt_ours_vs_ref "" -t 2 -u -b 20M --bidir; }
test_interop_ours_udp_parallel() { xt_ours_vs_ref "" -t 2 -u -b 20M -P 2; }
# A reference server whose single-port self-test failed: one UDP port per stream.
test_interop_ours_udp_ports() { xt_ours_vs_ref "--no-single-port-udp" -t 2 -u -b 20M -P 2 -R; }

# -n: exactly the budget arrives, and both sides say so.
test_interop_ours_tcp_bytes() {
	xt_ours_vs_ref "" -n 20M || return
	xt_assert "$OUT" '.upload.receiver.bytes == 20971520 and .upload.sender.bytes == 20971520' \
		"-n 20M: $(jq -c '[.upload.sender.bytes, .upload.receiver.bytes]' "$OUT")"
}

# Ctrl+C: our cancel, the reference's cancelled and result; figures still agree.
test_interop_ours_tcp_cancel() {
	xt_interop_setup || return
	xt_ref_server || return
	xt_client_bg "$XT_TMP/c.out" "$XT_TMP/c.err" -t 10 --json -p "$SRV_PORT" "$S4"
	sleep 1.5
	kill -INT "$CLI_PID"
	xt_wait_exit "$CLI_PID" 8 || { xt_fail "client still running 8 s after Ctrl+C"; return 1; }
	[ "$XT_EXIT" -eq 130 ] || { xt_fail "client exited $XT_EXIT after Ctrl+C: $(tail -n1 "$XT_TMP/c.err")"; return 1; }
	xt_wait_exit "$REF_PID" 5 || { xt_fail "reference server still running"; return 1; }
	xt_check_san "$XT_TMP/c.err" || return
	xt_interop_check ours "$XT_TMP/c.out" "$REF_LOG"
}

# ---------------------------------------------------------------- reference client, our server

test_interop_ref_tcp_upload() { xt_ref_vs_ours tcp upload -t 2; }
test_interop_ref_tcp_download() { xt_ref_vs_ours tcp download -t 2 -R; }
test_interop_ref_tcp_bidir() { xt_ref_vs_ours tcp bidir -t 2 --bidir; }
test_interop_ref_tcp_parallel() { xt_ref_vs_ours tcp upload -t 2 -P 3; }
# A client without single_port_tcp: one TCP port per stream (data_ports).
test_interop_ref_tcp_ports() { xt_ref_vs_ours tcp download -t 2 -P 2 -R --legacy; }
test_interop_ref_tcp_bytes() { xt_ref_vs_ours tcp upload -n 20971520; }
test_interop_ref_tcp_cancel() { xt_ref_vs_ours tcp upload -t 10 --cancel-after 1.3; }
test_interop_ref_udp_upload() { xt_ref_vs_ours udp upload -t 2 -u -b 20000000; }
test_interop_ref_udp_download() { xt_ref_vs_ours udp download -t 2 -u -b 20000000 -R; }
test_interop_ref_udp_bidir() { xt_ref_vs_ours udp bidir -t 2 -u -b 20000000 --bidir; }
test_interop_ref_udp_parallel() { xt_ref_vs_ours udp download -t 2 -u -b 20000000 -P 2 -R; }
test_interop_ref_udp_ports() { xt_ref_vs_ours udp download -t 2 -u -b 20000000 -R --legacy; }
test_interop_ref_udp_bytes() { xt_ref_vs_ours udp upload -u -b 20000000 -n 2000000; }

# UDP -n against the reference server: finish, its 250 ms drain, every datagram counted.
test_interop_ours_udp_bytes() {
	xt_ours_vs_ref "" -u -b 20M -n 2M || return
	xt_assert "$OUT" '.upload.sender.bytes == 2097152 and .upload.receiver.bytes == 2097152' \
		"-u -n 2M: $(jq -c '[.upload.sender.bytes, .upload.receiver.bytes]' "$OUT")"
}

# Download with -n: the reference server's senders deliver the budget and end the test.
test_interop_ours_tcp_bytes_download() {
	xt_ours_vs_ref "" -R -n 20M || return
	xt_assert "$OUT" '.download.sender.bytes == 20971520 and .download.receiver.bytes == 20971520' \
		"-R -n 20M: $(jq -c '[.download.sender.bytes, .download.receiver.bytes]' "$OUT")"
}

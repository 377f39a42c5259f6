# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# What a client may make a privileged server do to its host (issue 9, defect
# 5): nothing beyond sockets unless the operator started the server with
# --engine auto, never a kernel module load, never a wait on the event loop
# for BPF loads.

# xt_srv_strace [serve options]: xt_server_start under strace, recording the
# server's setsockopt calls in $XT_TMP/strace.txt.
xt_srv_strace() {
	local i
	command -v strace >/dev/null || { xt_skip "strace not installed"; return 77; }
	SRV_PORT=${SRV_PORT:-$(xt_port)}
	SRV_ERR=$XT_TMP/server.$SRV_PORT.err
	ip netns exec "$NS_S" strace -f -qq -e trace=setsockopt -o "$XT_TMP/strace.txt" \
		"$XFR" serve -p "$SRV_PORT" "$@" >/dev/null 2>"$SRV_ERR" &
	SRV_PID=$!
	XT_PIDS+=("$SRV_PID")
	for ((i = 0; i < 100; i++)); do
		if xt_listening "$NS_S" "$SRV_PORT"; then
			# strace's own SIGTERM would detach and leave xfr running: signal xfr.
			SRV_PID=$(pgrep -P "$SRV_PID") || { xt_fail "no xfr under strace"; return 1; }
			XT_PIDS+=("$SRV_PID")
			return 0
		fi
		sleep 0.05
	done
	xt_fail "server under strace not listening: $(head -n1 "$SRV_ERR")"
	return 1
}

# xt_test_start_reply FIELD=VALUE...: a raw hello + test_start (TCP upload, 1 s)
# with the fields given (JSON values), from the client namespace; prints the
# server's reply line to test_start.
xt_test_start_reply() {
	ip netns exec "$NS_C" "$XT_PY" - "$S4" "$SRV_PORT" "$@" <<'EOF'
import json, socket, sys, uuid
host, port = sys.argv[1], int(sys.argv[2])
msg = {"type": "test_start", "id": str(uuid.uuid4()), "protocol": "tcp", "streams": 1,
       "duration_secs": 1, "direction": "upload"}
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    msg[k] = json.loads(v)
s = socket.create_connection((host, port), timeout=5)
f = s.makefile("rwb")
hello = {"type": "hello", "version": "1.1", "client": "xfr-test/1",
         "capabilities": ["tcp", "udp", "multistream", "single_port_tcp", "xdp_v1"]}
for m in (hello, msg):
    f.write((json.dumps(m) + "\n").encode())
f.flush()
f.readline()  # the server's hello
print(f.readline().decode().strip())
EOF
}

# A client's congestion name is checked against the kernel's allowed list,
# never tried on a socket: as root that would load module tcp_<name>. A
# made-up name and (when this host has one) a name that is available but not
# allowed are refused, naming the field; an allowed one is accepted.
test_priv_congestion_allowed_list() {
	xt_setup || return
	xt_srv_strace || return
	local allowed avail name="" n reply
	allowed=$(cat /proc/sys/net/ipv4/tcp_allowed_congestion_control)
	avail=$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)
	for n in $avail; do
		[[ " $allowed " == *" $n "* ]] || { name=$n; break; }
	done
	reply=$(xt_test_start_reply congestion='"xfrbogus"')
	xt_log "xfrbogus: $reply"
	[[ $reply == *'"error"'*'field congestion: \"xfrbogus\" not available'* ]] ||
		{ xt_fail "made-up congestion name: $reply"; return 1; }
	if [ -n "$name" ]; then
		reply=$(xt_test_start_reply congestion="\"$name\"")
		xt_log "$name (available, not allowed): $reply"
		[[ $reply == *'"error"'*"field congestion: \\\"$name\\\" not allowed"* ]] ||
			{ xt_fail "congestion $name (not allowed): $reply"; return 1; }
	else
		xt_log "every available congestion control is allowed here: that case not tried"
	fi
	n=${allowed%% *}
	reply=$(xt_test_start_reply congestion="\"$n\"")
	[[ $reply == *'"test_ack"'* ]] || { xt_fail "allowed congestion $n refused: $reply"; return 1; }
	grep -E 'TCP_CONGESTION, "(xfrbogus|'"${name:-xfrbogus}"')"' "$XT_TMP/strace.txt" &&
		{ xt_fail "the server tried a refused name on a socket"; return 1; }
	! grep -qs '^tcp_xfrbogus ' /proc/modules || { xt_fail "tcp_xfrbogus got loaded"; return 1; }
	xt_srv_strace_stop
}

# Stop the server xt_srv_strace started (not our child: no wait).
xt_srv_strace_stop() {
	local i
	kill -TERM "$SRV_PID" 2>/dev/null
	for ((i = 0; i < 60; i++)); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$SRV_PID" 2>/dev/null || { xt_fail "server still running 3 s after SIGTERM"; return 1; }
	xt_check_san "$SRV_ERR"
}

# xt_bpf_fds PID: BPF objects (programs, maps, links) PID holds open.
xt_bpf_fds() {
	find "/proc/$1/fd" -maxdepth 1 -type l -printf '%l\n' 2>/dev/null | grep -c '^anon_inode:bpf[-_]'
}

# xt_watch_bpf PID OUT ERR ARGS...: run a client (xfr ARGS -p SRV_PORT S4)
# while watching PID's BPF fds and XDP on the server's veth; BPF_SEEN = the
# most fds seen at once, XDP_SEEN = 1 when XDP was attached at some point.
xt_watch_bpf() {
	local pid=$1 out=$2 err=$3 n
	shift 3
	BPF_SEEN=0 XDP_SEEN=0
	xt_client_bg "$out" "$err" "$@" -p "$SRV_PORT" "$S4"
	while kill -0 "$CLI_PID" 2>/dev/null; do
		n=$(xt_bpf_fds "$pid")
		[ "$n" -gt "$BPF_SEEN" ] && BPF_SEEN=$n
		ip -n "$NS_S" -j link show dev "$IF_S" | jq -e '.[0].xdp // empty' >/dev/null && XDP_SEEN=1
		sleep 0.02
	done
	wait "$CLI_PID"
	RC=$?
	OUT=$out ERR=$err
	xt_log "xfr $* -> rc $RC, server BPF fds up to $BPF_SEEN, XDP attached $XDP_SEEN"
}

# serve without --engine loads no BPF program and attaches no XDP, whatever
# the client asks (auto for UDP and TCP, drop reasons, xdp): sockets, and the
# ack says so. serve --engine auto is the switch: the same requests then load
# BPF (the positive control of the check).
test_priv_default_loads_no_bpf() {
	xt_setup || return
	xt_server_start || return
	local i args
	local -a cases=("-u --engine auto --drop-reasons -b 10M -t 2"
		"--engine auto -t 2" "-u --drop-reasons -b 10M -t 2")
	for ((i = 0; i < ${#cases[@]}; i++)); do
		read -ra args <<<"${cases[$i]}"
		xt_watch_bpf "$SRV_PID" "$XT_TMP/d$i.out" "$XT_TMP/d$i.err" "${args[@]}" --json
		xt_client_ok || return
		[ "$BPF_SEEN" = 0 ] && [ "$XDP_SEEN" = 0 ] ||
			{ xt_fail "default server: ${cases[$i]}: $BPF_SEEN BPF fds, XDP $XDP_SEEN"; return 1; }
		xt_assert "$OUT" '.server_engine == "socket" and (.server_engine_note | test("loads no BPF"))' \
			"${cases[$i]}: server $(xt_jq "$OUT" '[.server_engine, .server_engine_note]')" || return
	done
	xt_client -u --engine xdp -b 10M -t 1
	[ "$RC" = 1 ] && grep -q "sockets only" "$ERR" ||
		{ xt_fail "explicit xdp against a default server: rc $RC: $(tail -n1 "$ERR")"; return 1; }
	[ "$(xt_bpf_fds "$SRV_PID")" = 0 ] || { xt_fail "server holds BPF fds after the tests"; return 1; }
	xt_server_stop || return
	SRV_PORT=$(xt_port)
	xt_server_start --engine auto || return
	xt_watch_bpf "$SRV_PID" "$XT_TMP/a.out" "$XT_TMP/a.err" -u --engine auto --drop-reasons \
		-b 10M -t 2 --json
	xt_client_ok || return
	[ "$BPF_SEEN" -gt 0 ] && [ "$XDP_SEEN" = 1 ] ||
		{ xt_fail "serve --engine auto: $BPF_SEEN BPF fds, XDP $XDP_SEEN (want both)"; return 1; }
	xt_assert "$OUT" '.server_engine == "xdp"' "server engine $(xt_jq "$OUT" .server_engine)" || return
	xt_server_stop
}

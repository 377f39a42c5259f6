# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Argument handling. No namespaces needed: a bad invocation must fail in the
# parser (exit 2, exactly one line on stderr, nothing on stdout). Anything that
# gets past the parser tries 127.0.0.1 port 1 and fails with exit 1 instead.

# One invocation per line; "H" stands for the host argument.
XT_BAD_ARGS=(
	"-t 1"
	"-P 0 H"
	"-P 129 H"
	"-P four H"
	"-t -1 H"
	"-t 500ms H"
	"-t 10x H"
	"-n 0 H"
	"-n 10Q H"
	"-b -5 H"
	"-b 10X H"
	"-l 0 H"
	"-l 17M H"
	"-w 0 H"
	"-w 513M H"
	"--dscp 256 H"
	"--dscp XX1 H"
	"--congestion no_such_cc H"
	"-R --bidir H"
	"--json --csv H"
	"--json --json-stream H"
	"--random --zeros H"
	"-p 0 H"
	"-p 65536 H"
	"--cport 0 H"
	"--cport 65535 -P 2 H"
	"--bind 127.0.0.1:5000 -P 2 H"
	"-i 0.05 H"
	"-i 4000 H"
	"--omit -1 H"
	"--timestamp-format bogus H"
	"--zerocopy=bogus H"
	"--log-level loud H"
	"--no-such-flag H"
	"-4 -6 H"
	"H H"
	"--connect-timeout nope H"
	"--engine dpdk H"
	"--engine xdp H"
	"-u --engine xdp --xdp-mode skip H"
	"-u --xdp-mode drop H"
	"-u --engine xdp --queues 0 H"
	"-u --engine xdp --iface a/b H"
	"doctor extra"
	"serve --engine afxdp"
	"serve --xdp-mode pass"
	"serve -B 0.0.0.0"
	"serve -B ::"
	"serve --max-tests 0"
	"serve --max-tests 10001"
	"serve -p 70000"
	"serve --max-duration abc"
	"serve -4 -B ::1"
	"serve extra"
)

test_bad_arguments() {
	[ -x "$XFR" ] || { xt_fail "$XFR not built"; return 1; }
	local inv rc nerr bad=0 args
	for inv in "${XT_BAD_ARGS[@]}"; do
		args=${inv//H/127.0.0.1}
		# shellcheck disable=SC2086
		timeout 5 "$XFR" $args -p 1 >"$XT_TMP/o" 2>"$XT_TMP/e" </dev/null
		rc=$?
		# "-p 1" after "-p 0" etc. would hide the bad port: run those without it.
		case $inv in
		"-p "* | "serve -p"*)
			# shellcheck disable=SC2086
			timeout 5 "$XFR" $args >"$XT_TMP/o" 2>"$XT_TMP/e" </dev/null
			rc=$?
			;;
		esac
		nerr=$(wc -l <"$XT_TMP/e")
		if [ $rc -ne 2 ] || [ "$nerr" -ne 1 ] || [ -s "$XT_TMP/o" ]; then
			echo "BAD: xfr $inv -> exit $rc, $nerr stderr lines: $(head -n2 "$XT_TMP/e" | tr '\n' '|')"
			bad=$((bad + 1))
			[ $bad -eq 1 ] && xt_fail "xfr $inv: exit $rc, $nerr stderr lines (want 2, 1): $(head -n1 "$XT_TMP/e" | cut -c1-100)"
		elif ! grep -q '^xfr: ' "$XT_TMP/e"; then
			echo "BAD: xfr $inv -> message does not start with 'xfr: ': $(cat "$XT_TMP/e")"
			bad=$((bad + 1))
			[ $bad -eq 1 ] && xt_fail "xfr $inv: message does not start with 'xfr: '"
		else
			echo "ok: xfr $inv -> $(cat "$XT_TMP/e")"
		fi
	done
	[ $bad -eq 0 ] || { xt_fail "$bad of ${#XT_BAD_ARGS[@]} bad invocations mishandled"; return 1; }
}

# --help and --version: exit 0, text on stdout, nothing on stderr; the help
# names every client option.
test_help_version() {
	[ -x "$XFR" ] || { xt_fail "$XFR not built"; return 1; }
	local o
	"$XFR" --version >"$XT_TMP/v" 2>"$XT_TMP/ve" || { xt_fail "--version exit $?"; return 1; }
	grep -q '0\.1\.0' "$XT_TMP/v" || { xt_fail "--version does not print 0.1.0: $(head -n1 "$XT_TMP/v")"; return 1; }
	"$XFR" -V >/dev/null 2>&1 || { xt_fail "-V exit $?"; return 1; }
	"$XFR" --help >"$XT_TMP/h" 2>"$XT_TMP/he" || { xt_fail "--help exit $?"; return 1; }
	[ -s "$XT_TMP/he" ] && { xt_fail "--help wrote to stderr"; return 1; }
	for o in --port --time --bytes --parallel --reverse --bidir --bitrate --length --window --congestion \
		--dscp --tcp-nodelay --ipv4 --ipv6 --bind --cport --mptcp --random --zeros --zerocopy \
		--no-zerocopy --connect-timeout --interval --omit --timestamp-format --output \
		--get-server-output --json --json-stream --csv --quiet --log-level --help --version; do
		grep -q -- "$o" "$XT_TMP/h" || { xt_fail "--help does not mention $o"; return 1; }
	done
	"$XFR" serve --help >"$XT_TMP/sh" 2>/dev/null || { xt_fail "serve --help exit $?"; return 1; }
	for o in --port --bind --one-off --max-duration --max-tests --rate-limit --max-pending-per-ip \
		--max-pause --max-streams --max-total-streams --max-bandwidth --data-port-range; do
		grep -q -- "$o" "$XT_TMP/sh" || { xt_fail "serve --help does not mention $o"; return 1; }
	done
}

# Connection refused: exit 1 with one clear line, quickly.
test_connect_refused() {
	[ -x "$XFR" ] || { xt_fail "$XFR not built"; return 1; }
	local t0 rc
	t0=$(xt_now_ms)
	timeout 10 "$XFR" -t 1 -p 1 127.0.0.1 >"$XT_TMP/o" 2>"$XT_TMP/e"
	rc=$?
	[ $rc -eq 1 ] || { xt_fail "refused connection: exit $rc, want 1"; return 1; }
	[ $(($(xt_now_ms) - t0)) -lt 3000 ] || { xt_fail "refused connection took $(($(xt_now_ms) - t0)) ms"; return 1; }
	grep -qi 'refused\|connect' "$XT_TMP/e" || { xt_fail "no clear message: $(head -n1 "$XT_TMP/e")"; return 1; }
	xt_check_san "$XT_TMP/e"
}

# xt_args_ctl_count: TCP SYNs that reached the server's port so far (the nft
# rule added by xt_args_server).
xt_args_ctl_count() {
	xt_nft_count "$NS_S" ctl packets
}

# A server in its namespace, and a counter of the connections to its port.
xt_args_server() {
	xt_setup || return
	xt_server_start || return
	xt_nft "$NS_S" in tcp dport "$SRV_PORT" tcp flags syn counter comment '"ctl"'
}

# xt_args_ok DESC PEER ARGS...: a one-second test that must succeed, with the
# server logging PEER (the client's address in the family asked for).
xt_args_ok() {
	local desc=$1 peer=$2
	shift 2
	xt_client_raw -t 1 -i 0 --json "$@"
	xt_client_ok || { xt_fail "$desc: exit $RC: $(head -n1 "$ERR")"; return 1; }
	xt_assert "$OUT" ".port == $SRV_PORT" "$desc: result port $(xt_jq "$OUT" .port), want $SRV_PORT" || return
	xt_poll 2 grep -qF "$peer" "$SRV_ERR" || { xt_fail "$desc: the server saw no test from $peer"; return 1; }
}

# xt_args_refused DESC MESSAGE ARGS...: exit 2, exactly MESSAGE on stderr,
# nothing on stdout, and no SYN reached the server.
xt_args_refused() {
	local desc=$1 msg=$2 syns
	shift 2
	syns=$(xt_args_ctl_count)
	xt_client_raw -t 1 "$@"
	[ "$RC" -eq 2 ] || { xt_fail "$desc: exit $RC, want 2: $(head -n1 "$ERR")"; return 1; }
	[ "$(cat "$ERR")" = "$msg" ] || { xt_fail "$desc: stderr '$(head -n2 "$ERR" | tr '\n' '|')', want '$msg'"; return 1; }
	[ -s "$OUT" ] && { xt_fail "$desc: wrote to stdout"; return 1; }
	[ "$(xt_args_ctl_count)" -eq "$syns" ] || { xt_fail "$desc: the server was contacted"; return 1; }
}

# HOST in every accepted form, over IPv4 and IPv6 across the veth pair: the
# address's port is the one used (nothing else listens there), and the
# server sees the client in the family of the address.
test_args_host_forms() {
	xt_args_server || return
	xt_hosts xfrhost
	xt_args_ok "S4:PORT" "$C4" "$S4:$SRV_PORT" || return
	xt_args_ok "[S6]:PORT" "[$C6]" "[$S6]:$SRV_PORT" || return
	xt_args_ok "[S6] -p" "[$C6]" -p "$SRV_PORT" "[$S6]" || return
	xt_args_ok "bare S6 -p" "[$C6]" -p "$SRV_PORT" "$S6" || return
	xt_args_ok "name:PORT -4" "$C4" -4 "xfrhost:$SRV_PORT" || return
	xt_args_ok "name:PORT -6" "[$C6]" -6 "xfrhost:$SRV_PORT" || return
	xt_args_ok "same port twice" "$C4" -p "$SRV_PORT" "$S4:$SRV_PORT" || return
	XFR_PORT=1 xt_args_ok "address port over XFR_PORT" "$C4" "$S4:$SRV_PORT" || return
	xt_args_ok "--bind v6 [S6]:PORT" "[$C6]" --bind "[$C6]" "[$S6]:$SRV_PORT" || return
	xt_server_stop
}

# Every HOST mistake is one line and exit 2 before any packet is sent.
test_args_host_errors() {
	xt_args_server || return
	# fd00:..::2:5201 is an address, and so is fd00:..::2 port 5201; SRV_PORT has
	# five digits, so S6:SRV_PORT is no IPv6 address at all.
	xt_args_refused "ambiguous" \
		"xfr: $S6:5201 is ambiguous: write [$S6]:5201 for port 5201, or [$S6:5201] for that IPv6 address" \
		"$S6:5201" || return
	xt_args_refused "bare IPv6 and a port" \
		"xfr: $S6:$SRV_PORT is not an IPv6 address: for port $SRV_PORT of $S6 write [$S6]:$SRV_PORT" \
		"$S6:$SRV_PORT" || return
	xt_args_refused "-4 with IPv6" "xfr: $S6 is an IPv6 address but -4 was given" -4 "[$S6]:$SRV_PORT" || return
	xt_args_refused "-6 with IPv4" "xfr: $S4 is an IPv4 address but -6 was given" -6 -p "$SRV_PORT" "$S4" || return
	xt_args_refused "--bind v4, IPv6 target" "xfr: $S6 is an IPv6 address but --bind $C4 is IPv4" \
		--bind "$C4" -p "$SRV_PORT" "$S6" || return
	xt_args_refused "--bind v6, IPv4 target" "xfr: $S4 is an IPv4 address but --bind [$C6] is IPv6" \
		--bind "[$C6]" "$S4:$SRV_PORT" || return
	xt_args_refused "port twice" \
		"xfr: $S4:$SRV_PORT names port $SRV_PORT but -p $((SRV_PORT + 1)) was given: give the port once" \
		-p $((SRV_PORT + 1)) "$S4:$SRV_PORT" || return
	xt_args_refused "brackets around IPv4" \
		"xfr: [$S4]:$SRV_PORT: brackets hold an IPv6 address (write NAME:PORT or IPv4:PORT without them)" \
		"[$S4]:$SRV_PORT" || return
	# A name with no address in the family asked for: resolved, then said (exit 1).
	mkdir -p "/etc/netns/$NS_C" && XT_ETC+=("/etc/netns/$NS_C")
	printf '127.0.0.1 localhost\n%s v4only\n' "$S4" >"/etc/netns/$NS_C/hosts"
	xt_client_raw -t 1 -6 "v4only:$SRV_PORT"
	[ "$RC" -eq 1 ] && grep -qx "xfr: v4only has no IPv6 address but -6 was given" "$ERR" ||
		{ xt_fail "-6 with an IPv4-only name: exit $RC: $(head -n1 "$ERR")"; return 1; }
	xt_client_raw -t 1 --bind "[$C6]" "v4only:$SRV_PORT"
	[ "$RC" -eq 1 ] && grep -qx "xfr: v4only has no IPv6 address, and --bind \[$C6\] is IPv6" "$ERR" ||
		{ xt_fail "--bind v6 with an IPv4-only name: exit $RC: $(head -n1 "$ERR")"; return 1; }
	[ "$(xt_args_ctl_count)" -eq 0 ] || { xt_fail "a refused HOST contacted the server"; return 1; }
	xt_server_stop
}

# -b: a unitless tiny rate runs with a warning; above the protocol's limit the
# client refuses (exit 2) before contacting the server.
test_args_bitrate() {
	xt_args_server || return
	xt_client -t 1 -i 0 -b 100 --json
	xt_client_ok || return
	grep -qx "xfr: warning: -b 100 is 100 bit/s; did you mean 100M?" "$ERR" ||
		{ xt_fail "no warning for -b 100: $(head -n1 "$ERR")"; return 1; }
	jq -e . "$OUT" >/dev/null || { xt_fail "-b 100: stdout is not JSON"; return 1; }
	xt_client -t 1 -i 0 -b 1M -q
	xt_client_ok || return
	[ -s "$ERR" ] && { xt_fail "-b 1M warned: $(head -n1 "$ERR")"; return 1; }
	xt_args_refused "-b 11T" "xfr: --bitrate 11T: must be at most 10T (10 Tbit/s, the protocol's limit)" \
		-b 11T -p "$SRV_PORT" "$S4" || return
	xt_args_refused "-u -b 10000000000001" \
		"xfr: --bitrate 10000000000001: must be at most 10T (10 Tbit/s, the protocol's limit)" \
		-u -b 10000000000001 -p "$SRV_PORT" "$S4" || return
	xt_server_stop
}

# Duration units: the same set for -t, -i, --omit, --connect-timeout; the
# test lasts what was asked.
test_args_duration_units() {
	xt_args_server || return
	local t
	for t in 2sec 2secs 2seconds 2000ms 0.0333333mins; do
		xt_client -t "$t" -i 500ms --omit 0.5sec --connect-timeout 1min --json
		xt_client_ok || return
		xt_assert "$OUT" '.duration_ms >= 1900 and .duration_ms <= 2500' \
			"-t $t: duration_ms $(xt_jq "$OUT" .duration_ms), want about 2000" || return
	done
	xt_args_refused "-t 1M" "xfr: --time 1M: M is not a unit of time (use m or min for minutes)" \
		-t 1M -p "$SRV_PORT" "$S4" || return
	xt_server_stop
}

# -o FILE is opened before connecting: a bad path is exit 2 with no test; a
# file created for a test that failed is removed; an existing file survives a
# failed test and is replaced by a result.
test_args_output_file() {
	xt_args_server || return
	local f=$XT_TMP/result.json
	xt_args_refused "-o in a missing directory" \
		"xfr: -o $XT_TMP/nodir/x.json: No such file or directory: choose a file in a directory you can write to" \
		-o "$XT_TMP/nodir/x.json" -p "$SRV_PORT" "$S4" || return
	xt_client_raw -t 1 -o "$f" -p 1 "$S4"
	[ "$RC" -eq 1 ] || { xt_fail "refused test with -o: exit $RC, want 1"; return 1; }
	[ -e "$f" ] && { xt_fail "-o left $(wc -c <"$f")-byte file after a failed test"; return 1; }
	echo keep >"$f"
	xt_client_raw -t 1 -o "$f" -p 1 "$S4"
	[ "$(cat "$f")" = keep ] || { xt_fail "a failed test changed the existing -o file"; return 1; }
	xt_client -t 1 -i 0 -q -o "$f"
	xt_client_ok || return
	xt_json_ok "$f" || return
	xt_server_stop
}

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

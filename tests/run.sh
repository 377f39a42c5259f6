#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The xfr test suite: every unit test binary $BUILD/tests/test_* (one test
# each, pass = exit 0), then every integration test function test_* defined in
# tests/integration/test_*.sh and tests/interop/test_*.sh (interoperability
# with the reference xfr through its conformance peers). One line per test (PASS/FAIL/SKIP), last line
# exactly "N passed, N failed, N skipped"; exit 1 if anything failed.
#
#   tests/run.sh [-k PATTERN] [-v]
#     -k PATTERN  run only tests whose name matches the extended regex PATTERN
#     -v          print the log of failed tests
#
# Env: BUILD (default build), XT_TIMEOUT (per test, default 120 s),
#      XT_KEEP=1 keeps all logs (default: only failed ones),
#      XT_JOBS (integration tests run at once, default 3; 1 = one by one).
#
# The integration tests mostly wait (test durations, timeouts, tbf-limited
# rates), so XT_JOBS of them run at once, each in its own namespaces with its
# own ports. The files in SERIAL run afterwards one test at a time: the load
# tests, the rate- and deadline-sensitive ones, and the XDP tests (which
# count the BPF programs loaded on the whole host); so do the tests a file
# names in its XT_SERIAL variable. Unit tests run first, one
# at a time. Lines come in the order tests finish.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
BUILD=${BUILD:-build}
PATTERN=
VERBOSE=0
while getopts "k:vh" opt; do
	case $opt in
	k) PATTERN=$OPTARG ;;
	v) VERBOSE=1 ;;
	*)
		echo "usage: $0 [-k PATTERN] [-v]" >&2
		exit 2
		;;
	esac
done

export XT_ROOT=$ROOT BUILD
export XFR=${XFR:-$ROOT/$BUILD/xfr}
export XT_RUNID=$$
LOGDIR=$(mktemp -d "/tmp/xfr-tests.$$.XXXXXX")
TIMEOUT=${XT_TIMEOUT:-120}
JOBS=${XT_JOBS:-3}
[[ $JOBS =~ ^[1-9][0-9]?$ ]] || {
	echo "tests/run.sh: XT_JOBS must be 1..99, not '$JOBS'" >&2
	exit 2
}
SERIAL=" test_load.sh test_xdp.sh test_hostile.sh test_hostile_server.sh test_truth.sh test_udp_truth.sh
	test_privileged.sh test_quic.sh "
npass=0 nfail=0 nskip=0 t0=0

selected() {
	[ -z "$PATTERN" ] || [[ $1 =~ $PATTERN ]]
}

# report NAME RC REASON: one line, with the test's wall time (t0 set by the caller).
report() { # report NAME RC REASON
	local took="$((SECONDS - t0)) s"
	case $2 in
	0)
		echo "PASS $1 ($took)"
		npass=$((npass + 1))
		;;
	77)
		echo "SKIP $1 ($3; $took)"
		nskip=$((nskip + 1))
		;;
	*)
		echo "FAIL $1 ($3; $took)"
		nfail=$((nfail + 1))
		if [ "$VERBOSE" = 1 ]; then
			sed 's/^/    /' "$LOGDIR/${1//\//_}.log" | tail -n 40
		fi
		;;
	esac
}

run_unit() {
	local bin name rc reason
	for bin in "$BUILD"/tests/test_*; do
		[ -f "$bin" ] && [ -x "$bin" ] || continue
		name=unit/$(basename "$bin")
		selected "$name" || continue
		t0=$SECONDS
		timeout -k 5 "$TIMEOUT" "$bin" >"$LOGDIR/${name//\//_}.log" 2>&1
		rc=$?
		reason="exit $rc"
		[ $rc -eq 124 ] && reason="timed out after ${TIMEOUT}s"
		if [ $rc -ne 0 ]; then
			reason="$reason; $(grep -m1 -E '\[  FAILED  \]|\[  ERROR   \]|Sanitizer|runtime error' \
				"$LOGDIR/${name//\//_}.log" | cut -c1-150)"
			[ "$VERBOSE" = 1 ] && tail -n 30 "$LOGDIR/${name//\//_}.log"
		fi
		[ $rc -eq 0 ] || rc=1
		report "$name" $rc "$reason"
		[ $rc -ne 0 ] || [ -n "${XT_KEEP:-}" ] || rm -f "$LOGDIR/${name//\//_}.log"
	done
}

# Each integration test runs in its own bash (own traps, own cleanup), bounded
# by timeout(1), which kills the whole process group if it hangs.
run_one() { # run_one FILE FUNC
	local file=$1 fn=$2 log=$LOGDIR/$2.log reason_f=$LOGDIR/$2.reason rc reason
	: >"$reason_f"
	t0=$SECONDS
	XT_REASON=$reason_f timeout -k 5 "$TIMEOUT" bash -c '
		source "$XT_ROOT/tests/integration/lib.sh"
		source "$1"
		xt_begin
		"$2"
	' _ "$file" "$fn" >"$log" 2>&1
	rc=$?
	reason=$(head -n1 "$reason_f")
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		reason="timed out after ${TIMEOUT}s${reason:+; $reason}"
		rc=1
	fi
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -z "$reason" ]; then
		reason="exit $rc: $(grep -v '^#' "$log" | tail -n1 | cut -c1-150)"
	fi
	[ $rc -eq 77 ] && [ -z "$reason" ] && reason="skipped"
	report "$fn" $rc "$reason"
	[ $rc -ne 0 ] || [ -n "${XT_KEEP:-}" ] || rm -f "$log" "$reason_f"
}

# collect: the next finished background test's line(s), counted here.
collect() {
	local id f first
	wait -n 2>/dev/null
	for id in "${!running[@]}"; do
		kill -0 "${running[$id]}" 2>/dev/null && continue
		wait "${running[$id]}" 2>/dev/null
		f=$LOGDIR/$id.line
		cat "$f"
		read -r first _ <"$f"
		case $first in
		PASS) npass=$((npass + 1)) ;;
		SKIP) nskip=$((nskip + 1)) ;;
		*) nfail=$((nfail + 1)) ;;
		esac
		rm -f "$f"
		unset "running[$id]"
	done
}

run_integration() {
	local file fn base xser
	local -a serial=()
	local -A running=()
	for file in tests/integration/test_*.sh tests/interop/test_*.sh; do
		[ -f "$file" ] || continue
		base=$(basename "$file")
		# a file names its own deadline-sensitive tests in XT_SERIAL
		xser=" $(bash -c 'source "$1"; echo "${XT_SERIAL:-}"' _ "$ROOT/$file") "
		for fn in $(bash -c 'source "$1"; declare -F' _ "$ROOT/$file" | awk '$3 ~ /^test_/ { print $3 }'); do
			selected "$fn" || continue
			if [ "$JOBS" = 1 ] || [[ $SERIAL == *" $base "* ]] || [[ $xser == *" $fn "* ]]; then
				serial+=("$ROOT/$file" "$fn")
				continue
			fi
			while [ ${#running[@]} -ge "$JOBS" ]; do collect; done
			run_one "$ROOT/$file" "$fn" >"$LOGDIR/$fn.line" 2>&1 &
			running[$fn]=$!
		done
	done
	while [ ${#running[@]} -gt 0 ]; do collect; done
	set -- "${serial[@]}"
	while [ $# -ge 2 ]; do
		run_one "$1" "$2"
		shift 2
	done
}

# A killed run must not leave namespaces behind for the next one.
sweep() {
	local n
	for n in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^xt$$-"); do
		ip netns del "$n" 2>/dev/null
	done
}
trap sweep EXIT

start=$(date +%s)
run_unit
run_integration
sweep
if [ $nfail -gt 0 ] || [ -n "${XT_KEEP:-}" ]; then
	echo "# logs: $LOGDIR ($(($(date +%s) - start)) s)"
else
	rm -rf "$LOGDIR"
	echo "# $(($(date +%s) - start)) s"
fi
echo "$npass passed, $nfail failed, $nskip skipped"
[ $nfail -eq 0 ]

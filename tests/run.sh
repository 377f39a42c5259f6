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
#      XT_KEEP=1 keeps all logs (default: only failed ones).
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

run_integration() {
	local file fn
	for file in tests/integration/test_*.sh tests/interop/test_*.sh; do
		[ -f "$file" ] || continue
		for fn in $(bash -c 'source "$1"; declare -F' _ "$ROOT/$file" | awk '$3 ~ /^test_/ { print $3 }'); do
			selected "$fn" || continue
			run_one "$ROOT/$file" "$fn"
		done
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

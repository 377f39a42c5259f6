#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run the libFuzzer harnesses that make FUZZ=1 built (docs/FUZZING.md).
#
#   scripts/fuzz.sh run SECONDS [NAME...]  fuzz each harness for SECONDS, from its corpus
#   scripts/fuzz.sh regress [NAME...]      run every checked-in input of each harness once
#
# NAME is a harness without its "fuzz_" prefix (server, proto, ...); default: all.
# Seeds and every crash ever found: tests/fuzz/corpus/NAME/ (only read here).
# New inputs: build/fuzz/corpus/NAME/. Crashes: build/fuzz/artifacts/NAME/.
# One line per harness (executions, exec/s, corpus, result); exit 1 if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${FUZZ_BUILD:-build/fuzz}
SEEDS=tests/fuzz/corpus
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

usage() {
	echo "usage: $0 run SECONDS [NAME...] | $0 regress [NAME...]" >&2
	exit 2
}

# Per-harness libFuzzer options: input size, time per input, dictionary.
opts_for() {
	case $1 in
	server) echo "-max_len=8192 -timeout=20 -dict=tests/fuzz/proto.dict" ;; # a whole session
	proto) echo "-max_len=16384 -timeout=5 -dict=tests/fuzz/proto.dict" ;;
	mtu_respond) echo "-max_len=65507 -timeout=5" ;; # one datagram
	mtu_prober) echo "-max_len=512 -timeout=10" ;;   # responder actions
	pframe) echo "-max_len=8192 -timeout=5" ;;        # frames where one is due
	client) echo "-max_len=65536 -timeout=5 -dict=tests/fuzz/proto.dict" ;;
	toml) echo "-max_len=4096 -timeout=5 -dict=tests/fuzz/toml.dict" ;; # a config file
	quic_link) echo "-max_len=2048 -timeout=10" ;; # a handshake, then the client's ops
	*) echo "-max_len=4096 -timeout=5" ;;
	esac
}

harnesses() {
	local b
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@"
		return
	fi
	for b in "$BUILD"/fuzz_*; do
		[ -x "$b" ] && echo "${b##*/fuzz_}"
	done
}

# stat NAME LOG: one value of libFuzzer's -print_final_stats.
stat() {
	sed -n "s/^stat::$1: *//p" "$2" | tail -n1
}

# explain LOG: the lines that say what broke, and where the input is.
explain() {
	grep -E '^(fuzz:|SUMMARY|==[0-9]+==ERROR|artifact_prefix|Test unit written)' "$1" |
		head -n 12 | sed "s/^/    /" || true
}

run_one() {
	local name=$1 secs=$2 bin=$BUILD/fuzz_$1 log rc=0 execs rate corp
	local work=$BUILD/corpus/$name art=$BUILD/artifacts/$name
	log=$BUILD/logs/$name.log
	mkdir -p "$work" "$art" "$BUILD/logs"
	# shellcheck disable=SC2046 # word splitting of the options is wanted
	"$bin" $(opts_for "$name") -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$art/" "$work" $([ -d "$SEEDS/$name" ] && echo "$SEEDS/$name") \
		>"$log" 2>&1 || rc=$?
	execs=$(stat number_of_executed_units "$log")
	rate=$(stat average_exec_per_sec "$log")
	corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n1 | cut -d' ' -f2)
	printf '%-12s %5ss %10s execs %7s exec/s  corpus %-10s %s\n' "$name" "$secs" \
		"${execs:-?}" "${rate:-?}" "${corp:-?}" "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($log)")"
	[ $rc -eq 0 ] || explain "$log"
	return $rc
}

regress_one() {
	local name=$1 bin=$BUILD/fuzz_$1 log=$BUILD/logs/$1.regress.log rc=0
	local inputs=()
	mkdir -p "$BUILD/logs"
	[ -d "$SEEDS/$name" ] && mapfile -t inputs < <(find "$SEEDS/$name" -type f | sort)
	if [ ${#inputs[@]} -eq 0 ]; then
		printf '%-12s no checked-in inputs\n' "$name"
		return 0
	fi
	# shellcheck disable=SC2046
	"$bin" $(opts_for "$name") "${inputs[@]}" >"$log" 2>&1 || rc=$?
	printf '%-12s %4d inputs  %s\n' "$name" "${#inputs[@]}" \
		"$([ $rc -eq 0 ] && echo ok || echo "FAILED ($log)")"
	[ $rc -eq 0 ] || explain "$log"
	return $rc
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
run)
	[ $# -ge 1 ] || usage
	secs=$1
	shift
	fn=run_one
	;;
regress) fn=regress_one ;;
*) usage ;;
esac

mapfile -t names < <(harnesses "$@")
[ ${#names[@]} -gt 0 ] || {
	echo "fuzz: no harnesses in $BUILD (make FUZZ=1 fuzz-bins)" >&2
	exit 1
}
failed=0
for n in "${names[@]}"; do
	[ -x "$BUILD/fuzz_$n" ] || {
		echo "fuzz: $BUILD/fuzz_$n: not built" >&2
		failed=$((failed + 1))
		continue
	}
	if [ "$mode" = run ]; then
		$fn "$n" "$secs" || failed=$((failed + 1))
	else
		$fn "$n" || failed=$((failed + 1))
	fi
done
echo "fuzz: ${#names[@]} harnesses, $failed failed"
[ $failed -eq 0 ]

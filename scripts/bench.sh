#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make bench: iperf3 and xfr side by side on loopback, TCP, 1 and 4 streams,
# 5 s per run, 3 alternating rounds, medians. Prints
#   case | iperf3 Gbit/s | xfr Gbit/s | xfr/iperf3
# Not a test: it never fails on a ratio (only when a tool cannot run).
#
#   scripts/bench.sh [path/to/xfr]    env: BENCH_TIME (5), BENCH_ROUNDS (3)
set -euo pipefail

XFR=${1:-build/xfr}
T=${BENCH_TIME:-5}
ROUNDS=${BENCH_ROUNDS:-3}
[ -x "$XFR" ] || {
	echo "bench: $XFR not found; run make first" >&2
	exit 1
}
command -v iperf3 >/dev/null || {
	echo "bench: iperf3 not installed (make deps)" >&2
	exit 1
}
command -v jq >/dev/null || {
	echo "bench: jq not installed (make deps)" >&2
	exit 1
}

TMP=$(mktemp -d /tmp/xfr-bench.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

listening() {
	[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}
wait_listen() {
	local i
	for ((i = 0; i < 100; i++)); do
		listening "$1" && return 0
		sleep 0.05
	done
	echo "bench: nothing listening on port $1" >&2
	return 1
}

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		listening $p || break
	done
	echo $p
}

IP3_PORT=$(free_port)
XFR_PORT=$(free_port)
iperf3 -s -p "$IP3_PORT" >"$TMP/iperf3-server.log" 2>&1 &
PIDS+=($!)
"$XFR" serve -p "$XFR_PORT" -B 127.0.0.1 2>"$TMP/xfr-server.log" &
PIDS+=($!)
wait_listen "$IP3_PORT"
wait_listen "$XFR_PORT"

run_iperf3() { # streams -> Gbit/s
	iperf3 -c 127.0.0.1 -p "$IP3_PORT" -t "$T" -P "$1" -J >"$TMP/ip3.json" 2>/dev/null ||
		{ echo "bench: iperf3 -P $1 failed: $(jq -r '.error // empty' "$TMP/ip3.json")" >&2; return 1; }
	jq '.end.sum_received.bits_per_second / 1e9' "$TMP/ip3.json"
}
run_xfr() { # streams -> Gbit/s
	"$XFR" -t "$T" -P "$1" -p "$XFR_PORT" --json 127.0.0.1 >"$TMP/xfr.json" 2>"$TMP/xfr.err" ||
		{ echo "bench: xfr -P $1 failed: $(tail -n1 "$TMP/xfr.err")" >&2; return 1; }
	jq '.receiver.throughput_mbps / 1e3' "$TMP/xfr.json"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "bench: TCP over loopback, ${T} s per run, $ROUNDS alternating rounds, medians ($(nproc) CPUs, $(uname -r))"
declare -A res
for p in 1 4; do
	: >"$TMP/ip3.$p"
	: >"$TMP/xfr.$p"
	for ((r = 1; r <= ROUNDS; r++)); do
		# Alternate which tool goes first so drift in the machine's state
		# does not always favour the same one.
		if [ $((r % 2)) = 1 ]; then
			run_iperf3 $p >>"$TMP/ip3.$p"
			run_xfr $p >>"$TMP/xfr.$p"
		else
			run_xfr $p >>"$TMP/xfr.$p"
			run_iperf3 $p >>"$TMP/ip3.$p"
		fi
		printf '  round %d, %d stream(s): iperf3 %.2f Gbit/s, xfr %.2f Gbit/s\n' $r $p \
			"$(tail -n1 "$TMP/ip3.$p")" "$(tail -n1 "$TMP/xfr.$p")"
	done
	res[ip3.$p]=$(median <"$TMP/ip3.$p")
	res[xfr.$p]=$(median <"$TMP/xfr.$p")
done

echo
printf '%-16s | %-13s | %-10s | %s\n' case "iperf3 Gbit/s" "xfr Gbit/s" "xfr/iperf3"
printf '%-16s-+-%-13s-+-%-10s-+-%s\n' ---------------- ------------- ---------- ----------
for p in 1 4; do
	case $p in 1) name="TCP 1 stream" ;; *) name="TCP $p streams" ;; esac
	printf '%-16s | %13.2f | %10.2f | %.2f\n' "$name" "${res[ip3.$p]}" "${res[xfr.$p]}" \
		"$(awk -v x="${res[xfr.$p]}" -v i="${res[ip3.$p]}" 'BEGIN { print (i > 0) ? x / i : 0 }')"
done

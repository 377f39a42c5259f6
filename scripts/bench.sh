#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make bench: iperf3 and xfr side by side, alternating rounds, medians.
#  TCP: loopback, 1 and 4 streams. Prints
#   case | iperf3 Gbit/s | xfr Gbit/s | xfr/iperf3
#  UDP: -b 0 with 64- and 1400-byte datagrams (-l, header included for xfr;
#   iperf3 -u -l N is the same size on the wire), on loopback and across a veth
#   pair between two namespaces (needs root). What the RECEIVER got: packets/s
#   and Gbit/s, the loss each tool reported, and xfr/iperf3 ratios.
#  Scaling (BENCH_ONLY=scale): -P 1, 2, 4, 8, 32, 128 over loopback, TCP flat
#   out and UDP at 2 Gbit/s in total (1400 B; iperf3's -b is per stream, so
#   it gets 2G/P each): both tools' throughput, CPU seconds per GB moved
#   (client + server, user + system), the server's RSS per stream while the
#   test runs, and the servers' idle RSS.
#  XDP (BENCH_ONLY=xdp): packets/s at 64 B across the veth pair for iperf3, the
#   socket engine, AF_XDP, live frames on one core and on all cores, and the
#   bare XDP_DROP sink ceiling (tests/bench/xdp_ceiling.c); ratios to iperf3,
#   all-cores live frames as a share of the ceiling, and whether sent equals
#   received + lost.
#  QUIC (BENCH_ONLY=quic): xfr -Q against xfr TCP over loopback, 1 stream, in
#   the same alternating rounds (targets: QUIC >= 8 Gbit/s, QUIC/TCP >= 0.35);
#   in BENCH_JSON the row's "iperf3" column holds xfr TCP.
# Not a test: it never fails on a ratio (only when a tool cannot run).
# Every table row is also written to BENCH_JSON (default build/bench.json):
# the machine, and per case the unit, iperf3's and xfr's medians and the
# ratio; scripts/bench-check.sh compares the ratios with the bench/baseline*.json
# of this CPU model.
#
#   scripts/bench.sh [path/to/xfr]
#   env: BENCH_TIME (5 s per run), BENCH_ROUNDS (3), BENCH_ONLY (tcp|udp|quic|scale|xdp),
#        BENCH_SCALE_TIME (3 s per scaling run),
#        BENCH_JSON (where the JSON goes)
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
BENCH_JSON=${BENCH_JSON:-build/bench.json}
: >"$TMP/rows.tsv"

# record CASE UNIT IPERF3 XFR [lower]: one row of the JSON (ratio = xfr /
# iperf3); "lower" marks a cost, where a smaller ratio is the better one.
record() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-higher}" >>"$TMP/rows.tsv"
}

# write_json: the rows so far, with the machine they were measured on.
write_json() {
	local model
	model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
	jq -R -s --arg kernel "$(uname -r)" --arg cpu "${model:-unknown}" --argjson cpus "$(nproc)" \
		--argjson t "$T" --argjson rounds "$ROUNDS" --arg date "$(date -u +%FT%TZ)" '
		{machine: {cpus: $cpus, kernel: $kernel, cpu: $cpu}, date: $date, time_s: $t, rounds: $rounds,
		 cases: [split("\n")[] | select(length > 0) | split("\t")
			 | {name: .[0], unit: .[1], iperf3: (.[2] | tonumber), xfr: (.[3] | tonumber), better: .[4]}
			 | .ratio = (if .iperf3 > 0 then (.xfr / .iperf3 * 1000 | round) / 1000 else null end)]}' \
		"$TMP/rows.tsv" >"$BENCH_JSON.tmp" && mv "$BENCH_JSON.tmp" "$BENCH_JSON" &&
		echo "bench: wrote $BENCH_JSON ($(jq '.cases | length' "$BENCH_JSON") cases)"
}
PIDS=()
NETNS=
MQ_NETNS=
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	[ -z "$NETNS" ] || "$(dirname "$0")/netns.sh" down "$NETNS" 2>/dev/null || true
	[ -z "$MQ_NETNS" ] || "$(dirname "$0")/netns.sh" down "$MQ_NETNS" 2>/dev/null || true
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
IP3_SRV=$!
PIDS+=($!)
"$XFR" serve -p "$XFR_PORT" -B 127.0.0.1 2>"$TMP/xfr-server.log" &
XFR_SRV=$!
PIDS+=($!)
wait_listen "$IP3_PORT"
wait_listen "$XFR_PORT"
IP3_IDLE_KB=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$IP3_SRV/status")
XFR_IDLE_KB=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$XFR_SRV/status")

run_iperf3() { # streams -> Gbit/s
	iperf3 -c 127.0.0.1 -p "$IP3_PORT" -t "$T" -P "$1" -J >"$TMP/ip3.json" 2>/dev/null ||
		{ echo "bench: iperf3 -P $1 failed: $(jq -r '.error // empty' "$TMP/ip3.json")" >&2; return 1; }
	jq '.end.sum_received.bits_per_second / 1e9' "$TMP/ip3.json"
}
run_xfr() { # streams [xfr options...] -> Gbit/s
	local p=$1
	shift
	"$XFR" -t "$T" -P "$p" -p "$XFR_PORT" --json "$@" 127.0.0.1 >"$TMP/xfr.json" 2>"$TMP/xfr.err" ||
		{ echo "bench: xfr -P $p $* failed: $(tail -n1 "$TMP/xfr.err")" >&2; return 1; }
	jq '.receiver.throughput_mbps / 1e3' "$TMP/xfr.json"
}

# The TCP send paths forced one by one (1 stream), beside the default's choice.
TCP_PATHS=(send sendfile msg)
tcp_path_args() { # path -> xfr options
	case $1 in
	send) echo --no-zerocopy ;;
	sendfile) echo --zerocopy=sendfile ;;
	msg) echo --zerocopy=msg ;;
	esac
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_tcp() {
	echo "bench: TCP over loopback, ${T} s per run, $ROUNDS alternating rounds, medians ($(nproc) CPUs, $(uname -r))"
	local p r name path
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
			printf '  round %d, %d stream(s): iperf3 %.2f Gbit/s, xfr %.2f Gbit/s (%s)' $r $p \
				"$(tail -n1 "$TMP/ip3.$p")" "$(tail -n1 "$TMP/xfr.$p")" \
				"$(jq -r '.tcp_info.send_path // .streams[0].tcp_info.send_path // "?"' "$TMP/xfr.json")"
			if [ $p = 1 ]; then
				for path in "${TCP_PATHS[@]}"; do
					# shellcheck disable=SC2046 # the options are words
					run_xfr 1 $(tcp_path_args $path) >>"$TMP/xfr.path.$path"
					printf ', %s %.2f' $path "$(tail -n1 "$TMP/xfr.path.$path")"
				done
			fi
			echo
		done
		res[ip3.$p]=$(median <"$TMP/ip3.$p")
		res[xfr.$p]=$(median <"$TMP/xfr.$p")
	done
	for path in "${TCP_PATHS[@]}"; do
		res[path.$path]=$(median <"$TMP/xfr.path.$path")
	done

	echo
	printf '%-16s | %-13s | %-10s | %s\n' case "iperf3 Gbit/s" "xfr Gbit/s" "xfr/iperf3"
	printf '%-16s-+-%-13s-+-%-10s-+-%s\n' ---------------- ------------- ---------- ----------
	for p in 1 4; do
		case $p in 1) name="TCP 1 stream" ;; *) name="TCP $p streams" ;; esac
		printf '%-16s | %13.2f | %10.2f | %.2f\n' "$name" "${res[ip3.$p]}" "${res[xfr.$p]}" \
			"$(awk -v x="${res[xfr.$p]}" -v i="${res[ip3.$p]}" 'BEGIN { print (i > 0) ? x / i : 0 }')"
		record "tcp_p$p" Gbit/s "${res[ip3.$p]}" "${res[xfr.$p]}"
	done
	for path in "${TCP_PATHS[@]}"; do
		printf '%-16s | %13.2f | %10.2f | %.2f\n' "TCP 1, $path" "${res[ip3.1]}" "${res[path.$path]}" \
			"$(awk -v x="${res[path.$path]}" -v i="${res[ip3.1]}" 'BEGIN { print (i > 0) ? x / i : 0 }')"
		record "tcp_p1_$path" Gbit/s "${res[ip3.1]}" "${res[path.$path]}"
	done
}

# ---------------------------------------------------------------- UDP

# ns_exec NS CMD...: CMD in namespace NS ("" = here).
ns_exec() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

# udp_iperf3 NS HOST PORT LEN -> "pps gbps lost_percent" (receiver side)
udp_iperf3() {
	ns_exec "$1" iperf3 -c "$2" -p "$3" -u -b 0 -l "$4" -t "$T" -J >"$TMP/ip3u.json" 2>/dev/null ||
		{ echo "bench: iperf3 -u -l $4 failed: $(jq -r '.error // empty' "$TMP/ip3u.json")" >&2; return 1; }
	jq -r '.end.sum_received | "\((.packets - .lost_packets) / .seconds) \(.bits_per_second / 1e9) \(.lost_percent)"' \
		"$TMP/ip3u.json"
}

# udp_xfr NS HOST PORT LEN [xfr options...] -> "pps gbps lost_percent" (receiver side)
udp_xfr() {
	local ns=$1 host=$2 port=$3 len=$4
	shift 4
	ns_exec "$ns" "$XFR" -u -b 0 -l "$len" -t "$T" -p "$port" --json "$@" "$host" >"$TMP/xfru.json" \
		2>"$TMP/xfru.err" ||
		{ echo "bench: xfr -u -l $len $* failed: $(tail -n1 "$TMP/xfru.err")" >&2; return 1; }
	jq -r '"\(.udp_stats.packets_received / (.duration_ms / 1000)) \(.receiver.throughput_mbps / 1e3) \(.udp_stats.lost_percent)"' \
		"$TMP/xfru.json"
}

# The veth path: client namespace -> server namespace, servers started there.
udp_veth_up() {
	local out
	[ -z "${NETNS:-}" ] || return 0 # up already (bench_quic, then bench_udp)
	[ "$(id -u)" -eq 0 ] || { echo "bench: not root: UDP across veth skipped" >&2; return 1; }
	NETNS=xfrbench$$
	out=$("$(dirname "$0")/netns.sh" up "$NETNS") || { NETNS=; return 1; }
	eval "$out"
	# shellcheck disable=SC2154 # assigned by eval
	VETH_C=$client_ns VETH_S=$server_ns VETH_HOST=$server4 VETH_CLIENT4=$client4
	ip netns exec "$VETH_S" iperf3 -s -p "$IP3_PORT" >"$TMP/iperf3-veth.log" 2>&1 &
	PIDS+=($!)
	ip netns exec "$VETH_S" "$XFR" serve -p "$XFR_PORT" --engine auto 2>"$TMP/xfr-veth.log" &
	PIDS+=($!)
	local i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(ip netns exec "$VETH_S" ss -Hltn "sport = :$XFR_PORT")" ] &&
			[ -n "$(ip netns exec "$VETH_S" ss -Hltn "sport = :$IP3_PORT")" ] && return 0
		sleep 0.05
	done
	echo "bench: servers in $VETH_S not listening" >&2
	return 1
}

bench_udp() {
	local path len r ns host key a b f label
	declare -A med
	local paths=(loopback)
	udp_veth_up && paths+=(veth veth-nouso)
	echo
	echo "bench: UDP -b 0, ${T} s per run, $ROUNDS alternating rounds, medians; receiver figures"
	echo "  (veth carries a GSO batch as one skb; veth-nouso has tx-udp-segmentation off on both"
	echo "   ends, so every datagram crosses as its own frame, as on a wire)"
	for path in "${paths[@]}"; do
		ns= host=127.0.0.1
		[ "$path" = loopback ] || ns=$VETH_C host=$VETH_HOST
		if [ "$path" = veth-nouso ]; then
			ip netns exec "$VETH_C" ethtool -K xc tx-udp-segmentation off >/dev/null 2>&1 &&
				ip netns exec "$VETH_S" ethtool -K xs tx-udp-segmentation off >/dev/null 2>&1 ||
				{ echo "bench: ethtool cannot turn off tx-udp-segmentation: veth-nouso skipped" >&2; continue; }
		fi
		for len in 64 1400; do
			key=$path.$len
			: >"$TMP/ip3.$key"
			: >"$TMP/xfr.$key"
			for ((r = 1; r <= ROUNDS; r++)); do
				if [ $((r % 2)) = 1 ]; then
					udp_iperf3 "$ns" $host "$IP3_PORT" $len >>"$TMP/ip3.$key"
					udp_xfr "$ns" $host "$XFR_PORT" $len >>"$TMP/xfr.$key"
				else
					udp_xfr "$ns" $host "$XFR_PORT" $len >>"$TMP/xfr.$key"
					udp_iperf3 "$ns" $host "$IP3_PORT" $len >>"$TMP/ip3.$key"
				fi
				read -r a _ _ <<<"$(tail -n1 "$TMP/ip3.$key")"
				read -r b _ _ <<<"$(tail -n1 "$TMP/xfr.$key")"
				printf '  round %d, %-10s %4d B: iperf3 %.0f pps, xfr %.0f pps' $r "$path" $len "$a" "$b"
				if [ "$path" = veth-nouso ]; then
					# the same wire-like path without GSO/GRO (sendmmsg/recvmmsg)
					udp_xfr "$ns" $host "$XFR_PORT" $len --no-gso >>"$TMP/xfr.$key.nogso"
					read -r b _ _ <<<"$(tail -n1 "$TMP/xfr.$key.nogso")"
					printf ', xfr --no-gso %.0f pps' "$b"
				fi
				echo
			done
			for f in 1 2 3; do
				med[ip3.$key.$f]=$(cut -d' ' -f$f "$TMP/ip3.$key" | median)
				med[xfr.$key.$f]=$(cut -d' ' -f$f "$TMP/xfr.$key" | median)
				if [ "$path" = veth-nouso ]; then
					med[ip3.$key-nogso.$f]=${med[ip3.$key.$f]}
					med[xfr.$key-nogso.$f]=$(cut -d' ' -f$f "$TMP/xfr.$key.nogso" | median)
				fi
			done
		done
	done
	echo
	printf '%-27s | %-11s | %-11s | %-8s | %-8s | %-8s | %-8s | %-9s | %s\n' case "iperf3 kpps" "xfr kpps" \
		"pps x" "ip3 Gb/s" "xfr Gb/s" "Gb/s x" "ip3 lost%" "xfr lost%"
	printf '%s\n' "----------------------------+-------------+-------------+----------+----------+----------+----------+-----------+----------"
	for path in "${paths[@]}"; do
		for len in 64 1400 64-nogso 1400-nogso; do
			key=$path.$len
			[ -n "${med[ip3.$key.1]:-}" ] || continue
			label="$path ${len%-nogso} B"
			[ "$len" = "${len%-nogso}" ] || label="$label --no-gso"
			printf '%-27s | %11.1f | %11.1f | %8.2f | %8.3f | %8.3f | %8.2f | %9.2f | %.2f\n' "$label" \
				"$(awk -v v="${med[ip3.$key.1]}" 'BEGIN { print v / 1e3 }')" \
				"$(awk -v v="${med[xfr.$key.1]}" 'BEGIN { print v / 1e3 }')" \
				"$(awk -v x="${med[xfr.$key.1]}" -v i="${med[ip3.$key.1]}" 'BEGIN { print (i > 0) ? x / i : 0 }')" \
				"${med[ip3.$key.2]}" "${med[xfr.$key.2]}" \
				"$(awk -v x="${med[xfr.$key.2]}" -v i="${med[ip3.$key.2]}" 'BEGIN { print (i > 0) ? x / i : 0 }')" \
				"${med[ip3.$key.3]}" "${med[xfr.$key.3]}"
			record "udp_${path}_${len/-/_}" pps "${med[ip3.$key.1]}" "${med[xfr.$key.1]}"
		done
	done
}

# ---------------------------------------------------------------- scaling

# cpu_ticks PID: user + system clock ticks of a process so far.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"
}

# scale_run TOOL PROTO P SRVPID -> "gbps cpu_s_per_gb rss_kb_per_stream"
scale_run() {
	local tool=$1 proto=$2 p=$3 srv=$4 t0 t1 r0 mid gbps cpu hz bytes
	local -a args
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$srv")
	r0=$(rss_kb "$srv")
	if [ "$tool" = iperf3 ]; then
		args=(iperf3 -c 127.0.0.1 -p "$IP3_PORT" -t "$TS" -P "$p" -J)
		[ "$proto" = tcp ] || args+=(-u -l 1400 -b "$((2000 / p))M")
	else
		args=("$XFR" -t "$TS" -P "$p" -p "$XFR_PORT" --json 127.0.0.1)
		[ "$proto" = tcp ] || args+=(-u -l 1400 -b 2G)
	fi
	/usr/bin/time -f '%U %S' -o "$TMP/scale.time" "${args[@]}" >"$TMP/scale.json" 2>"$TMP/scale.err" &
	local cpid=$!
	sleep "$(awk -v t="$TS" 'BEGIN { print t / 2 + 0.3 }')"
	mid=$(rss_kb "$srv")
	wait "$cpid" || { echo "bench: $tool -P $p $proto failed: $(tail -n1 "$TMP/scale.err")" >&2; echo "0 0 0"; return; }
	t1=$(cpu_ticks "$srv")
	if [ "$tool" = iperf3 ]; then
		if [ "$proto" = tcp ]; then
			gbps=$(jq '.end.sum_received.bits_per_second / 1e9' "$TMP/scale.json")
			bytes=$(jq '.end.sum_received.bytes' "$TMP/scale.json")
		else
			gbps=$(jq '.end.sum.bits_per_second * (1 - .end.sum.lost_percent / 100) / 1e9' "$TMP/scale.json")
			bytes=$(jq '.end.sum.bytes' "$TMP/scale.json")
		fi
	else
		gbps=$(jq '.receiver.throughput_mbps / 1e3' "$TMP/scale.json")
		bytes=$(jq '.receiver.bytes' "$TMP/scale.json")
	fi
	read -r cu cs <"$TMP/scale.time"
	cpu=$(awk -v u="$cu" -v s="$cs" -v a="$t0" -v b="$t1" -v hz="$hz" -v by="$bytes" \
		'BEGIN { c = u + s + (b - a) / hz; print (by > 0) ? c / (by / 1e9) : 0 }')
	echo "$gbps $cpu $(awk -v m="$mid" -v r="$r0" -v p="$p" 'BEGIN { d = m - r; print (d > 0 ? d : 0) / p }')"
}

bench_scale() {
	local proto p a b name
	TS=${BENCH_SCALE_TIME:-3}
	echo
	echo "bench: scaling over loopback, ${TS} s per run, one round (TCP flat out; UDP 2 Gbit/s in total, 1400 B)"
	printf '%-12s | %-9s | %-9s | %-6s | %-14s | %-14s | %-13s | %s\n' case "ip3 Gb/s" "xfr Gb/s" "x" \
		"ip3 CPU s/GB" "xfr CPU s/GB" "ip3 KiB/strm" "xfr KiB/strm"
	printf '%s\n' "-------------+-----------+-----------+--------+----------------+----------------+---------------+-------------"
	for proto in tcp udp; do
		for p in 1 2 4 8 32 128; do
			a=$(scale_run iperf3 "$proto" "$p" "$IP3_SRV")
			b=$(scale_run xfr "$proto" "$p" "$XFR_SRV")
			read -r ag ac ar <<<"$a"
			read -r bg bc br <<<"$b"
			name="$proto -P $p"
			printf '%-12s | %9.2f | %9.2f | %6.2f | %14.3f | %14.3f | %13.0f | %.0f\n' "$name" "$ag" "$bg" \
				"$(awk -v x="$bg" -v i="$ag" 'BEGIN { print (i > 0) ? x / i : 0 }')" "$ac" "$bc" "$ar" "$br"
			record "scale_${proto}_p$p" Gbit/s "$ag" "$bg"
			record "scale_${proto}_p${p}_cpu" s/GB "$ac" "$bc" lower
		done
	done
	printf 'server idle RSS: iperf3 %s KiB, xfr %s KiB (target < 10 MiB)\n' "$IP3_IDLE_KB" "$XFR_IDLE_KB"
	record server_idle_rss KiB "$IP3_IDLE_KB" "$XFR_IDLE_KB" lower
}

# ---------------------------------------------------------------- kernel data plane

# xdp_xfr NAME ARGS...: one xfr run across the veth pair at 64 B, flat out; appends
# "pps sent received lost" (receiver side) to $TMP/xdp.NAME.
xdp_xfr() {
	local name=$1
	shift
	ip netns exec "$VETH_C" "$XFR" -u -b 0 -l 64 -t "$T" -p "$XFR_PORT" --json "$@" "$VETH_HOST" \
		>"$TMP/xdp.json" 2>"$TMP/xdp.err" ||
		{ echo "bench: xfr $* failed: $(tail -n1 "$TMP/xdp.err")" >&2; return 1; }
	jq -r '"\(.udp_stats.packets_received / (.duration_ms / 1000)) \(.udp_stats.packets_sent) \(.udp_stats.packets_received) \(.udp_stats.lost)"' \
		"$TMP/xdp.json" >>"$TMP/xdp.$name"
}

# xdp_ceiling NAME THREADS: the bare sink ceiling, live frames from THREADS
# generator threads (one per core) straight into the XDP_DROP counter.
xdp_ceiling() {
	local out
	out=$("$XDP_CEILING" "$VETH_S" xs "$VETH_C" xc "$VETH_CLIENT4" \
		"$VETH_HOST" "$2" "$T" 64) || { echo "bench: xdp_ceiling failed" >&2; return 1; }
	awk '{ print $6, $2, $4, $2 - $4 }' <<<"$out" >>"$TMP/xdp.$1"
}

# A second veth pair with one queue per core (veth picks the peer's receive
# queue by the sending CPU), and an xfr server in it: where -P N can scale.
xdp_mq_up() {
	local out i
	MQ_NETNS=xfrbenchmq$$
	out=$(XFR_NET_QUEUES=$(nproc) "$(dirname "$0")/netns.sh" up "$MQ_NETNS") || { MQ_NETNS=; return 1; }
	eval "$out"
	# shellcheck disable=SC2154 # assigned by eval
	MQ_C=$client_ns MQ_S=$server_ns MQ_HOST=$server4 MQ_CLIENT4=$client4
	ip netns exec "$MQ_S" "$XFR" serve -p "$XFR_PORT" --engine auto 2>"$TMP/xfr-mq.log" &
	PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[ -n "$(ip netns exec "$MQ_S" ss -Hltn "sport = :$XFR_PORT")" ] && return 0
		sleep 0.05
	done
	echo "bench: server in $MQ_S not listening" >&2
	return 1
}

# on_mq CMD ARGS...: run a bench step against the multi-queue pair.
on_mq() {
	local c=$VETH_C s=$VETH_S h=$VETH_HOST c4=$VETH_CLIENT4 rc=0
	VETH_C=$MQ_C VETH_S=$MQ_S VETH_HOST=$MQ_HOST VETH_CLIENT4=$MQ_CLIENT4
	"$@" || rc=$?
	VETH_C=$c VETH_S=$s VETH_HOST=$h VETH_CLIENT4=$c4
	return $rc
}

bench_xdp() {
	local r name a
	declare -A med
	local names=(iperf3 socket afxdp live ceiling-1 live-all ceiling)
	xdp_mq_up && names+=(live-mq ceiling-mq)
	[ -n "${VETH_C:-}" ] || udp_veth_up || { echo "bench: no veth pair: XDP bench skipped" >&2; return 0; }
	[ -x "${XDP_CEILING:-}" ] || { echo "bench: XDP_CEILING tool not built" >&2; return 0; }
	ip netns exec "$VETH_C" ethtool -K xc tx-udp-segmentation on >/dev/null 2>&1
	ip netns exec "$VETH_S" ethtool -K xs tx-udp-segmentation on >/dev/null 2>&1
	for name in "${names[@]}"; do : >"$TMP/xdp.$name"; done
	echo
	echo "bench: packets/s at 64 B across one veth pair, ${T} s per run, $ROUNDS rounds, medians;"
	echo "  receiver counts (iperf3 and socket: the receiving socket; xfr kernel engines: the XDP sink)"
	for ((r = 1; r <= ROUNDS; r++)); do
		{ udp_iperf3 "$VETH_C" "$VETH_HOST" "$IP3_PORT" 64 || echo 0; } | awk '{ print $1, 0, 0, 0 }' >>"$TMP/xdp.iperf3"
		xdp_xfr socket --engine socket --no-gso || echo "0 0 0 0" >>"$TMP/xdp.socket"
		xdp_xfr afxdp --engine afxdp --xdp-mode drop --affinity 0 || echo "0 0 0 0" >>"$TMP/xdp.afxdp"
		xdp_xfr live --engine xdp --affinity 0 || echo "0 0 0 0" >>"$TMP/xdp.live"
		xdp_xfr live-all --engine xdp -P "$(nproc)" --affinity "0-$(($(nproc) - 1))" || echo "0 0 0 0" >>"$TMP/xdp.live-all"
		xdp_ceiling ceiling-1 1 || echo "0 0 0 0" >>"$TMP/xdp.ceiling-1"
		xdp_ceiling ceiling "$(nproc)" || echo "0 0 0 0" >>"$TMP/xdp.ceiling"
		if [ -n "$MQ_NETNS" ]; then
			on_mq xdp_xfr live-mq --engine xdp -P "$(nproc)" --affinity "0-$(($(nproc) - 1))" ||
				echo "0 0 0 0" >>"$TMP/xdp.live-mq"
			on_mq xdp_ceiling ceiling-mq "$(nproc)" || echo "0 0 0 0" >>"$TMP/xdp.ceiling-mq"
		fi
		printf '  round %d:' "$r"
		for name in "${names[@]}"; do
			read -r a _ <<<"$(tail -n1 "$TMP/xdp.$name")"
			printf ' %s %.0f kpps;' "$name" "$(awk -v v="${a:-0}" 'BEGIN { print v / 1e3 }')"
		done
		echo
	done
	for name in "${names[@]}"; do
		med[$name]=$(cut -d' ' -f1 "$TMP/xdp.$name" | median)
	done
	echo
	printf '%-38s | %-10s | %-10s | %s\n' case "kpps" "x iperf3" "sent = received + lost (last run)"
	printf '%s\n' "---------------------------------------+------------+------------+-----------------------------------"
	local ip3=${med[iperf3]:-0} s rx lost exact desc
	for name in "${names[@]}"; do
		case $name in
		iperf3) desc="iperf3 -u -b 0 -l 64" ;;
		socket) desc="xfr socket (sendmmsg)" ;;
		afxdp) desc="xfr afxdp (1 core)" ;;
		live) desc="xfr xdp live frames (1 core)" ;;
		live-all) desc="xfr xdp live frames (-P $(nproc))" ;;
		ceiling-1) desc="XDP_DROP sink ceiling (1 core)" ;;
		ceiling) desc="XDP_DROP sink ceiling ($(nproc) cores)" ;;
		live-mq) desc="live frames (-P $(nproc)), $(nproc)-queue veth" ;;
		ceiling-mq) desc="sink ceiling ($(nproc) cores), $(nproc)-queue veth" ;;
		esac
		read -r _ s rx lost <<<"$(tail -n1 "$TMP/xdp.$name")"
		exact=n/a
		[ "$name" != iperf3 ] && [ -n "${s:-}" ] &&
			exact=$(awk -v s="$s" -v r="$rx" -v l="$lost" 'BEGIN { printf "%s (%d sent, %d received, %d lost)", (s == r + l) ? "yes" : "NO", s, r, l }')
		printf '%-38s | %10.1f | %10.2f | %s\n' "$desc" \
			"$(awk -v v="${med[$name]}" 'BEGIN { print v / 1e3 }')" \
			"$(awk -v x="${med[$name]}" -v i="$ip3" 'BEGIN { print (i > 0) ? x / i : 0 }')" "$exact"
		[ "$name" = iperf3 ] || record "xdp_${name//-/_}" pps "$ip3" "${med[$name]}"
	done
	local best=${med[live]} all=${med[live-all]} ceil=${med[ceiling]} ceil1=${med[ceiling-1]}
	echo
	printf 'best on one generator core: %.1f x iperf3 (target >= 20), %.1f %% of the 1-core ceiling\n' \
		"$(awk -v x="$best" -v i="$ip3" 'BEGIN { print (i > 0) ? x / i : 0 }')" \
		"$(awk -v x="$best" -v c="$ceil1" 'BEGIN { print (c > 0) ? 100 * x / c : 0 }')"
	# The ceiling with all cores can never be below the one with one core.
	awk -v c="$ceil1" -v a="$ceil" 'BEGIN { exit !(c > a) }' && ceil=$ceil1
	printf 'all cores: %.1f %% of the XDP_DROP sink ceiling (best of 1 and %s cores; target >= 90 %%)\n' \
		"$(awk -v x="$all" -v c="$ceil" 'BEGIN { print (c > 0) ? 100 * x / c : 0 }')" "$(nproc)"
	printf 'more cores never slower: -P %s live frames at %.1f %% of the 1-core rate (target >= 95 %%)\n' \
		"$(nproc)" "$(awk -v x="$all" -v b="$best" 'BEGIN { print (b > 0) ? 100 * x / b : 0 }')"
	[ -n "${med[live-mq]:-}" ] &&
		printf 'with %s queues: -P %s live frames %.2f x the 1-core rate, %.1f %% of that pair'"'"'s ceiling\n' \
			"$(nproc)" "$(nproc)" "$(awk -v x="${med[live-mq]}" -v b="$best" 'BEGIN { print (b > 0) ? x / b : 0 }')" \
			"$(awk -v x="${med[live-mq]}" -v c="${med[ceiling-mq]}" 'BEGIN { print (c > 0) ? 100 * x / c : 0 }')"
	return 0
}

# ---------------------------------------------------------------- QUIC

run_quic() { # ns host [-Q] -> Gbit/s of one stream (the server's certificate: its config directory)
	local ns=$1 host=$2
	shift 2
	ns_exec "$ns" "$XFR" "$@" -t "$T" -p "$XFR_PORT" --json "$host" >"$TMP/xfrq.json" \
		2>"$TMP/xfrq.err" ||
		{ echo "bench: xfr $* $host failed: $(tail -n1 "$TMP/xfrq.err")" >&2; return 1; }
	jq '.receiver.throughput_mbps / 1e3' "$TMP/xfrq.json"
}

# QUIC against xfr's TCP on loopback (the peer is this host: QUIC packets of up
# to 32752 bytes, quic/README.md) and, as root, across the veth pair (a path
# like a wire: ngtcp2's packet sizes, at most 1452 bytes).
bench_quic() {
	local r path ns host paths=(loopback)
	declare -A tcp quic
	{ [ -n "${NETNS:-}" ] || udp_veth_up; } && paths+=(veth)
	echo "bench: QUIC vs TCP (xfr, 1 stream), ${T} s per run, $ROUNDS alternating rounds, medians"
	for path in "${paths[@]}"; do
		ns= host=127.0.0.1
		[ "$path" = loopback ] || ns=$VETH_C host=$VETH_HOST
		: >"$TMP/q.tcp.$path"
		: >"$TMP/q.quic.$path"
		for ((r = 1; r <= ROUNDS; r++)); do
			if [ $((r % 2)) = 1 ]; then
				run_quic "$ns" $host >>"$TMP/q.tcp.$path"
				run_quic "$ns" $host -Q >>"$TMP/q.quic.$path"
				cp "$TMP/xfrq.json" "$TMP/xfrq.quic.json"
			else
				run_quic "$ns" $host -Q >>"$TMP/q.quic.$path"
				cp "$TMP/xfrq.json" "$TMP/xfrq.quic.json"
				run_quic "$ns" $host >>"$TMP/q.tcp.$path"
			fi
			printf '  round %d, %-8s: TCP %.2f Gbit/s, QUIC %.2f Gbit/s (packets up to %s B)\n' $r \
				$path "$(tail -n1 "$TMP/q.tcp.$path")" "$(tail -n1 "$TMP/q.quic.$path")" \
				"$(jq -r '.tcp_info.pmtu // "?"' "$TMP/xfrq.quic.json")"
		done
		tcp[$path]=$(median <"$TMP/q.tcp.$path")
		quic[$path]=$(median <"$TMP/q.quic.$path")
	done
	echo
	printf '%-24s | %-13s | %-10s | %s\n' case "TCP Gbit/s" "QUIC Gbit/s" "QUIC/TCP"
	printf '%-24s-+-%-13s-+-%-10s-+-%s\n' ------------------------ ------------- ---------- ----------
	for path in "${paths[@]}"; do
		printf '%-24s | %13.2f | %10.2f | %.2f%s\n' "QUIC 1 stream, $path" "${tcp[$path]}" \
			"${quic[$path]}" \
			"$(awk -v q="${quic[$path]}" -v t="${tcp[$path]}" 'BEGIN { print (t > 0) ? q / t : 0 }')" \
			"$([ $path = loopback ] && echo '   (targets: QUIC >= 8, ratio >= 0.35)')"
	done
	record quic_p1 Gbit/s "${tcp[loopback]}" "${quic[loopback]}"
	[ -z "${tcp[veth]:-}" ] || record quic_veth_p1 Gbit/s "${tcp[veth]}" "${quic[veth]}"
}

case ${BENCH_ONLY:-} in
tcp) bench_tcp ;;
quic) bench_quic ;;
udp) bench_udp ;;
xdp) bench_xdp ;;
scale) bench_scale ;;
*)
	bench_tcp
	bench_quic
	bench_udp
	bench_scale
	bench_xdp
	;;
esac
echo
write_json

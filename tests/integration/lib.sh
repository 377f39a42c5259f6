# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the integration tests. tests/run.sh sources this file and one
# tests/integration/test_*.sh file in a fresh bash per test, calls xt_begin,
# then the test function. A test returns 0 (pass), 1 (fail: xt_fail said why)
# or 77 (skip: xt_skip said why). Everything a test creates (namespaces,
# processes, files) is registered here and removed by the EXIT trap, whatever
# way the test ends.

XT_ROOT=${XT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
XFR=${XFR:-$XT_ROOT/${BUILD:-build}/xfr}
XT_PY=${XT_PY:-/usr/bin/python3}
XT_RUNID=${XT_RUNID:-$$}
XT_N=0             # namespace pairs made by this test
XT_PIDS=()         # processes to kill on exit
XT_NETNS=()        # namespace pair names to delete on exit
XT_ETC=()          # /etc/netns/* directories we created
XT_REASON=${XT_REASON:-/dev/null}

# ---------------------------------------------------------------- results

# Record why the test failed (first call wins in the report) and return 1, so a
# test can write: cond || { xt_fail "what"; return 1; }  or  ... || return $(xt_fail..)
xt_fail() {
	echo "FAIL: $*"
	echo "$*" >>"$XT_REASON"
	return 1
}

xt_skip() {
	echo "SKIP: $*"
	echo "$*" >>"$XT_REASON"
	return 77
}

xt_log() {
	echo "# $*"
}

# ---------------------------------------------------------------- set-up

xt_cleanup() {
	local p n d
	trap - EXIT INT TERM
	for p in "${XT_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${XT_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for n in "${XT_NETNS[@]}"; do
		"$XT_ROOT/scripts/netns.sh" down "$n" 2>/dev/null
	done
	xt_cleanup_ns1
	for d in "${XT_ETC[@]}"; do
		rm -rf "$d"
	done
	[ -n "${XT_TMP:-}" ] && rm -rf "$XT_TMP"
}

# Called once per test process before the test function.
xt_begin() {
	XT_TMP=$(mktemp -d "/tmp/xfr-it.$XT_RUNID.XXXXXX")
	# Hermetic: no operator's ~/.config/xfr/config.toml leaks into a test.
	export XDG_CONFIG_HOME=$XT_TMP/config
	unset XFR_CONFIG
	trap xt_cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
}

# Integration tests need root, ip netns and the binary.
xt_require_netns() {
	[ "$(id -u)" -eq 0 ] || { xt_skip "needs root"; return 77; }
	command -v ip >/dev/null || { xt_skip "ip (iproute2) not installed"; return 77; }
	[ -x "$XFR" ] || { xt_fail "$XFR not built"; return 1; }
	return 0
}

# xt_setup [RATE]: a fresh client/server namespace pair. Sets NS_C NS_S IF_C
# IF_S C4 S4 C6 S6 (client .1, server .2). RATE = tbf on both egresses.
xt_setup() {
	local name out
	xt_require_netns || return $?
	XT_N=$((XT_N + 1))
	name="xt$XT_RUNID-$BASHPID-$XT_N"
	out=$(XFR_NET_X=$((100 + RANDOM % 150)) XFR_NET_Y=$((RANDOM % 256)) \
		"$XT_ROOT/scripts/netns.sh" up "$name" "${1:-}" 2>&1) || {
		"$XT_ROOT/scripts/netns.sh" down "$name" 2>/dev/null
		xt_skip "cannot create namespaces: $(echo "$out" | head -n1)"
		return 77
	}
	XT_NETNS+=("$name")
	eval "$out"
	# shellcheck disable=SC2154 # assigned by eval above
	NS_C=$client_ns NS_S=$server_ns IF_C=$client_if IF_S=$server_if
	# shellcheck disable=SC2154
	C4=$client4 S4=$server4 C6=$client6 S6=$server6
	xt_link_up "$NS_C" "$IF_C" && xt_link_up "$NS_S" "$IF_S"
}

# xt_link_up NS DEV: wait (<= 3 s) until DEV has carrier: a new veth can take
# most of a second (measured on a 6.1 guest), and XDP engines refuse a down link.
xt_link_up() {
	local i
	for ((i = 0; i < 60; i++)); do
		ip -n "$1" link show dev "$2" 2>/dev/null | grep -q "LOWER_UP.* state UP" && return 0
		sleep 0.05
	done
	xt_fail "$2 in $1 has no carrier after 3 s"
	return 1
}

# xt_tbf client|server RATE: limit that side's egress.
xt_tbf() {
	local ns=$NS_C dev=$IF_C
	[ "$1" = server ] && ns=$NS_S dev=$IF_S
	tc -n "$ns" qdisc replace dev "$dev" root tbf rate "$2" burst 256kb latency 50ms
}

# xt_hosts NAME: make NAME resolve to the server's v4 and v6 address inside
# the client namespace (ip netns exec bind-mounts /etc/netns/NS/hosts).
xt_hosts() {
	mkdir -p "/etc/netns/$NS_C"
	XT_ETC+=("/etc/netns/$NS_C")
	printf '127.0.0.1 localhost\n%s %s\n%s %s\n' "$S4" "$1" "$S6" "$1" \
		>"/etc/netns/$NS_C/hosts"
}

# xt_port: a random port nothing here listens on (tests run side by side) and
# not handed out before in this test (a server's port and its metrics port
# must differ; both are chosen before either listens).
xt_port() {
	local p f=${XT_TMP:-}/ports
	[ -n "${XT_TMP:-}" ] || f=/dev/null
	while :; do
		p=$((20000 + RANDOM % 20000))
		grep -qx "$p" "$f" 2>/dev/null && continue
		[ -z "$(ss -Hltnu "sport = :$p" 2>/dev/null)" ] && break
	done
	echo "$p" >>"$f"
	echo "$p"
}

# ---------------------------------------------------------------- server

# Any sanitizer report or crash message in FILE fails the test (TSan reports
# races as WARNING, and with halt_on_error=1 exits 66 after the first).
xt_check_san() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|(WARNING|FATAL): ThreadSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$f"; then
			xt_fail "sanitizer report in $(basename "$f"): $(grep -m1 -E 'SUMMARY: [A-Za-z]+Sanitizer: ' "$f" ||
				grep -m1 -E 'Sanitizer|runtime error' "$f")"
			return 1
		fi
	done
	return 0
}

# xt_listening NS PORT: something listens on TCP PORT in NS.
xt_listening() {
	[ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null)" ]
}

# xt_server_start [serve options...]: start "xfr serve -p PORT OPTIONS" in the
# server namespace; sets SRV_PID SRV_PORT SRV_OUT SRV_ERR. Waits (<= 3 s) until
# it listens. SRV_PORT may be preset to choose the port.
xt_server_start() {
	local i
	SRV_PORT=${SRV_PORT:-$(xt_port)}
	SRV_OUT=$XT_TMP/server.$SRV_PORT.out
	SRV_ERR=$XT_TMP/server.$SRV_PORT.err
	ip netns exec "$NS_S" "$XFR" serve -p "$SRV_PORT" "$@" >"$SRV_OUT" 2>"$SRV_ERR" &
	SRV_PID=$!
	XT_PIDS+=("$SRV_PID")
	for ((i = 0; i < 60; i++)); do
		xt_listening "$NS_S" "$SRV_PORT" && return 0
		if ! kill -0 "$SRV_PID" 2>/dev/null; then
			wait "$SRV_PID"
			i=$?
			xt_fail "server exited at start (status $i): $(tail -n1 "$SRV_ERR" | cut -c1-200)"
			return 1
		fi
		sleep 0.05
	done
	xt_fail "server not listening on $SRV_PORT after 3 s"
	return 1
}

# xt_wait_exit PID SECONDS: poll until PID has exited; then XT_EXIT = its status.
xt_wait_exit() {
	local pid=$1 i n
	n=$(awk "BEGIN { print int($2 * 20) }")
	for ((i = 0; i < n; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		return 1
	fi
	wait "$pid"
	XT_EXIT=$?
	return 0
}

# xt_server_stop: SIGTERM; the server must exit 0 within 2 s, no sanitizer report.
xt_server_stop() {
	kill -TERM "$SRV_PID" 2>/dev/null
	if ! xt_wait_exit "$SRV_PID" 2; then
		xt_fail "server still running 2 s after SIGTERM"
		return 1
	fi
	if [ "$XT_EXIT" -ne 0 ]; then
		xt_fail "server exited $XT_EXIT after SIGTERM: $(tail -n1 "$SRV_ERR")"
		return 1
	fi
	xt_check_san "$SRV_ERR"
}

xt_server_alive() {
	local st
	kill -0 "$SRV_PID" 2>/dev/null && return 0
	wait "$SRV_PID" 2>/dev/null
	st=$?
	[ $st -gt 128 ] && st="killed by signal $((st - 128))" || st="exit $st"
	xt_fail "server died ($st): $(tail -n1 "$SRV_ERR")"
	return 1
}

# ---------------------------------------------------------------- client

# xt_client_raw ARGS...: run xfr in the client namespace (30 s bound). Sets
# OUT ERR (files) and RC. Returns RC.
XT_CN=0
xt_client_raw() {
	XT_CN=$((XT_CN + 1))
	OUT=$XT_TMP/client.$XT_CN.out
	ERR=$XT_TMP/client.$XT_CN.err
	timeout -k 2 "${XT_CLIENT_TIMEOUT:-30}" ip netns exec "$NS_C" "$XFR" "$@" >"$OUT" 2>"$ERR"
	RC=$?
	echo "# client $XT_CN: xfr $* -> rc $RC"
	return $RC
}

# xt_client ARGS...: xfr ARGS -p SRV_PORT S4 (IPv4 server address).
xt_client() {
	xt_client_raw "$@" -p "$SRV_PORT" "$S4"
}

# xt_client_bg OUTFILE ERRFILE ARGS...: background client; sets CLI_PID.
xt_client_bg() {
	local out=$1 err=$2
	shift 2
	ip netns exec "$NS_C" "$XFR" "$@" >"$out" 2>"$err" &
	CLI_PID=$!
	XT_PIDS+=("$CLI_PID")
}

# The client must have exited 0 with a clean stderr.
xt_client_ok() {
	if [ "$RC" -ne 0 ]; then
		# A server crash is the better explanation when there is one.
		[ -n "${SRV_ERR:-}" ] && { xt_check_san "$SRV_ERR" || return 1; }
		xt_fail "client exited $RC: $(grep -v '^$' "$ERR" | tail -n1)"
		return 1
	fi
	xt_check_san "$ERR"
}

# ---------------------------------------------------------------- JSON

# xt_schema result|stream FILE: validate against docs/schema via schema_check.py.
xt_schema() {
	local out
	[ -f "$XT_ROOT/tests/schema_check.py" ] || {
		xt_fail "tests/schema_check.py missing"
		return 1
	}
	out=$("$XT_PY" "$XT_ROOT/tests/schema_check.py" "$1" "$2" 2>&1) || {
		xt_fail "$1 schema: $(echo "$out" | head -n1 | cut -c1-200)"
		return 1
	}
}

# xt_jq FILE FILTER: print the value (compact).
xt_jq() {
	jq -c "$2" "$1" 2>/dev/null
}

# xt_assert FILE BOOL_FILTER [DESC]: jq -e; on failure the reason shows DESC.
xt_assert() {
	if ! jq -e "$2" "$1" >/dev/null 2>&1; then
		xt_fail "${3:-$2}"
		return 1
	fi
}

# xt_json_ok FILE: the file is one valid JSON document that passes the schema.
xt_json_ok() {
	jq -e . "$1" >/dev/null 2>&1 || {
		xt_fail "stdout is not valid JSON: $(head -c 120 "$1" | tr '\n' ' ')"
		return 1
	}
	xt_schema result "$1"
}

# xt_within VALUE LOW HIGH: numeric LOW <= VALUE <= HIGH (floats allowed).
xt_within() {
	awk -v v="$1" -v l="$2" -v h="$3" 'BEGIN { exit !(v != "" && v + 0 >= l + 0 && v + 0 <= h + 0) }'
}

# ---------------------------------------------------------------- truth

# xt_nft NS RULE...: add a counting rule to table inet xfrt, chain CHAIN (in|out).
# Usage: xt_nft NS in "tcp dport 5201"  ;  read with xt_nft_count.
xt_nft() {
	local ns=$1 chain=$2 hook=input
	shift 2
	[ "$chain" = out ] && hook=output
	ip netns exec "$ns" nft add table inet xfrt 2>/dev/null
	ip netns exec "$ns" nft add chain inet xfrt "$chain" \
		"{ type filter hook $hook priority 0; }" 2>/dev/null
	ip netns exec "$ns" nft add rule inet xfrt "$chain" "$@"
}

# xt_nft_count NS COMMENT packets|bytes: the counter of the rule tagged with
# comment "COMMENT".
xt_nft_count() {
	ip netns exec "$1" nft -j list table inet xfrt 2>/dev/null |
		jq -r --arg c "$2" --arg f "${3:-packets}" \
			'[.nftables[] | select(.rule? and .rule.comment == $c) | .rule.expr[]
			  | select(.counter?) | .counter[$f]] | add // 0'
}

# xt_nstat NS COUNTER: absolute value of a kernel SNMP counter in NS.
xt_nstat() {
	ip netns exec "$1" nstat -asz "$2" 2>/dev/null | awk -v c="$2" '$1 == c { print $2 }'
}

# xt_poll SECONDS CMD...: run CMD every 50 ms until it succeeds or time runs out.
xt_poll() {
	local n i
	n=$(awk "BEGIN { print int($1 * 20) }")
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

xt_now_ms() {
	date +%s%3N
}

# ---------------------------------------------------------------- UDP

# xt_nft_loss NS PORT PERMILLE: drop PERMILLE/1000 of the UDP datagrams to
# PORT on NS's input, at random (numgen), counted under comment "loss".
xt_nft_loss() {
	xt_nft "$1" in udp dport "$2" numgen random mod 1000 "<" "$3" counter drop comment '"loss"'
}

# xt_wire_datagrams: no UDP segmentation offload on either veth end, so the
# kernel splits a GSO send into real datagrams before the veth, as a NIC
# would on a wire: nft then counts (and drops) datagrams, not GSO batches.
xt_wire_datagrams() {
	ip netns exec "$NS_C" ethtool -K "$IF_C" tx-udp-segmentation off >/dev/null 2>&1 &&
		ip netns exec "$NS_S" ethtool -K "$IF_S" tx-udp-segmentation off >/dev/null 2>&1 ||
		{ xt_skip "cannot turn off tx-udp-segmentation (ethtool)"; return 77; }
}

# xt_nstat0 NS COUNTER: like xt_nstat but 0 when the counter is absent.
# Read it before and after a run: the difference is the run's delta.
xt_nstat0() {
	local v
	v=$(xt_nstat "$1" "$2")
	echo "${v:-0}"
}

# xt_udp_stat FILE KEY: .udp_stats.KEY of a result document (0 when absent).
xt_udp_stat() {
	jq -r --arg k "$2" '.udp_stats[$k] // 0' "$1" 2>/dev/null
}

# xt_bidir_exact FILE N: a --bidir result where each direction sent and
# received exactly N datagrams and lost none.
xt_bidir_exact() {
	local d
	for d in upload download; do
		xt_assert "$1" ".$d.udp_stats.packets_sent == $2 and .$d.udp_stats.packets_received == $2 and .$d.udp_stats.lost == 0" \
			"$d: $(xt_jq "$1" ".$d.udp_stats | [.packets_sent, .packets_received, .lost]"), want $2/$2/0" || return
	done
}

# xt_setup3 [MTU_AR] [MTU_RB]: three namespaces A - R - B in a line, A and B
# routed through R (forwarding on, ICMP not rate limited so that PMTU
# discovery is immediate). The A-R link has MTU_AR (default 9000), the R-B
# link MTU_RB (default 1500). Sets the same names as xt_setup with A as the
# client and B as the server (NS_C NS_S IF_C IF_S C4 S4) plus NS_R.
xt_setup3() {
	local name x y ma=${1:-9000} mb=${2:-1500}
	xt_require_netns || return $?
	XT_N=$((XT_N + 1))
	name="xt$XT_RUNID-$BASHPID-$XT_N"
	x=$((100 + RANDOM % 150)) y=$((RANDOM % 255))
	ip netns add "$name-c" || { xt_skip "cannot create namespaces"; return 77; }
	XT_NETNS+=("$name")
	ip netns add "$name-s" || { xt_fail "cannot create $name-s"; return 1; }
	ip netns add "$name-r" || { xt_fail "cannot create $name-r"; return 1; }
	XT_NS1+=("$name-r")
	NS_C=$name-c NS_S=$name-s NS_R=$name-r IF_C=xa IF_S=xb
	C4=10.$x.$y.1 S4=10.$x.$((y + 1)).2
	ip link add name xa netns "$NS_C" mtu "$ma" type veth peer name ra netns "$NS_R" mtu "$ma" &&
		ip link add name xb netns "$NS_S" mtu "$mb" type veth peer name rb netns "$NS_R" mtu "$mb" ||
		{ xt_fail "cannot create the veth links"; return 1; }
	local ns
	for ns in "$NS_C" "$NS_S" "$NS_R"; do
		ip -n "$ns" link set lo up
	done
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0 || return 1
	ip -n "$NS_C" addr add "$C4/24" dev xa &&
		ip -n "$NS_R" addr add "10.$x.$y.2/24" dev ra &&
		ip -n "$NS_R" addr add "10.$x.$((y + 1)).1/24" dev rb &&
		ip -n "$NS_S" addr add "$S4/24" dev xb &&
		ip -n "$NS_C" link set xa up && ip -n "$NS_R" link set ra up &&
		ip -n "$NS_R" link set rb up && ip -n "$NS_S" link set xb up &&
		ip -n "$NS_C" route add default via "10.$x.$y.2" &&
		ip -n "$NS_S" route add default via "10.$x.$((y + 1)).1" ||
		{ xt_fail "cannot configure the routed path"; return 1; }
	xt_link_up "$NS_C" xa && xt_link_up "$NS_S" xb && xt_link_up "$NS_R" ra && xt_link_up "$NS_R" rb
}

# Extra single namespaces (xt_setup3's router) go away with the test.
XT_NS1=()
xt_cleanup_ns1() {
	local n
	for n in "${XT_NS1[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
}

# ---------------------------------------------------------------- more peers

# xt_client_addrs N: N more IPv4 addresses on the client's veth (same /24 as
# C4, hosts .10 up), for tests that need many distinct clients. Sets XT_CADDRS.
xt_client_addrs() {
	local i net=${C4%.*}
	XT_CADDRS=()
	[ "$1" -le 200 ] || { xt_fail "xt_client_addrs: at most 200 addresses"; return 1; }
	for ((i = 0; i < $1; i++)); do
		echo "address add $net.$((10 + i))/24 dev $IF_C"
	done | ip -n "$NS_C" -batch - || { xt_fail "cannot add client addresses"; return 1; }
	for ((i = 0; i < $1; i++)); do
		XT_CADDRS+=("$net.$((10 + i))")
	done
}

# xt_setup_client2: a second client namespace NS_C2 with its own veth link to
# the server namespace and its own /24 (after xt_setup): a client at C2_4
# reaches the server at S2_4. Another host, as far as the server can tell.
xt_setup_client2() {
	local net=${C4%.*} x y
	x=$(echo "$net" | cut -d. -f2) y=$(echo "$net" | cut -d. -f3)
	y=$(((y + 128) % 256))
	NS_C2=${NS_C%-c}-c2
	ip netns add "$NS_C2" || { xt_fail "cannot create $NS_C2"; return 1; }
	XT_NS1+=("$NS_C2")
	C2_4=10.$x.$y.1 S2_4=10.$x.$y.2
	ip link add name xc2 netns "$NS_C2" type veth peer name xs2 netns "$NS_S" &&
		ip -n "$NS_C2" link set lo up &&
		ip -n "$NS_C2" addr add "$C2_4/24" dev xc2 &&
		ip -n "$NS_S" addr add "$S2_4/24" dev xs2 &&
		ip -n "$NS_C2" link set xc2 up && ip -n "$NS_S" link set xs2 up ||
		{ xt_fail "cannot configure the second client link"; return 1; }
	xt_link_up "$NS_C2" xc2 && xt_link_up "$NS_S" xs2
}

# ---------------------------------------------------------------- process figures

# Open fds, threads and resident memory (KiB) of PID.
xt_proc_fds() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

xt_proc_threads() {
	ls "/proc/$1/task" 2>/dev/null | wc -l
}

xt_proc_rss() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null
}

# xt_plain_only: a test whose subject is a rate or a figure checked against the
# truth (a tbf path, iperf3's numbers) runs on the plain build only: under a
# sanitizer it would measure the sanitizer's slowdown, and every code path it
# takes is also taken by tests that do run there. Use as
#   xt_plain_only || return
# (returns 77 = skipped, with the reason, on sanitizer builds).
xt_plain_only() {
	local san
	san=$(xt_sanitizer)
	[ -n "$san" ] || return 0
	xt_skip "$san build: a rate against the truth is checked on the plain build"
	return 77
}

# xt_sanitizer: "asan" or "tsan" when $XFR is a sanitizer build, else nothing.
xt_sanitizer() {
	local libs
	libs=$(ldd "$XFR" 2>/dev/null)
	case $libs in
	*libasan*) echo asan ;;
	*libtsan*) echo tsan ;;
	esac
}

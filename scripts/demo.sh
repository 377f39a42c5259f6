#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make demo: two network namespaces joined by a veth pair, "xfr serve" in one,
# a 5-second TCP test from the other, plain output on stdout. Removes all it
# created on every exit path. Without root or ip netns it runs over loopback
# and says so.
#
#   scripts/demo.sh [path/to/xfr]
set -euo pipefail

XFR=${1:-build/xfr}
XFR=$(cd "$(dirname "$XFR")" && pwd)/$(basename "$XFR")
[ -x "$XFR" ] || {
	echo "demo: $XFR not found; run make first" >&2
	exit 1
}
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=xfrdemo$$
PORT=$((20000 + RANDOM % 20000))
SRV_PID=
NETNS=0
LOG=$(mktemp /tmp/xfr-demo.XXXXXX)

cleanup() {
	if [ -n "$SRV_PID" ]; then
		kill -TERM "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
	fi
	[ $NETNS = 1 ] && "$HERE/netns.sh" down "$NAME" 2>/dev/null
	rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_listen() { # NS_PREFIX...
	local i
	for ((i = 0; i < 60; i++)); do
		[ -n "$("$@" ss -Hltn "sport = :$PORT" 2>/dev/null)" ] && return 0
		kill -0 "$SRV_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

topo=
why="needs root"
if [ "$(id -u)" -eq 0 ]; then
	if ! command -v ip >/dev/null; then
		why="needs ip, from iproute2"
	elif topo=$("$HERE/netns.sh" up "$NAME" 2>"$LOG"); then
		NETNS=1
	else
		why="scripts/netns.sh: $(tail -n1 "$LOG")"
	fi
fi
if [ $NETNS = 1 ]; then
	eval "$topo"
	# shellcheck disable=SC2154 # set by eval
	echo "demo: namespaces $client_ns ($client4) -> $server_ns ($server4) over veth, port $PORT"
	ip netns exec "$server_ns" "$XFR" serve -p "$PORT" 2>"$LOG" &
	SRV_PID=$!
	wait_listen ip netns exec "$server_ns" || {
		echo "demo: server did not start: $(head -n1 "$LOG")" >&2
		exit 1
	}
	ip netns exec "$client_ns" "$XFR" -t 5 -p "$PORT" "$server4"
else
	"$HERE/netns.sh" down "$NAME" 2>/dev/null || true
	echo "demo: cannot create network namespaces ($why); using loopback instead"
	"$XFR" serve -p "$PORT" -B 127.0.0.1 2>"$LOG" &
	SRV_PID=$!
	wait_listen env || {
		echo "demo: server did not start: $(head -n1 "$LOG")" >&2
		exit 1
	}
	"$XFR" -t 5 -p "$PORT" 127.0.0.1
fi

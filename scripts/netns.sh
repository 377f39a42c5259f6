#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Two network namespaces joined by a veth pair, for trying xfr by hand and for
# the integration tests (tests/integration/lib.sh uses it).
#
#   scripts/netns.sh up NAME [RATE]   create NAME-c (client) and NAME-s (server)
#   scripts/netns.sh down NAME        delete both
#
# "up" prints the topology as shell assignments (eval-able), e.g.
#   client_ns=demo-c server_ns=demo-s client_if=xc server_if=xs
#   client4=10.61.7.1 server4=10.61.7.2 client6=fd00:61:7::1 server6=fd00:61:7::2
# RATE (e.g. 200mbit) adds a tbf qdisc on the egress of both veth ends.
# XFR_NET_X / XFR_NET_Y (0..255) choose the subnet 10.X.Y.0/24, fd00:X:Y::/64;
# by default they are derived from NAME. XFR_NET_QUEUES=N (default 1) gives
# both veth ends N receive and N transmit queues (veth picks the receive queue
# by the sending CPU, so N generator cores can each fill their own queue).
set -euo pipefail

usage() {
	echo "usage: $0 up NAME [RATE] | down NAME" >&2
	exit 2
}

# Namespace names are limited only by the file system; veth names live inside
# the namespaces, so fixed short names never collide between pairs.
up() {
	local name=$1 rate=${2:-} sum x y p6 cns sns q=${XFR_NET_QUEUES:-1} mq=()
	sum=$(printf '%s' "$name" | cksum | cut -d' ' -f1)
	x=${XFR_NET_X:-$((sum % 200 + 20))}
	y=${XFR_NET_Y:-$(((sum / 200) % 256))}
	# the /64 as inet_ntop writes it (fd00:X::1 when Y is 0), so addresses
	# printed by the tools match these strings
	p6=fd00:$x:$y::
	[ "$y" -eq 0 ] && p6=fd00:$x::
	cns=$name-c
	sns=$name-s

	ip netns add "$cns"
	if ! ip netns add "$sns"; then
		ip netns del "$cns"
		return 1
	fi
	[ "$q" -gt 1 ] && mq=(numtxqueues "$q" numrxqueues "$q")
	if ! ip link add name xc "${mq[@]}" netns "$cns" type veth peer name xs "${mq[@]}" netns "$sns"; then
		ip netns del "$cns"
		ip netns del "$sns"
		return 1
	fi
	ip -n "$cns" link set lo up
	ip -n "$sns" link set lo up
	ip -n "$cns" addr add "10.$x.$y.1/24" dev xc
	ip -n "$sns" addr add "10.$x.$y.2/24" dev xs
	ip -n "$cns" -6 addr add "${p6}1/64" dev xc nodad
	ip -n "$sns" -6 addr add "${p6}2/64" dev xs nodad
	ip -n "$cns" link set xc up
	ip -n "$sns" link set xs up
	if [ -n "$rate" ]; then
		tc -n "$cns" qdisc add dev xc root tbf rate "$rate" burst 256kb latency 50ms
		tc -n "$sns" qdisc add dev xs root tbf rate "$rate" burst 256kb latency 50ms
	fi
	echo "client_ns=$cns server_ns=$sns client_if=xc server_if=xs"
	echo "client4=10.$x.$y.1 server4=10.$x.$y.2 client6=${p6}1 server6=${p6}2"
}

# Deleting a namespace also destroys the veth pair (both ends die together).
down() {
	local name=$1 rc=0
	ip netns del "$name-c" 2>/dev/null || rc=1
	ip netns del "$name-s" 2>/dev/null || rc=1
	return $rc
}

[ $# -ge 2 ] || usage
case $1 in
up) up "$2" "${3:-}" ;;
down) down "$2" ;;
*) usage ;;
esac

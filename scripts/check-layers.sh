#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The layer rule of docs/ARCHITECTURE.md, checked: a file may include headers
# of its own folder or of a lower layer, never of a higher one or of a sibling
# on the same layer. Run by `make check` and by CI.
#
#   scripts/check-layers.sh [-v]    -v: also print the layer table
#
# Layers, lowest first (a folder's subfolders share its rank but are siblings
# of each other: engine/sock and engine/xdp may include engine/, not each other).
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A RANK=(
	[common]=0
	[base]=1
	[model]=2
	[bpf]=3
	[engine]=4
	[engine/sock]=5
	[engine/xdp]=5
	[quic]=5 # quic/: the QUIC engine, beside engine/sock and engine/xdp
	[dataplane]=6
	[control]=6
	[output]=7
	[tui]=7 # the client TUI and the server dashboard: sinks, like output/
	[metrics]=7
	[client]=8
	[server]=8
	[cmd]=8
	[cli]=8
	[.]=9 # user/main.c
)

if [ "${1:-}" = -v ]; then
	for k in "${!RANK[@]}"; do echo "${RANK[$k]} $k"; done | sort -n
fi

# folder_of PATH: the layer key of a file under user/ (or common).
folder_of() {
	local p=$1
	case $p in
	common/*) echo common ;;
	quic/*) echo quic ;;
	user/quic/*) echo quic ;;
	user/*/*/*) p=${p#user/} && echo "${p%/*}" ;;
	user/*/*) p=${p#user/} && echo "${p%%/*}" ;;
	user/*) echo . ;;
	*) echo "?" ;;
	esac
}

bad=0
while IFS= read -r file; do
	from=$(folder_of "$file")
	[ -n "${RANK[$from]+x}" ] || {
		echo "check-layers: $file: folder '$from' has no layer (add it to scripts/check-layers.sh)"
		bad=1
		continue
	}
	while IFS=: read -r line inc; do
		case $inc in
		*.skel.h) continue ;; # generated skeletons: loaders only, checked below
		*/*) to=$(folder_of "user/$inc") ;;
		*) [ -f "common/$inc" ] && to=common || {
			echo "check-layers: $file:$line: \"$inc\" names no folder (write \"folder/$inc\")"
			bad=1
			continue
		} ;;
		esac
		[ "$to" = "$from" ] && continue
		if [ -z "${RANK[$to]+x}" ]; then
			echo "check-layers: $file:$line: \"$inc\": unknown folder '$to'"
			bad=1
		elif [ "${RANK[$to]}" -ge "${RANK[$from]}" ]; then
			echo "check-layers: $file:$line: $from (layer ${RANK[$from]}) includes \"$inc\" of $to (layer ${RANK[$to]}): arrows point down only"
			bad=1
		fi
	done < <(grep -no '^#include "[^"]*"' "$file" | sed 's/#include "\(.*\)"/\1/')
	# BPF skeletons belong to their loaders.
	if grep -q '^#include "[^"]*\.skel\.h"' "$file" && [ "$from" != bpf ]; then
		echo "check-layers: $file: includes a BPF skeleton outside user/bpf/ (the loaders)"
		bad=1
	fi
done < <(find user common quic -name '*.[ch]' | sort)

if [ $bad -ne 0 ]; then
	echo "check-layers: FAILED (layers: common < base < model < bpf < engine < engine/{sock,xdp} < dataplane, control < output < client, server, cmd, cli < main)"
	exit 1
fi
echo "check-layers: ok ($(find user common quic -name '*.[ch]' | wc -l) files)"

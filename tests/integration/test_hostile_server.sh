# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The client against a hostile server (bad-input catalogue 3.5 T1-T3):
# tests/integration/hostile_server.py speaks protocol 1.1 and misbehaves.

# xt_hostile_server MODE: start the fake server in the server namespace.
xt_hostile_server() {
	SRV_PORT=$(xt_port)
	ip netns exec "$NS_S" "$XT_PY" "$XT_ROOT/tests/integration/hostile_server.py" "$SRV_PORT" "$1" \
		>"$XT_TMP/hostile_server.out" 2>&1 &
	XT_PIDS+=("$!")
	local i
	for ((i = 0; i < 30; i++)); do
		xt_listening "$NS_S" "$SRV_PORT" && return 0
		sleep 0.1
	done
	xt_fail "hostile server not listening: $(cat "$XT_TMP/hostile_server.out")"
}

# Bytes a terminal acts on: ESC, BEL, C1 CSI/OSC/ST in UTF-8, the bidi override U+202E.
xt_terminal_safe() {
	! LC_ALL=C grep -qP '\x1b|\x07|\xc2[\x80-\x9f]|\xe2\x80\xae' "$1"
}

# Defect 2c of the server-safety issue: 3 000 interval lines at once, each with
# 128 streams the client never asked for (~60 MB), made the client keep them
# all (1.6 MB of lines took its peak to 140 MB). Now the server's intervals
# may lead our own clock by two and only our streams count: the peak stays
# small and the client says what it ignored.
test_hostile_server_flood() {
	xt_setup || return
	xt_hostile_server flood || return
	/usr/bin/time -f '%M %e' -o "$XT_TMP/rss" timeout -k 2 60 ip netns exec "$NS_C" "$XFR" -t 2 -i 0.1 \
		--json -p "$SRV_PORT" "$S4" >"$XT_TMP/flood.out" 2>"$XT_TMP/flood.err"
	local rc=$? rss secs most
	read -r rss secs <<<"$(tail -n1 "$XT_TMP/rss")"
	xt_log "client exit $rc, peak RSS $rss KB, ran $secs s"
	[ "$rc" -eq 0 ] || { xt_fail "client exited $rc: $(tail -n1 "$XT_TMP/flood.err")"; return 1; }
	xt_check_san "$XT_TMP/flood.err" || return
	xt_json_ok "$XT_TMP/flood.out" || return
	# a sanitizer's quarantine and shadow memory make RSS meaningless: the
	# plain build's run of this test checks it
	if [ -z "$(xt_sanitizer)" ] && [ "$rss" -ge 80000 ]; then
		xt_fail "client peak RSS $rss KB under a flood of intervals"
		return 1
	fi
	grep -q "intervals run ahead of this side's clock: ignored" "$XT_TMP/flood.err" ||
		{ xt_fail "no word of the ignored intervals: $(cat "$XT_TMP/flood.err")"; return 1; }
	# kept: what our own clock reached (a loaded machine runs the 2 s test
	# longer) plus the two it may lead by, and only our one stream
	most=$(awk -v s="$secs" 'BEGIN { printf "%d", s / 0.1 + 3 }')
	xt_assert "$XT_TMP/flood.out" "(.intervals | length) <= $most and ([.intervals[].streams | length] | max) <= 1" \
		"kept intervals (at most $most): $(jq -c '[(.intervals | length), ([.intervals[].streams | length] | max)]' "$XT_TMP/flood.out")"
}

# Defect 8: the server's version, engine note and --get-server-output text are
# full of terminal escapes; none reaches the client's stdout or stderr raw, in
# plain text or JSON.
test_hostile_server_inject() {
	local fmt
	for fmt in plain json; do
		xt_setup || return
		xt_hostile_server inject || return
		# shellcheck disable=SC2046
		timeout -k 2 30 ip netns exec "$NS_C" "$XFR" -t 1 --get-server-output --engine auto \
			$([ "$fmt" = json ] && echo --json) -p "$SRV_PORT" "$S4" >"$XT_TMP/inj.out" 2>"$XT_TMP/inj.err"
		local rc=$?
		[ "$rc" -eq 0 ] || { xt_fail "$fmt: client exited $rc: $(tail -n1 "$XT_TMP/inj.err")"; return 1; }
		xt_terminal_safe "$XT_TMP/inj.out" || { xt_fail "$fmt: the server's escapes reached stdout raw"; return 1; }
		xt_terminal_safe "$XT_TMP/inj.err" || { xt_fail "$fmt: the server's escapes reached stderr raw"; return 1; }
		if [ "$fmt" = plain ]; then
			grep -q '^Server output:' "$XT_TMP/inj.out" || { xt_fail "no server output printed"; return 1; }
		else
			xt_json_ok "$XT_TMP/inj.out" || return
			jq -e '.server_output.note | contains("\u009b")' "$XT_TMP/inj.out" >/dev/null ||
				{ xt_fail "json: the server's text did not survive as data"; return 1; }
		fi
	done
}

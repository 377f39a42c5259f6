# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The client's live TUI, driven for real in tmux: panels and live values at
# 80x24 and 120x40, the keys (p d t s r j ? q, Ctrl+C once and twice), resize
# storms down to 40x10 and below, NO_COLOR, a hostile server's escapes, the
# summary on the normal screen after exit; and pause without the TUI
# (SIGUSR1/SIGUSR2, the p key on a terminal stdin).

xt_tui_require() {
	command -v tmux >/dev/null || { xt_skip "tmux not installed (scripts/install-deps.sh)"; return 77; }
}

# xt_tui_start W H [ENV=VALUE...] -- XFR ARGS...: the client in a W x H tmux
# pane of a private tmux server (its own socket, killed on exit). Sets TUI_RAW
# (every byte the client wrote to the terminal) and TUI_RC (its exit code, once
# it has exited). HOME is the test's own: the preferences land there.
xt_tui_start() {
	local w=$1 h=$2 envs=() pid
	shift 2
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	TUI_N=$((${TUI_N:-0} + 1))
	TUI_SOCK="xt$XT_RUNID-$BASHPID-$TUI_N"
	TUI_RAW=$XT_TMP/tui.raw
	TUI_RC=$XT_TMP/tui.rc
	TUI_HOME=$XT_TMP/home
	mkdir -p "$TUI_HOME"
	rm -f "$TUI_RAW" "$TUI_RC"
	printf '%q ' ip netns exec "${TUI_NS:-$NS_C}" env TERM=tmux-256color LANG=C.UTF-8 HOME="$TUI_HOME" XDG_CONFIG_HOME="$TUI_HOME/.config" \
		"${envs[@]}" "$XFR" "$@" >"$XT_TMP/tui.cmd"
	echo "2>$XT_TMP/tui.err; echo \$? >$TUI_RC; sleep 600" >>"$XT_TMP/tui.cmd"
	# the pane records from its first byte: pipe-pane starts before the client does
	tmux -L "$TUI_SOCK" -f /dev/null new-session -d -s t -x "$w" -y "$h" "sleep 0.3; . $XT_TMP/tui.cmd" ||
		{ xt_fail "tmux would not start"; return 1; }
	pid=$(tmux -L "$TUI_SOCK" display -p -t t '#{pid}')
	XT_PIDS+=("$pid")
	tmux -L "$TUI_SOCK" pipe-pane -t t "cat >>$TUI_RAW"
}

xt_tui() {
	tmux -L "$TUI_SOCK" "$@"
}

xt_tui_screen() {
	xt_tui capture-pane -p -t t
}

# xt_tui_wait REGEX [SECONDS]: until the screen shows REGEX (grep -E).
xt_tui_wait() {
	local i n=$((${2:-10} * 10))
	for ((i = 0; i < n; i++)); do
		xt_tui_screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	xt_fail "the screen never showed /$1/: $(xt_tui_screen | grep -v '^ *$' | head -n 12)"
	return 1
}

# xt_tui_exit [SECONDS]: until the client exits; XT_EXIT = its code.
xt_tui_exit() {
	local i n=$((${1:-10} * 10))
	for ((i = 0; i < n; i++)); do
		[ -s "$TUI_RC" ] && XT_EXIT=$(cat "$TUI_RC") && return 0
		sleep 0.1
	done
	xt_fail "the client did not exit: $(xt_tui_screen | grep -v '^ *$' | tail -n 5)"
	return 1
}

# The title's test time ("[RUNNING] 2.0 s" -> 2.0).
xt_tui_time() {
	xt_tui_screen | head -n1 | grep -oE '\] [0-9.]+ s' | grep -oE '[0-9.]+'
}

# The bytes the client's namespace has sent so far.
xt_tx_bytes() {
	ip -n "$NS_C" -s -j link show dev "$IF_C" | jq '.[0].stats64.tx.bytes'
}

# The summary after exit: the TUI gave the screen back, the printers' summary is there.
xt_tui_summary_ok() {
	xt_tui_wait '\[SUM\].*receiver|\[  0\].*receiver' 5 || return
	xt_tui_screen | grep -q 'Real-time Stats' && { xt_fail "the TUI is still on the screen after exit"; return 1; }
	xt_check_san "$XT_TMP/tui.err"
}

# 80x24: every panel, live figures that move, d, t (saved), ?, then the end,
# j for a JSON summary and q.
test_tui_panels_80x24() {
	xt_tui_require || return
	xt_setup || return
	xt_server_start || return
	xt_tui_start 80 24 -- -t 4 -P 2 -p "$SRV_PORT" "$S4" || return
	xt_tui_wait 'Real-time Stats' || return
	xt_tui_wait '↑ [0-9.]+ [kMGT]bit/s' || return
	local s
	s=$(xt_tui_screen)
	for want in ' xfr → '"$S4" 'Configuration' "Target +$S4:$SRV_PORT" 'tcp upload, 2 streams' \
		'4 s at unlimited' 'Progress +.*%' 'RTT [0-9.]+ ms +Retr [0-9]+ +cwnd [0-9.]+ [kMG]?B' \
		'Throughput .* peak [0-9.]+ [kMGT]bit/s' 'History \(d: streams\)' 'test started' \
		'q quit +p pause +r restart +s settings +t theme +d streams +\? help'; do
		grep -qE -- "$want" <<<"$s" || { xt_fail "80x24: no /$want/ on: $s"; return 1; }
	done
	grep -qE '↑ 0 bit/s' <<<"$s" && { xt_fail "throughput shows 0 during the test"; return 1; }
	xt_tui send-keys -t t d
	xt_tui_wait 'Streams \(d: history\)' || return
	xt_tui_wait '#0 .*[0-9.]+ [kMGT]bit/s' || return
	xt_tui_screen | grep -qE '#1 .*[0-9.]+ [kMGT]bit/s' || { xt_fail "no bar for stream 1"; return 1; }
	xt_tui send-keys -t t t
	xt_tui_wait 'theme: kawaii' || return
	grep -qx 'theme = "kawaii"' "$TUI_HOME/.config/xfr/prefs.toml" ||
		{ xt_fail "the theme was not saved: $(cat "$TUI_HOME/.config/xfr/prefs.toml" 2>&1)"; return 1; }
	# the other nine, then back to the first: eleven in all
	xt_tui send-keys -t t t t t t t t t t t
	xt_tui_wait 'theme: solarized' || return
	xt_tui send-keys -t t t
	xt_tui_wait 'theme: default' || return
	grep -qx 'theme = "default"' "$TUI_HOME/.config/xfr/prefs.toml" || { xt_fail "default not saved"; return 1; }
	xt_tui send-keys -t t '?'
	xt_tui_wait 'Help \(any key closes\)' || return
	xt_tui send-keys -t t x
	xt_tui_wait '\[DONE\]' 10 || return
	xt_tui_screen | grep -q 'Help (any' && { xt_fail "help did not close"; return 1; }
	xt_tui_screen | grep -qE 'Progress .*100%' || { xt_fail "progress is not 100% at the end"; return 1; }
	xt_tui send-keys -t t j
	xt_tui_wait 'summary: JSON' || return
	xt_tui send-keys -t t q
	xt_tui_exit || return
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "exit $XT_EXIT after q"; return 1; }
	xt_tui_wait '"throughput_mbps"' 5 || return
	# the whole document, from the pane's scrollback, is valid JSON of the result schema
	xt_tui capture-pane -p -J -S - -t t | sed -n '/^{/,/^}/p' >"$XT_TMP/summary.json"
	xt_json_ok "$XT_TMP/summary.json" || return
	xt_check_san "$XT_TMP/tui.err"
}

# 120x40: p is a real pause: the clock stops, the link goes quiet, the overlay
# shows; p again resumes and the test still runs its 3 s of traffic.
test_tui_pause_120x40() {
	xt_tui_require || return
	xt_setup || return
	xt_server_start || return
	xt_tui_start 120 40 -- -t 3 -p "$SRV_PORT" "$S4" || return
	xt_tui_wait '\[RUNNING\] 1\.[0-9] s' || return
	local t0 t1 b0 b1 start end
	start=$(date +%s)
	xt_tui send-keys -t t p
	xt_tui_wait 'PAUSED \(p resumes\)' || return
	xt_tui_wait '\[PAUSED\]' || return
	sleep 0.5
	t0=$(xt_tui_time) b0=$(xt_tx_bytes)
	sleep 2
	t1=$(xt_tui_time) b1=$(xt_tx_bytes)
	xt_log "paused: test time $t0 -> $t1, link sent $((b1 - b0)) bytes in 2 s"
	[ "$t0" = "$t1" ] || { xt_fail "the test clock ran while paused ($t0 -> $t1)"; return 1; }
	[ $((b1 - b0)) -lt 2000000 ] || { xt_fail "traffic went on while paused: $((b1 - b0)) bytes in 2 s"; return 1; }
	xt_tui_screen | grep -q 'paused' || { xt_fail "no 'paused' in the history"; return 1; }
	xt_tui send-keys -t t p
	xt_tui_wait '\[RUNNING\]' || return
	xt_tui_wait '\[DONE\]' 10 || return
	end=$(date +%s)
	[ $((end - start)) -ge 4 ] || { xt_fail "the pause did not lengthen the test ($((end - start)) s)"; return 1; }
	xt_tui_screen | grep -q resumed || { xt_fail "no 'resumed' in the history"; return 1; }
	xt_tui send-keys -t t q
	xt_tui_exit || return
	xt_tui_summary_ok || return
	# the summary counts test time only: 3 s, not the wall time with the pause
	xt_tui_screen | grep -qE '\[  0\] +0\.00-3\.[0-9]+ +s.*receiver' ||
		{ xt_fail "summary interval is not 3 s: $(xt_tui_screen | grep receiver)"; return 1; }
}

# s opens the settings; two streams and Apply & Restart run a new test with
# them; r restarts again; q cancels gracefully with the summary.
test_tui_settings_restart() {
	xt_tui_require || return
	xt_setup || return
	xt_server_start || return
	xt_tui_start 100 30 -- -t 20 -p "$SRV_PORT" "$S4" || return
	xt_tui_wait 'tcp upload, 1 stream' || return
	xt_tui send-keys -t t s
	xt_tui_wait 'Settings \(Esc closes\)' || return
	xt_tui send-keys -t t Down Down Down Right
	xt_tui_wait '> Streams +< 2 >' || return
	xt_tui send-keys -t t Down Down Down Down Down
	xt_tui_wait 'Apply & Restart' || return
	xt_tui send-keys -t t Enter
	xt_tui_wait 'tcp upload, 2 streams' 15 || return
	xt_tui_wait '\[RUNNING\]' || return
	xt_tui_wait 'restarting the test' || return
	xt_tui send-keys -t t r
	xt_tui_wait '\[RUNNING\] [0-9.]+ s' 15 || return
	xt_tui send-keys -t t q
	xt_tui_exit 10 || return
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "exit $XT_EXIT after q"; return 1; }
	xt_tui_summary_ok || return
	# the test that ran last had 2 streams
	xt_tui_screen | grep -qE '^\[  1\]' || { xt_fail "the restarted test did not run 2 streams"; return 1; }
	[ "$(grep -c 'xfr: ' "$XT_TMP/tui.err")" -eq 0 ] || { xt_fail "errors: $(cat "$XT_TMP/tui.err")"; return 1; }
}

# Ctrl+C once: graceful, the server's summary; twice: out at once, terminal back.
test_tui_ctrl_c() {
	xt_tui_require || return
	xt_setup || return
	xt_server_start || return
	xt_tui_start 80 24 -- -t 30 -p "$SRV_PORT" "$S4" || return
	xt_tui_wait '\[RUNNING\] 1\.[0-9] s' || return
	xt_tui send-keys -t t C-c
	xt_tui_exit 8 || return
	[ "$XT_EXIT" -eq 130 ] || { xt_fail "exit $XT_EXIT after Ctrl+C (want 130)"; return 1; }
	xt_tui_summary_ok || return
	xt_tui kill-server
	xt_tui_start 80 24 -- -t 30 -p "$SRV_PORT" "$S4" || return
	xt_tui_wait '\[RUNNING\]' || return
	xt_tui send-keys -t t C-c C-c
	xt_tui_exit 3 || return
	[ "$XT_EXIT" -eq 130 ] || { xt_fail "exit $XT_EXIT after two Ctrl+C (want 130)"; return 1; }
	sleep 0.3
	xt_tui_screen | grep -q 'Real-time Stats' && { xt_fail "the screen was not given back"; return 1; }
	xt_check_san "$XT_TMP/tui.err"
}

# A resize storm, then sizes down to 40x10 (compact) and below (a note), and
# back: the client keeps running, never draws a row past the pane, and ends well.
test_tui_resize_storm() {
	xt_tui_require || return
	xt_setup || return
	xt_server_start || return
	xt_tui_start 120 40 -- -t 12 -u -b 50M -p "$SRV_PORT" "$S4" || return
	xt_tui_wait 'Jitter' || return
	local i w h
	for ((i = 0; i < 80; i++)); do
		w=$((10 + RANDOM % 200)) h=$((3 + RANDOM % 60))
		xt_tui resize-window -t t -x "$w" -y "$h"
		((i % 8 == 0)) && sleep 0.05
	done
	xt_tui resize-window -t t -x 40 -y 10
	sleep 0.4
	xt_tui_wait 'Throughput +↑' || return
	local s
	s=$(xt_tui_screen)
	grep -qE 'Loss|Jitter' <<<"$s" || { xt_fail "40x10: no UDP figures: $s"; return 1; }
	grep -q 'q quit' <<<"$s" || { xt_fail "40x10: no footer: $s"; return 1; }
	# ${#l} counts characters only in a UTF-8 locale (bytes in C, as under a bare env -i):
	# this shell's own, not just the screen reader's.
	local l LC_ALL=C.UTF-8
	while IFS= read -r l; do
		[ "${#l}" -le 40 ] || { xt_fail "40x10: a row of ${#l} columns: $l"; return 1; }
	done < <(xt_tui_screen)
	unset LC_ALL
	[ "$(xt_tui_screen | wc -l)" -le 10 ] || { xt_fail "40x10: more than 10 rows"; return 1; }
	xt_tui resize-window -t t -x 30 -y 6
	xt_tui_wait 'terminal too small' || return
	xt_tui resize-window -t t -x 100 -y 30
	xt_tui_wait 'Real-time Stats' || return
	kill -0 "$SRV_PID" || { xt_fail "server died"; return 1; }
	xt_tui_wait '\[DONE\]' 25 || return
	xt_tui send-keys -t t q
	xt_tui_exit || return
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "exit $XT_EXIT"; return 1; }
	xt_tui_summary_ok
}

# NO_COLOR: no colour at all in what reaches the terminal; the loss and state
# marks still show (attributes, text).
test_tui_no_color() {
	xt_tui_require || return
	xt_setup || return
	xt_server_start || return
	xt_tui_start 80 24 NO_COLOR=1 -- -t 2 -p "$SRV_PORT" "$S4" || return
	xt_tui_wait '\[DONE\]' 10 || return
	xt_tui send-keys -t t q
	xt_tui_exit || return
	LC_ALL=C grep -qaP '\x1b\[[0-9;]*(3[0-7]|4[0-7]|38;5|48;5)[;m]' "$TUI_RAW" &&
		{ xt_fail "colour sequences under NO_COLOR"; return 1; }
	[ ! -e "$TUI_HOME/.config/xfr/prefs.toml" ] || { xt_fail "NO_COLOR wrote preferences"; return 1; }
	xt_tui_summary_ok
}

# A server whose strings are full of escapes: none reaches the terminal.
test_tui_hostile_server() {
	xt_tui_require || return
	xt_setup || return
	SRV_PORT=$(xt_port)
	ip netns exec "$NS_S" "$XT_PY" "$XT_ROOT/tests/integration/hostile_server.py" "$SRV_PORT" inject \
		>"$XT_TMP/hostile_server.out" 2>&1 &
	XT_PIDS+=("$!")
	local i
	for ((i = 0; i < 30; i++)); do
		xt_listening "$NS_S" "$SRV_PORT" && break
		sleep 0.1
	done
	xt_tui_start 100 30 -- -t 1 -p "$SRV_PORT" "$S4" || return
	xt_tui_wait '\[DONE\]|\[ERROR\]|\[STOPPED\]' 15 || return
	xt_tui_screen | grep -qE 'Server +\S' || { xt_fail "no server version shown"; return 1; }
	xt_tui send-keys -t t q
	xt_tui_exit || return
	# the terminal's own sequences are curses' (CSI); none of the peer's OSC, BEL, C1, bidi
	LC_ALL=C grep -qaP '\x07|\x1b\]|\xc2[\x80-\x9f]|\xe2\x80\xae' "$TUI_RAW" &&
		{ xt_fail "the server's escapes reached the terminal: $(LC_ALL=C grep -aoP '.{0,20}(\x07|\x1b\]|\xc2[\x80-\x9f]|\xe2\x80\xae).{0,20}' "$TUI_RAW" | head -n2 | od -c | head)"; return 1; }
	xt_check_san "$XT_TMP/tui.err"
}

# The TUI is off with --no-tui, -q, --json (plain rows or JSON in the same terminal).
test_tui_off() {
	xt_tui_require || return
	xt_setup || return
	xt_server_start || return
	xt_tui_start 100 30 -- -t 1 --no-tui -p "$SRV_PORT" "$S4" || return
	xt_tui_exit || return
	xt_tui_screen | grep -q 'Interval' || { xt_fail "--no-tui: no plain rows"; return 1; }
	LC_ALL=C grep -qaP '\x1b\[\?1049h' "$TUI_RAW" && { xt_fail "--no-tui: the alternate screen was used"; return 1; }
	xt_tui kill-server
	xt_tui_start 100 30 -- -t 1 --json -p "$SRV_PORT" "$S4" || return
	xt_tui_exit || return
	LC_ALL=C grep -qaP '\x1b\[\?1049h' "$TUI_RAW" && { xt_fail "--json: the alternate screen was used"; return 1; }
	xt_tui capture-pane -p -J -S - -t t | sed -n '/^{/,/^}/p' >"$XT_TMP/doc.json"
	xt_json_ok "$XT_TMP/doc.json"
}

# Without the TUI: SIGUSR1 pauses (the link goes quiet, the clock stops), SIGUSR2 resumes.
test_pause_signals() {
	xt_setup || return
	xt_server_start || return
	local out=$XT_TMP/sig.out err=$XT_TMP/sig.err b0 b1 start
	start=$(date +%s)
	xt_client_bg "$out" "$err" -t 3 --json -p "$SRV_PORT" "$S4"
	sleep 1.2
	kill -USR1 "$CLI_PID"
	sleep 0.5
	b0=$(xt_tx_bytes)
	sleep 2
	b1=$(xt_tx_bytes)
	kill -USR2 "$CLI_PID"
	xt_log "paused by SIGUSR1: link sent $((b1 - b0)) bytes in 2 s"
	[ $((b1 - b0)) -lt 2000000 ] || { xt_fail "traffic went on after SIGUSR1: $((b1 - b0)) bytes"; return 1; }
	xt_wait_exit "$CLI_PID" 10 || { xt_fail "client still running"; return 1; }
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "client exited $XT_EXIT: $(tail -n1 "$err")"; return 1; }
	[ $(($(date +%s) - start)) -ge 5 ] || { xt_fail "the pause did not lengthen the test"; return 1; }
	xt_json_ok "$out" || return
	# test time excludes the pause: the intervals cover 3 s, not 5
	xt_assert "$out" '(.intervals | last | .end) < 3.6' "last interval end: $(jq '.intervals | last | .end' "$out")"
	xt_check_san "$err"
}

# Without the TUI, stdin a terminal: p pauses and resumes, said on stderr.
test_pause_plain_key() {
	xt_tui_require || return
	xt_setup || return
	xt_server_start || return
	xt_tui_start 100 30 -- -t 3 --no-tui -p "$SRV_PORT" "$S4" || return
	sleep 1.5
	xt_tui send-keys -t t p
	sleep 1.5
	xt_tui send-keys -t t p
	xt_tui_exit 10 || return
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "exit $XT_EXIT"; return 1; }
	grep -q 'paused: the traffic stops' "$XT_TMP/tui.err" || { xt_fail "no pause said: $(cat "$XT_TMP/tui.err")"; return 1; }
	grep -q 'resumed' "$XT_TMP/tui.err" || { xt_fail "no resume said"; return 1; }
	xt_tui_screen | grep -qE 'receiver' || { xt_fail "no summary"; return 1; }
}

# serve --tui with two clients at once: both tests listed with their client,
# protocol, direction, streams and a live rate; totals; a refused connection
# counted; recent events; q stops the server cleanly.
test_tui_server_dashboard() {
	xt_tui_require || return
	xt_setup || return
	SRV_PORT=$(xt_port)
	TUI_NS=$NS_S xt_tui_start 120 40 -- serve --tui -p "$SRV_PORT" --max-tests 4 --rate-limit 2 || return
	xt_tui_wait 'xfr serve +port '"$SRV_PORT"' +uptime' || return
	xt_tui_wait 'no test running' || return
	xt_client_bg "$XT_TMP/c1.out" "$XT_TMP/c1.err" -t 5 --json -p "$SRV_PORT" "$S4"
	local c1=$CLI_PID
	xt_client_bg "$XT_TMP/c2.out" "$XT_TMP/c2.err" -t 5 -u -b 20M -R -P 2 --json -p "$SRV_PORT" "$S4"
	local c2=$CLI_PID
	xt_tui_wait 'Active 2 +Started 2' || return
	xt_tui_wait "$C4:[0-9]+ +tcp +upload +1 .*[0-9.]+ [kMGT]bit/s" || return
	xt_tui_wait "$C4:[0-9]+ +udp +download +2 .*[0-9.]+ [kMGT]bit/s" || return
	# a third client from the same address while two run: refused (--rate-limit 2), and counted
	xt_client -t 1 --json >/dev/null
	xt_tui_wait 'Refused connections 1' || return
	xt_tui_wait 'server busy' || return
	xt_wait_exit "$c1" 15 || { xt_fail "client 1 did not end"; return 1; }
	xt_wait_exit "$c2" 15 || { xt_fail "client 2 did not end"; return 1; }
	xt_tui_wait 'Active 0 +Started 2 +Completed 2 +Failed 0' || return
	xt_tui_wait 'Transferred [0-9.]+ [kMGT]?B' || return
	xt_tui_screen | grep -q 'test complete' || { xt_fail "no end in the recent events"; return 1; }
	xt_tui send-keys -t t q
	xt_tui_exit 5 || return
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "server exited $XT_EXIT after q"; return 1; }
	xt_check_san "$XT_TMP/tui.err" || return
	# the log lines it showed were written to stderr at the end
	grep -q 'test .*complete' "$XT_TMP/tui.err" || { xt_fail "the server's log was lost: $(cat "$XT_TMP/tui.err")"; return 1; }
}

# The render fuzz's full repaints read back through a VT100/xterm emulator
# (pyte): what a terminal shows is exactly what curses meant, at every size
# the fuzz drew, with the hostile peer strings in the views.
test_tui_render_vt() {
	"$XT_PY" -c 'import pyte' 2>/dev/null || { xt_skip "python3-pyte not installed (scripts/install-deps.sh)"; return 77; }
	local bin=$XT_ROOT/${BUILD:-build}/tests/test_tui_render
	[ -x "$bin" ] || { xt_fail "$bin not built (make unit)"; return 1; }
	mkdir -p "$XT_TMP/vt"
	XFR_RENDER_DUMP=$XT_TMP/vt "$bin" >"$XT_TMP/render.out" 2>&1 ||
		{ xt_fail "render fuzz failed: $(grep -m1 -E 'ERROR|FAIL' "$XT_TMP/render.out")"; return 1; }
	xt_check_san "$XT_TMP/render.out" || return
	"$XT_PY" "$XT_ROOT/tests/integration/vt_check.py" "$XT_TMP/vt" >"$XT_TMP/vt.out" ||
		{ xt_fail "$(cat "$XT_TMP/vt.out")"; return 1; }
	xt_log "$(cat "$XT_TMP/vt.out")"
}

# A terminal that stops reading (Ctrl+S, a stalled ssh) must not stall the
# test: frames are dropped, the run loop keeps its clock. The TUI's terminal
# is suspended for 6 s while a 3 s download runs; the -o result must still hold
# three 1 s intervals of this side's bytes, and the client leaves once output resumes.
test_tui_stalled_terminal() {
	xt_tui_require || return
	xt_setup || return
	xt_server_start || return
	local rc waiting
	timeout -k 2 60 "$XT_PY" "$XT_ROOT/tests/integration/stalled_tty.py" 6 300 100 -- \
		ip netns exec "$NS_C" env TERM=tmux-256color LANG=C.UTF-8 HOME="$XT_TMP" XDG_CONFIG_HOME="$XT_TMP/.config" \
		"$XFR" -t 3 -P 32 -R -b 2G -o "$XT_TMP/res.json" -p "$SRV_PORT" "$S4" \
		>"$XT_TMP/stall.out" 2>"$XT_TMP/stall.err"
	rc=$?
	waiting=$(awk '/^stalled/ { print $2 }' "$XT_TMP/stall.out")
	xt_log "exit $rc; $waiting bytes were waiting in the terminal when reading resumed"
	[ "$rc" -eq 0 ] || { xt_fail "client exited $rc: $(cat "$XT_TMP/stall.out" "$XT_TMP/stall.err" | tail -n 3)"; return 1; }
	[ "${waiting:-0}" -ge 2048 ] || { xt_fail "the terminal never filled ($waiting bytes): the test proves nothing"; return 1; }
	xt_check_san "$XT_TMP/stall.err" || return
	xt_json_ok "$XT_TMP/res.json" || return
	# at a paced 2 Gbit/s every interval of this side (the receiver) holds its
	# own second's bytes: a loop held by the terminal bunches two seconds into
	# one and leaves the last without this side's count (checked with a
	# writer that blocks: 250, 520, none MB)
	xt_assert "$XT_TMP/res.json" '.duration_ms < 3800 and (.intervals | length) >= 3 and
		([.intervals[] | (.receiver.bytes // 0) / ((.end - .start) * 2e9 / 8)] | all(. > 0.7 and . < 1.3))' \
		"a stalled terminal stalled the test: $(jq -c '[.duration_ms, [.intervals[] | [.start, .end, .receiver.bytes]]]' "$XT_TMP/res.json")"
}

# The XDP engine's path in the stats panel, against the result's own counts;
# progress by bytes (-n): 10 000 datagrams of 64 bytes counted by XDP.
test_tui_xdp_path() {
	xt_tui_require || return
	xt_setup || return
	xt_server_start --engine auto || return
	xt_tui_start 100 30 -- -u --engine xdp -l 64 -b 100M -n 640000 -o "$XT_TMP/x.json" \
		-p "$SRV_PORT" "$S4" || return
	xt_tui_wait '\[DONE\]|\[ERROR\]' 20 || return
	xt_tui_screen | grep -qE 'Engine +xdp / xdp' ||
		{ xt_skip "the XDP engine did not run here: $(xt_tui_screen | grep -m1 Engine)"; return 77; }
	local s
	s=$(xt_tui_screen)
	grep -qE 'Path +sent 10000 → wire 10000 \(XDP receives\)' <<<"$s" ||
		{ xt_fail "path row: $(grep -E 'Path|Drops' <<<"$s")"; return 1; }
	grep -qE 'Length +640 kB at 100 Mbit/s' <<<"$s" || { xt_fail "length row: $(grep Length <<<"$s")"; return 1; }
	grep -qE 'Progress .*100% +[0-9.]+ s / 640 kB' <<<"$s" || { xt_fail "progress by bytes: $(grep Progress <<<"$s")"; return 1; }
	xt_tui send-keys -t t q
	xt_tui_exit || return
	[ "$XT_EXIT" -eq 0 ] || { xt_fail "exit $XT_EXIT"; return 1; }
	xt_assert "$XT_TMP/x.json" '[.streams[] | .xdp.packets // 0] | add == 10000' \
		"the result's XDP count: $(jq -c '[.streams[] | .xdp.packets]' "$XT_TMP/x.json")" || return
	xt_check_san "$XT_TMP/tui.err"
}

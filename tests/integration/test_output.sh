# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Reporting flags and output formats, checked against the schemas in docs/.

# Every line of FILE is one JSON object that passes the stream schema; the
# first is "start", the last is "end" (one line), intervals in between.
xt_stream_ok() {
	local f=$1 n i line
	n=$(wc -l <"$f")
	[ "$n" -ge 2 ] || { xt_fail "json-stream has $n lines"; return 1; }
	i=0
	while IFS= read -r line; do
		i=$((i + 1))
		printf '%s\n' "$line" >"$XT_TMP/line.json"
		jq -e 'type == "object"' "$XT_TMP/line.json" >/dev/null 2>&1 ||
			{ xt_fail "json-stream line $i is not one JSON object: $(echo "$line" | cut -c1-80)"; return 1; }
	done <"$f"
	xt_schema stream "$f" || return
	[ "$(head -n1 "$f" | jq -r .event)" = start ] || { xt_fail "first event is not start"; return 1; }
	[ "$(tail -n1 "$f" | jq -r .event)" = end ] || { xt_fail "last line is not the end event"; return 1; }
	tail -n1 "$f" | jq '.result' >"$XT_TMP/end.json"
	xt_schema result "$XT_TMP/end.json"
}

test_json_stream() {
	xt_setup || return
	xt_server_start || return
	xt_client -t 3 -P 2 --json-stream
	xt_client_ok || return
	xt_stream_ok "$OUT" || return
	local n
	n=$(grep -c '"event":"interval"' "$OUT")
	xt_within "$n" 2 4 || { xt_fail "$n interval events for -t 3"; return 1; }
	tail -n1 "$OUT" | jq -e '.result.bytes_total > 0 and (.result.streams | length) == 2' >/dev/null ||
		{ xt_fail "end event result incomplete"; return 1; }
	# Interval bytes add up to about the total (the last partial interval may be cut).
	local sum total
	sum=$(jq -s '[.[] | select(.event == "interval") | .bytes] | add' "$OUT")
	total=$(tail -n1 "$OUT" | jq .result.bytes_total)
	xt_within "$sum" "$(awk -v t="$total" 'BEGIN { print t * 0.7 }')" "$(awk -v t="$total" 'BEGIN { print t * 1.05 }')" ||
		{ xt_fail "interval bytes $sum vs total $total"; return 1; }
	xt_server_stop
}

# xt_csv_ok ARGS...: run a --csv test with -o FILE.json and check the CSV
# against that document of the same run (tests/integration/csv_check.py: one
# header, equal row widths, per-stream rows adding up to the sum rows, summary
# and interval bytes equal to the JSON's).
xt_csv_ok() {
	local why
	xt_client "$@" --csv -o "$XT_TMP/csv.json"
	xt_client_ok || return
	why=$("$XT_PY" "$XT_ROOT/tests/integration/csv_check.py" "$OUT" "$XT_TMP/csv.json") ||
		{ xt_fail "--csv $*: $why"; return 1; }
	xt_log "$why"
}

# --csv is one table: -P 3 TCP upload, UDP -P 2, -R -P 2 and --bidir -P 2 each
# give one header, stream and sum rows per interval and for the summary, and
# the figures of the -o document of the same run.
test_csv() {
	xt_setup || return
	xt_server_start || return
	xt_csv_ok -t 2 -P 3 || return
	xt_csv_ok -t 2 -u -b 40M -P 2 || return
	xt_csv_ok -t 2 -R -P 2 || return
	xt_csv_ok -t 2 --bidir -P 2 || return
	# -q: the header and the summary rows only
	xt_client -t 1 -P 2 -q --csv
	xt_client_ok || return
	[ "$(cut -d, -f1 "$OUT" | tr '\n' ' ')" = "type stream-summary stream-summary summary " ] ||
		{ xt_fail "-q --csv rows: $(cut -d, -f1 "$OUT" | tr '\n' ' ')"; return 1; }
	xt_server_stop
}

# --csv over QUIC: the path MTU and QUIC's own figures (min RTT, bytes in
# flight, handshake time) fill their columns and equal the -o document's.
test_csv_quic() {
	export XDG_CONFIG_HOME=$XT_TMP/config
	xt_setup || return
	xt_server_start || return
	local i
	for ((i = 0; i < 40; i++)); do
		grep -q 'QUIC certificate SHA-256' "$SRV_ERR" && break
		sleep 0.05
	done
	xt_csv_ok -Q -t 2 -P 2 || return
	local row
	row=$("$XT_PY" -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
s = [r for r in rows if r["type"] == "summary"][0]
print(" ".join(s[c] or "-" for c in ("pmtu", "min_rtt_us", "bytes_in_flight", "handshake_us")))
' "$OUT")
	read -r pm mr bif hs <<<"$row"
	[ "$pm" != - ] && [ "$mr" != - ] && [ "$bif" != - ] && [ "$hs" != - ] && [ "$hs" -gt 0 ] ||
		{ xt_fail "QUIC summary row: pmtu min_rtt_us bytes_in_flight handshake_us = $row"; return 1; }
	xt_log "QUIC CSV summary: pmtu $pm, min rtt $mr us, in flight $bif B, handshake $hs us"
	xt_server_stop
}

# The measured rates of a plain output: every "N Mbit/s" / "N Gbit/s" after
# the header line (which says the requested limit), in Mbit/s, one per line.
xt_plain_rates() {
	sed 1d "$1" | grep -oE '[0-9.]+ [kMG]bit/s' |
		awk '{ m = $2 == "Gbit/s" ? 1000 : $2 == "kbit/s" ? 0.001 : 1; print $1 * m }'
}

# The TCP summary's figures say what they are (issue 16, item 7): on a
# 150 Mbit/s tbf path at -b 200M -P 2, no rate on the page exceeds the path
# (the kernel's last delivery-rate sample is not printed), the TCP line is
# labelled as the end-of-test snapshot, its rtt is the mean and its cwnd the
# total of the flows' figures in the -o document of the same run.
test_tcp_summary_labels() {
	xt_setup 150mbit || return
	xt_server_start || return
	xt_client -t 3 -P 2 -b 200M -o "$XT_TMP/tcp.json"
	xt_client_ok || return
	local max line rtt cwnd want_rtt want_cwnd
	max=$(xt_plain_rates "$OUT" | sort -g | tail -n1)
	xt_within "$max" 1 165 || { xt_fail "a rate of $max Mbit/s on a 150 Mbit/s path: $(grep -m1 "$max" "$OUT")"; return 1; }
	grep -qi delivery "$OUT" && { xt_fail "plain output still shows a delivery figure"; return 1; }
	line=$(grep '^TCP at end of test (2 flows): rtt ' "$OUT") ||
		{ xt_fail "no 'TCP at end of test (2 flows):' line: $(grep '^TCP' "$OUT")"; return 1; }
	[[ $line == *" ms mean "* && $line == *" segments total "* ]] ||
		{ xt_fail "TCP line lacks 'mean'/'total': $line"; return 1; }
	rtt=$(echo "$line" | sed -E 's/.*: rtt ([0-9.]+) ms.*/\1/')
	cwnd=$(echo "$line" | sed -E 's/.*cwnd ([0-9]+) segments.*/\1/')
	want_rtt=$(jq '[.streams[].tcp_info.rtt_us] | add / length / 1000' "$XT_TMP/tcp.json")
	want_cwnd=$(jq '[.streams[].tcp_info.cwnd_segments] | add' "$XT_TMP/tcp.json")
	xt_within "$rtt" "$(awk -v w="$want_rtt" 'BEGIN { print w - 0.006 }')" "$(awk -v w="$want_rtt" 'BEGIN { print w + 0.006 }')" ||
		{ xt_fail "TCP line rtt $rtt ms, the flows' mean is $want_rtt ms"; return 1; }
	[ "$cwnd" = "$want_cwnd" ] || { xt_fail "TCP line cwnd $cwnd, the flows' total is $want_cwnd"; return 1; }
	xt_log "max rate $max Mbit/s; $line"
	xt_server_stop
}

# Interval rows of the plain format: "[  0] ..." / "[SUM] ..." lines that are
# not the closing sender/receiver lines.
xt_plain_rows() {
	grep -E '^\[( *[0-9]+|SUM)\]' "$1" | grep -cvE 'sender|receiver'
}

# Plain text: sender and receiver lines; -q drops the interval rows.
test_plain_quiet() {
	xt_setup || return
	xt_server_start || return
	xt_client -t 2
	xt_client_ok || return
	grep -qi sender "$OUT" && grep -qi receiver "$OUT" ||
		{ xt_fail "plain output lacks sender/receiver lines"; return 1; }
	local rows
	rows=$(xt_plain_rows "$OUT")
	[ "$rows" -ge 1 ] || { xt_fail "plain output has no interval rows"; return 1; }
	grep -q '{' "$OUT" && { xt_fail "plain output contains JSON"; return 1; }
	xt_client -t 2 -q
	xt_client_ok || return
	[ "$(xt_plain_rows "$OUT")" -eq 0 ] || { xt_fail "-q still prints interval rows"; return 1; }
	grep -qi receiver "$OUT" || { xt_fail "-q summary lacks the receiver line"; return 1; }
	xt_server_stop
}

# -i 0.5 over 2 s gives ~4 rows, -i 2 gives 1, -i 0 none.
test_interval() {
	xt_setup || return
	xt_server_start || return
	local n
	xt_client -t 2 -i 0.5 --json
	xt_client_ok || return
	xt_json_ok "$OUT" || return
	n=$(xt_jq "$OUT" '.intervals | length')
	xt_within "$n" 3 5 || { xt_fail "-i 0.5 -t 2: $n intervals, want ~4"; return 1; }
	xt_assert "$OUT" '[.intervals[] | (.end - .start)] | all(. > 0.4 and . < 0.6)' \
		"-i 0.5 interval lengths: $(xt_jq "$OUT" '[.intervals[] | (.end - .start)]')" || return
	xt_client -t 2 -i 2 --json
	xt_client_ok || return
	n=$(xt_jq "$OUT" '.intervals | length')
	xt_within "$n" 1 1 || { xt_fail "-i 2 -t 2: $n intervals, want 1"; return 1; }
	xt_client -t 1 -i 0 --json-stream
	xt_client_ok || return
	[ "$(grep -c '"event":"interval"' "$OUT")" -eq 0 ] || { xt_fail "-i 0 still prints interval events"; return 1; }
	xt_server_stop
}

# --omit 1: no interval event ending at or before 1 s; the summary still counts it.
test_omit() {
	xt_setup || return
	xt_server_start || return
	xt_client -t 3 --omit 1 --json-stream
	xt_client_ok || return
	xt_stream_ok "$OUT" || return
	# The first row (0-1 s) must be hidden: every printed row starts at >= ~1 s.
	jq -s -e '[.[] | select(.event == "interval") | .start] | length >= 1 and all(. >= 0.9)' "$OUT" >/dev/null ||
		{ xt_fail "omitted interval printed: starts $(jq -s -c '[.[] | select(.event == "interval") | .start]' "$OUT")"; return 1; }
	tail -n1 "$OUT" | jq '.result' >"$XT_TMP/r.json"
	xt_assert "$XT_TMP/r.json" '.intervals[0].omitted == true and ([.intervals[] | select(.omitted)] | length) == 1' \
		"result intervals omitted flags: $(xt_jq "$XT_TMP/r.json" '[.intervals[].omitted]')" || return
	xt_assert "$XT_TMP/r.json" '.bytes_total >= ([.intervals[].bytes] | add) * 0.95' \
		"bytes_total does not include the omitted interval" || return
	xt_within "$(xt_jq "$XT_TMP/r.json" .duration_ms)" 2700 3300 || { xt_fail "--omit changed duration_ms"; return 1; }
	xt_server_stop
}

# --timestamp-format relative | iso8601 | iso | unix | epoch, and the env var.
test_timestamp_format() {
	xt_setup || return
	xt_server_start || return
	local f re now
	now=$(date +%s)
	for f in relative iso8601 iso unix epoch env; do
		case $f in
		relative) re='^[0-9]+\.[0-9]{3}$' ;;
		iso8601 | iso) re='^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}Z$' ;;
		unix | epoch | env) re='^[0-9]{10}\.[0-9]{3}$' ;;
		esac
		if [ $f = env ]; then
			XFR_TIMESTAMP_FORMAT=unix xt_client -t 1 --json-stream
		else
			xt_client -t 1 --timestamp-format $f --json-stream
		fi
		xt_client_ok || return
		jq -r 'select(.event == "interval") | .timestamp' "$OUT" >"$XT_TMP/ts"
		[ -s "$XT_TMP/ts" ] || { xt_fail "$f: no interval timestamps"; return 1; }
		grep -qvE "$re" "$XT_TMP/ts" && { xt_fail "$f: timestamp '$(grep -vE "$re" "$XT_TMP/ts" | head -n1)'"; return 1; }
		case $f in
		unix | epoch | env)
			xt_within "$(head -n1 "$XT_TMP/ts")" $((now - 5)) $((now + 60)) || { xt_fail "$f: $(head -n1 "$XT_TMP/ts") is not now"; return 1; } ;;
		relative)
			xt_within "$(head -n1 "$XT_TMP/ts")" 0.5 1.5 || { xt_fail "relative: first $(head -n1 "$XT_TMP/ts")"; return 1; } ;;
		iso8601)
			[ "$(cut -c1-10 "$XT_TMP/ts" | head -n1)" = "$(date -u +%F)" ] || { xt_fail "iso8601 date is not today (UTC)"; return 1; } ;;
		esac
	done
	xt_client -t 1 --timestamp-format bogus
	[ "$RC" -eq 2 ] || { xt_fail "--timestamp-format bogus: exit $RC, want 2"; return 1; }
	xt_server_stop
}

# -o FILE: the file is a schema-valid result whatever stdout's format.
test_output_file() {
	xt_setup || return
	xt_server_start || return
	local f=$XT_TMP/res.json
	xt_client -t 1 -o "$f"
	xt_client_ok || return
	[ -s "$f" ] || { xt_fail "-o file empty or missing"; return 1; }
	xt_json_ok "$f" || return
	xt_assert "$f" '.bytes_total > 0' "-o file bytes_total 0" || return
	grep -qi receiver "$OUT" || { xt_fail "stdout is not the plain summary with -o"; return 1; }
	# Same document as --json on stdout.
	xt_client -t 1 --json -o "$f"
	xt_client_ok || return
	[ "$(jq -S . "$f")" = "$(jq -S . "$OUT")" ] || { xt_fail "-o file differs from --json stdout"; return 1; }
	xt_server_stop
}

test_get_server_output() {
	xt_setup || return
	xt_server_start || return
	xt_client -t 2 --get-server-output --json
	xt_client_ok || return
	xt_json_ok "$OUT" || return
	xt_assert "$OUT" '.server_output | type == "object" and length > 0' \
		"server_output missing or empty: $(xt_jq "$OUT" '.server_output | type')" || return
	xt_client -t 1 --json
	xt_assert "$OUT" '.server_output == null' "server_output present without the flag" || return
	xt_server_stop
}

# XFR_PORT (client and server), XFR_DURATION, XFR_BYTES; flags win over env.
test_env() {
	xt_setup || return
	local port
	port=$(xt_port)
	ip netns exec "$NS_S" env XFR_PORT="$port" "$XFR" serve >"$XT_TMP/s.out" 2>"$XT_TMP/s.err" &
	SRV_PID=$! SRV_PORT=$port SRV_ERR=$XT_TMP/s.err
	XT_PIDS+=("$SRV_PID")
	xt_poll 3 xt_listening "$NS_S" "$port" || { xt_fail "server with XFR_PORT=$port not listening there"; return 1; }
	XFR_PORT=$port xt_client_raw -n 1M --json "$S4"
	xt_client_ok || return
	XFR_DURATION=1 xt_client -i 0.5 --json
	xt_client_ok || return
	xt_within "$(xt_jq "$OUT" .duration_ms)" 800 1300 || { xt_fail "XFR_DURATION=1: duration_ms $(xt_jq "$OUT" .duration_ms)"; return 1; }
	XFR_DURATION=1 xt_client -t 2 --json
	xt_client_ok || return
	xt_within "$(xt_jq "$OUT" .duration_ms)" 1700 2300 || { xt_fail "-t 2 did not beat XFR_DURATION=1"; return 1; }
	XFR_BYTES=5M xt_client --json
	xt_client_ok || return
	xt_assert "$OUT" '.bytes_total == 5242880' "XFR_BYTES=5M: bytes_total $(xt_jq "$OUT" .bytes_total)" || return
	XFR_PORT=notaport xt_client_raw -t 1 "$S4"
	[ "$RC" -eq 2 ] || { xt_fail "XFR_PORT=notaport: exit $RC, want 2"; return 1; }
	xt_server_stop
}

# A reader that stalls stdout never stalls the test: the rows it cannot take are
# dropped and said so on stderr, the start and the summary arrive whole, and the
# intervals sampled meanwhile (the -o document keeps them all) stay one interval
# apart. The reader sleeps through the whole test; 128 streams at -i 0.1 make
# about 27 KB per row, 8 s twice the 1 MiB the printer queues (5 s, only just
# over it, once dropped nothing with tests side by side under a sanitizer).
test_slow_reader() {
	xt_setup || return
	xt_server_start || return
	local out=$XT_TMP/slow.out err=$XT_TMP/slow.err doc=$XT_TMP/slow.json rc n kept gap
	timeout -k 2 40 ip netns exec "$NS_C" "$XFR" -t 8 -i 0.1 -P 128 -b 20M --json-stream \
		-o "$doc" -p "$SRV_PORT" "$S4" 2>"$err" | { sleep 10; cat >"$out"; }
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 0 ] || { xt_fail "client exited $rc: $(tail -n1 "$err")"; return 1; }
	xt_check_san "$err" || return
	xt_stream_ok "$out" || return
	grep -q 'output: the reader is not keeping up; dropping interval rows' "$err" ||
		{ xt_fail "no warning when rows were dropped: $(cat "$err")"; return 1; }
	grep -qE 'output: [0-9]+ interval rows? dropped: the reader was too slow' "$err" ||
		{ xt_fail "no count of the dropped rows: $(cat "$err")"; return 1; }
	n=$(grep -c '"event":"interval"' "$out")
	kept=$(jq '.intervals | length' "$doc")
	# 8 s at -i 0.1, and until the server's result (later under a sanitizer)
	xt_within "$kept" 78 100 || { xt_fail "$kept intervals kept for 8 s at -i 0.1"; return 1; }
	[ "$n" -lt "$kept" ] || { xt_fail "$n rows printed of $kept: none dropped"; return 1; }
	# sampled on time while stdout was stuck for 10 s: a sampler blocked by the
	# printer would leave a gap of seconds; 1 s allows a loaded CI host's jitter
	# (0.254 s seen with three test files at once) and still catches that
	gap=$(jq '[range(1; .intervals | length) as $i | .intervals[$i].end - .intervals[$i - 1].end] |
		max' "$doc")
	awk -v g="$gap" 'BEGIN { exit !(g < 1.0) }' || { xt_fail "an interval of $gap s while stdout was stuck"; return 1; }
	xt_server_stop
}

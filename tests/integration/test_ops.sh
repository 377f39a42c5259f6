# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Operations: the config file (precedence, errors), --log-file, xfr diff, and the
# metrics against real peers: promtool, a Prometheus server scraping /metrics,
# a push gateway receiving pushes.

# ops_conf TEXT: write the client's config file (XDG_CONFIG_HOME is per test).
ops_conf() {
	mkdir -p "$XDG_CONFIG_HOME/xfr"
	printf '%s\n' "$1" >"$XDG_CONFIG_HOME/xfr/config.toml"
}

test_config_precedence() {
	xt_setup || return
	xt_server_start || return
	ops_conf $'version = 1\n[client]\nparallel_streams = 2\nduration_secs = 3\njson = true'
	# file > default: 2 streams, 3 s, JSON
	xt_client -i 0
	xt_client_ok || return
	xt_assert "$OUT" '.num_streams == 2' "the file's parallel_streams = 2 not applied" || return
	xt_assert "$OUT" '.duration_ms >= 2500 and .duration_ms <= 3500' \
		"the file's duration_secs = 3 not applied" || return
	# environment > file
	XFR_DURATION=1 xt_client -i 0
	xt_client_ok || return
	xt_assert "$OUT" '.duration_ms <= 1500' "XFR_DURATION=1 did not override the file" || return
	# flag > environment > file: -P 1, --csv over the file's json
	XFR_DURATION=3 xt_client -t 1 -P 1 --csv -i 0
	xt_client_ok || return
	grep -q '^type,direction,stream,' "$OUT" || { xt_fail "--csv did not override json = true"; return 1; }
	xt_client --no-config -t 1 -i 0
	xt_client_ok || return
	[ "$(head -c1 "$OUT")" != "{" ] && grep -q 'Mbit/s\|Gbit/s' "$OUT" ||
		{ xt_fail "--no-config still read the file (JSON output)"; return 1; }
	xt_server_stop
}

# ops_conf_err TEXT EXPECTED: the client refuses the file with exit 2 and exactly that line.
ops_conf_err() {
	local want
	ops_conf "$1"
	"$XFR" 192.0.2.1 >"$XT_TMP/o" 2>"$XT_TMP/e"
	local rc=$?
	want="xfr: $XDG_CONFIG_HOME/xfr/config.toml:$2"
	[ $rc -eq 2 ] || { xt_fail "config '$1': exit $rc, not 2"; return 1; }
	[ "$(cat "$XT_TMP/e")" = "$want" ] ||
		{ xt_fail "config '$1': got '$(head -n1 "$XT_TMP/e")', want '$want'"; return 1; }
	[ ! -s "$XT_TMP/o" ] || { xt_fail "config error wrote to stdout"; return 1; }
}

# Under the sanitizers a report would add lines: exact-line checks above catch it.

test_config_errors() {
	[ -x "$XFR" ] || { xt_fail "$XFR not built"; return 1; }
	ops_conf_err $'[client]\nparallel = 200' '2:12: [client] parallel = 200: must be between 1 and 128' || return
	ops_conf_err $'[client]\nparalel = 2' \
		'2:11: [client] paralel = 2: unknown key (the keys are the long options of xfr --help)' || return
	ops_conf_err $'[client]\ntime = "10' '2:8: string not closed on its line' || return
	ops_conf_err $'[client]\nudp = 1' '2:7: [client] udp = 1: expected true or false' || return
	ops_conf_err 'version = 3' '1:11: version 3: this xfr reads version 1 files (a newer xfr wrote it; upgrade xfr)' || return
	ops_conf_err $'[server]\nprometheus = true' \
		'2:14: [server] prometheus = true: expected a value (a string or a number), not true or false' || return
	"$XFR" --config "$XT_TMP/none.toml" 192.0.2.1 2>"$XT_TMP/e"
	[ $? -eq 2 ] && grep -q "none.toml: cannot read the config file: No such file" "$XT_TMP/e" ||
		{ xt_fail "--config of a missing file: $(cat "$XT_TMP/e")"; return 1; }
}

test_log_file() {
	xt_setup || return
	local log=$XT_TMP/server.log
	xt_server_start --log-file "$log" || return
	xt_client -t 1 -i 0
	xt_client_ok || return
	xt_server_stop || return
	grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z .*test [0-9a-f-]+ complete' "$log" ||
		{ xt_fail "no stamped 'complete' line in the log file: $(tail -n1 "$log")"; return 1; }
	grep -q 'complete' "$SRV_ERR" && { xt_fail "info lines still on stderr with --log-file"; return 1; }
	[ ! -s "$SRV_OUT" ] || { xt_fail "server wrote to stdout"; return 1; }
	# never stdout: a log file that is stdout's is refused
	ip netns exec "$NS_S" "$XFR" serve -p "$(xt_port)" --log-file "$XT_TMP/same" >"$XT_TMP/same" 2>"$XT_TMP/e"
	[ $? -eq 1 ] && grep -q 'is where stdout goes' "$XT_TMP/e" ||
		{ xt_fail "--log-file onto stdout not refused: $(cat "$XT_TMP/e")"; return 1; }
}

test_diff_results() {
	xt_setup || return
	xt_server_start || return
	xt_client -t 1 -i 0 -o "$XT_TMP/base.json" -q
	xt_client_ok || return
	xt_client -t 1 -i 0 -o "$XT_TMP/cur.json" -q
	xt_client_ok || return
	xt_server_stop || return
	# two real runs: either verdict (retransmits from 0 to a few is +inf %), always well formed
	"$XFR" diff "$XT_TMP/base.json" "$XT_TMP/cur.json" >"$XT_TMP/d" 2>&1
	local rc=$?
	[ $rc -le 1 ] && grep -q '^Throughput: .* Mbps → .* Mbps (.*%) \[\(OK\|WARN\|FAIL\)\]$' "$XT_TMP/d" &&
		grep -q '^Retransmits: ' "$XT_TMP/d" && grep -q '^RTT: .* ms → .* ms' "$XT_TMP/d" &&
		grep -qx "Verdict: $([ $rc -eq 0 ] && echo OK || echo 'REGRESSION DETECTED')" "$XT_TMP/d" ||
		{ xt_fail "diff of two runs: exit $rc, $(tr '\n' '|' <"$XT_TMP/d")"; return 1; }
	# a run against itself: no change, OK
	"$XFR" diff "$XT_TMP/base.json" "$XT_TMP/base.json" >"$XT_TMP/d" 2>&1 &&
		grep -q '(+0.0%) \[OK\]$' "$XT_TMP/d" && grep -qx 'Verdict: OK' "$XT_TMP/d" ||
		{ xt_fail "diff of a run with itself: $(tr '\n' '|' <"$XT_TMP/d")"; return 1; }
	# throughput halved: a regression, exit 1
	jq '.throughput_mbps /= 2' "$XT_TMP/base.json" >"$XT_TMP/half.json"
	"$XFR" diff "$XT_TMP/base.json" "$XT_TMP/half.json" >"$XT_TMP/d" 2>&1
	[ $? -eq 1 ] && grep -q '(-50.0%) \[FAIL\]' "$XT_TMP/d" && grep -q 'REGRESSION DETECTED' "$XT_TMP/d" ||
		{ xt_fail "halved throughput not a regression: $(cat "$XT_TMP/d")"; return 1; }
	# unreadable input: exit 2
	echo '{' >"$XT_TMP/bad.json"
	"$XFR" diff "$XT_TMP/base.json" "$XT_TMP/bad.json" 2>"$XT_TMP/e" >/dev/null
	[ $? -eq 2 ] && grep -q 'bad.json:2:.*not JSON' "$XT_TMP/e" ||
		{ xt_fail "broken JSON: $(cat "$XT_TMP/e")"; return 1; }
	xt_check_san "$XT_TMP/d" "$XT_TMP/e"
}

# ops_get NS URL: body of a GET inside NS (5 s bound).
ops_get() {
	ip netns exec "$1" curl -sS --max-time 5 "$2"
}

# make bench-check's comparison: the baseline of the run's CPU model, none
# for an unknown one (exit 2), and a ratio 40 % below its baseline named
# (exit 1). The run documents are the checked-in baselines, edited.
test_bench_check() {
	local b out rc
	for b in "$XT_ROOT"/bench/baseline*.json; do
		out=$("$XT_ROOT/scripts/bench-check.sh" "$b" 2>&1)
		rc=$?
		[ "$rc" = 0 ] || { xt_fail "$(basename "$b") against itself: exit $rc: $(tail -n1 <<<"$out")"; return 1; }
		grep -q "^bench-check: baseline .*/$(basename "$b"):" <<<"$out" ||
			{ xt_fail "a run of $(jq -r .machine.cpu "$b") did not pick $(basename "$b"): $(sed -n 2p <<<"$out")"; return 1; }
	done
	jq '.machine.cpu = "Some Other CPU"' "$XT_ROOT/bench/baseline.json" >"$XT_TMP/other.json"
	out=$("$XT_ROOT/scripts/bench-check.sh" "$XT_TMP/other.json" 2>&1)
	rc=$?
	[ "$rc" = 2 ] && grep -q "no baseline in bench/ for this machine kind (2 CPUs, Some Other CPU)" <<<"$out" ||
		{ xt_fail "unknown CPU: exit $rc: $out"; return 1; }
	jq '(.cases[] | select(.name == "tcp_p4") | .ratio) |= . * 0.6' "$XT_ROOT/bench/baseline.json" >"$XT_TMP/slow.json"
	out=$("$XT_ROOT/scripts/bench-check.sh" "$XT_TMP/slow.json" 2>&1)
	rc=$?
	xt_log "$(grep -E '^REGRESSION|ratio\(s\)' <<<"$out")"
	[ "$rc" = 1 ] && [ "$(grep -c '^REGRESSION' <<<"$out")" = 1 ] && grep -q '^REGRESSION tcp_p4: ' <<<"$out" ||
		{ xt_fail "tcp_p4 at 0.6 of its baseline: exit $rc, $(grep -c '^REGRESSION' <<<"$out") regressions"; return 1; }
}

test_metrics_promtool() {
	command -v promtool >/dev/null || { xt_skip "promtool not installed (apt-get install prometheus)"; return 77; }
	command -v curl >/dev/null || { xt_skip "curl not installed"; return 77; }
	xt_setup || return
	local mp
	mp=$(xt_port)
	xt_server_start --prometheus "$mp" || return
	xt_client -t 1 -i 0
	xt_client_ok || return
	xt_client -t 1 -i 0 -u -b 50M
	xt_client_ok || return
	ops_get "$NS_S" "http://127.0.0.1:$mp/metrics" >"$XT_TMP/m" ||
		{ xt_fail "GET /metrics failed"; return 1; }
	promtool check metrics <"$XT_TMP/m" >"$XT_TMP/pt" 2>&1 ||
		{ xt_fail "promtool check metrics: $(head -n1 "$XT_TMP/pt")"; return 1; }
	grep -q '^xfr_tests_total{protocol="tcp",direction="upload",outcome="complete"} 1$' "$XT_TMP/m" &&
		grep -q '^xfr_tests_total{protocol="udp",direction="upload",outcome="complete"} 1$' "$XT_TMP/m" &&
		grep -q '^xfr_active_tests 0$' "$XT_TMP/m" &&
		grep -qE '^xfr_udp_packets_received_total [1-9]' "$XT_TMP/m" &&
		grep -qE '^xfr_bytes_total\{protocol="tcp",direction="upload"\} [1-9]' "$XT_TMP/m" ||
		{ xt_fail "metrics do not count the two tests: $(grep -v '^#' "$XT_TMP/m" | head -c 300)"; return 1; }
	# the Grafana dashboard uses exactly the exported metrics
	local name
	for name in $(grep -o 'xfr_[a-z_]*' "$XT_ROOT/docs/grafana-dashboard.json" |
		sed 's/_bucket$\|_sum$\|_count$//' | sort -u); do
		grep -q "^# TYPE $name " "$XT_TMP/m" ||
			{ xt_fail "docs/grafana-dashboard.json uses $name, which /metrics does not export"; return 1; }
	done
	for name in $(sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$XT_TMP/m"); do
		grep -q "$name" "$XT_ROOT/docs/grafana-dashboard.json" "$XT_ROOT/docs/METRICS.md" ||
			{ xt_fail "$name is exported but neither in the dashboard nor in docs/METRICS.md"; return 1; }
	done
	[ "$(ops_get "$NS_S" "http://127.0.0.1:$mp/health")" = ok ] || { xt_fail "/health is not ok"; return 1; }
	[ "$(ip netns exec "$NS_S" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mp/x")" = 404 ] ||
		{ xt_fail "/x is not 404"; return 1; }
	# 127.0.0.1 by default: not reachable from the client's side
	ip netns exec "$NS_C" curl -s --max-time 2 "http://$S4:$mp/metrics" >/dev/null &&
		{ xt_fail "the endpoint answers on $S4 without --prometheus-bind"; return 1; }
	xt_server_stop
}

# ops_wait_http NS URL: poll (<= 10 s) until URL answers.
ops_wait_http() {
	local i
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$1" curl -s --max-time 1 -o /dev/null "$2" && return 0
		sleep 0.1
	done
	return 1
}

test_metrics_prometheus_scrape() {
	command -v prometheus >/dev/null || { xt_skip "prometheus not installed (apt-get install prometheus)"; return 77; }
	xt_setup || return
	local mp pp q
	mp=$(xt_port) pp=$(xt_port)
	xt_server_start --prometheus "$mp" || return
	cat >"$XT_TMP/prom.yml" <<-EOC
		global:
		  scrape_interval: 1s
		scrape_configs:
		  - job_name: xfr
		    static_configs:
		      - targets: ['127.0.0.1:$mp']
	EOC
	ip netns exec "$NS_S" prometheus --config.file="$XT_TMP/prom.yml" \
		--storage.tsdb.path="$XT_TMP/tsdb" --web.listen-address="127.0.0.1:$pp" \
		>"$XT_TMP/prom.log" 2>&1 &
	XT_PIDS+=($!)
	ops_wait_http "$NS_S" "http://127.0.0.1:$pp/-/ready" ||
		{ xt_fail "prometheus not ready: $(tail -n1 "$XT_TMP/prom.log")"; return 1; }
	xt_client -t 2 -i 0
	xt_client_ok || return
	# the target is up and the completed test is in Prometheus
	for ((q = 0; q < 100; q++)); do
		ops_get "$NS_S" "http://127.0.0.1:$pp/api/v1/query?query=xfr_tests_total%7Boutcome%3D%22complete%22%2Cprotocol%3D%22tcp%22%2Cdirection%3D%22upload%22%7D" >"$XT_TMP/q" 2>/dev/null
		jq -e '.data.result[0].value[1] == "1"' "$XT_TMP/q" >/dev/null 2>&1 && break
		sleep 0.1
	done
	jq -e '.data.result[0].value[1] == "1"' "$XT_TMP/q" >/dev/null ||
		{ xt_fail "Prometheus has no completed test: $(head -c 200 "$XT_TMP/q")"; return 1; }
	ops_get "$NS_S" "http://127.0.0.1:$pp/api/v1/query?query=up%7Bjob%3D%22xfr%22%7D" >"$XT_TMP/q"
	jq -e '.data.result[0].value[1] == "1"' "$XT_TMP/q" >/dev/null ||
		{ xt_fail "target xfr not up: $(head -c 200 "$XT_TMP/q")"; return 1; }
	ops_get "$NS_S" "http://127.0.0.1:$pp/api/v1/query?query=xfr_bytes_total" >"$XT_TMP/q"
	jq -e '[.data.result[].value[1] | tonumber] | add > 0' "$XT_TMP/q" >/dev/null ||
		{ xt_fail "xfr_bytes_total not scraped"; return 1; }
	xt_server_stop
}

test_metrics_pushgateway() {
	command -v prometheus-pushgateway >/dev/null ||
		{ xt_skip "prometheus-pushgateway not installed (apt-get install prometheus-pushgateway)"; return 77; }
	xt_setup || return
	local gp i
	gp=$(xt_port)
	ip netns exec "$NS_S" prometheus-pushgateway --web.listen-address="127.0.0.1:$gp" \
		>"$XT_TMP/pg.log" 2>&1 &
	XT_PIDS+=($!)
	ops_wait_http "$NS_S" "http://127.0.0.1:$gp/-/ready" ||
		{ xt_fail "pushgateway not ready: $(tail -n1 "$XT_TMP/pg.log")"; return 1; }
	xt_server_start --push-gateway "http://127.0.0.1:$gp" || return
	xt_client -t 1 -i 0
	xt_client_ok || return
	for ((i = 0; i < 50; i++)); do
		ops_get "$NS_S" "http://127.0.0.1:$gp/metrics" >"$XT_TMP/g"
		grep -q '^xfr_tests_total{.*direction="upload".*outcome="complete".*protocol="tcp"} 1$' "$XT_TMP/g" && break
		sleep 0.1
	done
	grep -q '^xfr_tests_total{.*direction="upload".*instance="[^"]*:'"$SRV_PORT"'".*job="xfr".*} 1$' "$XT_TMP/g" ||
		{ xt_fail "the push gateway has no pushed test: $(grep xfr_tests_total "$XT_TMP/g" | head -n2)"; return 1; }
	grep -qi 'push gateway' "$SRV_ERR" && { xt_fail "push reported a failure: $(grep -i 'push gateway' "$SRV_ERR")"; return 1; }
	xt_server_stop
}

# mDNS across the two namespaces: `xfr discover` and an independent browser
# (mdns-scan) find the server; --no-mdns announces nothing.
test_mdns_discover() {
	xt_setup || return
	local host line
	host=$(hostname | cut -d. -f1)
	xt_server_start --no-mdns || return
	xt_client_raw discover --timeout 2
	[ "$RC" -eq 0 ] && grep -qx 'No xfr servers found.' "$OUT" ||
		{ xt_fail "--no-mdns server was discovered: $(head -n2 "$OUT")"; return 1; }
	xt_server_stop || return
	SRV_PORT=
	xt_server_start || return
	xt_client_raw discover --timeout 4
	line="  $S4:$SRV_PORT ($host) xfr/0.1.0"
	[ "$RC" -eq 0 ] && grep -qx 'Found 1 server:' "$OUT" && grep -qxF "$line" "$OUT" ||
		{ xt_fail "discover did not list '$line': $(tr '\n' '|' <"$OUT") $(tail -n1 "$ERR")"; return 1; }
	grep -q 'Searching' "$OUT" && { xt_fail "progress line on stdout"; return 1; }
	xt_check_san "$ERR" || return
	if command -v mdns-scan >/dev/null; then
		# mdns-scan joins the group on the default interface: give it a multicast route
		ip -n "$NS_C" route add 224.0.0.0/4 dev "$IF_C" 2>/dev/null
		ip netns exec "$NS_C" timeout 8 mdns-scan >"$XT_TMP/scan" 2>&1
		grep -q "+ $host._xfr._tcp.local" "$XT_TMP/scan" ||
			{ xt_fail "mdns-scan did not see $host._xfr._tcp.local: $(tr '\r\n' '  ' <"$XT_TMP/scan" | cut -c1-200)"; return 1; }
		# a browser after others is still answered (libmdnsd 0.12 stops answering: docs/DISCOVERY.md)
		xt_client_raw discover --timeout 4
		grep -qxF "$line" "$OUT" ||
			{ xt_fail "a third browser did not find the server: $(tr '\n' '|' <"$OUT")"; return 1; }
	else
		xt_server_stop || return
		xt_skip "mdns-scan not installed (apt-get install mdns-scan): xfr discover passed, the independent browser not run"
		return 77
	fi
	xt_server_stop
}

test_discover_args() {
	[ -x "$XFR" ] || { xt_fail "$XFR not built"; return 1; }
	"$XFR" discover --timeout 0 >/dev/null 2>"$XT_TMP/e"
	[ $? -eq 2 ] && grep -qx 'xfr: discover --timeout 0: must be a duration, 100ms to 1h' "$XT_TMP/e" ||
		{ xt_fail "discover --timeout 0: $(cat "$XT_TMP/e")"; return 1; }
	"$XFR" discover extra >/dev/null 2>"$XT_TMP/e"
	[ $? -eq 2 ] || { xt_fail "discover extra: not exit 2"; return 1; }
}

# bash completion loads and completes flags of the client, the server and the commands.
test_completions() {
	[ -x "$XFR" ] || { xt_fail "$XFR not built"; return 1; }
	local got
	"$XFR" --completions bash >"$XT_TMP/c.bash" || { xt_fail "--completions bash failed"; return 1; }
	got=$(bash -c 'source "$1"; COMP_WORDS=(xfr --paral); COMP_CWORD=1; _xfr; echo "${COMPREPLY[*]}"' _ "$XT_TMP/c.bash")
	[ "$got" = --parallel ] || { xt_fail "xfr --paral completes to '$got'"; return 1; }
	got=$(bash -c 'source "$1"; COMP_WORDS=(xfr serve --push); COMP_CWORD=2; _xfr; echo "${COMPREPLY[*]}"' _ "$XT_TMP/c.bash")
	[ "$got" = --push-gateway ] || { xt_fail "xfr serve --push completes to '$got'"; return 1; }
	got=$(bash -c 'source "$1"; COMP_WORDS=(xfr di); COMP_CWORD=1; _xfr; echo "${COMPREPLY[*]}"' _ "$XT_TMP/c.bash")
	[ "$got" = "diff discover" ] || { xt_fail "xfr di completes to '$got'"; return 1; }
	"$XFR" --completions zsh | grep -q bashcompinit || { xt_fail "zsh script"; return 1; }
	"$XFR" --completions fish | grep -q "complete -c xfr -n '__fish_seen_subcommand_from serve' -l prometheus -r" ||
		{ xt_fail "fish script lacks serve --prometheus"; return 1; }
	"$XFR" --completions tcsh 2>"$XT_TMP/e" >/dev/null
	[ $? -eq 2 ] && grep -qx 'xfr: --completions tcsh: unknown shell (use bash, zsh or fish)' "$XT_TMP/e" ||
		{ xt_fail "--completions tcsh: $(cat "$XT_TMP/e")"; return 1; }
}

# The man page renders without a warning.
test_man_page() {
	command -v groff >/dev/null || { xt_skip "groff not installed"; return 77; }
	local w
	w=$(groff -man -ww -z "$XT_ROOT/docs/xfr.1" 2>&1)
	[ -z "$w" ] || { xt_fail "groff: $(echo "$w" | head -n1)"; return 1; }
	if command -v man >/dev/null; then
		MANWIDTH=80 man -l "$XT_ROOT/docs/xfr.1" 2>/dev/null | grep -q 'CONFIG FILE' ||
			{ xt_fail "man -l does not render CONFIG FILE"; return 1; }
	fi
}

# The Kubernetes DaemonSet: kubectl's client-side validation when a cluster answers, else a
# structural check; then its config.toml runs a server whose /health answers the probes.
test_deploy_manifest() {
	local m=$XT_ROOT/dist/kubernetes/xfr-daemonset.yaml
	if command -v kubectl >/dev/null && kubectl cluster-info >/dev/null 2>&1; then
		kubectl apply --dry-run=client -f "$m" >"$XT_TMP/k" 2>&1 ||
			{ xt_fail "kubectl apply --dry-run=client: $(head -n1 "$XT_TMP/k")"; return 1; }
	else
		xt_log "no Kubernetes cluster for kubectl: structural check instead"
	fi
	"$XT_PY" -c 'import yaml' 2>/dev/null || { xt_skip "python3-yaml not installed"; return 77; }
	"$XT_PY" "$XT_ROOT/tests/integration/manifest_check.py" "$m" "$XT_TMP/k.toml" >"$XT_TMP/k" ||
		{ xt_fail "manifest: $(cat "$XT_TMP/k")"; return 1; }
	xt_setup || return
	SRV_PORT=5201
	xt_server_start --config "$XT_TMP/k.toml" || return
	[ "$(ip netns exec "$NS_C" curl -s --max-time 3 "http://$S4:9464/health")" = ok ] ||
		{ xt_fail "the manifest's server does not answer /health on $S4:9464"; return 1; }
	xt_client -t 1 -i 0
	xt_client_ok || return
	xt_server_stop
}

# ops_k8s_schema YAML EDIT: the manifest's documents as JSON (EDIT, a Python statement on the
# list `d`, breaks a copy), validated against Kubernetes' OpenAPI schemas (tests/k8s/validate.js).
# Its output in $XT_TMP/ks; its exit status.
ops_k8s_schema() {
	"$XT_PY" -c 'import json, sys, yaml
d = [x for x in yaml.safe_load_all(open(sys.argv[1])) if x]
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))' "$1" "$XT_TMP/k.json" "$2" || return 2
	node "$XT_ROOT/tests/k8s/validate.js" "$XT_TMP/k.json" >"$XT_TMP/ks" 2>&1
}

# The manifest against the Kubernetes API's own schemas (v1.27.1, compiled by the npm package
# kubernetes-models into tests/k8s by make deps; offline): the real one passes, and copies with
# a wrong type, a missing required field and an unknown apiVersion are each refused by name.
test_deploy_manifest_schema() {
	local m=$XT_ROOT/dist/kubernetes/xfr-daemonset.yaml rc
	command -v node >/dev/null || { xt_skip "node not installed (make deps)"; return 77; }
	[ -d "$XT_ROOT/tests/k8s/node_modules/kubernetes-models" ] ||
		{ xt_skip "tests/k8s/node_modules: kubernetes-models not installed (make deps)"; return 77; }
	"$XT_PY" -c 'import yaml' 2>/dev/null || { xt_skip "python3-yaml not installed"; return 77; }
	ops_k8s_schema "$m" pass || { xt_fail "manifest schema: $(grep -v ': valid ' "$XT_TMP/ks" | head -n1)"; return 1; }
	[ "$(grep -c ': valid ' "$XT_TMP/ks")" = 3 ] ||
		{ xt_fail "manifest schema: expected 3 valid documents: $(tr '\n' ';' <"$XT_TMP/ks")"; return 1; }
	local -a edits=(
		"d[2]['spec']['template']['spec']['containers'][0]['ports'][0]['containerPort'] = '5201'"
		"del d[2]['spec']['selector']"
		"d[2]['spec']['template']['spec']['hostNetwork'] = 'yes'"
		"d[2]['apiVersion'] = 'apps/v2'")
	local -a want=(
		"DaemonSet xfr: /spec/template/spec/containers/0/ports/0/containerPort: must be integer"
		"DaemonSet xfr: /spec: must have required property selector"
		"DaemonSet xfr: /spec/template/spec/hostNetwork: must be boolean"
		'DaemonSet xfr: no schema for apiVersion "apps/v2" kind "DaemonSet"')
	local i
	for i in "${!edits[@]}"; do
		rc=0
		ops_k8s_schema "$m" "${edits[i]}" || rc=$?
		[ "$rc" = 1 ] || { xt_fail "schema check exit $rc (want 1) for: ${edits[i]}: $(head -n1 "$XT_TMP/ks")"; return 1; }
		grep -qxF "${want[i]}" "$XT_TMP/ks" ||
			{ xt_fail "for ${edits[i]}: want '${want[i]}', got: $(grep -v ': valid ' "$XT_TMP/ks" | head -n1)"; return 1; }
	done
	xt_log "manifest valid against Kubernetes 1.27.1's schemas; ${#edits[@]} broken copies refused"
}

# make install with PREFIX and DESTDIR: the binary, the man page (man -l renders it), the units
# with ExecStart at PREFIX's binary, bash and fish completions; nothing outside DESTDIR. The
# binary under test is installed as it is (make -o: not rebuilt with other flags).
test_make_install() {
	command -v make >/dev/null || { xt_skip "make not installed"; return 77; }
	local d=$XT_TMP/root f
	make -s -C "$XT_ROOT" -o "$XFR" XFR="$XFR" install DESTDIR="$d" PREFIX=/usr UNITDIR=/lib/systemd/system \
		>"$XT_TMP/mi" 2>&1 || { xt_fail "make install: $(tail -n1 "$XT_TMP/mi")"; return 1; }
	for f in usr/bin/xfr usr/share/man/man1/xfr.1 lib/systemd/system/xfr.service lib/systemd/system/xfr@.service \
		usr/share/bash-completion/completions/xfr usr/share/fish/vendor_completions.d/xfr.fish; do
		[ -s "$d/$f" ] || { xt_fail "make install did not write $f"; return 1; }
	done
	[ -x "$d/usr/bin/xfr" ] && cmp -s "$XFR" "$d/usr/bin/xfr" || { xt_fail "usr/bin/xfr is not the binary"; return 1; }
	"$d/usr/bin/xfr" --version >/dev/null || { xt_fail "the installed xfr does not run"; return 1; }
	grep -qx 'ExecStart=/usr/bin/xfr serve.*' "$d/lib/systemd/system/xfr.service" ||
		{ xt_fail "xfr.service: $(grep ExecStart "$d/lib/systemd/system/xfr.service")"; return 1; }
	! grep -q '@BINDIR@' "$d"/lib/systemd/system/* || { xt_fail "@BINDIR@ left in a unit"; return 1; }
	f=$(cd "$d" && find . -type f | sort | tr '\n' ' ')
	[ "$(cd "$d" && find . -type f | wc -l)" = 6 ] || { xt_fail "make install wrote: $f"; return 1; }
	if command -v man >/dev/null; then
		MANWIDTH=80 man -l "$d/usr/share/man/man1/xfr.1" 2>/dev/null | grep -q 'CONFIG FILE' ||
			{ xt_fail "man -l on the installed page does not render CONFIG FILE"; return 1; }
	fi
	xt_log "installed: $f"
}

# The systemd units verify (the binary path as make install writes it).
test_systemd_units() {
	command -v systemd-analyze >/dev/null || { xt_skip "systemd-analyze not installed"; return 77; }
	local u out
	for u in xfr.service xfr@.service; do
		sed "s|@BINDIR@|$(dirname "$XFR")|g" "$XT_ROOT/dist/systemd/$u.in" >"$XT_TMP/${u/@/@5201}"
		out=$(systemd-analyze verify --man=no "$XT_TMP/${u/@/@5201}" 2>&1) ||
			{ xt_fail "$u: $(echo "$out" | head -n1)"; return 1; }
		[ -z "$out" ] || { xt_fail "$u: $(echo "$out" | head -n1)"; return 1; }
	done
	out=$(systemd-analyze security --offline=yes "$XT_TMP/xfr.service" 2>&1 | tail -n1)
	echo "$out" | grep -qE 'exposure level .*: [0-2]\.[0-9] ' ||
		{ xt_fail "xfr.service exposure: $out"; return 1; }
}

# A client's --push-gateway: its test lands in the gateway as job xfr_client.
test_metrics_client_push() {
	command -v prometheus-pushgateway >/dev/null ||
		{ xt_skip "prometheus-pushgateway not installed (apt-get install prometheus-pushgateway)"; return 77; }
	xt_setup || return
	local gp
	gp=$(xt_port)
	ip netns exec "$NS_C" prometheus-pushgateway --web.listen-address="127.0.0.1:$gp" \
		>"$XT_TMP/pg.log" 2>&1 &
	XT_PIDS+=($!)
	ops_wait_http "$NS_C" "http://127.0.0.1:$gp/-/ready" ||
		{ xt_fail "pushgateway not ready: $(tail -n1 "$XT_TMP/pg.log")"; return 1; }
	xt_server_start || return
	XFR_PUSH_GATEWAY="http://127.0.0.1:$gp" xt_client -t 1 -i 0 -R
	xt_client_ok || return
	ops_get "$NS_C" "http://127.0.0.1:$gp/metrics" >"$XT_TMP/g"
	grep -q '^xfr_tests_total{.*direction="download".*job="xfr_client".*outcome="complete".*} 1$' "$XT_TMP/g" &&
		grep -qE '^xfr_last_test_throughput_bytes_per_second\{.*job="xfr_client".*\} [1-9]' "$XT_TMP/g" ||
		{ xt_fail "the client's push is not in the gateway: $(grep 'xfr_tests_total{.*download' "$XT_TMP/g" | head -n2)"; return 1; }
	grep -qi 'push gateway' "$ERR" && { xt_fail "push reported a failure: $(grep -i 'push gateway' "$ERR")"; return 1; }
	xt_server_stop
}

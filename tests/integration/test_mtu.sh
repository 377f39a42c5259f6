# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# --probe-mtu across a routed path of three namespaces: A (client) --MTU 9000--
# R --MTU 1500-- B (server). Forward, A's 9000-byte link lets big probes leave
# and R answers "fragmentation needed"; reverse, B's own 1500 link is the limit.
# Both ways the path MTU is 1500 (IPv4 payload 1472).

# --json: the mtu_probe object says 1500 / 1472 both ways; a size above the
# limit failed forward and a size at it passed both ways.
test_mtu_probe_json() {
	xt_setup3 9000 1500 || return
	xt_server_start || return
	XT_CLIENT_TIMEOUT=60 xt_client --probe-mtu --json
	xt_client_ok || return
	xt_json_ok "$OUT" || return
	xt_assert "$OUT" '.mtu_probe | type == "object"' "no mtu_probe object in the result" || return
	xt_assert "$OUT" '.mtu_probe.forward_path_mtu == 1500 and .mtu_probe.reverse_path_mtu == 1500' \
		"path MTU forward/reverse $(xt_jq "$OUT" '.mtu_probe | [.forward_path_mtu,.reverse_path_mtu]'), want 1500/1500" || return
	xt_assert "$OUT" '.mtu_probe.forward_max_payload == 1472 and .mtu_probe.reverse_max_payload == 1472' \
		"max payload $(xt_jq "$OUT" '.mtu_probe | [.forward_max_payload,.reverse_max_payload]'), want 1472/1472" || return
	xt_assert "$OUT" '.mtu_probe.ipv6 == false' "ipv6 is not false on an IPv4 path" || return
	xt_assert "$OUT" '[.mtu_probe.sizes[] | select(.payload == 1472) | .forward_ok > 0 and .reverse_ok > 0] == [true]' \
		"size 1472 did not pass both ways: $(xt_jq "$OUT" '[.mtu_probe.sizes[] | select(.payload == 1472)]')" || return
	xt_assert "$OUT" '[.mtu_probe.sizes[] | select(.payload > 1472)] | length > 0 and all(.forward_ok == 0 and .forward != "Pass")' \
		"no size above 1472 failed forward: $(xt_jq "$OUT" '[.mtu_probe.sizes[] | [.payload,.forward,.reverse]]')" || return
	xt_server_alive || return
	xt_server_stop
}

# First the whole path at MTU 9000: the probe finds 9000 (payload 8972) both
# ways, so the 1500 below is measured, not assumed. Then the R-B link drops to
# 1500 (A has no stale PMTU for B: 9000 worked) and the plain output shows the
# table and a summary naming 1472 / 1500.
test_mtu_probe_plain() {
	xt_setup3 9000 9000 || return
	xt_server_start || return
	XT_CLIENT_TIMEOUT=60 xt_client --probe-mtu --json
	xt_client_ok || return
	xt_json_ok "$OUT" || return
	xt_assert "$OUT" '.mtu_probe.forward_path_mtu == 9000 and .mtu_probe.reverse_path_mtu == 9000' \
		"MTU 9000 end to end: probe says $(xt_jq "$OUT" '.mtu_probe | [.forward_path_mtu,.reverse_path_mtu]')" || return
	ip -n "$NS_R" link set rb mtu 1500 && ip -n "$NS_S" link set "$IF_S" mtu 1500 || return
	XT_CLIENT_TIMEOUT=60 xt_client --probe-mtu
	xt_client_ok || return
	xt_log "$(cat "$OUT")"
	grep -q 1472 "$OUT" && grep -q 1500 "$OUT" ||
		{ xt_fail "plain --probe-mtu output lacks 1472/1500: $(head -c 300 "$OUT" | tr '\n' '|')"; return 1; }
	grep -qiE 'pass' "$OUT" && grep -qiE 'fail|local' "$OUT" ||
		{ xt_fail "plain --probe-mtu output has no pass/fail verdicts: $(head -c 300 "$OUT" | tr '\n' '|')"; return 1; }
	[ "$(grep -cE '^[[:space:]]*[0-9]{3,5}[[:space:]]' "$OUT")" -ge 3 ] ||
		{ xt_fail "plain --probe-mtu output has no table of sizes"; return 1; }
	xt_server_stop
}

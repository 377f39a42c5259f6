# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# --allow, --deny, --acl-file (issue 11): checked at accept, before any
# parsing; a refused client hears "not allowed"; the log says it once per
# address per minute. The server listens dual-stack, so its IPv4 clients
# arrive as IPv4-mapped IPv6 addresses: rules in either form must match.

# xa_refused WHAT: the last client was refused with "not allowed".
xa_refused() {
	[ "$RC" -eq 1 ] || { xt_fail "$1: client exit $RC, expected a refusal"; return 1; }
	grep -q "not allowed" "$ERR" || { xt_fail "$1: client said: $(tail -n1 "$ERR")"; return 1; }
}

test_acl_deny_v4() {
	xt_setup || return
	xt_server_start --deny "$C4/32" || return
	xt_client -t 1
	xa_refused "denied IPv4" || return
	xt_client -t 1
	xa_refused "denied IPv4, again" || return
	[ "$(grep -c 'not allowed' "$SRV_ERR")" -eq 1 ] ||
		{ xt_fail "refusals of one address logged $(grep -c 'not allowed' "$SRV_ERR") times"; return 1; }
	xt_client_raw -t 1 --json -p "$SRV_PORT" "$S6"
	xt_client_ok || return
	xt_server_alive || return
	xt_server_stop
}

test_acl_allow_v6_only() {
	xt_setup || return
	xt_server_start --allow "$C6/128" || return
	xt_client -t 1
	xa_refused "IPv4 outside the allow list" || return
	xt_client_raw -t 1 -u -b 10M --json -p "$SRV_PORT" "$S6"
	xt_client_ok || return
	xt_server_stop
}

# An ACL file in the IPv4-mapped form, comments, CLI rules on top.
test_acl_file_mapped() {
	local f=$XT_TMP/acl
	xt_setup || return
	printf '# lab\n\nallow ::/0   # everyone\ndeny ::ffff:%s/128\n' "$C4" >"$f"
	xt_server_start --acl-file "$f" || return
	xt_client -t 1
	xa_refused "mapped deny rule" || return
	xt_client_raw -t 1 --json -p "$SRV_PORT" "$S6"
	xt_client_ok || return
	xt_server_stop || return
	printf 'allow 10.0.0.0/8\npermit 1.2.3.4\n' >"$f"
	"$XFR" serve --acl-file "$f" >/dev/null 2>"$XT_TMP/e"
	[ $? -eq 2 ] || { xt_fail "bad ACL file accepted"; return 1; }
	grep -q "line 2: expected 'allow CIDR' or 'deny CIDR'" "$XT_TMP/e" ||
		{ xt_fail "bad ACL file: $(cat "$XT_TMP/e")"; return 1; }
	"$XFR" serve --deny 10.0.0.0/33 >/dev/null 2>"$XT_TMP/e"
	[ $? -eq 2 ] || { xt_fail "bad --deny accepted"; return 1; }
}

# --preset from --preset-file: allowed_clients narrows who may test,
# max_duration_secs caps the test, bandwidth_limit is enforced (the
# reference only reserves it); an unknown name is an error naming the known.
test_acl_preset() {
	local f=$XT_TMP/presets.toml
	xt_setup || return
	cat >"$f" <<-EOT
		[server]
		port = 5201   # not ours to read yet
		[[presets]]
		name = "v6lab"
		allowed_clients = [
		  "$C6/128",   # the lab host
		]
		max_duration_secs = 2
		bandwidth_limit = "20M"
		[[presets]]
		name = "other"
	EOT
	"$XFR" serve --preset nope --preset-file "$f" >/dev/null 2>"$XT_TMP/e"
	[ $? -eq 2 ] || { xt_fail "unknown preset accepted"; return 1; }
	grep -q "no preset 'nope'.*it has: v6lab, other" "$XT_TMP/e" ||
		{ xt_fail "unknown preset: $(cat "$XT_TMP/e")"; return 1; }
	xt_server_start --preset v6lab --preset-file "$f" || return
	xt_client -t 1
	xa_refused "IPv4 outside the preset's allowed_clients" || return
	xt_client_raw -t 5 -p "$SRV_PORT" "$S6"
	[ "$RC" -eq 1 ] && grep -q "at most 20.0 Mbit/s" "$ERR" ||
		{ xt_fail "preset bandwidth_limit not enforced: $(tail -n1 "$ERR")"; return 1; }
	xt_client_raw -t 5 -b 10M --json -p "$SRV_PORT" "$S6"
	xt_client_ok || return
	xt_assert "$OUT" '.duration_ms <= 2600' "preset max_duration_secs not applied" || return
	xt_assert "$OUT" '.throughput_mbps < 12' "more than the asked 10 Mbit/s" || return
	xt_server_stop || return
	# The same presets from the config file itself (read by the config-file reader).
	mkdir -p "$XDG_CONFIG_HOME/xfr" && grep -v '^\[server\]\|^port' "$f" >"$XDG_CONFIG_HOME/xfr/config.toml"
	"$XFR" serve --preset nope >/dev/null 2>"$XT_TMP/e2"
	[ $? -eq 2 ] && grep -q "no preset 'nope' in .*config.toml (it has: v6lab, other)" "$XT_TMP/e2" ||
		{ xt_fail "unknown preset from the config file: $(cat "$XT_TMP/e2")"; return 1; }
	SRV_PORT=
	xt_server_start --preset v6lab || return
	xt_client -t 1
	xa_refused "IPv4 outside the config file preset's allowed_clients" || return
	xt_client_raw -t 5 -b 10M --json -p "$SRV_PORT" "$S6"
	xt_client_ok || return
	xt_assert "$OUT" '.duration_ms <= 2600' "config file preset's max_duration_secs not applied" || return
	xt_server_stop
}

# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Who may test (issue 11): the PSK handshake and protected control channel,
# against xfr itself and against psk_peer.py (a peer written from the
# reference's source), the fail-closed cases on both sides, the key file's
# permissions, the back-off after failed authentications and its window, the
# authenticated UDP feedback and hellos (udp_auth_v1), also under attack from
# a third namespace (udp_forger.py).

# xp_key NAME VALUE: a key file with mode 600; prints its path.
xp_key() {
	(umask 077 && printf '%s\n' "$2" >"$XT_TMP/$1")
	echo "$XT_TMP/$1"
}

xp_need_crypto() {
	"$XT_PY" -c 'import cryptography' 2>/dev/null ||
		{ xt_skip "python3-cryptography not installed (scripts/install-deps.sh)"; return 77; }
}

# xp_peer client CASE | serve PORT CASE: psk_peer.py in the client namespace.
xp_peer() {
	local mode=$1
	shift
	if [ "$mode" = client ]; then
		ip netns exec "$NS_C" "$XT_PY" "$XT_ROOT/tests/integration/psk_peer.py" client "$S4" \
			"$SRV_PORT" "$XP_KEY" "$1"
	else
		ip netns exec "$NS_S" "$XT_PY" "$XT_ROOT/tests/integration/psk_peer.py" serve "$1" \
			"$XP_KEY" "$2"
	fi
}

# xp_try PORT KEYFILE: a 1 s test against the server on PORT.
xp_try() {
	SRV_PORT=$1 xt_client -t 1 --psk-file "$2"
}

# xp_err_has FILE REGEX WHAT
xp_err_has() {
	grep -qE "$2" "$1" || { xt_fail "$3: expected /$2/ in $(basename "$1"): $(tail -n1 "$1")"; return 1; }
}

# A whole test through the protected channel, with the key from a file, from
# XFR_PSK and from --psk (the last two warn that the key leaks).
test_psk_ok() {
	local key
	xt_setup || return
	key=$(xp_key psk "correct horse battery staple")
	xt_server_start --psk-file "$key" || return
	xt_client -t 2 --json --psk-file "$key"
	xt_client_ok || return
	xt_json_ok "$OUT" || return
	xt_assert "$OUT" '.bytes_total > 0' "no bytes through a PSK session" || return
	grep -q "authenticated (PSK), control channel protected" "$SRV_ERR" ||
		{ xt_fail "server did not log the protected session"; return 1; }
	XFR_PSK="correct horse battery staple" xt_client -t 1 -u -b 10M --json
	xt_client_ok || return
	xp_err_has "$ERR" "warning: XFR_PSK" "env warning" || return
	xt_client -t 1 -R --json --psk "correct horse battery staple"
	xt_client_ok || return
	xp_err_has "$ERR" "warning: --psk: the key is visible" "argv warning" || return
	xt_server_stop
}

# psk_peer.py, written from the reference's source, runs a test against xfr
# serve through the protected channel; then each tampering case is refused
# with an error and a close within 2 s, and the server keeps serving.
test_psk_reference_peer() {
	local c
	xp_need_crypto || return
	xt_setup || return
	XP_KEY="s3cret-key"
	xt_server_start --psk-file "$(xp_key psk "$XP_KEY")" || return
	for c in ok wrong nocap nonce replay flip reorder big plain silent; do
		xp_peer client "$c" >"$XT_TMP/peer.out" 2>&1
		local rc=$?
		cat "$XT_TMP/peer.out"
		[ $rc -eq 0 ] || { xt_fail "$(head -n1 "$XT_TMP/peer.out")"; return 1; }
		xt_server_alive || return
	done
	for c in "authentication failed" "requires protected_control_v1" "no client_nonce" \
		"out of sequence: expected 1, got 0" "failed authentication" \
		"out of sequence: expected 0, got 1" "too large: 2097152" "plaintext JSON"; do
		grep -q "$c" "$SRV_ERR" || { xt_fail "server log lacks '$c'"; return 1; }
	done
	xt_client -t 1 --psk-file "$XT_TMP/psk"
	xt_client_ok || return
	xt_server_stop
}

# The client refuses servers that do not prove the key: no challenge (a
# downgrade), no protected_control_v1, no proof, a wrong proof, a replayed frame.
test_psk_client_fails_closed() {
	local c port want
	xp_need_crypto || return
	xt_setup || return
	XP_KEY="s3cret-key"
	for c in noauth:"did not ask for authentication" nocap:"does not support protected_control_v1" \
		noproof:"sent no server_proof" badproof:"proof is wrong" replay:"out of sequence"; do
		want=${c#*:} c=${c%%:*} port=$(xt_port)
		xp_peer serve "$port" "$c" >"$XT_TMP/peer.$c" 2>&1 &
		XT_PIDS+=($!)
		local i
		for ((i = 0; i < 40; i++)); do xt_listening "$NS_S" "$port" && break; sleep 0.05; done
		XT_CLIENT_TIMEOUT=8 xt_client_raw -t 1 -p "$port" --psk-file "$(xp_key k "$XP_KEY")" "$S4"
		[ "$RC" -ne 0 ] && [ "$RC" -ne 124 ] || { xt_fail "$c: client exit $RC"; return 1; }
		xp_err_has "$ERR" "$want" "$c" || return
		xt_check_san "$ERR" || return
	done
}

# Wrong key, missing key on either side: one clear line each side, within 1 s.
test_psk_refusals() {
	local key bad t0 t1
	xt_setup || return
	key=$(xp_key psk "right key")
	bad=$(xp_key bad "wrong key")
	xt_server_start --psk-file "$key" || return
	t0=$(xt_now_ms)
	xt_client -t 1 --psk-file "$bad"
	t1=$(xt_now_ms)
	[ "$RC" -eq 1 ] || { xt_fail "wrong key: exit $RC"; return 1; }
	xp_err_has "$ERR" "authentication failed" "wrong key" || return
	[ $((t1 - t0)) -lt 1000 ] || { xt_fail "wrong key took $((t1 - t0)) ms"; return 1; }
	xp_err_has "$SRV_ERR" "authentication failed" "server, wrong key" || return
	xt_client -t 1
	[ "$RC" -eq 1 ] || { xt_fail "no key: exit $RC"; return 1; }
	xp_err_has "$ERR" "needs a PSK|requires a PSK" "no key" || return
	xt_server_stop || return
	SRV_PORT=
	xt_server_start || return
	xt_client -t 1 --psk-file "$key"
	[ "$RC" -eq 1 ] || { xt_fail "key against a keyless server: exit $RC"; return 1; }
	xp_err_has "$ERR" "did not ask for authentication" "keyless server" || return
	xt_server_stop
}

# --psk-file refuses a key others can read, and empty or overlong keys.
test_psk_file_checks() {
	local key
	xt_require_netns || return
	key=$(xp_key psk "k")
	chmod 644 "$key"
	"$XFR" serve --psk-file "$key" >/dev/null 2>"$XT_TMP/e"
	[ $? -eq 2 ] || { xt_fail "group-readable key file accepted"; return 1; }
	xp_err_has "$XT_TMP/e" "permissions 644 let group or others" "mode 644" || return
	chmod 600 "$key"
	: >"$key"
	"$XFR" 127.0.0.1 --psk-file "$key" >/dev/null 2>"$XT_TMP/e"
	[ $? -eq 2 ] || { xt_fail "empty key accepted"; return 1; }
	xp_err_has "$XT_TMP/e" "empty" "empty key" || return
	head -c 1025 /dev/zero | tr '\0' k >"$key"
	"$XFR" 127.0.0.1 --psk-file "$key" >/dev/null 2>"$XT_TMP/e"
	[ $? -eq 2 ] || { xt_fail "1025-byte key accepted"; return 1; }
	xp_err_has "$XT_TMP/e" "longer than 1024" "long key" || return
	XFR_PSK= "$XFR" 127.0.0.1 --psk-file "$XT_TMP/missing" >/dev/null 2>"$XT_TMP/e"
	[ $? -eq 2 ] || { xt_fail "missing key file accepted"; return 1; }
	return 0
}

# Repeated failures from one address: after the free ones it is refused for a
# while; another address of the same client host is unaffected.
test_psk_backoff() {
	local key bad i c4b
	xt_setup || return
	c4b=${C4%.*}.3
	ip -n "$NS_C" addr add "$c4b/24" dev "$IF_C" || { xt_fail "cannot add $c4b"; return 1; }
	key=$(xp_key psk "right key")
	bad=$(xp_key bad "wrong key")
	xt_server_start --psk-file "$key" || return
	for i in 1 2 3; do
		xt_client -t 1 --psk-file "$bad"
		xp_err_has "$ERR" "authentication failed" "attempt $i" || return
	done
	xt_client -t 1 --psk-file "$key"
	[ "$RC" -eq 1 ] || { xt_fail "right key during the back-off: exit $RC"; return 1; }
	xp_err_has "$ERR" "authentication failed too often: retry in" "back-off" || return
	xt_client -t 1 --bind "$c4b" --psk-file "$key" --json
	xt_client_ok || return
	sleep 1.1
	xt_client -t 1 --psk-file "$key"
	xt_client_ok || return
	xt_server_stop
}

# --rate-limit-window: failures an address made more than a window ago no
# longer count. Two servers, one with a 2 s window, one with the default
# (15 min), see the same attempts: three wrong keys (a 1 s back-off), a fourth
# after it (2 s), a fifth once those 2 s (a whole short window) have passed,
# then the right key. The short window has forgotten the first four, so the
# fifth is a free one and the right key runs; the default counts five and
# holds the address back for 4 s.
test_psk_backoff_window() {
	local key bad i p2 srv1 err1 pid1
	xt_setup || return
	key=$(xp_key psk "right key")
	bad=$(xp_key bad "wrong key")
	xt_server_start --psk-file "$key" --rate-limit-window 2s || return
	srv1=$SRV_PORT err1=$SRV_ERR pid1=$SRV_PID
	SRV_PORT=
	xt_server_start --psk-file "$key" || return
	p2=$SRV_PORT
	for i in 1 2 3 sleep 4 sleep 5; do
		if [ "$i" = sleep ]; then sleep 2.1; continue; fi
		xp_try "$srv1" "$bad"
		xp_err_has "$ERR" "authentication failed" "2 s window, attempt $i" || return
		xp_try "$p2" "$bad"
		xp_err_has "$ERR" "authentication failed" "default window, attempt $i" || return
	done
	xp_try "$srv1" "$key"
	xt_client_ok || return
	xp_try "$p2" "$key"
	[ "$RC" -eq 1 ] || { xt_fail "default window: right key ran during the back-off"; return 1; }
	xp_err_has "$ERR" "authentication failed too often: retry in [34] s" "default back-off" ||
		return
	xt_server_stop || return
	SRV_PID=$pid1 SRV_ERR=$err1 xt_server_stop
}

# udp_auth_v1: in a PSK session the server's XFRF feedback carries a MAC
# (52 bytes, UDP length 60) and so do the single-port hello and ack (40 bytes,
# UDP length 48); without a key they are the reference's 36 (44) and 24 (32).
test_psk_udp_feedback_mac() {
	local key
	command -v nft >/dev/null || { xt_skip "nft not installed"; return 77; }
	xt_setup || return
	key=$(xp_key psk "udp key")
	xt_server_start --psk-file "$key" || return
	xt_nft "$NS_C" in udp sport "$SRV_PORT" udp length 60 counter comment '"fb52"' || return
	xt_nft "$NS_C" in udp sport "$SRV_PORT" udp length 44 counter comment '"fb36"' || return
	xt_nft "$NS_C" in udp sport "$SRV_PORT" udp length 48 counter comment '"ack40"' || return
	xt_nft "$NS_C" in udp sport "$SRV_PORT" udp length 32 counter comment '"ack24"' || return
	xt_nft "$NS_C" out udp dport "$SRV_PORT" udp length 48 counter comment '"hello40"' || return
	xt_nft "$NS_C" out udp dport "$SRV_PORT" udp length 32 counter comment '"hello24"' || return
	xt_client -t 2 -u -b 20M -P 2 --json --psk-file "$key"
	xt_client_ok || return
	xt_assert "$OUT" '.bytes_total > 0' "no bytes" || return
	local n52 n36 h40 h24 a40 a24
	n52=$(xt_nft_count "$NS_C" fb52) n36=$(xt_nft_count "$NS_C" fb36)
	[ "$n52" -ge 2 ] && [ "$n36" -eq 0 ] ||
		{ xt_fail "PSK session: $n52 authenticated, $n36 plain XFRF datagrams"; return 1; }
	h40=$(xt_nft_count "$NS_C" hello40) h24=$(xt_nft_count "$NS_C" hello24)
	a40=$(xt_nft_count "$NS_C" ack40) a24=$(xt_nft_count "$NS_C" ack24)
	[ "$h40" -ge 2 ] && [ "$a40" -ge 2 ] && [ "$h24" -eq 0 ] && [ "$a24" -eq 0 ] ||
		{ xt_fail "PSK session: hellos $h40 sealed, $h24 plain; acks $a40 sealed, $a24 plain"; return 1; }
	xt_server_stop || return
	SRV_PORT=
	xt_server_start || return
	xt_nft "$NS_C" in udp sport "$SRV_PORT" udp length 44 counter comment '"plain36"' || return
	xt_nft "$NS_C" out udp dport "$SRV_PORT" udp length 32 counter comment '"plainhello"' || return
	xt_client -t 2 -u -b 20M --json
	xt_client_ok || return
	[ "$(xt_nft_count "$NS_C" plain36)" -ge 2 ] || { xt_fail "no plain XFRF without a key"; return 1; }
	[ "$(xt_nft_count "$NS_C" plainhello)" -ge 1 ] || { xt_fail "no 24-byte hello without a key"; return 1; }
	xt_server_stop
}

# xp_attacker: a fourth namespace NS_A with its own veth link to xt_setup3's
# router, routed through it, reverse-path filtering off on the router: a third
# party on the server's side of the client that can send datagrams in the
# server's (or the client's) name. Sets NS_A.
xp_attacker() {
	local net=${C4%.*} x y
	x=$(echo "$net" | cut -d. -f2) y=$(echo "$net" | cut -d. -f3)
	y=$(((y + 128) % 256))
	NS_A=${NS_C%-c}-a
	ip netns add "$NS_A" || { xt_fail "cannot create $NS_A"; return 1; }
	XT_NS1+=("$NS_A")
	ip link add name xt netns "$NS_A" type veth peer name rx netns "$NS_R" &&
		ip -n "$NS_A" link set lo up &&
		ip -n "$NS_A" addr add "10.$x.$y.1/24" dev xt &&
		ip -n "$NS_R" addr add "10.$x.$y.2/24" dev rx &&
		ip -n "$NS_A" link set xt up && ip -n "$NS_R" link set rx up &&
		ip -n "$NS_A" route add default via "10.$x.$y.2" &&
		ip netns exec "$NS_R" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.rx.rp_filter=0 ||
		{ xt_fail "cannot attach the attacker's namespace"; return 1; }
	xt_link_up "$NS_A" xt && xt_link_up "$NS_R" rx
}

# xp_forge MODE ARGS...: udp_forger.py in the attacker's namespace.
xp_forge() {
	ip netns exec "$NS_A" "$XT_PY" "$XT_ROOT/tests/integration/udp_forger.py" "$@"
}

# xp_udp_bound NS PORT: a UDP socket of NS is bound to PORT.
xp_udp_bound() {
	[ -n "$(ip netns exec "$1" ss -Huan "sport = :$2")" ]
}

# A PSK session under attack from a third namespace (issue 11: "a forged UDP
# feedback packet from a third namespace changes nothing"). The attacker sends
# in the server's name, with TTL 100 so that nft tells its datagrams from the
# real ones (TTL 64) where they arrive.
# 1. During a UDP upload, XFRF claiming ten million lost, as 36 bytes and as 52
#    with a made-up tag: they reach the client's stream socket, its engine
#    rejects every one (and says so), and no row shows loss.
# 2. An on-path sniffer on the router steals stream 0's sealed hello; the
#    router drops the client's own hellos of stream 1. The attacker then sends
#    stream 1 hellos with the stolen token in the client's name from another
#    port (24 bytes, and 40 with the stolen tag), replays the stolen hello from
#    that port, and sends the client acks for stream 1 with the token (24 bytes,
#    40 with a made-up tag). The server acks nothing to the attacker's port and
#    says the tag was wrong; the client takes no forged ack and fails stream 1
#    with no answer to its hello: nobody but the two ends can open a stream.
test_psk_forged_udp() {
	local key cport other n36 n52 nack nhello nout forged
	command -v nft >/dev/null || { xt_skip "nft not installed"; return 77; }
	xt_setup3 1500 1500 || return
	xp_attacker || return
	key=$(xp_key psk "udp key")
	xt_server_start --psk-file "$key" --log-level debug || return
	cport=$(xt_port) other=$(xt_port)

	# 1. forged feedback
	xt_nft "$NS_C" in ip ttl 99 udp dport "$cport" udp length 44 counter comment '"f36"' || return
	xt_nft "$NS_C" in ip ttl 99 udp dport "$cport" udp length 60 counter comment '"f52"' || return
	xt_client_bg "$XT_TMP/up.json" "$XT_TMP/up.err" -t 4 -u -b 10M --cport "$cport" \
		--psk-file "$key" --json -p "$SRV_PORT" "$S4"
	xt_poll 5 xp_udp_bound "$NS_C" "$cport" || { xt_fail "the client opened no UDP stream"; return 1; }
	xp_forge feedback "$S4" "$SRV_PORT" "$C4" "$cport" 0 2 || { xt_fail "forger failed"; return 1; }
	xt_wait_exit "$CLI_PID" 15 && [ "$XT_EXIT" -eq 0 ] ||
		{ xt_fail "upload under forged feedback: exit $XT_EXIT: $(tail -n1 "$XT_TMP/up.err")"; return 1; }
	xt_json_ok "$XT_TMP/up.json" || return
	xt_assert "$XT_TMP/up.json" '.bytes_total > 0 and .udp_stats.lost == 0 and
		([.intervals[].lost] | max) == 0' \
		"forged feedback shows: lost $(xt_jq "$XT_TMP/up.json" '[.udp_stats.lost, [.intervals[].lost]]')" ||
		return
	n36=$(xt_nft_count "$NS_C" f36) n52=$(xt_nft_count "$NS_C" f52)
	[ "$n36" -ge 10 ] && [ "$n52" -ge 10 ] ||
		{ xt_fail "forged XFRF did not arrive: $n36 of 36 bytes, $n52 of 52"; return 1; }
	forged=$(sed -n 's/.*UDP stream 0: \([0-9]*\) feedback datagrams failed authentication.*/\1/p' \
		"$XT_TMP/up.err")
	[ -n "$forged" ] && [ "$forged" -ge 1 ] && [ "$forged" -le $((n36 + n52)) ] ||
		{ xt_fail "client rejected '${forged}' of $((n36 + n52)) forged XFRF: $(tail -n1 "$XT_TMP/up.err")"; return 1; }
	echo "# forged XFRF at the client: $n36 + $n52, rejected by its engine: $forged"

	# 2. a stolen token
	cport=$(xt_port)
	ip netns exec "$NS_R" nft add table inet xfrt &&
		ip netns exec "$NS_R" nft add chain inet xfrt rtr '{ type filter hook forward priority 0; }' &&
		ip netns exec "$NS_R" nft add rule inet xfrt rtr ip saddr "$C4" udp sport $((cport + 1)) \
			udp dport "$SRV_PORT" counter drop comment '"s1hello"' || { xt_fail "nft on the router"; return 1; }
	xt_nft "$NS_S" out udp sport "$SRV_PORT" udp dport "$other" counter comment '"toattacker"' || return
	xt_nft "$NS_S" in ip ttl 99 udp dport "$SRV_PORT" counter comment '"fhello"' || return
	xt_nft "$NS_C" in ip ttl 99 udp dport $((cport + 1)) counter comment '"fack"' || return
	ip netns exec "$NS_R" "$XT_PY" "$XT_ROOT/tests/integration/udp_forger.py" sniff ra \
		"$SRV_PORT" "$XT_TMP/stolen" 8 >"$XT_TMP/sniff.out" 2>&1 &
	local sniffer=$! hellos
	XT_PIDS+=("$sniffer")
	xt_poll 5 test -e "$XT_TMP/stolen.ready" || { xt_fail "the sniffer did not start"; return 1; }
	xt_client_bg "$XT_TMP/two.json" "$XT_TMP/two.err" -t 2 -u -b 10M -P 2 --cport "$cport" \
		--psk-file "$key" --json -p "$SRV_PORT" "$S4"
	xt_wait_exit "$sniffer" 10 && [ "$XT_EXIT" -eq 0 ] ||
		{ xt_fail "sniffer: $(cat "$XT_TMP/sniff.out")"; return 1; }
	cat "$XT_TMP/sniff.out"
	xt_poll 5 xp_udp_bound "$NS_C" $((cport + 1)) || { xt_fail "no stream 1 socket"; return 1; }
	xp_forge hello "$C4" "$other" "$S4" "$SRV_PORT" "$(cat "$XT_TMP/stolen")" 1 2 &
	hellos=$!
	XT_PIDS+=("$hellos")
	xp_forge ack "$S4" "$SRV_PORT" "$C4" $((cport + 1)) "$(cat "$XT_TMP/stolen")" 1 2 ||
		{ xt_fail "forger failed"; return 1; }
	wait "$hellos" || { xt_fail "hello forger failed"; return 1; }
	xt_wait_exit "$CLI_PID" 15
	[ "$XT_EXIT" -eq 1 ] || { xt_fail "client with stream 1 cut off: exit $XT_EXIT"; return 1; }
	xp_err_has "$XT_TMP/two.err" "UDP stream 1 to .*: no answer to our hello" "stream 1" || return
	nout=$(xt_nft_count "$NS_S" toattacker) nhello=$(xt_nft_count "$NS_S" fhello)
	nack=$(xt_nft_count "$NS_C" fack)
	echo "# forged hellos at the server: $nhello, answers to the attacker's port: $nout;" \
		"forged acks at the client: $nack"
	[ "$nhello" -ge 10 ] && [ "$nack" -ge 10 ] ||
		{ xt_fail "forged datagrams did not arrive: $nhello hellos, $nack acks"; return 1; }
	[ "$nout" -eq 0 ] || { xt_fail "the server answered the attacker's port $nout times"; return 1; }
	xp_err_has "$SRV_ERR" "UDP hello for stream 1 without a valid tag" "server log" || return
	xt_server_alive || return
	xt_server_stop
}

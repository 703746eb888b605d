#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The relay (issue 14, Documentation/relay.rst): both sites behind
# endpoint-dependent NAT (`masquerade random,fully-random`), so no punch
# gets through; meshcoord's embedded relay gives the pair an allocation,
# meshd installs it as a relay candidate, and the overlay works over it
# with the data in the kernel.  A stranger on the internet sending random
# datagrams and forged binds to every relay port gets no answer and has
# nothing forwarded (nft counters on the relay host).  A plain WireGuard
# pair next to it is unaffected.  The relay restarts (with a rate cap,
# which a flood through it does not exceed) and the pair recovers;
# the NATs turn friendly under a running ping and the pair moves to a
# direct path; the direct path is black-holed and the pair falls back to
# the relay.  meshadm ping says which way the answer came and why not
# direct; meshadm monitor names both switches (relay -> direct and back).
# timeout: 1200
. "$(dirname "$0")/../lib.sh"

STRANGER=203.0.113.99

kmsg_mark
wgm_tmp
topo_internet
topo_site 3 symmetric
topo_site 4 symmetric
ns_new x
ip link add eth0 netns x type veth peer name wanx netns inet
ip -n inet link set wanx master br0 up
ip -n x addr add "$STRANGER/24" dev eth0
ip -n x link set eth0 up
mkdir -p "$WGM_TMP/coord"
CKEY=$(coord pubkey)
AKEY=$(coord authkey create --reusable | tail -n 1)

addr4() {
	ip -n "h$1" -4 -o addr show dev mesh0 2>/dev/null | awk '{ print $4 }' | cut -d/ -f1
}

path_json() {
	ip netns exec "h$1" "$MESHADM" show mesh0 --json 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["peers"][0].get("path"))' 2>/dev/null
}

path_is() {
	[ "$(path_json "$1")" = "$2" ]
}

dump_logs() {
	mesh_dump_logs 3 4
	echo "# ---- h3: meshadm monitor"
	sed 's/^/#   /' "$WGM_TMP/monitor" 2>/dev/null | tail -n 40
	echo "# ---- h3: meshadm ping"
	sed 's/^/#   /' "$WGM_TMP/adm.ping" 2>/dev/null
	ip netns exec inet nft list table inet relaycnt 2>&1 | sed 's/^/#   /'
}

coord_start
on_exit 'kill $COORD_PID'
check "meshcoord starts" wait_until 10 coord_listening
check "the relay listens on 3500-3999 by default" \
	bash -c "[ \$(ip netns exec inet ss -Hlun | grep -c '$INET_V4:3[5-9][0-9][0-9] ') = 500 ]"
check "meshcoord.addr lists the relay ports" \
	grep -q "^relay $INET_V4:3500,3501,.*,3999\$" "$WGM_TMP/coord/meshcoord.addr"

meshd_start 3
meshd_start 4

check "meshcoord allocates a relay for the pair" \
	wait_until 60 grep -Eq "relay h[34] <-> h[34]: ports 3[0-9]+ and 3[0-9]+" "$WGM_TMP/coord.log"
check "meshd on h3 installs it" wait_until 30 grep -q "coord: relay for h4: $INET_V4:3" "$WGM_TMP/h3.log"
check "meshd on h4 installs it" wait_until 30 grep -q "coord: relay for h3: $INET_V4:3" "$WGM_TMP/h4.log"
check "the kernel has a relay candidate next to the direct ones" \
	wait_until 30 bash -c "ip netns exec h3 '$MESHADM' show mesh0 --json | python3 -c '
import json, sys
c = json.load(sys.stdin)[\"peers\"][0][\"candidates\"]
sys.exit(not (any(x[\"kind\"] == \"relay\" for x in c) and any(x[\"kind\"] != \"relay\" for x in c)))'"
check "the relay key is never reported back" \
	bash -c "! ip netns exec h3 '$MESHADM' show mesh0 --json | grep -qi 'relay.key'"

A3=$(addr4 3)
A4=$(addr4 4)
check "overlay ping h3 -> h4 over the relay" wait_until 120 ip netns exec h3 ping -c 1 -W 1 "$A4"
check "overlay ping h4 -> h3" wait_until 30 ip netns exec h4 ping -c 1 -W 1 "$A3"
check "meshadm show: the relay path is in use" \
	wait_until 30 bash -c "ip netns exec h3 '$MESHADM' show mesh0 | grep -q 'path: relay $INET_V4:3[0-9]* (udp)'"
check "show --json: path relay on both sides" \
	bash -c "[ \"\$(ip netns exec h3 '$MESHADM' show mesh0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"peers\"][0][\"path\"])')\" = relay ] &&
		 [ \"\$(ip netns exec h4 '$MESHADM' show mesh0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"peers\"][0][\"path\"])')\" = relay ]"
check "no direct candidate is alive (the NATs defeat punching)" \
	bash -c "ip netns exec h3 '$MESHADM' show mesh0 --json | python3 -c '
import json, sys
c = json.load(sys.stdin)[\"peers\"][0][\"candidates\"]
sys.exit(any(x[\"kind\"] != \"relay\" and x[\"state\"] == \"alive\" for x in c))'"
P4=$(ip netns exec h4 "$MESHADM" show mesh0 public-key)
check "meshadm ping: the pong came via the relay (udp), and why not direct" \
	bash -c "ip netns exec h3 '$MESHADM' ping mesh0 '$P4' | tee '$WGM_TMP/ping.relay' |
		grep -q '^pong via relay $INET_V4:3[0-9]* (udp) in [0-9.]* ms; direct: '"
sed 's/^/#   /' "$WGM_TMP/ping.relay"

# --- a stranger -------------------------------------------------------------
# Counters on the relay host: anything sent to the stranger, datagrams of
# the stranger's odd sizes leaving relay ports (WireGuard's are 16k + 32
# bytes, so these can only be the stranger's forwarded), binds leaving
# relay ports (never forwarded), and all datagrams leaving relay ports.
ip netns exec inet nft -f - <<NFT
table inet relaycnt {
	counter to_stranger {
	}
	counter odd_out {
	}
	counter bind_out {
	}
	counter relay_out {
	}
	chain out {
		type filter hook output priority filter; policy accept;
		ip daddr $STRANGER counter name to_stranger
		udp sport 3500-3999 udp length { 785, 1119 } counter name odd_out
		udp sport 3500-3999 @th,64,8 0xe3 counter name bind_out
		udp sport 3500-3999 counter name relay_out
	}
}
NFT
before=$(nft_counter inet inet relaycnt relay_out)
check "the stranger's datagrams and forged binds on every relay port get no answer" \
	ip netns exec x python3 - "$INET_V4" <<'PY'
import os, socket, struct, sys, select
relay = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 0))
sent = 0
for port in range(3500, 4000):
    for size in (777, 1111):
        s.sendto(os.urandom(size), (relay, port)); sent += 1
    for i in range(3):
        # a well-formed bind with a made-up id, counter and key: no key, no bind
        body = b"\xe3wgm" + os.urandom(4) + struct.pack("<Q", 10**19 + i)
        s.sendto(body + os.urandom(16), (relay, port)); sent += 1
    # WireGuard-looking handshake initiation
    s.sendto(b"\x01\0\0\0" + os.urandom(144), (relay, port)); sent += 1
got = 0
while select.select([s], [], [], 3)[0]:
    s.recv(65536); got += 1
print("# sent %d datagrams, got %d back" % (sent, got))
sys.exit(got != 0)
PY
check "nothing was sent to the stranger" test "$(nft_counter inet inet relaycnt to_stranger)" = 0
check "none of the stranger's datagrams were forwarded" test "$(nft_counter inet inet relaycnt odd_out)" = 0
check "no bind was ever forwarded" test "$(nft_counter inet inet relaycnt bind_out)" = 0
check "the pair still talks over the relay" \
	wait_until 30 ip netns exec h3 ping -c 3 -i 0.3 -W 1 "$A4"
after=$(nft_counter inet inet relaycnt relay_out)
check "the relay forwarded the pair's traffic meanwhile ($before -> $after)" test "$after" -gt "$before"

# --- a plain WireGuard pair is unaffected -------------------------------------
# not inside check (a subshell): the namespaces it makes must be this
# test's, to be removed when it ends
tun_pair wireguard wgmesh 4 a
check "a plain WireGuard peer and a wgmesh peer are set up" test $? = 0
check "the plain WireGuard peer pings the wgmesh peer" pings a "$INNER4.2"
check "and back" pings b "$INNER4.1"

# --- the relay restarts --------------------------------------------------------
# meshcoord (and with it the relay) goes away and comes back with fresh
# allocations: the agents reconnect, install the new relay candidates and
# the pair talks again.
# It comes back with a per-node rate cap of RATE bytes per second.
RATE=20000
coord_stop
ip netns exec inet "$MESHCOORD" --listen "$COORD" --stun "$INET_V4:3478" \
	--relay-rate "$RATE" --state "$WGM_TMP/coord" >>"$WGM_TMP/coord.log" 2>&1 &
COORD_PID=$!
check "meshcoord listens again" wait_until 10 coord_listening
check "h3 gets a new relay allocation for h4" \
	wait_until 90 bash -c "[ \$(grep -c 'coord: relay for h4: $INET_V4:3' '$WGM_TMP/h3.log') -ge 2 ]"
check "the pair talks over the new relay" wait_until 60 ip netns exec h3 ping -c 1 -W 1 "$A4"
check "and the path is the relay" wait_until 30 path_is 3 relay

# --- the per-node rate cap -------------------------------------------------------
# h3 floods h4 through the relay at about 100 times the cap; what the relay
# sends towards h4's site in that time stays within the token bucket:
# RATE bytes per second plus one second's burst (the relay counts UDP
# payload; the counter sees 28 more bytes of IP and UDP header a datagram).
ip netns exec inet nft add counter inet relaycnt to_h4
ip netns exec inet nft insert rule inet relaycnt out \
	ip daddr 203.0.113.4 udp sport 3500-3999 counter name to_h4
t0=$(date +%s%N)
ip netns exec h3 ping -q -i 0.002 -s 1200 -c 1500 -W 1 "$A4" >/dev/null 2>&1
t1=$(date +%s%N)
check "a flood through the relay is held to the per-node rate cap" \
	python3 - "$t0" "$t1" "$RATE" "$(nft_counter inet inet relaycnt to_h4)" "$(nft_counter inet inet relaycnt to_h4 bytes)" <<'PY'
import sys
t0, t1, rate, pkts, nbytes = (int(x) for x in sys.argv[1:])
secs = (t1 - t0) / 1e9
cap = rate * (secs + 1) + 28 * pkts
offered = 1500 * (1200 + 8 + 32 + 28)
print("# %d bytes in %d datagrams towards h4 in %.1f s: cap %d, offered about %d" %
      (nbytes, pkts, secs, cap, offered))
sys.exit(not (pkts > 0 and nbytes <= cap and nbytes < offered / 4))
PY
check "the capped pair still talks" wait_until 30 ip netns exec h3 ping -c 1 -W 1 "$A4"

# --- the NATs turn friendly: relay -> direct ------------------------------------
# Both routers switch to plain masquerade (the source port is kept, one
# mapping per socket) while a ping runs over the relay.  Forgetting the
# flows to the STUN server makes the kernels' next STUN round see the new
# mappings; meshd reports them, the peers probe them, and the path moves to
# the direct candidate while the relay stays installed beside it.
ip netns exec h3 "$MESHADM" monitor mesh0 >"$WGM_TMP/monitor" 2>&1 &
MONITOR_PID=$!
on_exit "kill $MONITOR_PID 2>/dev/null"
ip netns exec h3 ping -i 0.2 -W 1 "$A4" >"$WGM_TMP/upgrade.ping" 2>&1 &
PING_PID=$!
on_exit "kill $PING_PID 2>/dev/null"
for n in 3 4; do
	ip netns exec "r$n" nft flush chain inet nat postrouting
	ip netns exec "r$n" nft add rule inet nat postrouting oifname wan masquerade
	ip netns exec "r$n" conntrack -D -p udp --orig-port-dst 3478 >/dev/null 2>&1
done
check "relayed pair upgrades to direct once the NATs allow it" wait_until 180 path_is 3 direct
check "both sides see the direct path" wait_until 60 path_is 4 direct
check "a direct candidate is alive and the relay one is still there" \
	bash -c "ip netns exec h3 '$MESHADM' show mesh0 --json | python3 -c '
import json, sys
c = json.load(sys.stdin)[\"peers\"][0][\"candidates\"]
sys.exit(not (any(x[\"kind\"] != \"relay\" and x[\"state\"] == \"alive\" for x in c) and
              any(x[\"kind\"] == \"relay\" for x in c)))'"
check "the overlay works on the direct path" ip netns exec h3 ping -c 3 -i 0.3 -W 1 "$A4"
check "meshadm monitor says the path went relay -> direct" \
	file_shows 10 "$WGM_TMP/monitor" \
	"peer $(ere_quote "$P4") path $(ere_quote "$INET_V4"):3[0-9]+ -> 203\.0\.113\.4:[0-9]+ \(relay -> direct, "
# One round's pong can be lost like any packet: a few rounds may be needed.
adm_ping_direct() {
	ip netns exec h3 "$MESHADM" ping mesh0 "$P4" >"$WGM_TMP/adm.ping" 2>&1
	grep -q '^pong from 203\.0\.113\.4:[0-9]* (direct) in ' "$WGM_TMP/adm.ping"
}
check "meshadm ping: the pong came direct" wait_until 20 adm_ping_direct
kill -INT "$PING_PID" 2>/dev/null
wait "$PING_PID" 2>/dev/null
echo "# ping during the upgrade: $(grep -E 'transmitted' "$WGM_TMP/upgrade.ping")"

# --- the direct path is black-holed: direct -> relay ---------------------------
mon_before=$(wc -l <"$WGM_TMP/monitor")
# r3 drops everything between h3 and h4's public address; the relay's
# address is untouched, so the pair falls back to the relay.
ip netns exec r3 nft -f - <<NFT
table inet blackhole {
	chain forward {
		type filter hook forward priority filter - 1; policy accept;
		ip daddr 203.0.113.4 drop
		ip saddr 203.0.113.4 drop
	}
}
NFT
ip netns exec h3 ping -i 0.2 -W 1 "$A4" >"$WGM_TMP/fallback.ping" 2>&1 &
PING_PID=$!
on_exit "kill $PING_PID 2>/dev/null"
check "a black-holed direct pair falls back to the relay" wait_until 60 path_is 3 relay
check "the overlay works over the relay again" wait_until 30 ip netns exec h3 ping -c 3 -i 0.3 -W 1 "$A4"
# Straight from the direct path (failover, or roaming when h4 moved
# first); or, when the direct path died before the relay's next answer,
# through no path: "-> (none) (direct -> none, failover)", then the relay
# as a first path.
check "meshadm monitor says the path went direct -> relay" \
	file_shows 10 "$WGM_TMP/monitor" \
	"peer $(ere_quote "$P4") path (203\.0\.113\.4:[0-9]+ -> $(ere_quote "$INET_V4"):3[0-9]+ \(direct -> relay, (failover|roaming)|\(none\) -> $(ere_quote "$INET_V4"):3[0-9]+ \(relay, ok)"
check "meshadm monitor ran throughout (no event made it stop)" \
	still_running "$MONITOR_PID" "$WGM_TMP/monitor"
# what h3's kernel said meanwhile (paths and candidate states)
tail -n +"$((mon_before + 1))" "$WGM_TMP/monitor" | grep -E " (path|candidate) " |
	head -n 12 | sed 's/^/# monitor: /'
kill -INT "$PING_PID" 2>/dev/null
wait "$PING_PID" 2>/dev/null
echo "# ping during the fallback: $(grep -E 'transmitted' "$WGM_TMP/fallback.ping")"

check "meshcoord logs what the relay forwarded and what it dropped (the flood's excess)" \
	wait_until 70 grep -Eq "relay: [0-9]+ allocation\(s\); in the last minute [1-9][0-9]* datagrams \([0-9]+ bytes\) forwarded, [1-9][0-9]* dropped" "$WGM_TMP/coord.log"

# --- withdrawal ---------------------------------------------------------------
kill "${MESHD_PID[4]}"
check "h4 leaving withdraws the allocation from h3" \
	wait_until 60 grep -q "coord: relay for h4 withdrawn" "$WGM_TMP/h3.log"
check "h3's kernel drops the relay candidate" \
	wait_until 30 bash -c "! ip netns exec h3 '$MESHADM' show mesh0 --json | grep -q '\"kind\": *\"relay\"'"
check "no kernel warnings" kmsg_clean
[ "$_tap_fail" -ne 0 ] && dump_logs
done_testing

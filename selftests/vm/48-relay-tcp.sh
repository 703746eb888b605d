#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The relay over TCP (issue 14, Documentation/relay.rst, "TCP fallback"):
# site 3's firewall lets no UDP out at all, only TCP; site 4 is behind an
# endpoint-dependent NAT.  h3's kernel gets no STUN answer, so meshd
# carries its relay allocation over the control connection (protocol
# version 4): the kernel's relay candidate is meshd's local carrier socket
# and the overlay works, h3 over TCP and h4 over UDP to the same relay.
# A host on h3's LAN sending to the carrier gets nothing forwarded.  When
# UDP is let out again, meshd moves the relay back to UDP.
# timeout: 900
. "$(dirname "$0")/../lib.sh"

meshd_setup 3:symmetric 4:symmetric
topo_lan_host 3 5
# site 3: no UDP leaves the LAN (TCP only, as a hotel or corporate network)
ip netns exec r3 nft insert rule inet filter forward iifname lan meta l4proto udp counter drop

# relay_field N KEY: KEY of hN's first peer's relay candidate (--json).
relay_field() {
	ip netns exec "h$1" "$MESHADM" show mesh0 --json 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["peers"][0]
r = [c for c in p.get("candidates", []) if c["kind"] == "relay"]
print(r[0].get(sys.argv[1]) if r else "none")' "$2" 2>/dev/null
}

relay_transport_is() {
	[ "$(relay_field "$1" transport)" = "$2" ]
}

# transfer: 200 kB over TCP from h3 to h4 through the tunnel, intact.
transfer() {
	local srv
	head -c 200000 /dev/urandom >"$WGM_TMP/sent"
	ip netns exec h4 timeout 60 socat -u TCP-LISTEN:5001,reuseaddr "OPEN:$WGM_TMP/got,creat,trunc" &
	srv=$!
	wait_until 10 bash -c "ip netns exec h4 ss -Hltn | grep -q ':5001 '" || return 1
	ip netns exec h3 timeout 60 socat -u "OPEN:$WGM_TMP/sent" "TCP:$A4:5001" || return 1
	wait "$srv" && cmp "$WGM_TMP/sent" "$WGM_TMP/got"
}

coord_start
on_exit 'kill $COORD_PID'
check "meshcoord starts" wait_until 10 coord_listening
check "site 3 lets no UDP out" \
	bash -c "! ip netns exec h3 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
# a STUN binding request to meshcoord
s.sendto(bytes.fromhex(\"000100002112a442\") + bytes(12), (\"$INET_V4\", 3478))
s.recv(100)'"
meshd_start 3
meshd_start 4

check "h3's kernel gets no STUN answer, and meshd says UDP looks blocked" \
	wait_until 60 grep -q "relay: no STUN answer for 10 s: UDP looks blocked; relays go over the control connection (TCP)" "$WGM_TMP/h3.log"
check "h3 carries its relay for h4 over TCP" \
	wait_until 60 grep -q "relay: h4 .*over TCP (carrier 10.3.0.2:[0-9]*)" "$WGM_TMP/h3.log"
check "meshcoord carries h3's side over its control connection" \
	wait_until 30 grep -q "relay: h3 carries its side [0-9]* over its control connection (TCP)" "$WGM_TMP/coord.log"
check "h4 stays on UDP" bash -c "! grep -q 'over TCP' '$WGM_TMP/h4.log'"
check "h3's kernel candidate for the relay is the local carrier" \
	wait_until 30 bash -c "[ \"\$(ip netns exec h3 '$MESHADM' show mesh0 --json | python3 -c '
import json, sys
p = json.load(sys.stdin)[\"peers\"][0]
print(*[c[\"endpoint\"].rsplit(\":\", 1)[0] for c in p[\"candidates\"] if c[\"kind\"] == \"relay\"])')\" = 10.3.0.2 ]"
check "and shows as a relay over tcp" wait_until 10 relay_transport_is 3 tcp

A3=$(mesh_addr4 h3)
A4=$(mesh_addr4 h4)
check "overlay ping h3 -> h4 over the relay, TCP on h3's side" \
	wait_until 120 ip netns exec h3 ping -c 1 -W 1 "$A4"
check "overlay ping h4 -> h3" wait_until 30 ip netns exec h4 ping -c 1 -W 1 "$A3"
check "meshadm show on h3: path relay ... (tcp)" \
	wait_until 30 bash -c "ip netns exec h3 '$MESHADM' show mesh0 | grep -q 'path: relay 10.3.0.2:[0-9]* (tcp)'"
check "meshadm show on h4: path relay ... (udp)" \
	wait_until 30 bash -c "ip netns exec h4 '$MESHADM' show mesh0 | grep -q 'path: relay $INET_V4:3[0-9]* (udp)'"
check "meshadm ping on h3: the pong came via the relay over tcp" \
	bash -c "ip netns exec h3 '$MESHADM' ping mesh0 '$(ip netns exec h4 "$MESHADM" show mesh0 public-key)' |
		grep -q '^pong via relay 10\.3\.0\.2:[0-9]* (tcp) in [0-9.]* ms; direct: '"
check "no UDP left site 3 meanwhile (the firewall dropped every try)" \
	bash -c "ip netns exec r3 nft list chain inet filter forward | grep -q 'counter packets [1-9]'"
check "200 kB over TCP through the tunnel arrive intact" transfer

# --- a LAN host aims at the carrier ---------------------------------------------
ip netns exec inet nft -f - <<'NFT'
table inet relaycnt {
	counter odd_out {
	}
	chain out {
		type filter hook output priority filter; policy accept;
		udp length 785 counter name odd_out
	}
}
NFT
CARRIER=$(sed -n 's/.*relay: h4 .*over TCP (carrier \(10\.3\.0\.2:[0-9]*\)).*/\1/p' "$WGM_TMP/h3.log" | tail -n 1)
check "a LAN host's datagrams to the carrier ($CARRIER) are not carried" \
	ip netns exec h3_5 python3 - "$CARRIER" <<'PY'
import os, socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50):
    s.sendto(os.urandom(777), (host, int(port)))
s.settimeout(2)
try:
    s.recv(100)
    sys.exit(1)     # an answer: the carrier must say nothing
except socket.timeout:
    pass
PY
check "nothing of theirs left the relay" test "$(nft_counter inet inet relaycnt odd_out)" = 0
check "the pair still talks" wait_until 30 ip netns exec h3 ping -c 2 -i 0.3 -W 1 "$A4"

# --- UDP gets out again ---------------------------------------------------------------
ip netns exec r3 nft flush chain inet filter forward
ip netns exec r3 nft add rule inet filter forward ct state established,related accept
ip netns exec r3 nft add rule inet filter forward iifname lan oifname wan accept
check "once STUN answers, meshd moves the relay back to UDP" \
	wait_until 90 grep -q "relay: a STUN answer came: UDP gets out; relays go over UDP again" "$WGM_TMP/h3.log"
check "h3's relay candidate is the relay's own address again" \
	wait_until 30 relay_transport_is 3 udp
check "the pair talks over UDP" wait_until 60 ip netns exec h3 ping -c 1 -W 1 "$A4"
check "and the path is not TCP any more" \
	wait_until 30 bash -c "ip netns exec h3 '$MESHADM' show mesh0 | grep -q 'path: .* (udp)\\|path: direct'"
check "no kernel warnings" kmsg_clean
[ "$_tap_fail" -ne 0 ] && mesh_dump_logs 3 4
done_testing

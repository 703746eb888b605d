#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# meshrelay (issue 14, Documentation/relay.rst "Several relays:
# meshrelay"): a relay on its own host on the internet, registered with
# meshcoord under its own key.  Two sites behind endpoint-dependent NAT
# (no punch gets through) measure the relays meshcoord lists, call
# meshrelay home and are relayed through it (nft counters on its host).
# A key the administrator did not register is refused; a stranger's
# datagrams and forged binds to its relay ports get silence.  meshrelay
# is killed: meshcoord moves the pair to its embedded relay and the pair
# talks again.
# timeout: 900
. "$(dirname "$0")/../lib.sh"

MESHRELAY=$TOP/userland/relay/meshrelay
RELAY_V4=203.0.113.20
STRANGER=203.0.113.99
RPORTS=4000-4099

kmsg_mark
wgm_tmp
topo_internet
topo_site 3 symmetric
topo_site 4 symmetric
for ns in rl x; do
	ns_new "$ns"
	ip link add eth0 netns "$ns" type veth peer name "wan$ns" netns inet
	ip -n inet link set "wan$ns" master br0 up
	ip -n "$ns" link set eth0 up
done
ip -n rl addr add "$RELAY_V4/24" dev eth0
ip -n x addr add "$STRANGER/24" dev eth0
mkdir -p "$WGM_TMP/coord"
CKEY=$(coord pubkey)
AKEY=$(coord authkey create --reusable | tail -n 1)

relay_start() {
	ip netns exec rl "$MESHRELAY" --coord "$COORD" --coord-key "$CKEY" --public "$RELAY_V4" \
		--name eu --relay-ports "$RPORTS" --state "$WGM_TMP/relay" "$@" \
		>>"$WGM_TMP/relay.log" 2>&1 &
	RELAY_PID=$!
	on_exit "kill $RELAY_PID 2>/dev/null"
}

addr4() {
	ip -n "h$1" -4 -o addr show dev mesh0 2>/dev/null | awk '{ print $4 }' | cut -d/ -f1
}

relay_path() {
	ip netns exec "h$1" "$MESHADM" show mesh0 | grep -q "path: relay $2:[0-9]* (udp)"
}

dump_logs() {
	mesh_dump_logs 3 4
	echo "# ---- relay.log"
	tail -n 30 "$WGM_TMP/relay.log" 2>/dev/null | sed 's/^/#   /'
	ip netns exec rl nft list table inet relaycnt 2>&1 | sed 's/^/#   /'
}

coord_start
on_exit 'kill $COORD_PID'
check "meshcoord starts" wait_until 10 coord_listening

# --- registration ---------------------------------------------------------
RKEY=$(ip netns exec rl "$MESHRELAY" --state "$WGM_TMP/relay" pubkey)
check "meshrelay prints its key" test -n "$RKEY"
relay_start
check "an unregistered relay is refused and told what to do" \
	wait_until 20 grep -q "meshcoord relay add eu $RKEY" "$WGM_TMP/relay.log"
check "meshcoord relay add registers it" coord relay add eu "$RKEY"
check "meshcoord relay list shows it" bash -c "ip netns exec inet '$MESHCOORD' --state '$WGM_TMP/coord' relay list | grep -q '^eu  *$RKEY'"
check "meshrelay connects under its name" \
	wait_until 90 grep -q "coord: connected to $COORD as relay eu" "$WGM_TMP/relay.log"
check "meshcoord has it online with its ports" \
	grep -q "relay eu (.*): online at $RELAY_V4:3478, ports 4000..4099" "$WGM_TMP/coord.log"

# counters on the relay host: datagrams leaving relay ports, to the stranger,
# the stranger's odd sizes forwarded, binds forwarded
ip netns exec rl nft -f - <<NFT
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
		udp sport $RPORTS udp length { 785, 1119 } counter name odd_out
		udp sport $RPORTS @th,64,8 0xe3 counter name bind_out
		udp sport $RPORTS counter name relay_out
	}
}
NFT

# --- the pair on meshrelay -------------------------------------------------
meshd_start 3
meshd_start 4
check "h3 measures the relays and calls meshrelay home" \
	wait_until 60 grep -q "relay: home relay eu (RTT [0-9.]* ms)" "$WGM_TMP/h3.log"
check "h4 too" wait_until 30 grep -q "relay: home relay eu (RTT" "$WGM_TMP/h4.log"
check "meshcoord places the pair on meshrelay" \
	wait_until 60 grep -Eq "relay h[34] <-> h[34]: on eu, ports 40[0-9][0-9] and 40[0-9][0-9]" "$WGM_TMP/coord.log"
check "h3 installs a relay candidate on meshrelay" \
	wait_until 30 grep -q "coord: relay for h4: $RELAY_V4:40" "$WGM_TMP/h3.log"
check "meshrelay has the allocation" wait_until 10 grep -q "coord: allocation [0-9]*: ports 40" "$WGM_TMP/relay.log"
A3=$(addr4 3)
A4=$(addr4 4)
check "overlay ping h3 -> h4 over meshrelay" wait_until 120 ip netns exec h3 ping -c 1 -W 1 "$A4"
check "overlay ping h4 -> h3" wait_until 30 ip netns exec h4 ping -c 1 -W 1 "$A3"
check "meshadm show: the path is meshrelay" wait_until 30 relay_path 3 "$RELAY_V4"
before=$(nft_counter rl inet relaycnt relay_out)
check "the pair talks" ip netns exec h3 ping -c 5 -i 0.2 -W 1 "$A4"
after=$(nft_counter rl inet relaycnt relay_out)
check "meshrelay forwarded the pair's traffic ($before -> $after datagrams)" test "$after" -ge $((before + 10))

# --- a stranger ---------------------------------------------------------------
check "the stranger's datagrams and forged binds to every relay port get no answer" \
	ip netns exec x python3 - "$RELAY_V4" <<'PY'
import os, socket, struct, sys, select
relay = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 0))
sent = 0
for port in range(4000, 4100):
    for size in (777, 1111):
        s.sendto(os.urandom(size), (relay, port)); sent += 1
    for i in range(3):
        body = b"\xe3wgm" + os.urandom(4) + struct.pack("<Q", 10**19 + i)
        s.sendto(body + os.urandom(16), (relay, port)); sent += 1
    s.sendto(b"\x01\0\0\0" + os.urandom(144), (relay, port)); sent += 1
got = 0
while select.select([s], [], [], 3)[0]:
    s.recv(65536); got += 1
print("# sent %d datagrams, got %d back" % (sent, got))
sys.exit(got != 0)
PY
check "nothing was sent to the stranger" test "$(nft_counter rl inet relaycnt to_stranger)" = 0
check "none of the stranger's datagrams were forwarded" test "$(nft_counter rl inet relaycnt odd_out)" = 0
check "no bind was ever forwarded" test "$(nft_counter rl inet relaycnt bind_out)" = 0
check "the pair still talks over meshrelay" wait_until 30 ip netns exec h3 ping -c 3 -i 0.3 -W 1 "$A4"

# --- meshrelay goes away: the embedded relay takes the pair -----------------
kill "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null
check "meshcoord notices and moves the allocation" \
	wait_until 60 grep -q "relay eu: offline (disconnected); 1 allocation(s) moved" "$WGM_TMP/coord.log"
check "h3 gets an allocation on the embedded relay" \
	wait_until 30 grep -q "coord: relay for h4: $INET_V4:3" "$WGM_TMP/h3.log"
check "the pair talks over the embedded relay" wait_until 120 ip netns exec h3 ping -c 1 -W 1 "$A4"
check "meshadm show: the path is the embedded relay" wait_until 30 relay_path 3 "$INET_V4"
check "h3 calls the embedded relay home" \
	wait_until 60 grep -q "relay: home relay $(printf coord) (RTT" "$WGM_TMP/h3.log"
check "no kernel warnings" kmsg_clean
[ "$_tap_fail" -ne 0 ] && dump_logs
done_testing

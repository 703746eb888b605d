#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Candidate endpoints and authenticated probing (Documentation/probing.rst):
# the module finds the candidate that answers, makes it the endpoint, fails
# over when the active path goes away, punches through two NATs, says
# nothing to a stranger's probe, and does no probe work while the device
# is down.
# timeout: 600
. "$(dirname "$0")/../lib.sh"

kmsg_mark

# --- two hosts on one link; one candidate is a black hole -------------------
tun_pair wgmesh wgmesh 4 none
PUB_B=$(pub_of b "$DEV_B")
mon=$(mktemp)
on_exit "rm -f $mon"
ip netns exec a "$MESHADM" monitor "$DEV_A" >"$mon" 2>&1 &
monitor=$!
on_exit "kill $monitor"
# Probes are answered once each side echoes the other's challenge, which it
# learns from the other's requests: both sides have candidates (as meshd
# configures them).
check "b's candidate for a is accepted" \
	devcmd b "$DEV_B" set peer "$(pub_of a "$DEV_A")" candidates "192.0.2.1:$PORT_A"
check "candidates are accepted" \
	devcmd a "$DEV_A" set peer "$PUB_B" candidates "192.0.2.99:$PORT_B,192.0.2.2:$PORT_B"
check "the dump lists both candidates" \
	cand_has a "$DEV_A" "192.0.2.99:$PORT_B.*192.0.2.2:$PORT_B"
check "the answering candidate becomes alive and active" \
	wait_until 15 cand_has a "$DEV_A" "192.0.2.2:$PORT_B \(alive, rtt [0-9.]+ ms, active\)"
check "the black-hole candidate is not alive" \
	bash -c "! ip netns exec a $MESHADM show $DEV_A | grep -Eq '192.0.2.99:$PORT_B \(alive'"
check "the peer's endpoint moved to the active candidate" \
	test "$(peer_field a "$DEV_A" 3)" = "192.0.2.2:$PORT_B"
check "a monitor hears that the candidate became alive and active" \
	wait_until 10 grep -q "192.0.2.2:$PORT_B alive (active)" "$mon"
check "punch probes the candidates again" \
	devcmd a "$DEV_A" punch "$PUB_B"
check "traffic flows over the chosen path" pings a "$INNER4.2" 20
check "b's endpoint for a is a's answering candidate" \
	test "$(peer_field b "$DEV_B" 3)" = "192.0.2.1:$PORT_A"

# --- device down: no probe work at all, then up again -----------------------
# let any punch burst end first (its end is reported by a punch event)
punches=$(grep -c ' punch ' "$mon")
devcmd a "$DEV_A" punch "$PUB_B"
check "a punch burst while up ends with a punch event" \
	wait_until 15 bash -c "[ \$(grep -c ' punch ' $mon) -gt $punches ]"
ip -n a link set "$DEV_A" down
lines=$(wc -l <"$mon")
cnt_setup a "$PORT_A"
check "a punch asked for while the device is down is accepted" \
	devcmd a "$DEV_A" punch "$PUB_B"
# Without the stop, the burst ends in a punch event after 5 s and paths
# whose probes cannot leave go suspect and dead.
check_fails "while down, no probe, punch, path or candidate event fires" \
	wait_until 12 bash -c "tail -n +$((lines + 1)) $mon | grep -Eq ' (punch|path|candidate) '"
check "and no packet left a's tunnel port" test "$(cnt_get a all)" = 0
check "the candidate still reads alive and active" \
	cand_has a "$DEV_A" "192.0.2.2:$PORT_B \(alive, rtt [0-9.]+ ms, active\)"
ip -n a link set "$DEV_A" up
check "after up, the tunnel recovers" pings a "$INNER4.2" 20
check "and probes flow again" cnt_ge a other 1
ip netns exec a nft delete table inet wgmcnt

# --- a stranger's probe gets no answer ---------------------------------------
errs_before=$(ip -n b -s -j link show "$DEV_B" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["errors"])')
reply=$(ip netns exec a python3 - "$PORT_B" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 0))
s.settimeout(0.5)
got = 0
for i in range(6):
    msg = bytes([0xE1]) + b"wgm" + os.urandom(60)
    s.sendto(msg, ("192.0.2.2", int(sys.argv[1])))
    try:
        s.recvfrom(2048)
        got += 1
    except socket.timeout:
        pass
print(got)
PY
)
check "forged probes with unknown ids get no reply" test "$reply" = 0
errs_after=$(ip -n b -s -j link show "$DEV_B" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["errors"])')
check "and are counted as receive errors" test "$errs_after" -ge $((errs_before + 6))

# --- a genuine probe replayed, and a tampered one, from a third netns ------
ns_new c
ip link add eth1 netns b type veth peer name eth0 netns c
ip -n b addr add 198.51.100.1/24 dev eth1
ip -n c addr add 198.51.100.2/24 dev eth0
ip -n b link set eth1 up
ip -n c link set eth0 up
cap=$(mktemp)
on_exit "rm -f $cap $cap.ready"
ip netns exec b python3 - "$PORT_B" "$cap" <<'PY' &
import socket, struct, sys
port, out = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0800))
s.bind(("eth0", 0))
s.settimeout(20)
open(out + ".ready", "w").close()
while True:
    pkt, addr = s.recvfrom(4096)
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    ip = pkt[14:]
    if ip[9] != 17:
        continue
    udp = ip[(ip[0] & 15) * 4:]
    payload = udp[8:]
    if struct.unpack("!H", udp[2:4])[0] == port and len(payload) == 64 and payload[0] == 0xE1:
        open(out, "w").write(payload.hex())
        break
PY
sniffer=$!
wait_until 10 test -e "$cap.ready"
devcmd a "$DEV_A" punch "$PUB_B"
wait $sniffer
check "a genuine probe request was captured on its way to b" test -s "$cap"
ep_before=$(peer_field b "$DEV_B" 3)
replies=$(ip netns exec c python3 - "$PORT_B" "$(cat "$cap")" <<'PY'
import socket, sys
port, msg = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
tampered = bytearray(msg)
tampered[12] ^= 1                  # counter changed: the mac no longer fits
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.2", 0))
s.settimeout(0.5)
got = 0
for m in (msg, bytes(tampered), msg):
    s.sendto(m, ("198.51.100.1", port))
    try:
        s.recvfrom(2048)
        got += 1
    except socket.timeout:
        pass
print(got)
PY
)
check "a replayed or tampered probe from a third netns gets no reply" test "$replies" = 0
check "and changes nothing: b's endpoint for a is where it was" \
	test "$(peer_field b "$DEV_B" 3)" = "$ep_before"
check "and nothing points at the third netns" \
	bash -c "! ip netns exec b $MESHADM show $DEV_B | grep -q 198.51.100"
check "the genuine path still answers" \
	wait_until 15 cand_has a "$DEV_A" "192.0.2.2:$PORT_B \\(alive, rtt [0-9.]+ ms, active\\)"

# --- failover: the active path (IPv6 or IPv4, by RTT) goes away ------------
check "an IPv6 candidate can be added" \
	devcmd a "$DEV_A" set peer "$PUB_B" \
	candidates "192.0.2.2:$PORT_B,[2001:db8:1::2]:$PORT_B,192.0.2.99:$PORT_B"
check "both real paths become alive" \
	wait_until 15 bash -c "ip netns exec a $MESHADM show $DEV_A | grep 'candidates:' | grep -F '[2001:db8:1::2]:$PORT_B (alive' | grep -qF '192.0.2.2:$PORT_B (alive'"
# Path selection picks by RTT, which is noisy in a VM: block whichever
# real path carries the traffic now, and expect the other to take over.
v6_re="\\[2001:db8:1::2\\]:$PORT_B"
v4_re="192\\.0\\.2\\.2:$PORT_B"
if cand_has a "$DEV_A" "$v6_re \\(alive, rtt [0-9.]+ ms, active\\)"; then
	blocked=ipv6 dead_re=$v6_re other_re=$v4_re other="192.0.2.2:$PORT_B"
else
	blocked=ipv4 dead_re=$v4_re other_re=$v6_re other="[2001:db8:1::2]:$PORT_B"
fi
echo "# active path before the block: $blocked"
ip netns exec b nft -f - <<NFT
table inet blk {
	chain in {
		type filter hook input priority filter; policy accept;
		meta nfproto $blocked udp dport $PORT_B drop
	}
}
NFT
# The peer carries traffic meanwhile (an idle peer's path is only checked
# at its NAT keepalive interval).
ip netns exec a ping -q -i 0.5 -w 120 "$INNER4.2" >/dev/null 2>&1 &
pinger=$!
on_exit "kill $pinger 2>/dev/null"
check "when the active path stops answering, the other one takes over" \
	wait_until 60 cand_has a "$DEV_A" "$other_re \\(alive, rtt [0-9.]+ ms, active\\)"
# failover; or roaming, when b's side moved first and a followed its
# packets; or a path lost (no other alive at that moment), then found
check "a monitor hears of the failover to the other path" \
	file_shows 10 "$mon" "-> $other_re \((failover|roaming|direct, ok)"
grep " path " "$mon" | tail -n 3 | sed 's/^/# monitor: /'
kill $pinger 2>/dev/null
check "traffic still flows after the failover" pings a "$INNER4.2" 20
check "the dead path is reported dead" \
	wait_until 30 cand_has a "$DEV_A" "$dead_re \\(dead"
check "meshadm monitor ran throughout (no event made it stop)" still_running "$monitor" "$mon"
tun_unpair

# --- hole punching through two stateful NATs ---------------------------------
topo_internet
topo_site 1
topo_site 2
tun_mesh 51830 h1 wgm1 1 h2 wgm2 2
P1=$(pub_of h1 wgm1)
P2=$(pub_of h2 wgm2)
check "site 1 gets site 2's public and LAN candidates" \
	devcmd h1 wgm1 set peer "$P2" candidates "203.0.113.2:51830,10.2.0.2:51830"
check "site 2 gets site 1's public candidate" \
	devcmd h2 wgm2 set peer "$P1" candidates "203.0.113.1:51830"
check "site 1 punches through to site 2's public address" \
	wait_until 20 cand_has h1 wgm1 "203.0.113.2:51830 \(alive, rtt [0-9.]+ ms, active\)"
check "site 2 punches through to site 1's public address" \
	wait_until 20 cand_has h2 wgm2 "203.0.113.1:51830 \(alive, rtt [0-9.]+ ms, active\)"
check "the other site's LAN address is not reachable" \
	bash -c "! ip netns exec h1 $MESHADM show wgm1 | grep -Eq '10.2.0.2:51830 \(alive'"
check "the tunnel works through both NATs" pings h1 "$INNER4.2" 20

check "no kernel warnings" kmsg_clean
done_testing

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Hole punching where only one side is behind a NAT, and two hosts behind
# the same NAT (Documentation/probing.rst, "Path selection"):
#
#   - a public host and a host behind a stateful NAT: the tunnel forms
#     from the NATed side's probes, and the public side learns the mapped
#     address; the NATed host's LAN address never answers from outside;
#   - two hosts on one LAN behind one NAT: the LAN candidate is chosen
#     (`meshadm show --json` reports it active), not the public one.
# timeout: 400
. "$(dirname "$0")/../lib.sh"

P=51830

# json_active NS DEV: the endpoint of the active candidate of the first peer.
json_active() {
	ip netns exec "$1" "$MESHADM" show "$2" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
act = [c["endpoint"] for c in d["peers"][0].get("candidates", []) if c.get("active")]
print(act[0] if len(act) == 1 else "none")'
}

kmsg_mark
topo_internet
topo_site 1

# A public host on the internet bridge itself.
ns_new pub
ip link add eth0 netns pub type veth peer name wan9 netns inet
ip -n inet link set wan9 master br0 up
ip -n pub addr add 203.0.113.9/24 dev eth0
ip -n pub link set eth0 up

# --- one public host, one behind NAT -----------------------------------------
tun_mesh $P h1 wgm1 1 pub wgm9 9
P1=$(pub_of h1 wgm1)
P9=$(pub_of pub wgm9)
check "the NATed host gets the public host's address as candidate" \
	devcmd h1 wgm1 set peer "$P9" candidates "203.0.113.9:$P"
check "the public host gets the NATed host's mapped and LAN addresses" \
	devcmd pub wgm9 set peer "$P1" candidates "203.0.113.1:$P,10.1.0.2:$P"
check "the NATed host reaches the public one" \
	wait_until 30 cand_has h1 wgm1 "203.0.113.9:$P \(alive, rtt [0-9.]+ ms, active\)"
check "the public host reaches the NATed host at its mapped address" \
	wait_until 30 cand_has pub wgm9 "203.0.113.1:$P \(alive, rtt [0-9.]+ ms, active\)"
check "the NATed host's LAN address is not alive from outside" \
	bash -c "! ip netns exec pub $MESHADM show wgm9 | grep -Eq '10\.1\.0\.2:$P \(alive'"
check "the public host's JSON names the mapped address as active" \
	test "$(json_active pub wgm9)" = "203.0.113.1:$P"
check "the tunnel works from the NATed side" pings h1 "$INNER4.9" 20
check "and from the public side" pings pub "$INNER4.1" 20
check "the NAT router has no inbound rule for the tunnel port" \
	bash -c "! ip netns exec r1 nft list ruleset | grep -q 'dport $P'"

# --- two hosts on one LAN behind one NAT ---------------------------------------
topo_lan_host 1 3
Q=51831
tun_dev h1_3 wgm3 wgmesh $Q 3
tun_peer h1 wgm1 h1_3 wgm3
tun_peer h1_3 wgm3 h1 wgm1
P3=$(pub_of h1_3 wgm3)
check "h1 gets its LAN neighbour's public (mapped) and LAN candidates" \
	devcmd h1 wgm1 set peer "$P3" candidates "203.0.113.1:$Q,10.1.0.3:$Q"
check "the neighbour gets h1's public (mapped) and LAN candidates" \
	devcmd h1_3 wgm3 set peer "$P1" candidates "203.0.113.1:$P,10.1.0.2:$P"
check "h1 finds the LAN path alive and active" \
	wait_until 30 cand_has h1 wgm1 "10\.1\.0\.3:$Q \(alive, rtt [0-9.]+ ms, active\)"
check "the neighbour finds the LAN path alive and active" \
	wait_until 30 cand_has h1_3 wgm3 "10\.1\.0\.2:$P \(alive, rtt [0-9.]+ ms, active\)"
check "h1's JSON names the LAN candidate as the active path" \
	bash -c "ip netns exec h1 $MESHADM show wgm1 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
peer = [p for p in d[\"peers\"] if p[\"public_key\"] == \"$P3\"][0]
act = [c[\"endpoint\"] for c in peer[\"candidates\"] if c[\"active\"]]
sys.exit(act != [\"10.1.0.3:$Q\"])'"
check "the public candidate does not carry the LAN peers' traffic" \
	bash -c "! ip netns exec h1_3 $MESHADM show wgm3 | grep -Eq '203\.0\.113\.1:$P \([^)]*active'"
check "the LAN tunnel works" pings h1 "$INNER4.3" 20
check "the endpoint of h1's LAN peer is the LAN address" \
	bash -c "ip netns exec h1 $MESHADM show wgm1 endpoints | grep -qF '$P3	10.1.0.3:$Q'"

check "no kernel warnings" kmsg_clean
done_testing

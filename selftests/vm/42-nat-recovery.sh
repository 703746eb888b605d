#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A punched tunnel between two NATed sites looks after itself:
#
#   - the NAT state of one router is flushed (conntrack -F): the tunnel
#     comes back with no admin action, also when the side behind the other
#     router is the one that sends first (its packets are dropped as
#     unsolicited until the flushed side's NAT keepalive opens the path
#     again);
#   - UDP conntrack timeouts of 30 s and no user traffic for 90 s (three
#     timeouts; the NAT keepalive's default interval is 25 s): the kernel's
#     NAT keepalive keeps the very same conntrack entry alive, and the first
#     ping afterwards gets through.
# timeout: 600
. "$(dirname "$0")/../lib.sh"

P=51830

# ct_id NS: the id of the router's conntrack entry for the tunnel's flow.
ct_id() {
	ip netns exec "$1" conntrack -L -p udp --orig-port-src $P --orig-port-dst $P -o id 2>/dev/null |
		sed -n 's/.*id=\([0-9]*\).*/\1/p' | head -n 1
}

kmsg_mark
topo_internet
topo_site 1
topo_site 2
tun_mesh $P h1 wgm1 1 h2 wgm2 2
P1=$(pub_of h1 wgm1)
P2=$(pub_of h2 wgm2)
devcmd h1 wgm1 set peer "$P2" candidates "203.0.113.2:$P"
devcmd h2 wgm2 set peer "$P1" candidates "203.0.113.1:$P"
both_active() {
	cand_has h1 wgm1 "203.0.113.2:$P \(alive.*active\)" &&
		cand_has h2 wgm2 "203.0.113.1:$P \(alive.*active\)"
}
check "both sites punch through" wait_until 30 both_active
check "the tunnel works" pings h1 "$INNER4.2" 20

# --- NAT state flushed -------------------------------------------------------
check "site 1's router forgets its NAT state" ip netns exec r1 conntrack -F
check "the tunnel recovers by itself, site 2 sending first" \
	pings h2 "$INNER4.1" 90
check "and from site 1" pings h1 "$INNER4.2" 20
check "site 2's path to site 1 is alive and active again" \
	wait_until 30 cand_has h2 wgm2 "203.0.113.1:$P \(alive, rtt [0-9.]+ ms, active\)"

# --- NAT mapping kept alive with short UDP timeouts ----------------------------
for r in r1 r2; do
	ip netns exec $r sysctl -qw net.netfilter.nf_conntrack_udp_timeout=30
	ip netns exec $r sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=30
done
check "conntrack UDP timeouts are 30 s" \
	test "$(ip netns exec r1 sysctl -n net.netfilter.nf_conntrack_udp_timeout_stream)" = 30
# one more exchange so the entries carry the new timeout
pings h1 "$INNER4.2" 20
id1=$(ct_id r1)
id2=$(ct_id r2)
check "both routers hold an entry for the tunnel" test -n "$id1" -a -n "$id2"
# Three timeouts without user traffic: this is the scenario, not an assertion.
sleep 90
check "site 1's conntrack entry is the same one 90 s later" \
	test "$(ct_id r1)" = "$id1"
check "site 2's conntrack entry is the same one 90 s later" \
	test "$(ct_id r2)" = "$id2"
check "the first ping after the idle period gets an answer" \
	ip netns exec h2 ping -c1 -W5 "$INNER4.1"
check "the path is still the punched one" \
	cand_has h1 wgm1 "203.0.113.2:$P \(alive, rtt [0-9.]+ ms, active\)"

check "no kernel warnings" kmsg_clean
done_testing

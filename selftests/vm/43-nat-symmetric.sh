#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Both hosts behind endpoint-dependent ("symmetric") NAT, `masquerade
# random,fully-random`: no punch can get through.  The punch must fail
# cleanly: a "punch failed" event for `meshadm monitor`, `meshadm show`
# saying why the peer has no path, no candidate reported alive, and no
# kernel warnings.
# timeout: 300
. "$(dirname "$0")/../lib.sh"

P=51830

kmsg_mark
topo_internet
topo_site 3 symmetric
topo_site 4 symmetric
tun_dev h3 wgm3 wgmesh $P 3
tun_dev h4 wgm4 wgmesh $P 4
tun_peer h3 wgm3 h4 wgm4
tun_peer h4 wgm4 h3 wgm3
P3=$(pub_of h3 wgm3)
P4=$(pub_of h4 wgm4)
mon=$(mktemp)
on_exit "rm -f $mon"
ip netns exec h3 "$MESHADM" monitor wgm3 >"$mon" 2>&1 &
monitor=$!
on_exit "kill $monitor"
wait_until 5 bash -c "ip netns exec h3 ss -f netlink -p | grep -q meshadm" || true

check "site 3 gets site 4's public candidate" \
	devcmd h3 wgm3 set peer "$P4" candidates "203.0.113.4:$P"
check "site 4 gets site 3's public candidate" \
	devcmd h4 wgm4 set peer "$P3" candidates "203.0.113.3:$P"
check "both sides punch" \
	bash -c "ip netns exec h3 $MESHADM punch wgm3 $P4 && ip netns exec h4 $MESHADM punch wgm4 $P3"
check "the monitor reports the punch as failed" \
	wait_until 60 grep -q "punch failed" "$mon"
check "show says the punch failed" \
	wait_until 30 bash -c "ip netns exec h3 $MESHADM show wgm3 | grep -q 'path: none.*punch failed'"
check "show --json reports the failed punch" \
	bash -c "ip netns exec h3 $MESHADM show wgm3 --json | python3 -c '
import json, sys
p = json.load(sys.stdin)[\"peers\"][0]
st = p[\"path_status\"]
sys.exit(not (st[\"punch_result\"] == \"failed\" and st[\"punches\"] >= 1 and
              not any(c[\"active\"] for c in p[\"candidates\"])))'"
check "no candidate is reported alive" \
	bash -c "! ip netns exec h3 $MESHADM show wgm3 | grep -q '(alive'"
check_fails "no traffic gets through" ip netns exec h3 ping -c1 -W2 "$INNER4.4"
check "the device stays usable: punching again is accepted" \
	ip netns exec h3 "$MESHADM" punch wgm3 "$P4"
check "no kernel warnings" kmsg_clean
done_testing

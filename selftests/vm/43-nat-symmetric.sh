#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Both hosts behind endpoint-dependent ("symmetric") NAT, `masquerade
# random,fully-random`: no punch can get through.  The punch must fail
# cleanly (a "punch failed" event for `meshadm monitor`, the failure in
# `meshadm show --json`, no direct candidate reported alive, no kernel
# warnings), and the pair still has a tunnel: meshcoord's relay carries it
# (issue 14; 44-relay tests the relay itself).
# timeout: 600
. "$(dirname "$0")/../lib.sh"

meshd_setup 3:symmetric 4:symmetric

addr4() {
	ip -n "h$1" -4 -o addr show dev mesh0 2>/dev/null | awk '{ print $4 }' | cut -d/ -f1
}

# pub N: hN's public key, as its peer sees it.
pub_of_peer() {
	ip netns exec "h$1" "$MESHADM" show mesh0 peers | head -n 1
}

coord_start
on_exit 'kill $COORD_PID'
check "meshcoord starts" wait_until 10 coord_listening
meshd_start 3
meshd_start 4
check "h3 knows h4" wait_until 60 bash -c "[ -n \"\$(ip netns exec h3 '$MESHADM' show mesh0 peers)\" ]"
P4=$(pub_of_peer 3)
check "h4's public (NAT-mapped) candidate reaches h3" \
	wait_until 90 bash -c "ip netns exec h3 '$MESHADM' show mesh0 | grep 'candidates:' | grep -q '203\.0\.113\.4:'"

mon=$(mktemp)
on_exit "rm -f $mon"
ip netns exec h3 "$MESHADM" monitor mesh0 >"$mon" 2>&1 &
monitor=$!
on_exit "kill $monitor"
wait_until 5 bash -c "ip netns exec h3 ss -f netlink -p | grep -q meshadm" || true

check "punching is accepted" ip netns exec h3 "$MESHADM" punch mesh0 "$P4"
check "the monitor reports the punch as failed" \
	wait_until 60 grep -q "punch failed" "$mon"
check "show --json reports the failed punch" \
	bash -c "ip netns exec h3 $MESHADM show mesh0 --json | python3 -c '
import json, sys
p = json.load(sys.stdin)[\"peers\"][0]
sys.exit(not (p[\"path_status\"][\"punch_result\"] == \"failed\" and p[\"path_status\"][\"punches\"] >= 1))'"
check "no direct candidate is alive (no direct path)" \
	bash -c "ip netns exec h3 $MESHADM show mesh0 --json | python3 -c '
import json, sys
c = json.load(sys.stdin)[\"peers\"][0][\"candidates\"]
sys.exit(any(x[\"kind\"] != \"relay\" and (x[\"state\"] == \"alive\" or x[\"active\"]) for x in c))'"
check "the relay carries the pair: ping h3 -> h4" \
	wait_until 120 ip netns exec h3 ping -c 1 -W 1 "$(addr4 4)"
check "show says the path is the relay" \
	wait_until 30 bash -c "ip netns exec h3 $MESHADM show mesh0 | grep -q 'path: relay $INET_V4:3[0-9]* (udp)'"
check "show says why no direct path is tried (both NATs hard)" \
	wait_until 60 bash -c "ip netns exec h3 $MESHADM show mesh0 | grep -q 'direct: not attempted (both NATs map per destination: the pair stays on the relay)'"
check "show --json gives the peer's NAT" \
	bash -c "ip netns exec h3 $MESHADM show mesh0 --json |
		python3 -c 'import json, sys; sys.exit(json.load(sys.stdin)[\"peers\"][0].get(\"nat\") != \"hard\")'"
check "punching again is accepted and the relay keeps carrying" \
	bash -c "ip netns exec h3 '$MESHADM' punch mesh0 '$P4' && ip netns exec h3 ping -c 1 -W 2 '$(addr4 4)'"
check "no kernel warnings" kmsg_clean
[ "$_tap_fail" -ne 0 ] && mesh_dump_logs 3 4
done_testing

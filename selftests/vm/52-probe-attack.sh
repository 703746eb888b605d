#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Probes from an attacker in a third namespace (Documentation/probing.rst,
# "Security analysis"): junk-mac probes carrying a real sender id leak
# nothing (the peer is freed once removed); a genuine request captured
# earlier and replayed from another address, within the same peer instance,
# after the peer was removed and added again, or after the device was
# deleted and created again with the same keys, draws no reply, marks no
# candidate alive and moves no traffic.
# timeout: 600
. "$(dirname "$0")/../lib.sh"

TOOL="python3 $TOP/selftests/tools/probe-tool.py"
TRACE=/sys/kernel/tracing

cand_has() {
	devcmd "$1" "$2" show | grep 'candidates:' | grep -Eq "$3"
}

# stat NS DEV FIELD: an rx stats64 counter of a device.
stat() {
	ip -n "$1" -s -s -j link show "$2" |
		python3 -c "import json,sys; print(json.load(sys.stdin)[0]['stats64']['rx']['$3'])"
}

# stat_ge NS DEV FIELD N: that counter has reached N.
stat_ge() {
	[ "$(stat "$1" "$2" "$3")" -ge "$4" ]
}

# freed: how often a peer's memory was handed back (kprobe hits).
freed() {
	awk '$1 == "wgm52_peer_free" { print $2 }' "$TRACE/kprobe_profile"
}

freed_gt() {
	[ "$(freed)" -gt "$1" ]
}

kmsg_mark
tun_pair wgmesh wgmesh 4 none
PUB_A=$(pub_of a "$DEV_A")
PUB_B=$(pub_of b "$DEV_B")

# c, the attacker, on a second link of b's
ns_new c
ip link add eth1 netns b type veth peer name eth0 netns c
ip -n b addr add 198.51.100.1/24 dev eth1
ip -n c addr add 198.51.100.2/24 dev eth0
ip -n b link set eth1 up
ip -n c link set eth0 up

# --- a genuine request from a to b, seen on b's link -------------------------
cap=$(mktemp)
on_exit "rm -f $cap $cap.ready"
ip netns exec b $TOOL capture eth0 "$PORT_B" "$cap" 30 &
sniffer=$!
wait_until 10 test -e "$cap.ready"
devcmd a "$DEV_A" set peer "$PUB_B" candidates "192.0.2.2:$PORT_B"
wait $sniffer
check "a genuine probe request of a's was captured on b's link" test -s "$cap"
REQ=$(cat "$cap")

# --- 10,000 junk-mac probes with a's real sender id, then remove a on b ------
# A kprobe on the function that frees a peer's memory counts frees.
echo 'p:wgm52_peer_free wgmesh:wgm_peer_free_rcu' >>"$TRACE/kprobe_events"
on_exit "echo 0 > $TRACE/events/kprobes/wgm52_peer_free/enable; echo -:wgm52_peer_free >> $TRACE/kprobe_events"
echo 1 >"$TRACE/events/kprobes/wgm52_peer_free/enable"
check "the peer-free kprobe is in place" test -n "$(freed)"
auth0=$(stat b "$DEV_B" crc_errors)
got=$(ip netns exec c $TOOL send 198.51.100.2 198.51.100.1 "$PORT_B" "$REQ" \
	--count 10000 --junk-mac --wait 1)
check "10,000 junk-mac probes with a real sender id get no reply" test "$got" = 0
check "all of them were counted as failing authentication" \
	wait_until 30 stat_ge b "$DEV_B" crc_errors $((auth0 + 10000))
echo "# auth failures counted: $(($(stat b "$DEV_B" crc_errors) - auth0))"
free0=$(freed)
check "b removes peer a" devcmd b "$DEV_B" set peer "$PUB_A" remove
check "and the removed peer is freed (no reference leaked by the junk probes)" \
	wait_until 30 freed_gt "$free0"

# --- replays of a genuine request ---------------------------------------------
# b has a again, and both sides have candidates: probes are answered once
# each side echoes the other's challenge.
check "b adds a again" tun_peer b "$DEV_B" a "$DEV_A"
check "with a candidate for it" \
	devcmd b "$DEV_B" set peer "$PUB_A" candidates "192.0.2.1:$PORT_A"
check "a's probes to b are answered" \
	wait_until 30 cand_has a "$DEV_A" "192.0.2.2:$PORT_B \(alive, rtt [0-9.]+ ms, active\)"
check "b's probes to a are answered" \
	wait_until 30 cand_has b "$DEV_B" "192.0.2.1:$PORT_A \(alive, rtt [0-9.]+ ms, active\)"
rm -f "$cap" "$cap.ready"
ip netns exec b $TOOL capture eth0 "$PORT_B" "$cap" 10 --echo &
sniffer=$!
wait_until 10 test -e "$cap.ready"
devcmd a "$DEV_A" punch "$PUB_B"
wait $sniffer
check "a genuine, answerable request of a's was captured" test -s "$cap"
REQ=$(cat "$cap")
echo "# captured: $REQ"

# replay REQ from c; expect no reply and nothing pointing at c
replay_from_c() {
	local what=$1 got
	got=$(ip netns exec c $TOOL send 198.51.100.2 198.51.100.1 "$PORT_B" "$REQ" --wait 1)
	check "$what: no reply" test "$got" = 0
	check "$what: counted as a replay" wait_until 10 stat_ge b "$DEV_B" frame_errors $((replay0 + 1))
	check "$what: no candidate at the replayer's address" \
		bash -c "! ip netns exec b $MESHADM show $DEV_B | grep -q 198.51.100"
	check "$what: b's endpoint for a is not the replayer's" \
		bash -c "! ip netns exec b $MESHADM show $DEV_B dump | grep -q 198.51.100"
}

replay0=$(stat b "$DEV_B" frame_errors)
replay_from_c "same instance, from another address"
check "same instance: b's path to a is still the active one" \
	cand_has b "$DEV_B" "192.0.2.1:$PORT_A \(alive, rtt [0-9.]+ ms, active\)"

# A new instance of a on b with no working path (its only candidate is a
# black hole): the case where a replay accepted would move the tunnel.
check "b removes a" devcmd b "$DEV_B" set peer "$PUB_A" remove
check "and adds it again, with a black-hole candidate only" tun_peer b "$DEV_B" a "$DEV_A"
devcmd b "$DEV_B" set peer "$PUB_A" candidates "192.0.2.99:$PORT_A"
replay0=$(stat b "$DEV_B" frame_errors)
replay_from_c "peer removed and added again"

# The device deleted and created again with the same keys and port.
ip -n b link del "$DEV_B"
check "b's device is created again with the same private key" \
	bash -c "ip -n b link add $DEV_B type wgmesh &&
		ip netns exec b $MESHADM set $DEV_B private-key $WGM_TMP/b-$DEV_B.key listen-port $PORT_B &&
		ip -n b addr add $INNER4.2/24 dev $DEV_B && ip -n b link set $DEV_B up"
check "with a as its peer" tun_peer b "$DEV_B" a "$DEV_A"
devcmd b "$DEV_B" set peer "$PUB_A" candidates "192.0.2.99:$PORT_A"
replay0=$(stat b "$DEV_B" frame_errors)
replay_from_c "device recreated"

# Genuine probing still finds the path with the new instance.
check "b gets a's real address as candidate" \
	devcmd b "$DEV_B" set peer "$PUB_A" candidates "192.0.2.1:$PORT_A"
check "b's probes to the new instance's peer are answered" \
	wait_until 30 cand_has b "$DEV_B" "192.0.2.1:$PORT_A \(alive, rtt [0-9.]+ ms, active\)"
check "and a's probes to it too" \
	wait_until 30 cand_has a "$DEV_A" "192.0.2.2:$PORT_B \(alive, rtt [0-9.]+ ms, active\)"
check "the tunnel works" pings a "$INNER4.2" 20

check "no kernel warnings" kmsg_clean
done_testing

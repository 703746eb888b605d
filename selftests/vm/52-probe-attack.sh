#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Probes from an attacker in a third namespace (Documentation/probing.rst,
# "Security analysis"): junk-mac probes carrying a real sender id leak
# nothing (the peer is freed once removed).
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

check "no kernel warnings" kmsg_clean
done_testing

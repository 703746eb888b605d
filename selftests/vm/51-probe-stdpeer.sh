#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Candidates towards a standard WireGuard peer (the in-tree module), which
# never answers probes: after the punch burst finds nothing, wgmesh sends
# handshake initiations to the candidates in turn and adopts the one the
# authenticated response comes from (Documentation/probing.rst, "Standard
# WireGuard peers").
# timeout: 240
. "$(dirname "$0")/../lib.sh"

cand_has() {
	devcmd "$1" "$2" show | grep 'candidates:' | grep -Eq "$3"
}

kmsg_mark
tun_pair wgmesh wireguard 4 none
PUB_B=$(pub_of b "$DEV_B")
check "candidates towards a wireguard peer are accepted" \
	devcmd a "$DEV_A" set peer "$PUB_B" candidates "192.0.2.99:$PORT_B,192.0.2.2:$PORT_B"
check "a handshake through the right candidate makes it alive and active" \
	wait_until 60 cand_has a "$DEV_A" "192.0.2.2:$PORT_B \(alive.*active\)"
check "the wgmesh side's endpoint is that candidate" \
	test "$(peer_field a "$DEV_A" 3)" = "192.0.2.2:$PORT_B"
check "the wireguard side completed a handshake" handshake_done b "$DEV_B"
check "traffic flows to the standard peer" pings a "$INNER4.2" 20
check "the black-hole candidate is not alive" \
	bash -c "! ip netns exec a $MESHADM show $DEV_A | grep -Eq '192.0.2.99:$PORT_B \(alive'"
check "no kernel warnings" kmsg_clean
done_testing

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Malformed packets at the UDP port of the device under test (WGM_DUT,
# default wgmesh), which has a live session with an in-tree WireGuard peer:
# truncated, oversized and garbage messages of every type, unknown types,
# short and forged wgmesh probes (0xE1/0xE2) and STUN, over IPv4 and IPv6.
# Nothing may come back, the session must keep working and the kernel must
# not complain.  Then a flood of handshake initiations with a valid mac1
# puts the device under load, which must answer with cookie replies (type 3)
# that decrypt under the protocol's cookie key -- and a flood with a wrong
# mac1 must still get no answer.
# timeout: 600
. "$(dirname "$0")/../lib.sh"

JUNK=$TOP/selftests/tools/wg-junk.py
kmsg_mark
echo "# DUT: $WGM_DUT"

tun_pair dut wireguard 4 a
check "session up before the junk" pings a "$INNER4.2"
# Everything the DUT sends from its port to anyone but its peer's port.
cnt_setup a "$PORT_A" udp dport != "$PORT_B"

out=$(ip netns exec b python3 "$JUNK" junk 192.0.2.1 "$PORT_A" 1 2>&1)
check "junk over IPv4 gets no reply ($(tail -n1 <<<"$out"))" grep -q ' replies 0$' <<<"$out"
out=$(ip netns exec b python3 "$JUNK" junk 2001:db8:1::1 "$PORT_A" 1 2>&1)
check "junk over IPv6 gets no reply ($(tail -n1 <<<"$out"))" grep -q ' replies 0$' <<<"$out"
check "the session still works: a -> b" pings a "$INNER4.2"
check "the session still works: b -> a over inner IPv6" pings b "$INNER6:1"
check "TCP still works" tcp_xfer b a "$INNER4.1"
check "the DUT sent nothing to the junk sender (nft)" test "$(cnt_get a all)" = 0
check "kernel log clean after the junk" kmsg_clean

# Flood with a wrong responder key: mac1 never verifies, no answer.
kmsg_mark
wrong=$(wg genkey | wg pubkey)
out=$(ip netns exec b timeout $((120 * ${WGM_WAIT_SCALE:-1})) python3 "$JUNK" flood 192.0.2.1 "$PORT_A" "$wrong" 5000 2 2>&1)
echo "# wrong-mac1 flood: $out"
check "initiation flood with a bad mac1 gets no answer" grep -q ' cookies 0 .* other 0$' <<<"$out"
check "... none seen by nft either" test "$(cnt_get a all)" = 0

# Flood with a valid mac1: under load the DUT answers with cookies.
out=$(ip netns exec b timeout $((150 * ${WGM_WAIT_SCALE:-1})) python3 "$JUNK" flood 192.0.2.1 "$PORT_A" "$(pub_of a "$DEV_A")" 20000 5 2>&1)
echo "# valid-mac1 flood: $out"
check "initiation flood with a valid mac1 is answered with cookie replies" \
	grep -qE ' cookies [1-9][0-9]* ' <<<"$out"
check "... every cookie reply checked decrypts under the cookie key" \
	grep -qE ' bad 0 other 0$' <<<"$out"
check "... nft saw cookie replies leave the DUT" cnt_ge a t3 1
check "... and no handshake response or data went to the flooder" \
	test "$(cnt_get a t2)$(cnt_get a t4)$(cnt_get a other)" = 000
check "the session works after the flood" pings a "$INNER4.2" 30
check "kernel log clean after the floods" kmsg_clean
done_testing

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Interoperability of the device under test (WGM_DUT, default wgmesh) with
# wireguard-go, the userspace implementation (configured by wg(8) over its
# UAPI socket): the DUT in namespace a, wireguard-go in b.  Either side
# initiates; IPv4 and IPv6 outer; with and without preshared key; ping and
# TCP over IPv4 and IPv6 inside; an unknown initiator gets no answer.
# timeout: 600
. "$(dirname "$0")/../lib.sh"

kmsg_mark
echo "# DUT: $WGM_DUT"
# wg prefers wireguard-go's socket over a kernel device of the same name.
DEV_B=wgo0

for combo in "4 - a" "6 psk b"; do
	read -r outer psk init <<<"$combo"
	[ "$psk" = - ] && psk=
	if [ "$init" = a ]; then
		from=a fdev=$DEV_A to=b tdev=$DEV_B tn=2 fn=1 who="DUT initiates"
	else
		from=b fdev=$DEV_B to=a tdev=$DEV_A tn=1 fn=2 who="wireguard-go initiates"
	fi
	d="outer IPv$outer${psk:+, psk}, $who"
	if ! tun_pair dut wggo "$outer" "$init" $psk; then
		not_ok "$d: set up"
		tun_unpair
		continue
	fi
	check "$d: ping over inner IPv4" pings "$from" "$INNER4.$tn" 20
	check "$d: DUT has a handshake" handshake_done a "$DEV_A"
	check "$d: wireguard-go has a handshake" handshake_done b "$DEV_B"
	check "$d: responder pings back over inner IPv6" pings "$to" "$INNER6:$fn"
	ep=$(endpoint_of "$from" "$fdev" "$outer")
	got=$(peer_field "$to" "$tdev" 3)
	check "$d: responder learned endpoint $ep" test "$got" = "$ep"
	check "$d: TCP DUT -> wireguard-go over inner IPv6" tcp_xfer a b "$INNER6:2"
	check "$d: TCP wireguard-go -> DUT over inner IPv4" tcp_xfer b a "$INNER4.1"
	tun_unpair
done

# wireguard-go initiates, but the DUT does not know its key: silence.
tun_pair dut wggo 4 b
devcmd a "$DEV_A" set peer "$(pub_of b "$DEV_B")" remove
devcmd a "$DEV_A" set peer "$(wg genkey | wg pubkey)" allowed-ips "$INNER4.2/32"
cnt_setup a "$PORT_A"
cnt_setup b "$PORT_B"
ip netns exec b ping -c1 -W1 "$INNER4.1" >/dev/null 2>&1
if wait_until 15 cnt_ge b t1 2; then
	ok "unknown initiator: wireguard-go retries its initiation"
else
	not_ok "unknown initiator: wireguard-go retries its initiation" "b sent $(cnt_get b t1)"
fi
check "unknown initiator: DUT sends nothing back" test "$(cnt_get a all)" = 0
tun_unpair

check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

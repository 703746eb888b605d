#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Interoperability of the device under test (WGM_DUT, default wgmesh) with
# the in-tree WireGuard module configured by wg(8): the DUT in namespace a,
# wireguard in namespace b.  For IPv4 and IPv6 outer addresses, with and
# without a preshared key, and with either side starting the handshake (only
# the initiator knows the other's endpoint): ping and a TCP transfer over
# IPv4 and IPv6 inside, the responder learns the initiator's endpoint.  Wrong
# keys: no data, and an unauthenticated initiation gets no answer at all
# (nft counters on the DUT's UDP port).
# timeout: 900
. "$(dirname "$0")/../lib.sh"

kmsg_mark
echo "# DUT: $WGM_DUT"

# Outer family x preshared key x initiator, as a half fraction of the 2^3
# design: every pair of factors appears in all four combinations.
for combo in "4 - a" "4 psk b" "6 - b" "6 psk a"; do
	read -r outer psk init <<<"$combo"
	[ "$psk" = - ] && psk=
	if [ "$init" = a ]; then
		from=a fdev=$DEV_A to=b tdev=$DEV_B tn=2 fn=1 who="DUT initiates"
	else
		from=b fdev=$DEV_B to=a tdev=$DEV_A tn=1 fn=2 who="wg initiates"
	fi
	d="outer IPv$outer${psk:+, psk}, $who"
	if ! tun_pair dut wireguard "$outer" "$init" $psk; then
		not_ok "$d: set up"
		tun_unpair
		continue
	fi
	check "$d: ping over inner IPv4" pings "$from" "$INNER4.$tn"
	check "$d: DUT has a handshake" handshake_done a "$DEV_A"
	check "$d: wg has a handshake" handshake_done b "$DEV_B"
	check "$d: responder pings back over inner IPv6" pings "$to" "$INNER6:$fn"
	ep=$(endpoint_of "$from" "$fdev" "$outer")
	got=$(peer_field "$to" "$tdev" 3)
	check "$d: responder learned endpoint $ep" test "$got" = "$ep"
	check "$d: TCP DUT -> wg over inner IPv4" tcp_xfer a b "$INNER4.2"
	check "$d: TCP wg -> DUT over inner IPv6" tcp_xfer b a "$INNER6:1"
	if [ "$combo" = "4 - a" ]; then
		# An idle tunnel without keepalive stays silent: no new
		# handshake (rekeying is due only after 120 s).  The window
		# is bounded by waiting for the very event that must not come.
		cnt_setup a "$PORT_A"
		cnt_setup b "$PORT_B"
		wait_until 20 cnt_ge a t1 1
		check "$d: idle, the DUT sends no initiation for 20 s" test "$(cnt_get a t1)" = 0
		check "$d: idle, wg sends no initiation either" test "$(cnt_get b t1)" = 0
	fi
	tun_unpair
done

newpub() {
	wg genkey | wg pubkey
}

# 1. The DUT does not know the initiator's key: it must stay silent.
tun_pair dut wireguard 4 b
devcmd a "$DEV_A" set peer "$(pub_of b "$DEV_B")" remove
devcmd a "$DEV_A" set peer "$(newpub)" allowed-ips "$INNER4.2/32"
cnt_setup a "$PORT_A"
cnt_setup b "$PORT_B"
ip netns exec b ping -c1 -W1 "$INNER4.1" >/dev/null 2>&1
if wait_until 15 cnt_ge b t1 2; then
	ok "unknown initiator: wg retries its initiation"
else
	not_ok "unknown initiator: wg retries its initiation" "b sent $(cnt_get b t1) initiations"
fi
check "unknown initiator: DUT sends nothing back" test "$(cnt_get a all)" = 0
check_fails "unknown initiator: no ping" ip netns exec b ping -c1 -W1 "$INNER4.1"
tun_unpair

# 2. The initiator uses a wrong public key for the DUT (bad mac1): silence.
tun_pair dut wireguard 4 b
devcmd b "$DEV_B" set peer "$(pub_of a "$DEV_A")" remove
tun_peer b "$DEV_B" a "$DEV_A" endpoint 4 pubkey "$(newpub)"
cnt_setup a "$PORT_A"
cnt_setup b "$PORT_B"
ip netns exec b ping -c1 -W1 "$INNER4.1" >/dev/null 2>&1
if wait_until 15 cnt_ge b t1 2; then
	ok "wrong responder key: wg retries its initiation"
else
	not_ok "wrong responder key: wg retries its initiation" "b sent $(cnt_get b t1) initiations"
fi
check "wrong responder key (bad mac1): DUT sends nothing back" test "$(cnt_get a all)" = 0
tun_unpair

# 3. Preshared keys differ: the handshake cannot complete, no data flows.
# Keys are set while neither side knows an endpoint, so no session can exist
# before the mismatch; then the initiator learns where to send.
for init in a b; do
	tun_pair dut wireguard 4 none
	wg genpsk >"$WGM_TMP/psk1"
	wg genpsk >"$WGM_TMP/psk2"
	devcmd a "$DEV_A" set peer "$(pub_of b "$DEV_B")" preshared-key "$WGM_TMP/psk1"
	devcmd b "$DEV_B" set peer "$(pub_of a "$DEV_A")" preshared-key "$WGM_TMP/psk2"
	cnt_setup a "$PORT_A"
	cnt_setup b "$PORT_B"
	if [ "$init" = a ]; then
		d="psk mismatch, DUT initiates" ins=a resp=b rn=2
		devcmd a "$DEV_A" set peer "$(pub_of b "$DEV_B")" endpoint "$(endpoint_of b "$DEV_B" 4)"
	else
		d="psk mismatch, wg initiates" ins=b resp=a rn=1
		devcmd b "$DEV_B" set peer "$(pub_of a "$DEV_A")" endpoint "$(endpoint_of a "$DEV_A" 4)"
	fi
	ip netns exec "$ins" ping -c1 -W1 "$INNER4.$rn" >/dev/null 2>&1
	if wait_until 15 cnt_ge "$ins" t1 2; then
		ok "$d: initiator retries"
	else
		not_ok "$d: initiator retries" "$(cnt_get "$ins" t1) initiations"
	fi
	check "$d: responder answered the initiation" cnt_ge "$resp" t2 1
	if [ "$init" = b ]; then
		# A responder with nothing to send has no reason to initiate.
		check "$d: the DUT as responder starts no handshake of its own" \
			test "$(cnt_get a t1)" = 0
	fi
	check "$d: no data packet from the DUT" test "$(cnt_get a t4)" = 0
	check "$d: no data packet from wg" test "$(cnt_get b t4)" = 0
	check_fails "$d: initiator has no handshake" handshake_done "$ins" "$([ "$ins" = a ] && echo "$DEV_A" || echo "$DEV_B")"
	tun_unpair
done

check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

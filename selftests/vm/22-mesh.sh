#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The device under test (WGM_DUT, default wgmesh) against itself: basics over
# IPv4 and IPv6, roaming (an endpoint follows the peer's new outer address
# once it sends), allowed-IPs enforcement in both directions, peer removal,
# setconf replacing the peer list, and persistent keepalives.
# timeout: 600
. "$(dirname "$0")/../lib.sh"

both_handshake() {
	handshake_done a "$DEV_A" && handshake_done b "$DEV_B"
}

kmsg_mark
echo "# DUT: $WGM_DUT"

for combo in "4 - a" "6 psk both"; do
	read -r outer psk init <<<"$combo"
	[ "$psk" = - ] && psk=
	d="outer IPv$outer${psk:+, psk}, endpoints known by $init"
	if ! tun_pair dut dut "$outer" "$init" $psk; then
		not_ok "$d: set up"
		tun_unpair
		continue
	fi
	check "$d: a pings b over inner IPv4" pings a "$INNER4.2"
	check "$d: b pings a over inner IPv6" pings b "$INNER6:1"
	check "$d: both have a handshake" both_handshake
	check "$d: TCP a -> b over inner IPv6" tcp_xfer a b "$INNER6:2"
	check "$d: TCP b -> a over inner IPv4" tcp_xfer b a "$INNER4.1"
	tun_unpair
done

# Roaming: a moves to another outer address; once it sends, b follows.
tun_pair dut dut 4 a
check "roaming: tunnel up" pings a "$INNER4.2"
ip -n a addr del 192.0.2.1/24 dev eth0
ip -n a addr add 192.0.2.11/24 dev eth0
check "roaming: a reaches b from its new address" pings a "$INNER4.2"
got=$(peer_field b "$DEV_B" 3)
check "roaming: b's endpoint for a is the new address" test "$got" = "192.0.2.11:$PORT_A"
check "roaming: b reaches a at the new address" pings b "$INNER6:1"
# ... and across families: a now talks to b's IPv6 address.
devcmd a "$DEV_A" set peer "$(pub_of b "$DEV_B")" endpoint "[2001:db8:1::2]:$PORT_B"
check "roaming: a reaches b over outer IPv6" pings a "$INNER4.2"
got=$(peer_field b "$DEV_B" 3)
check "roaming: b's endpoint for a is a's IPv6 address" test "$got" = "[2001:db8:1::1]:$PORT_A"
ip -n a addr del 192.0.2.11/24 dev eth0
ip -n a addr add 192.0.2.1/24 dev eth0

# Allowed IPs.  a gets a second inner address b does not allow for a: what a
# sends from it must not come out of b's device.
ip -n a addr add "$INNER4.99/24" dev "$DEV_A"
ip netns exec b nft -f - <<NFT
table inet wgmin {
	counter spoofed {
	}
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		iifname "$DEV_B" ip saddr $INNER4.99 counter name spoofed
	}
}
NFT
spoofed() {
	ip netns exec b nft list counter inet wgmin spoofed |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}
cnt_setup a "$PORT_A"
check_fails "allowed-ips: ping from a source b does not allow fails" \
	ip netns exec a ping -c1 -W2 -I "$INNER4.99" "$INNER4.2"
check "allowed-ips: a did encrypt and send it" cnt_ge a t4 1
check "allowed-ips: nothing from the spoofed source left b's device" test "$(spoofed)" = 0
before=$(cnt_get a t4)
check_fails "allowed-ips: a ping to an address no peer has fails" \
	ip netns exec a ping -c1 -W1 "$INNER4.77"
check "allowed-ips: ... and sends no data packet" test "$(cnt_get a t4)" = "$before"
devcmd b "$DEV_B" set peer "$(pub_of a "$DEV_A")" \
	allowed-ips "$INNER4.1/32,$INNER6:1/128,$INNER4.99/32"
check "allowed-ips: once b allows it, the same source gets through" \
	wait_until 15 ip netns exec a ping -c1 -W1 -I "$INNER4.99" "$INNER4.2"
check "allowed-ips: ... and comes out of b's device" test "$(spoofed)" -ge 1

# Removing a peer stops traffic; adding it back restores it.
devcmd b "$DEV_B" set peer "$(pub_of a "$DEV_A")" remove
check "peer removal: b has no peers left" test -z "$(devcmd b "$DEV_B" show peers)"
check_fails "peer removal: a cannot reach b" ip netns exec a ping -c1 -W2 "$INNER4.2"
tun_peer b "$DEV_B" a "$DEV_A" endpoint 4
check "peer re-added: b reaches a again" pings b "$INNER4.1"

# setconf replaces the peer list (REPLACE_PEERS).
dummy=$(wg genkey | wg pubkey)
cat >"$WGM_TMP/b1.conf" <<CONF
[Interface]
PrivateKey = $(key_of b "$DEV_B")
ListenPort = $PORT_B

[Peer]
PublicKey = $dummy
AllowedIPs = 10.99.0.0/16
CONF
check "setconf: accepted" devcmd b "$DEV_B" setconf "$WGM_TMP/b1.conf"
check "setconf: only the file's peer is left" test "$(devcmd b "$DEV_B" show peers)" = "$dummy"
check_fails "setconf: a cannot reach b any more" ip netns exec a ping -c1 -W2 "$INNER4.2"
cat >>"$WGM_TMP/b1.conf" <<CONF

[Peer]
PublicKey = $(pub_of a "$DEV_A")
AllowedIPs = $INNER4.1/32, $INNER6:1/128
Endpoint = 192.0.2.1:$PORT_A
CONF
check "setconf: second file accepted" devcmd b "$DEV_B" setconf "$WGM_TMP/b1.conf"
check "setconf: both peers present" test "$(devcmd b "$DEV_B" show peers | sort)" = "$(printf '%s\n' "$dummy" "$(pub_of a "$DEV_A")" | sort)"
check "setconf: b reaches a again" pings b "$INNER6:1"
check "setconf: listen port kept" test "$(devcmd b "$DEV_B" show listen-port)" = "$PORT_B"

# Persistent keepalive: empty data messages (32 bytes of UDP payload) go
# out without any traffic.
cnt_setup a "$PORT_A" udp length 40
devcmd a "$DEV_A" set peer "$(pub_of b "$DEV_B")" persistent-keepalive 1
if wait_until 15 cnt_ge a t4 2; then
	ok "keepalive: a sends keepalives to b unprompted"
else
	not_ok "keepalive: a sends keepalives to b unprompted" "$(cnt_get a t4) seen"
fi
check "keepalive: shown as 1 second" \
	bash -c "ip netns exec a $(kind_tool dut) show $DEV_A persistent-keepalive | grep -qw 1"
tun_unpair

check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

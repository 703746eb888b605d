#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Full-size tunnel packets over an outer path narrower than they are.  The
# device under test (WGM_DUT, default wgmesh) in namespace a and another one
# of the same kind in b keep the default MTU (1420), so a full-size inner
# packet makes a 1500-byte outer IPv6 packet (1472 over IPv4).  a and b are
# joined through a router namespace m:
#
#   a eth0 --- ea  m  eb --- eth0 b
#
# and one link at a time is narrowed:
#   - m-b to 1280 (the IPv6 minimum): a learns the path MTU from m's Packet
#     Too Big, b's own device is narrow;
#   - a-m to 1492 (PPPoE): a's own device is narrow, b learns it from m.
# Each sender must fragment the outer packet itself (an IPv6 router never
# does): ping -M "do" -s 1392 (a 1420-byte inner packet) both ways and a TCP
# transfer of a few MB both ways must get through, for outer IPv6 and, as a
# control, outer IPv4 (sent without DF, so routers fragment too).
# timeout: 900
. "$(dirname "$0")/../lib.sh"

kmsg_mark
echo "# DUT: $WGM_DUT"

XFER_BYTES=$((4 * 1024 * 1024))
FULL=1392	# ICMP payload of a 1420-byte inner IPv4 packet

setup() {
	ns_new a && ns_new b && ns_new m || return 1
	ip link add eth0 netns a type veth peer name ea netns m || return 1
	ip link add eth0 netns b type veth peer name eb netns m || return 1
	ip -n a addr add 192.0.2.1/24 dev eth0
	ip -n a addr add 2001:db8:a::1/64 dev eth0 nodad
	ip -n m addr add 192.0.2.254/24 dev ea
	ip -n m addr add 2001:db8:a::fe/64 dev ea nodad
	ip -n b addr add 198.51.100.2/24 dev eth0
	ip -n b addr add 2001:db8:b::2/64 dev eth0 nodad
	ip -n m addr add 198.51.100.254/24 dev eb
	ip -n m addr add 2001:db8:b::fe/64 dev eb nodad
	ip -n a link set eth0 up
	ip -n b link set eth0 up
	ip -n m link set ea up
	ip -n m link set eb up
	ip -n a route add default via 192.0.2.254
	ip -n a -6 route add default via 2001:db8:a::fe
	ip -n b route add default via 198.51.100.254
	ip -n b -6 route add default via 2001:db8:b::fe
	ip netns exec m sysctl -qw net.ipv4.ip_forward=1
	ip netns exec m sysctl -qw net.ipv6.conf.all.forwarding=1
	tun_dev a "$DEV_A" dut "$PORT_A" 1 || return 1
	tun_dev b "$DEV_B" dut "$PORT_B" 2 || return 1
	tun_peer a "$DEV_A" b "$DEV_B" || return 1
	tun_peer b "$DEV_B" a "$DEV_A" || return 1
}

# link_mtu NS1 DEV1 NS2 DEV2 MTU: both ends of a veth.
link_mtu() {
	ip -n "$1" link set "$2" mtu "$5" && ip -n "$3" link set "$4" mtu "$5"
}

# reset: every outer link back to 1500 and no learned path MTU anywhere.
reset() {
	local ns
	link_mtu a eth0 m ea 1500 && link_mtu b eth0 m eb 1500 || return 1
	for ns in a b m; do
		ip -n "$ns" route flush cache
		ip -n "$ns" -6 route flush cache
	done
}

# endpoints FAMILY: each side talks to the other's outer address of FAMILY.
endpoints() {
	devcmd a "$DEV_A" set peer "$(pub_of b "$DEV_B")" endpoint "$(endpoint_of b "$DEV_B" "$1")" &&
	devcmd b "$DEV_B" set peer "$(pub_of a "$DEV_A")" endpoint "$(endpoint_of a "$DEV_A" "$1")"
}

# full_ping NS ADDR: a full-size inner ping, never fragmented inside, gets
# an answer (the first ones may be lost while the path MTU is learned).
full_ping() {
	wait_until 30 ip netns exec "$1" ping -c1 -W1 -M "do" -s "$FULL" "$2"
}

if ! setup; then
	not_ok "set up a - m - b with $WGM_DUT devices"
	done_testing
fi
check "tunnel up at full MTU 1500 (outer IPv6)" endpoints 6
check "... small ping a -> b" pings a "$INNER4.2" 30
check "... full-size ping a -> b" full_ping a "$INNER4.2"
check "device MTU is the default 1420" \
	bash -c "ip -n a -o link show $DEV_A | grep -q ' mtu 1420 '"

# case: FAMILY NS1 DEV1 NS2 DEV2 MTU WHAT
for c in "6 b eth0 m eb 1280 m-b" "6 a eth0 m ea 1492 a-m" \
	 "4 b eth0 m eb 1280 m-b" "4 a eth0 m ea 1492 a-m"; do
	read -r fam n1 d1 n2 d2 mtu what <<<"$c"
	d="outer IPv$fam, $what link MTU $mtu"
	if ! reset || ! endpoints "$fam" || ! link_mtu "$n1" "$d1" "$n2" "$d2" "$mtu"; then
		not_ok "$d: set up"
		continue
	fi
	check "$d: small ping a -> b" pings a "$INNER4.2" 30
	check "$d: full-size ping (-M do -s $FULL) a -> b" full_ping a "$INNER4.2"
	check "$d: full-size ping (-M do -s $FULL) b -> a" full_ping b "$INNER4.1"
	check "$d: full-size ping over inner IPv6 b -> a" \
		wait_until 30 ip netns exec b ping -c1 -W1 -M "do" -s $((FULL - 20)) "$INNER6:1"
	check "$d: TCP a -> b, $XFER_BYTES bytes" tcp_xfer a b "$INNER4.2" "$XFER_BYTES"
	check "$d: TCP b -> a, $XFER_BYTES bytes" tcp_xfer b a "$INNER4.1" "$XFER_BYTES"
done

check "kernel log clean" kmsg_clean
done_testing

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Addresses the device cannot route to, over both families: a peer's
# endpoint, its candidates (probes), a STUN server.  Every send path must
# fail the route lookup once, count the drop and go on; the device stays
# configurable and deletable and the kernel does not complain.  (A retry
# loop in the IPv6 route lookup once spun forever here: a soft lockup in
# the STUN worker and in the transmit path.)
# timeout: 300
. "$(dirname "$0")/../lib.sh"

wgm_load || { not_ok "module loads"; done_testing; }
wgm_tmp
kmsg_mark
ns_new u
# one address per family, no route beyond their own prefixes
ip -n u link add dummy0 type dummy
ip -n u addr add 192.0.2.1/24 dev dummy0
ip -n u addr add 2001:db8:1::1/64 dev dummy0 nodad
ip -n u link set dummy0 up

adm() {
	ip netns exec u timeout 20 "$MESHADM" "$@"
}
key=$WGM_TMP/key
wg genkey >"$key"
P1=$(wg genkey | wg pubkey)
P2=$(wg genkey | wg pubkey)

ip -n u link add wgm0 type wgmesh
check "the device is configured" \
	adm set wgm0 private-key "$key" listen-port 51820 \
		peer "$P1" endpoint "[2001:db8:99::1]:51820" allowed-ips 10.9.1.0/24,fd09:1::/64 \
		peer "$P2" endpoint 198.51.100.1:51820 allowed-ips 10.9.2.0/24
ip -n u addr add 10.9.0.1/16 dev wgm0
ip -n u addr add fd09::1/32 dev wgm0 nodad
ip -n u link set wgm0 up

# handshake initiations towards unroutable endpoints, both families
# returns CMD...: CMD ended by itself within 20 s, whatever its status
returns() {
	timeout 20 "$@" >/dev/null 2>&1
	[ $? -ne 124 ]
}
check "pinging through a peer with an unroutable IPv6 endpoint returns" \
	returns ip netns exec u ping -c 3 -i 0.2 -W 1 10.9.1.2
check "... over inner IPv6 too" \
	returns ip netns exec u ping -6 -c 3 -i 0.2 -W 1 fd09:1::2
check "pinging through a peer with an unroutable IPv4 endpoint returns" \
	returns ip netns exec u ping -c 3 -i 0.2 -W 1 10.9.2.2
check "the device answers netlink after sends to unroutable endpoints" adm show wgm0
check "no handshake was completed" \
	bash -c "! ip netns exec u '$MESHADM' show wgm0 latest-handshakes | awk '\$2 != 0' | grep -q ."

# probes to unroutable candidates
check "unroutable candidates are accepted" \
	adm set wgm0 peer "$P1" candidates "[2001:db8:98::1]:1,198.51.100.2:1" \
		peer "$P2" candidates "[2001:db8:97::1]:1"
check "punching them is accepted" adm punch wgm0 "$P1"
check "punching the other peer is accepted" adm punch wgm0 "$P2"
check "the device answers after probing unroutable candidates" adm show wgm0

# STUN to unroutable servers: the worker sends at once
check "unroutable STUN servers are accepted" \
	adm set wgm0 stun-server "[2001:db8:96::1]:3478,198.51.100.3:3478"
check "the STUN requests were sent and failed" \
	wait_until 20 bash -c "ip netns exec u '$MESHADM' show wgm0 stun-servers | awk '\$3 >= 1' | grep -q ."
check "the STUN server list can be cleared (the worker is not stuck)" \
	adm set wgm0 stun-server off
check "the device can be deleted" ip netns exec u timeout 20 ip link del wgm0
check "no kernel warnings" kmsg_clean
done_testing

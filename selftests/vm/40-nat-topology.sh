#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The NAT topology the hole-punching tests build on (selftests/lib.sh
# topo_*), checked with plain UDP: the routers masquerade, drop everything
# unsolicited, and let two hosts through only when both send at once -- and
# never with endpoint-dependent ("symmetric") mapping.
# timeout: 180
. "$(dirname "$0")/../lib.sh"

PUNCH=$TOP/selftests/tools/udp-punch.py

topo_internet
topo_site 1
topo_site 2
check "a host behind NAT reaches the internet" \
	ip netns exec h1 ping -c1 -W2 "$INET_V4"
RECV=$TOP/selftests/tools/udp-recv.py
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"

# The listener exits at the first datagram: its window only bounds a
# failure, and is long enough for a loaded host to start the sender.
ip netns exec inet python3 "$RECV" 5000 30 >"$tmp/src" &
listener=$!
wait_until 20 bash -c "ip netns exec inet ss -lun | grep -q ':5000 '"
ip netns exec h1 python3 "$PUNCH" 40000 "$INET_V4" 5000 2 >/dev/null
wait $listener
check "traffic leaves site 1 from the router's public address, port kept" \
	grep -qx '203.0.113.1:40000' "$tmp/src"

# Unsolicited inbound: host 2 sends to host 1's public address alone.
ip netns exec h1 python3 "$RECV" 41000 3 >"$tmp/unsolicited" &
listener=$!
wait_until 20 bash -c "ip netns exec h1 ss -lun | grep -q ':41000 '"
ip netns exec h2 python3 "$PUNCH" 42000 203.0.113.1 41000 2 >/dev/null
wait $listener
check "an unsolicited datagram does not get through the NAT" \
	test ! -s "$tmp/unsolicited"

ip netns exec h1 python3 "$PUNCH" 41001 203.0.113.2 42001 10 &
p1=$!
ip netns exec h2 python3 "$PUNCH" 42001 203.0.113.1 41001 10
r2=$?
wait $p1
r1=$?
check "simultaneous sending opens a path through both NATs" test "$r1$r2" = 00

topo_site 3 symmetric
topo_site 4 symmetric
ip netns exec h3 python3 "$PUNCH" 43001 203.0.113.4 44001 4 &
p3=$!
ip netns exec h4 python3 "$PUNCH" 44001 203.0.113.3 43001 4
r4=$?
wait $p3
r3=$?
check "with symmetric NAT on both sides the same punch fails" test "$r3$r4" = 11

topo_lan_host 1 3
check "two hosts on one LAN reach each other directly" \
	ip netns exec h1_3 ping -c1 -W2 10.1.0.2
done_testing

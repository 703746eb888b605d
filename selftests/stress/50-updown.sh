#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Device down/up while traffic flows, for STRESS_SECS (default 60): a TCP
# stream (iperf3) and ping floods both ways run through a wgmesh pair while
# a loop takes a's and b's devices down and up again (and, every fifth
# round, changes a's listen port).  Every down/up must succeed; afterwards
# the tunnel must work and the kernel must not complain.
# timeout: 300+3*STRESS_SECS
. "$(dirname "$0")/../lib.sh"

secs=${STRESS_SECS:-60}
kmsg_mark
tun_pair wgmesh wgmesh 4 both
PUB_A=$(pub_of a "$DEV_A")
check "tunnel up" pings a "$INNER4.2" 60

ip netns exec b iperf3 -s -B "$INNER4.2" >/dev/null 2>&1 &
on_exit "kill $!"
wait_until 20 bash -c "ip netns exec b ss -Hltn | grep -q ':5201 '"
# iperf3 is restarted when a down/up breaks its connection: only the load matters.
(end=$(($(date +%s) + secs)); while [ "$(date +%s)" -lt "$end" ]; do
	ip netns exec a iperf3 -c "$INNER4.2" -t 5 --connect-timeout 3000 >/dev/null 2>&1 || sleep 0.5
done) &
load=$!
on_exit "kill $load"
ip netns exec a ping -f -q -w "$secs" "$INNER4.2" >/dev/null 2>&1 &
ip netns exec b ping -f -q -w "$secs" "$INNER6:1" >/dev/null 2>&1 &

bad=0 rounds=0 port=$PORT_A
end=$(($(date +%s) + secs))
while [ "$(date +%s)" -lt "$end" ]; do
	rounds=$((rounds + 1))
	ip -n a link set "$DEV_A" down || bad=$((bad + 1))
	ip -n b link set "$DEV_B" down || bad=$((bad + 1))
	ip -n b link set "$DEV_B" up || bad=$((bad + 1))
	if [ $((rounds % 5)) -eq 0 ]; then
		port=$((port == PORT_A ? PORT_A + 100 : PORT_A))
		devcmd a "$DEV_A" set listen-port "$port" || bad=$((bad + 1))
		devcmd b "$DEV_B" set peer "$PUB_A" endpoint "192.0.2.1:$port" || bad=$((bad + 1))
	fi
	ip -n a link set "$DEV_A" up || bad=$((bad + 1))
done
wait "$load"
echo "# $rounds down/up rounds"
check "every down, up and port change succeeded ($bad failures in $rounds rounds)" test "$bad" = 0
check "the tunnel works afterwards: a -> b" pings a "$INNER4.2" 60
check "the tunnel works afterwards: b -> a" pings b "$INNER4.1" 60
check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

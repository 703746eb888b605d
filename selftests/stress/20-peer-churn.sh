#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Peer churn under load for STRESS_SECS (default 60): iperf3 runs through a
# wgmesh tunnel a <-> b while a loop on a adds and removes stranger peers
# and, every tenth round, removes b itself and adds it back; at the same
# time a flood of handshake initiations with a valid mac1 hits a's port.
# Every configuration change must succeed, iperf3 must finish, the flood
# must be answered with cookie replies, the tunnel must work afterwards and
# the kernel must not complain.
# timeout: 400+3*STRESS_SECS
. "$(dirname "$0")/../lib.sh"

JUNK=$TOP/selftests/tools/wg-junk.py
secs=${STRESS_SECS:-60}
kmsg_mark
tun_pair wgmesh wgmesh 4 both
PUB_A=$(pub_of a "$DEV_A")
PUB_B=$(pub_of b "$DEV_B")
check "tunnel up before the churn" pings a "$INNER4.2" 60

ip netns exec b iperf3 -s -1 -B "$INNER4.2" >/dev/null 2>&1 &
srv=$!
on_exit "kill $srv"
wait_until 20 bash -c "ip netns exec b ss -Hltn | grep -q ':5201 '"
ip netns exec a iperf3 -c "$INNER4.2" -t "$secs" --connect-timeout 20000 >"$WGM_TMP/iperf.out" 2>&1 &
cli=$!
# The flood: rounds of 2,000 initiations with a valid mac1, for as long as the churn.
(fend=$(($(date +%s) + secs)); while [ "$(date +%s)" -lt "$fend" ]; do
	ip netns exec b python3 "$JUNK" flood 192.0.2.1 "$PORT_A" "$PUB_A" 2000 2
	echo "rc $?"
done) >"$WGM_TMP/flood.out" 2>&1 &
flood=$!
on_exit "kill $flood"

bad=0 rounds=0 end=$(($(date +%s) + secs))
while [ "$(date +%s)" -lt "$end" ]; do
	rounds=$((rounds + 1))
	keys=()
	for j in 1 2 3 4 5; do
		keys+=("$(wg genkey | wg pubkey)")
	done
	args=()
	for j in 0 1 2 3 4; do
		args+=(peer "${keys[$j]}" allowed-ips "10.200.$rounds.$j/32" endpoint "192.0.2.$((10 + j)):5$j$j$j")
	done
	ip netns exec a "$MESHADM" set "$DEV_A" "${args[@]}" || bad=$((bad + 1))
	ip netns exec a "$MESHADM" show "$DEV_A" dump >/dev/null || bad=$((bad + 1))
	for j in 0 1 2 3 4; do
		ip netns exec a "$MESHADM" set "$DEV_A" peer "${keys[$j]}" remove || bad=$((bad + 1))
	done
	if [ $((rounds % 10)) -eq 0 ]; then
		ip netns exec a "$MESHADM" set "$DEV_A" peer "$PUB_B" remove || bad=$((bad + 1))
		tun_peer a "$DEV_A" b "$DEV_B" endpoint 4 || bad=$((bad + 1))
	fi
done
echo "# $rounds churn rounds"
check "every add, dump and remove succeeded ($bad failures in $rounds rounds)" test "$bad" = 0
if wait "$cli"; then
	ok "iperf3 through the tunnel finished ($(grep -E 'sender|receiver' "$WGM_TMP/iperf.out" | tail -n 1 | awk '{ print $7, $8 }'))"
else
	not_ok "iperf3 through the tunnel finished" "$(tail -n 3 "$WGM_TMP/iperf.out")"
fi
wait "$flood"
echo "# flood rounds: $(grep -c '^sent' "$WGM_TMP/flood.out"), answered with cookies: $(grep -c '^rc 0' "$WGM_TMP/flood.out")"
check "the handshake flood got cookie replies ($(grep '^sent' "$WGM_TMP/flood.out" | tail -n 1))" \
	grep -q '^rc 0' "$WGM_TMP/flood.out"
check "no cookie reply failed to verify, nothing else came back" \
	bash -c "! grep -E '^sent' '$WGM_TMP/flood.out' | grep -vq ' bad 0 other 0$'"
check "only b and no stranger is left as a peer" \
	test "$(devcmd a "$DEV_A" show peers)" = "$PUB_B"
check "the tunnel works after the churn" pings a "$INNER4.2" 60
check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

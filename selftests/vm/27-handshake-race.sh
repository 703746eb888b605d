#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Peer removal racing the handshake worker.  The device under test
# (WGM_DUT, default wgmesh) in namespace a has an in-tree WireGuard peer in
# b and six more peers whose private keys a flood tool in b holds: it sends
# them authentic handshake initiations, about 150 a second (below the
# load at which the DUT would ask for cookies first), so the
# DUT's handshake worker is always between finding one of these peers and
# answering it.  Meanwhile the six peers, and now and then the WireGuard
# peer, are removed and added again, in a bounded number of rounds.  Then:
# every peer is back, the tunnel to WireGuard works, the device can be
# deleted and the module unloaded, and the kernel logged nothing (a
# handshake entry left in the index table by a removed peer warns when the
# peer is freed or the table is; under KASAN any late lookup reports).
# timeout: 600
. "$(dirname "$0")/../lib.sh"

kmsg_mark
echo "# DUT: $WGM_DUT"
mod=$(kind_module dut)
FLOOD=$TOP/selftests/tools/wg-initflood.py
ROUNDS=16
NFLOOD=6

if ! python3 -c 'import cryptography' 2>/dev/null; then
	not_ok "python3-cryptography is installed (the flood needs it)"
	done_testing
fi

dut_load
if ! tun_pair dut wireguard 4 b || ! pings b "$INNER4.1"; then
	not_ok "tunnel to wireguard up before the churn"
	done_testing
fi
ok "tunnel to wireguard up before the churn"

wgm_tmp
keys=()
pubs=()
for i in $(seq 1 $NFLOOD); do
	keys+=("$(wg genkey)")
	pubs+=("$(printf '%s\n' "${keys[-1]}" | wg pubkey)")
done

# add_flood_peers / remove_flood_peers: all six in one command each.
add_flood_peers() {
	local i args=()
	for i in $(seq 0 $((NFLOOD - 1))); do
		args+=(peer "${pubs[$i]}" allowed-ips "10.77.$i.0/24")
	done
	devcmd a "$DEV_A" set "${args[@]}"
}

remove_flood_peers() {
	local p args=()
	for p in "${pubs[@]}"; do
		args+=(peer "$p" remove)
	done
	devcmd a "$DEV_A" set "${args[@]}"
}

check "flood peers added" add_flood_peers

ip netns exec b python3 "$FLOOD" 192.0.2.1 "$PORT_A" "$(pub_of a "$DEV_A")" \
	400 150 "${keys[@]}" >"$WGM_TMP/flood.out" 2>&1 &
flood=$!

# flood_rx: the DUT has authenticated initiations from the first flood key
# (rx bytes are counted only for an authenticated handshake message).
flood_rx() {
	devcmd a "$DEV_A" show dump |
		awk -v p="${pubs[0]}" '$1 == p && $6 > 0 { n++ } END { exit !n }'
}

# (python starts slowly under TCG)
if wait_until 90 flood_rx; then
	ok "the DUT authenticates the flood's initiations"
else
	not_ok "the DUT authenticates the flood's initiations"
	devcmd a "$DEV_A" show dump | sed 's/^/#   /'
fi

echo "# churn starts at $(date +%T)"
failed=0
for r in $(seq 1 $ROUNDS); do
	remove_flood_peers || failed=$((failed + 1))
	add_flood_peers || failed=$((failed + 1))
	if [ $((r % 8)) = 0 ]; then
		devcmd a "$DEV_A" set peer "$(pub_of b "$DEV_B")" remove || failed=$((failed + 1))
		tun_peer a "$DEV_A" b "$DEV_B" || failed=$((failed + 1))
	fi
	kill -0 "$flood" 2>/dev/null || break
done
echo "# churn ends at $(date +%T)"
check "$ROUNDS rounds of removing and adding peers under the flood ran" \
	test "$r" = "$ROUNDS" -a "$failed" = 0
check "the flood was still running when the churn ended" kill -0 "$flood"
kill -TERM "$flood" 2>/dev/null
wait "$flood" 2>/dev/null
echo "# flood: $(cat "$WGM_TMP/flood.out")"
check "the DUT answered the flood" \
	grep -Eq '^sent [1-9][0-9]* responses [1-9]' "$WGM_TMP/flood.out"

npeers=$(devcmd a "$DEV_A" show dump | awk 'NR > 1' | wc -l)
check "all $((NFLOOD + 1)) peers are there after the churn ($npeers)" \
	test "$npeers" = $((NFLOOD + 1))
check "tunnel to wireguard works after the churn (inner IPv4)" pings b "$INNER4.1" 30
check "tunnel to wireguard works after the churn (inner IPv6)" pings a "$INNER6:2" 30
check "device deleted" ip -n a link del "$DEV_A"
if wait_until 30 rmmod "$mod"; then
	ok "$mod unloads"
else
	not_ok "$mod unloads" "$(rmmod "$mod" 2>&1)"
fi
tun_unpair
check "kernel log clean" kmsg_clean
check "the module loads again afterwards" dut_load
done_testing

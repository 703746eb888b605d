#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Tear the device under test (WGM_DUT, default wgmesh) down while traffic
# runs through it (a ping flood both ways, a TCP stream) and a loop keeps
# adding, dumping and removing a peer; five times, in turn by deleting the
# device, by unloading the module with devices present and by deleting the
# namespace: the module must unload every time, leave no device behind in
# /proc/net/dev and the kernel must not complain.
# timeout: 900
. "$(dirname "$0")/../lib.sh"

kmsg_mark
echo "# DUT: $WGM_DUT"
mod=$(kind_module dut)

# tx_bytes NS DEV: bytes sent to the first peer.
tx_bytes() {
	peer_field "$1" "$2" 7
}

for i in 1 2 3 4 5; do
	case $((i % 3)) in
	1) how="delete the device, then rmmod" ;;
	2) how="rmmod with devices present" ;;
	0) how="delete a namespace, then rmmod" ;;
	esac
	d="round $i ($how)"
	dut_load
	if ! tun_pair dut dut 4 both || ! pings a "$INNER4.2"; then
		not_ok "$d: tunnel up"
		tun_unpair
		continue
	fi
	ip netns exec b iperf3 -s -1 >/dev/null 2>&1 &
	srv=$!
	wait_until 10 bash -c "ip netns exec b ss -Hltn | grep -q ':5201 '"
	ip netns exec a iperf3 -c "$INNER4.2" -t 120 >/dev/null 2>&1 &
	cli=$!
	ip netns exec a ping -f -w 120 "$INNER6:2" >/dev/null 2>&1 &
	fa=$!
	ip netns exec b ping -f -w 120 "$INNER4.1" >/dev/null 2>&1 &
	fb=$!
	# ... and the configuration path busy too: a peer added, dumped, removed.
	extra=$(wg genkey | wg pubkey)
	(
		while :; do
			devcmd a "$DEV_A" set peer "$extra" allowed-ips 10.88.0.0/16 || break
			devcmd a "$DEV_A" show dump || break
			devcmd a "$DEV_A" set peer "$extra" remove || break
		done
	) >/dev/null 2>&1 &
	cfg=$!
	t0=$(tx_bytes a "$DEV_A")
	if wait_until 20 bash -c "[ \$(ip netns exec a $(kind_tool dut) show $DEV_A dump | awk 'NR == 2 { print \$7 }') -gt $((t0 + 1000000)) ]"; then
		ok "$d: traffic is flowing"
	else
		not_ok "$d: traffic is flowing" "tx bytes $t0 -> $(tx_bytes a "$DEV_A")"
	fi
	case $((i % 3)) in
	1) check "$d: device deleted under traffic" ip -n a link del "$DEV_A" ;;
	0) check "$d: namespace deleted under traffic" ip netns del b ;;
	esac
	if wait_until 30 rmmod "$mod"; then
		ok "$d: $mod unloads"
	else
		not_ok "$d: $mod unloads" "$(rmmod "$mod" 2>&1)"
	fi
	check_fails "$d: no tunnel device left in namespace a" \
		ip netns exec a grep -qE "$DEV_A|$DEV_B" /proc/net/dev
	if ip netns exec b true 2>/dev/null; then
		check_fails "$d: no tunnel device left in namespace b" \
			ip netns exec b grep -qE "$DEV_A|$DEV_B" /proc/net/dev
	fi
	kill "$cli" "$fa" "$fb" "$srv" "$cfg" 2>/dev/null
	wait "$cli" "$fa" "$fb" "$srv" "$cfg" 2>/dev/null
	tun_unpair
	check "$d: kernel log clean" kmsg_clean
done
check "the module loads again afterwards" dut_load
done_testing

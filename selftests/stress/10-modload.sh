#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Module load/unload cycles (STRESS_CYCLES, default 200, at most STRESS_SECS
# x 10 seconds) with wgmesh devices in three namespaces while traffic flows:
# each cycle inserts the module, makes a device in a, b and c, peers a with
# b, starts pings through the tunnel and floods on the outer link, then
# unloads the module with everything still running.  Every cycle must load,
# create, unload and leave no device behind; the kernel must not complain.
# timeout: 300+12*STRESS_SECS
. "$(dirname "$0")/../lib.sh"

cycles=${STRESS_CYCLES:-200}
secs=$(( ${STRESS_SECS:-60} * 10 ))
kmsg_mark
wgm_tmp
net_pair a b
ns_new c
ip link add eth1 netns a type veth peer name eth0 netns c
ip -n a addr add 198.51.100.1/24 dev eth1
ip -n c addr add 198.51.100.3/24 dev eth0
ip -n a link set eth1 up
ip -n c link set eth0 up
for ns in a b c; do
	wg genkey >"$WGM_TMP/$ns.key"
	wg pubkey <"$WGM_TMP/$ns.key" >"$WGM_TMP/$ns.pub"
done

# Outer traffic for the whole run: it does not depend on the module.
ip netns exec a ping -f -q 192.0.2.2 >/dev/null 2>&1 &
on_exit "kill $!"
ip netns exec c ping -f -q 198.51.100.1 >/dev/null 2>&1 &
on_exit "kill $!"

# setup: devices in three namespaces, a and b peered (and a and c).
setup() {
	local ns n=0
	for ns in a b c; do
		n=$((n + 1))
		ip -n "$ns" link add wgs0 type wgmesh || return 1
		ip netns exec "$ns" "$MESHADM" set wgs0 private-key "$WGM_TMP/$ns.key" \
			listen-port 5182$n || return 1
		ip -n "$ns" addr add "10.77.0.$n/24" dev wgs0
		ip -n "$ns" link set wgs0 up || return 1
	done
	ip netns exec a "$MESHADM" set wgs0 \
		peer "$(cat "$WGM_TMP/b.pub")" endpoint 192.0.2.2:51822 allowed-ips 10.77.0.2/32 \
		peer "$(cat "$WGM_TMP/c.pub")" endpoint 198.51.100.3:51823 allowed-ips 10.77.0.3/32 &&
	ip netns exec b "$MESHADM" set wgs0 \
		peer "$(cat "$WGM_TMP/a.pub")" endpoint 192.0.2.1:51821 allowed-ips 10.77.0.1/32 &&
	ip netns exec c "$MESHADM" set wgs0 \
		peer "$(cat "$WGM_TMP/a.pub")" endpoint 198.51.100.1:51821 allowed-ips 10.77.0.1/32
}

devices_left() {
	local ns
	for ns in a b c; do
		ip netns exec "$ns" grep -q wgs0 /proc/net/dev && return 0
	done
	return 1
}

rmmod wgmesh 2>/dev/null
bad_load=0 bad_setup=0 bad_unload=0 bad_left=0 tunnel_ok=0 tunnel_tries=0 i=0
end=$(($(date +%s) + secs))
while [ "$i" -lt "$cycles" ] && [ "$(date +%s)" -lt "$end" ]; do
	i=$((i + 1))
	wgm_load || { bad_load=$((bad_load + 1)); continue; }
	setup || bad_setup=$((bad_setup + 1))
	ip netns exec a ping -i 0.01 -q 10.77.0.2 >/dev/null 2>&1 &
	p1=$!
	ip netns exec c ping -i 0.01 -q 10.77.0.1 >/dev/null 2>&1 &
	p2=$!
	# Every 25th cycle, wait for the tunnel to carry a packet first.
	if [ $((i % 25)) -eq 1 ]; then
		tunnel_tries=$((tunnel_tries + 1))
		pings a 10.77.0.2 30 && tunnel_ok=$((tunnel_ok + 1))
	fi
	rmmod wgmesh || { bad_unload=$((bad_unload + 1)); wait_until 20 rmmod wgmesh; }
	kill "$p1" "$p2" 2>/dev/null
	wait "$p1" "$p2" 2>/dev/null
	devices_left && bad_left=$((bad_left + 1))
	[ $((i % 20)) -eq 0 ] && echo "# $i cycles"
done
echo "# $i cycles in $((secs - (end - $(date +%s))))s"
check "at least one cycle ran" test "$i" -gt 0
check "the module inserted in every cycle ($bad_load failures)" test "$bad_load" = 0
check "three devices set up in every cycle ($bad_setup failures)" test "$bad_setup" = 0
check "the tunnel carried traffic when waited for ($tunnel_ok of $tunnel_tries)" \
	test "$tunnel_ok" = "$tunnel_tries"
check "rmmod with devices and traffic succeeded every time ($bad_unload failures)" \
	test "$bad_unload" = 0
check "no device survived an unload ($bad_left times)" test "$bad_left" = 0
check "the module loads again at the end" wgm_load
check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

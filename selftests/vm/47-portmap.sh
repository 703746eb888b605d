#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Port mapping (issue 15): both sites behind endpoint-dependent NAT
# (`masquerade random,fully-random`), so no punch can work and meshcoord
# does not even try (hard <-> hard).  miniupnpd (Debian's
# miniupnpd-nftables) runs on site 1's router with, in turn, PCP, NAT-PMP
# (PCP dropped on the router, so meshd falls back) and UPnP IGD enabled.
# For each, meshd on h1 obtains a mapping of the tunnel's port, reports it
# to meshcoord as a candidate, h2 reaches h1 directly through it (the
# overlay pings), and a clean exit of meshd deletes the mapping.  With PCP
# the gateway also restarts: meshd sees its new epoch and maps again.
#
# miniupnpd refuses to map on a reserved external address, the RFC 5737
# TEST-NETs included, so r1's first WAN address (what miniupnpd takes as
# its external address) is 198.20.0.1, an address used only between the
# namespaces this test makes; its masquerade keeps using 203.0.113.1.
# timeout: 900
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../portmap-lib.sh"

if [ ! -x "$MINIUPNPD" ]; then
	skip "port mapping" "miniupnpd not installed (scripts/deps installs miniupnpd-nftables)"
	done_testing
fi

kmsg_mark
wgm_tmp
pm_topology

coord_start
on_exit 'kill $COORD_PID'
check "meshcoord starts" wait_until 10 coord_listening

# round NAME MODE LOGNAME: one protocol, end to end
round() {
	local name=$1 mode=$2 proto=$3 port a1 held
	: >"$WGM_TMP/h1.log"
	: >"$WGM_TMP/h2.log"
	mu_start "$mode"
	check "$name: miniupnpd listens" wait_until 20 mu_listening "$mode"
	meshd_start 1
	meshd_start 2
	check "$name: meshd maps the tunnel's port by $proto" \
		wait_until 60 grep -q "^portmap: $proto on 10.1.0.1: $PUB1:[0-9]* maps to the tunnel's port" "$WGM_TMP/h1.log"
	port=$(mapped_port)
	check "$name: the router forwards the port (miniupnpd's DNAT rule)" \
		test "$(dnat_rules)" -ge 1
	check "$name: meshd reports $PUB1:$port to meshcoord" \
		wait_until 30 grep -Eq "^coord: reported .* $PUB1:$port( |\$)" "$WGM_TMP/h1.log"
	check "$name: h2 gets a direct path through the mapping" \
		wait_until 120 h2_path_via_mapping "$port"
	check "$name: h2 knows that candidate as kind portmap (show --json)" \
		wait_until 30 h2_cand_kind "$PUB1:$port" portmap
	a1=$(overlay4 1)
	check "$name: h2 pings h1 over the mesh" \
		wait_until 30 ip netns exec h2 ping -c 1 -W 1 "$a1"
	if [ "$name" = pcp ]; then
		# The gateway restarts and forgets its mappings: its epoch starts
		# again, and meshd's next renewal (PCP lifetimes are capped at
		# 24 s above, so one comes within 12 s) sees it and maps anew.
		mu_stop
		check "$name: the gateway lost the mapping" test "$(dnat_rules)" = 0
		mu_start "$mode"
		check "$name: after the gateway restarts, meshd sees the new epoch" \
			wait_until 60 grep -q "^portmap: gateway .* restarted (epoch " "$WGM_TMP/h1.log"
		check "$name: and the port is mapped again" wait_until 30 dnat_present
		check "$name: h2 pings h1 over the mesh again" \
			wait_until 60 ip netns exec h2 ping -c 1 -W 1 "$a1"
	fi
	# the protocol that holds the mapping now: after the restart above,
	# a PCP renewal that met the gateway still down falls back to
	# NAT-PMP, which may answer first on a slow machine
	held=$(sed -n "s/^portmap: \([A-Za-z -]*\) on 10.1.0.1: .* maps to the tunnel's port.*/\1/p" \
		"$WGM_TMP/h1.log" | tail -n 1)
	stop_meshd 1
	stop_meshd 2
	check "$name: a clean exit deletes the mapping (${held:-none})" \
		grep -q "^portmap: deleted the ${held:-$proto} mapping" "$WGM_TMP/h1.log"
	check "$name: no DNAT rule is left on the router" \
		wait_until 10 test "$(dnat_rules)" = 0
	mu_stop
	[ "$_tap_fail" -ne 0 ] && dump_logs
	cat "$WGM_TMP/h1.log" >>"$WGM_TMP/h1.all"
}

round pcp natpmp PCP

# NAT-PMP: the router drops PCP (version 2) requests, as a gateway that
# knows only NAT-PMP would answer them with nothing useful; meshd gives up
# on PCP after its retries and asks by NAT-PMP.
ip netns exec r1 nft -f - <<'NFT'
table inet nopcp {
	chain input {
		type filter hook input priority filter - 10; policy accept;
		udp dport 5351 @th,64,8 2 drop
	}
}
NFT
round natpmp natpmp NAT-PMP
ip netns exec r1 nft delete table inet nopcp

round upnp upnp "UPnP IGD"

# --no-portmap: nothing is asked
mu_start natpmp
check "no-portmap: miniupnpd listens" wait_until 20 mu_listening natpmp
: >"$WGM_TMP/h1.log"
meshd_start 1 --no-portmap
check "no-portmap: meshd reports its candidates" \
	wait_until 60 grep -q "^coord: reported" "$WGM_TMP/h1.log"
check_fails "no-portmap: no mapping is asked for" grep -q "^portmap:" "$WGM_TMP/h1.log"
check "no-portmap: the router has no DNAT rule" test "$(dnat_rules)" = 0
stop_meshd 1
mu_stop

check "no kernel warnings" kmsg_clean
done_testing

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

PUB1=198.20.0.1
MINIUPNPD=$(command -v miniupnpd || echo /usr/sbin/miniupnpd)
if [ ! -x "$MINIUPNPD" ]; then
	skip "port mapping" "miniupnpd not installed (scripts/deps installs miniupnpd-nftables)"
	done_testing
fi

kmsg_mark
wgm_tmp
topo_internet
topo_site 1 symmetric
topo_site 2 symmetric
ip -n r1 addr flush dev wan
ip -n r1 addr add "$PUB1/24" dev wan
ip -n r1 addr add 203.0.113.1/24 dev wan
ip -n r2 route add 198.20.0.0/24 dev wan
# what a mapping forwards passes r1's firewall
ip netns exec r1 nft add rule inet filter forward ct status dnat accept
# the chains miniupnpd fills (its nftables back end creates none)
ip netns exec r1 nft -f - <<'NFT'
table inet miniupnpd {
	chain forward_mu {
	}
	chain prerouting_mu {
	}
	chain postrouting_mu {
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump prerouting_mu
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		jump postrouting_mu
	}
}
NFT
mkdir -p "$WGM_TMP/coord"
CKEY=$(coord pubkey)
AKEY=$(coord authkey create --reusable | tail -n 1)

MU_PID=
# mu_start natpmp|upnp: miniupnpd on r1 with NAT-PMP and PCP, or UPnP IGD
mu_start() {
	local pmp=no upnp=no
	case $1 in
	natpmp) pmp=yes ;;
	upnp) upnp=yes ;;
	esac
	cat >"$WGM_TMP/mu.conf" <<CONF
ext_ifname=wan
listening_ip=lan
enable_natpmp=$pmp
enable_upnp=$upnp
secure_mode=yes
system_uptime=no
min_lifetime=20
max_lifetime=24
uuid=6a1f3c1e-6f00-4c6e-9d7e-47a0b1c2d3e4
upnp_table_name=miniupnpd
upnp_nat_table_name=miniupnpd
upnp_forward_chain=forward_mu
upnp_nat_chain=prerouting_mu
upnp_nat_postrouting_chain=postrouting_mu
allow 1024-65535 10.1.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
	echo "# ---- miniupnpd $1" >>"$WGM_TMP/mu.log"
	ip netns exec r1 "$MINIUPNPD" -f "$WGM_TMP/mu.conf" -d -P "$WGM_TMP/mu.pid" \
		>>"$WGM_TMP/mu.log" 2>&1 &
	MU_PID=$!
	on_exit "kill $MU_PID"
}

mu_stop() {
	kill "$MU_PID" 2>/dev/null
	wait "$MU_PID" 2>/dev/null
	ip netns exec r1 nft flush chain inet miniupnpd prerouting_mu
	ip netns exec r1 nft flush chain inet miniupnpd forward_mu
}

mu_listening() {
	if [ "$1" = upnp ]; then
		ip netns exec r1 ss -Hltnp | grep -q miniupnpd
	else
		ip netns exec r1 ss -Hlun "sport = :5351" | grep -q .
	fi
}

declare -A MESHD_PID=()
start_meshd() {
	ip netns exec "h$1" "$MESHD" --coord "$COORD" --coord-key "$CKEY" \
		--authkey "$AKEY" --interface mesh0 --state "$WGM_TMP/h$1" \
		--name "h$1" >>"$WGM_TMP/h$1.log" 2>&1 &
	MESHD_PID[$1]=$!
	on_exit "kill ${MESHD_PID[$1]}"
}

stop_meshd() {
	kill "${MESHD_PID[$1]}" 2>/dev/null
	wait "${MESHD_PID[$1]}" 2>/dev/null
}

# mapped_port: the external port of h1's mapping as meshd logged it
mapped_port() {
	sed -n "s/^portmap: .* $PUB1:\([0-9]*\) maps to the tunnel's port.*/\1/p" \
		"$WGM_TMP/h1.log" | tail -n 1
}

overlay4() {
	ip -n "h$1" -4 -o addr show dev mesh0 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }'
}

h2_path_via_mapping() {
	ip netns exec h2 "$MESHADM" show mesh0 | grep -Eq "path: direct $PUB1:$1\$"
}

dnat_rules() {
	ip netns exec r1 nft list chain inet miniupnpd prerouting_mu | grep -c dnat
}

dnat_present() {
	[ "$(dnat_rules)" -ge 1 ]
}

dump_logs() {
	local f
	for f in coord h1 h2 mu; do
		echo "# ---- $f.log"
		tail -n 25 "$WGM_TMP/$f.log" 2>/dev/null | sed 's/^/#   /'
	done
	for f in 1 2; do
		echo "# ---- h$f: meshadm show"
		ip netns exec "h$f" "$MESHADM" show mesh0 2>&1 | head -n 16 | sed 's/^/#   /'
	done
	ip netns exec r1 nft list table inet miniupnpd 2>&1 | sed 's/^/#   r1: /'
}

coord_start
on_exit 'kill $COORD_PID'
check "meshcoord starts" wait_until 10 coord_listening

# round NAME MODE LOGNAME: one protocol, end to end
round() {
	local name=$1 mode=$2 proto=$3 port a1
	: >"$WGM_TMP/h1.log"
	: >"$WGM_TMP/h2.log"
	mu_start "$mode"
	check "$name: miniupnpd listens" wait_until 20 mu_listening "$mode"
	start_meshd 1
	start_meshd 2
	check "$name: meshd maps the tunnel's port by $proto" \
		wait_until 60 grep -q "^portmap: $proto on 10.1.0.1: $PUB1:[0-9]* maps to the tunnel's port" "$WGM_TMP/h1.log"
	port=$(mapped_port)
	check "$name: the router forwards the port (miniupnpd's DNAT rule)" \
		test "$(dnat_rules)" -ge 1
	check "$name: meshd reports $PUB1:$port to meshcoord" \
		wait_until 30 grep -Eq "^coord: reported .* $PUB1:$port( |\$)" "$WGM_TMP/h1.log"
	check "$name: h2 gets a direct path through the mapping" \
		wait_until 120 h2_path_via_mapping "$port"
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
	stop_meshd 1
	stop_meshd 2
	check "$name: a clean exit deletes the mapping" \
		grep -q "^portmap: deleted the $proto mapping" "$WGM_TMP/h1.log"
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
ip netns exec h1 "$MESHD" --coord "$COORD" --coord-key "$CKEY" --authkey "$AKEY" \
	--interface mesh0 --state "$WGM_TMP/h1" --name h1 --no-portmap >>"$WGM_TMP/h1.log" 2>&1 &
MESHD_PID[1]=$!
on_exit "kill ${MESHD_PID[1]}"
check "no-portmap: meshd reports its candidates" \
	wait_until 60 grep -q "^coord: reported" "$WGM_TMP/h1.log"
check_fails "no-portmap: no mapping is asked for" grep -q "^portmap:" "$WGM_TMP/h1.log"
check "no-portmap: the router has no DNAT rule" test "$(dnat_rules)" = 0
stop_meshd 1
mu_stop

check "no kernel warnings" kmsg_clean
done_testing

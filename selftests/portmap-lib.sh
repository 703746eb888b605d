# SPDX-License-Identifier: GPL-2.0-only
#
# The port-mapping topology (issue 15), shared by vm/47-portmap.sh and
# scripts/bench-portmap; source it after lib.sh.  Both sites sit behind
# endpoint-dependent NAT (`masquerade random,fully-random`), and
# miniupnpd (Debian's miniupnpd-nftables) runs on site 1's router when
# mu_start asks for it.
#
# miniupnpd refuses to map on a reserved external address, the RFC 5737
# TEST-NETs included, so r1's first WAN address (what miniupnpd takes as
# its external address) is 198.20.0.1, an address used only between the
# namespaces this makes; its masquerade keeps using 203.0.113.1.

PUB1=198.20.0.1
MINIUPNPD=$(command -v miniupnpd || echo /usr/sbin/miniupnpd)

# pm_topology: the internet, two symmetric-NAT sites, meshcoord's keys
pm_topology() {
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
	ip netns exec r1 nft -f - <<-'NFT'
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
}

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

# h2_cand_kind ENDPOINT KIND: h2's candidate ENDPOINT of h1 has kind KIND
h2_cand_kind() {
	ip netns exec h2 "$MESHADM" show mesh0 --json | python3 -c '
import json, sys
ep, kind = sys.argv[1], sys.argv[2]
c = [x for p in json.load(sys.stdin)["peers"] for x in p["candidates"] if x["endpoint"] == ep]
sys.exit(not (c and all(x["kind"] == kind for x in c)))' "$1" "$2"
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


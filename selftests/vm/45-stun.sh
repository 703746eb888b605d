#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# STUN in the kernel (kernel/stunclient.c): a wgmesh device behind a NAT
# learns the NAT-mapped address of its own tunnel socket from coturn and
# from meshcoord's responder, reports it in GET_DEVICE (meshadm show) and
# as an event (meshadm monitor), follows a changed mapping, and drops
# answers it did not ask for (wrong transaction id, wrong source, errors).
# timeout: 300
. "$(dirname "$0")/../lib.sh"

FAKE=$TOP/selftests/tools/stun-fake.py
MESHCOORD=$TOP/userland/coord/meshcoord
MESHD=$TOP/userland/meshd/meshd
PORT=51820

wgm_load || { not_ok "module loads"; done_testing; }
wgm_tmp
kmsg_mark
topo_internet
topo_site 1

adm() {
	ip netns exec h1 "$MESHADM" "$@"
}

# mapped_v4 / mapped_v6: the device's mapped address of that family
mapped_v4() {
	adm show wgm0 mapped | awk '$1 !~ /^\[/ { print $1 }'
}
mapped_v6() {
	adm show wgm0 mapped | awk '$1 ~ /^\[/ { print $1 }'
}
mapped_is() {
	[ "$(mapped_v4)" = "$1" ]
}
mapped_from() {
	adm show wgm0 mapped | awk '$1 !~ /^\[/ { print $3 }'
}
dropped() {
	adm show wgm0 stun-dropped
}
# requests_of SERVER / responses_of SERVER
requests_of() {
	adm show wgm0 stun-servers | awk -v s="$1" '$1 == s { print $3 }'
}
responses_of() {
	adm show wgm0 stun-servers | awk -v s="$1" '$1 == s { print $4 }'
}
count_ge() {
	[ -s "$1" ] && [ "$(cat "$1")" -ge "$2" ]
}

ip -n h1 link add wgm0 type wgmesh
adm set wgm0 listen-port $PORT
ip -n h1 link set wgm0 up

adm monitor wgm0 >"$WGM_TMP/monitor" 2>&1 &
MON=$!
on_exit "kill $MON"

# --- configuration ----------------------------------------------------------
check "no STUN server, no mapped address" test -z "$(adm show wgm0 mapped)"
check_fails "more than 4 STUN servers are refused" \
	adm set wgm0 stun-server 192.0.2.1:1,192.0.2.2:1,192.0.2.3:1,192.0.2.4:1,192.0.2.5:1
check_fails "a STUN server without a port is refused by the kernel" \
	adm set wgm0 stun-server 192.0.2.1:0
check "four STUN servers are accepted" \
	adm set wgm0 stun-server 192.0.2.1:1,192.0.2.2:1,192.0.2.3:1,[2001:db8::1]:3478
check "show lists them" \
	test "$(adm show wgm0 stun-servers | wc -l)" = 4
check "stun-server off clears the list" adm set wgm0 stun-server off
check "nothing listed after clearing" test -z "$(adm show wgm0 stun-servers)"

# --- coturn on the internet ---------------------------------------------------
ip netns exec inet turnserver -n --no-auth --stun-only --listening-ip "$INET_V4" \
	--listening-port 3478 --no-tcp --no-tls --no-dtls --no-cli \
	--no-stdout-log --log-file "$WGM_TMP/turn.log" >/dev/null 2>&1 &
TURN=$!
on_exit "kill $TURN"
check "coturn listens" \
	wait_until 20 bash -c "ip netns exec inet ss -Hlun 'sport = :3478' | grep -q ."

adm set wgm0 stun-server "$INET_V4:3478"
check "the kernel learns the NAT's public address and its tunnel port from coturn" \
	wait_until 20 mapped_is "203.0.113.1:$PORT"
check "GET_DEVICE says which server told it" \
	test "$(mapped_from)" = "$INET_V4:3478"
check "coturn answered requests the tunnel socket sent" \
	test "$(responses_of "$INET_V4:3478")" -ge 1
# the router's conntrack entry for the tunnel port: reply side = public port
nat_port=$(ip netns exec r1 conntrack -L -p udp --orig-port-src $PORT \
		--orig-port-dst 3478 2>/dev/null | grep -o 'dport=[0-9]*' | sed -n 2p)
mapped_port=$(mapped_v4 | sed 's/.*://')
check "the mapped port is the router's NAT mapping of the tunnel's listen port" \
	test -n "$nat_port" -a "dport=$mapped_port" = "$nat_port"
check "the new mapping appeared in meshadm monitor" \
	wait_until 5 grep -q "device mapped 203.0.113.1:$PORT;" "$WGM_TMP/monitor"
check "meshadm show prints the mapped address" \
	bash -c "ip netns exec h1 '$MESHADM' show wgm0 | grep -q 'mapped address: 203.0.113.1:$PORT'"
json=$(adm show wgm0 --json)
check "the JSON view carries mapped and stun_servers" \
	python3 -c 'import json,sys; d=json.loads(sys.argv[1])
assert d["mapped"][0]["endpoint"]=="203.0.113.1:'$PORT'", d
assert d["stun_servers"][0]["endpoint"]=="'$INET_V4':3478", d' "$json"

# --- the NAT mapping changes ----------------------------------------------------
ip netns exec r1 nft -f - <<NFT
flush chain inet nat postrouting
table inet nat {
	chain postrouting {
		oifname "wan" udp sport $PORT snat ip to 203.0.113.1:40000
		oifname "wan" masquerade
	}
}
NFT
ip netns exec r1 conntrack -F >/dev/null 2>&1
check "after the router's mapping changed the periodic re-query reports it" \
	wait_until 45 mapped_is 203.0.113.1:40000
check "and the event says what it was before" \
	wait_until 5 grep -q "device mapped 203.0.113.1:40000 (was 203.0.113.1:$PORT);" \
		"$WGM_TMP/monitor"

# --- meshcoord's own responder ------------------------------------------------
mkdir -p "$WGM_TMP/coord"
CKEY=$(ip netns exec inet "$MESHCOORD" --state "$WGM_TMP/coord" pubkey)
AKEY=$(ip netns exec inet "$MESHCOORD" --state "$WGM_TMP/coord" authkey create --reusable | tail -n 1)
ip netns exec inet "$MESHCOORD" --listen "$INET_V4:7443" --stun "$INET_V4:3479" \
	--state "$WGM_TMP/coord" >"$WGM_TMP/coord.log" 2>&1 &
COORD=$!
on_exit "kill $COORD"
check "meshcoord's STUN responder listens" \
	wait_until 20 bash -c "ip netns exec inet ss -Hlun 'sport = :3479' | grep -q ."
adm set wgm0 stun-server "$INET_V4:3479"
check "meshcoord's responder confirms the mapping" \
	wait_until 20 bash -c "[ \"\$(ip netns exec h1 '$MESHADM' show wgm0 mapped | awk '{print \$3}')\" = '$INET_V4:3479' ]"
check "the mapping it reports is the NAT's" mapped_is 203.0.113.1:40000

# --- forged answers (a server on the LAN, no NAT in between) ------------------
ip -n r1 addr add 10.1.0.3/24 dev lan
ip netns exec r1 python3 "$FAKE" 10.1.0.1 3478 forge "$WGM_TMP/forge.count" 10.1.0.3 &
FORGE=$!
on_exit "kill $FORGE"
wait_until 5 bash -c "ip netns exec r1 ss -Hlun 'sport = :3478' | grep -q ."
before=$(dropped)
adm set wgm0 stun-server 10.1.0.1:3478
check "the forging server got the tunnel's requests" \
	wait_until 20 count_ge "$WGM_TMP/forge.count" 2
n=$(cat "$WGM_TMP/forge.count")
check "every forged answer was dropped and counted (4 per request)" \
	wait_until 5 bash -c "[ \$(ip netns exec h1 '$MESHADM' show wgm0 stun-dropped) -ge $((before + 4 * n)) ]"
check "no forged answer was accepted" \
	test "$(responses_of 10.1.0.1:3478)" = 0
check "the mapped address did not change" mapped_is 203.0.113.1:40000
check "nothing claimed the forged address" \
	bash -c "! grep -q 198.51.100.77 '$WGM_TMP/monitor' && ! ip netns exec h1 '$MESHADM' show wgm0 | grep -q 198.51.100.77"
check "the unanswered request was retried with backoff" \
	test "$(requests_of 10.1.0.1:3478)" -ge 2
kill $FORGE
wait $FORGE 2>/dev/null

# the same server answering properly is accepted: the drops above were the
# forgeries', not the path's
ip netns exec r1 python3 "$FAKE" 10.1.0.1 3478 good "$WGM_TMP/good.count" &
GOOD=$!
on_exit "kill $GOOD"
wait_until 5 bash -c "ip netns exec r1 ss -Hlun 'sport = :3478' | grep -q ."
adm set wgm0 stun-server 10.1.0.1:3478
check "an honest answer from the same server is accepted" \
	wait_until 20 mapped_is "10.1.0.2:$PORT"

# --- IPv6, one mapped address per family --------------------------------------
ip -n r1 addr add fd01::1/64 dev lan nodad
ip -n h1 addr add fd01::2/64 dev eth0 nodad
ip netns exec r1 python3 "$FAKE" fd01::1 3478 good "$WGM_TMP/good6.count" &
GOOD6=$!
on_exit "kill $GOOD6"
wait_until 5 bash -c "ip netns exec r1 ss -Hlun 'sport = :3478' | grep -q 'fd01::1'"
adm set wgm0 stun-server "10.1.0.1:3478,[fd01::1]:3478"
check "the IPv6 mapped address is reported besides the IPv4 one" \
	wait_until 20 bash -c "[ \"\$(ip netns exec h1 '$MESHADM' show wgm0 mapped | awk '\$1 ~ /^\\[/ {print \$1}')\" = '[fd01::2]:$PORT' ]"
check "the IPv4 one is still there" mapped_is "10.1.0.2:$PORT"

# --- the listen port changes: a new mapping at once -----------------------------
adm set wgm0 listen-port 51821
check "a new listen port is learned at once" wait_until 20 mapped_is 10.1.0.2:51821

# --- meshd: the kernel's mapping is its public candidate ----------------------
# meshd gives the kernel meshcoord's STUN address and reports what the kernel
# learns (port included) to meshcoord; a changed mapping is re-reported.
coord_cands() {
	ip netns exec inet "$MESHCOORD" --state "$WGM_TMP/coord" nodes | awk '$1 == "h1"'
}
cands_have() {
	coord_cands | grep -q " $1"
}
ip netns exec h1 "$MESHD" --coord "$INET_V4:7443" --coord-key "$CKEY" \
	--authkey "$AKEY" --interface mesh0 --state "$WGM_TMP/h1" --name h1 \
	--listen-port 51830 --stun "$INET_V4:3479" >>"$WGM_TMP/meshd.log" 2>&1 &
MESHD_PID=$!
on_exit "kill $MESHD_PID"
check "meshd configures the kernel's STUN server" \
	wait_until 30 bash -c "ip netns exec h1 '$MESHADM' show mesh0 stun-servers | grep -q '^$INET_V4:3479'"
check "the kernel learns mesh0's mapping" \
	wait_until 20 bash -c "ip netns exec h1 '$MESHADM' show mesh0 mapped | grep -q '^203.0.113.1:51830'"
check "meshd reports it to meshcoord as a candidate" \
	wait_until 30 cands_have 203.0.113.1:51830
# its one UDP socket is the port-mapping client's, connected to the
# gateway's NAT-PMP/PCP port 5351; anything else would be a STUN client
check "meshd has no STUN socket of its own" \
	bash -c "! ip netns exec h1 ss -Hunp | grep meshd | grep -v ':5351 '"
ip netns exec r1 nft insert rule inet nat postrouting \
	oifname wan udp sport 51830 snat ip to 203.0.113.1:40001
ip netns exec r1 conntrack -D -p udp --orig-port-src 51830 >/dev/null 2>&1
check "a changed NAT mapping reaches meshcoord as a new candidate" \
	wait_until 45 cands_have 203.0.113.1:40001
check "the old one is gone from meshcoord" \
	bash -c "! ip netns exec inet '$MESHCOORD' --state '$WGM_TMP/coord' nodes | grep -q ' 203.0.113.1:51830'"
check "meshd logged the new public address" \
	grep -q "stun: public address 203.0.113.1:40001 " "$WGM_TMP/meshd.log"
kill $MESHD_PID
wait $MESHD_PID 2>/dev/null
[ "$_tap_fail" -eq 0 ] || sed 's/^/#   meshd: /' "$WGM_TMP/meshd.log" | tail -n 30

# --- down, up, delete -----------------------------------------------------------
ip -n h1 link set wgm0 down
check "a device that is down reports no mapping" test -z "$(adm show wgm0 mapped)"
ip -n h1 link set wgm0 up
check "up again, it asks at once" wait_until 20 mapped_is 10.1.0.2:51821
# requests outstanding (nobody answers 192.0.2.9) while the device goes away
adm set wgm0 stun-server 192.0.2.9:3478,10.1.0.1:3478
check "the device is deleted with STUN requests outstanding" ip -n h1 link del wgm0
check "no kernel warnings" kmsg_clean
done_testing

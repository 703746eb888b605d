#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# NAT type, observed (issue 15): meshcoord answers STUN on two ports, meshd
# gives both to the kernel, and the two mapped addresses tell the NAT's
# mapping.  Site 1 masquerades endpoint-independently (Linux keeps the
# source port): "easy".  Sites 2 and 3 use `masquerade random,fully-random`
# (a new port per destination): "hard".  meshadm show, its --json and
# `meshcoord nodes` say so, and the hard<->hard pair (2, 3) is never told
# to punch: meshcoord and meshd log why.
# timeout: 600
. "$(dirname "$0")/../lib.sh"

kmsg_mark
wgm_tmp
topo_internet
topo_site 1
topo_site 2 symmetric
topo_site 3 symmetric
mkdir -p "$WGM_TMP/coord"
CKEY=$(coord pubkey)
AKEY=$(coord authkey create --reusable | tail -n 1)
WHY="both NATs endpoint-dependent: not punching"

start_meshd() {
	ip netns exec "h$1" "$MESHD" --coord "$COORD" --coord-key "$CKEY" \
		--authkey "$AKEY" --interface mesh0 --state "$WGM_TMP/h$1" \
		--name "h$1" >>"$WGM_TMP/h$1.log" 2>&1 &
	on_exit "kill $!"
}

# nat_json N: the "nat" field of hN's device in meshadm show --json.
nat_json() {
	ip netns exec "h$1" "$MESHADM" show mesh0 --json 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin).get("nat"))' 2>/dev/null
}

nat_is() {
	[ "$(nat_json "$1")" = "$2" ]
}

# coord_nat NAME: the NAT column of meshcoord nodes for NAME.
coord_nat() {
	coord nodes | awk -v n="$1" '$1 == n { print $6 }'
}

coord_nat_is() {
	[ "$(coord_nat "$1")" = "$2" ]
}

dump_logs() {
	local f
	for f in coord h1 h2 h3; do
		echo "# ---- $f.log"
		tail -n 30 "$WGM_TMP/$f.log" 2>/dev/null | sed 's/^/#   /'
	done
	for f in 1 2 3; do
		echo "# ---- h$f: meshadm show"
		ip netns exec "h$f" "$MESHADM" show mesh0 2>&1 | head -n 12 | sed 's/^/#   /'
	done
}

coord_start
on_exit 'kill $COORD_PID'
check "meshcoord starts" wait_until 10 coord_listening
check "meshcoord answers STUN on 3478 and 3479" \
	bash -c "ip netns exec inet ss -Hlun | grep -q ':3478 ' &&
		 ip netns exec inet ss -Hlun | grep -q ':3479 '"
check "meshcoord.addr names both STUN ports" \
	bash -c "grep -qx 'stun $INET_V4:3478' '$WGM_TMP/coord/meshcoord.addr' &&
		 grep -qx 'stun2 $INET_V4:3479' '$WGM_TMP/coord/meshcoord.addr'"

for n in 1 2 3; do
	start_meshd $n
done

check "meshd gives the kernel both STUN ports" \
	wait_until 60 bash -c "[ \"\$(ip netns exec h1 '$MESHADM' show mesh0 stun-servers | awk '{ print \$1 }' | sort | tr '\n' ' ')\" = '$INET_V4:3478 $INET_V4:3479 ' ]"

# --- the classification ------------------------------------------------------
check "endpoint-independent NAT: nat is easy (--json)" wait_until 90 nat_is 1 easy
check "endpoint-independent NAT: both servers saw one mapping" \
	bash -c "[ \$(ip netns exec h1 '$MESHADM' show mesh0 stun-servers | awk '{ print \$2 }' | sort -u | wc -l) = 1 ]"
check "symmetric NAT (random,fully-random): nat is hard (--json)" wait_until 90 nat_is 2 hard
check "the other symmetric site is hard too" wait_until 90 nat_is 3 hard
check "symmetric NAT: the two servers saw different ports" \
	bash -c "[ \$(ip netns exec h2 '$MESHADM' show mesh0 stun-servers | awk '{ print \$2 }' | sort -u | wc -l) = 2 ]"
check "meshadm show prints the nat line" \
	bash -c "ip netns exec h2 '$MESHADM' show mesh0 | grep -qx '  nat: hard (endpoint-dependent mapping)' &&
		 ip netns exec h1 '$MESHADM' show mesh0 | grep -qx '  nat: easy (endpoint-independent mapping)'"
check "meshadm show DEV nat" \
	bash -c "[ \"\$(ip netns exec h2 '$MESHADM' show mesh0 nat)\" = hard ]"
check "meshd logs its NAT type" grep -q "stun: NAT hard (endpoint-dependent mapping): " "$WGM_TMP/h2.log"

# --- reported to meshcoord ------------------------------------------------------
check "meshcoord nodes: h1 easy" wait_until 30 coord_nat_is h1 easy
check "meshcoord nodes: h2 hard" wait_until 30 coord_nat_is h2 hard
check "meshcoord nodes: h3 hard" wait_until 30 coord_nat_is h3 hard

# --- the strategy ------------------------------------------------------------
# h2 and h3 find no live path (their mappings towards each other are
# unknown) and ask for a punch; meshcoord answers NO_PUNCH.
check "meshcoord logs why the hard<->hard pair is not punched" \
	wait_until 180 grep -Eq "punch h[23] <-> h[23]: $WHY" "$WGM_TMP/coord.log"
check "meshd on h2 logs why" wait_until 30 grep -Eq "coord: h3 \(.{8}\): $WHY" "$WGM_TMP/h2.log"
check "meshd on h3 logs why" wait_until 30 grep -Eq "coord: h2 \(.{8}\): $WHY" "$WGM_TMP/h3.log"
check "meshcoord logged the pair once" \
	test "$(grep -Ec "punch h[23] <-> h[23]: $WHY" "$WGM_TMP/coord.log")" = 1
# punch_lines_after N PEER: "punch PEER (...)" lines in hN's log after its
# first "not punching" line (a PUNCH from meshcoord makes meshd log them).
punch_lines_after() {
	awk -v p="^punch $2 \\\\(" -v w="$WHY" 'seen && $0 ~ p { c++ } index($0, w) { seen = 1 } END { print c + 0 }' \
		"$WGM_TMP/h$1.log"
}
check "no punch reaches h2 for h3 after the refusal" test "$(punch_lines_after 2 h3)" = 0
check "no punch reaches h3 for h2 after the refusal" test "$(punch_lines_after 3 h2)" = 0
check_fails "the easy node is never refused a punch" grep -q "not punching" "$WGM_TMP/h1.log"
check "no kernel warnings" kmsg_clean
[ "$_tap_fail" -ne 0 ] && dump_logs
done_testing

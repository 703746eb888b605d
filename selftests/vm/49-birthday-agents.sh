#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Birthday search end to end (issue 15): site 1 behind a plain masquerade
# ("easy"), site 2 behind `masquerade random,fully-random` ("hard").  The
# agents classify their NATs, meshcoord tells the pair to search (h2
# opens, h1 sprays), the kernels find a port pair and the pair moves from
# the relay to a direct path.  With --no-birthday on meshcoord, the pair
# stays on the relay and nobody searches.
# timeout: 1200
. "$(dirname "$0")/../lib.sh"

meshd_setup 1 2:symmetric

addr4() {
	ip -n "h$1" -4 -o addr show dev mesh0 2>/dev/null | awk '{ print $4 }' | cut -d/ -f1
}

# peer_json N EXPR: a Python expression over hN's first peer (p) in show --json.
peer_json() {
	ip netns exec "h$1" "$MESHADM" show mesh0 --json 2>/dev/null |
		python3 -c "import json, sys; p = json.load(sys.stdin)['peers'][0]; print($2)" 2>/dev/null
}

path_is() {
	[ "$(peer_json "$1" 'p.get("path")')" = "$2" ]
}

nat_is() {
	[ "$(ip netns exec "h$1" "$MESHADM" show mesh0 nat 2>/dev/null)" = "$2" ]
}

dump_logs() {
	mesh_dump_logs 1 2
}

# --- meshcoord --no-birthday: the pair stays on the relay -------------------
ip netns exec inet "$MESHCOORD" --listen "$COORD" --stun "$INET_V4:3478" \
	--state "$WGM_TMP/coord" --no-birthday >>"$WGM_TMP/coord.log" 2>&1 &
COORD_PID=$!
on_exit 'kill $COORD_PID 2>/dev/null'
check "meshcoord --no-birthday starts" wait_until 10 coord_listening
meshd_start 1
meshd_start 2
check "h1's NAT is easy" wait_until 90 nat_is 1 easy
check "h2's NAT is hard" wait_until 90 nat_is 2 hard
check "the pair talks over the relay" \
	wait_until 120 ip netns exec h1 ping -c 1 -W 1 "$(addr4 2)"
check "h2's path is the relay" wait_until 30 path_is 2 relay
check_fails "no agent starts a birthday search when the service says none" \
	wait_until 40 grep -q 'birthday: h[12]: \(opening\|spraying\)' "$WGM_TMP/h1.log" "$WGM_TMP/h2.log"
check "and the pair is still on the relay" path_is 2 relay
kill "$COORD_PID"
wait "$COORD_PID" 2>/dev/null

# --- with the search: a direct path -----------------------------------------
coord_start
check "meshcoord starts again" wait_until 10 coord_listening
check "meshcoord tells the pair to search" \
	wait_until 120 grep -q 'punch h[12] <-> h[12]: birthday search (h2 opens, h1 sprays)' \
		"$WGM_TMP/coord.log"
check "h2 opens 256 sockets towards h1's mapped address" \
	wait_until 30 grep -q 'birthday: h1: opening 256 sockets towards 203\.0\.113\.1:' "$WGM_TMP/h2.log"
check "h1 sprays at h2's public address" \
	wait_until 30 grep -q 'birthday: h2: spraying 1024 probes at 203\.0\.113\.2' "$WGM_TMP/h1.log"
# About 98% of searches find a pair; meshd searches again a minute later.
check "the pair moves to a direct path (h2)" wait_until 300 path_is 2 direct
check "and on h1" wait_until 60 path_is 1 direct
check "h2 sends from the socket the search found" \
	bash -c "[ \"\$(ip netns exec h2 '$MESHADM' show mesh0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"peers\"][0][\"birthday\"][\"port\"])')\" -gt 0 ]"
check "no search socket is left open on h2" \
	bash -c "[ \"\$(ip netns exec h2 '$MESHADM' show mesh0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"peers\"][0][\"birthday\"][\"sockets\"])')\" = 0 ]"
check "the overlay works over the direct path" \
	ip netns exec h2 ping -c 3 -W 2 "$(addr4 1)"
check "TCP over it is intact" tcp_xfer h1 h2 "$(addr4 2)"
[ "$_tap_fail" -ne 0 ] && dump_logs

check "no kernel warnings" kmsg_clean
done_testing

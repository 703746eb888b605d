#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The control plane beyond 60-meshd: auth keys (invalid, single use), a
# third node joining a running mesh (everyone installs it and reaches it),
# and a NAT whose public address changes under a running tunnel (the agent
# notices through STUN, the service pushes the new candidates and signals a
# punch, the tunnel recovers without any administrator).
# Sites as in selftests/lib.sh: hN behind router rN (203.0.113.N), which
# masquerades and drops all unsolicited inbound traffic.
# timeout: 900
. "$(dirname "$0")/../lib.sh"

meshd_setup 1 2 3
topo_lan_host 3 3

log_has() {
	grep -Eq "$2" "$WGM_TMP/$1.log"
}

# start_meshd NS NAME AUTHKEY [COORD [COORD_KEY]]: an agent in netns NS,
# logging to NAME.log.
declare -A PID=()
start_meshd() {
	mkdir -p -m 0700 "$WGM_TMP/$2"
	ip netns exec "$1" "$MESHD" --coord "${4:-$COORD}" --coord-key "${5:-$CKEY}" \
		--authkey "$3" --interface mesh0 --state "$WGM_TMP/$2" \
		--name "$2" >>"$WGM_TMP/$2.log" 2>&1 &
	PID[$2]=$!
}

# exited PID: our child PID has exited (a zombie until waited for).
exited() {
	! grep -qs '^State:[[:space:]]*[^Z]' "/proc/$1/status"
}

stop_all() {
	local n
	for n in "${!PID[@]}"; do
		kill "${PID[$n]}" 2>/dev/null
		wait "${PID[$n]}" 2>/dev/null
	done
	coord_stop
}

# has_peer NS PUBKEY
has_peer() {
	ip netns exec "$1" "$MESHADM" show mesh0 peers 2>/dev/null | grep -qxF "$2"
}

# ping_ok FROM TO_NS
ping_ok() {
	local a
	a=$(mesh_addr4 "$2")
	[ -n "$a" ] && ip netns exec "$1" ping -c 1 -W 1 "$a" >/dev/null
}

# cand_has NS PUBKEY REGEX: NS's kernel lists a candidate of PUBKEY matching REGEX.
cand_has() {
	ip netns exec "$1" "$MESHADM" show mesh0 --json 2>/dev/null |
		python3 -c '
import json, re, sys
key, rx = sys.argv[1], sys.argv[2]
devs = json.load(sys.stdin)
for dev in devs if isinstance(devs, list) else [devs]:
    for p in dev.get("peers", []):
        if p.get("public_key") == key:
            cands = [c.get("endpoint", "") for c in p.get("candidates", [])]
            sys.exit(0 if any(re.search(rx, c) for c in cands) else 1)
sys.exit(1)' "$2" "$3"
}

dump_logs() {
	local f
	for f in coord h1 h2 h3 h3b bad wk; do
		[ -f "$WGM_TMP/$f.log" ] || continue
		echo "# ---- $f.log"
		tail -n 30 "$WGM_TMP/$f.log" | sed 's/^/#   /'
	done
}

ONCE=$(coord authkey create | tail -n 1)
coord_start
on_exit stop_all
check "meshcoord starts" wait_until 10 coord_listening

# --- auth keys ---------------------------------------------------------------
BAD="wgmk-$(printf '%040d' 0)"
start_meshd h3 bad "$BAD"
check "an invalid auth key is refused with a clear error" \
	wait_until 30 log_has bad 'coord: not registered: .*invalid auth key'
check "the refused node is not in the service's node list" \
	bash -c "! ip netns exec inet '$MESHCOORD' --state '$WGM_TMP/coord' nodes | grep -qw bad"
check "the refused agent has no overlay address" test -z "$(mesh_addr4 h3)"
check "the refused agent exits instead of retrying" \
	wait_until 30 exited "${PID[bad]}"
wait "${PID[bad]}" 2>/dev/null
rc=$?
unset 'PID[bad]'
check "it exits with status 4 (auth key refused)" test "$rc" = 4
check "it says what to do" log_has bad 'exiting\. Start meshd with a valid --authkey'
check "it removed its device" bash -c "! ip -n h3 link show mesh0"

# --- a wrong --coord-key is named ---------------------------------------------
WRONG=$("$MESHADM" genkey | "$MESHADM" pubkey)
start_meshd h3 wk "$AKEY" "$COORD" "$WRONG"
check "a wrong --coord-key is named in the agent's log" \
	wait_until 30 log_has wk "coord: connecting to $COORD: the service's key does not match --coord-key"
check "... not as a closed or reset connection" \
	bash -c "! grep -Eq 'connection closed|reset by peer' '$WGM_TMP/wk.log'"
check "the service logs the mismatch once per attempt" \
	log_has coord "closed: handshake not for this service's key"
check_fails "the agent with the wrong key is not registered" \
	bash -c "ip netns exec inet '$MESHCOORD' --state '$WGM_TMP/coord' nodes | grep -qw wk"
kill "${PID[wk]}"
wait "${PID[wk]}" 2>/dev/null
unset 'PID[wk]'
check_fails "it removed its device at SIGTERM" ip -n h3 link show mesh0

# h1 names the service without a port: 7443, as meshd(8) says.
start_meshd h1 h1 "$AKEY" "$INET_V4"
start_meshd h2 h2 "$AKEY"
check "--coord HOST without a port connects to port 7443" \
	wait_until 30 log_has h1 "coord: connected to $INET_V4:7443 as h1"
check "h1 registers" wait_until 30 bash -c "[ -n \"\$(ip -n h1 -4 -o addr show dev mesh0 2>/dev/null)\" ]"
check "h2 registers" wait_until 30 bash -c "[ -n \"\$(ip -n h2 -4 -o addr show dev mesh0 2>/dev/null)\" ]"
check "overlay ping h1 -> h2 through both NATs" wait_until 60 ping_ok h1 h2
PUB1=$(ip netns exec h1 "$MESHADM" show mesh0 public-key)
PUB2=$(ip netns exec h2 "$MESHADM" show mesh0 public-key)

# --- a third node joins a running mesh -------------------------------------
start_meshd h3 h3 "$ONCE"
check "a single-use auth key admits the third node" \
	wait_until 30 bash -c "[ -n \"\$(ip -n h3 -4 -o addr show dev mesh0 2>/dev/null)\" ]"
PUB3=$(ip netns exec h3 "$MESHADM" show mesh0 public-key)
check "h1's kernel installs the third node" wait_until 20 has_peer h1 "$PUB3"
check "h2's kernel installs the third node" wait_until 20 has_peer h2 "$PUB3"
check "the third node installs both others" \
	wait_until 20 bash -c "[ \$(ip netns exec h3 '$MESHADM' show mesh0 peers | grep -c .) = 2 ]"
check "overlay ping h1 -> h3" wait_until 60 ping_ok h1 h3
check "overlay ping h2 -> h3" wait_until 60 ping_ok h2 h3
check "overlay ping h3 -> h1" wait_until 20 ping_ok h3 h1
check "the service lists three nodes" \
	bash -c "[ \$(ip netns exec inet '$MESHCOORD' --state '$WGM_TMP/coord' nodes | grep -Ec '^h[123] ') = 3 ]"

start_meshd h3_3 h3b "$ONCE"
check "a used single-use auth key is refused with a clear error" \
	wait_until 30 log_has h3b 'coord: not registered: .*auth key already used'
check "the refused node reached no kernel" \
	bash -c "[ \$(ip netns exec h1 '$MESHADM' show mesh0 peers | grep -c .) = 2 ]"
check "the agent with the used key exits" wait_until 30 exited "${PID[h3b]}"
wait "${PID[h3b]}" 2>/dev/null
check "with status 4" test $? = 4
unset 'PID[h3b]'

# --- the NAT in front of h1 gets a new public address ------------------------
# The ISP renumbers r1 and its NAT state is gone: h1's old mapped endpoint
# (203.0.113.1:*) is dead, and r2/r3 drop the new source as unsolicited until
# h2/h3 punch towards it.
check "h2 knows h1 at its first public address" cand_has h2 "$PUB1" '^203\.0\.113\.1:'
ip -n r1 addr flush dev wan
ip -n r1 addr add 203.0.113.11/24 dev wan
ip netns exec r1 conntrack -F >/dev/null 2>&1
check "h1's new public address reaches h2 as a candidate" \
	wait_until 120 cand_has h2 "$PUB1" '^203\.0\.113\.11:'
check "h1's new public address reaches h3 as a candidate" \
	wait_until 30 cand_has h3 "$PUB1" '^203\.0\.113\.11:'
check "the tunnel h2 -> h1 recovers by itself" wait_until 60 ping_ok h2 h1
check "the tunnel h1 -> h3 recovers by itself" wait_until 60 ping_ok h1 h3
check "h2 uses h1's new public address" \
	bash -c "ip netns exec h2 '$MESHADM' show mesh0 endpoints | grep -F '$PUB1' | grep -q '203\.0\.113\.11:'"
check "h2 still has h1 (nothing torn down)" has_peer h2 "$PUB1"
check "h1 still has h2" has_peer h1 "$PUB2"

check "no kernel warnings" kmsg_clean
[ "$_tap_fail" -ne 0 ] && dump_logs
done_testing

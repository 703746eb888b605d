#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# meshd end to end (Documentation/meshd.8): meshcoord on the "internet", two
# nodes each behind its own NAT with a stateful firewall.  The agents create
# and address their devices, register, learn each other, punch through both
# NATs and carry overlay traffic; the data plane survives the service going
# away; the agents reconnect; SIGHUP resyncs; a removed node disappears from
# the other's kernel; SIGTERM removes the device.
# timeout: 900
. "$(dirname "$0")/../lib.sh"

meshd_setup 1 2

# log_has N REGEX: meshd's log in site N matches.
log_has() {
	grep -Eq "$2" "$WGM_TMP/h$1.log"
}

log_count() {
	grep -Ec "$2" "$WGM_TMP/h$1.log"
}

# has_peers N COUNT: hN's device has COUNT peers.
has_peers() {
	[ "$(mesh_npeers "h$1")" = "$2" ]
}

start_meshd() {
	ip netns exec "h$1" "$MESHD" --coord "$COORD" --coord-key "$CKEY" \
		--authkey "$AKEY" --interface mesh0 --state "$WGM_TMP/h$1" \
		--name "h$1" >>"$WGM_TMP/h$1.log" 2>&1 &
	eval "MESHD_PID$1=$!"
}

dump_logs() {
	local f
	for f in coord h1 h2 loose; do
		echo "# ---- $f.log"
		tail -n 40 "$WGM_TMP/$f.log" 2>/dev/null | sed 's/^/#   /'
	done
}

coord_start
check "meshcoord starts" wait_until 10 coord_listening
on_exit 'kill $COORD_PID'

# --- option and state directory errors --------------------------------------
# usage_err REGEX ARGS...: meshd refuses ARGS with status 2 and says REGEX.
usage_err() {
	local rx=$1 out rc
	shift
	# bounded: a meshd that accepted the options would run on
	out=$(timeout 20 ip netns exec h1 "$MESHD" --coord-key "$CKEY" --interface optx \
		--state "$WGM_TMP/opt" "$@" 2>&1)
	rc=$?
	[ "$rc" = 2 ] && grep -Eq -- "$rx" <<<"$out" && return 0
	echo "status $rc: $out"
	return 1
}
for a in 127.0.0.1:99999 127.0.0.1:65536 127.0.0.1:0 127.0.0.1:-1 127.0.0.1: \
	 '[::1]:' '[::1]:99999' "$INET_V4:7443x"; do
	check "--coord $a is refused: the port must be 1-65535" \
		usage_err "^meshd: --coord .*1-65535" --coord "$a"
done
check "--coord ::1 (no brackets) is refused" usage_err "^meshd: --coord .*brackets" --coord ::1
check "--stun HOST:99999 is refused" \
	usage_err "^meshd: --stun .*1-65535" --coord "$COORD" --stun "$INET_V4:99999"
check "--stun '[::1]:' is refused" usage_err "^meshd: --stun .*1-65535" --coord "$COORD" --stun '[::1]:'
check_fails "none of them created a device" ip -n h1 link show optx
check_fails "... or a state directory" test -e "$WGM_TMP/opt"

touch "$WGM_TMP/statefile"
out=$(timeout 20 ip netns exec h1 "$MESHD" --coord "$COORD" --coord-key "$CKEY" --interface optx \
	--state "$WGM_TMP/statefile" 2>&1)
rc=$?
check "--state FILE fails with status 1" test "$rc" = 1
check "... saying the state directory is not a directory" \
	grep -q "state directory $WGM_TMP/statefile: exists and is not a directory" <<<"$out"
check_fails "... before creating the device" ip -n h1 link show optx

# A state directory others may write into is used, with a warning (no auth
# key: this agent must not join the network).
mkdir -m 0777 "$WGM_TMP/loose"
ip netns exec h1 "$MESHD" --coord "$COORD" --coord-key "$CKEY" --interface optx \
	--state "$WGM_TMP/loose" --name loose >"$WGM_TMP/loose.log" 2>&1 &
LOOSE=$!
check "a state directory with mode 0777 is warned about" \
	wait_until 20 grep -q "warning: state directory $WGM_TMP/loose is accessible by others (mode 0777" "$WGM_TMP/loose.log"
check "... and then used" wait_until 20 test -s "$WGM_TMP/loose/private.key"
kill "$LOOSE"
wait "$LOOSE"
check_fails "that agent removed its device at SIGTERM" ip -n h1 link show optx

start_meshd 1
start_meshd 2
on_exit 'kill $MESHD_PID1 $MESHD_PID2'

# --- setup ---------------------------------------------------------------
check "meshd creates the device in h1" wait_until 20 ip -n h1 link show mesh0
check "meshd creates the device in h2" wait_until 20 ip -n h2 link show mesh0
check "the private key is kept with mode 0600" \
	test "$(stat -c %a "$WGM_TMP/h1/private.key")" = 600
check "the device's key is the stored one" \
	test "$(ip netns exec h1 "$MESHADM" show mesh0 public-key)" = \
	     "$(ip netns exec h1 "$MESHADM" pubkey <"$WGM_TMP/h1/private.key")"
check "h1 registers and gets an overlay IPv4 address" \
	wait_until 30 bash -c "ip -n h1 -4 -o addr show dev mesh0 | grep -q ' 100\.'"
check "h2 registers and gets an overlay IPv4 address" \
	wait_until 30 bash -c "ip -n h2 -4 -o addr show dev mesh0 | grep -q ' 100\.'"
check "h1 gets an overlay IPv6 address in a ULA /48" \
	wait_until 10 bash -c "ip -n h1 -6 -o addr show dev mesh0 | grep -q ' fd'"
check "100.64.0.0/10 is routed through the device" \
	bash -c "ip -n h1 route show 100.64.0.0/10 | grep -q 'dev mesh0'"
check "the ULA /48 is routed through the device" \
	bash -c "ip -n h1 -6 route show | grep -Eq '^fd[0-9a-f:]+/48 dev mesh0'"
check "h1 has h2 as its only peer" wait_until 30 has_peers 1 1
check "h2 has h1 as its only peer" wait_until 30 has_peers 2 1
PUB1=$(ip netns exec h1 "$MESHADM" show mesh0 public-key)
PUB2=$(ip netns exec h2 "$MESHADM" show mesh0 public-key)
check "the peer is h2's key" test "$(ip netns exec h1 "$MESHADM" show mesh0 peers)" = "$PUB2"
A1=$(mesh_addr4 h1)
A2=$(mesh_addr4 h2)
B2=$(mesh_addr6 h2)
check "the peer's allowed IPs are h2's overlay /32 and /128" \
	bash -c "ip netns exec h1 '$MESHADM' show mesh0 allowed-ips | grep -q '$A2/32' &&
		 ip netns exec h1 '$MESHADM' show mesh0 allowed-ips | grep -q '$B2/128'"
check "persistent keepalive is 25" \
	bash -c "ip netns exec h1 '$MESHADM' show mesh0 persistent-keepalive | grep -q '[[:space:]]25$'"
check "h2's NAT-side candidate (public address, listen port) reached h1" \
	wait_until 30 bash -c "ip netns exec h1 '$MESHADM' show mesh0 | grep 'candidates:' | grep -q '203\.0\.113\.2:'"
check "h2's LAN address is a candidate too" \
	bash -c "ip netns exec h1 '$MESHADM' show mesh0 | grep 'candidates:' | grep -q '10\.2\.0\.2:'"

# --- data plane ------------------------------------------------------------
check "overlay IPv4 ping h1 -> h2 through both NATs" \
	wait_until 60 ip netns exec h1 ping -c 1 -W 1 "$A2"
check "overlay IPv6 ping h1 -> h2" \
	wait_until 20 ip netns exec h1 ping -6 -c 1 -W 1 "$B2"
check "overlay IPv4 ping h2 -> h1" \
	wait_until 20 ip netns exec h2 ping -c 1 -W 1 "$A1"
# meshcoord sends PUNCH only on a punch request (no live path); the peer
# update carrying h2's candidates is what h1's agent hands to the kernel.
check "h2's candidates reached h1's agent in a peer update" \
	log_has 1 'coord: peer .* (online|changed), [1-9][0-9]* candidate'
check "meshadm ping reports the direct path" \
	bash -c "ip netns exec h1 '$MESHADM' ping mesh0 '$PUB2' | grep -q '^pong from 203\.0\.113\.2:[0-9]* (direct) in '"

# --- meshcoord goes away ---------------------------------------------------
coord_stop
check "meshd notices the service is gone" \
	wait_until 20 log_has 1 'coord: (disconnected|connecting)'
check "the overlay keeps working without meshcoord" \
	wait_until 10 ip netns exec h1 ping -c 1 -W 1 "$A2"
check "the peer is still installed" has_peers 1 1
conn_before=$(log_count 1 'coord: connected')
coord_start
check "meshcoord restarts" wait_until 10 coord_listening
check "meshd reconnects (backoff at most 30 s)" \
	wait_until 45 bash -c "[ \$(grep -Ec 'coord: connected' '$WGM_TMP/h1.log') -gt $conn_before ]"
check "no peer was removed across the reconnect" \
	bash -c "! grep -q 'kernel: removed peer' '$WGM_TMP/h1.log'"
check "overlay still works after the reconnect" \
	ip netns exec h1 ping -c 1 -W 1 "$A2"

# --- SIGHUP: reconnect and resync ------------------------------------------
ip netns exec h1 "$MESHADM" set mesh0 peer "$PUB2" persistent-keepalive off
conn_before=$(log_count 1 'coord: connected')
kill -HUP "$MESHD_PID1"
check "SIGHUP reconnects" \
	wait_until 20 bash -c "[ \$(grep -Ec 'coord: connected' '$WGM_TMP/h1.log') -gt $conn_before ]"
check "SIGHUP undid the manual change" \
	wait_until 10 bash -c "ip netns exec h1 '$MESHADM' show mesh0 persistent-keepalive | grep -q '[[:space:]]25$'"

# --- the device is deleted by hand -------------------------------------------
ip -n h2 link del mesh0
check "meshd recreates a deleted device" \
	wait_until 30 bash -c "ip -n h2 -4 -o addr show dev mesh0 | grep -q ' $A2/'"
check "the recreated device has the same key" \
	test "$(ip netns exec h2 "$MESHADM" show mesh0 public-key)" = "$PUB2"
check "the overlay works again through the recreated device" \
	wait_until 60 ip netns exec h1 ping -c 1 -W 1 "$A2"

# --- node removal --------------------------------------------------------
check "the administrator removes h2" \
	coord remove h2
check "h1's kernel drops the removed node" wait_until 30 has_peers 1 0
check "h1 logs the removal" log_has 1 'kernel: removed peer'
check "the removed node drops its peers" wait_until 30 has_peers 2 0
check "the removed node is refused when it retries" \
	wait_until 60 log_has 2 'coord: not registered'
check "the removed node has not rejoined by itself" has_peers 1 0

# --- SIGTERM -------------------------------------------------------------
kill -TERM "$MESHD_PID1"
wait "$MESHD_PID1"
check "meshd exits 0 on SIGTERM" test $? -eq 0
check "SIGTERM removed the device" bash -c "! ip -n h1 link show mesh0"

check "meshd logs one line per event, none empty" \
	bash -c "! grep -q '^$' '$WGM_TMP/h1.log'"
check "no kernel warnings" kmsg_clean
[ "$_tap_fail" -ne 0 ] && dump_logs
done_testing

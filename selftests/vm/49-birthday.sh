#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Birthday search (Documentation/probing.rst, "Birthday search"), in the
# module, driven with meshadm: site 1 behind a plain masquerade ("easy",
# one port for all destinations, filtering by the full tuple), site 2
# behind `masquerade random,fully-random` ("hard": a new random port per
# destination).  No punch can connect them: site 1's probes go to site 2's
# wrong port, site 2's to a port site 1's NAT keeps closed.  With site 2
# opening 256 sockets and site 1 spraying 1024 guesses, a direct path forms
# (about 98% of searches; the test allows three).  Also: the extra sockets
# are gone after success, failure and device deletion; a stranger's
# packets to them get nothing; bad requests are refused with a reason.
# timeout: 900
. "$(dirname "$0")/../lib.sh"

kmsg_mark
topo_internet
topo_site 1
topo_site 2 symmetric
topo_lan_host 2 5
tun_mesh 51840 h1 wgm1 1 h2 wgm2 2
P1=$(pub_of h1 wgm1)
P2=$(pub_of h2 wgm2)

# nudp NS: IPv4 UDP sockets in NS (the tunnel's own are in-kernel sockets).
nudp() {
	ip netns exec "$1" tail -n +2 /proc/net/udp | wc -l
}

# nudp_is NS N: NS has N UDP sockets.  The kernel closes a search's sockets
# after a grace period (no packet may still use them), a moment after the
# search reports its end: the closing checks wait for it.
nudp_is() {
	[ "$(nudp "$1")" = "$2" ]
}

# bday NS DEV FIELD: the peer's birthday field from show --json ("" if none).
bday() {
	dev_json "$1" "$2" | python3 -c '
import json, sys
b = json.load(sys.stdin)["peers"][0].get("birthday") or {}
print(b.get(sys.argv[1], ""))' "$3"
}

# bday_is NS DEV FIELD VALUE / udp_is NS COUNT: for wait_until.
bday_is() {
	[ "$(bday "$1" "$2" "$3")" = "$4" ]
}

udp_is() {
	[ "$(nudp "$1")" = "$2" ]
}

# Each side knows what the coordination service would tell it: site 1 the
# hard side's public address (its port is wrong: that NAT maps anew for
# every destination), site 2 the easy side's mapped address.
check "site 1 gets site 2's public address as a candidate" \
	devcmd h1 wgm1 set peer "$P2" candidates "203.0.113.2:51840"
check "site 2 gets site 1's mapped address as a candidate" \
	devcmd h2 wgm2 set peer "$P1" candidates "203.0.113.1:51840"
check_fails "a plain punch finds no direct path (hard NAT)" \
	wait_until 12 cand_has h2 wgm2 "203.0.113.1:51840 \(alive"

base=$(nudp h2)

# --- bad requests: refused with a reason, nothing started -------------------
check "an IPv6 target is refused in words" \
	bash -c "ip netns exec h2 $MESHADM punch wgm2 $P1 birthday open '[2001:db8::1]:51840' 2>&1 |
		grep -q 'must be IPv4'"
check "a role that does not exist is refused" \
	bash -c "! ip netns exec h2 $MESHADM punch wgm2 $P1 birthday wide 203.0.113.1:51840"
check "more than 256 sockets are refused" \
	bash -c "ip netns exec h2 $MESHADM punch wgm2 $P1 birthday open 203.0.113.1:51840 257 2>&1 |
		grep -q '1..256 sockets'"
check "a loopback target is refused by the module" \
	bash -c "ip netns exec h2 $MESHADM punch wgm2 $P1 birthday open 127.0.0.1:51840 2>&1 |
		grep -q 'loopback'"
check "nothing was opened by refused requests" test "$(nudp h2)" = "$base"

# --- a search that finds nothing: its sockets close at its end --------------
check "an open search with 16 sockets starts" \
	ip netns exec h2 "$MESHADM" punch wgm2 "$P1" birthday open 203.0.113.1:51840 16
check "the 16 sockets are open" test "$(nudp h2)" = "$((base + 16))"
check "show reports the running search" \
	bash -c "ip netns exec h2 $MESHADM show wgm2 | grep -q 'birthday: running, 16 sockets, 16 probes sent'"
check "a second search on the device is refused while one runs" \
	bash -c "ip netns exec h2 $MESHADM punch wgm2 $P1 birthday open 203.0.113.1:51840 2>&1 |
		grep -q 'already runs'"

# A stranger on site 2's LAN sends junk and a forged probe to every extra
# socket: no answer, and the drops are counted.
ports=$(ip netns exec h2 python3 -c '
with open("/proc/net/udp") as f:
    next(f)
    print(" ".join(str(p) for p in (int(l.split()[1].split(":")[1], 16) for l in f) if p != 51840))')
errs() {
	ip -n h2 -s -j link show wgm2 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["errors"])'
}
e0=$(errs)
answers=$(ip netns exec h2_5 python3 - $ports <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.3)
got = 0
for p in sys.argv[1:]:
    for msg in (os.urandom(64), bytes([0xE1]) + b"wgm" + os.urandom(60), b"\x01" + bytes(147)):
        s.sendto(msg, ("10.2.0.2", int(p)))
for _ in range(5):
    try:
        s.recvfrom(2048)
        got += 1
    except socket.timeout:
        pass
print(got)
PY
)
check "a stranger's packets to the search's sockets get no answer" test "$answers" = 0
check "and are counted as drops" test "$(errs)" -gt "$e0"
check "the search ends as failed (no partner sprayed)" \
	wait_until 45 bash -c "ip netns exec h2 $MESHADM show wgm2 | grep -q 'birthday: failed'"
check "its sockets are closed after the failure" wait_until 10 nudp_is h2 "$base"

# --- easy <-> hard: a direct path forms ---------------------------------------
found=0
for attempt in 1 2 3; do
	ip netns exec h2 "$MESHADM" punch wgm2 "$P1" birthday open 203.0.113.1:51840 ||
		break
	ip netns exec h1 "$MESHADM" punch wgm1 "$P2" birthday spray 203.0.113.2:1 ||
		break
	if wait_until 25 cand_has h2 wgm2 "203.0.113.1:51840 \(alive, rtt [0-9.]+ ms, active\)"; then
		found=$attempt
		break
	fi
	echo "# search $attempt found no port pair (about 2% of searches)"
	wait_until 40 udp_is h2 "$base"
	wait_until 20 bash -c "! ip netns exec h1 $MESHADM show wgm1 | grep -q 'birthday: running'"
done
echo "# direct path on search $found"
for n in 1 2; do
	echo "# h$n: $(dev_json "h$n" "wgm$n" | grep -o '"birthday":{[^}]*}')"
done
check "a direct path forms between the easy and the hard side" test "$found" -gt 0
check "the hard side reports the search as direct" wait_until 10 bday_is h2 wgm2 state direct
check "with the winning socket as the peer's own" test "$(bday h2 wgm2 port)" -gt 0
own=$(bday h2 wgm2 port)
check "the easy side sees the hard side's mapped port alive and active" \
	wait_until 15 bash -c "ip netns exec h1 $MESHADM show wgm1 | grep 'candidates:' |
		grep -Eq '203\.0\.113\.2:[0-9]+ \(alive, rtt [0-9.]+ ms, active\)'"
check "the easy side's search ends as direct" wait_until 15 bday_is h1 wgm1 state direct
check "the easy side sent at most 1024 probes" test "$(bday h1 wgm1 sent)" -le 1024
check "the hard side sent one probe per socket" test "$(bday h2 wgm2 sent)" = 256
check "only the winning socket stays open" wait_until 10 nudp_is h2 "$((base + 1))"
check "the tunnel works over the direct path" pings h1 "$INNER4.2" 20
check "the data leaves from the winning socket (site 2's NAT state)" \
	bash -c "ip netns exec r2 conntrack -L -p udp --orig-port-src $own 2>/dev/null |
		grep -q 'dst=203.0.113.1 '"
check "show says the path is direct" \
	bash -c "ip netns exec h1 $MESHADM show wgm1 | grep -q 'path: direct 203.0.113.2:'"
check "TCP over the tunnel is intact" tcp_xfer h1 h2 "$INNER4.2"

check "the agent's label for the peer's NAT is kept and shown" \
	bash -c "ip netns exec h2 $MESHADM set wgm2 peer $P1 nat easy &&
		ip netns exec h2 $MESHADM show wgm2 | grep -q 'peer nat: easy (endpoint-independent mapping)'"
check "a label that is not a NAT type is refused" \
	bash -c "ip netns exec h2 $MESHADM set wgm2 peer $P1 nat wide 2>&1 | grep -q 'not easy, hard or unknown'"

# --- removing the peer closes its own socket ----------------------------------
check "the peer is removed" devcmd h2 wgm2 set peer "$P1" remove
check "its own socket is closed" wait_until 10 nudp_is h2 "$base"
tun_peer h2 wgm2 h1 wgm1
devcmd h2 wgm2 set peer "$P1" candidates "203.0.113.1:51840"

# --- device deletion during a search closes every socket -------------------
check "a search starts again" \
	ip netns exec h2 "$MESHADM" punch wgm2 "$P1" birthday open 203.0.113.1:51840 64
check "with its sockets" test "$(nudp h2)" = "$((base + 64))"
ip -n h2 link del wgm2
check "deleting the device closes all of them" wait_until 10 nudp_is h2 "$((base - 1))"

check "no kernel warnings" kmsg_clean
done_testing

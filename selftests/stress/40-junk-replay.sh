#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Floods of junk and of replayed packets for STRESS_SECS (default 60) at a
# live wgmesh pair a <-> b where a probes b's candidates: first a's real
# traffic to b (handshakes, data, keepalives, probe requests) is captured
# on a's link, then replayed at b, frame for frame from a's own address and
# port, while selftests/tools/wg-junk.py throws malformed messages of every
# type at both ports.  A replayed probe request must go unanswered (probing.rst,
# "Replay"); the session must keep working; the kernel must not complain.
# timeout: 300+3*STRESS_SECS
. "$(dirname "$0")/../lib.sh"

JUNK=$TOP/selftests/tools/wg-junk.py
REPLAY=$(dirname "$0")/pkt-replay.py
secs=${STRESS_SECS:-60}
cap=$((secs > 60 ? secs : 60))	# the capture ends early once it has what it needs
kmsg_mark
tun_pair wgmesh wgmesh 4 both
PUB_B=$(pub_of b "$DEV_B")
check "candidates set on a" \
	devcmd a "$DEV_A" set peer "$PUB_B" candidates "192.0.2.99:$PORT_B,192.0.2.2:$PORT_B"
check "tunnel up" pings a "$INNER4.2" 60

# Probe replies (0xE2) b sends to a.
ip netns exec b nft -f - <<NFT
table inet wgmrep {
	counter c_e2 {
	}
	chain out {
		type filter hook output priority filter; policy accept;
		udp sport $PORT_B @th,64,8 0xe2 counter name c_e2
	}
}
NFT
e2() {
	ip netns exec b nft list counter inet wgmrep c_e2 |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

ip netns exec a python3 "$REPLAY" eth0 "$PORT_B" "$cap" "$secs" >"$WGM_TMP/replay.out" 2>&1 &
rep=$!
on_exit "kill $rep"
check "the capture starts" wait_until 60 grep -q '^capturing' "$WGM_TMP/replay.out"
# Real traffic to capture until the capture window closes: probe requests
# (punch), data and keepalives (ping).
cend=$(($(date +%s) + cap + 60))
while ! grep -q '^types' "$WGM_TMP/replay.out" && [ "$(date +%s)" -lt "$cend" ]; do
	devcmd a "$DEV_A" punch "$PUB_B" >/dev/null 2>&1
	ip netns exec a ping -c 2 -i 0.2 -W 1 -q "$INNER4.2" >/dev/null 2>&1
done
e2_before=$(e2)

junk_rounds=0 junk_replies=0
end=$(($(date +%s) + secs))
while [ "$(date +%s)" -lt "$end" ]; do
	out=$(ip netns exec b python3 "$JUNK" junk 192.0.2.1 "$PORT_A" 0.2 2>&1)
	grep -q ' replies 0$' <<<"$out" || junk_replies=$((junk_replies + 1))
	out=$(ip netns exec a python3 "$JUNK" junk 2001:db8:1::2 "$PORT_B" 0.2 2>&1)
	grep -q ' replies 0$' <<<"$out" || junk_replies=$((junk_replies + 1))
	junk_rounds=$((junk_rounds + 1))
done
wait "$rep"
rrc=$?
e2_after=$(e2)
echo "# replay: $(tr '\n' ' ' <"$WGM_TMP/replay.out")"
echo "# $junk_rounds junk rounds; probe replies from b during the replay: $((e2_after - e2_before))"
check "frames were captured and replayed" test "$rrc" = 0
check "the capture holds probe requests (type e1)" grep -q ' e1:' "$WGM_TMP/replay.out"
check "the capture holds data or keepalives (type 04)" grep -q ' 04:' "$WGM_TMP/replay.out"
check "no junk got a reply ($junk_replies of $((junk_rounds * 2)) rounds did)" test "$junk_replies" = 0
# During the replay window b sees replayed requests (thousands a second) and
# a's own occasional probing of its active path; answered replays would run
# at b's reply rate limit (10 a second per source), so more than one reply a
# second on average means replays were answered.
nrep=$(sed -n 's/.*replayed \([0-9]*\).*/\1/p' "$WGM_TMP/replay.out")
check "replayed probe requests were not answered ($((e2_after - e2_before)) replies in ${secs}s, ${nrep:-0} frames replayed)" \
	test $((e2_after - e2_before)) -le $((secs + 20))
check "the session still works: a -> b" pings a "$INNER4.2" 60
check "the session still works: b -> a over inner IPv6" pings b "$INNER6:1" 60
check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

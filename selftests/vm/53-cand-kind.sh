#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Candidate kinds (Documentation/relay.rst, "Path selection"): a candidate
# of kind relay carries data only while no other candidate of the peer is
# alive.  Here the "relay" candidate is b's IPv6 address on the same link
# (IPv6 wins at equal RTT, so without the rule it could be chosen); the
# kernel must keep the IPv4 direct path active, and fall back to the relay
# candidate when the direct path goes away.
# timeout: 300
. "$(dirname "$0")/../lib.sh"

kmsg_mark

tun_pair wgmesh wgmesh 4 none
PUB_A=$(pub_of a "$DEV_A")
PUB_B=$(pub_of b "$DEV_B")
relay_re="relay \\[2001:db8:1::2\\]:$PORT_B"
direct_re="192\\.0\\.2\\.2:$PORT_B"

check "b's candidates for a are accepted" \
	devcmd b "$DEV_B" set peer "$PUB_A" candidates "192.0.2.1:$PORT_A,[2001:db8:1::1]:$PORT_A"
check "a relay candidate and a direct one are accepted" \
	devcmd a "$DEV_A" set peer "$PUB_B" \
	candidates "relay:[2001:db8:1::2]:$PORT_B,192.0.2.2:$PORT_B"
check "the dump reports the relay kind and no kind for the direct one" \
	cand_has a "$DEV_A" "^  candidates: $relay_re \\(.*\\), $direct_re \\("
check "showconf writes the kind back" \
	bash -c "ip netns exec a $MESHADM showconf $DEV_A | grep -qF 'Candidates = relay:[2001:db8:1::2]:$PORT_B, 192.0.2.2:$PORT_B'"
check "both candidates become alive" \
	wait_until 20 bash -c "cand_has() { ip netns exec a $MESHADM show $DEV_A | grep 'candidates:' | grep -Eq \"\$1\"; }; \
		cand_has '$relay_re \\(alive' && cand_has '$direct_re \\(alive'"
check "the direct path is active, never the relay while it is alive" \
	wait_until 10 cand_has a "$DEV_A" "$direct_re \\(alive, rtt [0-9.]+ ms, active\\)"
check "show names the path: direct" \
	bash -c "ip netns exec a $MESHADM show $DEV_A | grep -qF '  path: direct 192.0.2.2:$PORT_B'"
json=$(ip netns exec a "$MESHADM" show "$DEV_A" --json)
check "--json gives each candidate its kind and the peer its path" \
	python3 -c '
import json, sys
p = json.loads(sys.argv[1])["peers"][0]
kinds = {c["endpoint"]: c["kind"] for c in p["candidates"]}
assert kinds == {"[2001:db8:1::2]:%s" % sys.argv[2]: "relay", "192.0.2.2:%s" % sys.argv[2]: "direct"}, kinds
assert p["path"] == "direct", p["path"]
' "$json" "$PORT_B"
check "traffic flows on the direct path" pings a "$INNER4.2" 20
check "the relay candidate is still not active after traffic" \
	bash -c "! ip netns exec a $MESHADM show $DEV_A | grep -Eq '$relay_re \\([^)]*active'"

# --- the direct path goes away: the relay candidate takes over ---------------
ip netns exec b nft -f - <<NFT
table inet blk {
	chain in {
		type filter hook input priority filter; policy accept;
		meta nfproto ipv4 udp dport $PORT_B drop
	}
}
NFT
ip netns exec a ping -q -i 0.5 -w 90 "$INNER4.2" >/dev/null 2>&1 &
pinger=$!
on_exit "kill $pinger 2>/dev/null"
check "when the direct path stops answering, the relay candidate carries the data" \
	wait_until 60 cand_has a "$DEV_A" "$relay_re \\(alive, rtt [0-9.]+ ms, active\\)"
check "show names the path: relay" \
	bash -c "ip netns exec a $MESHADM show $DEV_A | grep -qF '  path: relay [2001:db8:1::2]:$PORT_B (udp)'"
check "--json says the path is relay" \
	bash -c "ip netns exec a $MESHADM show $DEV_A --json | grep -qF '\"path\":\"relay\"'"
kill $pinger 2>/dev/null
check "traffic flows over the relay candidate" pings a "$INNER4.2" 20

# --- the kind can change without losing the state ---------------------------
check "the same address given again as direct" \
	devcmd a "$DEV_A" set peer "$PUB_B" \
	candidates "[2001:db8:1::2]:$PORT_B,192.0.2.2:$PORT_B"
check "keeps its state and loses the relay label" \
	cand_has a "$DEV_A" "^  candidates: \\[2001:db8:1::2\\]:$PORT_B \\(alive, rtt [0-9.]+ ms, active\\)"
ip netns exec b nft delete table inet blk

# --- relay binds: SET_DEVICE to the wire (selftests/tools/relay-bind.py) ----
# a's own address stands in for the relay: the binds a's module sends to it
# arrive on the tool's socket.
n=0
while IFS=$'\t' read -r verdict desc why; do
	n=$((n + 1))
	if [ "$verdict" = ok ]; then
		ok "relay bind: $desc"
	else
		not_ok "relay bind: $desc" "$why"
	fi
done < <(ip netns exec a python3 "$TOP/selftests/tools/relay-bind.py" "$DEV_A" "$PUB_B" 192.0.2.1 40053 2>&1)
check "relay-bind.py ran all its checks" test "$n" -eq 14
tun_unpair

check "no kernel warnings" kmsg_clean
done_testing

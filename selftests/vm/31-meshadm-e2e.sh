#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# meshadm end to end on a working tunnel.  setconf then showconf gives back
# the configuration (normalised); "show --json" of the device under test
# (WGM_DUT, default wgmesh; with wireguard the JSON is derived from wg's
# dump, to validate the test) agrees with "wg show dump" of the in-tree
# WireGuard peer at the other end: keys, allowed IPs, endpoints both ways,
# handshakes, byte counters that match each other.
# timeout: 600
. "$(dirname "$0")/../lib.sh"

CONF=$TOP/selftests/tools/wgconf.py
JSON=$TOP/selftests/tools/wgjson.py
kmsg_mark
echo "# DUT: $WGM_DUT"

tun_pair dut wireguard 4 a psk
check "tunnel up" pings a "$INNER4.2"
wgm_tmp

# setconf/showconf round trip on the live device, with comments, odd case
# and spacing, repeated AllowedIPs and a peer to be removed later.
extra=$(wg genkey | wg pubkey)
cat >"$WGM_TMP/a.conf" <<CONF
# the DUT
[interface]
privatekey=$(key_of a "$DEV_A")
ListenPort   =   $PORT_A   # same port

[Peer]
PublicKey = $(pub_of b "$DEV_B")
PresharedKey = $(cat "$WGM_TMP/psk")
AllowedIPs = $INNER4.2/32
AllowedIPs = $INNER6:2/128, 10.77.0.0/16
Endpoint = 192.0.2.2:$PORT_B
PersistentKeepalive = 25

[PEER]
publickey = $extra
allowedips = fd77::/64
endpoint = [2001:db8:1::77]:4444
CONF
check "setconf accepts the file" devcmd a "$DEV_A" setconf "$WGM_TMP/a.conf"
devcmd a "$DEV_A" showconf >"$WGM_TMP/a.out"
check "showconf succeeds" test -s "$WGM_TMP/a.out"
python3 "$CONF" norm "$WGM_TMP/a.conf" >"$WGM_TMP/a.conf.norm"
python3 "$CONF" norm "$WGM_TMP/a.out" >"$WGM_TMP/a.out.norm"
if cmp -s "$WGM_TMP/a.conf.norm" "$WGM_TMP/a.out.norm"; then
	ok "showconf equals the setconf input (normalised)"
else
	not_ok "showconf equals the setconf input (normalised)"
	diff "$WGM_TMP/a.conf.norm" "$WGM_TMP/a.out.norm" | head -n 10 | sed 's/^/#   /'
fi
devcmd a "$DEV_A" set peer "$extra" remove
check "traffic after setconf" pings a "$INNER6:2"
check "TCP DUT -> wg" tcp_xfer a b "$INNER4.2"
check "TCP wg -> DUT" tcp_xfer b a "$INNER6:1"

dev_json a "$DEV_A" >"$WGM_TMP/a.json"
devcmd b "$DEV_B" show dump >"$WGM_TMP/b.dump"
python3 "$JSON" compare "$WGM_TMP/a.json" "$WGM_TMP/b.dump" \
	name="$DEV_A" port="$PORT_A" keepalive=25 \
	allowed="$INNER4.2/32,$INNER6:2/128,10.77.0.0/16" \
	endpoint="192.0.2.2:$PORT_B" peer_endpoint="192.0.2.1:$PORT_A" \
	secret="$(key_of a "$DEV_A")" secret="$(cat "$WGM_TMP/psk")" >"$WGM_TMP/cmp" 2>&1
rc=$?
check "the JSON/dump comparison ran" test "$rc" = 0 -a -s "$WGM_TMP/cmp"
[ "$rc" = 0 ] || sed 's/^/#   /' "$WGM_TMP/cmp" | tail -n 5
while IFS=$'\t' read -r res what detail; do
	case $res in
	ok) ok "show --json vs wg dump: $what" ;;
	"not ok") not_ok "show --json vs wg dump: $what" "$detail" ;;
	esac
done <"$WGM_TMP/cmp"
if [ "$WGM_DUT" = wgmesh ]; then
	check "show all --json lists the device" \
		bash -c "ip netns exec a $MESHADM show all --json | grep -q '\"name\": *\"$DEV_A\"'"
	check "show DEV dump agrees with the JSON on the peer's key" \
		test "$(peer_field a "$DEV_A" 1)" = "$(pub_of b "$DEV_B")"
fi
check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# meshadm against the kernel's netlink family: a configuration too big for
# one message in either direction (SET split by meshadm, GET dump resumed by
# the kernel, a peer whose allowed IPs span several dump messages) survives
# a round trip; syncconf removes what the file lacks; unprivileged callers
# get nothing (every command needs CAP_NET_ADMIN).
# timeout: 300
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
chmod 755 "$tmp"

ns_new a
ip -n a link add mesh0 type wgmesh

# 300 peers with 20 /32s each, and one peer with 2000 prefixes.
priv=$("$MESHADM" genkey)
python3 - "$priv" >"$tmp/big.conf" <<'PY'
import base64, os, sys
print("[Interface]\nPrivateKey = %s\nListenPort = 51999\nFwMark = 0x7" % sys.argv[1])
key = lambda: base64.b64encode(os.urandom(32)).decode()
for i in range(300):
    ips = ", ".join("10.%d.%d.%d/32" % (i // 200, i % 200, j) for j in range(1, 21))
    print("\n[Peer]\nPublicKey = %s\nAllowedIPs = %s\nEndpoint = 192.0.2.%d:%d"
          % (key(), ips, i % 250 + 1, 10000 + i))
ips = ", ".join("fd00::%x/128" % j for j in range(2000))
print("\n[Peer]\nPublicKey = %s\nPersistentKeepalive = 15\nAllowedIPs = %s" % (key(), ips))
PY

check "setconf of 301 peers and 8000 allowed IPs" \
	ip netns exec a "$MESHADM" setconf mesh0 "$tmp/big.conf"
ip netns exec a "$MESHADM" showconf mesh0 >"$tmp/out.conf"
peers=$(grep -c '^\[Peer\]' "$tmp/out.conf")
check "showconf lists 301 peers (got $peers)" test "$peers" -eq 301
n4=$(grep '^AllowedIPs' "$tmp/out.conf" | tr ',' '\n' | grep -c '10\.')
n6=$(grep '^AllowedIPs' "$tmp/out.conf" | tr ',' '\n' | grep -c 'fd00::')
check "all 6000 IPv4 prefixes come back (got $n4)" test "$n4" -eq 6000
check "all 2000 IPv6 prefixes of one peer come back, joined (got $n6)" test "$n6" -eq 2000
check "the big peer is listed once" \
	test "$(grep -c 'fd00::' "$tmp/out.conf")" -eq 1
check "listen port and fwmark come back" \
	bash -c "grep -q '^ListenPort = 51999' '$tmp/out.conf' && grep -qi '^FwMark = 0x7' '$tmp/out.conf'"
check "the private key comes back to root" grep -q "^PrivateKey = $priv" "$tmp/out.conf"

# syncconf with the first 100 peers only: the other 201 go.
awk '/^\[Peer\]/ { n++ } n <= 100' "$tmp/big.conf" >"$tmp/small.conf"
check "syncconf to 100 peers" ip netns exec a "$MESHADM" syncconf mesh0 "$tmp/small.conf"
peers=$(ip netns exec a "$MESHADM" showconf mesh0 | grep -c '^\[Peer\]')
check "100 peers remain (got $peers)" test "$peers" -eq 100

out=$(ip netns exec a setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$MESHADM" showconf mesh0 2>&1)
check "an unprivileged showconf lists no peer (GET needs CAP_NET_ADMIN)" \
	test "$(grep -c '^\[Peer\]' <<<"$out")" -eq 0
check "... and not the private key" bash -c "! grep -q '$priv' <<<'$out'"
check_fails "an unprivileged set is refused" \
	ip netns exec a setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$MESHADM" set mesh0 fwmark 9

done_testing

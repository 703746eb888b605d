#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# meshadm without a data path: keys compatible with wg(8), device creation
# and removal over rtnetlink, and the errors an operator sees.
# timeout: 120
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
on_exit "rm -rf $tmp"

same=0
for i in $(seq 1 20); do
	k=$("$MESHADM" genkey)
	[ "$(printf '%s\n' "$k" | "$MESHADM" pubkey)" = "$(printf '%s\n' "$k" | wg pubkey)" ] && same=$((same + 1))
done
check "meshadm pubkey matches wg pubkey for 20 meshadm keys" test "$same" -eq 20
same=0
for i in $(seq 1 20); do
	k=$(wg genkey)
	[ "$(printf '%s\n' "$k" | "$MESHADM" pubkey)" = "$(printf '%s\n' "$k" | wg pubkey)" ] && same=$((same + 1))
done
check "meshadm pubkey matches wg pubkey for 20 wg keys" test "$same" -eq 20
(umask 022; "$MESHADM" genkey "$tmp/priv")
check "genkey FILE writes mode 0600" test "$(stat -c %a "$tmp/priv")" = 600
check_fails "pubkey rejects a key that is not 32 bytes of base64" \
	bash -c "echo 'AAAA' | $MESHADM pubkey"

ns_new a
check "meshadm dev add creates a wgmesh device" ip netns exec a "$MESHADM" dev add mesh0
check "the device has kind wgmesh" bash -c "ip -n a -d link show mesh0 | grep -qw wgmesh"
out=$(ip netns exec a "$MESHADM" dev add mesh0 2>&1)
check "adding an existing device fails with a clear message" \
	bash -c "! ip netns exec a $MESHADM dev add mesh0 && [ -n '$out' ]"
check "meshadm dev del removes it" ip netns exec a "$MESHADM" dev del mesh0
check_fails "the device is gone" ip -n a link show mesh0
ip -n a link add dummy0 type dummy
out=$(ip netns exec a "$MESHADM" show dummy0 2>&1)
rc=$?
check "show on a non-wgmesh device fails" test "$rc" -ne 0
check "... and says it is not a wgmesh device" bash -c "grep -qi 'not a wgmesh' <<<'$out'"

rmmod wgmesh
out=$(ip netns exec a "$MESHADM" dev add mesh1 2>&1)
check "without the module, dev add says to modprobe wgmesh" \
	bash -c "grep -q 'modprobe wgmesh' <<<'$out'"
insmod "$WGM_KO"
done_testing

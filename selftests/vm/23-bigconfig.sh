#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A large configuration on the device under test (WGM_DUT, default wgmesh):
# 2,000 peers with 8 allowed IPs each (IPv4 and IPv6, mixed prefixes, some
# endpoints, preshared keys and keepalives) set with setconf and dumped back
# with showconf must be the same configuration (after normalising spelling
# and order, selftests/tools/wgconf.py).  A second, different configuration
# of 1,000 peers then replaces it exactly.
# timeout: 600
. "$(dirname "$0")/../lib.sh"

CONF=$TOP/selftests/tools/wgconf.py
kmsg_mark
echo "# DUT: $WGM_DUT"
wgm_tmp
ns_new a
check "device created" dev_create a big0 dut

# round N PEERS IPS SEED: setconf a generated file, compare showconf with it.
round() {
	local n=$1 peers=$2 ips=$3 seed=$4 rc
	local in=$WGM_TMP/in$n.conf out=$WGM_TMP/out$n.conf
	python3 "$CONF" gen "$peers" "$ips" "$seed" >"$in"
	check "setconf with $peers peers x $ips allowed IPs" devcmd a big0 setconf "$in"
	devcmd a big0 showconf >"$out"
	rc=$?
	check "showconf succeeds" test "$rc" = 0
	python3 "$CONF" norm "$in" >"$in.norm"
	python3 "$CONF" norm "$out" >"$out.norm"
	if cmp -s "$in.norm" "$out.norm"; then
		ok "showconf equals the $peers-peer input"
	else
		not_ok "showconf equals the $peers-peer input" "first differences:"
		diff "$in.norm" "$out.norm" | head -n 10 | sed 's/^/#   /'
	fi
	check "show peers lists $peers peers" \
		test "$(devcmd a big0 show peers | wc -l)" = "$peers"
	check "show allowed-ips lists $((peers * ips)) allowed IPs" \
		test "$(devcmd a big0 show allowed-ips | awk '{ n += NF - 1 } END { print n + 0 }')" = "$((peers * ips))"
}

round 1 2000 8 1
round 2 1000 8 2
check "the first configuration's peers are all gone" \
	test "$(devcmd a big0 show peers | grep -cFf <(awk '/^PublicKey/ { print $3 }' "$WGM_TMP/in1.conf"))" = 0
check "the device can be deleted with 1,000 peers" ip -n a link del big0
check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

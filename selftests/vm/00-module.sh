#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The module's life cycle: load, link kind, generic netlink family, devices in
# several namespaces, delete, unload with devices present, reload.
# timeout: 120
. "$(dirname "$0")/../lib.sh"

kmsg_mark
rmmod wgmesh 2>/dev/null
check "module inserts (with its dependencies)" wgm_load
check "module is listed in /sys/module" test -d /sys/module/wgmesh

ns_new a
ns_new b
check "ip link add ... type wgmesh creates a device" ip -n a link add wgm0 type wgmesh
check "the device reports link kind wgmesh" \
	bash -c "ip -n a -d link show wgm0 | grep -qw wgmesh"
check "the device's default MTU is 1420" \
	bash -c "ip -n a link show wgm0 | grep -q 'mtu 1420 '"
check "the device comes up" ip -n a link set wgm0 up
check "generic netlink family wgmesh resolves" \
	bash -c "genl ctrl get name wgmesh | grep -q 'Version: 0x1'"
check "the family has the multicast group 'events'" \
	bash -c "genl ctrl get name wgmesh | grep -A3 'multicast groups' | grep -q events"
check "the device can be deleted" ip -n a link del wgm0
check_fails "a deleted device is gone from /proc/net/dev" \
	ip netns exec a grep -q wgm0 /proc/net/dev

for i in 1 2 3; do
	ip -n a link add "wgm$i" type wgmesh
	ip -n b link add "wgm$i" type wgmesh
done
check "three devices in each of two namespaces" \
	bash -c "[ \$(ip netns exec a grep -c wgm /proc/net/dev) -eq 3 ] && [ \$(ip netns exec b grep -c wgm /proc/net/dev) -eq 3 ]"
check "rmmod with devices present succeeds" rmmod wgmesh
check_fails "rmmod removed the devices of namespace a" ip netns exec a grep -q wgm /proc/net/dev
check_fails "rmmod removed the devices of namespace b" ip netns exec b grep -q wgm /proc/net/dev
check_fails "rmmod left no module behind" test -d /sys/module/wgmesh
check_fails "rmmod left no generic netlink family behind" genl ctrl get name wgmesh
check "module inserts again after removal" wgm_load
check "a device can be created after reload" ip -n a link add wgm9 type wgmesh
ip netns del a
if wait_until 20 rmmod wgmesh; then
	ok "deleting a namespace that holds a device leaves the module removable"
else
	not_ok "deleting a namespace that holds a device leaves the module removable" \
		"rmmod still failing 20 s after ip netns del: $(rmmod wgmesh 2>&1)"
fi
check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

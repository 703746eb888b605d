#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The netlink fuzzer (selftests/tools/nlfuzz, a randomized libnl client),
# NLFUZZ_SECS (default 300) seconds as root and as many again as an
# unprivileged user (--unpriv: every command must get EPERM).  Missing
# binary: a failure, not a skip.  The kernel must not complain.
# timeout: 300+3*NLFUZZ_SECS
. "$(dirname "$0")/../lib.sh"

secs=${NLFUZZ_SECS:-300}
fuzz=
for f in "$TOP/selftests/tools/nlfuzz" "$TOP/build/selftests/nlfuzz" "$TOP/build/selftests/tools/nlfuzz"; do
	[ -x "$f" ] && { fuzz=$f; break; }
done
if [ -z "$fuzz" ]; then
	not_ok "nlfuzz as root" "missing: selftests/tools/nlfuzz is not built"
	not_ok "nlfuzz --unpriv" "missing: selftests/tools/nlfuzz is not built"
	done_testing
fi
kmsg_mark
wgm_load
# nlfuzz aims at devices it is given: two, one of them up
ip link add wgsf0 type wgmesh && ip link add wgsf1 type wgmesh && ip link set wgsf0 up
check "nlfuzz as root for ${secs}s" "$fuzz" --seconds "$secs" --dev wgsf0 --dev wgsf1
check "nlfuzz --unpriv for ${secs}s" "$fuzz" --seconds "$secs" --unpriv --dev wgsf0 --dev wgsf1
ip link del wgsf0 2>/dev/null
ip link del wgsf1 2>/dev/null
check "the module unloads after fuzzing" rmmod wgmesh
check "the module loads again" wgm_load
check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

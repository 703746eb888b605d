#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The netlink fuzzer (selftests/tools/nlfuzz.c), bounded: NLFUZZ_SECS
# (default 20) as root and NLFUZZ_UNPRIV_SECS (default 10) as nobody with no
# capabilities, against a working tunnel device and a second device with 300
# peers (dumps span many messages).  Then the tunnel must still carry
# traffic once reconfigured, dumps must still work, and the kernel log must
# be clean.  Before the fuzzing, a dump read only in part must not hold up
# peer removal or device deletion.  Each run prints its seed: `nlfuzz --seed S ...` replays it.
# timeout: 300
. "$(dirname "$0")/../lib.sh"

NLFUZZ=$TOP/build/selftests/tools/nlfuzz
ROOT_SECS=${NLFUZZ_SECS:-20}
UNPRIV_SECS=${NLFUZZ_UNPRIV_SECS:-10}

# run_fuzz DESC ARGS...: nlfuzz in namespace a; its output as TAP comments.
run_fuzz() {
	local desc=$1 rc
	shift
	wgm_tmp
	ip netns exec a "$@" >"$WGM_TMP/fuzz.out" 2>&1
	rc=$?
	sed 's/^/# /' "$WGM_TMP/fuzz.out" | tail -n 30
	if [ "$rc" = 0 ]; then
		ok "$desc"
	else
		not_ok "$desc" "nlfuzz exited $rc"
	fi
}

# a_conf: a's tunnel configuration as set up by tun_pair, for setconf.
a_conf() {
	cat <<EOF
[Interface]
PrivateKey = $(key_of a "$DEV_A")
ListenPort = $PORT_A

[Peer]
PublicKey = $(pub_of b "$DEV_B")
AllowedIPs = $INNER4.2/32, $INNER6:2/128
Endpoint = 192.0.2.2:$PORT_B
EOF
}

kmsg_mark
if [ ! -x "$NLFUZZ" ]; then
	not_ok "nlfuzz is built" "$NLFUZZ missing (make selftests)"
	done_testing
	exit
fi
if ! tun_pair dut dut 4 a; then
	not_ok "tunnel pair set up"
	done_testing
	exit
fi
check "the tunnel works before fuzzing" pings a "$INNER4.2" 30

ip -n a link add wgfz type wgmesh
python3 - >"$WGM_TMP/big.conf" <<'EOF'
import base64, os
print("[Interface]\nListenPort = 41000\n")
for i in range(300):
    key = base64.b64encode(os.urandom(32)).decode()
    print(f"[Peer]\nPublicKey = {key}\nAllowedIPs = 10.{i // 256}.{i % 256}.0/24, fd00::{i:x}/128")
    print(f"Endpoint = 198.51.100.{i % 250 + 1}:{1000 + i}\n")
EOF
check "a second device with 300 peers" ip netns exec a "$MESHADM" setconf wgfz "$WGM_TMP/big.conf"

# A dump left unread in the middle holds nothing: removing a peer and
# deleting the device go through while it waits, and the rest of the dump
# ends with ENODEV once the device is gone (uapi wgmesh.h, GET_DEVICE).
HOLD=$TOP/selftests/tools/dump-hold.py
sed 's/^ListenPort = 41000$/ListenPort = 41001/' "$WGM_TMP/big.conf" >"$WGM_TMP/hold.conf"
ip -n a link add wghold type wgmesh
ip netns exec a "$MESHADM" setconf wghold "$WGM_TMP/hold.conf"
gone=$(sed -n 's/^PublicKey = //p' "$WGM_TMP/hold.conf" | sed -n 150p)
out=$(ip netns exec a python3 "$HOLD" wghold "$MESHADM" set wghold peer "$gone" remove)
echo "# peer removal under an unread dump: $out"
check "removing a peer while a dump waits unread returns at once and succeeds" \
	grep -q ' cmd 0 ' <<<"$out"
check "... the dump then ends normally with every other peer" \
	grep -qE 'end done peers (299|300)$' <<<"$out"
check "... and the peer is gone" \
	test "$(ip netns exec a "$MESHADM" show wghold peers | wc -l)" = 299
out=$(ip netns exec a python3 "$HOLD" wghold ip link del wghold)
echo "# device deletion under an unread dump: $out"
check "deleting a device while a dump of it waits unread returns and succeeds" \
	grep -q ' cmd 0 ' <<<"$out"
check "... the rest of the dump ends with ENODEV" grep -q ' end errno:19 ' <<<"$out"
check "... and the device is gone" bash -c "! ip -n a link show wghold 2>/dev/null"

seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
run_fuzz "nlfuzz as root for $ROOT_SECS s: every request answered (seed $seed)" \
	"$NLFUZZ" --seconds "$ROOT_SECS" --seed "$seed" --dev "$DEV_A" --dev wgfz
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
run_fuzz "nlfuzz as nobody for $UNPRIV_SECS s: EPERM for every command (seed $seed)" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$NLFUZZ" --unpriv --seconds "$UNPRIV_SECS" --seed "$seed" --dev "$DEV_A" --dev wgfz

a_conf >"$WGM_TMP/a.conf"
check "the fuzzed device takes its configuration again" \
	ip netns exec a "$MESHADM" setconf "$DEV_A" "$WGM_TMP/a.conf"
check "the tunnel works after fuzzing" pings a "$INNER4.2" 60
check "the fuzzed device still dumps (its one peer)" \
	test "$(ip netns exec a "$MESHADM" show "$DEV_A" peers | wc -l)" = 1
check "both devices can be deleted" \
	bash -c "ip -n a link del wgfz && ip -n a link del $DEV_A"
check "the kernel logged no warning, bug or oops" kmsg_clean
tun_unpair
done_testing

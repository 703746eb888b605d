#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# meshadm without a data path: keys compatible with wg(8), device creation
# and removal over rtnetlink, and the errors an operator sees.
# timeout: 600
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

# genkey/genpsk "-" is stdout, as "private-key -" is stdin (not a file named "-").
k=$(cd "$tmp" && "$MESHADM" genkey -)
check "genkey - writes the key to stdout" \
	bash -c "[ ${#k} -eq 44 ] && [ \"\$(printf '%s\n' '$k' | '$MESHADM' pubkey)\" = \"\$(printf '%s\n' '$k' | wg pubkey)\" ]"
p=$(cd "$tmp" && "$MESHADM" genpsk -)
check "genpsk - writes a key to stdout" \
	bash -c "[ ${#p} -eq 44 ] && printf '%s\n' '$p' | '$MESHADM' pubkey >/dev/null"
check_fails "... and no file named '-' was created" test -e "$tmp/-"
# A key followed by any amount of whitespace is a key (wg accepts it too).
k=$(wg genkey)
{ printf '%s' "$k"; for i in $(seq 1 500); do printf ' \n\t'; done; } >"$tmp/kws"
check "wg accepts the key file with 1500 bytes of trailing whitespace" wg pubkey <"$tmp/kws"
check "pubkey accepts a key followed by 1500 bytes of whitespace" \
	test "$("$MESHADM" pubkey <"$tmp/kws" 2>&1)" = "$(printf '%s\n' "$k" | wg pubkey)"
printf '%s\n\nx\n' "$k" >"$tmp/kgarbage"
check_fails "pubkey refuses a key followed by whitespace and then text" "$MESHADM" pubkey <"$tmp/kgarbage"

ns_new a
check "meshadm dev add creates a wgmesh device" ip netns exec a "$MESHADM" dev add mesh0
check "set private-key FILE accepts a key followed by 1500 bytes of whitespace" \
	ip netns exec a "$MESHADM" set mesh0 private-key "$tmp/kws"
check "... and it is that key" \
	test "$(ip netns exec a "$MESHADM" show mesh0 public-key)" = "$(wg pubkey <"$tmp/kws")"
check "set peer PUBKEY accepts a key with a trailing newline" \
	ip netns exec a "$MESHADM" set mesh0 peer "$(wg pubkey <"$tmp/kws")
" allowed-ips 10.9.9.9/32
check_fails "set private-key refuses a file with text after the key" \
	ip netns exec a "$MESHADM" set mesh0 private-key "$tmp/kgarbage"
check "meshadm with no arguments shows all devices, as wg does" \
	bash -c "out=\$(ip netns exec a '$MESHADM') && [ -n \"\$out\" ] &&
		 [ \"\$out\" = \"\$(ip netns exec a '$MESHADM' show)\" ] &&
		 grep -q '^interface: mesh0' <<<\"\$out\""
# Without CAP_NET_ADMIN the kernel says EPERM: say what is needed.
out=$(ip netns exec a setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all "$MESHADM" set mesh0 listen-port 1234 2>&1)
rc=$?
check "set without CAP_NET_ADMIN fails" test "$rc" -ne 0
check "... and says it needs CAP_NET_ADMIN (run as root)" \
	grep -qF 'needs CAP_NET_ADMIN (run as root)' <<<"$out"
ip netns exec a "$MESHADM" set mesh0 peer "$(wg pubkey <"$tmp/kws")" remove
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

ip -n a link del dummy0
rmmod wgmesh
out=$(ip netns exec a "$MESHADM" dev add mesh1 2>&1)
check "without the module, dev add says to modprobe wgmesh" \
	bash -c "grep -q 'modprobe wgmesh' <<<'$out'"
for cmd in "show" "show all" "show interfaces" ""; do
	# shellcheck disable=SC2086
	out=$(ip netns exec a "$MESHADM" $cmd 2>&1)
	rc=$?
	check "without the module, 'meshadm $cmd' fails" test "$rc" -ne 0
	check "... and says to modprobe wgmesh" grep -q 'modprobe wgmesh' <<<"$out"
done
insmod "$WGM_KO"
check "with the module and no device, show prints nothing and succeeds" \
	test -z "$(ip netns exec a "$MESHADM" show)"
done_testing

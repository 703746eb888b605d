#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Large dumps while peers churn, for STRESS_SECS (default 60): a device with
# STRESS_PEERS (default 10,000) peers is dumped over and over (meshadm show
# dump, showconf, show --json) while a loop removes and re-adds peers.  Each
# dump must succeed and list between the lowest and highest peer count the
# churn can produce; at the end the device holds exactly its peers again and
# the kernel has not complained.
# timeout: 900+3*STRESS_SECS
. "$(dirname "$0")/../lib.sh"

CONF=$TOP/selftests/tools/wgconf.py
secs=${STRESS_SECS:-60}
peers=${STRESS_PEERS:-10000}
batch=20
kmsg_mark
wgm_tmp
ns_new a
check "device created" dev_create a big0 wgmesh
python3 "$CONF" gen "$peers" 1 7 >"$WGM_TMP/big.conf"
start=$(date +%s)
check "setconf with $peers peers" devcmd a big0 setconf "$WGM_TMP/big.conf"
echo "# setconf took $(($(date +%s) - start))s"
check "the device lists $peers peers" test "$(devcmd a big0 show peers | wc -l)" = "$peers"
nkeys=$((peers < 2000 ? peers : 2000))	# the peers that churn
awk '/^PublicKey/ { print $3 }' "$WGM_TMP/big.conf" | head -n "$nkeys" >"$WGM_TMP/keys"
ip -n a link set big0 up

# churn: remove a batch of known peers, then add them back, until told to stop.
churn() {
	local n=0 fail=0 k args
	mapfile -t all <"$WGM_TMP/keys"
	while [ ! -e "$WGM_TMP/stop" ]; do
		args=()
		for k in "${all[@]:$(( (n * batch) % nkeys )):$batch}"; do
			args+=(peer "$k" remove)
		done
		devcmd a big0 set "${args[@]}" || fail=$((fail + 1))
		args=()
		for k in "${all[@]:$(( (n * batch) % nkeys )):$batch}"; do
			args+=(peer "$k" allowed-ips "10.250.$((n % 250)).$((RANDOM % 250))/32")
		done
		devcmd a big0 set "${args[@]}" || fail=$((fail + 1))
		n=$((n + 1))
	done
	echo "$n $fail" >"$WGM_TMP/churn.res"
}
churn &
cpid=$!
on_exit "touch $WGM_TMP/stop; kill $cpid"

dumps=0 bad=0 range_bad=0
end=$(($(date +%s) + secs))
while [ "$(date +%s)" -lt "$end" ]; do
	case $((dumps % 3)) in
	0) out=$(devcmd a big0 show dump) || bad=$((bad + 1))
	   n=$(($(wc -l <<<"$out") - 1)) ;;
	1) out=$(devcmd a big0 showconf) || bad=$((bad + 1))
	   n=$(grep -c '^\[Peer\]' <<<"$out") ;;
	2) n=$(ip netns exec a "$MESHADM" show big0 --json |
	       python3 -c 'import json,sys; print(len(json.load(sys.stdin)["peers"]))') || bad=$((bad + 1)) ;;
	esac
	dumps=$((dumps + 1))
	if [ "$n" -lt $((peers - batch)) ] || [ "$n" -gt "$peers" ]; then
		range_bad=$((range_bad + 1))
		echo "# dump $dumps listed $n peers"
	fi
done
touch "$WGM_TMP/stop"
wait "$cpid"
read -r rounds cfail <"$WGM_TMP/churn.res"
echo "# $dumps dumps, $rounds churn rounds"
check "at least one dump ran while peers churned" test "$dumps" -gt 0 -a "$rounds" -gt 0
check "every dump succeeded ($bad failures)" test "$bad" = 0
check "every dump listed $((peers - batch))..$peers peers ($range_bad outside)" test "$range_bad" = 0
check "every churn step succeeded ($cfail failures)" test "$cfail" = 0
check "after the churn the device lists $peers peers" \
	test "$(devcmd a big0 show peers | wc -l)" = "$peers"
check "the device can be deleted with $peers peers" ip -n a link del big0
check "kernel log has no warning, bug or oops" kmsg_clean
done_testing

# SPDX-License-Identifier: GPL-2.0-only
#
# Shell library for wgmesh VM selftests.  Source it from selftests/vm/NN-*.sh:
#
#   . "$(dirname "$0")/../lib.sh"
#   ns_new a
#   check "device can be created" ip -n a link add wgm0 type wgmesh
#   done_testing
#
# Every assertion prints one TAP line.  Tests run as root inside the VM
# (scripts/vm); never on the host.  Waiting is done with wait_until, which
# polls a condition with a bound; a sleep is never an assertion.

set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
WGM_KO=${WGM_KO:-$TOP/kernel/wgmesh.ko}	# override to test another build
WGM_NL=$TOP/build/selftests/wgm-nl
MESHADM=$TOP/userland/meshadm
_tap_n=0
_tap_fail=0
_ns_list=()
_cleanup_cmds=()

if [ -z "${WGM_IN_VM:-}" ]; then
	echo "Bail out! $0 must run inside the test VM (scripts/vm), not on the host" >&2
	exit 1
fi

# ok DESC
ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $*"
}

# not_ok DESC [REASON...]
not_ok() {
	local desc=$1
	shift
	_tap_n=$((_tap_n + 1))
	_tap_fail=$((_tap_fail + 1))
	echo "not ok $_tap_n - $desc"
	[ $# -gt 0 ] && echo "#   $*"
	return 0
}

# skip DESC REASON: counted as skipped, which the runner does not count as passed.
skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP ${2:-}"
}

# check DESC CMD...: CMD's exit status decides; its output is shown on failure.
# CMD runs in a subshell: what it sets (variables, namespaces registered for
# cleanup by ns_new) is lost, so set up topologies outside check.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc" "command failed (status $?): $*"
		[ -n "$out" ] && printf '%s\n' "$out" | head -n 20 | sed 's/^/#   /'
	fi
}

# check_fails DESC CMD...: passes when CMD fails.
check_fails() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		not_ok "$desc" "command unexpectedly succeeded: $*"
		[ -n "$out" ] && printf '%s\n' "$out" | head -n 20 | sed 's/^/#   /'
	else
		ok "$desc"
	fi
}

# wait_until TIMEOUT_SEC CMD...: poll CMD until it succeeds, first every
# 0.1 s, then backing off to once a second: under TCG every poll (a fork and
# an exec or two) costs CPU time that the processes being waited for need.
# Returns 0 when it did, 1 when TIMEOUT_SEC passed first.  WGM_WAIT_SCALE
# (an integer, default 1; make check-debug sets 3) stretches every wait on
# kernels that run several times slower; what is awaited does not change.
wait_until() {
	local limit=$1 end now nap=0.1
	shift
	end=$((${EPOCHREALTIME/./} + limit * ${WGM_WAIT_SCALE:-1} * 1000000))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		now=${EPOCHREALTIME/./}
		[ "$now" -ge "$end" ] && return 1
		sleep "$nap"
		case $nap in
		0.1) nap=0.2 ;;
		0.2) nap=0.4 ;;
		0.4) nap=0.7 ;;
		*) nap=1 ;;
		esac
	done
}

# ere_quote STRING: STRING with every character that means something in an
# extended regular expression escaped (keys hold + and /, addresses dots).
ere_quote() {
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

# _fail_showing FILE WHY: prints WHY and FILE's last lines (what check
# shows of a failure: 20 lines), and fails.
_fail_showing() {
	echo "$2; the last lines of $1:"
	tail -n 19 "$1"
	return 1
}

# file_shows TIMEOUT_SEC FILE ERE: wait_until FILE has a line matching ERE
# (grep -E); when none comes, check shows what was there instead.
file_shows() {
	wait_until "$1" grep -Eq -- "$3" "$2" && return 0
	_fail_showing "$2" "no line matches: $3"
}

# still_running PID FILE: process PID is alive; if not, check shows FILE's
# last lines (its output, which says why it stopped).
still_running() {
	kill -0 "$1" 2>/dev/null && return 0
	_fail_showing "$2" "process $1 is gone"
}

# ns_new NAME: a fresh network namespace with lo up, removed at exit.
ns_new() {
	ip netns del "$1" 2>/dev/null
	ip netns add "$1" || return 1
	ip -n "$1" link set lo up
	_ns_list+=("$1")
}

# _ns_mine NAME: this test made namespace NAME (ns_new) and it still exists.
_ns_mine() {
	local ns
	for ns in "${_ns_list[@]}"; do
		[ "$ns" = "$1" ] && ip netns exec "$1" true 2>/dev/null && return 0
	done
	return 1
}

# on_exit CMD: run CMD (a string) at exit, in reverse order of registration.
on_exit() {
	_cleanup_cmds=("$1" "${_cleanup_cmds[@]}")
}

wgm_loaded() {
	[ -d /sys/module/wgmesh ]
}

# wgm_deps: load the modules wgmesh.ko needs (insmod does not resolve them).
wgm_deps() {
	local deps
	deps=$(modinfo -F depends "$WGM_KO" | tr , ' ')
	[ -z "$deps" ] && return 0
	# shellcheck disable=SC2086
	modprobe -a $deps
}

# wgm_load: insert the freshly built module unless it is loaded.
wgm_load() {
	wgm_loaded && return 0
	wgm_deps && insmod "$WGM_KO"
}

# kmsg_mark / kmsg_clean: has the kernel logged a warning, bug or oops since
# the mark?  kmsg_clean prints the offending lines.
kmsg_mark() {
	_kmsg_mark=$(dmesg | wc -l)
}

kmsg_clean() {
	local bad
	bad=$(dmesg | tail -n +"$((${_kmsg_mark:-0} + 1))" |
	      grep -E 'WARNING:|BUG:|Oops|general protection|KASAN|UBSAN|refcount_t:|list_(add|del) corruption|unreferenced object|Call Trace' || true)
	[ -z "$bad" ] && return 0
	printf '%s\n' "$bad" | head -n 20 | sed 's/^/#   kmsg: /'
	return 1
}

_wgm_cleanup() {
	local c ns
	for c in "${_cleanup_cmds[@]}"; do
		eval "$c" >/dev/null 2>&1
	done
	for ns in "${_ns_list[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}
trap _wgm_cleanup EXIT

# done_testing: print the plan; the exit status says whether all passed.
done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_fail" -eq 0 ]
	exit $?
}

# ---------------------------------------------------------------------------
# NAT topologies.  An "internet" namespace (inet) holds a bridge with
# 203.0.113.254/24 and 2001:db8::fe/64; each site N has a router namespace
# rN (WAN 203.0.113.N, LAN 10.N.0.1/24) doing masquerade with a stateful
# firewall that drops everything unsolicited, and a host namespace hN
# (10.N.0.2/24) behind it.
#
#   topo_internet
#   topo_site N [symmetric]   # symmetric: masquerade random,fully-random
#   topo_lan_host N M         # another host hN_M (10.N.0.M) on site N's LAN
# ---------------------------------------------------------------------------
INET_V4=203.0.113.254

topo_internet() {
	ns_new inet
	ip -n inet link add br0 type bridge
	ip -n inet addr add "$INET_V4/24" dev br0
	ip -n inet addr add 2001:db8::fe/64 dev br0 nodad
	ip -n inet link set br0 up
}

topo_site() {
	local n=$1 mode=${2:-} r=r$1 h=h$1 masq=masquerade
	ns_new "$r"
	ns_new "$h"
	ip link add wan netns "$r" type veth peer name "wan$n" netns inet
	ip -n inet link set "wan$n" master br0 up
	ip -n "$r" addr add "203.0.113.$n/24" dev wan
	ip -n "$r" link set wan up
	ip -n "$r" link add lan type bridge
	ip -n "$r" addr add "10.$n.0.1/24" dev lan
	ip -n "$r" link set lan up
	ip link add eth0 netns "$h" type veth peer name p2 netns "$r"
	ip -n "$r" link set p2 master lan up
	ip -n "$h" addr add "10.$n.0.2/24" dev eth0
	ip -n "$h" link set eth0 up
	ip -n "$h" route add default via "10.$n.0.1"
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
	[ "$mode" = symmetric ] && masq="masquerade random,fully-random"
	ip netns exec "$r" nft -f - <<NFT
table inet nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" $masq
	}
}
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iifname "lo" accept
		iifname "lan" accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "lan" oifname "wan" accept
	}
}
NFT
}

topo_lan_host() {
	local n=$1 m=$2 h="h$1_$2"
	ns_new "$h"
	ip link add eth0 netns "$h" type veth peer name "p$m" netns "r$n"
	ip -n "r$n" link set "p$m" master lan up
	ip -n "$h" addr add "10.$n.0.$m/24" dev eth0
	ip -n "$h" link set eth0 up
	ip -n "$h" route add default via "10.$n.0.1"
}

# ---------------------------------------------------------------------------
# Device under test (DUT).  The interop, mesh, robustness and teardown tests
# (selftests/vm/2*) judge one kind of tunnel device, named by WGM_DUT:
#
#   wgmesh     ip link add NAME type wgmesh, configured with meshadm (default)
#   wireguard  the in-tree module, configured with wg: runs the same tests
#              against the reference implementation, to validate the tests
#
# Peers may be of kind wgmesh, wireguard or wggo (wireguard-go, userspace,
# configured with wg over its UAPI socket; give it a name no kernel device
# uses, wg prefers the socket).  The kind "dut" means $WGM_DUT.
#
#   net_pair [A B]                   namespaces A, B (default a, b) joined by a
#                                    veth: 192.0.2.{1,2}/24, 2001:db8:1::{1,2}/64
#   tun_dev NS DEV KIND PORT N       tunnel device with a fresh key, listen port
#                                    PORT, inner 10.9.0.N/24 and fd09::N/64, up
#   tun_peer NS DEV PNS PDEV [endpoint 4|6] [psk FILE] [pubkey KEY] [allowed CIDRS]
#                                    make PNS/PDEV a peer of NS/DEV
#   devcmd NS DEV SUBCMD ARGS...     the device's tool: TOOL SUBCMD DEV ARGS...
#   cnt_setup NS PORT [MATCH]        nft counters on NS's output for UDP from
#                                    PORT (and MATCH): all, t1..t4 (message
#                                    type), other; cnt_get NS NAME reads one
# ---------------------------------------------------------------------------
WGM_DUT=${WGM_DUT:-wgmesh}
INNER4=10.9.0
INNER6=fd09:
declare -A _dev_kind=() _dev_port=() _dev_n=() _dev_pid=()
WGM_TMP=

wgm_tmp() {
	umask 077
	if [ -z "$WGM_TMP" ]; then
		WGM_TMP=$(mktemp -d /tmp/wgm.XXXXXX)
		on_exit "rm -rf $WGM_TMP"
	fi
}

# kind_of KIND: resolve "dut".
kind_of() {
	if [ "$1" = dut ]; then echo "$WGM_DUT"; else echo "$1"; fi
}

# kind_module KIND: the kernel module behind a device kind (none for wggo).
kind_module() {
	case $(kind_of "$1") in
	wgmesh) echo wgmesh ;;
	wireguard) echo wireguard ;;
	esac
}

# dut_load / dut_unload: (un)load the DUT's module.
dut_load() {
	case $WGM_DUT in
	wgmesh) wgm_load ;;
	*) modprobe "$(kind_module "$WGM_DUT")" ;;
	esac
}

dut_unload() {
	rmmod "$(kind_module "$WGM_DUT")"
}

dut_loaded() {
	[ -d "/sys/module/$(kind_module "$WGM_DUT")" ]
}

# kind_tool KIND: the configuration program.
kind_tool() {
	case $(kind_of "$1") in
	wgmesh) echo "$MESHADM" ;;
	*) echo wg ;;
	esac
}

# devcmd NS DEV SUBCMD ARGS...: run DEV's tool in NS as "TOOL SUBCMD DEV ARGS".
devcmd() {
	local ns=$1 dev=$2 sub=$3
	shift 3
	ip netns exec "$ns" "$(kind_tool "${_dev_kind[$ns/$dev]:-dut}")" "$sub" "$dev" "$@"
}

# dev_create NS DEV KIND: a bare tunnel device (down, unconfigured).
dev_create() {
	local ns=$1 dev=$2 kind
	kind=$(kind_of "$3")
	case $kind in
	wgmesh)
		if ! wgm_load || ! ip -n "$ns" link add "$dev" type wgmesh; then
			echo "# dev_create: cannot create wgmesh device $ns/$dev" >&2
			return 1
		fi
		;;
	wireguard)
		if ! modprobe wireguard || ! ip -n "$ns" link add "$dev" type wireguard; then
			echo "# dev_create: cannot create wireguard device $ns/$dev" >&2
			return 1
		fi
		;;
	wggo)
		modprobe tun
		ip netns exec "$ns" wireguard-go -f "$dev" >/dev/null 2>&1 &
		_dev_pid[$ns/$dev]=$!
		on_exit "kill $! 2>/dev/null; rm -f /var/run/wireguard/$dev.sock"
		# a Go binary starts slowly under TCG
		if ! wait_until 60 test -S "/var/run/wireguard/$dev.sock"; then
			echo "# dev_create: wireguard-go $dev made no control socket in 60 s" >&2
			return 1
		fi
		;;
	*)
		echo "dev_create: unknown kind $kind" >&2
		return 1
		;;
	esac
	_dev_kind[$ns/$dev]=$kind
}

# dev_kind NS DEV: the kind a device was created with.
dev_kind() {
	echo "${_dev_kind[$1/$2]}"
}

# net_pair [A B]: two namespaces on one veth.
net_pair() {
	local a=${1:-a} b=${2:-b}
	ns_new "$a" || return 1
	ns_new "$b" || return 1
	ip link add eth0 netns "$a" type veth peer name eth0 netns "$b" || return 1
	ip -n "$a" addr add 192.0.2.1/24 dev eth0
	ip -n "$a" addr add 2001:db8:1::1/64 dev eth0 nodad
	ip -n "$b" addr add 192.0.2.2/24 dev eth0
	ip -n "$b" addr add 2001:db8:1::2/64 dev eth0 nodad
	ip -n "$a" link set eth0 up
	ip -n "$b" link set eth0 up
}

# outer_addr NS FAMILY: NS's first global outer address on eth0.
outer_addr() {
	ip -n "$1" -"$2" -o addr show dev eth0 scope global |
		awk '{ sub(/\/.*/, "", $4); print $4; exit }'
}

# tun_dev NS DEV KIND PORT N: device with key, port, inner addresses, up.
tun_dev() {
	local ns=$1 dev=$2 kind=$3 port=$4 n=$5
	wgm_tmp
	dev_create "$ns" "$dev" "$kind" || return 1
	(umask 077; wg genkey >"$WGM_TMP/$ns-$dev.key")
	wg pubkey <"$WGM_TMP/$ns-$dev.key" >"$WGM_TMP/$ns-$dev.pub"
	devcmd "$ns" "$dev" set private-key "$WGM_TMP/$ns-$dev.key" listen-port "$port" || return 1
	ip -n "$ns" addr add "$INNER4.$n/24" dev "$dev"
	ip -n "$ns" addr add "$INNER6:$n/64" dev "$dev" nodad
	ip -n "$ns" link set "$dev" up || return 1
	_dev_port[$ns/$dev]=$port
	_dev_n[$ns/$dev]=$n
}

# pub_of NS DEV / key_of NS DEV: a tunnel device's public / private key.
pub_of() {
	cat "$WGM_TMP/$1-$2.pub"
}

key_of() {
	cat "$WGM_TMP/$1-$2.key"
}

port_of() {
	echo "${_dev_port[$1/$2]}"
}

# endpoint_of NS DEV FAMILY: "addr:port" / "[addr]:port" of DEV's socket.
endpoint_of() {
	local addr
	addr=$(outer_addr "$1" "$3")
	if [ "$3" = 6 ]; then
		echo "[$addr]:${_dev_port[$1/$2]}"
	else
		echo "$addr:${_dev_port[$1/$2]}"
	fi
}

# tun_peer NS DEV PNS PDEV [endpoint 4|6] [psk FILE] [pubkey KEY] [allowed CIDRS]
# [keepalive SECS]: add PNS/PDEV as a peer of NS/DEV (allowed IPs default to
# PDEV's inner /32 and /128).
tun_peer() {
	local ns=$1 dev=$2 pns=$3 pdev=$4 n pub allowed args=()
	shift 4
	n=${_dev_n[$pns/$pdev]}
	pub=$(pub_of "$pns" "$pdev")
	allowed="$INNER4.$n/32,$INNER6:$n/128"
	while [ $# -gt 0 ]; do
		case $1 in
		endpoint) args+=(endpoint "$(endpoint_of "$pns" "$pdev" "$2")") ;;
		psk) args+=(preshared-key "$2") ;;
		pubkey) pub=$2 ;;
		allowed) allowed=$2 ;;
		keepalive) args+=(persistent-keepalive "$2") ;;
		*) echo "tun_peer: unknown option $1" >&2; return 1 ;;
		esac
		shift 2
	done
	devcmd "$ns" "$dev" set peer "$pub" allowed-ips "$allowed" "${args[@]}"
}

# tun_pair KIND_A KIND_B OUTER INITIATOR [psk]: a/DEV_A and b/DEV_B (globals,
# default wga/wgb) peered; only INITIATOR (a, b or both) knows the other's
# endpoint (of family OUTER), so only it can start the handshake.
DEV_A=wga
DEV_B=wgb
PORT_A=51820
PORT_B=51821
tun_pair() {
	local ka=$1 kb=$2 outer=$3 init=$4 psk=${5:-} ea=() eb=() pa=() pb=()
	wgm_tmp
	# a pair this test made is reused; anything else named a or b (left by
	# an earlier test) is replaced, so no test inherits another's devices
	if ! _ns_mine a || ! _ns_mine b; then
		if ip netns exec a true 2>/dev/null && ! _ns_mine a; then
			echo "# tun_pair: namespace a was left by an earlier test: replaced" >&2
		fi
		net_pair a b || return 1
	fi
	tun_dev a "$DEV_A" "$ka" "$PORT_A" 1 || return 1
	tun_dev b "$DEV_B" "$kb" "$PORT_B" 2 || return 1
	case $init in
	a) ea=(endpoint "$outer") ;;
	b) eb=(endpoint "$outer") ;;
	both) ea=(endpoint "$outer"); eb=(endpoint "$outer") ;;
	esac
	if [ -n "$psk" ]; then
		(umask 077; wg genpsk >"$WGM_TMP/psk")
		pa=(psk "$WGM_TMP/psk")
		pb=(psk "$WGM_TMP/psk")
	fi
	tun_peer a "$DEV_A" b "$DEV_B" "${ea[@]}" "${pa[@]}" || return 1
	tun_peer b "$DEV_B" a "$DEV_A" "${eb[@]}" "${pb[@]}" || return 1
}

# tun_unpair: remove the devices tun_pair made (the namespaces stay).
tun_unpair() {
	local k ns dev
	for k in "${!_dev_kind[@]}"; do
		ns=${k%%/*}
		dev=${k#*/}
		if [ "${_dev_kind[$k]}" = wggo ]; then
			kill "${_dev_pid[$k]}" 2>/dev/null
			wait "${_dev_pid[$k]}" 2>/dev/null
			rm -f "/var/run/wireguard/$dev.sock"
		fi
		ip -n "$ns" link del "$dev" 2>/dev/null
	done
	_dev_kind=()
	_dev_port=()
	_dev_n=()
	return 0
}

# pings NS ADDR [SECS]: wait until one ping gets through (default 15 s).
pings() {
	wait_until "${3:-15}" ip netns exec "$1" ping -c1 -W1 "$2"
}

# handshake_done NS DEV: every peer of DEV has a latest handshake.
handshake_done() {
	local hs
	hs=$(devcmd "$1" "$2" show latest-handshakes) || return 1
	[ -n "$hs" ] && ! awk '$2 == 0 { bad = 1 } END { exit !bad }' <<<"$hs"
}

# tcp_xfer SRC DST ADDR [BYTES]: send BYTES (default 256 KiB) of random data
# over TCP from namespace SRC to ADDR in namespace DST; succeeds when they
# arrive intact.
tcp_xfer() {
	local src=$1 dst=$2 addr=$3 bytes=${4:-262144} lpid rc
	wgm_tmp
	head -c "$bytes" /dev/urandom >"$WGM_TMP/xfer.in"
	rm -f "$WGM_TMP/xfer.out"
	ip netns exec "$dst" timeout $((60 * ${WGM_WAIT_SCALE:-1})) socat -u TCP6-LISTEN:5201,ipv6only=0,reuseaddr \
		"OPEN:$WGM_TMP/xfer.out,creat,trunc" &
	lpid=$!
	if ! wait_until 10 bash -c "ip netns exec $dst ss -Hltn | grep -q ':5201 '"; then
		kill "$lpid" 2>/dev/null
		echo "tcp_xfer: listener did not start" >&2
		return 1
	fi
	if [[ $addr == *:* ]]; then addr="[$addr]"; fi
	ip netns exec "$src" timeout $((60 * ${WGM_WAIT_SCALE:-1})) socat -u "OPEN:$WGM_TMP/xfer.in" "TCP:$addr:5201,connect-timeout=10"
	rc=$?
	[ "$rc" -ne 0 ] && kill "$lpid" 2>/dev/null
	wait "$lpid"
	[ "$rc" -eq 0 ] && cmp -s "$WGM_TMP/xfer.in" "$WGM_TMP/xfer.out"
}

# cnt_setup NS PORT [MATCH...]: named counters in NS for UDP packets leaving
# from PORT (and matching MATCH, an nft expression): all, t1..t4 (first
# payload byte = WireGuard message type), other.
cnt_setup() {
	local ns=$1 port=$2 match
	shift 2
	match="udp sport $port $*"
	ip netns exec "$ns" nft delete table inet wgmcnt 2>/dev/null
	ip netns exec "$ns" nft -f - <<NFT
table inet wgmcnt {
	counter c_all {
	}
	counter c_t1 {
	}
	counter c_t2 {
	}
	counter c_t3 {
	}
	counter c_t4 {
	}
	counter c_other {
	}
	chain out {
		type filter hook output priority filter; policy accept;
		$match counter name c_all
		$match @th,64,32 0x01000000 counter name c_t1
		$match @th,64,32 0x02000000 counter name c_t2
		$match @th,64,32 0x03000000 counter name c_t3
		$match @th,64,32 0x04000000 counter name c_t4
		$match @th,64,32 != { 0x01000000, 0x02000000, 0x03000000, 0x04000000 } counter name c_other
	}
}
NFT
}

# cnt_get NS NAME: packets counted so far.
cnt_get() {
	ip netns exec "$1" nft list counter inet wgmcnt "c_$2" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

# cnt_ge NS NAME N: counter NAME has reached N.
cnt_ge() {
	[ "$(cnt_get "$1" "$2")" -ge "$3" ]
}

# peer_field NS DEV FIELD: "wg show DEV dump" column of the first peer
# (1 pubkey, 2 psk, 3 endpoint, 4 allowed ips, 5 handshake, 6 rx, 7 tx, 8 keepalive).
peer_field() {
	devcmd "$1" "$2" show dump | awk -v f="$3" 'NR == 2 { print $f; exit }'
}

# dev_json NS DEV: "meshadm show DEV --json" for a wgmesh device; for the
# wg-configured kinds the same object built from "wg show DEV dump"
# (selftests/tools/wgjson.py), so JSON tests can run against wireguard.
dev_json() {
	if [ "$(dev_kind "$1" "$2")" = wgmesh ]; then
		ip netns exec "$1" "$MESHADM" show "$2" --json
	else
		devcmd "$1" "$2" show dump | python3 "$TOP/selftests/tools/wgjson.py" fromdump "$2"
	fi
}

# ---------------------------------------------------------------------------
# Candidates and probing (4x-nat-*, 5x-probe*).
#
#   tun_mesh PORT NS1 DEV1 N1 NS2 DEV2 N2   two wgmesh devices (tun_dev, both
#                                           on PORT) made peers of each other
#   cand_has NS DEV REGEX                   DEV's "candidates:" line matches
#                                           the extended regex REGEX
# ---------------------------------------------------------------------------
tun_mesh() {
	local port=$1
	tun_dev "$2" "$3" wgmesh "$port" "$4"
	tun_dev "$5" "$6" wgmesh "$port" "$7"
	tun_peer "$2" "$3" "$5" "$6"
	tun_peer "$5" "$6" "$2" "$3"
}

cand_has() {
	devcmd "$1" "$2" show | grep 'candidates:' | grep -Eq "$3"
}

# ---------------------------------------------------------------------------
# meshd and meshcoord (6x-meshd*): the service listens on the "internet"
# (topo_internet) at $COORD, its state in $WGM_TMP/coord.
#
#   meshd_setup SITE...   kmsg_mark, wgm_tmp, topo_internet, topo_site for
#                         each SITE (N, or N:MODE such as 3:symmetric), the
#                         service's state: CKEY (its public key), AKEY (a
#                         reusable auth key)
#   coord ARGS...         meshcoord ARGS on that state (pubkey, authkey, nodes)
#   coord_start           the service in the background (COORD_PID); with
#                         STUN on $INET_V4:3478, logging to $WGM_TMP/coord.log
#   coord_stop            stop it and wait for it
#   coord_listening       its TCP port is open
#   mesh_addr4 NS         the overlay IPv4 (mesh_addr6: global IPv6) address
#                         meshd gave NS's mesh0; empty when none
#   mesh_npeers NS        how many peers NS's mesh0 has
#   meshd_start N [ARG...] hN's agent (mesh0, state $WGM_TMP/hN, name hN,
#                         log $WGM_TMP/hN.log) with ARGs added, in the
#                         background; its pid in MESHD_PID[N]
#   mesh_dump_logs N...   the tails of coord.log and hN.log, and hN's
#                         meshadm show (for a failed test)
#   nft_counter NS FAMILY TABLE NAME [bytes]   packets (or bytes) of a
#                         named nft counter
# ---------------------------------------------------------------------------
MESHD=$TOP/userland/meshd/meshd
MESHCOORD=$TOP/userland/coord/meshcoord
COORD=$INET_V4:7443
COORD_PID=
CKEY=
AKEY=

meshd_setup() {
	local n
	kmsg_mark
	wgm_tmp
	topo_internet
	for n in "$@"; do
		case $n in
		*:*) topo_site "${n%%:*}" "${n#*:}" ;;
		*) topo_site "$n" ;;
		esac
	done
	mkdir -p "$WGM_TMP/coord"
	CKEY=$(coord pubkey)
	AKEY=$(coord authkey create --reusable | tail -n 1)
}

coord() {
	ip netns exec inet "$MESHCOORD" --state "$WGM_TMP/coord" "$@"
}

coord_start() {
	ip netns exec inet "$MESHCOORD" --listen "$COORD" --stun "$INET_V4:3478" \
		--state "$WGM_TMP/coord" >>"$WGM_TMP/coord.log" 2>&1 &
	COORD_PID=$!
}

coord_stop() {
	kill "$COORD_PID" 2>/dev/null
	wait "$COORD_PID" 2>/dev/null
}

coord_listening() {
	ip netns exec inet ss -Hltn "sport = :7443" | grep -q LISTEN
}

mesh_addr4() {
	ip -n "$1" -4 -o addr show dev mesh0 2>/dev/null | awk '{ print $4 }' | cut -d/ -f1
}

mesh_addr6() {
	ip -n "$1" -6 -o addr show dev mesh0 scope global 2>/dev/null |
		awk '{ print $4 }' | cut -d/ -f1
}

mesh_npeers() {
	ip netns exec "$1" "$MESHADM" show mesh0 peers 2>/dev/null | grep -c .
}

MESHD_PID=()

meshd_start() {
	local n=$1
	shift
	ip netns exec "h$n" "$MESHD" --coord "$COORD" --coord-key "$CKEY" \
		--authkey "$AKEY" --interface mesh0 --state "$WGM_TMP/h$n" \
		--name "h$n" "$@" >>"$WGM_TMP/h$n.log" 2>&1 &
	MESHD_PID[n]=$!
	on_exit "kill $! 2>/dev/null"
}

mesh_dump_logs() {
	local n
	echo "# ---- coord.log"
	tail -n 40 "$WGM_TMP/coord.log" 2>/dev/null | sed 's/^/#   /'
	for n in "$@"; do
		echo "# ---- h$n.log"
		tail -n 40 "$WGM_TMP/h$n.log" 2>/dev/null | sed 's/^/#   /'
		echo "# ---- h$n: meshadm show"
		ip netns exec "h$n" "$MESHADM" show mesh0 2>&1 | head -n 20 | sed 's/^/#   /'
	done
}

nft_counter() {
	local what=${5:-packets}
	ip netns exec "$1" nft list counter "$2" "$3" "$4" |
		awk -v w="$what" '{ for (i = 1; i < NF; i++) if ($i == w) { print $(i + 1); exit } }'
}

# WGM_KO_ALT, MESHADM_ALT: use this module file / meshadm instead of the
# checkout's (built in another tree, e.g. while kernel/Kbuild is incomplete).
WGM_KO=${WGM_KO_ALT:-$WGM_KO}
MESHADM=${MESHADM_ALT:-$MESHADM}

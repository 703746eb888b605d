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
WGM_KO=$TOP/kernel/wgmesh.ko
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

# wait_until TIMEOUT_SEC CMD...: poll CMD every 0.1 s until it succeeds.
# Returns 0 when it did, 1 when TIMEOUT_SEC passed first.
wait_until() {
	local limit=$1 end
	shift
	end=$(($(date +%s%N) + limit * 1000000000))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# ns_new NAME: a fresh network namespace with lo up, removed at exit.
ns_new() {
	ip netns del "$1" 2>/dev/null
	ip netns add "$1" || return 1
	ip -n "$1" link set lo up
	_ns_list+=("$1")
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

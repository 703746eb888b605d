#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# selftests/stress/run.sh: run the stress tests (selftests/stress/[0-9]*.sh)
# inside the VM, each bounded in time, each followed by "# tapsum stress/NAME
# pass fail skip" like selftests/run-tests.  Meant for the debug kernel
# (make check-debug) but runs on any kernel the module is built for.
#
# Environment:
#   STRESS_SECS   seconds each time-bounded test runs its load (default 60)
#   STRESS_CYCLES module load/unload cycles of 10-modload (default 200)
#   STRESS_PEERS  peers of 30-dump-churn (default 10000)
#   NLFUZZ_SECS   seconds of each nlfuzz run (default 300)
#   ST            a shell glob over test file names (default *)
#   WGM_TIMEOUT_SCALE  multiplies each test's time limit (default 1)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
export TOP=$top
export STRESS_SECS=${STRESS_SECS:-60}
export STRESS_CYCLES=${STRESS_CYCLES:-200}
export STRESS_PEERS=${STRESS_PEERS:-10000}
export NLFUZZ_SECS=${NLFUZZ_SECS:-300}
ST=${ST:-*}
scale=${WGM_TIMEOUT_SCALE:-1}

if [ -z "${WGM_IN_VM:-}" ]; then
	echo "selftests/stress/run.sh runs inside the VM (make check-debug)" >&2
	exit 2
fi

shopt -s nullglob
for t in "$top"/selftests/stress/[0-9]*.sh; do
	name=$(basename "$t")
	# shellcheck disable=SC2053
	[[ $name == $ST ]] || continue
	# "# timeout: BASE+K*SECS" -- fixed part plus K times the load duration.
	spec=$(sed -n 's/^# *timeout: *\([0-9+*A-Z_]*\).*/\1/p' "$t" | head -n 1)
	limit=$(( (${spec:-600}) * scale ))
	out=$(mktemp)
	echo "# ---- stress/$name (limit ${limit}s)"
	start=$(date +%s)
	timeout -k 10 "$limit" bash "$t" 2>&1 </dev/null | tee "$out"
	rc=${PIPESTATUS[0]}
	echo "# time stress/$name $(( $(date +%s) - start ))s"
	awk -v name="stress/$name" -v rc="$rc" -v limit="$limit" '
		/^ok [0-9]/ { if ($0 ~ /# *SKIP/) skip++; else pass++; next }
		/^not ok [0-9]/ { fail++; next }
		END {
			if (rc == 124) { print "not ok - " name ": timed out after " limit " s"; fail++ }
			else if (rc != 0 && fail == 0) { print "not ok - " name ": exited with status " rc; fail++ }
			else if (pass + fail + skip == 0) { print "not ok - " name ": reported no test results"; fail++ }
			printf "# tapsum %s %d %d %d\n", name, pass, fail, skip
		}' "$out"
	rm -f "$out"
	# A test that died left its namespaces and maybe the module unloaded.
	[ -d /sys/module/wgmesh ] || (. "$top/selftests/lib.sh" && trap - EXIT && wgm_load)
done

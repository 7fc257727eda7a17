#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# soak.sh [SECONDS [SEED]] - the long fuzz run: the debug kernel (KASAN,
# lockdep, kmemleak) with 4 CPUs runs arm_ext_fuzz for SECONDS (default
# 1800) with 4 threads, then the kernel log is scanned as in the test
# matrix.  The seed is printed; give it again to replay the argument stream.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

secs=${1:-1800}
seed=${2:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
"$HARNESS/deps.sh"
"$HARNESS/prepare.sh" patched
"$HARNESS/build-kernel.sh" patched fast
"$HARNESS/build-kernel.sh" patched debug
"$HARNESS/build-selftests.sh" patched
d=$BUILD/soak	# run.sh writes its own list, $d/tests, from soak.list
mkdir -p "$d"
echo "$((secs + 600)) arm_ext_fuzz-soak patched/aarch64/arm_ext_fuzz -s $seed -d $secs -i 100000000 -t 4 -o 400 -n 256" >"$d/soak.list"
log "soak: $secs s of arm_ext_fuzz, seed $seed, debug kernel, 4 CPUs"
KVMX_SMP=4 KVMX_RUN_DIR=$d "$HARNESS/run.sh" patched debug vhe "$d/soak.list" || true
python3 "$HARNESS/report.py" --log "$d/serial.log"

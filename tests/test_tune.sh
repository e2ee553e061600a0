#!/usr/bin/env bash
# test_tune.sh - `winsum tune` stores its winner for the device in the cache
# folder, and new contexts (here: `winsum-bench`) use it; a corrupt file is
# ignored. A tiny search (--quick --max-candidates 2) keeps this short.
set -u
winsum=$1
winsum_bench=$2
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAILED: $1" >&2; fi; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=$(WINSUM_CACHE_DIR=$dir "$winsum" tune --quick --max-candidates 2 2>/dev/null)
check "tune exits 0" '[ $? -eq 0 ]'
check "tune names its source" 'grep -q "source: tuned (" <<<"$out"'
check "a tune file exists" 'ls "$dir"/tune-*.txt >/dev/null 2>&1'
params=$(sed -n 's/^tile parameters (wgm,wgn,mr,nr,mc,nc,kc,vw): //p' <<<"$out")
bench=$(WINSUM_CACHE_DIR=$dir "$winsum_bench" --suite gemm --quick 2>/dev/null)
check "bench uses the tuned parameters" 'grep -q "tile parameters: $params, tuned (" <<<"$bench"'
# a corrupt tune file is ignored, not trusted
for f in "$dir"/tune-*.txt; do echo "0,0,garbage" > "$f"; done
bench=$(WINSUM_CACHE_DIR=$dir "$winsum_bench" --suite gemm --quick 2>/dev/null)
check "a corrupt tune file is ignored" '! grep -q "tuned (" <<<"$bench"'
# an override wins
bench=$(WINSUM_GETT=1,1,4,16,32,32,64,16 WINSUM_CACHE_DIR=$dir "$winsum_bench" --suite gemm --quick 2>/dev/null)
check "WINSUM_GETT overrides" 'grep -q "tile parameters: 1,1,4,16,32,32,64,16, WINSUM_GETT" <<<"$bench"'
check "bench with the override matches the reference" '! grep -q MISMATCH <<<"$bench"'
bad=$("$winsum" tune --bogus 2>&1 >/dev/null); rc=$?
check "tune: unknown option is a usage error" '[ $rc -eq 2 ] && [ $(wc -l <<<"$bad") -eq 1 ]'
echo "test_tune: $pass passed, $fail failed"
[ $fail -eq 0 ]

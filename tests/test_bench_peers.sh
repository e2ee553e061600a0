#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
# test_bench_peers.sh - the bench's peers run fairly and are checked
# (issue 19, item 1):
#  - OpenBLAS (in the bench) and peers.py run with OPENBLAS_CORETYPE and
#    OPENBLAS_L2_SIZE unset, whatever the caller's environment says (this
#    test sets both to a core no modern CPU picks), and the header names
#    the core each chose; peers.py runs with glibc's malloc settings;
#  - --baseline FILE: a peer under half its figure in an earlier run's CSV
#    is shown LOW, left out of the ratios and the CSV, and noted; a
#    --baseline that is not the bench's CSV is refused (exit 2, one line).
#
# Usage: bash tests/test_bench_peers.sh path/to/winsum path/to/winsum-bench
# The last line is "test_bench_peers: N passed, M failed".

B=${2:?usage: test_bench_peers.sh path/to/winsum path/to/winsum-bench}
T=$(mktemp -d "${TMPDIR:-/tmp}/winsum_test_bench_peers.XXXXXX")
trap '[ -n "$KEEP" ] || rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL $*"
}
check() { # check NAME COMMAND...: the command must succeed
    local name=$1
    shift
    if "$@"; then ok; else bad "$name"; fi
}
run() { # run ARGS...: the bench, into $T/stdout, $T/stderr, $rc
    OPENBLAS_CORETYPE=Prescott OPENBLAS_L2_SIZE=64 timeout "${LIMIT:-300}" "$B" "$@" \
        >"$T/stdout" 2>"$T/stderr"
    rc=$?
}

# ------------------------------------------------ the peers' environment
run --suite gemm --quick --reps 1 --csv "$T/run1.csv"
check "gemm with the peers: exit 0, stderr empty" test "$rc" -eq 0 -a ! -s "$T/stderr"
cp "$T/stdout" "$T/run1.txt"
core=$(sed -n 's/^OpenBLAS: .*, core \([^ ]*\) (openblas_get_corename); OPENBLAS_CORETYPE, _L2_SIZE unset$/\1/p' \
    "$T/run1.txt")
if grep -q '^OpenBLAS: n/a' "$T/run1.txt" || ! grep -q '^OpenBLAS' "$T/run1.txt"; then
    echo "test_bench_peers: OpenBLAS is not built in or did not load; its checks skipped"
else
    check "the header names OpenBLAS's core" test -n "$core"
    check "OpenBLAS ran without OPENBLAS_CORETYPE=Prescott (core $core)" test "$core" != Prescott
fi
if grep -q '^peers.py BLAS' "$T/run1.txt"; then
    check "peers.py ran with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset" \
        grep -q '^peers.py env: OPENBLAS_CORETYPE=- OPENBLAS_L2_SIZE=- ' "$T/run1.txt"
    check "peers.py ran with glibc's malloc settings" grep -Eq \
        '^peers.py env: MALLOC_MMAP_THRESHOLD_=[0-9]+ MALLOC_TRIM_THRESHOLD_=[0-9]+$' "$T/run1.txt"
    check "peers.py ran with MALLOC_TOP_PAD_" \
        grep -Eq '^peers.py env: .* MALLOC_TOP_PAD_=[0-9]+ ' "$T/run1.txt"
    pycore=$(sed -n 's/^peers.py BLAS: openblas [^,]*, core \([^ ;]*\).*/\1/p' "$T/run1.txt")
    if [ -n "$pycore" ]; then
        check "numpy's OpenBLAS did not run Prescott" test "$pycore" != Prescott
        [ -n "$core" ] && check "the bench's and numpy's OpenBLAS chose the same core" \
            test "$pycore" = "$core"
    fi
    check "the header lines stay within 100 columns" \
        bash -c "! grep -E '^(OpenBLAS: |peers.py )' '$T/run1.txt' | awk 'length > 100' | grep -q ."
else
    echo "test_bench_peers: peers.py did not start (no torch or numpy); its checks skipped"
fi

# ----------------------------------------------------------- --baseline
# the baseline: run1's figures, OpenBLAS's gemm256 (and torch's, when it
# ran) made 1000 times larger, every other figure 1000 times smaller (so
# that no noise between the two runs can flag it: the checks are exact)
awk -F, 'BEGIN {OFS = ","} NR > 1 && $2 == "gemm256" && ($3 == "openblas" || $3 == "torch") {$5 = $5 * 1000; print; next}
         NR > 1 {$5 = $5 / 1000} {print}' "$T/run1.csv" >"$T/base.csv"
run --suite gemm --quick --reps 1 --baseline "$T/base.csv" --csv "$T/run2.csv"
check "--baseline: exit 0, stderr empty" test "$rc" -eq 0 -a ! -s "$T/stderr"
col() { # col COLUMN: gemm256's figure in the table that has that column
    awk -v want="$1" '$1 == "suite" {delete c; for (i = 1; i <= NF; i++) c[$i] = i}
                      $1 == "gemm" && $2 == "gemm256" && $3 == "ij,jk->ik" && (want in c) {print $(c[want])}' "$T/stdout"
}
if grep -q '^gemm,gemm256,openblas,' "$T/run1.csv"; then
    check "--baseline: OpenBLAS's gemm256 is LOW" test "$(col OpenBLAS)" = LOW
    check "--baseline: a note gives both figures" \
        grep -q '^  gemm gemm256 openblas: .* GFLOP/s, under 0.5x its .* in the baseline' "$T/stdout"
    check "--baseline: the LOW figure is not in the CSV" \
        bash -c "! grep -q '^gemm,gemm256,openblas,' '$T/run2.csv'"
    check "--baseline: gemm512's OpenBLAS is quoted" grep -q '^gemm,gemm512,openblas,' "$T/run2.csv"
fi
if grep -q '^gemm,gemm256,torch,' "$T/run1.csv"; then
    check "--baseline: torch's gemm256 is LOW" test "$(col torch)" = LOW
    check "--baseline: no ws/torch ratio from a LOW figure" test "$(col ws/torch)" = -
fi
if grep -q '^gemm,gemm256,numpy,' "$T/run1.csv"; then
    check "--baseline: numpy above its baseline is quoted" test "$(col numpy)" != LOW
fi
check "--baseline: the count of flagged figures" \
    grep -Eq '^  baseline .*base.csv: [0-9]+ peer figures compared, [1-9] flagged LOW' "$T/stdout"

# a --baseline that is not the bench's CSV: exit 2, one line, no report
refused() { # refused NAME FILE
    run --suite gemm --quick --reps 1 --baseline "$2"
    if [ "$rc" -ne 2 ] || [ "$(wc -l <"$T/stderr")" -ne 1 ] ||
        ! grep -q '^winsum-bench: --baseline: ' "$T/stderr" || [ -s "$T/stdout" ]; then
        bad "$1: exit $rc, stderr $(head -c 300 "$T/stderr")"
    else
        ok
    fi
}
refused "--baseline of a missing file" "$T/no-such.csv"
printf 'a,b,c\n' >"$T/bad1.csv"
refused "--baseline with another header" "$T/bad1.csv"
check "--baseline with another header: names line 1" grep -q 'bad1.csv:1: not a winsum-bench CSV' "$T/stderr"
{ head -3 "$T/run1.csv"; echo "gemm,gemm256,torch"; } >"$T/bad2.csv"
refused "--baseline with a short row" "$T/bad2.csv"
check "--baseline with a short row: names line 4" grep -q 'bad2.csv:4: ' "$T/stderr"
{ head -1 "$T/run1.csv"; echo "gemm,gemm256,torch,float32,fast,1.0,"; } >"$T/bad3.csv"
refused "--baseline with a GFLOP/s that is not a number" "$T/bad3.csv"
: >"$T/empty.csv"
refused "--baseline of an empty file" "$T/empty.csv"

echo "test_bench_peers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
# test_bench_driver.sh - the report and the exit code of `winsum-bench conv`
# and `winsum-bench einsum` (issue 18, findings 6, 9 and 10):
#  - the table names every backend it prints (no "(null)" rows);
#  - a benchmark that did not run says so ("result: not run") and exits 1;
#  - absurd but parseable shapes are a usage error (exit 2, one line on
#    stderr, nothing on stdout), never an overflow (under UBSan in the
#    sanitizer build: an abort) or a silent success.
#
# Usage: bash tests/test_bench_driver.sh path/to/winsum path/to/winsum-bench
# The last line is "test_bench_driver: N passed, M failed".

B=${2:?usage: test_bench_driver.sh path/to/winsum path/to/winsum-bench}
T=$(mktemp -d "${TMPDIR:-/tmp}/winsum_test_bench_driver.XXXXXX")
trap 'rm -rf "$T"' EXIT
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
run() { # run ARGS...: the bench under a time limit, into $T/stdout, $T/stderr, $rc
    timeout "${LIMIT:-120}" "$B" "$@" --reps 1 >"$T/stdout" 2>"$T/stderr"
    rc=$?
}
# The backend column of the table: the lines after the "backend GFLOP/s" header
# up to the blank line.
rows() { awk '/^backend +GFLOP\/s/ {on = 1; next} on && /^$/ {exit} on {print $1}' "$T/stdout"; }
E13=10000000000000 # 1e13: parseable (int_list takes up to ~1.1e13)

# --------------------------------------------- finding 10: the row labels
run conv forward --input-shape 2,8,10,10 --weight-shape 4,8,3,3 --padding 1
check "conv forward: exit 0" test "$rc" -eq 0
check "conv forward: no (null) in the report" bash -c "! grep -q '(null)' '$T/stdout'"
check "conv forward: the rows are winsum, CLBlast, OpenBLAS, reference" \
    test "$(rows | tr '\n' ' ')" = "winsum CLBlast OpenBLAS reference "
run einsum 'ij,jk->ik' --shapes 16x8,8x4
check "einsum: exit 0" test "$rc" -eq 0
check "einsum: no (null) in the report" bash -c "! grep -q '(null)' '$T/stdout'"
check "einsum: the rows are winsum, CLBlast, OpenBLAS, reference" \
    test "$(rows | tr '\n' ' ')" = "winsum CLBlast OpenBLAS reference "
check "einsum: result ok" grep -q '^result: ok ' "$T/stdout"

# ------------------- the implementation a convolution ran (issue 19, item 2)
# named after the run: direct, gemv or einsum (winsum_conv_last_impl), or
# unknown where the library cannot say; $WINSUM_CONV_IMPL=einsum is taken by
# einsum, which takes every problem
impl_re='^implementation: (direct|gemv|einsum|unknown \(this library has no winsum_conv_last_impl\))$'
run conv forward --input-shape 2,8,10,10 --weight-shape 4,8,3,3 --padding 1
check "conv forward: the implementation is named" grep -Eq "$impl_re" "$T/stdout"
impl=$(sed -n 's/^implementation: //p' "$T/stdout")
WINSUM_CONV_IMPL=einsum run conv backward-data --input-shape 2,8,10,10 --weight-shape 4,8,3,3
check "conv backward-data, WINSUM_CONV_IMPL=einsum: exit 0" test "$rc" -eq 0
case $impl in
unknown*) echo "test_bench_driver: this library cannot name the implementation; not compared" ;;
*) check "WINSUM_CONV_IMPL=einsum: einsum ran" grep -q '^implementation: einsum$' "$T/stdout" ;;
esac
check "conv: the lines before the table stay within 100 columns" \
    bash -c "! sed -n '/^device:/,/^backend/p' '$T/stdout' | awk 'length > 100' | grep -q ."

# ------------------------------- finding 6: a benchmark that did not run
# operand 1 spans 19 * 1e13 + 2 elements (~7e5 GiB): no device holds it
not_run() { # not_run NAME ARGS...
    local name=$1
    shift
    run "$@"
    check "$name: exit 1" test "$rc" -eq 1
    check "$name: the result says not run" grep -q '^result: not run ' "$T/stdout"
    check "$name: never 'result: ok'" bash -c "! grep -q '^result: ok' '$T/stdout'"
    check "$name: winsum's row says why" grep -Eq '^winsum +- +- +not run: .* GiB > max buffer' "$T/stdout"
    check "$name: one line on stderr, naming the largest buffer" \
        test "$(wc -l <"$T/stderr")" -eq 1 -a -n "$(grep 'not run: .*CL_DEVICE_MAX_MEM_ALLOC_SIZE' "$T/stderr")"
}
not_run "einsum with an operand of 2e14 elements" einsum 'ij' --shapes 20x2 --strides ${E13}x1
not_run "einsum with an output of 1e14 elements" einsum 'i,j->ij' --shapes ${E13},10 --strides 0,1
not_run "conv with an input of 1.6e15 elements" conv forward --input-shape 2,8,$E13,10 \
    --weight-shape 4,8,3,3 --padding $E13 --dilation $E13

# ----------------------- finding 9: overflowing sizes are a usage error
too_large() { # too_large NAME ARGS...
    local name=$1
    shift
    run "$@"
    if [ "$rc" -ne 2 ]; then
        bad "$name: exit $rc, expected 2 (stderr: $(head -c 300 "$T/stderr"))"
    elif [ "$(wc -l <"$T/stderr")" -ne 1 ] || ! grep -q '^winsum-bench .*too large' "$T/stderr"; then
        bad "$name: stderr is not one 'too large' line: $(head -c 300 "$T/stderr")"
    elif [ -s "$T/stdout" ]; then
        bad "$name: printed a report: $(head -c 300 "$T/stdout")"
    else
        ok
    fi
}
too_large "conv: output pixels overflow" conv forward --input-shape 2,8,$E13,$E13 --weight-shape 4,8,3,3
too_large "conv: input elements overflow" conv forward --input-shape $E13,$E13,10,10 \
    --weight-shape 4,$E13,3,3
too_large "conv: weight elements overflow" conv backward-data --input-shape 2,8,10,10 \
    --weight-shape $E13,8,3,$E13 --padding $E13
too_large "conv 3-D: bytes overflow" conv backward-weight --input-shape 1,1,2000000,2000000,2000000 \
    --weight-shape 1,1,1,1,1 --dtype f64
too_large "einsum: contiguous strides overflow" einsum 'ij,jk->ik' --shapes ${E13}x${E13},${E13}x2
too_large "einsum: a strided span overflows" einsum 'ij' --shapes ${E13}x3 --strides ${E13}x${E13}
too_large "einsum: output elements overflow" einsum 'ij' --shapes ${E13}x${E13} --strides 0x0
too_large "einsum: a broadcast output overflows" einsum 'i,j,k->ijk' --shapes 10000000,10000000,10000000

echo "test_bench_driver: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
# test_cli.sh - the winsum command line: happy paths (devices, version, help,
# einsum and every conv command on both backends) and bad input. Every bad
# input must exit non-zero (2 for usage errors, 1 for the rest), print exactly
# one line on stderr and leave no output file.
#
# Usage: bash tests/test_cli.sh path/to/winsum path/to/winsum-bench
# The last line is "test_cli: N passed, M failed".

W=${1:?usage: test_cli.sh path/to/winsum path/to/winsum-bench}
B=${2:?usage: test_cli.sh path/to/winsum path/to/winsum-bench}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/winsum_test_cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
OUT=$T/out.npy
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

# run_ok NAME ARGS...: winsum ARGS must exit 0 and print nothing on stderr
run_ok() {
    local name=$1
    shift
    rm -f "$OUT"
    "$W" "$@" >"$T/stdout" 2>"$T/stderr"
    local rc=$?
    if [ $rc -ne 0 ] || [ -s "$T/stderr" ]; then
        bad "$name: exit $rc, stderr: $(cat "$T/stderr")"
        return 1
    fi
    ok
}

# expect_error CODE NAME ARGS...: winsum ARGS must exit CODE, print exactly
# one line on stderr starting with "winsum", and leave no $OUT behind. It
# runs under `timeout ${LIMIT:-120}`, so that a hang fails (exit 124).
expect_error() {
    local want=$1 name=$2
    shift 2
    rm -f "$OUT"
    timeout "${LIMIT:-120}" "$W" "$@" >"$T/stdout" 2>"$T/stderr"
    local rc=$?
    local lines
    lines=$(wc -l <"$T/stderr")
    if [ $rc -ne "$want" ]; then
        bad "$name: exit $rc, expected $want (stderr: $(cat "$T/stderr"))"
    elif [ "$lines" -ne 1 ] || ! head -c 6 "$T/stderr" | grep -q '^winsum'; then
        bad "$name: stderr is not one 'winsum...' line: $(cat "$T/stderr")"
    elif [ -e "$OUT" ] || ls "$T"/out.npy.* >/dev/null 2>&1; then
        bad "$name: an output file was left behind"
    else
        ok
    fi
}

# npy_check FILE PYTHON-EXPR: the expression (over r = np.load(FILE)) must hold
npy_check() {
    "$PY" -c "import numpy as np, sys; r = np.load(sys.argv[1]); d = '$T'
sys.exit(0 if ($2) else 1)" "$1"
}

# ------------------------------------------------------------------ inputs
"$PY" - "$T" <<'EOF' || { echo "test_cli: cannot write inputs with numpy"; echo "test_cli: 0 passed, 1 failed"; exit 1; }
import sys, numpy as np
d = sys.argv[1]
np.save(f"{d}/a.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
np.save(f"{d}/b.npy", np.arange(12, dtype=np.float32).reshape(3, 4))
np.save(f"{d}/a64.npy", np.arange(6, dtype=np.float64).reshape(2, 3))
np.save(f"{d}/i32.npy", np.arange(6, dtype=np.int32).reshape(2, 3))
np.save(f"{d}/x.npy", np.linspace(-1, 1, 2 * 4 * 6 * 5, dtype=np.float32).reshape(2, 4, 6, 5))
np.save(f"{d}/w.npy", np.linspace(-1, 1, 6 * 4 * 3 * 3, dtype=np.float32).reshape(6, 4, 3, 3))
np.save(f"{d}/w2.npy", np.ones((6, 2, 3, 3), dtype=np.float32))
np.save(f"{d}/w5.npy", np.ones((6, 5, 3, 3), dtype=np.float32))
np.save(f"{d}/bias.npy", np.arange(6, dtype=np.float32))
np.save(f"{d}/gy.npy", np.ones((2, 6, 4, 3), dtype=np.float32))
np.save(f"{d}/v.npy", np.ones(5, dtype=np.float32))
good = open(f"{d}/a.npy", "rb").read()
open(f"{d}/truncated.npy", "wb").write(good[:-5])
open(f"{d}/garbage.npy", "wb").write(b"this is not a numpy file at all\n" * 4)
open(f"{d}/empty.npy", "wb").close()
EOF

BACKENDS="ref opencl"
if "$W" devices 2>/dev/null | grep -q "no OpenCL device found"; then
    echo "test_cli: no OpenCL device: the opencl cases are skipped"
    BACKENDS="ref"
fi

# ------------------------------------------------------------- happy paths
run_ok "version" version && check "version prints the version" grep -q '^winsum [0-9]*\.[0-9]*\.[0-9]*$' "$T/stdout"
run_ok "--help" --help && check "--help prints usage on stdout" grep -q 'winsum einsum' "$T/stdout"
run_ok "-h" -h
run_ok "einsum --help" einsum --help
run_ok "devices" devices && check "devices lists the reference backend" grep -q 'reference' "$T/stdout"
check "devices marks one default" test "$(grep -c '(default)' "$T/stdout")" -eq 1

for be in $BACKENDS; do
    run_ok "einsum matmul --backend $be" einsum 'ij,jk->ik' "$T/a.npy" "$T/b.npy" -o "$OUT" --backend "$be" &&
        check "einsum matmul --backend $be: values" npy_check "$OUT" \
            "r.dtype == np.float32 and np.allclose(r, np.load(d + '/a.npy') @ np.load(d + '/b.npy'))"
    run_ok "einsum implicit --backend $be" einsum 'ij' "$T/a.npy" --output "$OUT" --backend "$be" &&
        check "einsum 'ij' --backend $be: values" npy_check "$OUT" "np.array_equal(r, np.load(d + '/a.npy'))"
    run_ok "einsum --alpha --backend $be" einsum 'ij->' "$T/a.npy" -o "$OUT" --alpha=-2 --backend "$be" &&
        check "einsum --alpha --backend $be: values" npy_check "$OUT" "r.shape == () and r == -30"
    run_ok "einsum mixed dtypes --backend $be" einsum 'ij,ij->i' "$T/a64.npy" "$T/a.npy" -o "$OUT" --backend "$be" &&
        check "einsum mixed dtypes --backend $be: float64" npy_check "$OUT" \
            "r.dtype == np.float64 and np.allclose(r, [5, 50])"
    # the CLI's own output as an input
    "$W" einsum 'ij,jk->ik' "$T/a.npy" "$T/b.npy" -o "$T/c.npy" --backend "$be" 2>/dev/null
    run_ok "einsum of a CLI output --backend $be" einsum 'ik->k' "$T/c.npy" -o "$OUT" --backend "$be" &&
        check "einsum of a CLI output --backend $be: values" npy_check "$OUT" \
            "np.allclose(r, (np.load(d + '/a.npy') @ np.load(d + '/b.npy')).sum(0))"

    run_ok "conv forward --backend $be" conv forward --input "$T/x.npy" --weight "$T/w.npy" --bias "$T/bias.npy" \
        --padding 1 --stride 2 -o "$OUT" --backend "$be" &&
        check "conv forward --backend $be: shape" npy_check "$OUT" "r.shape == (2, 6, 3, 3)"
    run_ok "conv backward-data --backend $be" conv backward-data --grad-output "$T/gy.npy" --weight "$T/w.npy" \
        --input-shape 2,4,6,5 --padding 0:0 -o "$OUT" --backend "$be" &&
        check "conv backward-data --backend $be: shape" npy_check "$OUT" "r.shape == (2, 4, 6, 5)"
    run_ok "conv backward-weight --backend $be" conv backward-weight --input "$T/x.npy" --grad-output "$T/gy.npy" \
        --weight-shape 6,4,3,3 --padding 0,0 -o "$OUT" --backend "$be" &&
        check "conv backward-weight --backend $be: shape" npy_check "$OUT" "r.shape == (6, 4, 3, 3)"
    run_ok "conv backward-bias --backend $be" conv backward-bias --grad-output "$T/gy.npy" -o "$OUT" --backend "$be" &&
        check "conv backward-bias --backend $be: values" npy_check "$OUT" "r.shape == (6,) and np.all(r == 24)"
    run_ok "conv transpose --backend $be" conv transpose --input "$T/gy.npy" --weight "$T/w.npy" --stride 2 \
        --output-padding 1 -o "$OUT" --backend "$be" &&
        check "conv transpose --backend $be: shape" npy_check "$OUT" "r.shape == (2, 4, 10, 8)"
    run_ok "conv forward nhwc same --backend $be" conv forward --input "$T/x.npy" --weight "$T/w5.npy" \
        --layout nhwc --padding same -o "$OUT" --backend "$be" &&
        check "conv forward nhwc same --backend $be: shape" npy_check "$OUT" "r.shape == (2, 4, 6, 6)"
done

# ---------------------------------------------------------------- bad input
E="einsum ij,jk->ik"
expect_error 1 "missing file" $E "$T/nosuch.npy" "$T/b.npy" -o "$OUT"
expect_error 1 "truncated .npy" $E "$T/truncated.npy" "$T/b.npy" -o "$OUT"
expect_error 1 "garbage .npy" $E "$T/garbage.npy" "$T/b.npy" -o "$OUT"
expect_error 1 "empty .npy" $E "$T/empty.npy" "$T/b.npy" -o "$OUT"
expect_error 1 "int32 .npy" $E "$T/i32.npy" "$T/b.npy" -o "$OUT"
expect_error 1 "a directory as input" $E "$T" "$T/b.npy" -o "$OUT"
expect_error 1 "bad subscripts character" einsum 'ij,j#k' "$T/a.npy" "$T/b.npy" -o "$OUT"
expect_error 1 "subscripts with too few terms" einsum 'ij' "$T/a.npy" "$T/b.npy" -o "$OUT"
expect_error 1 "subscripts rank mismatch" einsum 'ijk,jk' "$T/a.npy" "$T/b.npy" -o "$OUT"
expect_error 1 "output label not in inputs" einsum 'ij,jk->im' "$T/a.npy" "$T/b.npy" -o "$OUT"
expect_error 1 "shape mismatch" einsum 'ij,ik->jk' "$T/a.npy" "$T/b.npy" -o "$OUT"
expect_error 2 "unknown option" $E "$T/a.npy" "$T/b.npy" -o "$OUT" --frobnicate
expect_error 2 "option without its value" $E "$T/a.npy" "$T/b.npy" -o "$OUT" --backend
expect_error 2 "missing -o" $E "$T/a.npy" "$T/b.npy"
expect_error 2 "missing operands" $E -o "$OUT"
expect_error 2 "missing subscripts" einsum -o "$OUT"
expect_error 2 "--backend bogus" $E "$T/a.npy" "$T/b.npy" -o "$OUT" --backend bogus
expect_error 2 "bad --alpha" $E "$T/a.npy" "$T/b.npy" -o "$OUT" --alpha two
expect_error 1 "--device that matches nothing" $E "$T/a.npy" "$T/b.npy" -o "$OUT" --backend opencl \
    --device no-such-device-anywhere
expect_error 1 "--device index out of range" $E "$T/a.npy" "$T/b.npy" -o "$OUT" --backend opencl --device 99
expect_error 1 "output in a missing directory" $E "$T/a.npy" "$T/b.npy" -o "$T/nodir/out.npy"
expect_error 2 "unknown command" frobnicate -o "$OUT"
expect_error 2 "no command"
expect_error 2 "unknown conv subcommand" conv sideways --input "$T/x.npy" -o "$OUT"

C="conv forward --input $T/x.npy --weight $T/w.npy"
expect_error 2 "bad --padding spec (letters)" $C --padding one -o "$OUT"
expect_error 2 "bad --padding spec (three parts)" $C --padding 1:2:3 -o "$OUT"
expect_error 2 "bad --padding spec (negative)" $C --padding -1 -o "$OUT"
expect_error 2 "bad --padding spec (empty entry)" $C --padding 1,,1 -o "$OUT"
expect_error 2 "--padding list of the wrong length" $C --padding 1,1,1 -o "$OUT"
expect_error 2 "--stride list of the wrong length" $C --stride 1,2,1 -o "$OUT"
expect_error 2 "bad --layout" $C --layout chwn -o "$OUT"
expect_error 2 "bad --groups" $C --groups 2,2 -o "$OUT"
expect_error 2 "conv missing --weight" conv forward --input "$T/x.npy" -o "$OUT"
expect_error 2 "conv option of another subcommand" $C --input-shape 2,4,6,5 -o "$OUT"
expect_error 2 "--output-padding outside transpose" $C --output-padding 1 -o "$OUT"
expect_error 2 "conv missing -o" $C
expect_error 1 "groups not dividing channels" $C --groups 3 -o "$OUT"
expect_error 1 "weight channels do not match" conv forward --input "$T/x.npy" --weight "$T/w2.npy" -o "$OUT"
expect_error 1 "kernel larger than the input" $C --dilation 4 -o "$OUT"
expect_error 1 "stride 0" $C --stride 0 -o "$OUT"
expect_error 1 "conv input of rank 2" conv forward --input "$T/a.npy" --weight "$T/w.npy" -o "$OUT"
expect_error 1 "conv weight of the wrong rank" conv forward --input "$T/x.npy" --weight "$T/a.npy" -o "$OUT"
expect_error 1 "bias of the wrong size" $C --bias "$T/v.npy" -o "$OUT"
expect_error 2 "--input-shape of the wrong rank" conv backward-data --grad-output "$T/gy.npy" \
    --weight "$T/w.npy" --input-shape 2,4,6 -o "$OUT"
W_TOOL=$W
W=$B
expect_error 2 "winsum-bench: an unknown suite in a list" --suite gemm,bogus
W=$W_TOOL
expect_error 2 "winsum bench points to winsum-bench" bench --suite gemm
# winsum-bench: a list of suites runs each of them
if "$B" --suite gemm,overhead --quick --reps 1 >"$T/bench" 2>/dev/null &&
    grep -q "^gemm .*gemm256 .* ok$" "$T/bench" && grep -q "winsum_plan_execute" "$T/bench"; then
    ok
else
    bad "bench --suite gemm,overhead"
fi
expect_error 1 "--input-shape that does not give gy" conv backward-data --grad-output "$T/gy.npy" \
    --weight "$T/w.npy" --input-shape 2,4,9,9 -o "$OUT"
expect_error 1 "--weight-shape that does not match" conv backward-weight --input "$T/x.npy" \
    --grad-output "$T/gy.npy" --weight-shape 6,3,3,3 -o "$OUT"

# ------------------------------------------- files that are not regular files
# A FIFO as input blocked in open() until a writer came; a FIFO kernel
# source or bench case list likewise. Each fails at once (20 s limit).
mkfifo "$T/fifo.npy"
LIMIT=20 expect_error 1 "a FIFO as .npy input" $E "$T/fifo.npy" "$T/b.npy" -o "$OUT"
check "a FIFO as .npy input: says so" grep -q "fifo.npy: not a regular file (a FIFO)" "$T/stderr"
LIMIT=20 expect_error 1 "a FIFO as conv --weight" $C --weight "$T/fifo.npy" -o "$OUT"
LIMIT=20 expect_error 1 "/dev/null as .npy input" $E /dev/null "$T/b.npy" -o "$OUT"
if [ "$BACKENDS" != ref ]; then
    K=$(dirname "$0")/../kernels
    mkdir "$T/kernels" && cp "$K"/*.cl "$T/kernels/" && rm -f "$T/kernels/gett.cl" && mkfifo "$T/kernels/gett.cl"
    WINSUM_CACHE_DIR=off WINSUM_KERNEL_DIR=$T/kernels LIMIT=20 expect_error 1 "a FIFO as a kernel source" \
        $E "$T/a.npy" "$T/b.npy" -o "$OUT" --backend opencl
    check "a FIFO as a kernel source: says so" grep -q "gett.cl: not a regular file" "$T/stderr"
    rm -rf "$T/kernels"
    mkfifo "$T/cases.txt"
    WINSUM_TCCG=$T/cases.txt timeout 20 "$B" --suite tccg --quick >"$T/stdout" 2>"$T/stderr"
    rc=$?
    check "a FIFO as WINSUM_TCCG: does not block (exit $rc)" test $rc -ne 124
    check "a FIFO as WINSUM_TCCG: says so" grep -q "cases.txt: not a regular file" "$T/stderr"
fi

# ---------------------------------------------- paths longer than PATH_MAX
# A 5440-character WINSUM_CACHE_DIR was cut to PATH_MAX, and mkdir made
# folders of a name the user never gave: it is refused, naming the variable.
long=$T/long
while [ ${#long} -lt 5440 ]; do long=$long/$(printf 'a%.0s' $(seq 1 200)); done
long=${long:0:5440}
WINSUM_CACHE_DIR=$long expect_error 1 "WINSUM_CACHE_DIR of 5440 characters" $E "$T/a.npy" "$T/b.npy" -o "$OUT"
check "WINSUM_CACHE_DIR of 5440 characters: says so" \
    grep -q "WINSUM_ERR_ARGUMENT: WINSUM_CACHE_DIR is 5440 characters long" "$T/stderr"
check "WINSUM_CACHE_DIR of 5440 characters: nothing created" test ! -e "$T/long"
WINSUM_CACHE_DIR=$long expect_error 1 "WINSUM_CACHE_DIR of 5440 characters: devices" devices
if [ "$BACKENDS" != ref ]; then
    WINSUM_KERNEL_DIR=$long WINSUM_CACHE_DIR=off expect_error 1 "WINSUM_KERNEL_DIR of 5440 characters" \
        $E "$T/a.npy" "$T/b.npy" -o "$OUT" --backend opencl
    check "WINSUM_KERNEL_DIR of 5440 characters: says so" grep -q "WINSUM_KERNEL_DIR is 5440 characters long" "$T/stderr"
fi

# an error leaves an existing output file as it was
cp "$T/a.npy" "$OUT"
"$W" einsum 'ij,ik->jk' "$T/a.npy" "$T/b.npy" -o "$OUT" 2>/dev/null
check "an error leaves an existing output untouched" cmp -s "$T/a.npy" "$OUT"
rm -f "$OUT"

# --------------------------------------------------- no OpenCL device at all
# (an ICD loader that honours OCL_ICD_VENDORS then finds no platform)
if OCL_ICD_VENDORS=$T/no-vendors "$W" devices 2>/dev/null | grep -q "no OpenCL device found"; then
    OCL_ICD_VENDORS=$T/no-vendors "$W" $E "$T/a.npy" "$T/b.npy" -o "$OUT" >/dev/null 2>"$T/stderr"
    rc=$?
    check "no device: auto falls back to ref" test $rc -eq 0 -a -e "$OUT"
    check "no device: one notice line" test "$(cat "$T/stderr")" = \
        "winsum: no OpenCL device, using the reference backend"
    OCL_ICD_VENDORS=$T/no-vendors expect_error 1 "no device: --backend opencl" $E "$T/a.npy" "$T/b.npy" \
        -o "$OUT" --backend opencl
else
    echo "test_cli: cannot hide the OpenCL devices here: the no-device cases are skipped"
fi

# ------------------------------------------------- one grammar, both tools
# run_tool_ok NAME TOOL ARGS...: exit 0, nothing on stderr
run_tool_ok() {
    local name=$1 tool=$2
    shift 2
    rm -f "$OUT"
    "$tool" "$@" >"$T/stdout" 2>"$T/stderr"
    local rc=$?
    if [ $rc -ne 0 ] || [ -s "$T/stderr" ]; then
        bad "$name: exit $rc, stderr: $(head -3 "$T/stderr")"
        return 1
    fi
    ok
}
# usage_error NAME TOOL ARGS...: exit 2, exactly one stderr line naming the tool
usage_error() {
    local name=$1 tool=$2
    shift 2
    "$tool" "$@" >"$T/stdout" 2>"$T/stderr"
    local rc=$?
    if [ $rc -ne 2 ]; then
        bad "$name: exit $rc, expected 2 (stderr: $(head -3 "$T/stderr"))"
    elif [ "$(wc -l <"$T/stderr")" -ne 1 ] || ! grep -q '^winsum' "$T/stderr"; then
        bad "$name: stderr is not one 'winsum...' line: $(cat "$T/stderr")"
    else
        ok
    fi
}

# every option of every subcommand in both spellings (--opt value, --opt=value)
A2="$T/a.npy $T/b.npy"
for sp in space equals; do
    o() { if [ $sp = space ]; then echo "$1 $2"; else echo "$1=$2"; fi; }
    run_ok "devices --backend/--device ($sp)" devices $(o --backend auto) $(o --device 0)
    run_ok "einsum options ($sp)" einsum 'ij,jk->ik' $A2 $(o --output "$OUT") $(o --backend ref) \
        $(o --alpha 2) $(o --device 0) &&
        check "einsum --alpha ($sp): values" npy_check "$OUT" \
            "np.allclose(r, 2 * np.load(d + '/a.npy') @ np.load(d + '/b.npy'))"
    run_ok "einsum -o ($sp)" einsum 'ij' "$T/a.npy" -o "$OUT" --backend ref
    run_ok "conv forward options ($sp)" conv forward $(o --input "$T/x.npy") $(o --weight "$T/w.npy") \
        $(o --bias "$T/bias.npy") $(o --stride 2) $(o --padding 1) $(o --dilation 1) $(o --groups 1) \
        $(o --layout nchw) $(o --backend ref) $(o --output "$OUT") &&
        check "conv forward ($sp): shape" npy_check "$OUT" "r.shape == (2, 6, 3, 3)"
    run_ok "conv backward-data options ($sp)" conv backward-data $(o --grad-output "$T/gy.npy") \
        $(o --weight "$T/w.npy") $(o --input-shape 2,4,6,5) $(o --stride 1) $(o --padding 0) \
        $(o --dilation 1) $(o --groups 1) $(o --layout nchw) $(o --backend ref) $(o --output "$OUT")
    run_ok "conv backward-weight options ($sp)" conv backward-weight $(o --input "$T/x.npy") \
        $(o --grad-output "$T/gy.npy") $(o --weight-shape 6,4,3,3) $(o --stride 1) $(o --padding 0) \
        $(o --dilation 1) $(o --groups 1) $(o --layout nchw) $(o --backend ref) $(o --output "$OUT")
    run_ok "conv backward-bias options ($sp)" conv backward-bias $(o --grad-output "$T/gy.npy") \
        $(o --layout nchw) $(o --backend ref) $(o --output "$OUT")
    run_ok "conv transpose options ($sp)" conv transpose $(o --input "$T/gy.npy") $(o --weight "$T/w.npy") \
        $(o --stride 2) $(o --output-padding 1) $(o --padding 0) $(o --backend ref) $(o --output "$OUT")
    run_tool_ok "winsum-bench suite options ($sp)" "$B" $(o --suite overhead) $(o --dtype f32) --quick \
        $(o --reps 1) $(o --device 0) $(o --csv "$T/b.csv") --quiet
    check "winsum-bench --csv ($sp) wrote the file" test -s "$T/b.csv"
    run_tool_ok "winsum-bench conv options ($sp)" "$B" conv forward $(o --input-shape 2,4,6,6) \
        $(o --weight-shape 4,4,3,3) $(o --stride 1) $(o --padding 1) $(o --dilation 1) $(o --groups 1) \
        $(o --dtype f32) $(o --layout nchw) $(o --reps 1) $(o --device 0) --quiet
    run_tool_ok "winsum-bench einsum options ($sp)" "$B" einsum 'ij,jk->ik' $(o --shapes 8x4,4x2) \
        $(o --strides 4x1,2x1) $(o --dtype f32) $(o --reps 1) $(o --device 0) --quiet
done
if [ -n "$(ls "$T"/tune-* 2>/dev/null)" ]; then bad "a stray tune file"; fi
TD=$T/tunecache
mkdir -p "$TD"
# winsum tune in both spellings; stderr empty and no progress text off a terminal
WINSUM_CACHE_DIR=$TD "$W" tune --quick --max-candidates 1 >"$T/stdout" 2>"$T/stderr"
rc=$?
check "tune --max-candidates 1: exit 0" test $rc -eq 0
check "tune off a terminal: stderr empty" test ! -s "$T/stderr"
# (the bar: "[####    ]  50% ..." after a carriage return; the verdict line
# has percentages of its own)
check "tune off a terminal: no progress text" \
    bash -c "! grep -qE '\[[# ]+\] +[0-9]+%' '$T/stdout' && ! grep -q \$'\r' '$T/stdout'"
WINSUM_CACHE_DIR=$TD "$W" tune --quick --max-candidates=1 --device=0 --quiet >"$T/stdout" 2>"$T/stderr"
check "tune --opt=value and --quiet" test $? -eq 0 -a ! -s "$T/stderr"
check "tune prints its result" grep -q '^source: tuned' "$T/stdout"
# the bench draws no progress lines off a terminal
"$B" --suite gemm --quick --reps 1 >"$T/stdout" 2>"$T/stderr"
check "winsum-bench off a terminal: stderr empty (no progress, no compiler chatter)" test ! -s "$T/stderr"

# bad numbers: range, trailing characters, empty
usage_error "tune --max-candidates 3x" "$W" tune --max-candidates 3x
usage_error "tune --max-candidates -1" "$W" tune --max-candidates -1
usage_error "tune --max-candidates=" "$W" tune --max-candidates=
usage_error "tune --max-candidates ''" "$W" tune --max-candidates ''
usage_error "tune --max-candidates 1e3" "$W" tune --max-candidates 1e3
usage_error "tune --max-candidates huge" "$W" tune --max-candidates 99999999999999999999
usage_error "tune --max-candidates without a value" "$W" tune --max-candidates
usage_error "tune --quick=1 (a flag takes no value)" "$W" tune --quick=1
usage_error "einsum --alpha 2x" "$W" einsum 'ij' "$T/a.npy" -o "$OUT" --alpha 2x
usage_error "einsum --alpha=" "$W" einsum 'ij' "$T/a.npy" -o "$OUT" --alpha=
usage_error "einsum --alpha inf" "$W" einsum 'ij' "$T/a.npy" -o "$OUT" --alpha inf
usage_error "conv --stride 1x" "$W" conv forward --input "$T/x.npy" --weight "$T/w.npy" --stride 1x -o "$OUT"
usage_error "conv --groups=" "$W" conv forward --input "$T/x.npy" --weight "$T/w.npy" --groups= -o "$OUT"
usage_error "bench --reps 0" "$B" --reps 0
usage_error "bench --reps 65" "$B" --reps 65
usage_error "bench --reps 3x" "$B" --reps 3x
usage_error "bench --reps=" "$B" --reps=
usage_error "bench --dtype f8" "$B" --dtype f8
usage_error "bench conv --reps 0" "$B" conv forward --input-shape 2,8,10,10 --weight-shape 4,8,3,3 --reps 0
usage_error "bench conv --groups 0" "$B" conv forward --input-shape 2,8,10,10 --weight-shape 4,8,3,3 --groups 0
usage_error "bench einsum --reps 2.5" "$B" einsum 'ij' --shapes 2x2 --reps 2.5

# unknown options: one line, with a hint
usage_error "tune unknown option" "$W" tune --quik
check "tune unknown option: did you mean" grep -q 'did you mean --quick' "$T/stderr"
usage_error "einsum unknown option" "$W" einsum 'ij' "$T/a.npy" -o "$OUT" --devise 0
check "einsum unknown option: did you mean" grep -q 'did you mean --device' "$T/stderr"
usage_error "devices unknown option" "$W" devices --all
usage_error "version unknown option" "$W" version --short
usage_error "conv backward-bias unknown option" "$W" conv backward-bias --grad-output "$T/gy.npy" --bias x -o "$OUT"
usage_error "bench unknown option" "$B" --suites gemm
check "bench unknown option: did you mean" grep -q 'did you mean --suite' "$T/stderr"
usage_error "bench unknown short option" "$B" -x
usage_error "bench conv unknown option" "$B" conv forward --input-shape 2,8,10,10 --weight-shape 4,8,3,3 --bias 1
usage_error "bench einsum unknown option" "$B" einsum 'ij' --shapes 2x2 --shape 2x2

# --help of each subcommand: its own text, exit 0, naming the subcommand
declare -A seen_help
help_ok() { # help_ok NAME-IN-TEXT TOOL ARGS...
    local want=$1 tool=$2
    shift 2
    "$tool" "$@" >"$T/help" 2>"$T/stderr"
    local rc=$? sum
    sum=$(md5sum <"$T/help" | cut -c1-32)
    if [ $rc -ne 0 ] || [ -s "$T/stderr" ]; then
        bad "$*: exit $rc, stderr $(head -2 "$T/stderr")"
    elif ! grep -q -- "$want" "$T/help" || ! grep -q '^Usage:' "$T/help"; then
        bad "$*: the help does not name '$want'"
    elif ! grep -qi 'example' "$T/help" && [ "$want" != "winsum version" ]; then
        bad "$*: the help has no example"
    elif [ -n "${seen_help[$sum]}" ]; then
        bad "$*: the same help as ${seen_help[$sum]}"
    else
        seen_help[$sum]="$*"
        ok
    fi
}
help_ok "winsum COMMAND" "$W" --help
help_ok "winsum devices" "$W" devices --help
help_ok "winsum version" "$W" version --help
help_ok "winsum einsum" "$W" einsum --help
help_ok "winsum conv SUBCOMMAND" "$W" conv --help
for sub in forward backward-data backward-weight backward-bias transpose; do
    help_ok "winsum conv $sub" "$W" conv $sub --help
done
help_ok "winsum tune" "$W" tune --help
help_ok "winsum-bench \[--suite" "$B" --help
help_ok "winsum-bench conv forward|backward-data" "$B" conv --help
for sub in forward backward-data backward-weight; do
    help_ok "winsum-bench conv $sub" "$B" conv $sub --help
done
help_ok "winsum-bench einsum" "$B" einsum --help
check "the help names the environment" grep -q WINSUM_CACHE_DIR "$T/help"
# every computing command's help names the trace variables
for args in "--help" "einsum --help" "conv --help" "conv forward --help" "conv backward-data --help" \
    "conv backward-weight --help" "conv backward-bias --help" "conv transpose --help"; do
    # shellcheck disable=SC2086
    "$W" $args >"$T/help"
    check "winsum $args names WINSUM_VERBOSE and WINSUM_VERBOSE_FILE" \
        grep -q 'WINSUM_VERBOSE_FILE' "$T/help"
done
"$B" --help >"$T/help"
check "the bench help names WINSUM_TCCG" grep -q WINSUM_TCCG "$T/help"
"$W" conv forward --help >"$T/help"
check "the conv help states the weight layout in NHWC" grep -q 'also NHWC' "$T/help"
run_tool_ok "winsum --version" "$W" --version && check "winsum --version prints it" grep -q '^winsum [0-9]' "$T/stdout"
run_tool_ok "winsum-bench --version" "$B" --version && check "winsum-bench --version prints it" grep -q '^winsum-bench [0-9]' "$T/stdout"

# devices: memory, compute units, dtypes, the default
"$W" devices >"$T/stdout"
check "devices has memory, units and dtypes columns" grep -q 'memory.*max alloc.*units.*dtypes' "$T/stdout"
if [ "$BACKENDS" != ref ]; then
    check "devices shows a device's memory" grep -Eq '^[* ] 0 .*[0-9.]+ (GiB|MiB).*f32' "$T/stdout"
fi
WINSUM_DEVICE=ref "$W" devices >"$T/stdout"
check "devices: WINSUM_DEVICE=ref marks the reference backend" grep -q '^\* ref .*(default)' "$T/stdout"

# ------------------------------------------------ the one-layer driver
"$B" conv forward --input-shape 2,8,10,10 --weight-shape 4,8,3,3 --padding 1 --reps 1 >"$T/drv" 2>"$T/stderr"
check "driver conv forward: exit 0" test $? -eq 0
check "driver conv forward: GFLOP/s of winsum" grep -Eq '^winsum +[0-9.]+ ' "$T/drv"
check "driver conv forward: its check is ok" grep -Eq '^winsum .* ok' "$T/drv"
check "driver conv forward: the reference ran" grep -Eq '^reference +[0-9.]+ ' "$T/drv"
check "driver conv forward: the descriptor" grep -q '^plan: winsum_conv_forward' "$T/drv"
check "driver conv forward: stderr empty" test ! -s "$T/stderr"
line=$(sed -n 's/^case: winsum-bench //p' "$T/drv")
eval "\"\$B\" $line --reps 1" >"$T/drv2" 2>/dev/null
check "driver conv: the case line round-trips" test "$(sed -n 's/^case: //p' "$T/drv2")" = "winsum-bench $line"
for op in backward-data backward-weight; do
    "$B" conv $op --input-shape 3,9,7,4 --weight-shape 6,2,3,2 --groups 2 --stride 2,1 --padding 1:0,1 \
        --layout nhwc --reps 1 >"$T/drv" 2>/dev/null
    check "driver conv $op (nhwc, groups, asymmetric padding): ok" grep -q '^result: ok' "$T/drv"
    line=$(sed -n 's/^case: winsum-bench //p' "$T/drv")
    eval "\"\$B\" $line --reps 1" >"$T/drv2" 2>/dev/null
    check "driver conv $op: the case line round-trips" test "$(sed -n 's/^case: //p' "$T/drv2")" = "winsum-bench $line"
done
"$B" einsum 'ij,jk->ik' --shapes 32x16,16x8 --reps 1 >"$T/drv" 2>"$T/stderr"
check "driver einsum: exit 0" test $? -eq 0
check "driver einsum: GFLOP/s of winsum" grep -Eq '^winsum +[0-9.]+ ' "$T/drv"
check "driver einsum: its check is ok" grep -Eq '^winsum .* ok' "$T/drv"
check "driver einsum: the plan" grep -q 'gett\|M 8\|plan:' "$T/drv"
check "driver einsum: stderr empty" test ! -s "$T/stderr"
line=$(sed -n 's/^case: winsum-bench //p' "$T/drv")
eval "\"\$B\" $line --reps 1" >"$T/drv2" 2>/dev/null
check "driver einsum: the case line round-trips" test "$(sed -n 's/^case: //p' "$T/drv2")" = "winsum-bench $line"
"$B" einsum 'bij,bjk->bik' --shapes 3x4x5,3x5x2 --strides 1x15x3,10x2x1 --dtype f64 --reps 1 >"$T/drv" 2>/dev/null
check "driver einsum with --strides, f64: ok" grep -q '^result: ok' "$T/drv"
usage_error "driver conv: no op" "$B" conv
usage_error "driver conv: unknown op" "$B" conv sideways --input-shape 2,8,10,10 --weight-shape 4,8,3,3
usage_error "driver conv: missing --weight-shape" "$B" conv forward --input-shape 2,8,10,10
usage_error "driver conv: missing --input-shape" "$B" conv forward --weight-shape 4,8,3,3
usage_error "driver conv: weight of the wrong rank" "$B" conv forward --input-shape 2,8,10,10 --weight-shape 4,8,3
usage_error "driver conv: bad shape entry" "$B" conv forward --input-shape 2,8,10x,10 --weight-shape 4,8,3,3
usage_error "driver conv: empty shape entry" "$B" conv forward --input-shape 2,8,,10 --weight-shape 4,8,3,3
usage_error "driver conv: zero in a shape" "$B" conv forward --input-shape 2,0,10,10 --weight-shape 4,8,3,3
usage_error "driver conv: --stride of 3 values in 2-D" "$B" conv forward --input-shape 2,8,10,10 --weight-shape 4,8,3,3 --stride 1,1,1
usage_error "driver conv: bad --padding" "$B" conv forward --input-shape 2,8,10,10 --weight-shape 4,8,3,3 --padding 1:2:3
usage_error "driver conv: bad --layout" "$B" conv forward --input-shape 2,8,10,10 --weight-shape 4,8,3,3 --layout chwn
usage_error "driver conv: channels that do not match" "$B" conv forward --input-shape 2,8,10,10 --weight-shape 4,7,3,3
usage_error "driver conv: kernel larger than the input" "$B" conv forward --input-shape 2,8,2,2 --weight-shape 4,8,3,3
usage_error "driver conv: a positional argument" "$B" conv forward extra --input-shape 2,8,10,10 --weight-shape 4,8,3,3
usage_error "driver einsum: no subscripts" "$B" einsum --shapes 2x2
usage_error "driver einsum: no --shapes" "$B" einsum 'ij'
usage_error "driver einsum: bad --shapes" "$B" einsum 'ij,jk->ik' --shapes 32x,16x8
usage_error "driver einsum: empty operand" "$B" einsum 'ij,jk->ik' --shapes 32x16,,16x8
usage_error "driver einsum: --strides of the wrong rank" "$B" einsum 'ij,jk->ik' --shapes 4x2,2x3 --strides 1,3x1
usage_error "driver einsum: --strides for fewer operands" "$B" einsum 'ij,jk->ik' --shapes 4x2,2x3 --strides 2x1
usage_error "driver einsum: bad --dtype" "$B" einsum 'ij' --shapes 2x2 --dtype int
"$B" einsum 'ij,jk->ik' --shapes 32x16,15x8 --reps 1 >/dev/null 2>"$T/stderr"
check "driver einsum: sizes that do not match fail (exit 1, one line)" \
    test $? -eq 1 -a "$(wc -l <"$T/stderr")" -eq 1

# ------------------------------------------ the bench's torch and numpy peers
# The table names the CPU and its peak; peers.py runs torch and numpy on
# the device's compute units; the CSV has their rows.
"$B" --suite gemm --quick --reps 1 --csv "$T/peers.csv" >"$T/stdout" 2>"$T/stderr"
check "bench peers: exit 0, stderr empty" test $? -eq 0 -a ! -s "$T/stderr"
check "bench names the cpu" grep -q '^cpu: .*family [0-9]* (0x[0-9a-f]*) model' "$T/stdout"
check "bench states the peak" grep -q '^peak: [0-9]* compute units x [0-9]* float32 flop/cycle .* = [0-9]* GFLOP/s float32' "$T/stdout"
check "bench: winsum's share of the peak in the table" grep -qE '^gemm +gemm256 +ij,jk->ik +[0-9.]+ +[0-9]+%' "$T/stdout"
check "bench: no line wider than 100 columns" bash -c "! awk 'length > 100' '$T/stdout' | grep -q ."
if "$PY" -c "import torch, numpy" 2>/dev/null; then
    check "bench peers: torch and numpy run" grep -q '^torch: torch .* on [0-9]* threads' "$T/stdout"
    # the GFLOP/s table's fields: suite case op winsum ws%pk CLBlast OpenBLAS torch numpy
    check "bench peers: gemm256 has torch and numpy GFLOP/s" \
        test "$(awk '$1 == "suite" {t = $NF == "numpy"}
                     t && $1 == "gemm" && $2 == "gemm256" && $8 ~ /^[0-9.]+$/ && $9 ~ /^[0-9.]+$/' "$T/stdout" | wc -l)" -eq 1
    check "bench peers: csv rows for torch and numpy" \
        bash -c "grep -q '^gemm,gemm1024,torch,float32,[0-9.]*,[0-9.]*,\$' '$T/peers.csv' && grep -q '^gemm,gemm1024,numpy,float32,' '$T/peers.csv'"
    check "bench peers: the targets name gemm 1024 vs OpenBLAS or the peers" grep -q "^targets, as measured" "$T/stdout"
else
    echo "test_cli: /usr/bin/python3 has no torch or numpy: the peer columns are only checked as n/a"
fi
# a python without torch and numpy (-S: no site-packages): n/a with the reason, exit 0
printf '#!/bin/sh\nexec %s -S "$@"\n' "$PY" >"$T/py-bare"
chmod +x "$T/py-bare"
WINSUM_BENCH_PYTHON=$T/py-bare "$B" --suite gemm --quick --reps 1 --csv "$T/bare.csv" >"$T/stdout" 2>"$T/stderr"
check "bench without torch: exit 0, stderr empty" test $? -eq 0 -a ! -s "$T/stderr"
check "bench without torch: says why" grep -q "^torch: n/a (torch under .*py-bare: No module named 'torch')" "$T/stdout"
check "bench without numpy: says why" grep -q "^numpy: n/a (numpy under .*py-bare: No module named 'numpy')" "$T/stdout"
check "bench without torch: n/a in the columns" \
    test "$(awk '$1 == "suite" {t = $NF == "numpy"}
                 t && $1 == "gemm" && $2 == "gemm256" && $8 == "n/a" && $9 == "n/a"' "$T/stdout" | wc -l)" -eq 1
check "bench without torch: no torch rows in the csv" bash -c "! grep -qE ',(torch|numpy),' '$T/bare.csv'"
# no python at all, and one that dies at once: n/a with the reason, winsum still measured
WINSUM_BENCH_PYTHON=$T/no-such-python "$B" --suite gemm --quick --reps 1 >"$T/stdout" 2>"$T/stderr"
check "bench with a missing python: exit 0" test $? -eq 0
check "bench with a missing python: says so" grep -q '^torch: n/a (cannot start .*no-such-python: No such file' "$T/stdout"
printf '#!/bin/sh\necho "peers: broken on purpose" >&2\nexit 3\n' >"$T/py-dies"
chmod +x "$T/py-dies"
WINSUM_BENCH_PYTHON=$T/py-dies "$B" --suite gemm --quick --reps 1 >"$T/stdout" 2>"$T/stderr"
check "bench with a python that dies: exit 0 (winsum's checks passed)" test $? -eq 0
check "bench with a python that dies: its stderr is shown" grep -q 'peers.py: peers: broken on purpose' "$T/stderr"
check "bench with a python that dies: n/a with the reason" grep -q '^torch: n/a (.*py-dies peers.py did not start' "$T/stdout"
check "bench with a python that dies: winsum still ran" grep -qE '^gemm +gemm256 +ij,jk->ik +[0-9.]+ ' "$T/stdout"
# float16: the peers are n/a with the reason
"$B" --suite gemm --quick --reps 1 --dtype f16 >"$T/stdout" 2>"$T/stderr"
check "bench f16: torch n/a, says why" grep -q '^torch: n/a (torch has no float16 CPU convolution' "$T/stdout"
check "bench f16: numpy n/a, says why" grep -q "^numpy: n/a (numpy's float16 einsum has no BLAS path" "$T/stdout"

# --------------------------------------------------- the network suites
# mobilenetv2 --quick: batch 1, every distinct layer once per op, each
# checked on a small variant; the totals per op and in all.
"$B" --suite mobilenetv2 --quick >"$T/stdout" 2>"$T/stderr"
check "bench mobilenetv2 --quick: exit 0, stderr empty" test $? -eq 0 -a ! -s "$T/stderr"
check "bench mobilenetv2: 29 layers x 3 ops, each checked" \
    test "$(grep -cE '^mobilenetv2 +[a-z0-9_]+ +(fwd|bwd_data|bwd_weight) +[0-9]+ .* ok$' "$T/stdout")" -eq 87
check "bench mobilenetv2: 51 convolutions in all" \
    test "$(grep -E '^mobilenetv2 +[a-z0-9_]+ +fwd +[0-9]+ ' "$T/stdout" | awk '{s += $4} END {print s}')" -eq 51
for op in fwd bwd_data bwd_weight fwd+bwd; do
    check "bench mobilenetv2: total $op" grep -qE "^mobilenetv2 +${op//+/\\+} +[0-9.]+ +[0-9.]+ +[0-9]+% " "$T/stdout"
done
# (the note may be wrapped at 100 columns: the lines joined)
check "bench mobilenetv2: the check variant is named" bash -c "tr '\n' ' ' <'$T/stdout' | tr -s ' ' |
    grep -q 'mobilenetv2: 29 distinct convolutions (51 in all) at batch 1, 1 timed call per op; each op checked once vs the reference on a batch-1 variant'"
"$B" --suite resnet50,bogus >/dev/null 2>"$T/stderr"
check "bench: an unknown suite lists the network suites" grep -q 'resnet50, mobilenetv2' "$T/stderr"

echo "test_cli: $pass passed, $fail failed"
[ $fail -eq 0 ]

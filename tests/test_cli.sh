#!/bin/bash
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

echo "test_cli: $pass passed, $fail failed"
[ $fail -eq 0 ]

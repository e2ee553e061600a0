#!/bin/bash
# test_trace.sh - WINSUM_VERBOSE through the winsum tool. With the variable
# unset (or 0) a convolution and an einsum print nothing on stderr. With 1,
# each call prints exactly one `winsum_verbose,` line (a backward-data of
# stride 2 too, though it runs four einsums), on stderr or appended to
# WINSUM_VERBOSE_FILE; the line's replay command (its last field) runs with
# winsum-bench, exits 0, and its `case:` line is that same command (the same
# shapes, strides and options). With 2 the line has each kernel's time.
#
# Usage: bash tests/test_trace.sh path/to/winsum path/to/winsum-bench
# The last line is "test_trace: N passed, M failed".

W=${1:?usage: test_trace.sh path/to/winsum path/to/winsum-bench}
B=${2:?usage: test_trace.sh path/to/winsum path/to/winsum-bench}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/winsum_test_trace.XXXXXX")
trap 'rm -rf "$T"' EXIT
unset WINSUM_VERBOSE WINSUM_VERBOSE_FILE
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL $*"
}

"$PY" - "$T" <<'EOF' || { echo "FAIL: numpy inputs"; echo "test_trace: 0 passed, 1 failed"; exit 1; }
import sys
import numpy as np
t = sys.argv[1]
rng = np.random.default_rng(3)
np.save(f"{t}/a.npy", rng.standard_normal((64, 32)).astype(np.float32))
np.save(f"{t}/b.npy", rng.standard_normal((32, 16)).astype(np.float32))
np.save(f"{t}/x.npy", rng.standard_normal((2, 3, 9, 7)).astype(np.float32))
np.save(f"{t}/w.npy", rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
np.save(f"{t}/gy.npy", rng.standard_normal((2, 4, 4, 4)).astype(np.float32))
EOF

CONV=(conv forward --input "$T/x.npy" --weight "$T/w.npy" --stride 2 --padding 1:0,1 -o "$T/y.npy")
EINSUM=(einsum 'ij,jk->ik' "$T/a.npy" "$T/b.npy" -o "$T/c.npy")
BWD=(conv backward-data --grad-output "$T/gy.npy" --weight "$T/w.npy" --input-shape 2,3,9,7
     --stride 2 --padding 1:0,1 -o "$T/gx.npy")

# quiet NAME ARGS...: exit 0 and an empty stderr
quiet() {
    local name=$1
    shift
    "$W" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ $rc -eq 0 ] && [ ! -s "$T/err" ] && ! grep -q winsum_verbose "$T/out"; then ok; else
        bad "$name: exit $rc, stderr: $(head -c 300 "$T/err")"
    fi
}
quiet "unset: conv" "${CONV[@]}"
quiet "unset: einsum" "${EINSUM[@]}"
WINSUM_VERBOSE=0 quiet "0: conv" "${CONV[@]}"
WINSUM_VERBOSE= quiet "empty: einsum" "${EINSUM[@]}"

# one_line NAME FILE: FILE holds exactly one line, a winsum_verbose line
# with status WINSUM_OK; sets LINE
one_line() {
    LINE=""
    local n
    n=$(wc -l <"$2")
    if [ "$n" -ne 1 ] || ! grep -q '^winsum_verbose,exec,' "$2"; then
        bad "$1: $n lines, expected one winsum_verbose line: $(head -c 600 "$2")"
        return 1
    fi
    LINE=$(cat "$2")
    case "$LINE" in
    *,WINSUM_OK,*) ok ;;
    *) bad "$1: status not WINSUM_OK: $LINE" ;;
    esac
}

# has NAME TEXT: LINE contains TEXT
has() {
    case "$LINE" in
    *"$2"*) ok ;;
    *) bad "$1: no '$2' in: $LINE" ;;
    esac
}

# replay NAME: runs LINE's replay command with winsum-bench; it must exit 0
# and its case: line must be the command itself
replay() {
    local cmd=${LINE#*,replay:}
    case "$cmd" in
    "winsum-bench "*) ok ;;
    *)
        bad "$1: no replay command: $LINE"
        return
        ;;
    esac
    local args=${cmd#winsum-bench }
    eval "set -- $args"
    "$B" "$@" --reps 1 --quiet >"$T/rout" 2>"$T/rerr"
    local rc=$?
    if [ $rc -ne 0 ]; then
        bad "$1: '$cmd' exited $rc: $(head -c 400 "$T/rerr") $(tail -n 5 "$T/rout")"
        return
    fi
    ok
    local case_line
    case_line=$(grep -m1 '^case: ' "$T/rout")
    if [ "$case_line" = "case: $cmd" ]; then ok; else
        bad "$1: the replay's case line differs: '$case_line' vs '$cmd'"
    fi
}

# level 1 on stderr
WINSUM_VERBOSE=1 "$W" "${CONV[@]}" >"$T/out" 2>"$T/err" || bad "conv with WINSUM_VERBOSE=1 failed"
if one_line "1: conv" "$T/err"; then
    has "1: conv" ",conv_forward,"
    has "1: conv" "ops:x:f32:2x3x9x7:s189x63x7x1:o0 w:f32:4x3x3x3:s27x9x3x1:o0 bias:null y:f32:2x4x4x4:"
    has "1: conv" ",desc:2d nchw stride=2x2 dilation=1x1 pad=1:0x1:1 groups=1,"
    has "1: conv" ",kernels:-,"
    has "1: conv" ",replay:winsum-bench conv forward --input-shape 2,3,9,7 --weight-shape 4,3,3,3 --stride 2 --padding 1:0,1:1 "
    case "$LINE" in *,opencl,*) OPENCL=1 ;; *) OPENCL=0 ;; esac
    replay "1: conv"
fi
WINSUM_VERBOSE=1 "$W" "${EINSUM[@]}" >"$T/out" 2>"$T/err" || bad "einsum with WINSUM_VERBOSE=1 failed"
if one_line "1: einsum" "$T/err"; then
    has "1: einsum" ",einsum,"
    has "1: einsum" ",subs:ij jk->ik,ops:in0:f32:64x32:s32x1:o0 in1:f32:32x16:s16x1:o0 out:f32:64x16:s16x1:o0,"
    has "1: einsum" ",replay:winsum-bench einsum 'ij,jk->ik' --shapes 64x32,32x16 --strides 32x1,16x1 --dtype f32"
    replay "1: einsum"
fi
# a backward-data of stride 2 on the einsum path runs four einsums (its
# phases; the direct path, its default, runs them as launches of one
# kernel): still one line, four plans
WINSUM_CONV_IMPL=einsum WINSUM_VERBOSE=1 "$W" "${BWD[@]}" >"$T/out" 2>"$T/err" || bad "backward-data with WINSUM_VERBOSE=1 failed"
if one_line "1: backward-data" "$T/err"; then
    plans=$(echo "$LINE" | sed 's/.*,plan:\([^,]*\),.*/\1/' | tr ';' '\n' | grep -c '{')
    if [ "$plans" -eq 4 ]; then ok; else bad "backward-data: $plans plans in the line, expected 4: $LINE"; fi
    replay "1: backward-data"
fi

# WINSUM_VERBOSE_FILE: appended, nothing on stderr
F=$T/trace.log
for i in 1 2; do
    WINSUM_VERBOSE=1 WINSUM_VERBOSE_FILE=$F "$W" "${EINSUM[@]}" >"$T/out" 2>"$T/err"
    if [ -s "$T/err" ]; then bad "file: stderr not empty: $(head -c 300 "$T/err")"; else ok; fi
done
n=$(grep -c '^winsum_verbose,exec,einsum,' "$F" 2>/dev/null)
if [ "$n" = 2 ] && [ "$(wc -l <"$F")" -eq 2 ]; then ok; else bad "file: $n einsum lines in $F: $(cat "$F")"; fi

# level 2: each kernel's time (an OpenCL device only; the reference backend
# runs no kernel)
WINSUM_VERBOSE=2 "$W" "${CONV[@]}" >"$T/out" 2>"$T/err" || bad "conv with WINSUM_VERBOSE=2 failed"
if one_line "2: conv" "$T/err"; then
    if [ "$OPENCL" = 1 ]; then
        if echo "$LINE" | grep -Eq ',kernels:gett=[0-9.]+ms( [a-z]+=[0-9.]+ms)* total=[0-9.]+ms,'; then ok; else
            bad "2: no kernel times: $LINE"
        fi
    else
        echo "no OpenCL device: kernel times not tested"
        has "2: conv" ",kernels:none (reference backend),"
    fi
fi
WINSUM_VERBOSE=2 "$W" "${CONV[@]}" --backend ref >"$T/out" 2>"$T/err"
one_line "2: ref" "$T/err" && has "2: ref" ",conv_forward,ref,reference (host C),"

echo "test_trace: $pass passed, $fail failed"
[ $fail -eq 0 ]

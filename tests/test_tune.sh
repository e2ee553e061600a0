#!/usr/bin/env bash
# test_tune.sh - `winsum tune` stores its winner for the device in the cache
# folder, and new contexts (here: `winsum-bench`) use it; a corrupt file, or
# parameters that overflow or do not fit the device, are ignored with the
# reason in the tuning source; the file is trusted only as the disk cache
# is. The result comes with a verdict (kept the incumbent or took the
# challenger, with medians and spread) on stdout and in the file. A tiny
# search (--quick --max-candidates 2) keeps this short.
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
# the verdict: the challenger against the parameters the context started
# with (the incumbent), with the medians, the margin and the spread; the
# incumbent is kept unless the challenger won, and the stored file says so
start=$(sed -n 's/^starting from: \([0-9,]*\) .*/\1/p' <<<"$out")
verdict=$(sed -n 's/^verdict: //p' <<<"$out")
check "tune prints a verdict ($out)" \
    'grep -qE "^challenger [0-9,]+ against incumbent $start \(.*\): (kept the incumbent|took the challenger)" <<<"$verdict" &&
     grep -qE "median [0-9.]+ vs [0-9.]+ GFLOP/s, faster in [0-9]+ of 8 alternating pairs" <<<"$verdict" &&
     grep -qE "spread [0-9.]+%|[0-9.]+% spread" <<<"$verdict"'
if grep -q ": kept the incumbent" <<<"$verdict"; then
    check "kept the incumbent: the parameters are the starting ones ($start, $params)" '[ "$params" = "$start" ]'
    check "kept the incumbent: says why" \
        'grep -qE "the challenger(.s [0-9.]+% is inside the [0-9.]+% spread| is [0-9.]+% slower| is no faster|.s [0-9.]+% is outside)" <<<"$verdict"'
else
    check "took the challenger: new parameters ($start, $params)" '[ "$params" != "$start" ] && grep -q "^challenger $params against" <<<"$verdict"'
    check "took the challenger: says by how much" 'grep -qE "took the challenger: [0-9.]+% faster, spread [0-9.]+%" <<<"$verdict"'
fi
check "the tune file records the verdict" 'grep -qxF "# verdict: $verdict" "$dir"/tune-*.txt'
# one line a kernel family, its parameters by name: GETT's are the tile
# parameters; gemv's are stored too (its defaults, named)
gett_line=$(grep "^gett " "$dir"/tune-*.txt)
check "the tune file holds the parameters ($gett_line)" \
    '[ "$(sed "s/^gett //; s/[a-z_]*=//g; s/ /,/g" <<<"$gett_line")" = "$params" ] &&
     grep -q "^gett wgm=[0-9]* wgn=[0-9]* mr=[0-9]* nr=[0-9]* mc=[0-9]* nc=[0-9]* kc=[0-9]* vw=[0-9]*$" <<<"$gett_line"'
check "the tune file holds gemv's parameters by name" \
    'grep -q "^gemv vl_rows=[0-9]* vl_dots=[0-9]* rowb=[0-9]* kblock=[0-9]* " "$dir"/tune-*.txt'
bench=$(WINSUM_CACHE_DIR=$dir "$winsum_bench" --suite gemm --quick 2>/dev/null)
check "bench uses the tuned parameters" 'grep -q "tile parameters: $params, tuned (" <<<"$bench"'
cp "$dir"/tune-*.txt "$dir/good.txt"
# a corrupt tune file is ignored, not trusted
for f in "$dir"/tune-*.txt; do echo "0,0,garbage" > "$f"; done
bench=$(WINSUM_CACHE_DIR=$dir "$winsum_bench" --suite gemm --quick 2>/dev/null)
check "a corrupt tune file is ignored" '! grep -q "tuned (" <<<"$bench"'
# an override wins
bench=$(WINSUM_GETT=1,1,4,16,32,32,64,16 WINSUM_CACHE_DIR=$dir "$winsum_bench" --suite gemm --quick 2>/dev/null)
check "WINSUM_GETT overrides" 'grep -q "tile parameters: 1,1,4,16,32,32,64,16, WINSUM_GETT" <<<"$bench"'
check "bench with the override matches the reference" '! grep -q MISMATCH <<<"$bench"'
# tile parameters whose products overflow int, or that do not fit the
# device, are ignored (WINSUM_GETT and the tuned file alike) with the reason
# in the tuning source; every einsum still runs (it crashed: wgm*mr overflowed
# and the validity check divided by zero)
/usr/bin/python3 -c "import numpy as np, sys; np.save(sys.argv[1], np.arange(12, dtype=np.float32).reshape(3, 4))" "$dir/a.npy"
WINSUM_CACHE_DIR=off timeout 60 "$winsum" einsum 'ij,kj->ik' "$dir/a.npy" "$dir/a.npy" -o "$dir/want.npy" --backend ref
overflow=4,1,1073741824,1,64,64,16,1
out=$(WINSUM_GETT=$overflow WINSUM_CACHE_DIR=$dir timeout 60 "$winsum" einsum 'ij,kj->ik' "$dir/a.npy" "$dir/a.npy" -o "$dir/got.npy" --backend opencl 2>&1); rc=$?
check "WINSUM_GETT=$overflow: einsum exits 0 ($rc: $out)" '[ $rc -eq 0 ] && cmp -s "$dir/want.npy" "$dir/got.npy"'
for bad in "$overflow|mr = 1073741824 is outside 1..64" \
           "2147483647,2147483647,1,1,64,64,16,1|wgm = 2147483647 is outside" \
           "1,1,8,32,64,64,99999999999999999999,16|kc = 99999999999999999999 is outside" \
           "1,1,8,32,64,64,256,3|vw = 3 is not" \
           "1,1,8,32,4096,4096,4096,16|the tiles need 269484032 bytes of local memory" \
           "1,1,8,32,60,64,256,16|mc = 60 is not a multiple of wgm*mr = 8" \
           "1,1,8,32,64,64,256|not eight comma-separated integers" \
           "1,1,8,32,64,64,256,16,1|text after the eighth value" \
           "0,0,garbage|wgm = 0 is outside 1..1024" \
           "garbage|not eight comma-separated integers"; do
    spec=${bad%%|*} why=${bad#*|}
    out=$(WINSUM_GETT=$spec WINSUM_CACHE_DIR=$dir timeout 60 "$winsum" devices 2>&1); rc=$?
    check "WINSUM_GETT=$spec is ignored with its reason ($rc: $out)" \
        '[ $rc -eq 0 ] && grep -qF "WINSUM_GETT=$spec ignored: $why" <<<"$out" && ! grep -q "tile parameters $spec," <<<"$out"'
done
tunefile=$(ls "$dir"/tune-*.txt | head -1)
printf '# wgm,wgn,mr,nr,mc,nc,kc,vw\n%s\n' "$overflow" > "$tunefile"
out=$(WINSUM_CACHE_DIR=$dir timeout 60 "$winsum_bench" --suite overhead --quick --reps 1 2>&1); rc=$?
check "a tune file with $overflow is ignored with its reason ($rc: $out)" \
    '[ $rc -eq 0 ] && grep -qF "$tunefile ignored: mr = 1073741824 is outside 1..64" <<<"$out" && ! grep -q "tuned (" <<<"$out"'
out=$(WINSUM_CACHE_DIR=$dir timeout 60 "$winsum" einsum 'ij,kj->ik' "$dir/a.npy" "$dir/a.npy" -o "$dir/got.npy" --backend opencl 2>&1); rc=$?
check "... and einsum runs ($rc: $out)" '[ $rc -eq 0 ] && cmp -s "$dir/want.npy" "$dir/got.npy"'

# the tune file is trusted only as the disk cache is: a regular file (a FIFO
# blocked every context), not a link, owned by this user, in a folder only
# this user can write
restore() { rm -f "$tunefile"; cp "$dir/good.txt" "$tunefile"; chmod 644 "$tunefile"; chmod 700 "$dir"; }
trusted() { # trusted NAME REASON: the tuned file is not used, and REASON says why
    out=$(WINSUM_CACHE_DIR=$dir timeout 20 "$winsum" devices 2>&1); rc=$? reason=$2
    check "$1: not used ($rc: $out)" '[ $rc -eq 0 ] && ! grep -q "tuned (" <<<"$out" && grep -qF "$reason" <<<"$out"'
    restore
}
restore
out=$(WINSUM_CACHE_DIR=$dir timeout 20 "$winsum" devices 2>&1)
check "the restored tune file is used ($out)" 'grep -q "tuned (" <<<"$out"'
rm -f "$tunefile"; mkfifo "$tunefile"
trusted "a FIFO as the tune file" "$tunefile ignored: not a regular file"
mv "$tunefile" "$dir/elsewhere.txt"; ln -s "$dir/elsewhere.txt" "$tunefile"
trusted "a link as the tune file" "$tunefile ignored: a symbolic link"
chmod 666 "$tunefile"
trusted "a tune file writable by others" "$tunefile ignored: writable by group or others (mode 0666)"
chmod 770 "$dir"
trusted "a cache folder writable by its group" "disk cache off: the cache folder $dir is writable by group or others (mode 0770)"
if chown 65534 "$tunefile" 2>/dev/null; then
    trusted "a tune file owned by another user" "$tunefile ignored: owned by uid 65534"
    chown 65534 "$dir"
    trusted "a cache folder owned by another user" "disk cache off: the cache folder $dir is owned by uid 65534"
    chown "$(id -u)" "$dir"
else
    echo "test_tune: cannot chown (not root): the other-owner cases are skipped"
fi

bad=$("$winsum" tune --bogus 2>&1 >/dev/null); rc=$?
check "tune: unknown option is a usage error" '[ $rc -eq 2 ] && [ $(wc -l <<<"$bad") -eq 1 ]'
echo "test_tune: $pass passed, $fail failed"
[ $fail -eq 0 ]

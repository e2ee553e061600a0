#!/usr/bin/env bash
# check_pip.sh - the Python package as pip installs it: `pip install .` from
# a copy of the source tree into a fresh venv (Debian's python3, with its
# system site-packages for numpy; --no-build-isolation and --no-index, as no
# other package registry is reached), then `import winsum` from another
# folder with no variable set, a computation, `pip uninstall`; and
# `python3 -m build --wheel --no-isolation`, a platform wheel that carries
# libwinsum.so.0.
#
# Usage: check_pip.sh SOURCE_DIR
set -u
src=${1:?usage: check_pip.sh SOURCE_DIR}
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
check() {
    local name=$1
    shift
    if "$@" >"$T/log" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name"
        tail -20 "$T/log"
    fi
}
# The source as a user has it (tracked and untracked files, no build folders)
mkdir "$T/src"
if git -C "$src" rev-parse >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$T/src")
else
    tar -C "$src" --exclude='./build*' -cf - . | tar -C "$T/src" -xf -
fi
unset WINSUM_LIBRARY PYTHONPATH PIP_FIND_LINKS
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} PIP_NO_INDEX=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
V=$T/venv
check "a venv with the system site-packages" $PY -m venv --system-site-packages "$V"
check "pip install . (the source tree)" "$V/bin/pip" install --no-build-isolation "$T/src"
mkdir "$T/elsewhere"
cd "$T/elsewhere" || exit 1
check "import winsum from another folder, the library inside the package" "$V/bin/python" -c "
import numpy as np, winsum
assert winsum.library_path.startswith('$V/'), winsum.library_path
a = np.arange(12, dtype=np.float32).reshape(3, 4)
assert np.allclose(winsum.einsum('ij,kj->ik', a, a), a @ a.T)
assert winsum.__version__ == '$(sed -n 's/^project(winsum VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")'"
check "pip show names the version and license" bash -c "'$V/bin/pip' show winsum | grep -q '^License: Apache-2.0'"
check "pip uninstall" "$V/bin/pip" uninstall -y winsum
check "nothing of it is left in the venv" bash -c "! ls '$V'/lib/python3*/site-packages | grep -qi winsum"
check "python3 -m build --wheel --no-isolation" $PY -m build --wheel --no-isolation -o "$T/dist" "$T/src"
check "a platform wheel with libwinsum.so.0 and the package" $PY -c "
import glob, zipfile
w = glob.glob('$T/dist/winsum-*.whl')
assert len(w) == 1 and w[0].endswith('linux_x86_64.whl'), w
names = zipfile.ZipFile(w[0]).namelist()
for n in ('winsum/libwinsum.so.0', 'winsum/__init__.py', 'winsum/torch.py', 'winsum/py.typed'):
    assert n in names, (n, names)
assert not any(n.startswith('tests/') for n in names), names"
echo "check_pip: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

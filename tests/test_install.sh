#!/usr/bin/env bash
# test_install.sh - winsum as a user installs and uses it: `cmake --install`
# into a fresh prefix, then the examples built as an outside project twice,
# with CMake's find_package(winsum) (shared and static) and with the
# pkg-config Makefile of examples/, and run; the installed library's soname,
# its exported symbols (winsum_* only) and the installed tools.
#
# Usage: bash tests/test_install.sh path/to/build/winsum path/to/build/winsum-bench
set -u
BUILD=$(cd "$(dirname "${1:?usage: test_install.sh BUILD/winsum BUILD/winsum-bench}")" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/winsum_test_install.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
check() { # check NAME COMMAND...: passes when the command succeeds (output in $T/log)
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
P=$T/prefix
check "cmake --install" cmake --install "$BUILD" --prefix "$P"
LIB=$(dirname "$(find "$P" -name 'libwinsum.so.0' | head -1)")
check "libwinsum.so.0 installed" test -n "$LIB"
check "the soname is libwinsum.so.0" bash -c "readelf -d '$LIB/libwinsum.so.0' | grep -q 'SONAME.*\[libwinsum.so.0\]'"
check "only winsum_* symbols are exported" bash -c "syms=\$(nm -D --defined-only '$LIB/libwinsum.so.0' | awk '{print \$3}'); \
    [ -n \"\$syms\" ] && ! grep -v '^winsum_' <<<\"\$syms\""
check "libwinsum.a, the headers and the package files" test -f "$LIB/libwinsum.a" -a -f "$P/include/winsum.h" \
    -a -f "$P/include/winsum_ocl.h" -a -f "$P/include/winsum_version.h" -a -f "$LIB/cmake/winsum/winsumConfig.cmake" -a -f "$LIB/pkgconfig/winsum.pc"
check "the tools and their data" test -x "$P/bin/winsum" -a -x "$P/bin/winsum-bench" \
    -a -f "$P/share/winsum/tccg-odd.txt" -a -f "$P/share/winsum/plot.gnuplot"
check "the license, change log and README in share/doc/winsum" test -f "$P/share/doc/winsum/LICENSE" \
    -a -f "$P/share/doc/winsum/CHANGELOG.md" -a -f "$P/share/doc/winsum/README.md"
# the API reference goes with the docs when it was built (make docs)
if [ -f "$BUILD/docs/html/index.html" ]; then
    check "the API reference in share/doc/winsum/html" test -f "$P/share/doc/winsum/html/index.html" \
        -a -f "$P/share/doc/winsum/html/group__einsum.html"
fi
check "the installed winsum tool runs" "$P/bin/winsum" version
check "the installed Python package imports and computes" env -u WINSUM_LIBRARY \
    PYTHONPATH="$(dirname "$(find "$P" -path '*/winsum/__init__.py' | head -1)")/.." /usr/bin/python3 -c \
    "import numpy as np, winsum; a = np.arange(12, dtype=np.float32).reshape(3, 4); \
assert winsum.library_path.startswith('$P'), winsum.library_path; \
assert np.allclose(winsum.einsum('ij->i', a), a.sum(1))"
# the manual pages (help2man from --help, generated when help2man is found)
if command -v help2man >/dev/null; then
    check "the manual pages" test -f "$P/share/man/man1/winsum.1" -a -f "$P/share/man/man1/winsum-bench.1"
    check "winsum.1 has the usage" grep -q 'winsum einsum' "$P/share/man/man1/winsum.1"
    for sec in 'WINSUM EINSUM' 'WINSUM CONV FORWARD' 'WINSUM CONV BACKWARD-DATA' 'WINSUM TUNE'; do
        check "winsum.1 has a section $sec" grep -q "^\.SH \"$sec\"" "$P/share/man/man1/winsum.1"
    done
    check "winsum-bench.1 has a section per driver" grep -q '^\.SH "WINSUM-BENCH CONV BACKWARD-WEIGHT"' \
        "$P/share/man/man1/winsum-bench.1"
    check "the man pages keep one usage line a line (no filling)" grep -q '^\.nf' "$P/share/man/man1/winsum.1"
    check "winsum-bench.1 has the driver" grep -q 'one-layer driver' "$P/share/man/man1/winsum-bench.1"
else
    echo "test_install: help2man not found: the manual pages are not checked"
fi

# CMake: find_package(winsum), shared then static; CTest runs the examples
for kind in shared static; do
    static=OFF
    [ $kind = static ] && static=ON
    check "find_package(winsum), $kind: configure" cmake -S "$SRC/examples" -B "$T/cmake-$kind" \
        -DCMAKE_PREFIX_PATH="$P" -DWINSUM_EXAMPLES_STATIC=$static
    check "find_package(winsum), $kind: build" cmake --build "$T/cmake-$kind"
    check "find_package(winsum), $kind: the examples run" ctest --test-dir "$T/cmake-$kind" --output-on-failure
done

# A subproject: add_subdirectory(winsum) builds the library alone (no tools,
# no tests) and gives the targets winsum::winsum and winsum::winsum_static
mkdir -p "$T/sub"
cat >"$T/sub/CMakeLists.txt" <<EOS
cmake_minimum_required(VERSION 3.25)
project(consumer C)
add_subdirectory("$SRC" winsum)
add_executable(app "$SRC/examples/einsum_matmul.c")
target_link_libraries(app PRIVATE winsum::winsum m)
EOS
check "add_subdirectory(winsum): configure and build" bash -c \
    "cmake -S '$T/sub' -B '$T/sub/b' && cmake --build '$T/sub/b' -j 2"
check "add_subdirectory(winsum): no tools or tests of winsum's own" \
    test ! -e "$T/sub/b/winsum/winsum" -a ! -e "$T/sub/b/winsum/test_einsum"
check "add_subdirectory(winsum): the program runs" "$T/sub/b/app"

# pkg-config: the Makefile in examples/, on copies of the sources
export PKG_CONFIG_PATH=$LIB/pkgconfig
check "pkg-config finds winsum" pkg-config --exists winsum
check "pkg-config --static names -lm" bash -c "pkg-config --static --libs winsum | grep -q -- '-lm'"
mkdir -p "$T/pc" && cp "$SRC"/examples/*.c "$SRC/examples/Makefile" "$T/pc/"
check "pkg-config Makefile: build" make -C "$T/pc"
for e in einsum_matmul conv_layer own_queue; do
    check "pkg-config Makefile: $e runs" env LD_LIBRARY_PATH="$LIB" "$T/pc/$e"
done
echo "test_install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

"""The Python layer's contract under adversarial use (issue 18): out= of any
address and layout, one Plan shared by threads, plan outputs of another dtype,
no leak whatever the order of close / del / GC, the library search order, and
nothing written to out on an error."""
import os
import shutil
import subprocess
import sys

import winsum


# ----------------------------------------------------------- finding 15

LOAD = "import winsum, sys; sys.stdout.write(winsum.library_path)"

def _lib_file():
    return winsum.library_path

def _run(pythonpath, env_lib):
    env = {k: v for k, v in os.environ.items()
           if k not in ("WINSUM_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
    env["PYTHONPATH"] = pythonpath
    if env_lib:
        env["WINSUM_LIBRARY"] = env_lib
    return subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True, text=True,
                          cwd="/")

def test_library_search_order(tmp_path):
    pkg = os.path.dirname(winsum.__file__)
    lib = _lib_file()
    # an installed tree: PREFIX/lib/libwinsum.so.0 and the package in
    # PREFIX/lib/python3/dist-packages/winsum
    prefix = tmp_path / "prefix"
    site = prefix / "lib" / "python3" / "dist-packages"
    shutil.copytree(pkg, site / "winsum", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(lib, prefix / "lib" / "libwinsum.so.0")
    mine = tmp_path / "mine" / "libwinsum.so"
    mine.parent.mkdir()
    shutil.copy(lib, mine)
    r = _run(str(site), str(mine))
    assert r.returncode == 0, r.stderr
    assert r.stdout == str(mine), "$WINSUM_LIBRARY ignored for " + r.stdout
    r = _run(str(site), None)  # without the variable: the installed copy beside the package
    assert r.returncode == 0 and r.stdout == str(prefix / "lib" / "libwinsum.so.0"), r
    # a checkout (CHECKOUT/python/winsum) whose parent folder holds a stray library
    parent = tmp_path / "parent"
    shutil.copytree(pkg, parent / "checkout" / "python" / "winsum",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(lib, parent / "libwinsum.so.0")
    r = _run(str(parent / "checkout" / "python"), str(mine))
    assert r.returncode == 0 and r.stdout == str(mine), r
    r = _run(str(parent / "checkout" / "python"), None)
    assert r.stdout != str(parent / "libwinsum.so.0"), "loaded the parent folder's copy"
    # an explicit variable that does not load is an error, not a silent fallback
    r = _run(str(site), str(tmp_path / "missing.so"))
    assert r.returncode != 0 and "WINSUM_LIBRARY" in r.stderr, r

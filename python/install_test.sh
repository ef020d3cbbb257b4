#!/bin/bash
# install_test.sh PYTHON: the README's install one-liner, offline. Makes a venv from PYTHON (the
# interpreter _ustack.so is built for) in TEST_TMPDIR, `pip install --no-build-isolation
# --no-index` of a copy of python/'s package sources with the Bazel-built _ustack.so
# (USTACK_SO), then, from outside the source tree and with no PYTHONPATH, imports ustack from
# the venv and runs an echo over two in-memory networks. Nothing is downloaded.
set -euo pipefail
PY=$1
T=${TEST_TMPDIR:?}
unset PYTHONPATH
export HOME="$T" PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
export USTACK_SO="$PWD/python/_ustack.so"

mkdir -p "$T/src"
cp -rL python/ustack python/setup.py python/pyproject.toml python/README.md "$T/src/"
chmod -R u+w "$T/src"
# --without-pip: the venv uses Debian's pip (python3-pip) through --system-site-packages.
"$PY" -m venv --system-site-packages --without-pip "$T/venv"
"$T/venv/bin/python" -m pip install --no-build-isolation --no-index "$T/src"
rm -rf "$T/src"  # the import below must come from the venv alone

cd "$T"
"$T/venv/bin/python" -I - "$T/venv" <<'PY'
import sys
import _ustack
import ustack
venv = sys.argv[1]
for m in (ustack, _ustack):
    assert m.__file__.startswith(venv + "/lib/"), m.__file__
print("imported", ustack.__file__, _ustack.__file__)

lab = ustack.VirtualLab()
with ustack.Network.in_memory(lab, "--addr", "198.18.0.2/24") as a, \
        ustack.Network.in_memory(lab, "--addr", "198.18.0.1/24") as b:
    ustack.install()
    import socket
    assert socket is ustack.usocket
    server = b.socket()
    server.bind(("198.18.0.1", 7))
    server.listen()
    c = socket.socket()
    c.connect(socket.getaddrinfo("198.18.0.1", 7)[0][-1])
    s, _ = server.accept()
    c.write(b"echo over ustack\n")
    s.write(s.readline())
    got = c.readline()
    assert got == b"echo over ustack\n", got
    print("echoed", got)
PY
"$T/venv/bin/python" -m pip uninstall -y ustack
if "$T/venv/bin/python" -I -c "import ustack" 2>/dev/null; then
  echo "ustack still importable after pip uninstall" >&2
  exit 1
fi
echo "PASS"

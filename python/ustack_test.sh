#!/bin/bash
# Runs a Python test module of python/ with Debian's /usr/bin/python3 (the interpreter
# _ustack.so is built for), the package and the built module on PYTHONPATH.
set -euo pipefail
export PYTHONPATH="$PWD/python"
exec /usr/bin/python3 -m unittest -v "$@"

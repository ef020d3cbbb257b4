#!/bin/bash
# ustack_test.sh PYTHON TEST_FILE...: runs python/'s tests under pytest (Debian's
# python3-pytest; it runs the unittest classes too) with PYTHON, the interpreter _ustack.so is
# built for (@python3_headers//:defs.bzl), the package and the built module on PYTHONPATH.
# The JUnit XML goes to Bazel's XML_OUTPUT_FILE, so tools/test.sh counts every test case.
set -euo pipefail
PY=$1
shift
export PYTHONPATH="$PWD/python"
export PYTHONDONTWRITEBYTECODE=1
exec "$PY" -m pytest -v -p no:cacheprovider ${XML_OUTPUT_FILE:+--junitxml="$XML_OUTPUT_FILE"} \
  "$@"

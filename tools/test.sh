#!/bin/bash
# The whole test suite, as the README and CI run it:
#   1. setup (apt packages), 2. every test with g++ (`bazel test //...`: core tests, pcap tests
#   and the integration tests against the real kernel over TUN/TAP in fresh namespaces),
#   among them python/'s pytest suites (python3-pytest; their JUnit XML counts every case),
#   3. the core again under ASan+UBSan, 4. a short libFuzzer run of every fuzz target.
# Ends with one line `N passed, N failed` (test cases, not Bazel targets); exits non-zero if
# anything failed. FUZZ_SECONDS (total for all fuzzers, default 60) and SKIP_ASAN=1 /
# SKIP_FUZZ=1 shorten a local run.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

PASSED=0
FAILED=0
LOG=$(mktemp -d /tmp/ustack-test.XXXXXX)
trap 'rm -rf "$LOG"' EXIT

# Debian's Bazel 4.2.3 linux-sandbox prints its debug trace for every action; hide it.
quiet() { grep --line-buffered -v "src/main/tools/linux-sandbox"; }

# count LABEL: adds the counts of the bazel run whose output is in $LOG/out.
count() {
  read -r p f < <(tools/ci_summary.py --label "$1" <"$LOG/out")
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
}

echo "== bazel test //... (g++)"
# --keep_going: a target that fails to build is counted as failed; the rest still run.
# --test_summary=short lists every target, which ci_summary.py needs to count them all.
# --nocache_test_results: every test really runs (the disk cache would replay old passes, and
# the integration tests depend on the kernel they run against, not only on their inputs).
bazel test --keep_going --test_summary=short --nocache_test_results //... 2>&1 | quiet | tee "$LOG/out"
count ""

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  echo "== bazel test --config=asan //stack/... (ASan+UBSan)"
  bazel test --keep_going --test_summary=short --nocache_test_results --config=asan //stack/... 2>&1 | quiet | tee "$LOG/out"
  count "asan:"
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  echo "== libFuzzer (clang)"
  mapfile -t FUZZERS < <(bazel query 'attr(tags, "\bfuzzer\b", //...)' 2>/dev/null)
  if ((${#FUZZERS[@]})); then
    if bazel build --config=fuzz "${FUZZERS[@]}" 2>&1 | quiet | tail -3; then
      budget=$(( ${FUZZ_SECONDS:-60} / ${#FUZZERS[@]} ))
      ((budget < 3)) && budget=3
      for t in "${FUZZERS[@]}"; do
        bin="bazel-bin/${t#//}"; bin="${bin/://}"
        pkg_dir="${t#//}"; pkg_dir="${pkg_dir%%:*}"; name="${t##*:}"
        work="$LOG/fuzz-$name"; mkdir -p "$work/corpus"
        [ -d "$pkg_dir/corpus/$name" ] && cp -r "$pkg_dir/corpus/$name/." "$work/corpus/"
        if "$bin" -max_total_time="$budget" -artifact_prefix="$work/" "$work/corpus" \
            >"$work/log" 2>&1; then
          PASSED=$((PASSED + 1)); echo "fuzz $t: ok ($(grep -o 'Done [0-9]* runs' "$work/log"))"
        else
          FAILED=$((FAILED + 1)); echo "FAILED fuzz $t:"; tail -40 "$work/log"
          for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
            [ -e "$a" ] && echo "  crashing input (hex): $(od -An -v -tx1 "$a" | tr -d ' \n' | head -c 400)"
          done
        fi
      done
    else
      FAILED=$((FAILED + 1)); echo "FAILED: fuzz build"
    fi
  fi
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

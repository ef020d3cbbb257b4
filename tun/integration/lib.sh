# Shared helpers for the integration tests that run `ustack` against the real kernel: the tests
# here (`ustack up`) and, through tools/integration/lib.sh, the `ustack serve`/`connect` tests.
#
# Every test gets unique names (they include the pid), uses only 198.18.0.0/15 and fd00::/8,
# stops only the processes it started (by PID) and removes its namespace on exit, also when it
# fails. A machine without root or /dev/net/tun fails the test loudly; nothing is skipped.
set -uo pipefail

USTACK="${USTACK:-$PWD/tools/ustack}"
ID="$$"
NS="ustns${ID}"
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/ustack-it.XXXXXX")"
PIDS=()
EXTRA_NS=()  # further namespaces a test (or the ustack it started) creates, removed on exit
USTACK_PID=""  # the ustack under test: dump_counters signals it
USTACK_LOG="$WORK/ustack.log"  # its output: die, finish and dump_counters read it
FAILURES=0

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  local ns
  for ns in "$NS" "${EXTRA_NS[@]}"; do
    ip netns delete "$ns" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

die() {
  echo "FAIL: $*" >&2
  if [ -f "$USTACK_LOG" ]; then
    echo "--- ustack log (last 60 lines):" >&2
    tail -60 "$USTACK_LOG" >&2
  fi
  exit 1
}

check() {  # check DESCRIPTION COMMAND...: runs COMMAND, records a failure if it fails
  local what="$1"
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAIL: $what" >&2
    FAILURES=$((FAILURES + 1))
  fi
}

finish() {
  if [ "$FAILURES" -ne 0 ]; then
    echo "--- ustack log (last 80 lines):" >&2
    tail -80 "$USTACK_LOG" >&2
    echo "FAIL: $FAILURES check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}

require_root() {
  [ "$(id -u)" = 0 ] || die "needs root (creates network namespaces and TUN/TAP devices)"
  [ -c /dev/net/tun ] || die "/dev/net/tun is missing (modprobe tun)"
  [ -x "$USTACK" ] || die "ustack binary not found at $USTACK"
  command -v ip >/dev/null || die "ip (iproute2) not on PATH ($PATH)"
}

in_ns() { ip netns exec "$NS" "$@"; }

# bg_ns CMD...: starts CMD in the namespace in the background; its PID (ip netns exec execs
# CMD, so signals reach CMD itself) goes to BG_PID and to the cleanup list.
bg_ns() {
  ip netns exec "$NS" "$@" &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

# launch_bg NAME CMD...: runs CMD in the background as the program under test (its PID in
# USTACK_PID, its output in USTACK_LOG) and waits for its "ready" line; NAME is for messages.
launch_bg() {
  local name=$1
  shift
  # Emptied here, not only by the child's redirection: the loop below could otherwise read the
  # previous run's "ready" before the child has truncated the file.
  : >"$USTACK_LOG"
  "$@" >"$USTACK_LOG" 2>&1 &
  USTACK_PID=$!
  PIDS+=("$USTACK_PID")
  for _ in $(seq 100); do
    grep -q "ready" "$USTACK_LOG" 2>/dev/null && return 0
    kill -0 "$USTACK_PID" 2>/dev/null || die "$name exited early: $(cat "$USTACK_LOG")"
    sleep 0.1
  done
  die "$name did not print 'ready' within 10 s"
}

# launch_ustack SUBCOMMAND ARGS...: `ustack SUBCOMMAND ARGS` as launch_bg runs it.
launch_ustack() { launch_bg "ustack $1" "$USTACK" "$@"; }

# start_ustack ARGS...: `ustack up ARGS`, started as launch_ustack does.
start_ustack() { launch_ustack up "$@"; }

# stop_ustack [SIGNAL]: stops our ustack by PID and waits for it; its exit code in USTACK_RC.
stop_ustack() {
  kill -"${1:-INT}" "$USTACK_PID" 2>/dev/null
  wait "$USTACK_PID"
  USTACK_RC=$?
}

# dump_counters: SIGUSR1, then waits until a new counters block is complete in the log and
# prints it (the text between the last "... counters (when):" and "end of counters" lines).
dump_counters() {
  local before
  before=$(grep -c "end of counters" "$USTACK_LOG")
  kill -USR1 "$USTACK_PID" || die "ustack is not running"
  for _ in $(seq 50); do
    [ "$(grep -c "end of counters" "$USTACK_LOG")" -gt "$before" ] && break
    sleep 0.1
  done
  awk '/counters.*:$/{buf=""} {buf=buf $0 "\n"} /end of counters/{last=buf} END{printf "%s", last}' \
    "$USTACK_LOG"
}

# counter SECTION NAME < counters-text: the value of NAME in section SECTION ("Ip", "Drops"),
# 0 when absent (zero counters are not printed).
counter() {
  awk -v sec="$1:" -v name="$2" '
    /^[A-Za-z0-9 ]+:$/ {cur=$0; next}
    cur==sec && $2==name {v=$1}
    END {print v+0}'
}

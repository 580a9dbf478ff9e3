#!/usr/bin/env bash
# The load benchmark of bench/README.md (scenarios and budget there): builds the release binary and the examples, then runs bench/run.py,
# which seeds a fresh SQLite database through the API, counts the SQL statements of one request of
# each scenario, and drives each scenario with wrk (closed loop). Prints a markdown table and
# writes bench/results/latest.md and bench/results/latest.json.
#
# Usage (from anywhere; it works from the repository root):
#   scripts/bench.sh
#   BENCH_DURATION=2 BENCH_WARMUP=1 scripts/bench.sh      # a quick smoke run
#
# Environment:
#   BENCH_DURATION     measured seconds per scenario (default 10)
#   BENCH_WARMUP       warm-up seconds per scenario (default 2; 0 skips it)
#   BENCH_CONNECTIONS  wrk connections (default 32)
#   BENCH_WRK_THREADS  wrk threads (default 1: wrk gets one core of its own)
#   BENCH_OUT_DIR      where latest.md / latest.json go (default bench/results)
#   BENCH_DATABASE_URL run the service on PostgreSQL instead of SQLite: a database URL whose
#                      database is dropped and created again for each phase, e.g.
#                      BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/todo_bench \
#                      BENCH_OUT_DIR=bench/results/postgres scripts/bench.sh
#   BENCH_PROFILE      scenarios to profile after their measured run, e.g. "a,c" or "all":
#                      an extra unmeasured run under `perf record` (cpu-clock, DWARF call
#                      graphs), top frames in bench/results/profile-<scenario>.txt
#   BENCH_KEEP_TMP     keep the temporary folder (database, server logs, raw wrk output)
#   SQLITE_SYNCHRONOUS passed through to the server (default there: NORMAL)
#   BENCH_PIN_POSTGRES with BENCH_DATABASE_URL on this machine (127.0.0.1 or localhost): 1 (the
#                      default) moves the PostgreSQL server's processes to wrk's core for the run
#                      and gives them every core back afterwards, so that the service's core is
#                      its own; 0 leaves them where the system puts them
#
# On a machine with 2+ cores the server runs on core 0 and wrk on core 1 (taskset).
# wrk comes from Debian's packages (apt-get) when it is missing. Needs python3 (standard library).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

LOADAVG_BEFORE=$(cat /proc/loadavg)
log "load average before the run: $LOADAVG_BEFORE"

if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk from Debian's packages"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
for tool in python3 cargo; do
    command -v "$tool" >/dev/null 2>&1 || { log "$tool is required"; exit 1; }
done
if [ -n "${BENCH_PROFILE:-}" ] && ! command -v perf >/dev/null 2>&1; then
    log "installing perf from Debian's packages (BENCH_PROFILE is set)"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq linux-perf >/dev/null || true
fi
if [ "$(nproc)" -ge 2 ] && ! command -v taskset >/dev/null 2>&1; then
    log "taskset (util-linux) is missing: the server and wrk will not be pinned"
fi

# The commit being measured ("-dirty" when tracked files differ from it), taken before building.
GIT_COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# (Earlier results in bench/results do not count: a run writes them.)
if [ -n "$(git status --porcelain --untracked-files=no -- . ':!bench/results' 2>/dev/null)" ]; then
    GIT_COMMIT="$GIT_COMMIT-dirty"
fi

log "building the release binary and the examples ($GIT_COMMIT)"
cargo build --release --quiet --bin todo-api
cargo build --release --quiet --example baseline --example argon2_verify

TARGET_DIR=$(cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' \
    || echo "$ROOT/target")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/todo-bench.XXXXXX")
PIDS="$TMP/pids"
: >"$PIDS"
# The local PostgreSQL server's processes (new backends inherit the postmaster's affinity).
pin_postgres() {
    local cpus=$1 pid
    for pid in $(pgrep -x postgres || true); do
        taskset -pc "$cpus" "$pid" >/dev/null 2>&1 || true
    done
}
PINNED_POSTGRES=""
case "${BENCH_DATABASE_URL:-}" in
    postgres*://*@127.0.0.1[:/]* | postgres*://*@localhost[:/]* | postgres*://127.0.0.1[:/]* | postgres*://localhost[:/]*)
        if [ "${BENCH_PIN_POSTGRES:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] \
            && command -v taskset >/dev/null 2>&1 && pgrep -x postgres >/dev/null 2>&1; then
            log "PostgreSQL's processes pinned to core 1 (wrk's) for the run"
            pin_postgres 1
            PINNED_POSTGRES=1
            export BENCH_POSTGRES_CORES=1
        fi
        ;;
esac

cleanup() {
    local status=$?
    if [ -n "$PINNED_POSTGRES" ]; then
        pin_postgres "0-$(($(nproc) - 1))"
    fi
    # Every process bench/run.py started is listed by pid; end those still running.
    if [ -s "$PIDS" ]; then
        while read -r pid; do
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                kill -TERM "$pid" 2>/dev/null || true
            fi
        done <"$PIDS"
        sleep 0.5
        while read -r pid; do
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
        done <"$PIDS"
    fi
    if [ -n "${BENCH_KEEP_TMP:-}" ]; then
        log "kept $TMP (logs, wrk output)"
    else
        rm -rf "$TMP"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

RUNNER=(python3 "$ROOT/bench/run.py")
# The driver (seeding, RSS sampling) stays off the server's core.
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    RUNNER=(taskset -c 1 "${RUNNER[@]}")
fi

"${RUNNER[@]}" \
    --server-bin "$TARGET_DIR/release/todo-api" \
    --baseline-bin "$TARGET_DIR/release/examples/baseline" \
    --argon2-bin "$TARGET_DIR/release/examples/argon2_verify" \
    --tmpdir "$TMP" \
    --pids-file "$PIDS" \
    --out-dir "${BENCH_OUT_DIR:-$ROOT/bench/results}" \
    --duration "${BENCH_DURATION:-10}" \
    --warmup "${BENCH_WARMUP:-2}" \
    --connections "${BENCH_CONNECTIONS:-32}" \
    --threads "${BENCH_WRK_THREADS:-1}" \
    --profile "${BENCH_PROFILE:-}" \
    --git-commit "$GIT_COMMIT" \
    --loadavg-before "$LOADAVG_BEFORE" &
# In the background so that a signal to this script runs the trap at once.
RUNNER_PID=$!
echo "$RUNNER_PID" >>"$PIDS"
wait "$RUNNER_PID"

#!/usr/bin/env bash
# Run a test command RUNS times (default 5) with HOGS busy loops (default 3) beside it, on every
# run, and say how many runs failed. Why: a test that waits on the wall clock instead of an event
# passes on a quiet machine and fails on a loaded one (issue 25); this makes the load on purpose.
#
#   scripts/hog_check.sh [COMMAND ...]       # default: .venv/bin/pytest -n auto -q
#   RUNS=5 HOGS=3 make hog-check             # the suite as `make test` runs it, with coverage
#
# Each run's output goes to $LOG_DIR/run-N.log (default: a new temporary folder); the exit
# status is the number of failed runs (0: every run passed). The hogs are killed at exit by
# their process ids, whatever ends the script.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
HOGS="${HOGS:-3}"
LOG_DIR="${LOG_DIR:-$(mktemp -d -t brain-hog-check.XXXXXX)}"
mkdir -p "$LOG_DIR"
if [ "$#" -eq 0 ]; then
    set -- .venv/bin/pytest -n auto -q
fi

hogs=()
stop_hogs() {
    for pid in "${hogs[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait "${hogs[@]}" 2>/dev/null || true
}
trap stop_hogs EXIT
for _ in $(seq "$HOGS"); do
    python3 -c 'while True: pass' &
    hogs+=("$!")
done

failed=0
for run in $(seq "$RUNS"); do
    started=$(date +%s)
    if "$@" >"$LOG_DIR/run-$run.log" 2>&1; then
        verdict=passed
    else
        verdict=FAILED
        failed=$((failed + 1))
    fi
    summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed)|^FAILED|^ERROR' "$LOG_DIR/run-$run.log" | tail -5 || true)
    echo "run $run of $RUNS with $HOGS hogs: $verdict in $(($(date +%s) - started)) s"
    [ "$verdict" = passed ] || echo "$summary"
done
echo "$failed of $RUNS runs failed; logs in $LOG_DIR"
exit "$failed"

#!/usr/bin/env bash
# `make test` (full) and `make test-quick` (quick); PYTEST_ARGS are passed to pytest.
#   full:  every test under coverage, then the end-to-end suite again against the scaled-out Hub (HUB_E2E_SCALED=1),
#          then both passes' coverage combined: the summary is printed and under the floor (fail_under) it fails.
#   quick: the first pass only, without the tests marked `slow` and without coverage, for local iteration.
# Both print how long they took, pass or fail.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
MODE=${1:-full}
TARGET="make test$([ "$MODE" = quick ] && echo -quick)"
# Split as a shell would, as `$(BIN)/pytest $(PYTEST_ARGS)` did: PYTEST_ARGS='-k "a and b"' keeps its quotes.
eval "ARGS=(${PYTEST_ARGS:-})"
STARTED=$(date +%s)

finish() {  # finish STATUS: print the duration, exit with STATUS
  local seconds=$(($(date +%s) - STARTED))
  echo "$TARGET: $([ "$1" -eq 0 ] && echo passed || echo FAILED) in $((seconds / 60)) min $((seconds % 60)) s"
  exit "$1"
}

pytest_pass() {  # pytest_pass [pytest arguments]: one pytest run; stops the script when it fails
  local status=0
  if [ "$MODE" = full ]; then
    "$BIN/coverage" run -m pytest "$@" || status=$?
  else
    "$BIN/pytest" "$@" || status=$?
  fi
  # pytest exits 5 when it collected nothing: a mistyped path or marker, never a pass.
  [ "$status" -eq 5 ] && echo "$TARGET: pytest collected no tests ($*)" >&2
  [ "$status" -eq 0 ] || finish "$status"
}

if [ "$MODE" = quick ]; then
  pytest_pass -m "not slow" "${ARGS[@]}"
  finish 0
fi

"$BIN/coverage" erase
pytest_pass "${ARGS[@]}"
HUB_E2E_SCALED=1 pytest_pass "${ARGS[@]}" tests/e2e
"$BIN/coverage" combine --quiet
# The floor is for the whole suite: a run narrowed by PYTEST_ARGS only reports.
floor=()
[ -z "${PYTEST_ARGS:-}" ] || floor=(--fail-under=0)
report=$("$BIN/coverage" report "${floor[@]}")
status=$?
echo "Branch coverage (least covered files; .venv/bin/coverage report -m or html for all):"
# Sorted by coverage: the header, the ten least covered files, the total (and the floor's verdict when under it).
echo "$report" | head -n 12
echo "$report" | grep -E '^(TOTAL|Coverage failure)'
finish "$status"

#!/usr/bin/env bash
# Run one quality gate with a header, its wall time and a result line; record it for the summary.
#   tools/gate.sh [--no-tests-ok] NAME CMD [ARG...]   run CMD as gate NAME
#   tools/gate.sh --reset                              forget recorded results
#   tools/gate.sh --summary                            print the table; exit 1 if a gate failed
# --no-tests-ok: pytest's exit code 5 ("no tests collected") counts as a pass, with a note.
# Results go to $GATE_RESULTS (default .cache/gate-results.tsv under the repo root).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS=${GATE_RESULTS:-$ROOT/.cache/gate-results.tsv}
mkdir -p "$(dirname "$RESULTS")"
if [ -t 1 ]; then B=$'\033[1m'; G=$'\033[32m'; R=$'\033[31m'; N=$'\033[0m'; else B='' G='' R='' N=''; fi

case "${1:-}" in
  --reset) rm -f "$RESULTS"; exit 0 ;;
  --summary)
    [ -f "$RESULTS" ] || { echo "no gate has run"; exit 1; }
    passed=0 failed=0 total=0
    printf '\n%s%-14s %-10s %8s%s\n' "$B" "gate" "result" "seconds" "$N"
    while IFS=$'\t' read -r name result secs; do
      printf '%-14s %-10s %8s\n' "$name" "$result" "$secs"
      total=$((total + secs))
      case "$result" in fail*) failed=$((failed + 1)) ;; *) passed=$((passed + 1)) ;; esac
    done < "$RESULTS"
    printf '%-14s %-10s %8s\n' "total" "" "$total"
    echo "gates: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]; exit ;;
esac

no_tests_ok=0
[ "${1:-}" = --no-tests-ok ] && { no_tests_ok=1; shift; }
name=$1; shift
printf '\n%s==> %s%s  %s\n' "$B" "$name" "$N" "$(date -u +%H:%M:%SZ)"
start=$SECONDS
"$@"; rc=$?
secs=$((SECONDS - start))
result=pass
if [ "$rc" -eq 5 ] && [ "$no_tests_ok" = 1 ]; then
  echo "NOTE: pytest collected no tests (exit code 5); gate '$name' counts as passed"
  result=pass-empty rc=0
elif [ "$rc" -ne 0 ]; then
  result=fail
fi
printf '%s\t%s\t%s\n' "$name" "$result" "$secs" >> "$RESULTS"
if [ "$rc" -eq 0 ]; then
  printf '%s<== %s: %s in %ss%s\n' "$G" "$name" "$result" "$secs" "$N"
else
  printf '%s<== %s: FAILED (exit %s) after %ss%s\n' "$R" "$name" "$rc" "$secs" "$N"
fi
exit "$rc"

#!/usr/bin/env bash
# The end of `make demo`: benchmark the demo's endpoint. The local cluster's pods (kwok) do not serve, so the
# model server is the inference simulator (tools/inference_sim.py) on a free local port, serving the model
# name of inventories/local (DEMO_MODEL overrides it); playbooks/benchmark.yml runs against it and the simulator is stopped afterwards.
#   tools/demo-benchmark.sh [inventory] [extra ansible-playbook args...]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
INVENTORY=${1:-inventories/local}
shift || true
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
MODEL=${DEMO_MODEL:-Qwen/Qwen2.5-3B-Instruct}
REPORTS=${DEMO_REPORTS:-$ROOT/.cache/demo-reports}

log=$(mktemp)
"$PYTHON" "$HERE/inference_sim.py" --port 0 --model "$MODEL" --ttft-ms 40 --itl-ms 10 --ttft-jitter-ms 5 \
  --itl-jitter-ms 2 > "$log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true; rm -f "$log"' EXIT
url=
for _ in $(seq 100); do
  url=$(grep -o 'http://[0-9.:]*' "$log" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$sim" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the simulator did not start" >&2; cat "$log" >&2; exit 1; }
echo "[demo] inference simulator for $MODEL at $url; reports in $REPORTS"
ansible-playbook -i "$INVENTORY" "$ROOT/playbooks/benchmark.yml" -e benchmark_url="$url" \
  -e benchmark_report_dir="$REPORTS" -e "{\"benchmark_models\": [{\"name\": \"$MODEL\"}]}" \
  -e '{"benchmark_profile": {"type": "sweep", "sweep_type": "concurrency", "levels": [1, 8, 32], "duration": 10, "warmup": 2}}' \
  "$@"

#!/usr/bin/env bash
# The demo job: a synthetic pool, then the demo recipe, then the funnel. Run by `make demo`.
set -euo pipefail
STORE="${1:-demo-out/store}"
BIN=.venv/bin
export HF_HUB_OFFLINE=1
echo "== 1. synthetic pool (PIL-drawn charts, geometry, counting, tables with known answers)"
$BIN/thinkset pool synth --n 400 --seed 0 --name pool-demo --store "$STORE"
echo "== 2. demo recipe"
$BIN/thinkset run recipes/demo.yaml --store "$STORE"
echo "== 3. snapshots"
$BIN/thinkset snapshots list --store "$STORE"
echo "== 4. checks (Great Expectations) and the dataset card (dry-run publish to a folder)"
$BIN/thinkset check sft-demo --store "$STORE"
$BIN/thinkset publish sft-demo --repo thinkset/sft-demo --dry-run --out demo-out/hub/sft-demo --store "$STORE"
echo "card: demo-out/hub/sft-demo/README.md (figures in demo-out/hub/sft-demo/figures/)"
echo "done: store at $STORE (try: .venv/bin/thinkset funnel sft-demo --store $STORE)"

#!/usr/bin/env bash
# The demo job, run by `make demo`: synthetic pool -> demo recipe (caption -> reason -> filters -> select ->
# check) -> GRPO data -> checks and dataset card -> tiny SFT + GRPO training. Safe to run twice: snapshots
# that are up to date are reused, not rewritten.
set -euo pipefail
STORE="${1:-demo-out/store}"
OUT="$(dirname "$STORE")"
BIN=.venv/bin
export HF_HUB_OFFLINE=1
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. synthetic pool: PIL-drawn charts, geometry, counting scenes, tables with known answers"
$BIN/thinkset pool synth --n 400 --seed 0 --name pool-demo --store "$STORE"
step "2. demo recipe: caption -> reason (k=4, synthetic teacher) -> reflection, length, format, correctness -> shortest correct"
$BIN/thinkset run recipes/demo.yaml --store "$STORE"
step "3. GRPO data from the same pool"
$BIN/thinkset run recipes/demo-grpo.yaml --store "$STORE"
step "4. checks (Great Expectations) and the dataset card (dry-run publish to a folder)"
$BIN/thinkset check sft-demo --store "$STORE"
$BIN/thinkset publish sft-demo --repo thinkset/sft-demo --dry-run --out "$OUT/hub/sft-demo" --store "$STORE"
step "5. tiny SFT, then tiny GRPO from the SFT model (a Qwen2.5-VL-architecture model built locally)"
$BIN/thinkset train demo --sft sft-demo --grpo grpo-demo --out "$OUT/models" --store "$STORE"
step "6. what is in the store"
$BIN/thinkset snapshots list --store "$STORE"
$BIN/thinkset lineage sft-demo --store "$STORE"
echo
echo "store:  $STORE"
echo "card:   $OUT/hub/sft-demo/README.md (figures in $OUT/hub/sft-demo/figures/)"
echo "models: $OUT/models"
echo "next:   .venv/bin/thinkset funnel sft-demo --store $STORE ; .venv/bin/thinkset rejections sft-demo --reason wrong_answer --store $STORE"

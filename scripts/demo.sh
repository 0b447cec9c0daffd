#!/usr/bin/env bash
# The demo job, run by `make demo`: synthetic pool -> demo recipe (caption -> reason -> filters -> select ->
# check) -> GRPO data -> checks and dataset card -> tiny SFT + GRPO training. It prints one line per step
# with its figure; every command's full output (tables, our progress, library logs) goes to demo-out/demo.log.
# Safe to run twice: snapshots that are up to date are reused, not rewritten.
#
#   bash scripts/demo.sh [STORE]     STORE defaults to ./thinkset-store, the store every command uses by default
set -euo pipefail
STORE="${1:-thinkset-store}"
OUT="${DEMO_OUT:-demo-out}"
BIN=.venv/bin
mkdir -p "$OUT"
LOG="$OUT/demo.log"
: >"$LOG"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# Quiet the libraries: their progress bars and the deprecation warnings we know about (ours stay, in the log).
export HF_DATASETS_DISABLE_PROGRESS_BARS=1 HF_HUB_DISABLE_PROGRESS_BARS=1 TQDM_DISABLE=1 \
  TRANSFORMERS_VERBOSITY=error TRANSFORMERS_NO_ADVISORY_WARNINGS=1 \
  PYTHONWARNINGS="ignore::FutureWarning,ignore::DeprecationWarning,ignore:\`max_length\` is ignored:UserWarning"

failed() {
  echo "failed: $*" >&2
  tail -n 30 "$LOG" >&2
  echo "full output: $LOG" >&2
  exit 1
}
# thinkset, with its full output to the log
ts() { echo "\$ thinkset $*" >>"$LOG"; "$BIN/thinkset" "$@" --store "$STORE" >>"$LOG" 2>&1 || failed "thinkset $*"; }
# one line of the story: a --json command, summarised by scripts/demo_story.py
say() {
  local label="$1" kind="$2"
  shift 2
  local json
  json="$("$BIN/thinkset" "$@" --json --store "$STORE" 2>>"$LOG")" || failed "thinkset $* --json"
  printf '%-12s %s\n' "$label" "$(echo "$json" | "$BIN/python" scripts/demo_story.py "$kind")"
}

echo "thinkset demo: store $STORE, full output in $LOG"
ts pool synth --n 400 --seed 0 --name pool-demo
say "1. pool" pool snapshots show pool-demo
ts run recipes/demo.yaml
say "2. sft" funnel funnel sft-demo
ts run recipes/demo-grpo.yaml
say "3. grpo" funnel funnel grpo-demo
say "4. checks" check check sft-demo
say "5. card" publish publish sft-demo --repo thinkset/sft-demo --dry-run --out "$OUT/hub/sft-demo"
say "6. train" train train demo --sft sft-demo --grpo grpo-demo --out "$OUT/models"
say "7. store" snapshots snapshots list
echo
echo "Next: the commands of README.md's \"After the demo\" tour, in this shell, after:"
echo "  source .venv/bin/activate"

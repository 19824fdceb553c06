#!/usr/bin/env bash
# The dSprites disentanglement table (docs/interpretability.md): each model trained on dsprites:20000 (18,000
# training images after the validation tenth; latent 10, dense 4096-512-256 bodies, Bernoulli decoder) for each seed,
# then `evaluate` on its 4,000-image test split for the five metrics (the sampled scores draw fresh images).
# Usage: scripts/disentanglement-table.sh [NAME...]  trains and evaluates NAME (default: every name below) per seed,
#        appending one JSON line per run to $RUNS/results.jsonl;
#        scripts/disentanglement-table.sh --table     prints the table (mean ± std over seeds) from it.
# Environment: RUNS (default runs/dsprites), SEEDS (default "0 1 2"), EPOCHS (default 2), LL (the CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/dsprites}
LL=${LL:-node --import tsx src/cli/bin.ts}
SEEDS=${SEEDS:-0 1 2}
EPOCHS=${EPOCHS:-2}
COMMON=(--data dsprites:20000 --latent 10 --epochs "$EPOCHS" --batch-size 128 --lr 0.001)
NAMES=(vae beta-vae)
declare -A ARGS=(
  [vae]="--model vae --hidden 512,256"
  [beta-vae]="--model vae --hidden 512,256 --set beta=4"
)

table() {
  jq -rs '
    def mean: add / length;
    def sd: (mean) as $m | (map((. - $m) * (. - $m)) | add / (if length > 1 then length - 1 else 1 end)) | sqrt;
    def cell(f): (map(f) | "\(mean * 1000 | round / 1000) ± \(sd * 1000 | round / 1000)");
    "| model | seeds | MIG | SAP | DCI disentanglement | DCI completeness | DCI informativeness | FactorVAE score | beta-VAE score | test MSE | train s |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    (group_by(.name) | sort_by(.[0].order)[] |
      "| \(.[0].name) | \(length) | \(cell(.disentanglement.mig)) | \(cell(.disentanglement.sap)) | \(cell(.disentanglement.dci.disentanglement)) | \(cell(.disentanglement.dci.completeness)) | \(cell(.disentanglement.dci.informativeness)) | \(cell(.disentanglement.factorVae)) | \(cell(.disentanglement.betaVae)) | \(map(.mse) | mean * 10000 | round / 10000) | \(map(.trainSeconds) | mean | round) |")
  ' "$RUNS/results.jsonl"
}

if [[ ${1:-} == --table ]]; then
  table
  exit 0
fi
mkdir -p "$RUNS"
for name in "${@:-${NAMES[@]}}"; do
  [[ -n ${ARGS[$name]:-} ]] || { echo "unknown name $name: expected ${NAMES[*]}" >&2; exit 2; }
  order=0
  for n in "${NAMES[@]}"; do [[ $n == "$name" ]] && break; order=$((order + 1)); done
  for seed in $SEEDS; do
    run="$RUNS/$name-$seed"
    # shellcheck disable=SC2086 # ARGS holds several flags
    $LL train ${ARGS[$name]} "${COMMON[@]}" --seed "$seed" --out "$run"
    $LL evaluate "$run" --k 1 --json >"$run/evaluate.out"
    jq -c --arg name "$name" --argjson seed "$seed" --argjson order "$order" \
      --slurpfile summary "$run/summary.json" \
      '{name: $name, order: $order, seed: $seed, mse, disentanglement, trainSeconds: $summary[0].trainSeconds}' \
      "$run/evaluate.out" >>"$RUNS/results.jsonl"
  done
done
table

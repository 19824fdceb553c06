#!/usr/bin/env bash
# The dSprites disentanglement table (docs/interpretability.md): each model trained on dsprites:20000 (18,000
# training images after the validation tenth) for 2 epochs, latent 10, dense bodies, Bernoulli decoder, then
# `evaluate` on its 4,000-image test split for the five metrics (the two sampled scores draw fresh images).
# Usage: scripts/disentanglement-table.sh [NAME...]  for each seed, trains and evaluates each NAME (default: every
#        name below), appending one JSON line per run to $RUNS/results.jsonl (a run already there is skipped);
#        scripts/disentanglement-table.sh --table     prints the table (mean ± sample std over seeds) from it.
# Environment: RUNS (default runs/dsprites), SEEDS (default "0 1 2"), EPOCHS (default 2), DATA (default
# dsprites:20000), BATCH (default 128), LL (the CLI). A run whose model is there is evaluated, not trained again.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/dsprites}
LL=${LL:-node --import tsx src/cli/bin.ts}
SEEDS=${SEEDS:-0 1 2}
EPOCHS=${EPOCHS:-2}
COMMON=(--data "${DATA:-dsprites:20000}" --epochs "$EPOCHS" --batch-size "${BATCH:-128}")
NAMES=(vae beta-vae beta-tcvae factor-vae dip-vae infogan)
VAE="--latent 10 --hidden 512,256 --lr 0.001"
declare -A ARGS=(
  [vae]="--model vae $VAE"
  [beta-vae]="--model vae $VAE --set beta=4"
  [beta-tcvae]="--model beta-tcvae $VAE"
  [factor-vae]="--model factor-vae $VAE"
  [dip-vae]="--model dip-vae $VAE"
  # Q reads 3 categories (the shapes' count) and 5 continuous codes; its 5 noise dimensions encode as zeros.
  [infogan]="--model infogan --noise-size 5 --categorical 3 --continuous 5 --generator-hidden 256,512 --discriminator-hidden 512,256"
)

table() {
  jq -rs '
    def mean: add / length;
    def sd: (mean) as $m | (map((. - $m) * (. - $m)) | add / (if length > 1 then length - 1 else 1 end)) | sqrt;
    def cell(f): (map(f) | "\(mean * 1000 | round / 1000) ± \(sd * 1000 | round / 1000)");
    "| model | seeds | MIG | SAP | DCI disentanglement | DCI completeness | DCI informativeness | FactorVAE score | beta-VAE score | test MSE | train s |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    (group_by(.name) | sort_by(.[0].order)[] |
      "| \(.[0].name) | \(length) | \(cell(.disentanglement.mig)) | \(cell(.disentanglement.sap)) | \(cell(.disentanglement.dci.disentanglement)) | \(cell(.disentanglement.dci.completeness)) | \(cell(.disentanglement.dci.informativeness)) | \(cell(.disentanglement.factorVae)) | \(cell(.disentanglement.betaVae)) | \(map(.mse // empty) | if length > 0 then mean * 10000 | round / 10000 else "-" end) | \(map(.trainSeconds) | mean | round) |")
  ' "$RUNS/results.jsonl"
}

if [[ ${1:-} == --table ]]; then
  table
  exit 0
fi
mkdir -p "$RUNS"
touch "$RUNS/results.jsonl"
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=("${NAMES[@]}")
for seed in $SEEDS; do
  for name in "${names[@]}"; do
    [[ -n ${ARGS[$name]:-} ]] || { echo "unknown name $name: expected ${NAMES[*]}" >&2; exit 2; }
    if jq -es --arg name "$name" --argjson seed "$seed" 'any(.[]; .name == $name and .seed == $seed)' \
      "$RUNS/results.jsonl" >/dev/null; then continue; fi
    order=0
    for n in "${NAMES[@]}"; do [[ $n == "$name" ]] && break; order=$((order + 1)); done
    run="$RUNS/$name-$seed"
    # shellcheck disable=SC2086 # ARGS holds several flags
    [[ -f $run/model/manifest.json ]] || $LL train ${ARGS[$name]} "${COMMON[@]}" --seed "$seed" --out "$run"
    $LL evaluate "$run" --k 1 --samples 0 --json >"$run/evaluate.out"
    jq -c --arg name "$name" --argjson seed "$seed" --argjson order "$order" \
      --slurpfile summary "$run/summary.json" \
      '{name: $name, order: $order, seed: $seed, mse, disentanglement, trainSeconds: $summary[0].trainSeconds}' \
      "$run/evaluate.out" >>"$RUNS/results.jsonl"
  done
done
table

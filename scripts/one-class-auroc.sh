#!/usr/bin/env bash
# The one-class protocol on Fashion-MNIST (docs/results.md "Anomaly detection"): for each class K, train on
# class K only, score the whole test set with the other nine classes anomalous, by each score.
# Usage: scripts/one-class-auroc.sh [conv-ae|conv-vae] (runs land in ${RUNS:-runs/oneclass})
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/oneclass}
LL="node bin/latentlab.js"
model=${1:-conv-ae}
scores=(mse mahalanobis)
[[ $model == conv-vae ]] && scores=(elbo mse)
for K in 0 1 2 3 4 5 6 7 8 9; do
  $LL train --model "$model" --latent 32 --epochs 10 --data fashion-mnist --classes "$K" --out "$RUNS/$model-$K"
  for score in "${scores[@]}"; do
    $LL detect "$RUNS/$model-$K" --data fashion-mnist --normal-class "$K" --score "$score" --top 0 \
      --out "$RUNS/$model-$K/detect-$score"
  done
done

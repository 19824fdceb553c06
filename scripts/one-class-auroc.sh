#!/usr/bin/env bash
# The one-class protocol on Fashion-MNIST (docs/results.md "Anomaly detection"): for each class K, train on
# class K only, score a split with the other nine classes anomalous, by each score, and print the AUROC table.
# Usage: scripts/one-class-auroc.sh [conv-ae|conv-vae] [more train flags, e.g. --epochs 20 --noise gaussian:0.2]
# Env: RUNS (where runs land, default runs/oneclass/<model>), SCORES (default per model), SPLIT (test, or
# validation: 10% of the training images held out before training, the split scores are chosen on), EPOCHS
# (default 10), LL (the CLI, default node bin/latentlab.js). Finished runs are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-conv-ae}
shift || true
RUNS=${RUNS:-runs/oneclass/$model}
SPLIT=${SPLIT:-test}
LL=${LL:-node bin/latentlab.js}
read -r -a scores <<<"${SCORES:-mse mahalanobis knn}"
[[ $model == conv-vae && -z ${SCORES:-} ]] && scores=(knn mahalanobis mse elbo)
for K in 0 1 2 3 4 5 6 7 8 9; do
  [[ -f $RUNS/$model-$K/model/manifest.json ]] ||
    $LL train --model "$model" --latent 32 --epochs "${EPOCHS:-10}" --data fashion-mnist --classes "$K" \
      --out "$RUNS/$model-$K" "$@"
  for score in "${scores[@]}"; do
    $LL detect "$RUNS/$model-$K" --data fashion-mnist --split "$SPLIT" --normal-class "$K" --score "$score" \
      --top 0 --out "$RUNS/$model-$K/detect-$SPLIT-$score" >/dev/null
  done
done
# The table: AUROC in % per class and score, and the mean over the classes.
node -e '
const [runs, model, split, ...scores] = process.argv.slice(1);
const fs = require("node:fs");
const rows = [];
const sums = scores.map(() => 0);
for (let k = 0; k < 10; k++) {
  const cells = scores.map((s, j) => {
    const a = JSON.parse(fs.readFileSync(`${runs}/${model}-${k}/detect-${split}-${s}/summary.json`)).evaluation.auroc;
    sums[j] += a / 10;
    return (100 * a).toFixed(1);
  });
  rows.push(`| ${k} | ${cells.join(" | ")} |`);
}
console.log(`${split} split, ${model}:\n| normal class | ${scores.join(" | ")} |\n| --- |${" ---: |".repeat(scores.length)}`);
console.log(rows.join("\n"));
console.log(`| **mean** | ${sums.map((m) => `**${(100 * m).toFixed(1)}**`).join(" | ")} |`);
' "$RUNS" "$model" "$SPLIT" "${scores[@]}"

#!/usr/bin/env bash
# The samplers table and InfoGAN grids of docs/zoo/samplers-and-gans.md: on Fashion-MNIST, a dense VAE and a dense
# autoencoder with 16-D codes, each judged by FD, precision and recall of 10,000 samples under every post-hoc
# sampler (and the VAE under its own N(0, I) prior); then InfoGAN on MNIST and its grids.
#   scripts/samplers-table.sh [OUT]   (default OUT=runs/samplers; about an hour on 2 busy CPU cores)
set -euo pipefail
OUT=${1:-runs/samplers}
LL="node --import tsx src/cli/bin.ts"
mkdir -p "$OUT"

$LL train --model vae --latent 16 --data fashion-mnist --epochs 10 --seed 1 --out "$OUT/vae-fmnist"
$LL train --model dense-ae --latent 16 --data fashion-mnist --epochs 10 --seed 1 --out "$OUT/ae-fmnist"

# --k 1: the likelihood is not what this table reports, and k = 100 would cost more than the samples.
$LL evaluate "$OUT/vae-fmnist" --k 1 --samples 10000 --json > "$OUT/vae-fmnist-prior.json"
for run in vae-fmnist ae-fmnist; do
  for sampler in gaussian gmm two-stage maf; do
    $LL evaluate "$OUT/$run" --k 1 --samples 10000 --sampler "$sampler" --json > "$OUT/$run-$sampler.json"
  done
done
node -e '
const fs = require("node:fs");
const out = process.argv[1];
const rows = [["VAE", "its prior N(0, I)", "vae-fmnist-prior.json"]];
for (const [name, run] of [["VAE", "vae-fmnist"], ["dense AE", "ae-fmnist"]])
  for (const s of ["gaussian", "gmm", "two-stage", "maf"]) rows.push([name, s, `${run}-${s}.json`]);
console.log("| model | sampler | FD | precision | recall | classes covered (KL from uniform) |");
console.log("| --- | --- | ---: | ---: | ---: | ---: |");
for (const [name, sampler, file] of rows) {
  const q = JSON.parse(fs.readFileSync(`${out}/${file}`, "utf8")).quality;
  const c = q.coverage;
  console.log(`| ${name} | ${sampler} | ${q.frechetDistance.toFixed(2)} | ${q.precision.toFixed(3)} | ${q.recall.toFixed(3)} | ${c.covered} (${c.klFromUniform.toFixed(3)}) |`);
}' "$OUT"

# InfoGAN (DCGAN bodies, 10-way categorical code, 2 continuous codes) and its grids: one row per category, and
# each continuous code swept over [-1, 1] with the category down the rows.
$LL train --model infogan --architecture conv --generator-filters 64,32 --discriminator-filters 32,64 \
  --data mnist --epochs 5 --batch-size 64 --seed 1 --out "$OUT/infogan-mnist"
node --import tsx scripts/infogan-grids.ts "$OUT/infogan-mnist"

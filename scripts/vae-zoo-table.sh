#!/usr/bin/env bash
# The pythae-style table of the VAE zoo on Fashion-MNIST (docs/zoo/vae-objectives.md): latent 16, dense 784-512-256
# bodies, the same epochs for every family; test MSE, NLL (IWAE bound), FD, precision/recall, training time.
# Usage: scripts/vae-zoo-table.sh [EPOCHS] (default 5). Runs land in ${RUNS:-runs/vae-zoo} and are reused or
# resumed when the command is run again. The defaults fit ~30 minutes of a loaded 2-core machine: 5 epochs on the
# first LIMIT=10000 training images, NLL_K=200 importance samples on NLL_IMAGES=500 test images, SAMPLES=2000
# generated images for FD and precision/recall; the full protocol is 10 epochs, LIMIT=0 NLL_K=1000
# NLL_IMAGES=1000 SAMPLES=10000. FAMILIES picks the families (compare's names).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/vae-zoo}
EPOCHS=${1:-5}
FAMILIES=${FAMILIES:-vae,beta-vae,iwae,wae,info-vae,rae-l2,rae-gp,msssim-vae,vamp-prior,beta-tcvae,factor-vae,dip-vae,vae-nf,vae-iaf}
node --import tsx src/cli/bin.ts compare --data fashion-mnist --families "$FAMILIES" --latent 16 \
  --epochs "$EPOCHS" --limit "${LIMIT:-10000}" --nll-k "${NLL_K:-200}" --nll-images "${NLL_IMAGES:-500}" \
  --samples "${SAMPLES:-2000}" --permutations 50 --out "$RUNS"

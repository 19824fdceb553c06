#!/usr/bin/env bash
# The pythae-style table of the VAE zoo on Fashion-MNIST (docs/zoo/vae-objectives.md): latent 16, dense 784-512-256
# bodies, the same epochs for every family; test MSE, NLL (IWAE bound), FD, precision/recall, training time.
# Usage: scripts/vae-zoo-table.sh [EPOCHS] (default 10). Runs land in ${RUNS:-runs/vae-zoo} and are reused or
# resumed when the command is run again. The defaults fit ~25 minutes of a shared 2-core machine: the first
# LIMIT=10000 training images and NLL_K=200 importance samples on NLL_IMAGES=1000 test images; the full protocol is
# LIMIT=0 NLL_K=1000. FAMILIES picks the families (compare's names).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/vae-zoo}
EPOCHS=${1:-10}
FAMILIES=${FAMILIES:-vae,beta-vae,iwae,wae,info-vae,rae-l2,rae-gp,msssim-vae}
node --import tsx src/cli/bin.ts compare --data fashion-mnist --families "$FAMILIES" --latent 16 \
  --epochs "$EPOCHS" --limit "${LIMIT:-10000}" --nll-k "${NLL_K:-200}" --nll-images "${NLL_IMAGES:-1000}" \
  --out "$RUNS"

#!/usr/bin/env bash
# The VQ-VAE figure of docs/zoo/vq-vae.md: train on Fashion-MNIST (4 autoencoder epochs, then 2 prior epochs, on
# 20,000 training images), then measure it on the test split beside PNG, JPEG and WebP, and decode a .llq back
# through the CLI. About 30 minutes on two shared cores.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-runs/vq-vae-fashion}
[ -f "$RUN/model/manifest.json" ] || node --import tsx bench/compression.ts train "$RUN" 4 2
node --import tsx bench/compression.ts report "$RUN" 1000
# The same file through the CLI: compress the first 1,000 test images, decompress them into a grid.
node --import tsx src/cli/bin.ts compress "$RUN" --data fashion-mnist --limit 1000 --out "$RUN/cli.llq"
node --import tsx src/cli/bin.ts decompress "$RUN/cli.llq" --run "$RUN" --out "$RUN/cli-decoded.png"
node --import tsx src/cli/bin.ts sample "$RUN" --n 64 --out "$RUN/cli-samples.png"
cp "$RUN/vq-vae-samples.png" "$RUN/vq-vae-reconstructions.png" docs/images/

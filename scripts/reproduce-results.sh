#!/usr/bin/env bash
# Reproduces the figures in docs/results.md on Fashion-MNIST (needs the dataset: apt-get install -y
# dataset-fashion-mnist, or network access for the checked download). Runs land in ${RUNS:-runs/results}.
# Usage: scripts/reproduce-results.sh [autoencoders|vae|gans|hybrids|augment|all]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/results}
LL="node bin/latentlab.js"
what=${1:-all}

if [[ $what == autoencoders || $what == all ]]; then
  $LL pca --data fashion-mnist --components 32
  $LL train --data fashion-mnist --model dense-ae --hidden 512,256 --latent 32 --epochs 20 --batch-size 128 --lr 1e-3 --out "$RUNS/dense-ae"
  $LL train --data fashion-mnist --model conv-ae --filters 32,64 --latent 32 --epochs 20 --batch-size 128 --lr 1e-3 --out "$RUNS/conv-ae"
fi

if [[ $what == vae || $what == all ]]; then
  $LL train --data fashion-mnist --model vae --hidden 512,256 --latent 32 --epochs 20 --batch-size 128 --out "$RUNS/vae-32"
  $LL evaluate "$RUNS/vae-32" --k 100
  $LL sample "$RUNS/vae-32" --n 64 --seed 1
  $LL interpolate "$RUNS/vae-32" --from 0 --to 1 --steps 10 --slerp
  $LL train --data fashion-mnist --model vae --hidden 512,256 --latent 2 --epochs 20 --batch-size 128 --out "$RUNS/vae-2"
  $LL latent-map "$RUNS/vae-2" --size 20 --range 3
  $LL train --data fashion-mnist --model cvae --hidden 512,256 --latent 32 --epochs 20 --batch-size 128 --out "$RUNS/cvae-32"
  $LL sample "$RUNS/cvae-32" --n 100 --seed 1
fi

if [[ $what == gans || $what == all ]]; then
  # Ring of 8 Gaussians: non-saturating loss with R1, and WGAN-GP; both with an EMA generator and a cosine schedule.
  $LL train --model gan --adversarial-loss non-saturating --set r1=1 --g-lr 1e-3 --d-lr 1e-3 --ema 0.999 --schedule cosine \
    --data toy:ring8:51200 --epochs 80 --batch-size 512 --out "$RUNS/gan-ring8"
  $LL evaluate "$RUNS/gan-ring8"
  # λ = 0.1 as in the WGAN-GP authors' own 2-D experiments.
  $LL train --model gan --adversarial-loss wgan-gp --set gradientPenaltyWeight=0.1 --g-lr 1e-3 --d-lr 1e-3 --ema 0.999 \
    --schedule cosine --data toy:ring8:25600 --epochs 80 --batch-size 256 --out "$RUNS/wgan-gp-ring8"
  $LL evaluate "$RUNS/wgan-gp-ring8"
  # Fashion-MNIST DCGAN against the VAE (run the vae part first for vae-32).
  $LL train --model gan --architecture conv --data fashion-mnist --epochs 5 --batch-size 64 --ema 0.999 \
    --out "$RUNS/dcgan-fashion"
  $LL evaluate "$RUNS/dcgan-fashion"
  $LL sample "$RUNS/dcgan-fashion" --n 100 --seed 1
  $LL evaluate "$RUNS/vae-32" --k 100
  # Conditional DCGAN (labels into both networks, plus the AC-GAN class head) on the embedded MNIST.
  $LL train --model gan --architecture conv --conditional --acgan --data mnist --epochs 30 --batch-size 64 \
    --ema 0.999 --out "$RUNS/cgan-mnist"
  $LL evaluate "$RUNS/cgan-mnist"
  $LL sample "$RUNS/cgan-mnist" --n 100 --seed 1
fi

if [[ $what == hybrids || $what == all ]]; then
  # Every family trained and judged the same way; reuses finished runs in the output directory.
  $LL compare --data fashion-mnist --families ae,vae,gan,aae,vaegan,latentgan,aegan --latent 32 --epochs 10 \
    --out "$RUNS/compare-fashion"
  # Semi-supervised AAE with 100 labels per class (with and without augmented labelled images), beside
  # classifiers trained on the same 1,000 labels alone.
  for aug in none augmented; do
    set_aug=(); [[ $aug == augmented ]] && set_aug=(--set 'labelledAugment={"shift":2,"rotation":10}')
    $LL train --model aae --semi-supervised --labels-per-class 100 --latent 16 --data fashion-mnist --epochs 10 \
      "${set_aug[@]}" --out "$RUNS/ssaae-100-$aug"
    set_aug=(); [[ $aug == augmented ]] && set_aug=(--set 'augment={"shift":2,"rotation":10}')
    $LL train --model classifier --architecture dense --hidden 512,256 --labels-per-class 100 \
      --data fashion-mnist --epochs 60 "${set_aug[@]}" --out "$RUNS/classifier-mlp-1000-$aug"
    $LL train --model classifier --labels-per-class 100 --data fashion-mnist --epochs 60 "${set_aug[@]}" \
      --out "$RUNS/classifier-cnn-1000-$aug"
  done
fi

if [[ $what == augment || $what == all ]]; then
  # 1% of the labels (60 per class): a CNN on the 600 real images, and with 10,000 generated ones at share 0.5.
  $LL train --model gan --architecture conv --conditional --data fashion-mnist --labels-per-class 60 \
    --epochs 300 --batch-size 64 --ema 0.999 --out "$RUNS/cgan-60"
  $LL augment "$RUNS/cgan-60" --n 10000 --out "$RUNS/gen-cgan"
  $LL train --model aae --semi-supervised --labels-per-class 60 --latent 4 --data fashion-mnist --epochs 10 \
    --set 'labelledAugment={"shift":2,"rotation":10}' --out "$RUNS/ssaae-60"
  $LL augment "$RUNS/ssaae-60" --n 10000 --out "$RUNS/gen-ssaae"
  $LL train --model cvae --data fashion-mnist --labels-per-class 60 --epochs 50 --out "$RUNS/cvae-1pct"
  $LL augment "$RUNS/cvae-1pct" --n 10000 --out "$RUNS/gen-cvae"
  for seed in 0 1 2; do
    $LL train --model classifier --data fashion-mnist --labels-per-class 60 --epochs 30 --seed $seed \
      --out "$RUNS/clf-1pct-s$seed"
    for gen in gen-cgan gen-ssaae gen-cvae; do
      $LL train --model classifier --data fashion-mnist --labels-per-class 60 --seed $seed \
        --extra-data "idx:$RUNS/$gen/train-images-idx3-ubyte" --extra-share 0.5 --epochs 2 \
        --out "$RUNS/clf-1pct-$gen-s$seed"
    done
  done
fi

#!/usr/bin/env python3
"""A small PyTorch autoencoder (dense or convolutional, for 28x28x1 images), exported to ONNX as an encoder and a
decoder, with inputs and PyTorch's outputs saved as .npy, so `latentlab import` can be checked against PyTorch.

Run with Debian's python3-torch:  /usr/bin/python3 bench/peers/torch-autoencoder.py --kind conv --out /tmp/peer
Writes OUT/encoder.onnx, OUT/decoder.onnx, OUT/x.npy (samples [n, 28, 28, 1], channels-last as latentlab takes
them), OUT/codes.npy and OUT/reconstructions.npy (PyTorch's, reconstructions channels-last too).
"""
import argparse
import os

import numpy as np
import torch
from torch import nn


class View(nn.Module):
    """x.view(-1, *shape): exported as a Reshape with a constant shape."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.view(-1, *self.shape)


def dense(latent):
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, latent))
    decoder = nn.Sequential(
        nn.Linear(latent, 32), nn.LeakyReLU(0.2), nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 784), nn.Sigmoid(), View(1, 28, 28)
    )
    return encoder, decoder


def conv(latent):
    encoder = nn.Sequential(
        nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, latent),
    )
    decoder = nn.Sequential(
        nn.Linear(latent, 16 * 7 * 7), nn.ReLU(), View(16, 7, 7),
        nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.ELU(),
        nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1), nn.Sigmoid(),
    )
    return encoder, decoder


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=["dense", "conv"], default="conv")
    parser.add_argument("--latent", type=int, default=8)
    parser.add_argument("--n", type=int, default=16, help="samples in x.npy")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    encoder, decoder = (dense if args.kind == "dense" else conv)(args.latent)
    for module in [*encoder.modules(), *decoder.modules()]:
        # Batch-norm statistics that are not 0 and 1, so the import has to carry them.
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 1.5)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    encoder.eval()
    decoder.eval()
    x = torch.rand(args.n, 1, 28, 28)
    with torch.no_grad():
        codes = encoder(x)
        recon = decoder(codes)
    os.makedirs(args.out, exist_ok=True)
    batch = {0: "n"}
    torch.onnx.export(encoder, x[:1], os.path.join(args.out, "encoder.onnx"), opset_version=13,
                      input_names=["image"], output_names=["code"], dynamic_axes={"image": batch, "code": batch})
    torch.onnx.export(decoder, codes[:1], os.path.join(args.out, "decoder.onnx"), opset_version=13,
                      input_names=["code"], output_names=["image"], dynamic_axes={"code": batch, "image": batch})
    nhwc = lambda t: t.permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32)
    np.save(os.path.join(args.out, "x.npy"), nhwc(x))
    np.save(os.path.join(args.out, "codes.npy"), codes.numpy().astype(np.float32))
    np.save(os.path.join(args.out, "reconstructions.npy"), nhwc(recon))
    print(f"wrote {args.out}: encoder.onnx, decoder.onnx, x.npy, codes.npy, reconstructions.npy ({args.kind}, latent {args.latent})")


if __name__ == "__main__":
    main()

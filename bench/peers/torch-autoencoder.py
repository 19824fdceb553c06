#!/usr/bin/env python3
"""A small PyTorch autoencoder or VAE (dense or convolutional, for 28x28x1 images), exported to ONNX as an encoder
and a decoder, with inputs and PyTorch's outputs saved as .npy, so `latentlab import` can be checked against PyTorch.

Run with Debian's python3-torch:  /usr/bin/python3 bench/peers/torch-autoencoder.py --kind conv --out /tmp/peer
Writes OUT/encoder.onnx, OUT/decoder.onnx, OUT/x.npy (samples [n, 28, 28, 1], channels-last as latentlab takes
them), OUT/codes.npy and OUT/reconstructions.npy (PyTorch's, reconstructions channels-last too).
The VAEs (--kind vae | conv-vae) also write OUT/log_variance.npy (codes.npy is the mean) and OUT/logits.npy (the
decoder's output before its sigmoid, for the mean code); reconstructions.npy holds sigmoid(logits). The dense VAE's
decoder ends in a Sigmoid; the conv VAE's gives logits, and its encoder gives (log_var, mu) in that order.
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


class GaussianEncoder(nn.Module):
    """A body, then two heads: the mean and log-variance of q(z|x) (two ONNX outputs)."""

    def __init__(self, body, width, latent, log_variance_first=False):
        super().__init__()
        self.body = body
        self.mu = nn.Linear(width, latent)
        self.log_var = nn.Linear(width, latent)
        self.log_variance_first = log_variance_first

    def forward(self, x):
        h = self.body(x)
        mean, log_var = self.mu(h), self.log_var(h)
        return (log_var, mean) if self.log_variance_first else (mean, log_var)


class BernoulliDecoder(nn.Module):
    """z -> logits; forward gives probabilities when `sigmoid` (a last Sigmoid in the ONNX graph), else logits."""

    def __init__(self, body, sigmoid):
        super().__init__()
        self.body = body
        self.sigmoid = sigmoid

    def logits(self, z):
        return self.body(z)

    def forward(self, z):
        out = self.body(z)
        return torch.sigmoid(out) if self.sigmoid else out


def vae(latent):
    body = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
    decoder = nn.Sequential(nn.Linear(latent, 32), nn.ReLU(), nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 784), View(1, 28, 28))
    return GaussianEncoder(body, 32, latent), BernoulliDecoder(decoder, sigmoid=True)


def conv_vae(latent):
    body = nn.Sequential(
        nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
    )
    decoder = nn.Sequential(
        nn.Linear(latent, 16 * 7 * 7), nn.ReLU(), View(16, 7, 7),
        nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1),
    )
    return GaussianEncoder(body, 16 * 7 * 7, latent, log_variance_first=True), BernoulliDecoder(decoder, sigmoid=False)


KINDS = {"dense": dense, "conv": conv, "vae": vae, "conv-vae": conv_vae}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=list(KINDS), default="conv")
    parser.add_argument("--latent", type=int, default=8)
    parser.add_argument("--n", type=int, default=16, help="samples in x.npy")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    encoder, decoder = KINDS[args.kind](args.latent)
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
    variational = isinstance(encoder, GaussianEncoder)
    with torch.no_grad():
        if variational:
            outputs = encoder(x)
            codes, log_var = (outputs[1], outputs[0]) if encoder.log_variance_first else outputs
            logits = decoder.logits(codes)
            recon = torch.sigmoid(logits)
        else:
            codes = encoder(x)
            recon = decoder(codes)
    os.makedirs(args.out, exist_ok=True)
    batch = {0: "n"}
    if variational:
        heads = ["log_var", "mu"] if encoder.log_variance_first else ["mean", "log_variance"]
        encoder_names = dict(output_names=heads, dynamic_axes={"image": batch, **{h: batch for h in heads}})
    else:
        encoder_names = dict(output_names=["code"], dynamic_axes={"image": batch, "code": batch})
    torch.onnx.export(encoder, x[:1], os.path.join(args.out, "encoder.onnx"), opset_version=13,
                      input_names=["image"], **encoder_names)
    torch.onnx.export(decoder, codes[:1], os.path.join(args.out, "decoder.onnx"), opset_version=13,
                      input_names=["code"], output_names=["image"], dynamic_axes={"code": batch, "image": batch})
    nhwc = lambda t: t.permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32)
    np.save(os.path.join(args.out, "x.npy"), nhwc(x))
    np.save(os.path.join(args.out, "codes.npy"), codes.numpy().astype(np.float32))
    np.save(os.path.join(args.out, "reconstructions.npy"), nhwc(recon))
    written = ["encoder.onnx", "decoder.onnx", "x.npy", "codes.npy", "reconstructions.npy"]
    if variational:
        np.save(os.path.join(args.out, "log_variance.npy"), log_var.numpy().astype(np.float32))
        np.save(os.path.join(args.out, "logits.npy"), nhwc(logits))
        written += ["log_variance.npy", "logits.npy"]
    print(f"wrote {args.out}: {', '.join(written)} ({args.kind}, latent {args.latent})")


if __name__ == "__main__":
    main()

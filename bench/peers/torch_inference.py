"""PyTorch peer of bench/inference-worker.ts: encode and decode every Fashion-MNIST test image (the DCGAN
generator: as many samples from the prior) in eval() mode under no_grad, in batches; prints one JSON line.

The networks are torch_bench.py's, split where latentlab splits them into encoder and decoder."""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch

from torch_bench import NOISE, conv_ae, dcgan, dense_ae, vae


def dense_ae_pass():
    _, [net] = dense_ae()
    encoder, decoder = net[:3], net[3:]
    return [net], lambda x: decoder(encoder(x))


def conv_ae_pass():
    _, [net] = conv_ae()
    # PadSame, Conv, ReLU, PadSame, Conv, ReLU, Flatten, Linear: the encoder; the rest decodes.
    encoder, decoder = net[:8], net[8:]
    return [net], lambda x: decoder(encoder(x.view(-1, 1, 28, 28)))


def vae_pass():
    _, [modules] = vae()
    trunk, mean_head, logvar_head, decoder = modules

    def run(x):
        # latentlab's encoder network computes both heads; encode returns the mean, decode the probabilities.
        h = trunk(x)
        mean, _logvar = mean_head(h), logvar_head(h)
        return torch.sigmoid(decoder(mean))

    return [modules], run


def generator_pass():
    _, [g, d] = dcgan()
    return [g, d], lambda x: g(torch.randn(x.shape[0], NOISE))


PASSES = {'dense-ae': dense_ae_pass, 'conv-ae': conv_ae_pass, 'vae': vae_pass, 'dcgan-generator': generator_pass}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--family', choices=sorted(PASSES), required=True)
    parser.add_argument('--batch', type=int, default=256)
    parser.add_argument('--data', required=True, help='raw float32 [n, 784] test images in [0, 1]')
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = torch.from_numpy(np.fromfile(args.data, dtype=np.float32).reshape(-1, 784))
    nets, run = PASSES[args.family]()
    for net in nets:
        net.eval()
    result = {'family': args.family, 'engine': 'pytorch', 'batchSize': args.batch,
              'backend': f'PyTorch {torch.__version__}, eval() + no_grad, torch threads {torch.get_num_threads()}, '
              f'OpenBLAS threads {os.environ.get("OPENBLAS_NUM_THREADS", "default")}'}
    try:
        with torch.no_grad():
            run(data[: args.batch]).numpy()
            started = time.perf_counter()
            for start in range(0, data.shape[0], args.batch):
                run(data[start: start + args.batch]).numpy()
            seconds = time.perf_counter() - started
        result.update(ok=True, images=data.shape[0], seconds=seconds, imagesPerSecond=data.shape[0] / seconds)
    except Exception as error:  # reported as a failed row, like the TensorFlow.js worker does
        result.update(ok=False, error=str(error).split('\n')[0])
    result['peakRssMb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == '__main__':
    main()

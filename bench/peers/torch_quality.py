"""PyTorch peer of bench/quality-worker.ts: train an autoencoder on Fashion-MNIST until the test MSE reaches a target
(or an epoch cap), with latentlab's model and schedule (batch 128, Adam 1e-3 with TensorFlow.js's epsilon, shuffled
epochs); prints one JSON line. The test MSE is measured after every epoch, outside the time."""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_bench import adam, conv_ae, glorot


def dense_ae(hidden=(512, 256), latent=32):
    """latentlab dense-ae: 784-hidden-latent (ReLU, linear code), mirrored decoder, sigmoid output, MSE."""
    sizes = [784, *hidden, latent]
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
    back = sizes[::-1]
    for i, (a, b) in enumerate(zip(back, back[1:])):
        layers += [nn.Linear(a, b), nn.ReLU() if i < len(back) - 2 else nn.Sigmoid()]
    net = nn.Sequential(*layers)
    net.apply(glorot)
    opt = adam(net.parameters())

    def step(x, _step):
        loss = F.mse_loss(net(x), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step, net, lambda x: net(x)


def conv_autoencoder():
    step, [net] = conv_ae()
    return step, net, lambda x: net(x.view(-1, 1, 28, 28)).view(-1, 784)


MODELS = {'dense-ae': dense_ae, 'conv-ae': conv_autoencoder}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', choices=sorted(MODELS), required=True)
    parser.add_argument('--train', required=True, help='raw float32 [n, 784] training images in [0, 1]')
    parser.add_argument('--test', required=True, help='raw float32 [n, 784] test images in [0, 1]')
    parser.add_argument('--target', type=float, required=True)
    parser.add_argument('--max-epochs', type=int, default=30)
    parser.add_argument('--batch', type=int, default=128)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train = torch.from_numpy(np.fromfile(args.train, dtype=np.float32).reshape(-1, 784))
    test = torch.from_numpy(np.fromfile(args.test, dtype=np.float32).reshape(-1, 784))
    step, net, reconstruct = MODELS[args.model]()
    result = {'model': args.model, 'engine': 'pytorch', 'targetMse': args.target, 'trainSamples': train.shape[0],
              'backend': f'PyTorch {torch.__version__}, torch threads {torch.get_num_threads()}, '
              f'OpenBLAS threads {os.environ.get("OPENBLAS_NUM_THREADS", "default")}'}
    seconds, mses, s = 0.0, [], 0
    for _epoch in range(args.max_epochs):
        net.train()
        started = time.perf_counter()
        order = torch.randperm(train.shape[0])
        for start in range(0, train.shape[0], args.batch):
            step(train[order[start: start + args.batch]], s)
            s += 1
        seconds += time.perf_counter() - started
        net.eval()
        with torch.no_grad():
            mses.append(float(sum(F.mse_loss(reconstruct(test[i: i + 1000]), test[i: i + 1000], reduction='sum')
                                  for i in range(0, test.shape[0], 1000)) / test.numel()))
        if mses[-1] <= args.target:
            break
    result.update(ok=True, reached=mses[-1] <= args.target, epochs=len(mses), trainSeconds=seconds,
                  finalTestMse=mses[-1], testMse=mses,
                  peakRssMb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == '__main__':
    main()

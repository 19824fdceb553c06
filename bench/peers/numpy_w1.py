"""Plain numpy (OpenBLAS, 2 threads) peer for benchmark workload W1: the practical limit of this machine.

Dense autoencoder 784-256-64-256-784, ReLU, linear code, sigmoid output, MSE (mean over all entries),
Adam (lr 1e-3, betas 0.9/0.999, epsilon 1e-7, TensorFlow.js's update formula), batch 256, float32:
the forward pass, hand-written gradients and the Adam step, nothing else. Glorot-uniform init,
zero biases, same data order as the TensorFlow.js worker.

    python3 numpy_w1.py [--steps 40] [--warmup 3] [--data mnist.f32]   # one JSON line
    python3 numpy_w1.py --check    # gradients vs central finite differences (float64), and vs
                                   # torch autograd + torch.optim.Adam when torch imports

--data is raw float32 [n, 784] in [0, 1]; without it, uniform noise. OPENBLAS_NUM_THREADS defaults
to 2 (set before numpy loads). Needs only numpy (torch optional, for --check).
"""

import argparse
import ctypes
import json
import os
import resource
import time

os.environ.setdefault('OPENBLAS_NUM_THREADS', '2')
import numpy as np  # noqa: E402

SIZES = [784, 256, 64, 256, 784]
BATCH = 256
LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-7


def init_params(rng, dtype=np.float32):
    """[W1, b1, W2, b2, W3, b3, W4, b4], W as [fan_in, fan_out] Glorot-uniform."""
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype))
        params.append(np.zeros(fan_out, dtype))
    return params


def loss_and_grads(params, x):
    """MSE loss and its gradient for every parameter (backward pass written out by hand)."""
    w1, b1, w2, b2, w3, b3, w4, b4 = params
    h1 = np.maximum(x @ w1 + b1, 0)
    z = h1 @ w2 + b2
    h3 = np.maximum(z @ w3 + b3, 0)
    y = 1 / (1 + np.exp(-(h3 @ w4 + b4)))
    diff = y - x
    loss = np.mean(diff * diff)
    # d loss / d pre-sigmoid = 2 (y - x) / N · y (1 - y)
    d4 = diff * (2 / diff.size) * y * (1 - y)
    d3 = (d4 @ w4.T) * (h3 > 0)
    dz = d3 @ w3.T
    d1 = (dz @ w2.T) * (h1 > 0)
    grads = [x.T @ d1, d1.sum(0), h1.T @ dz, dz.sum(0), z.T @ d3, d3.sum(0), h3.T @ d4, d4.sum(0)]
    return loss, grads


class Adam:
    """TensorFlow.js's Adam: p -= lr · (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)."""

    def __init__(self, params):
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, params, grads):
        self.t += 1
        c1, c2 = 1 - BETA1**self.t, 1 - BETA2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= BETA1
            m += (1 - BETA1) * g
            v *= BETA2
            v += (1 - BETA2) * (g * g)
            p -= (LR / c1) * m / (np.sqrt(v / c2) + EPS)


def blas_info():
    """The OpenBLAS library numpy loaded and its thread count, read from the process's own mappings."""
    try:
        with open('/proc/self/maps') as maps:
            paths = {line.split()[-1] for line in maps if 'openblas' in line.lower() and '/' in line}
    except OSError:
        return {'blas': 'unknown'}
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for symbol in ('scipy_openblas_get_num_threads64_', 'openblas_get_num_threads64_',
                       'openblas_get_num_threads'):
            if hasattr(lib, symbol):
                name = os.path.basename(path)
                if 'openblas' not in name.lower():  # Debian: .../openblas-pthread/libblas.so.3
                    name = f'{os.path.basename(os.path.dirname(path))}/{name}'
                return {'blas': name, 'blasThreads': getattr(lib, symbol)()}
    return {'blas': 'not OpenBLAS'}


def check():
    """Hand-written gradients vs central finite differences (float64), and vs torch when present."""
    rng = np.random.default_rng(1)
    params = init_params(rng, np.float64)
    # Biases away from zero, so their gradients are exercised in a generic point.
    for i in range(1, len(params), 2):
        params[i] += rng.normal(0, 0.1, params[i].shape)
    x = rng.uniform(0, 1, (8, 784))
    _, grads = loss_and_grads(params, x)
    worst = 0.0
    h = 1e-4  # central differences: truncation O(h^2), rounding O(1e-16 / h)
    for p, g in zip(params, grads):
        for _ in range(12):
            idx = tuple(rng.integers(0, n) for n in p.shape)
            saved = p[idx]
            p[idx] = saved + h
            up, _ = loss_and_grads(params, x)
            p[idx] = saved - h
            down, _ = loss_and_grads(params, x)
            p[idx] = saved
            numeric = (up - down) / (2 * h)
            worst = max(worst, abs(numeric - g[idx]) / max(abs(numeric) + abs(g[idx]), 1e-12))
    report = {'check': 'finite differences', 'maxRelativeError': float(worst), 'ok': bool(worst < 1e-5)}
    try:
        import torch
    except ImportError:
        report['torch'] = 'not importable here; skipped'
    else:
        report['torch'] = torch_check(torch, params, x)
        report['ok'] = report['ok'] and report['torch']['ok']
    print(json.dumps(report))
    return report['ok']


def torch_check(torch, params, x):
    """Same loss through torch autograd, then two Adam steps with torch.optim.Adam (float64)."""
    tp = [torch.tensor(p, requires_grad=True) for p in params]
    tx = torch.tensor(x)

    def forward():
        h1 = torch.relu(tx @ tp[0] + tp[1])
        z = h1 @ tp[2] + tp[3]
        h3 = torch.relu(z @ tp[4] + tp[5])
        return torch.mean((torch.sigmoid(h3 @ tp[6] + tp[7]) - tx) ** 2)

    forward().backward()
    _, grads = loss_and_grads(params, x)
    grad_error = max(float(np.max(np.abs(g - t.grad.numpy()))) / float(np.max(np.abs(g))) for g, t in zip(grads, tp))
    ours = [p.copy() for p in params]
    adam = Adam(ours)
    optimizer = torch.optim.Adam(tp, lr=LR, betas=(BETA1, BETA2), eps=EPS)
    for _ in range(2):
        optimizer.zero_grad()
        forward().backward()
        optimizer.step()
        adam.step(ours, loss_and_grads(ours, x)[1])
    step_error = max(float(np.max(np.abs(o - t.detach().numpy()))) for o, t in zip(ours, tp))
    return {'gradientRelativeError': grad_error, 'adamMaxAbsError': step_error,
            'ok': bool(grad_error < 1e-10 and step_error < 1e-10)}


def bench(args):
    rng = np.random.default_rng(0)
    if args.data:
        data = np.fromfile(args.data, dtype=np.float32).reshape(-1, 784)
    else:
        data = rng.uniform(0, 1, (8000, 784)).astype(np.float32)
    params = init_params(rng)
    adam = Adam(params)
    offsets = np.arange(BATCH)

    def run(s):
        x = data[(offsets + s * BATCH) % len(data)]
        adam.step(params, loss_and_grads(params, x)[1])

    for s in range(args.warmup):
        run(s)
    started = time.perf_counter()
    for s in range(args.steps):
        run(args.warmup + s)
    seconds = time.perf_counter() - started
    result = {'workload': 'W1', 'engine': 'numpy', 'steps': args.steps, 'warmup': args.warmup, 'ok': True,
              'samplesPerSecond': args.steps * BATCH / seconds, 'seconds': seconds,
              'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    info = blas_info()
    result['backend'] = f'numpy {np.__version__}, {info.get("blas")}, BLAS threads {info.get("blasThreads", "?")}'
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--steps', type=int, default=40)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--data', help='raw float32 [n, 784] file')
    parser.add_argument('--check', action='store_true', help='verify gradients and the Adam step, then exit')
    args = parser.parse_args()
    if args.check:
        raise SystemExit(0 if check() else 1)
    bench(args)


if __name__ == '__main__':
    main()

"""PyTorch peer for latentlab's benchmark (bench/run.ts): workloads W1-W6 on the CPU with 2 threads.

Same architectures, initialisation (Glorot-uniform weights, zero biases), optimiser settings
(Adam, epsilon 1e-7 as in TensorFlow.js), batch sizes and data order as bench/models.ts and
latentlab's dense-ae / conv-ae families. TensorFlow.js 'same' padding is reproduced exactly:
3x3 stride-2 pads only bottom/right (explicit pad, then crop transposed outputs); 4x4 stride-2 pads
1 on every side (PyTorch padding=1).

    python3 torch_bench.py --workload W1 [--steps 40] [--warmup 3] [--threads 2] [--data mnist.f32]

Run it with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set to the same thread count and
OMP_WAIT_POLICY=PASSIVE (the runner does): Debian's torch does its matrix products in OpenBLAS, whose
pool torch.set_num_threads leaves alone, and spin-waiting OpenMP threads collapse on a shared machine.

--data is raw float32 [n, 784] in [0, 1] (the runner writes the MNIST training split); without it,
uniform noise of the same shape. For W5 it is token ids as float32 [n, 40] (the runner writes the synthetic
sentences bench/workloads.ts makes); without it, random sentences of the same layout. For W6 it is
spectrograms as float32 [n, 64 · 64] in [0, 1] (the runner writes the synthetic ones bench/workloads.ts makes);
without it, uniform noise of that shape. Prints one JSON line: samples/s and peak RSS (getrusage).
Needs only torch (and numpy to read --data).
"""

import argparse
import json
import math
import os
import resource
import sys
import time

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

BATCH = {'W1': 256, 'W2': 128, 'W3': 64, 'W4': 128, 'W5': 64, 'W6': 64}
NOISE = 100
VAE_LATENT = 32
# W5: latentlab seq-vae defaults (src/models/seq/config.ts) at the shapes.
VOCABULARY, LENGTH, EMBEDDING, HIDDEN, SEQ_LATENT = 10_000, 40, 256, 512, 32
PAD, UNK, BOS, FIRST_TOKEN = 0, 1, 2, 4
WORD_DROPOUT, KL_ANNEAL_STEPS, LOG_VARIANCE_LIMIT = 0.25, 2000, 10.0
# W6: latentlab conv-vae defaults (src/models/vae/config.ts: filters [32, 64], kernel 3) on FSDD log-mels.
MELS, FRAMES = 64, 64


def glorot(module):
    """TensorFlow.js defaults: Glorot-uniform kernels, zero biases (batch norm keeps 1 and 0)."""
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def adam(params, lr=1e-3, beta1=0.9):
    return torch.optim.Adam(params, lr=lr, betas=(beta1, 0.999), eps=1e-7)


class PadSame3x3(nn.Module):
    """TF 'same' for a 3x3 stride-2 convolution on an even size: one row/column at the bottom/right."""

    def forward(self, x):
        return F.pad(x, (0, 1, 0, 1))


class CropTo(nn.Module):
    """TF 'same' transposed 3x3 stride-2 convolution = PyTorch's padding=0 output minus its last row/column."""

    def __init__(self, size):
        super().__init__()
        self.size = size

    def forward(self, x):
        return x[:, :, : self.size, : self.size]


def dense_ae():
    """W1: 784-256-64-256-784, ReLU, linear code, sigmoid output, MSE, Adam 1e-3."""
    net = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64),
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid(),
    )
    net.apply(glorot)
    opt = adam(net.parameters())

    def step(x, _step):
        loss = F.mse_loss(net(x), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step, [net]


def conv_ae():
    """W2: conv 32 and 64 (3x3 stride 2, ReLU) → dense 32; dense 7·7·64 ReLU → deconv 32 ReLU → deconv 1 sigmoid."""
    net = nn.Sequential(
        PadSame3x3(), nn.Conv2d(1, 32, 3, 2), nn.ReLU(),
        PadSame3x3(), nn.Conv2d(32, 64, 3, 2), nn.ReLU(),
        nn.Flatten(), nn.Linear(7 * 7 * 64, 32),
        nn.Linear(32, 7 * 7 * 64), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 32, 3, 2), CropTo(14), nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 3, 2), CropTo(28), nn.Sigmoid(),
    )
    net.apply(glorot)
    opt = adam(net.parameters())

    def step(x, _step):
        x = x.view(-1, 1, 28, 28)
        loss = F.mse_loss(net(x), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step, [net]


def dcgan():
    """W3: one discriminator and one generator update (non-saturating BCE), Adam 2e-4 beta1 0.5."""
    # TF batch-norm defaults: epsilon 1e-3, moving-average momentum 0.99 (PyTorch counts 1 - that).
    g = nn.Sequential(
        nn.Linear(NOISE, 7 * 7 * 128, bias=False), nn.BatchNorm1d(7 * 7 * 128, eps=1e-3, momentum=0.01), nn.ReLU(),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, padding=1, bias=False), nn.BatchNorm2d(64, eps=1e-3, momentum=0.01),
        nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, 2, padding=1), nn.Sigmoid(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, padding=1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(7 * 7 * 128, 1),
    )
    g.apply(glorot)
    d.apply(glorot)
    g_params, d_params = list(g.parameters()), list(d.parameters())
    g_opt, d_opt = adam(g_params, 2e-4, 0.5), adam(d_params, 2e-4, 0.5)

    def update(opt, params, loss):
        # Gradients for this network's parameters only, as tf.variableGrads(f, varList) computes them.
        for p, grad in zip(params, torch.autograd.grad(loss, params)):
            p.grad = grad
        opt.step()

    def step(x, _step):
        real = x.view(-1, 1, 28, 28)
        z = torch.randn(real.shape[0], NOISE)
        with torch.no_grad():
            fake = g(z)
        real_logits, fake_logits = d(real), d(fake)
        d_loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + \
            F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        update(d_opt, d_params, d_loss)
        logits = d(g(z))
        update(g_opt, g_params, F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)))

    return step, [g, d]


def vae():
    """W4: 784-512-256-(mean 32, logvar 32), decoder 32-256-512-784 logits; summed BCE + KL, batch mean."""
    trunk = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU())
    mean_head, logvar_head = nn.Linear(256, VAE_LATENT), nn.Linear(256, VAE_LATENT)
    decoder = nn.Sequential(
        nn.Linear(VAE_LATENT, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 784),
    )
    modules = nn.ModuleList([trunk, mean_head, logvar_head, decoder])
    modules.apply(glorot)
    opt = adam(modules.parameters())

    def step(x, _step):
        h = trunk(x)
        mean, logvar = mean_head(h), logvar_head(h)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        reconstruction = F.binary_cross_entropy_with_logits(decoder(z), x, reduction='sum')
        kl = -0.5 * torch.sum(1 + logvar - mean.pow(2) - logvar.exp())
        loss = (reconstruction + kl) / x.shape[0]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step, [modules]


def tf_gru(input_size):
    """A GRU with TensorFlow.js's parameters: one bias (PyTorch's second, bias_hh, stays zero and frozen).

    nn.GRU is the PyTorch way to run one (its fused C++ loop), and costs what tfjs-layers' GRU does: the same
    products per step. It differs in arithmetic only: sigmoid gates (tfjs: hard sigmoid) and the reset gate
    applied after the recurrent product (tfjs: before it).
    """
    gru = nn.GRU(input_size, HIDDEN, batch_first=True)
    for name, p in gru.named_parameters():
        if name.startswith('weight'):
            nn.init.xavier_uniform_(p)
        else:
            nn.init.zeros_(p)
    gru.bias_hh_l0.requires_grad_(False)
    return gru


def seq_vae():
    """W5: latentlab seq-vae (src/models/seq/networks.ts): GRU encoder over the unpadded ids → mean, soft-clamped
    log-variance → z; decoder: embedded shifted ids (word dropout) with z at every step → GRU → logits over the
    vocabulary; loss = batch mean of the per-sentence summed cross-entropy of non-pad targets + KL weight · KL."""
    encoder_embedding, decoder_embedding = nn.Embedding(VOCABULARY, EMBEDDING), nn.Embedding(VOCABULARY, EMBEDDING)
    encoder_rnn, decoder_rnn = tf_gru(EMBEDDING), tf_gru(EMBEDDING + SEQ_LATENT)
    mean_head, logvar_head = nn.Linear(HIDDEN, SEQ_LATENT), nn.Linear(HIDDEN, SEQ_LATENT)
    logits_head = nn.Linear(HIDDEN, VOCABULARY)
    modules = nn.ModuleList([encoder_embedding, decoder_embedding, encoder_rnn, decoder_rnn, mean_head,
                             logvar_head, logits_head])
    for m in (encoder_embedding, decoder_embedding):
        nn.init.xavier_uniform_(m.weight)
    for m in (mean_head, logvar_head, logits_head):
        glorot(m)
    opt = adam([p for p in modules.parameters() if p.requires_grad])

    def step(x, s):
        ids = x.long()
        n = ids.shape[0]
        mask = ids != PAD
        # The encoder's last state is its state after <eos> (tfjs masks the pads, carrying the state over them).
        states, _ = encoder_rnn(encoder_embedding(ids))
        last = states[torch.arange(n), mask.sum(1) - 1]
        mean = mean_head(last)
        logvar = LOG_VARIANCE_LIMIT * torch.tanh(logvar_head(last) / LOG_VARIANCE_LIMIT)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        shifted = torch.cat([torch.full((n, 1), BOS, dtype=torch.long), ids[:, :-1]], 1)
        drop = (torch.rand(shifted.shape) < WORD_DROPOUT) & (shifted >= FIRST_TOKEN)
        shifted = torch.where(drop, torch.full_like(shifted, UNK), shifted)
        inputs = torch.cat([decoder_embedding(shifted), z.unsqueeze(1).expand(n, LENGTH, SEQ_LATENT)], 2)
        outputs, _ = decoder_rnn(inputs)
        logits = logits_head(outputs)
        nll = F.cross_entropy(logits.reshape(-1, VOCABULARY), ids.reshape(-1), reduction='none').view(n, LENGTH)
        nll = (nll * mask).sum(1)
        with torch.no_grad():  # the token accuracy latentlab's step reports
            _accuracy = ((logits.argmax(-1) == ids) & mask).sum() / mask.sum()
        kl = 0.5 * (mean.pow(2) + logvar.exp() - logvar - 1)
        weight = 1 / (1 + math.exp(-10 / KL_ANNEAL_STEPS * (s - KL_ANNEAL_STEPS / 2)))
        loss = nll.mean() + weight * kl.sum(1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step, [modules]


def conv_vae():
    """W6: latentlab conv-vae (src/models/vae/networks.ts over shared/layers.ts) on [1, 64, 64] spectrograms:
    encoder conv 32 and 64 (3x3 stride 2 'same', ReLU) → flatten → mean 32, log-variance 32 soft-clamped to ±10;
    decoder dense 16·16·64 ReLU → deconv 32 ReLU → deconv 1 logits; loss = batch mean of the Bernoulli NLL summed
    over the 64x64 entries + KL (beta 1). The mse of sigmoid(logits) is computed too, as latentlab's step reports it."""
    inner = (64, MELS // 4, FRAMES // 4)
    encoder = nn.Sequential(
        PadSame3x3(), nn.Conv2d(1, 32, 3, 2), nn.ReLU(),
        PadSame3x3(), nn.Conv2d(32, 64, 3, 2), nn.ReLU(),
        nn.Flatten(),
    )
    features = inner[0] * inner[1] * inner[2]
    mean_head, logvar_head = nn.Linear(features, VAE_LATENT), nn.Linear(features, VAE_LATENT)
    decoder = nn.Sequential(
        nn.Linear(VAE_LATENT, features), nn.ReLU(), nn.Unflatten(1, inner),
        nn.ConvTranspose2d(64, 32, 3, 2), CropTo(MELS // 2), nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 3, 2), CropTo(MELS),
    )
    modules = nn.ModuleList([encoder, mean_head, logvar_head, decoder])
    modules.apply(glorot)
    opt = adam(modules.parameters())

    def step(x, _step):
        x = x.view(-1, 1, MELS, FRAMES)
        h = encoder(x)
        mean = mean_head(h)
        logvar = LOG_VARIANCE_LIMIT * torch.tanh(logvar_head(h) / LOG_VARIANCE_LIMIT)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        logits = decoder(z)
        reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction='sum')
        kl = 0.5 * torch.sum(mean.pow(2) + logvar.exp() - logvar - 1)
        loss = (reconstruction + kl) / x.shape[0]
        with torch.no_grad():  # the mse latentlab's step reports
            _mse = F.mse_loss(torch.sigmoid(logits), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step, [modules]


BUILDERS = {'W1': dense_ae, 'W2': conv_ae, 'W3': dcgan, 'W4': vae, 'W5': seq_vae, 'W6': conv_vae}


def random_sentences(n):
    """Token ids like the runner's synthetic sentences: 10-39 real tokens, <eos>, then <pad>."""
    ids = torch.zeros(n, LENGTH)
    lengths = torch.randint(10, LENGTH, (n,))
    for row in range(n):
        ids[row, : lengths[row]] = torch.randint(FIRST_TOKEN, VOCABULARY, (int(lengths[row]),)).float()
        ids[row, lengths[row]] = 3
    return ids


def gemm_peak(size, repeats=10):
    """The fastest of `repeats` torch.mm of two [size, size] float32 matrices, in GFLOP/s (2·size³ per product)."""
    a, b = torch.rand(size, size), torch.rand(size, size)
    for _ in range(2):
        torch.mm(a, b)
    best = float('inf')
    for _ in range(repeats):
        started = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - started)
    return {'ok': True, 'engine': 'pytorch', 'size': size, 'gflops': 2 * size ** 3 / best / 1e9,
            'backend': f'PyTorch {torch.__version__} torch.mm, torch threads {torch.get_num_threads()}, '
            f'OpenBLAS threads {os.environ.get("OPENBLAS_NUM_THREADS", "default")}'}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--workload', choices=sorted(BUILDERS))
    parser.add_argument('--gemm-peak', type=int, metavar='SIZE', help='only time torch.mm at SIZE x SIZE')
    parser.add_argument('--steps', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--data', help='raw float32 [n, 784] file ([n, 40] for W5, [n, 4096] for W6)')
    parser.add_argument('--threads', type=int, default=2, help='torch.set_num_threads (default 2)')
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.gemm_peak:
        print(json.dumps(gemm_peak(args.gemm_peak)))
        return
    if not args.workload:
        parser.error('--workload is required')
    width = {'W5': LENGTH, 'W6': MELS * FRAMES}.get(args.workload, 784)
    if args.data:
        import numpy as np
        data = torch.from_numpy(np.fromfile(args.data, dtype=np.float32).reshape(-1, width))
    else:
        data = random_sentences(4096) if args.workload == 'W5' else torch.rand(8000, width)
    batch = BATCH[args.workload]
    step, nets = BUILDERS[args.workload]()
    offsets = torch.arange(batch)

    def run(s):
        # Same order as the TensorFlow.js worker: consecutive samples, wrapping around.
        step(data[(offsets + s * batch) % data.shape[0]], s)

    params = sum(p.numel() for net in nets for p in net.parameters() if p.requires_grad)
    result = {'workload': args.workload, 'engine': 'pytorch', 'steps': args.steps, 'warmup': args.warmup,
              'params': params,
              'backend': f'PyTorch {torch.__version__}, torch threads {torch.get_num_threads()}, '
              f'OpenBLAS threads {os.environ.get("OPENBLAS_NUM_THREADS", "default")}'}
    try:
        for s in range(args.warmup):
            run(s)
        started, cpu_started = time.perf_counter(), time.process_time()
        for s in range(args.steps):
            run(args.warmup + s)
        seconds = time.perf_counter() - started
        # CPU time of all the process's threads per step, as the TensorFlow.js worker reports it.
        cpu_ms = (time.process_time() - cpu_started) * 1000 / args.steps
        result.update(ok=True, samplesPerSecond=args.steps * batch / seconds, seconds=seconds, cpuMsPerStep=cpu_ms)
    except Exception as error:  # reported as a failed row, like the TensorFlow.js worker does
        result.update(ok=False, error=str(error).split('\n')[0])
    result['peakRssMb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == '__main__':
    main()

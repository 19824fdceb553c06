"""Reference figures for test/models/zoo-objectives.test.ts, computed in numpy/torch from the definitions.

MMD: the unbiased MMD² (Gretton et al. 2012) with the multi-scale IMQ and the RBF kernels, C = 2·d·σ².
MS-SSIM: Wang et al. 2003 with pythae's small-image conventions (Gaussian window σ = 1.5 with 'same' zero
padding, 2x2 average pooling, scale weights by width, each term mapped to (x + 1) / 2), per image.
Run: /usr/bin/python3 bench/peers/zoo_objectives_reference.py
"""
import math

import numpy as np
import torch
import torch.nn.functional as F


def points():
    x = np.array([[0.1 * i - 0.2 * j for j in range(3)] for i in range(5)], dtype=np.float64)
    y = np.array([[math.sin(i + 2 * j) for j in range(3)] for i in range(4)], dtype=np.float64)
    return x, y


def kernel(a, b, kind, bandwidth=1.0, scales=(0.1, 0.2, 0.5, 1, 2, 5, 10)):
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    c = 2 * a.shape[1] * bandwidth**2
    if kind == "rbf":
        return np.exp(-d2 / c)
    return sum(s * c / (s * c + d2) for s in scales)


def mmd2(x, y, kind, **kw):
    n, m = len(x), len(y)
    kxx, kyy, kxy = kernel(x, x, kind, **kw), kernel(y, y, kind, **kw), kernel(x, y, kind, **kw)
    return (
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.mean()
    )


def images():
    a = np.array([[(math.sin(0.3 * i) + math.cos(0.2 * j) + 2) / 4 for j in range(28)] for i in range(28)])
    b = np.array([[0.8 * a[i, j] + 0.05 * ((i + j) % 3) for j in range(28)] for i in range(28)])
    return a, b


def msssim(a, b, window=11):
    g = torch.tensor([math.exp(-((i - window // 2) ** 2) / (2 * 1.5**2)) for i in range(window)], dtype=torch.float64)
    g = g / g.sum()
    w = (g[:, None] * g[None, :])[None, None]
    x = torch.tensor(a, dtype=torch.float64)[None, None]
    y = torch.tensor(b, dtype=torch.float64)[None, None]
    width = x.shape[-1]
    weights = (
        [1.0] if width < 4 else [0.3222, 0.6778] if width < 8 else [0.4558, 0.1633, 0.3809] if width < 16
        else [0.3117, 0.3384, 0.2675, 0.0824] if width < 32 else [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]
    )
    c1, c2 = 0.01**2, 0.03**2
    out = 1.0
    for level, wt in enumerate(weights):
        blur = lambda t: F.conv2d(t, w, padding=window // 2)
        mu1, mu2 = blur(x), blur(y)
        s1 = blur(x * x) - mu1**2
        s2 = blur(y * y) - mu2**2
        s12 = blur(x * y) - mu1 * mu2
        cs = (2 * s12 + c2) / (s1 + s2 + c2)
        ssim = (2 * mu1 * mu2 + c1) / (mu1**2 + mu2**2 + c1) * cs
        last = level == len(weights) - 1
        term = ((ssim.mean() if last else cs.mean()) + 1) / 2
        out *= term.item() ** wt
        x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    return out


if __name__ == "__main__":
    x, y = points()
    print("mmd2 imq", repr(mmd2(x, y, "imq")))
    print("mmd2 rbf bandwidth 0.5", repr(mmd2(x, y, "rbf", bandwidth=0.5)))
    a, b = images()
    print("msssim 28x28 window 11", repr(msssim(a, b)))
    print("msssim 28x28 window 3", repr(msssim(a, b, window=3)))

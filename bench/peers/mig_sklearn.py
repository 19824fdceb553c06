"""MIG peer: the Mutual Information Gap as disentanglement_lib computes it (histogram_discretize with 20 bins,
scikit-learn's mutual_info_score), on a fixed seeded set, written as the fixture test/eval/disentanglement.test.ts
checks src/eval/disentanglement.ts against.

    /usr/bin/python3 bench/peers/mig_sklearn.py > test/fixtures/disentanglement/mig.json

Needs numpy and scikit-learn (/usr/bin/python3 here).
"""

import json

import numpy as np
from sklearn.metrics import mutual_info_score

SIZES = [4, 7]
ROWS = 400
BINS = 20


def histogram_discretize(target, num_bins=BINS):
    # disentanglement_lib/evaluation/metrics/utils.py
    out = np.zeros_like(target, dtype=np.int64)
    for i in range(target.shape[0]):
        out[i, :] = np.digitize(target[i, :], np.histogram(target[i, :], num_bins)[1][:-1])
    return out


def main():
    rng = np.random.default_rng(21)
    factors = np.stack([rng.integers(0, s, ROWS) for s in SIZES], axis=1)
    noise = rng.normal(size=(ROWS, 3))
    # Code 0 mostly factor 0, code 1 a mix of both, code 2 mostly noise; float32 as a model's codes are.
    codes = np.stack(
        [
            factors[:, 0] + 0.3 * noise[:, 0],
            0.5 * factors[:, 0] + factors[:, 1] + 0.5 * noise[:, 1],
            0.2 * factors[:, 1] + noise[:, 2],
        ],
        axis=1,
    ).astype(np.float32)
    mus = codes.astype(np.float64).T  # [codes, rows], as disentanglement_lib lays them out
    discrete = histogram_discretize(mus)
    m = np.array([[mutual_info_score(factors[:, k], discrete[j]) for k in range(len(SIZES))] for j in range(3)])
    entropy = np.array([mutual_info_score(factors[:, k], factors[:, k]) for k in range(len(SIZES))])
    sorted_m = np.sort(m, axis=0)[::-1]
    mig = float(np.mean((sorted_m[0, :] - sorted_m[1, :]) / entropy))
    print(
        json.dumps(
            {
                'sizes': SIZES,
                'codes': codes.astype(np.float64).tolist(),
                'factors': factors.tolist(),
                'mig': mig,
                'mutualInformation': m.tolist(),
            }
        )
    )


if __name__ == '__main__':
    main()

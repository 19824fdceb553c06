"""scikit-learn (and PyOD's formulas, PyOD not being installed) peers for latentlab's classical detectors.

    python3 bench/peers/anomaly-sklearn.py fixture
        Fits each detector on all rows of test/fixtures/numpy/anomaly.npz and prints scores of rows
        0, 1, 2, 150, 151 and the AUROC: the numbers test/eval/detectors/classical.test.ts compares with.
    python3 bench/peers/anomaly-sklearn.py adbench DIR [--seeds 3]
        ADBench's unsupervised protocol (stratified 70/30, standardised on the 70%) with the same six
        detectors at their defaults: mean AUROC per detector, for comparison with `latentlab benchmark anomaly`
        (splits differ: numpy draws them, not latentlab's generator).

Needs numpy, scipy and scikit-learn 1.2 (/usr/bin/python3 here).
"""

import glob
import os
import sys

import numpy as np
from scipy.stats import skew
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM


def ecdf(X):
    """PyOD's column_ecdf: fraction of the column <= each value."""
    out = np.empty_like(X, dtype=float)
    for j in range(X.shape[1]):
        col = np.sort(X[:, j])
        out[:, j] = np.searchsorted(col, X[:, j], side="right") / len(col)
    return out


def ecod(train, test):
    """PyOD's ECOD.decision_function: ECDFs over training and scored rows together."""
    X = np.vstack([train, test])
    U_l = -np.log(ecdf(X))
    U_r = -np.log(ecdf(-X))
    s = np.sign(skew(X, axis=0))
    U_skew = U_l * -1 * np.sign(s - 1) + U_r * np.sign(s + 1)
    O = np.maximum(U_skew, (U_l + U_r) / 2)
    return O.sum(axis=1)[-len(test):]


def knn(train, test, k=5):
    return NearestNeighbors(n_neighbors=k).fit(train).kneighbors(test)[0][:, -1]


def lof(train, test):
    return -LocalOutlierFactor(n_neighbors=20, novelty=True).fit(train).score_samples(test)


def pca(train, test):
    """Shyu et al.'s score on standardised features: sum of squared projections / component variance."""
    sc = StandardScaler().fit(train)
    p = PCA().fit(sc.transform(train))
    z = p.transform(sc.transform(test))
    keep = p.explained_variance_ > 1e-6
    return (z[:, keep] ** 2 / p.explained_variance_[keep]).sum(axis=1)


def ocsvm(train, test):
    return -OneClassSVM(kernel="rbf", nu=0.5, gamma="scale").fit(train).score_samples(test)


def iforest(train, test, seed=0):
    return -IsolationForest(n_estimators=100, max_samples=min(256, len(train)), random_state=seed).fit(train).score_samples(test)


DETECTORS = {"iforest": iforest, "ecod": ecod, "knn": knn, "lof": lof, "pca": pca, "ocsvm": ocsvm}


def fixture():
    here = os.path.dirname(__file__)
    d = np.load(os.path.join(here, "..", "..", "test", "fixtures", "numpy", "anomaly.npz"))
    X, y = d["X"].astype(np.float64), d["y"]
    rows = [0, 1, 2, 150, 151]
    for name, detector in DETECTORS.items():
        s = detector(X, X)
        print(name, "scores", " ".join(f"{s[r]:.6f}" for r in rows), "auroc", f"{roc_auc_score(y, s):.6f}")


def adbench(folder, seeds):
    results = {name: [] for name in DETECTORS}
    for path in sorted(glob.glob(os.path.join(folder, "*.npz"))):
        d = np.load(path)
        X, y = d["X"].astype(np.float64), d["y"].astype(int)
        line = [os.path.basename(path)]
        for name, detector in DETECTORS.items():
            aurocs = []
            for seed in range(seeds):
                tr, te, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
                sc = StandardScaler().fit(tr)
                s = detector(sc.transform(tr), sc.transform(te))
                aurocs.append(roc_auc_score(yte, s))
            results[name].append(np.mean(aurocs))
            line.append(f"{name} {np.mean(aurocs):.3f}")
        print("  ".join(line), flush=True)
    print("mean AUROC:", "  ".join(f"{n} {np.mean(v):.3f}" for n, v in results.items()))


if __name__ == "__main__":
    if sys.argv[1] == "fixture":
        fixture()
    else:
        seeds = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 3
        adbench(sys.argv[2], seeds)

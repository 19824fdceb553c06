"""Writes the tiny .npy/.npz files test/io/numpy.test.ts reads (numpy's own writer, so the reader is checked
against the format as numpy writes it). Run: python3 scripts/make-numpy-fixtures.py"""
import os

import numpy as np
from numpy.lib import format as npformat

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "numpy")
os.makedirs(OUT, exist_ok=True)

base = np.array([[1.5, -2.0, 3.25], [4.0, 5.5, -6.75]])
np.save(os.path.join(OUT, "f8.npy"), base)
np.save(os.path.join(OUT, "f4-be.npy"), base.astype(">f4"))
np.save(os.path.join(OUT, "f8-fortran.npy"), np.asfortranarray(base))
np.save(os.path.join(OUT, "i1.npy"), np.array([-128, 0, 127], dtype="i1"))
np.save(os.path.join(OUT, "i2-be.npy"), np.array([-300, 2, 30000], dtype=">i2"))
np.save(os.path.join(OUT, "i4.npy"), np.array([[-70000, 1], [2, 70000]], dtype="<i4"))
np.save(os.path.join(OUT, "i8.npy"), np.array([-(2**40), 0, 2**40], dtype="<i8"))
np.save(os.path.join(OUT, "u1.npy"), np.array([0, 200, 255], dtype="u1"))
np.save(os.path.join(OUT, "u2.npy"), np.array([0, 65535], dtype="<u2"))
np.save(os.path.join(OUT, "u4-be.npy"), np.array([4000000000, 1], dtype=">u4"))
np.save(os.path.join(OUT, "b1.npy"), np.array([True, False, True]))
np.save(os.path.join(OUT, "scalar.npy"), np.float64(7.0))
np.save(os.path.join(OUT, "object.npy"), np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
for version in [(2, 0), (3, 0)]:
    with open(os.path.join(OUT, f"v{version[0]}.npy"), "wb") as f:
        npformat.write_array(f, base.astype("<f4"), version=version)

X = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
y = np.array([0, 1, 0])
np.savez(os.path.join(OUT, "stored.npz"), X=X, y=y)
np.savez_compressed(os.path.join(OUT, "deflated.npz"), X=X.astype("f4"), y=y.astype("u1"))
np.savez(os.path.join(OUT, "no-x.npz"), features=X, labels=y)
np.savez(os.path.join(OUT, "short-y.npz"), X=X, y=np.array([0, 1]))

# A small table for the detectors' cross-checks (bench/peers/anomaly-sklearn.py): 150 correlated Gaussian rows
# and 10 uniform outliers, anomalies labelled 1.
rng = np.random.default_rng(0)
normal = rng.normal(size=(150, 4)) @ np.array([[1, 0.5, 0, 0], [0, 1, 0.3, 0], [0, 0, 1, 0], [0, 0, 0.2, 0.5]])
outliers = rng.uniform(-5, 5, size=(10, 4))
np.savez(
    os.path.join(OUT, "anomaly.npz"),
    X=np.vstack([normal, outliers]).astype("f4"),
    y=np.r_[np.zeros(150, dtype="i8"), np.ones(10, dtype="i8")],
)

# Obvious anomalies for the benchmark's end-to-end test (test/apps/benchmark-anomaly.test.ts): 270 rows around
# the origin and 30 far out on every axis, so any sound detector ranks them first (AUROC > 0.9).
rng = np.random.default_rng(1)
inliers = rng.normal(size=(270, 5))
far = rng.normal(size=(30, 5)) + rng.choice([-8.0, 8.0], size=(30, 5))
order = rng.permutation(300)
np.savez(
    os.path.join(OUT, "obvious.npz"),
    X=np.vstack([inliers, far])[order],
    y=np.r_[np.zeros(270, dtype="i8"), np.ones(30, dtype="i8")][order],
)
np.savez(os.path.join(OUT, "x-only.npz"), X=X)

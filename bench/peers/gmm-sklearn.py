"""scikit-learn's GaussianMixture on the fixed 2-D set of test/eval/samplers.test.ts (3 clusters of 30 points made
by formula, rounded to float32 as latentlab reads them): the mean log-likelihood, weights, means and covariances the
test checks latentlab's EM against. Run: /usr/bin/python3 bench/peers/gmm-sklearn.py (the system Python has scikit-learn)"""
import numpy as np
from sklearn.mixture import GaussianMixture

CENTRES = [(0, 0), (4, 1), (-2, 5)]
X = np.array(
    [
        [
            CENTRES[i % 3][0] + 0.6 * np.sin(1.7 * i) + 0.3 * np.cos(0.37 * i * i),
            CENTRES[i % 3][1] + 0.5 * np.cos(2.3 * i) + 0.2 * np.sin(0.11 * i * i),
        ]
        for i in range(90)
    ],
    dtype=np.float32,
).astype(np.float64)
gmm = GaussianMixture(3, covariance_type="full", tol=1e-10, max_iter=1000, random_state=0).fit(X)
order = np.argsort(gmm.means_[:, 0])
print("mean log-likelihood", repr(gmm.score(X)))
print("weights", gmm.weights_[order].tolist())
print("means", gmm.means_[order].tolist())
print("covariances", gmm.covariances_[order].tolist())

"""Deterministic benchmark data: anisotropic, overlapping Gaussian blobs.

blobs(n, d, k, seed) draws K cluster centres uniformly in [-0.5, 0.5]^D, mixing weights from a
Dirichlet(5, ..., 5) (unequal, none tiny), and for every cluster a random orientation (the Q
factor of a standard normal D x D matrix) with standard deviations drawn uniformly from
[0.05, 0.3] along its axes. Clusters therefore overlap (their spread is comparable to the
distance between centres) and are elongated in random directions, which is where EM needs
full covariances and several iterations. Rows are shuffled. The same arguments give the same
array on every machine (NumPy's PCG64 generator, seeded).
"""

import numpy as np


def blobs(n, d, k, seed=0):
    """An n x d float64 array of k blobs (see the module's docstring)."""
    rng = np.random.default_rng([seed, n, d, k])
    centres = rng.uniform(-0.5, 0.5, size=(k, d))
    weights = rng.dirichlet(np.full(k, 5.0))
    counts = rng.multinomial(n, weights)
    parts = []
    for c in range(k):
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        scales = rng.uniform(0.05, 0.3, size=d)
        z = rng.standard_normal((counts[c], d))
        parts.append(centres[c] + (z * scales) @ q.T)
    x = np.concatenate(parts)
    rng.shuffle(x)
    return np.ascontiguousarray(x)

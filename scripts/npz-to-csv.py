#!/usr/bin/env python3
"""An ADBench .npz (X rows x features, y 1 = anomaly) as a CSV latentlab reads: x0..xN-1, then y.

usage: python3 scripts/npz-to-csv.py IN.npz OUT.csv
"""
import sys

import numpy as np

source, target = sys.argv[1], sys.argv[2]
with np.load(source) as archive:
    x, y = archive["X"], archive["y"].astype(int)
header = ",".join([f"x{j}" for j in range(x.shape[1])] + ["y"])
rows = np.column_stack([x, y])
np.savetxt(target, rows, delimiter=",", header=header, comments="", fmt=["%.9g"] * x.shape[1] + ["%d"])

"""Shared parts of the MNIST peers: thread settings, IDX reading, the energy network.

Thread settings follow ../shared/peers/ebm_torch_dsm.py: torch.set_num_threads(2),
OMP_WAIT_POLICY=PASSIVE set before torch is imported and OpenBLAS capped at 1 thread
(unless --omp-default is given).
"""
import gzip, os, struct, sys

if "--omp-default" not in sys.argv:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(2)


def limit_blas(omp_default):
    if not omp_default:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=1, user_api="blas")


def read_idx_images(path):
    """MNIST-style IDX unsigned-byte images (plain or .gz) -> float32 tensor (n, rows*cols) in [0,1]."""
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        raw = f.read()
    zero, dtype, nd = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08 or nd < 2:
        raise SystemExit(f"{path}: not an unsigned-byte IDX image file")
    dims = struct.unpack(">" + "I" * nd, raw[4:4 + 4 * nd])
    n, d = dims[0], int(np.prod(dims[1:]))
    x = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd, count=n * d).reshape(n, d)
    return torch.from_numpy(x.astype(np.float32) / 255.0)


class Energy(nn.Module):
    """E(x) = MLP 784-512-512-1 with SiLU, default PyTorch init under torch.manual_seed(0)."""

    def __init__(self, d):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d, 512), nn.SiLU(), nn.Linear(512, 512), nn.SiLU(),
                                 nn.Linear(512, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)

"""PyTorch's float32 matrix product a @ b on the MNIST MLP's shapes, in GFLOP/s.

Usage: gemm_torch.py THREADS [REPEATS]

Both thread pools are capped at THREADS: torch's intra-op threads
(torch.set_num_threads) and the BLAS library's own (threadpoolctl), because
torch.set_num_threads alone leaves OpenBLAS (Debian's torch multiplies through
it) on all cores. Prints one line per shape, m×k×n as in BenchmarkGemm32's
names: the median and the range over REPEATS timings of ~0.3 s each.
"""
import statistics
import sys
import time

import torch
from threadpoolctl import threadpool_info, threadpool_limits

threads = int(sys.argv[1])
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
torch.set_num_threads(threads)
with threadpool_limits(limits=threads, user_api="blas"):
    blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]
    for m, k, n in [(128, 784, 512), (128, 512, 784), (128, 512, 512), (256, 784, 500), (1024, 1024, 1024)]:
        a, b = torch.rand(m, k), torch.rand(k, n)
        for _ in range(3):
            a @ b
        per = max(3, int(0.3 * 100e9 / (2 * m * k * n)))
        r = []
        for _ in range(reps):
            t = time.perf_counter()
            for _ in range(per):
                a @ b
            r.append(2 * m * k * n * per / (time.perf_counter() - t) / 1e9)
        print("torch %dx%dx%d threads=%d %s: median %.1f GFLOP/s (%.1f-%.1f)" % (m, k, n, threads, blas, statistics.median(r), min(r), max(r)))

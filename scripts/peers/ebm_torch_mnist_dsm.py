#!/usr/bin/python3
"""Peer baseline at image scale: PyTorch (CPU) MLP energy 784-512-512-1 SiLU trained by
denoising score matching (sigma = 0.3) on MNIST. Prints ONE JSON line with iters_per_sec.
float32, torch.set_num_threads(2), thread settings as ../shared/peers/ebm_torch_dsm.py.

Data: MNIST training images (IDX, path argument), pixels/255 in [0,1]; each iteration draws
  a batch of 128 rows uniformly with replacement (torch generator seed 1).
Training (DSM, Vincent 2011): score s(x) = -dE/dx (double backprop, create_graph=True).
  x~ = x + 0.3*N(0,I);  loss = mean_batch 0.5*|s(x~) + (x~ - x)/0.3^2|^2   (no sigma^2 weight)
  Adam(lr=1e-4, betas=(0.9,0.999)), batch 128, --iters iterations.

Usage: ebm_torch_mnist_dsm.py MNIST_IMAGES [--iters 200]
"""
import argparse, json, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mnist_common import Energy, limit_blas, read_idx_images, torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images")
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--omp-default", action="store_true")
    args = ap.parse_args()
    limit_blas(args.omp_default)
    X = read_idx_images(args.images)
    torch.manual_seed(0)
    g_data, g_samp = (torch.Generator().manual_seed(s) for s in (1, 2))
    E = Energy(X.shape[1])
    opt = torch.optim.Adam(E.parameters(), lr=1e-4)
    B, SIGMA = 128, 0.3
    t0 = time.perf_counter()
    for it in range(args.iters):
        x = X[torch.randint(0, X.shape[0], (B,), generator=g_data)]
        noise = torch.randn(x.shape, generator=g_samp) * SIGMA
        xt = (x + noise).requires_grad_(True)
        gE = torch.autograd.grad(E(xt).sum(), xt, create_graph=True)[0]   # = -score
        loss = 0.5 * ((-gE + noise / SIGMA ** 2) ** 2).sum(-1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    train_sec = time.perf_counter() - t0
    print(json.dumps({
        "peer": "torch-cpu", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "data": "mnist", "method": "dsm sigma=0.3", "iters": args.iters, "batch": B,
        "train_sec": train_sec, "iters_per_sec": args.iters / train_sec, "final_loss": float(loss),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(libgomp default)"),
    }))


if __name__ == "__main__":
    main()

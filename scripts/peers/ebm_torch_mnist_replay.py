#!/usr/bin/python3
"""Peer baseline at image scale: PyTorch (CPU) MLP energy 784-512-512-1 SiLU trained by
replay-buffer maximum likelihood (IGEBM recipe) with 20 ULA steps per update on MNIST.
Prints ONE JSON line with iters_per_sec. float32, torch.set_num_threads(2), thread settings
as ../shared/peers/ebm_torch_pcd.py.

Data: MNIST training images (IDX, path argument), pixels/255 in [0,1]; positives are 128 rows
  drawn uniformly with replacement each iteration (torch generator seed 1).
Training: replay buffer of 10,000 points initialised U[-1,1]^784; each iteration draws 128
  buffer points (uniform indices, with replacement), each re-initialised from U[-1,1]^784 with
  prob 0.05; 20 ULA steps x <- clamp(x - (eps/2) dE/dx + sqrt(eps) N(0,I), -1, 1), eps = 0.001;
  results written back to the same buffer slots.
  loss = mean E(x+) - mean E(x-) + 0.1 * mean(E(x+)^2 + E(x-)^2)
  Adam(lr=1e-4, betas=(0.9,0.999)), batch 128, --iters iterations.
(ebm: --method replay:sampler=ula,step=0.001,k=20,box=1,buffer=10000,reinit=0.05,alpha=0.1)

Usage: ebm_torch_mnist_replay.py MNIST_IMAGES [--iters 200]
"""
import argparse, json, math, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mnist_common import Energy, limit_blas, read_idx_images, torch  # noqa: E402

BOX = 1.0


def grad_E(E, x):
    x = x.detach().requires_grad_(True)
    return torch.autograd.grad(E(x).sum(), x)[0]


def sample_ula(E, x, steps, eps, gen):
    for _ in range(steps):
        x = (x - 0.5 * eps * grad_E(E, x) + math.sqrt(eps) * torch.randn(x.shape, generator=gen)
             ).clamp(-BOX, BOX).detach()
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images")
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--omp-default", action="store_true")
    args = ap.parse_args()
    limit_blas(args.omp_default)
    X = read_idx_images(args.images)
    D = X.shape[1]
    torch.manual_seed(0)
    g_data, g_samp = (torch.Generator().manual_seed(s) for s in (1, 2))
    E = Energy(D)
    opt = torch.optim.Adam(E.parameters(), lr=1e-4)
    B, BUF, ALPHA, K, EPS = 128, 10000, 0.1, 20, 0.001
    buf = torch.rand(BUF, D, generator=g_samp) * 2 * BOX - BOX
    t0 = time.perf_counter()
    for it in range(args.iters):
        xpos = X[torch.randint(0, X.shape[0], (B,), generator=g_data)]
        idx = torch.randint(0, BUF, (B,), generator=g_samp)
        x0 = buf[idx].clone()
        re = torch.rand(B, generator=g_samp) < 0.05
        x0[re] = torch.rand(int(re.sum()), D, generator=g_samp) * 2 * BOX - BOX
        xneg = sample_ula(E, x0, K, EPS, g_samp)
        buf[idx] = xneg
        ep, en = E(xpos), E(xneg)
        loss = ep.mean() - en.mean() + ALPHA * (ep ** 2 + en ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    train_sec = time.perf_counter() - t0
    print(json.dumps({
        "peer": "torch-cpu", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "data": "mnist", "method": "replay ula k=20 eps=0.001", "iters": args.iters, "batch": B,
        "train_sec": train_sec, "iters_per_sec": args.iters / train_sec, "final_loss": float(loss),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(libgomp default)"),
    }))


if __name__ == "__main__":
    main()

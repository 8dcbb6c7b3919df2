# NMF of data by multiplicative updates, Frobenius, as src/nmf/mu.ts and scikit-learn's
# _fit_multiplicative_update (beta 2, no penalty): W ← W ∘ (X·Hᵀ)/(W·H·Hᵀ), then
# H ← H ∘ (Wᵀ·X)/(WᵀW·H) from the new W, a zero denominator replaced by ε; ITER iterations, tol 0.
# Init 'nndsvda' as webgpu-nmf.ts's NMF uses it: scikit-learn's randomized_svd (k + 10 columns,
# 7 power iterations when k < 0.1·min(n, d) else 4, re-orthonormalized by QR), the NNDSVD split of
# each singular pair, entries < 1e-6 zeroed, zeros filled with mean(X). Products float32 on the
# device, as the webgpu backend's gemm; the (k + 10)-column SVD float64. The fit time covers init,
# iterations and reconstruction_err_ (‖X − WH‖_F, as scikit-learn reports it), like NMF.fit().
# Prints one JSON line. Usage: python3 nmf_torch.py --data X.f32 --rows N [--cols 784] --k K
#        --iter I [--runs R] [--device cpu|cuda] [--threads T]
import argparse, json, statistics
import torch
from torch_device import add_device_args, clock, describe, device_of, load_f32

EPSILON = float(torch.finfo(torch.float32).eps)  # scikit-learn's np.finfo(np.float32).eps
NNDSVD_EPS = 1e-6

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--data", required=True, help="rows × cols float32, row-major, non-negative")
parser.add_argument("--rows", type=int, required=True)
parser.add_argument("--cols", type=int, default=784)
parser.add_argument("--k", type=int, required=True)
parser.add_argument("--iter", type=int, required=True)
parser.add_argument("--runs", type=int, default=3)
add_device_args(parser)
args = parser.parse_args()
device = device_of(args)
x = load_f32(args.data, args.rows, args.cols, device)
if not 1 <= args.k <= min(args.rows, args.cols):
    raise SystemExit(f"--k {args.k}: nndsvda needs 1 ≤ k ≤ min(rows, cols) = {min(args.rows, args.cols)}")
if bool((x < 0).any()) or not bool(torch.isfinite(x).all()):
    raise SystemExit(f"{args.data}: X must be finite and ≥ 0")


def randomized_svd(k: int, generator: torch.Generator):
    n, d = x.shape
    l = k + 10
    power = 7 if k < 0.1 * min(n, d) else 4
    omega = torch.randn(d, l, generator=generator).to(device)
    q, _ = torch.linalg.qr(x @ omega)
    for _ in range(power):
        q, _ = torch.linalg.qr(x.T @ q)
        q, _ = torch.linalg.qr(x @ q)
    b = (q.T @ x).double()  # l × d
    ub, s, vt = torch.linalg.svd(b, full_matrices=False)
    u = q.double() @ ub[:, :k]
    return u, s[:k], vt[:k].T  # n × k, k, d × k


def nndsvda(k: int, generator: torch.Generator):
    u, s, v = randomized_svd(k, generator)
    # Each pair's positive or negative part, whichever has the larger product of norms, all
    # columns at once (no per-column host round trip); the leading pair's absolute values.
    up, un, vp, vn = u.clamp(min=0), (-u).clamp(min=0), v.clamp(min=0), (-v).clamp(min=0)
    upn, unn, vpn, vnn = up.norm(dim=0), un.norm(dim=0), vp.norm(dim=0), vn.norm(dim=0)
    pos = upn * vpn > unn * vnn
    uu, vv = torch.where(pos, up, un), torch.where(pos, vp, vn)
    un_, vn_ = torch.where(pos, upn, unn), torch.where(pos, vpn, vnn)
    uu[:, 0], vv[:, 0] = u[:, 0].abs(), v[:, 0].abs()
    un_[0], vn_[0] = 1, 1
    lam = torch.sqrt(s * un_ * vn_)
    usable = (un_ > 0) & (vn_ > 0)  # a pair with no usable part leaves its column at zero
    w = torch.where(usable, lam * uu / un_.clamp(min=1e-300), torch.zeros_like(uu))
    ht = torch.where(usable, lam * vv / vn_.clamp(min=1e-300), torch.zeros_like(vv))
    mean = x.double().mean()
    for f in (w, ht):
        f[f < NNDSVD_EPS] = 0
        f[f == 0] = mean
    return w.float(), ht.T.contiguous().float()  # W (n × k), H (k × d)


def update(f: torch.Tensor, num: torch.Tensor, den: torch.Tensor) -> None:
    f.mul_(num / den.masked_fill(den == 0, EPSILON))


def fit(iterations: int):
    generator = torch.Generator().manual_seed(0)
    w, h = nndsvda(args.k, generator)
    for _ in range(iterations):
        update(w, x @ h.T, w @ (h @ h.T))
        update(h, w.T @ x, (w.T @ w) @ h)
    err = torch.linalg.norm((x - w @ h).double())  # float64 sum of the float32 residual
    return float(err)


fit(2)  # warm-up: CUDA context, cuBLAS/cuSOLVER handles, kernels
runs = []
for _ in range(args.runs):
    t0 = clock(device)
    err = fit(args.iter)
    runs.append(clock(device) - t0)
print(json.dumps({
    "fit_s": statistics.median(runs), "runs": runs, "reconstruction_err": err, "rows": args.rows,
    "cols": args.cols, "k": args.k, "iterations": args.iter, **describe(device),
}))

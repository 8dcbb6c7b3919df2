# The same TopK SAE as src/sae (Gao et al. 2024) written the way a PyTorch user would: a dense
# encoder, torch.topk + scatter into a dense latent matrix (model.py's TopK), a dense decoder,
# AuxK on dead latents, unit-norm decoder with the parallel gradient removed, Adam.
# Prints training samples/s as JSON. Data: BATCH·8 rows of U[0, 1), or the same rows from --data
# (float32, row-major) so that another trainer can see the same numbers. On --device cuda the clock
# is read after torch.cuda.synchronize().
# Usage: python3 sae_torch.py D N K BATCH STEPS THREADS [--device cpu|cuda] [--data X.f32]
import argparse, json
import torch
from torch_device import clock, describe, load_f32

parser = argparse.ArgumentParser(description=__doc__)
for name in ["d", "n", "k", "batch", "steps", "threads"]:
    parser.add_argument(name, type=int)
parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
parser.add_argument("--data", default=None, help="BATCH·8 × D float32 rows (default: torch.rand)")
args = parser.parse_args()
d, n, k, batch, steps, threads = args.d, args.n, args.k, args.batch, args.steps, args.threads
if args.device == "cuda" and not torch.cuda.is_available():
    raise SystemExit("--device cuda: torch.cuda.is_available() is False on this machine")
device = torch.device(args.device)
torch.set_num_threads(threads)
torch.manual_seed(0)
x_all = load_f32(args.data, batch * 8, d, device) if args.data else torch.rand(batch * 8, d).to(device)
enc = torch.nn.Linear(d, n, bias=False).to(device)
dec = torch.nn.Parameter(enc.weight.data.T.clone())  # d × n, columns are atoms
with torch.no_grad():
    dec /= dec.norm(dim=0, keepdim=True)
pre_bias = torch.nn.Parameter(x_all.mean(0))
latent_bias = torch.nn.Parameter(torch.zeros(n, device=device))
params = [enc.weight, dec, pre_bias, latent_bias]
opt = torch.optim.Adam(params, lr=4e-4, eps=6.25e-10)
last_fired = torch.zeros(n, device=device)
mse_scale = 1 / ((x_all - x_all.mean(0)) ** 2).mean()

def step(x):
    pre = enc(x - pre_bias) + latent_bias
    top = torch.topk(pre, k, dim=-1)
    h = torch.zeros_like(pre).scatter(-1, top.indices, torch.relu(top.values))
    recon = h @ dec.T + pre_bias
    loss = mse_scale * ((recon - x) ** 2).mean()
    fired = torch.zeros(n, device=device).scatter_add(0, top.indices.reshape(-1), (top.values > 1e-3).float().reshape(-1))
    last_fired.mul_((fired == 0).float()).add_(batch)
    dead = last_fired >= batch * 4
    if dead.any():
        kaux = min(2 * k, int(dead.sum()))
        masked = pre.masked_fill(~dead, float('-inf'))
        aux = torch.topk(masked, kaux, dim=-1)
        z = torch.zeros_like(pre).scatter(-1, aux.indices, torch.relu(aux.values))
        e = (x - recon).detach()
        spread = ((e - e.mean(0)) ** 2).mean()
        if spread > 0:
            loss = loss + (1 / 32) * ((z @ dec.T - e) ** 2).mean() / spread
    opt.zero_grad()
    loss.backward()
    with torch.no_grad():
        dec.grad -= (dec.grad * dec).sum(0, keepdim=True) * dec
    opt.step()
    with torch.no_grad():
        dec.div_(dec.norm(dim=0, keepdim=True))

for i in range(3):
    step(x_all[(i % 8) * batch:(i % 8 + 1) * batch])
t0 = clock(device)
for i in range(steps):
    step(x_all[(i % 8) * batch:(i % 8 + 1) * batch])
dt = clock(device) - t0
print(json.dumps({"samples_per_s": steps * batch / dt, "steps": steps, "batch": batch, "k": k, **describe(device)}))

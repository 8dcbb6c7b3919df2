# The same TopK SAE as src/sae (Gao et al. 2024) written the way a PyTorch user would: a dense
# encoder, torch.topk + scatter into a dense latent matrix (model.py's TopK), a dense decoder,
# AuxK on dead latents, unit-norm decoder with the parallel gradient removed, Adam.
# Prints training samples/s as JSON. Usage: python3 sae_torch.py D N K BATCH STEPS THREADS
import json, sys, time
import torch

d, n, k, batch, steps, threads = map(int, sys.argv[1:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
x_all = torch.rand(batch * 8, d)
enc = torch.nn.Linear(d, n, bias=False)
dec = torch.nn.Parameter(enc.weight.data.T.clone())  # d × n, columns are atoms
with torch.no_grad():
    dec /= dec.norm(dim=0, keepdim=True)
pre_bias = torch.nn.Parameter(x_all.mean(0))
latent_bias = torch.nn.Parameter(torch.zeros(n))
params = [enc.weight, dec, pre_bias, latent_bias]
opt = torch.optim.Adam(params, lr=4e-4, eps=6.25e-10)
last_fired = torch.zeros(n)
mse_scale = 1 / ((x_all - x_all.mean(0)) ** 2).mean()

def step(x):
    pre = enc(x - pre_bias) + latent_bias
    top = torch.topk(pre, k, dim=-1)
    h = torch.zeros_like(pre).scatter(-1, top.indices, torch.relu(top.values))
    recon = h @ dec.T + pre_bias
    loss = mse_scale * ((recon - x) ** 2).mean()
    fired = torch.zeros(n).scatter_add(0, top.indices.reshape(-1), (top.values > 1e-3).float().reshape(-1))
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
t0 = time.perf_counter()
for i in range(steps):
    step(x_all[(i % 8) * batch:(i % 8 + 1) * batch])
dt = time.perf_counter() - t0
print(json.dumps({"samples_per_s": steps * batch / dt, "torch": torch.__version__, "threads": torch.get_num_threads()}))

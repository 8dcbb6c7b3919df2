"""The shallow autoencoder of bench/shallow.bench.ts in PyTorch: online SGD at batch 1.

x̂ = V g(W x/√D + b) + c, loss 0.5·MSE (the authors' criterion), torch.optim.SGD with the same
per-parameter learning rates as nmfinit's ShallowAutoencoder. One thread (torch.set_num_threads(1)),
to match nmfinit's single-threaded step. Prints one JSON line per configuration: steps/s.
Usage: python3 shallow_torch.py D K STEPS
"""
import json
import math
import sys
import time

import torch

D, K, STEPS = (int(a) for a in sys.argv[1:4])
torch.set_num_threads(1)
torch.manual_seed(0)


class Shallow(torch.nn.Module):
    def __init__(self, g, tied):
        super().__init__()
        self.g, self.tied = g, tied
        self.enc = torch.nn.Linear(D, K, bias=True)
        self.dec = None if tied else torch.nn.Linear(K, D, bias=True)
        self.c = torch.nn.Parameter(torch.zeros(D)) if tied else None

    def forward(self, x):
        h = self.g(self.enc(x) / math.sqrt(D))
        if self.tied:
            return h @ self.enc.weight + self.c  # both uses of the weight get gradients
        return self.dec(h)


ACTS = {"linear": lambda z: z, "relu": torch.relu, "erf": lambda z: torch.erf(z / math.sqrt(2))}
xs = torch.randn(1000, D)
for act, g in ACTS.items():
    for tied in (False, True):
        model = Shallow(g, tied)
        lr = 0.1
        if tied:
            groups = [{"params": model.parameters(), "lr": lr}]
        else:
            groups = [
                {"params": [model.enc.weight], "lr": lr / D},
                {"params": [model.enc.bias, *model.dec.parameters()], "lr": lr},
            ]
        opt = torch.optim.SGD(groups, lr=lr)

        def run(n):
            for i in range(n):
                x = xs[i % 1000 : i % 1000 + 1]
                opt.zero_grad()
                loss = 0.5 * torch.nn.functional.mse_loss(model(x), x)
                loss.backward()
                opt.step()

        run(min(500, STEPS))
        t0 = time.perf_counter()
        run(STEPS)
        dt = time.perf_counter() - t0
        print(json.dumps({"activation": act, "tied": tied, "stepsPerSecond": STEPS / dt}))

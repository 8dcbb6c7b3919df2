# The seed autoencoder 784-128-64-32-64-128-784 (ReLU, sigmoid output, MSE, Adam lr 1e-3 ε 1e-7)
# trained the way a PyTorch user would, as fit() in webgpu.bench.ts trains it: Keras' validation
# split (the first floor(n·(1 − split)) rows train, the rest validate after each epoch), a fresh
# shuffle of the training rows every epoch, batches of BATCH, weights N(0, 0.05), zero biases.
# One warm-up fit, then RUNS timed fits; prints one JSON line with samples/s (training samples ×
# epochs / wall time, validation included, as the TypeScript side counts it).
# Usage: python3 ae_torch.py --data X.f32 --samples N [--epochs E] [--batch B] [--split S]
#        [--runs R] [--device cpu|cuda] [--threads T]
import argparse, json, statistics
import torch
from torch_device import add_device_args, clock, describe, device_of, load_f32

SIZES = [784, 128, 64, 32, 64, 128, 784]

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--data", required=True, help="samples × 784 float32, row-major")
parser.add_argument("--samples", type=int, required=True)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch", type=int, default=256)
parser.add_argument("--split", type=float, default=0.33)
parser.add_argument("--runs", type=int, default=3)
add_device_args(parser)
args = parser.parse_args()
device = device_of(args)
x_all = load_f32(args.data, args.samples, SIZES[0], device)
at = int(args.samples * (1 - args.split))
if not 0 < at < args.samples:
    raise SystemExit(f"--split {args.split} leaves no training or no validation rows of {args.samples}")
x_train, x_val = x_all[:at], x_all[at:]


def model() -> torch.nn.Sequential:
    layers = []
    for i, (a, b) in enumerate(zip(SIZES, SIZES[1:])):
        linear = torch.nn.Linear(a, b)
        torch.nn.init.normal_(linear.weight, 0, 0.05)
        torch.nn.init.zeros_(linear.bias)
        layers += [linear, torch.nn.Sigmoid() if i == len(SIZES) - 2 else torch.nn.ReLU()]
    return torch.nn.Sequential(*layers).to(device)


def fit(epochs: int, rows: torch.Tensor, val: torch.Tensor) -> tuple:
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.MSELoss()
    val_loss = torch.zeros((), device=device)
    for _ in range(epochs):
        net.train()
        order = torch.randperm(rows.shape[0], device=device)
        # The epoch's mean training loss, summed on the device: a .item() per batch would wait
        # for the GPU every step.
        epoch_loss = torch.zeros((), device=device)
        for s in range(0, rows.shape[0], args.batch):
            xb = rows[order[s : s + args.batch]]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xb), xb)
            loss.backward()
            opt.step()
            epoch_loss += loss.detach() * xb.shape[0]
        net.eval()
        with torch.no_grad():
            val_loss = loss_fn(net(val), val)
    return float(val_loss), float(epoch_loss) / rows.shape[0]


torch.manual_seed(0)
fit(1, x_train[: min(512, at)], x_val)  # warm-up: CUDA context, kernels, allocator
runs = []
for _ in range(args.runs):
    t0 = clock(device)
    last_val, last_loss = fit(args.epochs, x_train, x_val)
    runs.append(args.epochs * at / (clock(device) - t0))
print(json.dumps({
    "samples_per_s": statistics.median(runs), "runs": runs, "train_samples": at,
    "epochs": args.epochs, "batch": args.batch, "loss": last_loss, "val_loss": last_val, **describe(device),
}))

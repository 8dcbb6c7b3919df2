# What the bench's PyTorch scripts share: the --device/--threads/--data options, a clock that waits
# for CUDA's queued kernels (torch.cuda.synchronize) before it is read, and the float32 data files
# the TypeScript side writes (row-major, little-endian) so both sides train on the same numbers.
import argparse, sys, time
import numpy as np
import torch


def add_device_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's own)")


def device_of(args: argparse.Namespace) -> torch.device:
    if args.threads is not None:
        if args.threads < 1:
            sys.exit(f"--threads must be a positive integer, got {args.threads}")
        torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: torch.cuda.is_available() is False on this machine")
    return torch.device(args.device)


def clock(device: torch.device) -> float:
    """Seconds, after every kernel queued on `device` has finished."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def load_f32(path: str, rows: int, cols: int, device: torch.device) -> torch.Tensor:
    """A rows × cols float32 matrix from `path`, which must hold exactly rows·cols values."""
    values = np.fromfile(path, dtype="<f4")
    if values.size != rows * cols:
        sys.exit(f"{path}: {values.size} float32 values, expected rows·cols = {rows}·{cols} = {rows * cols}")
    return torch.from_numpy(values.reshape(rows, cols)).to(device)


def describe(device: torch.device) -> dict:
    out = {"torch": torch.__version__, "device": device.type, "threads": torch.get_num_threads()}
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(device)
    return out

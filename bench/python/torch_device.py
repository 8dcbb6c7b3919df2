# What the bench's PyTorch scripts share: the --device/--threads/--data options, a clock that waits
# for CUDA's queued kernels (torch.cuda.synchronize) before it is read, and the float32 data files
# the TypeScript side writes (row-major, little-endian) so both sides train on the same numbers.
# No numpy: a pip-installed torch does not bring it.
import argparse, sys, time
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
    if sys.byteorder != "little":
        sys.exit(f"{path}: the file is little-endian float32, this host is {sys.byteorder}-endian")
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    if len(raw) != 4 * rows * cols:
        sys.exit(f"{path}: {len(raw)} bytes, expected 4·rows·cols = 4·{rows}·{cols} = {4 * rows * cols}")
    return torch.frombuffer(raw, dtype=torch.float32).reshape(rows, cols).to(device)


def describe(device: torch.device) -> dict:
    out = {"torch": torch.__version__, "device": device.type, "threads": torch.get_num_threads()}
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(device)
    return out

#!/usr/bin/python3
"""PyTorch CPU peer of lib/bench/native.bench.ts: per-kernel timings of convolution forward,
backward-data and backward-weights (aten.convolution_backward with one output selected, which is
what autograd calls), and batch-norm training forward+backward, at a given thread count.

Run with Debian's python3-torch (oneDNN/mkldnn inside):
  /usr/bin/python3 lib/bench/torch_native_kernels.py --threads 1 --reps 20
Prints one JSON line per (kernel, layout): {"kernel", "shape", "layout", "threads", "ms", "min_ms"}:
median and minimum over reps after 3 warm-up calls. Layouts: "nchw" (PyTorch's default contiguous)
and "channels_last" (NHWC / NDHWC memory, the layout tfjs uses).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

CASES = [
    # name, x shape (N, C, spatial...), out channels, kernel
    ("conv2d", (8, 32, 64, 64), 32, (3, 3)),
    ("conv3d", (1, 16, 32, 32, 32), 16, (3, 3, 3)),
]


def timed(fn, reps):
    """(median, min) in ms over reps calls after 3 warm-up calls."""
    for _ in range(3):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts), min(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    for name, xs, co, k in CASES:
        nd = len(k)
        fmt = torch.channels_last if nd == 2 else torch.channels_last_3d
        for layout in ("nchw", "channels_last"):
            x = torch.randn(*xs)
            w = torch.randn(co, xs[1], *k)
            if layout == "channels_last":
                x = x.contiguous(memory_format=fmt)
                w = w.contiguous(memory_format=fmt)
            pad = [kk // 2 for kk in k]
            conv = F.conv2d if nd == 2 else F.conv3d
            with torch.no_grad():
                y = conv(x, w, None, 1, pad)
            dy = torch.randn_like(y)
            args = dict(stride=[1] * nd, padding=pad, dilation=[1] * nd, transposed=False,
                        output_padding=[0] * nd, groups=1)

            def bwd(mask):
                return lambda: torch.ops.aten.convolution_backward(dy, x, w, None, args["stride"], args["padding"],
                                                                    args["dilation"], False, args["output_padding"],
                                                                    1, mask)
            with torch.no_grad():
                rows = {
                    "fwd": timed(lambda: conv(x, w, None, 1, pad), a.reps),
                    "bwd_data": timed(bwd([True, False, False]), a.reps),
                    "bwd_weights": timed(bwd([False, True, False]), a.reps),
                }
            shape = "x".join(map(str, (xs[0], *xs[2:], xs[1]))) + f"->{co} k{'x'.join(map(str, k))}"
            for kern, (ms, mn) in rows.items():
                print(json.dumps({"kernel": f"{name}_{kern}", "shape": shape, "layout": layout,
                                  "threads": a.threads, "ms": round(ms, 4), "min_ms": round(mn, 4)}), flush=True)
        # batch norm training forward + backward on the conv output shape
        if nd == 2:
            for layout in ("nchw", "channels_last"):
                x = torch.randn(xs[0], co, *xs[2:])
                if layout == "channels_last":
                    x = x.contiguous(memory_format=fmt)
                x.requires_grad_(True)
                g = torch.ones(co, requires_grad=True)
                b = torch.zeros(co, requires_grad=True)
                dy = torch.randn_like(x)

                def bn_step():
                    y = F.batch_norm(x, None, None, g, b, training=True, eps=1e-3)
                    y.backward(dy)
                ms, mn = timed(bn_step, a.reps)
                shape = "x".join(map(str, (xs[0], *xs[2:], co)))
                print(json.dumps({"kernel": "batchnorm_train_fwd_bwd", "shape": shape, "layout": layout,
                                  "threads": a.threads, "ms": round(ms, 4), "min_ms": round(mn, 4)}), flush=True)


if __name__ == "__main__":
    main()

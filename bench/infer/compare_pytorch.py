#!/usr/bin/python3
"""Samples/s of `infer_bench` (Basin's engine) vs PyTorch 1.13 CPU, same
threads, batch 256, in the same run; plus the engine's matrix-product rate
relative to OpenBLAS's own sgemm.

usage: compare_pytorch.py BUILD_DIR [THREADS] [REPEATS]
"""
import json
import statistics
import subprocess
import sys
import tempfile
import time

import torch

BATCH = 256


def models():
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 10))
    # MLP flops/sample (multiply-adds x2) for the GEMM efficiency figure.
    mlp_flops = 2 * (784 * 512 + 512 * 512 + 512 * 10)
    return [("mlp-784-512-512-10", mlp.eval(), [784], mlp_flops),
            ("cnn-2conv", cnn.eval(), [1, 28, 28], None)]


def torch_rate(model, shape, threads, seconds=1.0):
    torch.set_num_threads(threads)
    x = torch.rand([BATCH] + shape)
    with torch.no_grad():
        model(x)
        done, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            model(x)
            done += BATCH
        return done / (time.perf_counter() - t0)


def main():
    build = sys.argv[1]
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    tmp = tempfile.mkdtemp(prefix="basin-infer-bench-")
    print(f"threads={threads} batch={BATCH} repeats={repeats} (medians)")
    for name, model, shape, flops in models():
        path = f"{tmp}/{name}.onnx"
        torch.onnx.export(model, torch.rand([1] + shape), path, opset_version=13,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
        ours, theirs, blas = [], [], []
        for _ in range(repeats):
            out = subprocess.run([f"{build}/bench/infer/infer_bench", path, str(threads), str(BATCH), "1.0"]
                                 + [str(d) for d in shape], check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            ours.append(r["samples_per_s"])
            blas.append(r["openblas_sgemm_gflops"])
            theirs.append(torch_rate(model, shape, threads))
        o, t, b = statistics.median(ours), statistics.median(theirs), statistics.median(blas)
        # Each repeat runs both engines back to back, so the per-repeat ratio
        # is the figure least disturbed by other load on a shared machine.
        ratios = sorted(x / y for x, y in zip(ours, theirs))
        line = (f"{name}: basin {o:,.0f} samples/s, pytorch {t:,.0f} samples/s, ratio {o / t:.2f}x"
                f" (per-repeat ratios median {statistics.median(ratios):.2f}x,"
                f" min {ratios[0]:.2f}x, max {ratios[-1]:.2f}x)")
        if flops:
            line += (f"; engine {o * flops / 1e9:.1f} GFLOP/s vs OpenBLAS sgemm {b:.1f} GFLOP/s"
                     f" ({100 * o * flops / 1e9 / b:.0f}% GEMM efficiency)")
        print(line, flush=True)


if __name__ == "__main__":
    main()

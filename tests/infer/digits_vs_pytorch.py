#!/usr/bin/python3
"""Trains a small MLP and CNN on sklearn's 8x8 digits with PyTorch, exports
them to ONNX, scores the data with Basin's engine (score_raw) and compares:
max |diff| <= 1e-4 and identical predicted classes.

usage: digits_vs_pytorch.py SCORE_RAW_BINARY
"""
import subprocess
import sys
import tempfile

import numpy as np
import torch

from digits_models import export_onnx, trained_digits_models


def main():
    score = sys.argv[1]
    y, models = trained_digits_models(cnn_dropout=True)
    tmp = tempfile.mkdtemp(prefix="basin-digits-")
    failures = 0
    for name, model, shape, xs in models:
        path = f"{tmp}/{name}.onnx"
        export_onnx(model, xs, path)
        with torch.no_grad():
            want = model(xs).numpy()
        xs.numpy().astype(np.float32).tofile(f"{tmp}/{name}.in")
        subprocess.run([score, path, f"{tmp}/{name}.in", f"{tmp}/{name}.out", "2"] + [str(s) for s in shape],
                       check=True)
        got = np.fromfile(f"{tmp}/{name}.out", dtype=np.float32).reshape(want.shape)
        diff = float(np.abs(got - want).max())
        same = bool((got.argmax(1) == want.argmax(1)).all())
        acc = float((want.argmax(1) == y.numpy()).mean())
        print(f"{name}: {len(want)} samples, max |diff| {diff:.2e}, classes identical: {same}, "
              f"training accuracy {acc:.3f}")
        failures += diff > 1e-4 or not same
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

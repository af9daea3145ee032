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
from sklearn.datasets import load_digits


def train(model, x, y, steps=150):
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return model.eval()


def main():
    score = sys.argv[1]
    torch.manual_seed(0)
    torch.set_num_threads(1)
    d = load_digits()
    x = torch.tensor(d.data / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target)
    mlp = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10),
                              torch.nn.LogSoftmax(dim=1))
    cnn = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                              torch.nn.MaxPool2d(2), torch.nn.Conv2d(8, 16, 3), torch.nn.Tanh(),
                              torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Dropout(0.1),
                              torch.nn.Linear(16, 10), torch.nn.Softmax(dim=1))
    tmp = tempfile.mkdtemp(prefix="basin-digits-")
    failures = 0
    for name, model, shape in (("mlp", mlp, [64]), ("cnn", cnn, [1, 8, 8])):
        xs = x.reshape([-1] + shape)
        train(model, xs, y)
        path = f"{tmp}/{name}.onnx"
        torch.onnx.export(model, xs[:1], path, opset_version=13, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
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

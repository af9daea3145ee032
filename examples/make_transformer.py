#!/usr/bin/python3
"""Makes the inputs of examples/infer.sbatch: a small transformer classifier
(torch.nn.TransformerEncoder, 2 layers, d_model 64, 4 heads, GELU, over
sequences of 32 tokens of 64 features, a linear head to 10 classes; random
weights, seed 0) exported to ONNX (opset 17, dynamic batch), and an HDF5
file of random samples [N, 32, 64] float32.

usage: make_transformer.py DIR [SAMPLES]    (default 512 samples)
writes DIR/transformer.onnx and DIR/tokens.h5 (dataset /x)
"""
import os
import sys

import h5py
import numpy as np
import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.0,
                                           activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.encoder(x).mean(dim=1))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 512
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = Classifier().eval()
    example = torch.randn(1, 32, 64)
    torch.onnx.export(model, example, f"{out}/transformer.onnx", opset_version=17,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    rng = np.random.default_rng(0)
    with h5py.File(f"{out}/tokens.h5", "w") as f:
        f["x"] = rng.standard_normal((n, 32, 64), dtype=np.float32)
    print(f"wrote {out}/transformer.onnx and {out}/tokens.h5:/x ({n} samples [32, 64])")


if __name__ == "__main__":
    main()

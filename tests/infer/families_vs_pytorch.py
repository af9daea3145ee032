#!/usr/bin/python3
"""Model families against PyTorch: a net of the elementwise operators PyTorch
exports (HardSwish, ReLU6 as Clip, ELU, SELU, CELU, PReLU, Softplus,
Softsign, Hardsigmoid, exact GELU as Erf, Mish, clamp, exp/log/sqrt/abs/neg/
reciprocal, pow, maximum, minimum, floor/ceil/sign), a MobileNet-style block
(depthwise conv, HardSwish, ReLU6), a small U-Net (reflect Pad,
InstanceNormalization, ConvTranspose, Concat) and one upsampling by Resize
(bilinear, align_corners, nearest, bicubic), ResNet blocks with BatchNorm
statistics that are not the defaults (folded into the convolutions at load),
a 1-D CNN over sequences, a
bidirectional 2-layer LSTM with a GRU, attention written with einsum and a
2-layer transformer encoder
(torch.nn.TransformerEncoder: batched MatMul, Softmax, LayerNormalization or
its ReduceMean/Pow/Sqrt form, Slice/Cast/Shape subgraphs folded at load),
each exported with opsets 13 and 17, scored by Basin's engine (score_raw) in
fast arithmetic and in portable arithmetic on every instruction set this CPU
runs (scalar, AVX2, AVX-512 forced in turn), and compared with PyTorch: max
|diff| <= 1e-4 on every output, and the portable results bit-identical.

usage: families_vs_pytorch.py SCORE_RAW_BINARY
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch import nn


class Activations(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(16, 32)
        self.l2 = nn.Linear(32, 32)
        self.l3 = nn.Linear(32, 8)
        self.prelu = nn.PReLU(32)
        self.acts = nn.ModuleList([nn.Hardswish(), nn.ELU(0.7), nn.SELU(), nn.CELU(1.3),
                                   nn.Softplus(), nn.Softsign(), nn.Hardsigmoid(),
                                   nn.GELU(), nn.Mish(), nn.ReLU6()])

    def forward(self, x):
        h = self.l1(x)
        h = self.prelu(h)
        for act in self.acts:
            h = h + 0.5 * act(h)
        h = self.l2(h)
        a = torch.exp(-torch.abs(h)) + torch.log(torch.abs(h) + 1.0) + torch.sqrt(h * h + 1.0)
        b = torch.reciprocal(torch.abs(h) + 2.0) - torch.neg(h) * 0.1
        c = torch.maximum(a, b) + torch.minimum(a, -b) + torch.pow(torch.clamp(h, -2.0, 2.0), 2.0)
        # floor/ceil/sign of values well away from their steps (the
        # comparison's 1e-4 cannot hide a step).
        d = torch.floor(torch.round(h * 4.0) + 0.5) + torch.ceil(torch.round(h * 4.0) - 0.5)
        e = torch.sign(torch.round(h * 4.0))
        return self.l3(c + 0.01 * d + 0.1 * e)


class MobileBlock(nn.Module):
    """Inverted residual: 1x1 expand, depthwise 3x3, HardSwish, 1x1 project."""

    def __init__(self):
        super().__init__()
        self.expand = nn.Conv2d(8, 24, 1)
        self.dw = nn.Conv2d(24, 24, 3, padding=1, groups=24)
        self.project = nn.Conv2d(24, 8, 1)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        h = nn.functional.relu6(self.expand(x))
        h = nn.functional.hardswish(self.dw(h))
        h = x + self.project(h)
        h = nn.functional.adaptive_avg_pool2d(h, 1).flatten(1)
        return self.head(nn.functional.hardsigmoid(h) * h)


class UNet(nn.Module):
    """Two levels: conv blocks (Conv, InstanceNorm, LeakyReLU), max-pool down,
    transposed-conv up, reflect padding, skip connections by Concat."""

    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.InstanceNorm2d(cout, affine=True),
                                 nn.LeakyReLU(0.1))
        self.down1, self.down2 = block(3, 8), block(8, 16)
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.fuse = block(16, 8)
        self.out = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        pad = lambda t: nn.functional.pad(t, (1, 1, 1, 1), mode="reflect")
        d1 = self.down1(pad(x))                                   # 8 x 16 x 16
        d2 = self.down2(pad(nn.functional.max_pool2d(d1, 2)))     # 16 x 8 x 8
        u = self.up(d2)                                           # 8 x 16 x 16
        h = self.fuse(pad(torch.cat([u, d1], dim=1)))             # 8 x 16 x 16
        return self.out(h).flatten(1)


class UpsampleUNet(UNet):
    """The U-Net upsampling by interpolation (Resize) instead: bilinear,
    bilinear with align_corners, nearest and bicubic, summed."""

    def __init__(self):
        super().__init__()
        self.reduce = nn.Conv2d(16, 8, 1)

    def forward(self, x):
        pad = lambda t: nn.functional.pad(t, (1, 1, 1, 1), mode="reflect")
        up = lambda t, **kw: nn.functional.interpolate(t, scale_factor=2, **kw)
        d1 = self.down1(pad(x))
        d2 = self.reduce(self.down2(pad(nn.functional.max_pool2d(d1, 2))))
        u = (up(d2, mode="bilinear") + up(d2, mode="bilinear", align_corners=True) +
             up(d2, mode="nearest") + up(d2, mode="bicubic"))
        h = self.fuse(pad(torch.cat([u, d1], dim=1)))
        return self.out(h).flatten(1)


class ResidualBN(nn.Module):
    """ResNet basic blocks with BatchNorm whose statistics are not the
    defaults (random running mean/variance, scale and shift), so folding each
    BatchNormalization into its Conv at load is checked against PyTorch."""

    def __init__(self):
        super().__init__()
        conv_bn = lambda i, o, s=1: nn.Sequential(nn.Conv2d(i, o, 3, s, 1, bias=False),
                                                  nn.BatchNorm2d(o))
        self.a, self.b = conv_bn(3, 8), conv_bn(8, 8)
        self.c, self.short = conv_bn(8, 16, 2), nn.Sequential(nn.Conv2d(8, 16, 1, 2),
                                                              nn.BatchNorm2d(16))
        self.head = nn.Linear(16, 4)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.2, 0.2)

    def forward(self, x):
        h = torch.relu(self.a(x))
        h = torch.relu(h + self.b(h))
        h = torch.relu(self.c(h) + self.short(h))
        return self.head(h.mean(dim=(2, 3)))


class AudioCNN(nn.Module):
    """1-D convolutions over a sequence: Conv1d (strided, dilated, grouped),
    BatchNorm1d, ReLU, MaxPool1d, AvgPool1d, a mean over time."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(2, 16, 5, stride=2, padding=2), nn.BatchNorm1d(16), nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(16, 16, 3, padding=2, dilation=2, groups=4), nn.ReLU(),
            nn.AvgPool1d(2))
        self.head = nn.Linear(16, 6)

    def forward(self, x):
        return self.head(self.body(x).mean(dim=2))


class Recurrent(nn.Module):
    """A 2-layer bidirectional LSTM and a GRU over its output (batch first),
    the last step of each feeding a linear head."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 12, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = nn.GRU(24, 10, batch_first=True)
        self.head = nn.Linear(10 + 24, 3)

    def forward(self, x):
        h, _ = self.lstm(x)
        g, _ = self.gru(h)
        return self.head(torch.cat([g[:, -1], h[:, -1]], dim=1))


class EinsumAttention(nn.Module):
    """Attention written with torch.einsum (exported as Einsum): scores,
    weighted values, an ellipsis transpose, a diagonal and a contraction."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 24)
        self.mix = nn.Parameter(torch.randn(8, 8))

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        a = torch.softmax(torch.einsum("bqd,bkd->bqk", q, k) / 8 ** 0.5, dim=-1)
        o = torch.einsum("bqk,bkd->bqd", a, v)
        t = torch.einsum("...ij->...ji", o)                  # [b, d, q]
        d = torch.einsum("bii->bi", torch.einsum("bdq,bqe->bde", t, o))
        return torch.einsum("bd,de->be", d, self.mix) + o.sum(dim=1)


class Encoder(nn.Module):
    """Two post-norm encoder layers (4 heads, GELU feed-forward) and a head."""

    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64,
                                           dropout=0.0, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(32, 5)

    def forward(self, x):
        return self.head(self.encoder(x))


def main():
    score = sys.argv[1]
    isas = subprocess.run([score, "--isas"], capture_output=True, text=True,
                          check=True).stdout.split()
    print("portable arithmetic checked on: " + ", ".join(isas))
    torch.manual_seed(7)
    tmp = tempfile.mkdtemp(prefix="basin-families-")
    failures = 0
    cases = [("activations", Activations(), [16], torch.randn(257, 16) * 2.0),
             ("mobile_block", MobileBlock(), [8, 10, 10], torch.randn(65, 8, 10, 10)),
             ("unet", UNet(), [3, 16, 16], torch.randn(19, 3, 16, 16)),
             ("unet_resize", UpsampleUNet(), [3, 16, 16], torch.randn(19, 3, 16, 16)),
             ("residual_bn", ResidualBN(), [3, 12, 12], torch.randn(23, 3, 12, 12)),
             ("audio_cnn", AudioCNN(), [2, 64], torch.randn(41, 2, 64)),
             ("recurrent", Recurrent(), [15, 6], torch.randn(37, 15, 6)),
             ("einsum_attention", EinsumAttention(), [6, 8], torch.randn(29, 6, 8)),
             ("encoder", Encoder(), [12, 32], torch.randn(33, 12, 32))]
    for name, model, shape, xs in cases:
        model.eval()
        with torch.no_grad():
            want = model(xs).numpy()
        xs.numpy().astype(np.float32).tofile(f"{tmp}/{name}.in")
        for opset in (13, 17):
            path = f"{tmp}/{name}-{opset}.onnx"
            # BatchNormalization kept as a node (PyTorch folds it into the
            # Conv itself otherwise), so the engine's own folding is tested.
            keep = {"training": torch.onnx.TrainingMode.PRESERVE} if name == "residual_bn" else {}
            torch.onnx.export(model, xs[:1], path, opset_version=opset, input_names=["x"],
                              output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}},
                              **keep)
            # Fast arithmetic, then portable arithmetic on every instruction
            # set this CPU runs: each within 1e-4 of PyTorch, and the
            # portable ones bit-identical to each other.
            portable_bits = {}
            for arith, isa in [("fast", "native")] + [("portable", i) for i in isas]:
                label = f"{name} opset {opset} {arith}" + (f"/{isa}" if arith == "portable" else "")
                out = f"{tmp}/{name}-{opset}-{arith}-{isa}.out"
                run = subprocess.run([score, "--arithmetic", arith, "--isa", isa, path,
                                      f"{tmp}/{name}.in", out, "2"] + [str(s) for s in shape],
                                     capture_output=True, text=True)
                if run.returncode != 0:
                    print(f"{label}: engine failed: {run.stderr.strip()}")
                    failures += 1
                    continue
                raw = open(out, "rb").read()
                got = np.frombuffer(raw, dtype=np.float32).reshape(want.shape)
                diff = float(np.abs(got - want).max())
                print(f"{label}: {len(want)} samples, max |diff| {diff:.2e}")
                failures += not diff <= 1e-4
                if arith == "portable":
                    portable_bits[isa] = raw
            if len(set(portable_bits.values())) > 1:
                print(f"{name} opset {opset}: portable results differ between "
                      f"{sorted(portable_bits)}")
                failures += 1
            elif len(portable_bits) == len(isas):
                print(f"{name} opset {opset}: portable bits equal on {', '.join(isas)}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

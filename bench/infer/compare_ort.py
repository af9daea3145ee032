#!/usr/bin/python3
"""Basin's engine vs ONNX Runtime vs PyTorch, in one run, on the model
families people export: MLP, small CNN, CIFAR ResNet-20 with BatchNorm kept
as nodes, a MobileNetV2-style net (BatchNorm kept), a 2-layer transformer encoder (seq 128, d 256) and a
small U-Net; batch 256 (and 1, 16 for the MLP and the encoder), at 1 and 2
threads.

Each engine set up as its expert users would, alike:
  - threads pinned: Basin's threads argument, ORT's intraOpNumThreads (one
    inter-op thread, sequential), torch.set_num_threads; OpenBLAS threads =
    threads (OPENBLAS_NUM_THREADS), OPENBLAS_CORETYPE unset (its own CPU
    detection), OMP_WAIT_POLICY=PASSIVE, glibc malloc thresholds raised
    (MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ = 1 GiB) for every engine;
  - each warmed up (one batch for Basin and PyTorch, three for ORT), then run
    for SECONDS; engines alternate round by round; medians and the range of
    the per-round ratios are printed.
ONNX Runtime is onnxruntime-node 1.20.1 from npm (its CPU library ships in
the package), installed once under ~/.cache/basin-bench/ort:
  npm install --ignore-scripts onnxruntime-node@1.20.1

Basin runs in fast arithmetic (oneDNN convolutions) and in portable arithmetic (the same
bits on every x86-64 CPU), each its own column; --arithmetic picks one.

The models are exported with ONNX opset 17 (LayerNormalization as one node);
--opset 14 exports them as PyTorch 1.13's default does (LayerNorm as
ReduceMean, Sub, Pow, Sqrt, Div: each engine fuses or runs those itself).

--basin-isa avx2 runs Basin as it would run on an AVX2 CPU: its own kernels'
AVX2 clones (INFER_BENCH_ISA) and oneDNN capped to AVX2 (ONEDNN_MAX_CPU_ISA).
ONNX Runtime has no such setting; --ort-dir DIR runs the onnxruntime-node
package in DIR instead of the one installed here, and
bench/infer/ort_without_avx512.py makes one (~/.cache/basin-bench/ort-avx2)
whose CPU probes see no AVX-512, so that both engines run their AVX2 kernels.
PyTorch keeps every instruction this CPU has.

usage: compare_ort.py BUILD_DIR [ROUNDS] [SECONDS] [--only NAME,...] [--threads 1,2]
                      [--batches 1,16,256] [--arithmetic fast,portable] [--opset 13..17]
                      [--basin-isa native|avx2|avx512|scalar] [--ort-dir DIR]
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ENV = {"OPENBLAS_NUM_THREADS": None, "OMP_WAIT_POLICY": "PASSIVE",
       "MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
DEFAULT_ORT_DIR = os.path.expanduser("~/.cache/basin-bench/ort")
ORT_DIR = DEFAULT_ORT_DIR


def ensure_ort():
    if not os.path.isdir(f"{ORT_DIR}/node_modules/onnxruntime-node"):
        if ORT_DIR != DEFAULT_ORT_DIR:  # --ort-dir: a package made elsewhere, not installed here
            sys.exit(f"compare_ort.py: --ort-dir {ORT_DIR} holds no node_modules/onnxruntime-node "
                     f"(bench/infer/ort_without_avx512.py makes ~/.cache/basin-bench/ort-avx2)")
        os.makedirs(ORT_DIR, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--ignore-scripts", "--prefix", ORT_DIR,
                        "onnxruntime-node@1.20.1"], check=True)


def models(torch, nn):
    torch.manual_seed(0)

    def conv_bn(cin, cout, stride=1):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout))

    class Basic(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.a, self.b = conv_bn(cin, cout, stride), conv_bn(cout, cout)
            self.short = (nn.Sequential() if stride == 1 and cin == cout else
                          nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                        nn.BatchNorm2d(cout)))

        def forward(self, x):
            return torch.relu(self.b(torch.relu(self.a(x))) + self.short(x))

    def resnet20():
        layers, cin = [conv_bn(3, 16), nn.ReLU()], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for k in range(3):
                layers.append(Basic(cin, cout, stride if k == 0 else 1))
                cin = cout
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))

    class Inverted(nn.Module):
        def __init__(self, cin, cout, stride, expand=4):
            super().__init__()
            mid = cin * expand
            self.body = nn.Sequential(
                nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(),
                nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid),
                nn.ReLU6(), nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
            self.res = stride == 1 and cin == cout

        def forward(self, x):
            return x + self.body(x) if self.res else self.body(x)

    mobilenet = nn.Sequential(
        conv_bn(3, 16, 2), nn.Hardswish(), Inverted(16, 16, 1), Inverted(16, 24, 2),
        Inverted(24, 24, 1), Inverted(24, 32, 2), Inverted(32, 32, 1), nn.Conv2d(32, 128, 1),
        nn.Hardswish(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))

    layer = nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, activation="gelu",
                                       batch_first=True)
    encoder = nn.TransformerEncoder(layer, 2)

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            blk = lambda i, o: nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o),
                                             nn.ReLU())
            self.d1, self.d2, self.mid = blk(3, 16), blk(16, 32), blk(32, 64)
            self.u2, self.f2 = nn.ConvTranspose2d(64, 32, 2, 2), blk(64, 32)
            self.u1, self.f1 = nn.ConvTranspose2d(32, 16, 2, 2), blk(32, 16)
            self.out = nn.Conv2d(16, 2, 1)

        def forward(self, x):
            a = self.d1(x)
            b = self.d2(nn.functional.max_pool2d(a, 2))
            m = self.mid(nn.functional.max_pool2d(b, 2))
            b = self.f2(torch.cat([self.u2(m), b], 1))
            return self.out(self.f1(torch.cat([self.u1(b), a], 1)))

    mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                        nn.Linear(512, 10))
    cnn = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    return [("mlp", mlp, [784], (1, 16, 256)), ("cnn", cnn, [1, 28, 28], (256,)),
            ("resnet20", resnet20(), [3, 32, 32], (256,)),
            ("mobilenetv2", mobilenet, [3, 32, 32], (256,)),
            ("encoder", encoder, [128, 256], (1, 16, 256)),
            ("unet", UNet(), [3, 64, 64], (256,))]


def engine_env(env):
    """`env` set up alike for every engine (module docstring): OpenBLAS's own
    CPU detection, ENV's settings."""
    env = dict(env)
    env.pop("OPENBLAS_CORETYPE", None)
    env.update({k: v for k, v in ENV.items() if v is not None})
    return env


def export(torch, name, model, shape, path, opset):
    """`model` (family `name`, samples of `shape`) as ONNX at `path`, batch
    dimension dynamic. The BatchNorm models keep their BatchNormalization
    nodes (as exporters other than PyTorch's eval mode leave them): each
    engine folds them itself."""
    keep = ({"training": torch.onnx.TrainingMode.PRESERVE}
            if name in ("resnet20", "mobilenetv2", "unet") else {})
    torch.onnx.export(model, torch.rand([1] + shape), path, opset_version=opset,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, **keep)
    return path


def run_json(cmd, env):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip() or out.stdout.strip())
    return json.loads(out.stdout.strip().splitlines()[-1])["samples_per_s"]


def set_blas_threads(threads):
    """PyTorch runs in this process, whose OpenBLAS started before any
    OPENBLAS_NUM_THREADS could be set for it (that variable reaches only the
    child processes), and torch.set_num_threads does not reach OpenBLAS: set
    its threads through every OpenBLAS this process has loaded. Without this
    PyTorch's "1 thread" ran its products on two."""
    import ctypes
    paths = {line.split()[-1] for line in open("/proc/self/maps")
             if "blas" in line and line.split()[-1].startswith("/")}
    done = 0
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_set_num_threads"):
            lib.openblas_set_num_threads(threads)
            done += 1
    if done == 0:
        raise RuntimeError("no OpenBLAS loaded by PyTorch: cannot pin its threads")


def torch_rate(torch, model, shape, batch, threads, seconds):
    torch.set_num_threads(threads)
    set_blas_threads(threads)
    x = torch.rand([batch] + shape)
    with torch.no_grad():
        model(x)
        done, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            model(x)
            done += batch
        return done / (time.perf_counter() - t0)


def main():
    args = [a for a in sys.argv[1:]]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        print("\nmodels (--only): mlp, cnn, resnet20, mobilenetv2, encoder, unet")
        print("example: compare_ort.py build 4 1 --only resnet20,encoder --threads 1")
        sys.exit(0 if args else 2)
    if not os.path.isfile(os.path.join(args[0], "bench", "infer", "infer_bench")):
        sys.exit(f"compare_ort.py: {args[0]}/bench/infer/infer_bench not found: build it first "
                 f"(cmake --build {args[0]} --target infer_bench)")
    only = threads_list = None
    if "--only" in args:
        k = args.index("--only"); only = set(args[k + 1].split(",")); del args[k:k + 2]
    ariths, batch_filter = ["fast", "portable"], None
    if "--arithmetic" in args:
        k = args.index("--arithmetic"); ariths = args[k + 1].split(","); del args[k:k + 2]
    if "--batches" in args:
        k = args.index("--batches"); batch_filter = {int(b) for b in args[k + 1].split(",")}
        del args[k:k + 2]
    opset = 17
    if "--opset" in args:
        k = args.index("--opset"); opset = int(args[k + 1]); del args[k:k + 2]
        if not 13 <= opset <= 17:
            sys.exit(f"compare_ort.py: --opset {opset}: the engine reads opsets 13 to 17")
    global ORT_DIR
    if "--ort-dir" in args:
        k = args.index("--ort-dir"); ORT_DIR = os.path.abspath(args[k + 1]); del args[k:k + 2]
    basin_isa = "native"
    if "--basin-isa" in args:
        k = args.index("--basin-isa"); basin_isa = args[k + 1]; del args[k:k + 2]
        if basin_isa not in ("native", "avx2", "avx512", "scalar"):
            sys.exit(f"compare_ort.py: --basin-isa {basin_isa}: one of native, avx2, avx512, scalar")
    basin_env = {"INFER_BENCH_ISA": basin_isa}
    if basin_isa in ("avx2", "scalar"):  # oneDNN has no scalar level: SSE4.1 is its lowest
        basin_env["ONEDNN_MAX_CPU_ISA"] = "AVX2" if basin_isa == "avx2" else "SSE41"
    if "--threads" in args:
        k = args.index("--threads"); threads_list = [int(t) for t in args[k + 1].split(",")]
        del args[k:k + 2]
    build = args[0]
    rounds = int(args[1]) if len(args) > 1 else 3
    seconds = float(args[2]) if len(args) > 2 else 1.0
    threads_list = threads_list or [1, 2]
    if os.environ.get("BASIN_COMPARE_ORT_ENV") != "1":
        env = engine_env(dict(os.environ, BASIN_COMPARE_ORT_ENV="1"))
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    ensure_ort()
    import torch
    from torch import nn
    tmp = tempfile.mkdtemp(prefix="basin-compare-ort-")
    print(f"rounds={rounds} seconds={seconds} opset={opset} (medians; ratio = Basin / engine, "
          f"per-round range)")
    print(f"env: OPENBLAS_CORETYPE unset, OMP_WAIT_POLICY=PASSIVE, malloc thresholds 1 GiB; "
          f"torch {torch.__version__}, onnxruntime-node 1.20.1 from {ORT_DIR}; Basin's "
          f"instruction set: {basin_isa} {basin_env}")
    for name, model, shape, batches in models(torch, nn):
        if only and name not in only:
            continue
        model.eval()
        path = export(torch, name, model, shape, f"{tmp}/{name}.onnx", opset)
        for batch in batches:
            if batch_filter and batch not in batch_filter:
                continue
            for threads in threads_list:
                env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), INFER_BENCH_NO_SGEMM="1",
                           NODE_PATH=f"{ORT_DIR}/node_modules")
                dims = [str(s) for s in shape]
                basin, ort, pt = {a: [] for a in ariths}, [], []
                try:
                    for _ in range(rounds):
                        for a in ariths:
                            basin[a].append(run_json(
                                [f"{build}/bench/infer/infer_bench", path, str(threads),
                                 str(batch), str(seconds)] + dims,
                                dict(env, INFER_BENCH_ARITHMETIC=a, **basin_env)))
                        ort.append(run_json(["node", os.path.join(os.path.dirname(
                            os.path.abspath(__file__)), "ort_bench.js"), path, str(threads),
                            str(batch), str(seconds)] + dims, env))
                        pt.append(torch_rate(torch, model, shape, batch, threads, seconds))
                except RuntimeError as e:
                    print(f"{name:12s} batch {batch:3d} threads {threads}: failed: {e}")
                    continue
                for a in ariths:
                    r_ort = [b / o for b, o in zip(basin[a], ort)]
                    r_pt = [b / p for b, p in zip(basin[a], pt)]
                    print(f"{name:12s} batch {batch:3d} threads {threads} {a:8s}: samples/s "
                          f"Basin {statistics.median(basin[a]):10.1f}  ORT "
                          f"{statistics.median(ort):10.1f}  PyTorch {statistics.median(pt):10.1f}"
                          f"  | Basin/ORT {statistics.median(r_ort):.2f}x "
                          f"({min(r_ort):.2f}-{max(r_ort):.2f})  Basin/PyTorch "
                          f"{statistics.median(r_pt):.2f}x ({min(r_pt):.2f}-{max(r_pt):.2f})",
                          flush=True)


if __name__ == "__main__":
    main()

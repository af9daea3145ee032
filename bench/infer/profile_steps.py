#!/usr/bin/python3
"""Where a model's time goes: Basin's engine step by step beside ONNX
Runtime's own per-node profile, in one run, rounds alternating.

  profile_steps.py BUILD_DIR (MODEL.onnx DIM... | FAMILY) [--threads N] [--batch B]
                   [--rounds R] [--seconds S] [--ort-runs K] [--arithmetic fast|portable]

FAMILY is one of compare_ort.py's models (mlp, cnn, resnet20, mobilenetv2,
encoder, unet), exported here with PyTorch as compare_ort.py exports it.

Basin: BUILD_DIR/bench/infer/step_profile (cmake --build BUILD_DIR --target
step_profile): one plan for the whole batch, timed step by step for S
seconds (Plan::run_timed). ONNX Runtime: ort_profile.c, built here with cc
against the CPU library inside npm's onnxruntime-node 1.20.1 (installed as
compare_ort.py does), the session set up as ort_bench.js sets it (intra-op
threads = N, one inter-op thread, sequential, all graph optimisations),
its profiling on, K runs; each node's median kernel time is taken.

Both sides are grouped into the parts of a PyTorch transformer encoder
layer when the node names are PyTorch's (the products, attention's two
products, Softmax, LayerNorm, GELU with the feed-forward bias ONNX Runtime
fuses into it, the rest), otherwise by operator. Each part's figure is the
median over the rounds of its time a run, summed over the layers; the
ratio is Basin's time over ONNX Runtime's (below 1: Basin faster).
Profiling costs each engine some time a node; ONNX Runtime's per-node
events cost it more (compare totals with compare_ort.py's rates, not
these). Same environment as compare_ort.py for both engines.
"""
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_ort import ORT_DIR, engine_env, ensure_ort, export, models  # noqa: E402

ORT_LIB = f"{ORT_DIR}/node_modules/onnxruntime-node/bin/napi-v3/linux/x64/libonnxruntime.so.1.20.1"

# The parts of PyTorch's exported TransformerEncoderLayer, by node name
# (first match wins).
ENCODER_PARTS = [
    (r"linear1/MatMul$", "feed-forward product 1"),
    (r"linear2/(MatMul|Add)$", "feed-forward product 2 (+ bias)"),
    (r"self_attn/(MatMul|Add)$", "input projection Q, K, V (+ bias)"),
    (r"self_attn/Gemm$", "output projection (Gemm)"),
    (r"self_attn/MatMul_[12]", "attention's Q K^T and P V"),
    (r"Softmax", "Softmax"),
    (r"LayerNormalization|norm[12]/", "LayerNorm"),
    # GELU's Div, Erf, Add, Mul, Mul: one fused step in Basin (named by
    # its Div), BiasGelu in ONNX Runtime.
    (r"BiasGelu|^/layers\.\d+/Div$", "GELU (ONNX Runtime: + feed-forward bias 1)"),
]


def part(name, op, encoder):
    if encoder:
        for pattern, label in ENCODER_PARTS:
            if re.search(pattern, name):
                return label
        return "the rest (shapes, transposes, residual adds)"
    return op


def parse(argv):
    opts = {"--threads": "1", "--batch": "1", "--rounds": "3", "--seconds": "3",
            "--ort-runs": "300", "--arithmetic": "fast"}
    pos = []
    it = iter(argv)
    for a in it:
        if a in opts:
            opts[a] = next(it, None)
            if opts[a] is None:
                sys.exit(f"profile_steps.py: {a} needs a value")
        elif a.startswith("--"):
            sys.exit(f"profile_steps.py: unknown option {a} (see --help)")
        else:
            pos.append(a)
    if len(pos) < 2 or (len(pos) < 3 and pos[1].endswith(".onnx")):
        sys.exit("profile_steps.py: BUILD_DIR and MODEL.onnx DIM... or FAMILY needed (see --help)")
    return pos[0], pos[1], pos[2:], opts


def export_family(name, tmp):
    """compare_ort.py's model `name` as ONNX (opset 17, as compare_ort.py
    exports it), and its sample dimensions."""
    import torch
    from torch import nn
    for family, model, shape, _ in models(torch, nn):
        if family == name:
            model.eval()
            path = export(torch, name, model, shape, os.path.join(tmp, f"{name}.onnx"), 17)
            return path, [str(d) for d in shape]
    sys.exit(f"profile_steps.py: no model file or family named {name} (families: mlp, cnn, "
             f"resnet20, mobilenetv2, encoder, unet)")


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        print("\nexample: profile_steps.py build encoder --threads 1 --rounds 5")
        sys.exit(0 if len(sys.argv) >= 2 else 2)
    build, model, dims, o = parse(sys.argv[1:])
    basin = os.path.join(build, "bench", "infer", "step_profile")
    if not os.path.isfile(basin):
        sys.exit(f"profile_steps.py: {basin} not found: build it first "
                 f"(cmake --build {build} --target step_profile)")
    if model.endswith(".onnx") and not os.path.isfile(model):
        sys.exit(f"profile_steps.py: no model file {model}")
    ensure_ort()
    env = engine_env(os.environ)
    env["OPENBLAS_NUM_THREADS"] = o["--threads"]
    env["INFER_BENCH_ARITHMETIC"] = o["--arithmetic"]
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory(prefix="basin-profile-") as tmp:
        if not os.path.isfile(model):
            model, dims = export_family(model, tmp)
        ort = os.path.join(tmp, "ort_profile")
        subprocess.run(["cc", "-O2", "-o", ort, os.path.join(here, "ort_profile.c"), "-ldl"],
                       check=True)
        ort_rounds, basin_rounds, encoder = [], [], False
        for r in range(int(o["--rounds"])):
            out = subprocess.run([ort, ORT_LIB, model, o["--threads"], o["--batch"], o["--ort-runs"],
                                  *dims, os.path.join(tmp, f"ort{r}")],
                                 capture_output=True, text=True, env=env)
            if out.returncode != 0:
                sys.exit(f"profile_steps.py: ONNX Runtime: {out.stderr.strip()}")
            per_node = collections.defaultdict(list)
            ops = {}
            for e in json.load(open(out.stdout.strip())):
                if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
                    per_node[e["name"][:-len("_kernel_time")]].append(e["dur"])
                    ops[e["name"][:-len("_kernel_time")]] = e["args"]["op_name"]
            encoder = encoder or any("self_attn" in n for n in per_node)
            ort_rounds.append({n: (ops[n], statistics.median(v)) for n, v in per_node.items()})
            out = subprocess.run([basin, model, o["--threads"], o["--batch"], o["--seconds"], *dims],
                                 capture_output=True, text=True, env=env)
            if out.returncode != 0:
                sys.exit(f"profile_steps.py: Basin: {out.stderr.strip()}")
            basin_rounds.append({s["node"]: (s["op"], s["us"])
                                 for s in json.loads(out.stdout)["steps"]})
            print(f"round {r + 1} of {o['--rounds']} done", file=sys.stderr)

    def by_part(rounds):
        table = []
        for nodes in rounds:
            t = collections.Counter()
            for name, (op, us) in nodes.items():
                t[part(name, op, encoder)] += us
            table.append(t)
        return table

    ort_parts, basin_parts = by_part(ort_rounds), by_part(basin_rounds)
    labels = sorted(set().union(*ort_parts, *basin_parts),
                    key=lambda p: -statistics.median([t[p] for t in ort_parts]))
    print(f"{os.path.basename(model)}: batch {o['--batch']}, {o['--threads']} thread(s), "
          f"{o['--arithmetic']} arithmetic, median of {o['--rounds']} rounds, us a run")
    print("| part | ONNX Runtime | Basin | Basin / ORT time |\n|---|---|---|---|")
    for label in labels + ["total"]:
        pick = (lambda t: sum(t.values())) if label == "total" else (lambda t: t[label])
        a = statistics.median([pick(t) for t in ort_parts])
        b = statistics.median([pick(t) for t in basin_parts])
        ratio = f"{b / a:.2f}" if a > 0 else "(fused away)"
        print(f"| {label} | {a:.0f} | {b:.0f} | {ratio} |")


if __name__ == "__main__":
    main()

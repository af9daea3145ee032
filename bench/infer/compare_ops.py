#!/usr/bin/python3
"""Basin's engine vs ONNX Runtime on single operators, in nanoseconds an
element: where a whole model's time goes, node by node, against the peer.

Each model is one operator (or GELU's five nodes, as PyTorch exports them)
on [batch, ...] floats followed by a ReduceMean over everything but the
batch, so that neither engine returns a large output; the "relu" model is the
baseline (the input's handling and the ReduceMean). Both engines are set up
as in compare_ort.py (threads pinned, OMP_WAIT_POLICY=PASSIVE, malloc
thresholds raised, three warm-up runs for ONNX Runtime, one batch for
Basin), alternate round by round, and the medians are printed with the
median of the per-round ratios.

usage: compare_ops.py BUILD_DIR [ROUNDS] [SECONDS] [--threads N] [--batch N]
                      [--arithmetic fast|portable] [--only NAME,...]
models: relu, softmax, gelu, layernorm, erf, exp, matmul_qkv, matmul_ffn1,
matmul_ffn2 (a product's ns are per element of its input, so compare only
its ratio; the default runs the elementwise ones, --only names others)
"""
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_ort  # noqa: E402  (ENV, ensure_ort, run_json, ORT_DIR)


def build_models(out_dir):
    """Writes the single-operator models; returns {name: (path, dims)}."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def save(name, nodes, inits, dims):
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"] + dims)
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N"])
        mean = helper.make_node("ReduceMean", ["t"], ["y"], axes=list(range(1, len(dims) + 1)),
                                keepdims=0)
        graph = helper.make_graph(nodes + [mean], name, [x], [y], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        path = os.path.join(out_dir, f"{name}.onnx")
        onnx.save(model, path)
        return path, dims

    def const(name, value):
        return numpy_helper.from_array(np.array(value, dtype=np.float32), name)

    rng = np.random.default_rng(0)

    def product(name, k, n):
        """[N, 128, k] x a constant [k, n], weights scaled to keep sums near 1."""
        weight = const("w", rng.standard_normal((k, n)) / np.sqrt(k))
        return save(name, [helper.make_node("MatMul", ["x", "w"], ["t"])], [weight], [128, k])

    return {
        "relu": save("relu", [helper.make_node("Relu", ["x"], ["t"])], [], [128, 1024]),
        "softmax": save("softmax", [helper.make_node("Softmax", ["x"], ["t"], axis=-1)], [],
                        [4, 128, 128]),
        "gelu": save("gelu", [helper.make_node("Div", ["x", "c"], ["a"]),
                              helper.make_node("Erf", ["a"], ["b"]),
                              helper.make_node("Add", ["b", "one"], ["d"]),
                              helper.make_node("Mul", ["x", "d"], ["e"]),
                              helper.make_node("Mul", ["e", "half"], ["t"])],
                     [const("c", 1.4142135381698608), const("one", 1.0), const("half", 0.5)],
                     [128, 1024]),
        "layernorm": save("layernorm", [helper.make_node("LayerNormalization", ["x", "g", "b"],
                                                         ["t"], axis=-1, epsilon=1e-5)],
                          [const("g", rng.standard_normal(256)),
                           const("b", rng.standard_normal(256))], [128, 256]),
        "erf": save("erf", [helper.make_node("Erf", ["x"], ["t"])], [], [128, 1024]),
        "exp": save("exp", [helper.make_node("Exp", ["x"], ["t"])], [], [128, 1024]),
        # The encoder's layer products alone (a sequence of 128 by a constant
        # weight: attention's input projection, the feed-forward's two).
        **{name: product(name, k, n) for name, k, n in
           [("matmul_qkv", 256, 768), ("matmul_ffn1", 256, 1024), ("matmul_ffn2", 1024, 256)]},
    }


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        print("\nexample: compare_ops.py build 5 1 --threads 1 --batch 16")
        sys.exit(0 if args else 2)

    def option(name, default):
        if name in args:
            k = args.index(name)
            value = args[k + 1]
            del args[k:k + 2]
            return value
        return default

    threads = int(option("--threads", "1"))
    batch = int(option("--batch", "16"))
    arithmetic = option("--arithmetic", "fast")
    only = option("--only", None)
    build = args[0]
    rounds = int(args[1]) if len(args) > 1 else 5
    seconds = float(args[2]) if len(args) > 2 else 1.0
    bench = os.path.join(build, "bench", "infer", "infer_bench")
    if not os.path.isfile(bench):
        sys.exit(f"compare_ops.py: {bench} not found: build it first "
                 f"(cmake --build {build} --target infer_bench)")
    if os.environ.get("BASIN_COMPARE_ORT_ENV") != "1":
        env = dict(os.environ, BASIN_COMPARE_ORT_ENV="1")
        env.pop("OPENBLAS_CORETYPE", None)
        env.update({k: v for k, v in compare_ort.ENV.items() if v is not None})
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    compare_ort.ensure_ort()
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), INFER_BENCH_NO_SGEMM="1",
               INFER_BENCH_ARITHMETIC=arithmetic,
               NODE_PATH=f"{compare_ort.ORT_DIR}/node_modules")
    ort_js = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ort_bench.js")
    print(f"rounds={rounds} seconds={seconds} threads={threads} batch={batch} "
          f"arithmetic={arithmetic} (ns an element: medians; ratio = ORT / Basin time, "
          f"median and range of the rounds)")
    with tempfile.TemporaryDirectory(prefix="basin-compare-ops-") as tmp:
        for name, (path, dims) in build_models(tmp).items():
            if (only and name not in only.split(",")) or (not only and name.startswith("matmul")):
                continue
            elements = batch
            for d in dims:
                elements *= d
            sizes = [str(d) for d in dims]
            basin, ort = [], []
            for _ in range(rounds):
                basin.append(1e9 * batch / elements / compare_ort.run_json(
                    [bench, path, str(threads), str(batch), str(seconds)] + sizes, env))
                ort.append(1e9 * batch / elements / compare_ort.run_json(
                    ["node", ort_js, path, str(threads), str(batch), str(seconds)] + sizes, env))
            ratio = [o / b for b, o in zip(basin, ort)]
            print(f"{name:10s} Basin {statistics.median(basin):6.3f} ns  ORT "
                  f"{statistics.median(ort):6.3f} ns  | Basin/ORT speed "
                  f"{statistics.median(ratio):.2f}x ({min(ratio):.2f}-{max(ratio):.2f})",
                  flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""`basin run infer` through the runtime's driver: a run stopped part-way
(stop_after, the path a preemption signal takes) continues from its
checkpoint to the same result as a run that was never stopped.

- stop_after=3 on 2 ranks: exit 75, a checkpoint, and no output file under
  either name (rows scored so far are not a result);
- --restart on 2 ranks: the output dataset equals the uninterrupted run's bit
  for bit, so do the digest and its attribute, and the NaN in a row scored
  before the stop is still counted in the summary;
- a restart on 1 rank, or with another model file at the same path, is
  refused naming what differs (a batch's rows depend on the rank count);
- without a checkpoint directory a stop says nothing was saved and leaves
  no output.

usage: infer_restart.py BASIN_BINARY
"""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from cli_checks import ENV, check, failures


def run(basin, ranks, *args):
    cmd = ["mpirun", "-n", str(ranks), "--oversubscribe", "--bind-to", "none",
           basin, "run", "infer", *args]
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300)


def mlp(path, seed):
    rng = np.random.default_rng(seed)
    w1 = numpy_helper.from_array(rng.standard_normal((32, 48)).astype(np.float32), "w1")
    b1 = numpy_helper.from_array(rng.standard_normal(48).astype(np.float32), "b1")
    w2 = numpy_helper.from_array(rng.standard_normal((48, 7)).astype(np.float32), "w2")
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"]),
         helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("MatMul", ["r", "w2"], ["y"])], "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 7])], [w1, b1, w2])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)


def main():
    basin = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="basin-infer-restart-")
    mdl = f"{tmp}/mlp.onnx"
    mlp(mdl, 1)
    x = np.random.default_rng(2).standard_normal((1000, 32)).astype(np.float32)
    x[5, 4] = np.nan  # in rank 0's first batch: scored before the stop
    with h5py.File(f"{tmp}/in.h5", "w") as f:
        f["x"] = x
    common = ["--model", mdl, "--input", f"{tmp}/in.h5:/x", "--set", "batch=64",
              "--set", "arithmetic=portable"]

    r = run(basin, 2, *common, "--output", f"{tmp}/full.h5:/y", "--digest-file", f"{tmp}/dfull")
    check(r.returncode == 0, "uninterrupted run on 2 ranks", r)
    with h5py.File(f"{tmp}/full.h5") as f:
        full = f["y"][...]
        full_attr = f["y"].attrs["basin_result_digest"]

    ck = f"{tmp}/ck"
    r = run(basin, 2, *common, "--output", f"{tmp}/part.h5:/y", "--checkpoint-dir", ck,
            "--set", "stop_after=3", "--digest-file", f"{tmp}/dpart")
    check(r.returncode == 75 and "stop_after reached at step 3" in r.stdout and
          os.path.exists(f"{ck}/checkpoint-3.h5"), "stop_after=3: exit 75 with a checkpoint", r)
    check(not os.path.exists(f"{tmp}/part.h5") and not os.path.exists(f"{tmp}/part.h5.basin-tmp"),
          "stopped: no output file under either name")

    r = run(basin, 2, *common, "--output", f"{tmp}/part.h5:/y", "--checkpoint-dir", ck,
            "--restart", "--digest-file", f"{tmp}/dpart")
    check(r.returncode == 0 and "continuing from the checkpoint of step 3" in r.stdout,
          "--restart on 2 ranks continues from step 3", r)
    check(open(f"{tmp}/dpart").read() == open(f"{tmp}/dfull").read() and
          open(f"{tmp}/dfull").read().startswith("portable-blake2b-256:"),
          "continued run: the same (portable) digest as the uninterrupted one")
    with h5py.File(f"{tmp}/part.h5") as f:
        part = f["y"][...]
        check(f["y"].attrs["basin_result_digest"] == full_attr, "digest attribute equal")
    check(part.tobytes() == full.tobytes(), "continued output equals the uninterrupted one bit "
          "for bit (rows restored from the checkpoint written again)")
    check("1 non-finite input value(s) (NaN or Inf) in 1 sample(s), the first in sample 5"
          in r.stdout, "the NaN scored before the stop is still counted", r)

    # A checkpoint continues only what it was made for.
    shutil.rmtree(ck)
    r = run(basin, 2, *common, "--output", f"{tmp}/part.h5:/y", "--checkpoint-dir", ck,
            "--set", "stop_after=2")
    check(r.returncode == 75, "stop_after=2 on 2 ranks", r)
    r = run(basin, 1, *common, "--output", f"{tmp}/p1.h5:/y", "--checkpoint-dir", ck, "--restart")
    check(r.returncode != 0 and "ranks=2 (this run: ranks=1)" in r.stderr and
          not os.path.exists(f"{tmp}/p1.h5"), "restart on 1 rank refused naming the rank counts", r)
    mlp(mdl, 3)  # another model under the same name
    r = run(basin, 2, *common, "--output", f"{tmp}/p2.h5:/y", "--checkpoint-dir", ck, "--restart")
    check(r.returncode != 0 and "model_sha256=" in r.stderr and "(this run: model_sha256=" in
          r.stderr, "restart with another model file refused naming its hash", r)

    r = run(basin, 1, *common, "--output", f"{tmp}/n.h5:/y", "--set", "stop_after=2")
    check(r.returncode == 75 and "without a checkpoint directory: nothing saved" in r.stdout and
          not os.path.exists(f"{tmp}/n.h5") and not os.path.exists(f"{tmp}/n.h5.basin-tmp"),
          "stop without a checkpoint directory: nothing saved, no output", r)

    shutil.rmtree(tmp)
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()

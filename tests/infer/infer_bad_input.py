#!/usr/bin/python3
"""`basin run infer` with bad input: every case ends quickly with a clear
message and a non-zero exit, or is scored and reported.

- sample counts beyond 32-bit grid indices (2^31 + 1000, 2^32 + 1000 rows of
  a chunked dataset whose chunks are never written, so the file is tiny) are
  refused before scoring with the count and the limit (before: "done,
  4294968296 samples" having scored 1000, or a negative count);
- --model /dev/zero, a FIFO and a 10 GiB sparse file are refused at once;
- NaN/Inf inputs are counted in the summary, and refused (nothing written)
  with --set refuse_nonfinite=true;
- --set threads=1 scores on one thread, threads=2 on two (the summary gives
  the scoring arena's max concurrency).

usage: infer_bad_input.py BASIN_BINARY
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from cli_checks import ENV, check, failures


def run(basin, *args, timeout=60, np_=None):
    cmd = [basin, "run", "infer", *args]
    if np_:
        cmd = ["mpirun", "-n", str(np_), "--oversubscribe", "--bind-to", "none", *cmd]
    try:
        return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -999, "", "TIMEOUT")


def model(path):
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((64, 10)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(10).astype(np.float32), "b")
    g = helper.make_graph([helper.make_node("Gemm", ["x", "w", "b"], ["y"])], "lin",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
                          [w, b])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)


def main():
    basin = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="basin-infer-bad-")
    mdl = f"{tmp}/lin.onnx"
    model(mdl)
    x = np.random.default_rng(2).standard_normal((300, 64)).astype(np.float32)
    with h5py.File(f"{tmp}/in.h5", "w") as f:
        f["x"] = x

    # --- threads ---------------------------------------------------------
    for t in (1, 2):
        r = run(basin, "--model", mdl, "--input", f"{tmp}/in.h5:/x", "--output",
                f"{tmp}/t{t}.h5:/y", "--set", f"threads={t}", "--digest-file", f"{tmp}/d{t}")
        check(r.returncode == 0 and f"threads per rank {t} (scoring arena max concurrency {t})"
              in r.stdout, f"--set threads={t}: the scoring arena has {t} thread(s)", r)
    check(open(f"{tmp}/d1").read() == open(f"{tmp}/d2").read(), "same digest on 1 and 2 threads")
    r = run(basin, "--model", mdl, "--input", f"{tmp}/in.h5:/x", "--output", f"{tmp}/clean.h5:/y",
            "--digest-file", f"{tmp}/dc")
    check(r.returncode == 0 and "non-finite input values: none" in r.stdout,
          "clean input: no non-finite values reported", r)

    # --- NaN / Inf -------------------------------------------------------
    xb = x.copy()
    xb[17, 3] = np.nan
    xb[40, 0] = np.inf
    xb[40, 1] = -np.inf
    with h5py.File(f"{tmp}/nan.h5", "w") as f:
        f["x"] = xb
    r = run(basin, "--model", mdl, "--input", f"{tmp}/nan.h5:/x", "--output", f"{tmp}/n.h5:/y",
            "--digest-file", f"{tmp}/dn", np_=2)
    check(r.returncode == 0 and "3 non-finite input value(s) (NaN or Inf) in 2 sample(s), the "
          "first in sample 17" in r.stdout, "NaN/Inf counted and reported (2 ranks)", r)
    r = run(basin, "--model", mdl, "--input", f"{tmp}/nan.h5:/x", "--output", f"{tmp}/nr.h5:/y",
            "--set", "refuse_nonfinite=true", "--digest-file", f"{tmp}/dr", np_=2)
    check(r.returncode == 2 and "sample 17 holds a NaN or infinite value" in r.stderr and
          not os.path.exists(f"{tmp}/nr.h5") and not os.path.exists(f"{tmp}/nr.h5.basin-tmp"),
          "refuse_nonfinite=true: refused, exit 2, nothing written", r)

    # --- sample counts beyond 32 bits -------------------------------------
    for n in (2**31 + 1000, 2**32 + 1000):
        path = f"{tmp}/big{n}.h5"
        with h5py.File(path, "w") as f:
            f.create_dataset("x", shape=(n, 64), dtype="f4", chunks=(1024, 64))
        check(os.path.getsize(path) < 10 << 20, f"{n} samples in a small file")
        r = run(basin, "--model", mdl, "--input", f"{path}:/x", "--output", f"{tmp}/bo.h5:/y",
                "--digest-file", f"{tmp}/db", timeout=120)
        check(r.returncode == 2 and f"holds {n} samples; one run scores at most 2147483647" in
              r.stderr and "done" not in r.stdout and not os.path.exists(f"{tmp}/bo.h5"),
              f"{n} samples: refused before scoring with the count and the limit", r)

    # --- model files ------------------------------------------------------
    fifo = f"{tmp}/fifo.onnx"
    os.mkfifo(fifo)
    sparse = f"{tmp}/sparse.onnx"
    with open(sparse, "wb") as f:
        f.truncate(10 << 30)
    for m, want in (("/dev/zero", "not a regular file (a character device)"),
                    (fifo, "not a regular file (a FIFO)"),
                    (sparse, "10240 MiB, more than the limit of 1024 MiB")):
        r = run(basin, "--model", m, "--input", f"{tmp}/in.h5:/x", "--output", f"{tmp}/m.h5:/y",
                "--digest-file", f"{tmp}/dm", timeout=30)
        check(r.returncode == 2 and want in r.stderr, f"--model {m}: refused at once ({want})", r)

    subprocess.run(["rm", "-rf", tmp])
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()

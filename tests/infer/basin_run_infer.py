#!/usr/bin/python3
"""`basin run infer` end to end: trains a small MLP and CNN on sklearn's 8x8
digits with PyTorch, exports them to ONNX, writes the samples to HDF5, scores
them with 2 MPI ranks and compares with PyTorch (max |diff| <= 1e-4, identical
classes); 1 rank with another batch size and 1 thread gives the same bits and
digest; the output carries the model's name, SHA-256, arithmetic and the
digest. As replicas (BASIN_REPLICAS=3, as the SPANK plugin sets it) the
arithmetic is portable: close to PyTorch, the same bits on 1 and 2 ranks, a
digest labelled "portable-". Inputs that do not fit are refused with the
expected and found shapes.

usage: basin_run_infer.py BASIN_BINARY
"""
import hashlib
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch

from digits_models import export_onnx, trained_digits_models

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def run(basin, np_, *args, env=ENV):
    cmd = ["mpirun", "-n", str(np_), "--oversubscribe", "--bind-to", "none", basin, "run", "infer",
           *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True)


def main():
    basin = sys.argv[1]
    y, models = trained_digits_models(cnn_dropout=False)
    tmp = tempfile.mkdtemp(prefix="basin-run-infer-")
    failures = []
    for name, model, shape, xs in models:
        path = f"{tmp}/{name}.onnx"
        export_onnx(model, xs, path)
        with torch.no_grad():
            want = model(xs).numpy()
        with h5py.File(f"{tmp}/{name}.h5", "w") as f:
            f["x"] = xs.numpy().astype(np.float32)
        r2 = run(basin, 2, "--model", path, "--input", f"{tmp}/{name}.h5:/x", "--output",
                 f"{tmp}/{name}-2.h5:/scores/y", "--digest-file", f"{tmp}/{name}-2.d")
        r1 = run(basin, 1, "--model", path, "--input", f"{tmp}/{name}.h5:/x", "--output",
                 f"{tmp}/{name}-1.h5:/scores/y", "--set", "batch=7", "--set", "threads=1",
                 "--digest-file", f"{tmp}/{name}-1.d")
        if r2.returncode or r1.returncode:
            failures.append(f"{name}: basin run infer failed:\n{r2.stdout}{r2.stderr}{r1.stderr}")
            continue
        if os.path.exists(f"{tmp}/{name}-2.h5.basin-tmp"):
            failures.append(f"{name}: the temporary output was left behind")
        with h5py.File(f"{tmp}/{name}-2.h5") as f2, h5py.File(f"{tmp}/{name}-1.h5") as f1:
            got, got1 = f2["scores/y"][...], f1["scores/y"][...]
            attrs = {k: (v.decode() if isinstance(v, bytes) else str(v))
                     for k, v in f2["scores/y"].attrs.items()}
        diff = float(np.abs(got - want).max())
        same = bool((got.argmax(1) == want.argmax(1)).all())
        print(f"{name}: {len(want)} samples on 2 ranks, max |diff| vs PyTorch {diff:.2e}, "
              f"classes identical: {same}")
        if diff > 1e-4 or not same:
            failures.append(f"{name}: differs from PyTorch")
        if not np.array_equal(got, got1):
            failures.append(f"{name}: 2 ranks / batch 256 / 2 threads differ from 1 rank / 7 / 1")
        d1, d2 = (open(f"{tmp}/{name}-{k}.d").read().strip() for k in (1, 2))
        if d1 != d2 or attrs.get("basin_result_digest") != d2:
            failures.append(f"{name}: digests {d1} {d2} {attrs.get('basin_result_digest')}")
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        if attrs.get("model_sha256") != sha or "model_name" not in attrs:
            failures.append(f"{name}: attributes {attrs}")
        print(f"{name}: same bits and digest on 1 rank, batch 7, 1 thread; attributes {sorted(attrs)}")
        if attrs.get("basin_arithmetic") != "fast" or d2.startswith("portable-"):
            failures.append(f"{name}: a job without replicas ran {attrs.get('basin_arithmetic')}, "
                            f"digest {d2}")

        # As one of 3 replicas: portable arithmetic by default.
        replica = dict(ENV, BASIN_REPLICAS="3")
        outs = {}
        for ranks, extra in ((2, []), (1, ["--set", "batch=7", "--set", "threads=1"])):
            r = run(basin, ranks, "--model", path, "--input", f"{tmp}/{name}.h5:/x", "--output",
                    f"{tmp}/{name}-p{ranks}.h5:/y", "--digest-file", f"{tmp}/{name}-p{ranks}.d",
                    *extra, env=replica)
            if r.returncode:
                failures.append(f"{name}: portable run failed:\n{r.stdout}{r.stderr}")
                break
            if "arithmetic portable" not in r.stdout:
                failures.append(f"{name}: the summary does not say portable:\n{r.stdout}")
            with h5py.File(f"{tmp}/{name}-p{ranks}.h5") as f:
                outs[ranks] = (f["y"][...], f["y"].attrs["basin_arithmetic"],
                               open(f"{tmp}/{name}-p{ranks}.d").read().strip())
        if len(outs) == 2:
            (p2, a2, pd2), (p1, a1, pd1) = outs[2], outs[1]
            pdiff = float(np.abs(p2 - want).max())
            print(f"{name}: portable as a replica: max |diff| vs PyTorch {pdiff:.2e}, digest {pd2}")
            if pdiff > 1e-4 or not np.array_equal(p1, p2) or pd1 != pd2:
                failures.append(f"{name}: portable results differ (from PyTorch {pdiff}, or "
                                f"between 1 and 2 ranks)")
            a2 = a2.decode() if isinstance(a2, bytes) else str(a2)
            if a2 != "portable":
                failures.append(f"{name}: basin_arithmetic {a2}")
            if not pd2.startswith("portable-blake2b-256:"):
                failures.append(f"{name}: portable digest not labelled: {pd2}")

    # Inputs that do not fit the model, and a missing dataset.
    with h5py.File(f"{tmp}/bad.h5", "w") as f:
        f["x"] = np.zeros((5, 63), np.float32)
        f["i"] = np.zeros((5, 64), np.int32)
    for args, want in (
        (["--input", f"{tmp}/bad.h5:/x"], "[63]"),
        (["--input", f"{tmp}/bad.h5:/nope"], "has no dataset /nope"),
        (["--input", f"{tmp}/bad.h5:/i"], "must be float32 or float64"),
        (["--input", f"{tmp}/bad.h5"], "expected FILE.h5:/dataset"),
    ):
        r = run(basin, 1, "--model", f"{tmp}/mlp.onnx", "--output", f"{tmp}/o.h5:/y", *args)
        if r.returncode == 0 or want not in r.stderr:
            failures.append(f"{args}: expected refusal naming {want!r}, got {r.returncode}: {r.stderr}")
        else:
            print(f"refused: {r.stderr.strip().splitlines()[0]}")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

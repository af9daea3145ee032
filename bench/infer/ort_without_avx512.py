#!/usr/bin/python3
"""ONNX Runtime as it runs on a CPU without AVX-512, on a CPU with it.

Issue #16 asks for Basin's speed against ONNX Runtime on AVX2 CPUs as well as
AVX-512 ones. On an AVX-512 machine Basin can be held to AVX2
(compare_ort.py --basin-isa avx2: its own kernels' AVX2 clones, oneDNN capped
by ONEDNN_MAX_CPU_ISA), but ONNX Runtime has no such setting: MLAS and its
CPU-feature probes choose their kernels from CPUID and XGETBV alone.

This script makes a second copy of the onnxruntime-node 1.20.1 package that
compare_ort.py installs (~/.cache/basin-bench/ort) in
~/.cache/basin-bench/ort-avx2, in which each of the three places the library
reads XGETBV (MLAS's platform set-up, which picks the GEMM and convolution
kernels, and two feature tables) sees the processor's extended state without
the AVX-512 bits (XCR0 bits 5-7: opmask, ZMM_Hi256, Hi16_ZMM). That is what
an operating system or hypervisor that does not enable AVX-512 state
presents, and ONNX Runtime then runs the kernels it runs on an AVX2 CPU
(MLAS's FMA3 kernels on ymm registers; docs/performance.md, fifteenth run,
shows the check). Nothing else changes: one or two bytes at each probe
(`mov eax, eax` becomes `and al, 0x1f`; the two `and r, 0xe6` masks become
0x06), each found by its surrounding bytes and checked to occur exactly once,
in a file whose SHA-256 is the one npm installs.

usage: ort_without_avx512.py        (prints the package directory)
then:  compare_ort.py BUILD 4 1 --basin-isa avx2 --ort-dir ~/.cache/basin-bench/ort-avx2
"""
import hashlib
import os
import shutil
import sys

SOURCE = os.path.expanduser("~/.cache/basin-bench/ort")
TARGET = os.path.expanduser("~/.cache/basin-bench/ort-avx2")
LIB_DIR = "node_modules/onnxruntime-node/bin/napi-v3/linux/x64"
SHA256 = "b7ccdd4204a273d0f2812958c7b074f3632d1de3ab91252a8791fe6da7046d19"

# (bytes around the probe, offset of the change within them, new bytes)
PATCHES = [
    # MLAS platform: xgetbv; mov eax,eax; shl rdx,32; or rdx,rax; and eax,6
    ("0f01d089c048c1e2204809c283e006", 3, "241f"),
    # a feature table: and r10d,0xe6; test r8d,0x10000000 (AVX-512 needs all of 0xe6)
    ("4181e2e600000041f7c000000010", 3, "06"),
    # the same table, its other branch: and eax,0xe6; xor r9d,r9d; xor r8d,r8d
    ("25e60000004531c94531c0", 1, "06"),
    # another table: xgetbv; shl rdx,32; mov eax,eax; or rbx,r12
    ("0f01d048c1e22089c04c09e3", 7, "241f"),
]


def patched(data):
    out = bytearray(data)
    for context, at, new in PATCHES:
        ctx = bytes.fromhex(context)
        if data.count(ctx) != 1:
            sys.exit(f"ort_without_avx512.py: the probe {context} occurs {data.count(ctx)} times, "
                     f"not once: not the library this script knows")
        k = data.find(ctx) + at
        out[k:k + len(bytes.fromhex(new))] = bytes.fromhex(new)
    return bytes(out)


def main():
    if len(sys.argv) > 1:
        print(__doc__.strip())
        sys.exit(0 if sys.argv[1] in ("-h", "--help") else 2)
    lib = os.path.join(SOURCE, LIB_DIR, "libonnxruntime.so.1")
    if not os.path.isfile(lib):
        sys.exit(f"ort_without_avx512.py: {lib} not found: install ONNX Runtime first "
                 f"(bench/infer/compare_ort.py does, or: npm install --ignore-scripts --prefix "
                 f"{SOURCE} onnxruntime-node@1.20.1)")
    data = open(lib, "rb").read()
    if hashlib.sha256(data).hexdigest() != SHA256:
        sys.exit(f"ort_without_avx512.py: {lib} is not the onnxruntime-node 1.20.1 linux-x64 "
                 f"library this script knows (SHA-256 differs)")
    new = patched(data)
    tmp = TARGET + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(SOURCE, tmp, symlinks=True)
    for name in ("libonnxruntime.so.1", "libonnxruntime.so.1.20.1"):
        path = os.path.join(tmp, LIB_DIR, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "wb") as f:
                f.write(new)
                f.flush()
                os.fsync(f.fileno())
    shutil.rmtree(TARGET, ignore_errors=True)
    os.rename(tmp, TARGET)
    print(TARGET)


if __name__ == "__main__":
    main()

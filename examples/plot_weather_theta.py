#!/usr/bin/python3
"""Plot theta (potential-temperature perturbation) at the last output level of a
`basin run weather` netCDF-4 file (variables over t, z, y, x with y of size 1)
into a PNG.

Usage: /usr/bin/python3 examples/plot_weather_theta.py out.nc theta.png
Needs Debian's python3-matplotlib and python3-h5py (a netCDF-4 file is HDF5).
"""
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, png = sys.argv[1], sys.argv[2]
    with h5py.File(src, "r") as f:
        if "theta" not in f or f["theta"].shape[0] == 0:
            print(f"{src}: no theta output levels (run with --output)", file=sys.stderr)
            return 1
        theta = f["theta"][-1, :, 0, :]
        x = f["x"][:] / 1000.0
        z = f["z"][:] / 1000.0
        t = f["t"][-1]
        case = f.attrs.get("case", b"?")
        case = case.decode() if isinstance(case, bytes) else str(case)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    mesh = ax.pcolormesh(x, z, theta, shading="auto", cmap="RdBu_r")
    fig.colorbar(mesh, ax=ax, label="theta perturbation (K)")
    ax.set_xlabel("x (km)")
    ax.set_ylabel("z (km)")
    ax.set_aspect("equal")
    ax.set_title(f"Basin weather, case {case}, t = {t:.0f} s")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

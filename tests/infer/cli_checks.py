"""What the `basin run infer` command-line tests share: the environment
mpirun needs as root, and check(), which prints each case and keeps the
failures for the exit status."""
import os

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
failures = []


def check(cond, what, out=None):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)
        if out is not None:
            print(out.stdout[-2000:], out.stderr[-2000:])

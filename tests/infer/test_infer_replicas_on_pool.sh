#!/usr/bin/env bash
# examples/infer.sbatch on a real local pool: a 2-layer transformer
# (examples/make_transformer.py) scored by three replicas on three nodes, each
# replica forced onto another instruction set of the portable kernels
# (scalar; AVX2; the CPU's widest). The replicas run in portable arithmetic
# because they are replicas, write the same bits and the same labelled
# digest, and after ingesting their usage records `basin ledger validate`
# finds the group canonical and every replica valid. The result is checked
# against PyTorch too.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
work="$(mktemp -d /tmp/basin-infer-replicas.XXXXXX)"
pool_up
/usr/bin/python3 "$BASIN_SOURCE_DIR/examples/make_transformer.py" "$work" 96 >/dev/null ||
  fail "make_transformer.py"

isas=(scalar avx2 native)
grep -qw avx2 /proc/cpuinfo || isas=(scalar scalar native)
nodes=(inst1 vol1 vol2)
jobs=()
for k in 0 1 2; do
  jobs+=("$(BASIN="$BASIN" MODEL="$work/transformer.onnx" INPUT="$work/tokens.h5:/x" \
    ISA="${isas[$k]}" sbatch --parsable --chdir="$work" -w "${nodes[$k]}" \
    "$BASIN_SOURCE_DIR/examples/infer.sbatch")")
done
for id in "${jobs[@]}"; do
  state="$(wait_job "$id" 300)"
  [ "$state" = COMPLETED ] || fail "job $id ended $state: $(cat "$work/infer-$id.out")"
done
for k in 0 1 2; do
  want="${isas[$k]}"
  if [ "$want" = native ]; then
    want=scalar
    grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo && want=avx2
    grep -qw avx512f /proc/cpuinfo && want=avx512
  fi
  grep -q "arithmetic portable, $want kernels" "$work/infer-${jobs[$k]}.out" ||
    fail "replica ${jobs[$k]} did not run portable on $want: $(cat "$work/infer-${jobs[$k]}.out")"
done

# The three outputs: the same bits, the same labelled digest, close to PyTorch.
/usr/bin/python3 - "$BASIN_SOURCE_DIR/examples" "$work" "${jobs[@]}" <<'PY' || fail "outputs of the replicas"
import sys
import h5py
import numpy as np
import torch
sys.path.insert(0, sys.argv[1])
from make_transformer import Classifier
work, ids = sys.argv[2], sys.argv[3:]
outs, digests = [], set()
for i in ids:
    with h5py.File(f"{work}/scores-{i}.h5") as f:
        y = f["y"]
        attrs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in y.attrs.items()}
        assert attrs["basin_arithmetic"] == "portable", attrs
        assert attrs["basin_result_digest"].startswith("portable-blake2b-256:"), attrs
        outs.append(y[...])
        digests.add(attrs["basin_result_digest"])
assert len(digests) == 1, digests
assert all(np.array_equal(outs[0], o) for o in outs[1:]), "replicas differ"
torch.manual_seed(0)
model = Classifier().eval()
with h5py.File(f"{work}/tokens.h5") as f:
    x = torch.from_numpy(f["x"][...])
with torch.no_grad():
    want = model(x).numpy()
diff = float(np.abs(outs[0] - want).max())
print(f"3 replicas bit-identical, digest {digests.pop()}, max |diff| vs PyTorch {diff:.2e}")
assert diff <= 1e-4, diff
PY

pool_toml_with_node_keys "$work" || fail "pool.toml for the local pool"
db="$work/ledger.sqlite"
"$BASIN" ledger --db "$db" ingest "$POOL_DIR"/basin/*/spool --keys "$POOL_DIR/etc/node-keys" \
  --pool "$work/pool.toml" >"$work/ingest.log" || fail "ingest: $(cat "$work/ingest.log")"
"$BASIN" ledger --db "$db" validate --pool "$work/pool.toml" >"$work/validate.log" ||
  fail "validate: $(cat "$work/validate.log")"
cat "$work/validate.log"
grep -q "group .*:infer: canonical (3 replicas, quorum 2)" "$work/validate.log" ||
  fail "the inference replicas' group is not canonical"
for k in 0 1 2; do
  grep -Eq "infer +${jobs[$k]} +${nodes[$k]} +[0-9a-f]+ +valid" "$work/validate.log" ||
    fail "replica ${jobs[$k]} on ${nodes[$k]} (${isas[$k]} kernels) is not valid"
done
pass "transformer replicas on scalar/AVX2/native kernels: same bits, group canonical"
rm -rf "$work"

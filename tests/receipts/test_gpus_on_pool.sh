#!/usr/bin/env bash
# GPUs through the whole stack on a real local pool (inst1 has 2 stand-in
# GPUs): srun/sbatch --gres=gpu:1 -> the step sees CUDA_VISIBLE_DEVICES -> the
# node's signed record has alloc_gpus 1 -> the receipt opens to GPU-seconds
# = GPUs x wall, priced by the rate card; jobs without --gres record 0, also
# when the user presets CUDA_VISIBLE_DEVICES, SLURM_STEP_GPUS,
# SLURM_JOB_GPUS or SLURM_GPUS_ON_NODE; the receipts' GPU-seconds agree with
# what slurmdbd's sacct (AllocTRES gres/gpu x elapsed) and the jobcomp log
# report, and reconcile names a gpu_seconds_mismatch when they do not.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
pool_up
cd "$POOL_DIR"
spools=("$POOL_DIR"/basin/*/spool)

scontrol show node inst1 | grep -q "Gres=gpu:2" || fail "inst1 has no Gres=gpu:2: $(scontrol show node inst1)"
[ -c "$POOL_DIR/dev/inst1-gpu0" ] && [ -c "$POOL_DIR/dev/inst1-gpu1" ] ||
  fail "no stand-in GPU devices under $POOL_DIR/dev"
pass "inst1 offers 2 GPUs (gres.conf with stand-in devices)"

forged=(CUDA_VISIBLE_DEVICES=0,1 SLURM_STEP_GPUS=0,1 SLURM_JOB_GPUS=0,1 SLURM_GPUS_ON_NODE=2
  GPU_DEVICE_ORDINAL=0,1)
sub() { sbatch --parsable -o "$POOL_DIR/$1.out" "${@:2}"; }
# 1: a batch job with one GPU and a step inside it.
j_batch="$(sub batch --gres=gpu:1 -w inst1 -A basin-default \
  --wrap 'echo "batch CVD=$CUDA_VISIBLE_DEVICES"; srun sh -c "echo step CVD=\$CUDA_VISIBLE_DEVICES; sleep 5"')"
# 2: srun with one GPU, outside any batch job.
srun --gres=gpu:1 -w inst1 -A basin-default \
  sh -c 'echo "job=$SLURM_JOB_ID"; echo "srun CVD=$CUDA_VISIBLE_DEVICES"; sleep 3' >srun.out 2>srun.err ||
  fail "srun --gres=gpu:1: $(cat srun.err)"
j_srun="$(sed -n 's/^job=//p' srun.out)"
# 2b: both GPUs of the node, and --gpus (the other way to ask).
j_two="$(sub two --gres=gpu:2 -w inst1 -A basin-default \
  --wrap 'echo "two CVD=$CUDA_VISIBLE_DEVICES"; sleep 2')"
srun --gpus=1 -w inst1 -A basin-default sh -c 'echo "job=$SLURM_JOB_ID"' >gpus.out 2>gpus.err ||
  fail "srun --gpus=1: $(cat gpus.err)"
j_gpus="$(sed -n 's/^job=//p' gpus.out)"
# 3: no GPUs asked for.
j_none="$(sub none -w inst1 -A basin-default --wrap 'srun sleep 2')"
# 4-6: no GPUs asked for, but the user presets every GPU variable.
j_forged="$(env "${forged[@]}" sbatch --parsable --export=ALL -o "$POOL_DIR/forged.out" -w inst1 \
  -A basin-default --wrap 'env | grep -E "GPU|CUDA" | sort; srun --export=ALL sleep 2')"
env "${forged[@]}" srun --export=ALL -w inst1 -A basin-default \
  sh -c 'echo "job=$SLURM_JOB_ID"; sleep 2' >forged-srun.out 2>forged-srun.err ||
  fail "forged srun: $(cat forged-srun.err)"
j_forged_srun="$(sed -n 's/^job=//p' forged-srun.out)"
j_vol="$(env "${forged[@]}" sbatch --parsable --export=ALL -o "$POOL_DIR/vol.out" -w vol1 \
  -A basin-default --wrap 'srun --export=ALL sleep 2')"
for id in "$j_batch" "$j_two" "$j_none" "$j_forged" "$j_vol"; do
  [ "$(wait_job "$id")" = COMPLETED ] || fail "job $id did not complete"
done

grep -qE "^batch CVD=[01]$" batch.out || fail "batch step did not see CUDA_VISIBLE_DEVICES: $(cat batch.out)"
grep -qE "^step CVD=[01]$" batch.out || fail "step did not see CUDA_VISIBLE_DEVICES: $(cat batch.out)"
grep -qE "^srun CVD=[01]$" srun.out || fail "srun step did not see CUDA_VISIBLE_DEVICES: $(cat srun.out)"
grep -qE "^two CVD=0,1$" two.out || fail "--gres=gpu:2 did not see both GPUs: $(cat two.out)"
pass "sbatch/srun --gres=gpu:1: batch step and steps see CUDA_VISIBLE_DEVICES (one GPU index)"

# Records: batch+step for each sbatch job, one for each srun job.
want=$((2 * 4 + 1 + 3))
for _ in $(seq 40); do
  [ "$(ls "${spools[@]}" | grep -c '\.basinrec$')" -ge $want ] && break
  sleep 0.5
done
"$BASIN" records show --json "${spools[@]}" >records.json
# gpus JOB STEP: alloc_gpus of that record ("missing" if there is none).
gpus() {
  /usr/bin/python3 - "$1" "$2" records.json <<'PY'
import json, sys
job, step = int(sys.argv[1]), sys.argv[2]
for line in open(sys.argv[3]):
    r = json.loads(line)
    if r["job_id"] == job and r["step"] == step:
        print(r["alloc_gpus"], r["version"]); break
else:
    print("missing")
PY
}
[ -n "$j_srun" ] || fail "no job id for the srun job: $(cat srun.out srun.err)"
[ -n "$j_forged_srun" ] || fail "no job id for the forged srun job: $(cat forged-srun.out)"
check() {  # JOB STEP EXPECTED_GPUS WHAT
  local got
  got="$(gpus "$1" "$2")"
  [ "$got" = "$3 2" ] || fail "$4: job $1 step $2 recorded '$got', want '$3 2' (alloc_gpus version)"
}
check "$j_batch" batch 1 "sbatch --gres=gpu:1"
check "$j_batch" 0 1 "step inside sbatch --gres=gpu:1"
check "$j_srun" 0 1 "srun --gres=gpu:1"
check "$j_two" batch 2 "sbatch --gres=gpu:2"
check "$j_gpus" 0 1 "srun --gpus=1"
check "$j_none" batch 0 "a job without --gres"
check "$j_none" 0 0 "a step without --gres"
check "$j_forged" batch 0 "batch step with preset GPU variables"
check "$j_forged" 0 0 "srun step with preset GPU variables"
check "$j_forged_srun" 0 0 "srun with preset GPU variables"
check "$j_vol" batch 0 "batch on vol1 (no GPUs) with preset GPU variables"
check "$j_vol" 0 0 "step on vol1 (no GPUs) with preset GPU variables"
grep -q "^CUDA_VISIBLE_DEVICES" forged.out &&
  fail "slurmstepd kept a preset CUDA_VISIBLE_DEVICES on a GPU node: $(cat forged.out)"
pass "signed records (version 2): alloc_gpus 1 with --gres=gpu:1 or --gpus=1, 2 with --gres=gpu:2; 0 without, also with every GPU variable preset"

# pool.toml for the local pool, with a GPU price at campus.
"$BASIN" pool init --name local --cluster basin-local >/dev/null
"$BASIN" pool add-site --name campus --tier institutional --core-second 40 --gpu-second 1000 \
  --wall-second 1 >/dev/null
"$BASIN" pool add-site --name home --tier volunteer --core-second 10 >/dev/null
# root's jobs charge its default account in the local pool: basin-default.
"$BASIN" pool add-account --name basin-default --home-site campus --member root >/dev/null
while read -r node key; do
  case "$node" in inst*) site=campus gpus=2 ;; *) site=home gpus=0 ;; esac
  printf "\n[[node]]\nname = '%s'\nsite = '%s'\npublic_key = '%s'\ncpus = 2\nmemory_mb = 2000\ngpus = %s\n" \
    "$node" "$site" "${key#ed25519:}" "$gpus" >>pool.toml
done < <(grep -v '^#' etc/node-keys)
"$BASIN" pool check >/dev/null || fail "pool.toml does not validate"

L="$BASIN ledger --db $POOL_DIR/ledger.sqlite"
$L ingest "${spools[@]}" --keys etc/node-keys --pool pool.toml >ingest.out || { cat ingest.out; fail "ingest"; }
# Slurm's accounting of the same jobs, from slurmdbd (wait until its time
# window shows every job: a job's eligible time reaches slurmdbd a few
# seconds after it ran).
jobs=("$j_batch" "$j_srun" "$j_two" "$j_gpus" "$j_none" "$j_forged" "$j_forged_srun" "$j_vol")
for _ in $(seq 60); do
  sacct -P --duplicates -a -S now-1hour \
    -o JobIDRaw,Cluster,Account,Submit,Start,End,State,AllocCPUS,ElapsedRaw,AllocTRES >sacct.txt
  n=0
  for j in "${jobs[@]}"; do grep -q "^$j|" sacct.txt && n=$((n + 1)); done
  [ "$n" = ${#jobs[@]} ] && break
  sleep 1
done
[ "$n" = ${#jobs[@]} ] || fail "sacct shows $n of ${#jobs[@]} jobs: $(cat sacct.txt)"
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key >issue-campus.out ||
  { cat issue-campus.out; fail "campus issue"; }
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/home.sign.key >issue-home.out ||
  { cat issue-home.out; fail "home issue"; }
$L verify --pool pool.toml >verify.out || { cat verify.out; fail "verify"; }
$L open --account-key keys/basin-default.box.key --pool pool.toml >open.out ||
  { cat open.out; fail "open"; }
# LEAF JOB PERIOD CORE_S MEM_MB_S GPU_S WALL_S CREDIT_UC
row() { awk -v id="basin-local/$1/r0/$2" '$2 == id' open.out; }
gpu_row() {  # IDENT NODE GPUS: GPU_S = GPUS x WALL_S, credit = 40 core + 1000 gpu + wall
  local r
  r="$(row "$1" "$2")"
  [ -n "$r" ] || fail "no opened receipt for $1 on $2: $(cat open.out)"
  set -- $r "$3"
  local core=$4 gpu=$6 wall=$7 credit=$8 n=$9
  [ "$gpu" = $((n * wall)) ] || fail "receipt $2: GPU_S $gpu is not $n x WALL_S $wall"
  [ "$n" = 0 ] || [ "$gpu" -gt 0 ] || fail "receipt $2: no GPU-seconds"
  [ "$credit" = $((40 * core + 1000 * gpu + wall)) ] ||
    fail "receipt $2: credit $credit is not 40 x $core + 1000 x $gpu + $wall"
  echo "$gpu"
}
g1="$(gpu_row "$j_batch.batch" inst1 1)"
g2="$(gpu_row "$j_srun.0" inst1 1)"
g3="$(gpu_row "$j_two.batch" inst1 2)"
g0="$(gpu_row "$j_none.batch" inst1 0)"
gf="$(gpu_row "$j_forged.batch" inst1 0)"
pass "receipts open to GPU-seconds = GPUs x wall ($g1 and $g2 s for 1 GPU, $g3 s for 2; $g0 and $gf without), priced at 1000 uc/GPU-s"

# What sacct reports for the GPU jobs: AllocTRES gres/gpu x ElapsedRaw, next
# to the receipts' GPU-seconds (the receipts time each node's steps, Slurm
# the allocation: they agree within reconcile's tolerance).
for j in "$j_batch" "$j_two"; do
  line="$(grep "^$j|" sacct.txt | head -n 1)"
  echo "sacct job $j: $line"
  grep -q "gres/gpu=" <<<"$line" || fail "sacct has no gres/gpu for job $j: $line"
done
period="$(date -u +%Y-%m)"
$L reconcile --period "$period" --pool pool.toml --sacct sacct.txt >rec.out || true
cat rec.out
grep -q "^GPU-seconds compared: yes" rec.out || fail "sacct's GPUs were not compared: $(cat rec.out)"
grep -q "gpu_seconds_mismatch" rec.out && fail "GPU-seconds disagree with sacct: $(cat rec.out)"
$L reconcile --period "$period" --pool pool.toml --jobcomp log/jobcomp.txt >rec-jobcomp.out || true
grep -q "^GPU-seconds compared: yes" rec-jobcomp.out || fail "jobcomp's GPUs not compared: $(cat rec-jobcomp.out)"
grep -q "gpu_seconds_mismatch" rec-jobcomp.out && fail "GPU-seconds disagree with jobcomp: $(cat rec-jobcomp.out)"
pass "the receipts' GPU-seconds agree with sacct (AllocTRES) and the jobcomp log"
# Slurm says job $j_batch had 2 GPUs: a gpu_seconds_mismatch, named.
sed -E "/^$j_batch\|/s#gres/gpu=1#gres/gpu=2#" sacct.txt >sacct-wrong.txt
$L reconcile --period "$period" --pool pool.toml --sacct sacct-wrong.txt >rec-wrong.out || true
grep -q "^gpu_seconds_mismatch  basin-local job $j_batch .* GPU-s vs Slurm" rec-wrong.out ||
  fail "gpu_seconds_mismatch not named for job $j_batch: $(cat rec-wrong.out)"
[ "$(grep -c '^gpu_seconds_mismatch  ' rec-wrong.out)" = 1 ] || fail "$(cat rec-wrong.out)"
pass "reconcile names a job whose GPU count Slurm reports otherwise (gpu_seconds_mismatch)"

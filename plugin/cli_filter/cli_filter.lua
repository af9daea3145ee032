--[[
Basin's submit-side budget warning, a Slurm cli_filter (CliFilterPlugins=lua).

Install as cli_filter.lua beside slurm.conf on every submit host. It runs
inside sbatch, salloc and srun as the submitting user, before the job is sent
to the controller. SPANK gives a submitting plugin neither the job's time limit
nor its TRES in Slurm 22.05, so this check lives here.

It reads basin-budgets beside slurm.conf (written by `basin ledger budget sync
--budgets-file`): the billing weights (micro-credits per second per CPU, MB,
GPU and node), the partition default time limit, and what each account has
left. When the job's worst case, time limit x (CPUs x CPU weight + memory x
memory weight + GPUs x GPU weight + nodes x node weight), exceeds what is left,
it prints a warning with the figures. It never refuses a job (the controller
decides: a job that would overrun pends with AssocGrpBillingMinutes) and never
fails: any error here is swallowed so that submission is never broken by it.
--]]

local function conf_dir()
  local conf = os.getenv("SLURM_CONF") or "/etc/slurm/slurm.conf"
  return conf:match("^(.*)/[^/]*$") or "."
end

local function read_budgets(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local b = { left = {}, default_time = 3600, default_mem_per_cpu = 0, stamp = "" }
  for line in f:lines() do
    local w = {}
    for word in line:gmatch("%S+") do w[#w + 1] = word end
    if w[1] == "weights" and #w == 5 then
      b.cpu, b.mem, b.gpu, b.node = tonumber(w[2]), tonumber(w[3]), tonumber(w[4]), tonumber(w[5])
    elseif w[1] == "default_time" and #w == 2 then
      b.default_time = tonumber(w[2]) or b.default_time
    elseif w[1] == "default_mem_per_cpu" and #w == 2 then
      b.default_mem_per_cpu = tonumber(w[2]) or 0
    elseif w[1] == "account" and #w == 3 then
      b.left[w[2]] = tonumber(w[3])
    elseif w[1] == "synced" and #w >= 2 then
      b.stamp = w[2]
    end
  end
  f:close()
  if not b.cpu then return nil end
  return b
end

-- "[D-]HH:MM:SS", "MM:SS", "M" -> seconds; nil when unset or unlimited.
local function seconds(t)
  if t == nil or t == "UNLIMITED" or t == "INFINITE" then return nil end
  local days, rest = t:match("^(%d+)%-(.*)$")
  days = tonumber(days) or 0
  rest = rest or t
  if days > 100000 then return nil end -- Slurm's "not set"
  local parts = {}
  for p in rest:gmatch("[^:]+") do parts[#parts + 1] = tonumber(p) or 0 end
  local h, m, s = 0, 0, 0
  if #parts == 3 then h, m, s = parts[1], parts[2], parts[3]
  elseif #parts == 2 then
    if days > 0 then h, m = parts[1], parts[2] else m, s = parts[1], parts[2] end
  elseif #parts == 1 then
    if days > 0 then h = parts[1] else m = parts[1] end
  end
  return ((days * 24 + h) * 60 + m) * 60 + s
end

local function megabytes(v)
  if v == nil then return 0 end
  local n, unit = tostring(v):match("^(%d+)([KMGT]?)")
  n = tonumber(n) or 0
  if unit == "K" then return math.ceil(n / 1024) end
  if unit == "G" then return n * 1024 end
  if unit == "T" then return n * 1024 * 1024 end
  return n
end

local function credits(uc)
  return string.format("%.6f", uc / 1e6)
end

local function check(options)
  local b = read_budgets(conf_dir() .. "/basin-budgets")
  if not b then return end
  local account = options["account"] or os.getenv("SBATCH_ACCOUNT") or os.getenv("SLURM_ACCOUNT")
  if account == nil or b.left[account] == nil then return end
  local limit = seconds(options["time"]) or b.default_time
  local ntasks = tonumber(options["ntasks"]) or 1
  local cpt = tonumber(options["cpus-per-task"]) or 0
  if cpt < 1 then cpt = 1 end
  local cpus = ntasks * cpt
  local nodes = tonumber(tostring(options["nodes"] or "1"):match("^(%d+)")) or 1
  if nodes < 1 then nodes = 1 end
  local mem = megabytes(options["mem"]) * nodes
  if options["mem-per-cpu"] ~= nil then mem = megabytes(options["mem-per-cpu"]) * cpus end
  if options["mem"] == nil and options["mem-per-cpu"] == nil then
    mem = b.default_mem_per_cpu * cpus -- Slurm's DefMemPerCPU, billed like any memory
  end
  local gpus = tonumber(tostring(options["gres"] or ""):match("gpu[^,]*:(%d+)")) or 0
  local per_second = cpus * b.cpu + mem * b.mem + gpus * nodes * b.gpu + nodes * b.node
  local worst = limit * per_second
  local left = b.left[account]
  if worst > left then
    io.stderr:write(string.format(
      "basin: warning: this job may cost up to %s credits (time limit %d s x %s credits/s for "
        .. "%d CPUs, %d MB, %d GPUs, %d node(s) at the pool's highest rates), but account %s has "
        .. "%s credits left%s.\n"
        .. "basin: Slurm holds a job its budget cannot cover (reason AssocGrpBillingMinutes). "
        .. "Ask for less time (-t), or ask the account's manager for a grant "
        .. "(basin ledger budget grant).\n",
      credits(worst), limit, credits(per_second), cpus, mem, gpus * nodes, nodes, account,
      credits(left), b.stamp ~= "" and (" (budget sync " .. b.stamp .. ")") or ""))
  end
end

function slurm_cli_setup_defaults(options, early_pass)
  return slurm.SUCCESS
end

function slurm_cli_pre_submit(options, pack_offset)
  pcall(check, options)
  return slurm.SUCCESS
end

function slurm_cli_post_submit(offset, job_id, step_id)
  return slurm.SUCCESS
end

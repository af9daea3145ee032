// `basin pool join` and `basin pool leave`: a volunteer machine enrolled by
// its site (basin pool enrol) becomes a Slurm dynamic node of the pool, and
// leaves it without losing a job. Run as root on the volunteer machine.
//
// join:  verify the certificate with the site's enrolment key from pool.toml
//        and that STATE/<node>.key is the key it certifies; write the node's
//        slurm.conf and plugstack.conf (federation/dynamic_node.hpp); start
//        `slurmd -Z` with the certified size and Features=dynamic,tier_*,
//        site_*; wait until the controller reports the node idle.
// leave: drain the node, requeue its jobs (Slurm sends them SIGTERM: Basin's
//        runtime checkpoints and the job continues elsewhere), wait until no
//        job is left on it, stop its slurmd, `scontrol delete` it.
#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "basin/common/durable_file.hpp"
#include "basin/federation/dynamic_node.hpp"
#include "basin/federation/enrolment.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/records/signing.hpp"
#include "commands.hpp"
#include "slurm_command.hpp"

namespace basin::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct JoinArgs {
  std::string cert, state_dir, slurm_conf, plugin, munge_socket, address;
  int timeout_s = 60;
  int leave_timeout_s = 300;
  bool force = false;
  bool foreground = false;
};

struct LeaveArgs {
  std::string state_dir;
  int timeout_s = 300;
  pid_t slurmd = 0;  // slurmd's pid when known (a foreground join's child)
};
void leave(const LeaveArgs& a);

std::string read_text(const std::string& path, std::size_t max) {
  const auto bytes = common::read_file(path, max);
  return {bytes.begin(), bytes.end()};
}

// The address of this machine that the controller can reach: the source
// address the kernel picks for a datagram to the controller (no packet is
// sent).
std::string address_towards(const federation::ControllerAddress& ctl) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(ctl.host.c_str(), std::to_string(ctl.port).c_str(), &hints, &found) != 0 ||
      found == nullptr)
    throw std::runtime_error("cannot resolve the controller's host '" + ctl.host +
                             "' (SlurmctldHost in the pool's slurm.conf); give --address");
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, freeaddrinfo);
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed; give --address");
  sockaddr_in me{};
  socklen_t len = sizeof me;
  const bool ok = connect(fd, found->ai_addr, found->ai_addrlen) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len) == 0;
  close(fd);
  char text[INET_ADDRSTRLEN] = {};
  if (!ok || inet_ntop(AF_INET, &me.sin_addr, text, sizeof text) == nullptr)
    throw std::runtime_error("no route from this machine to the controller " + ctl.host +
                             "; give --address");
  return text;
}

// The node's state in Slurm ("idle", "mixed", "drained", ...), empty when
// the controller does not know it.
std::string node_state(const std::string& node) {
  const auto r = run_command({"sinfo", "-h", "-N", "-n", node, "-o", "%T"});
  if (r.status != 0) return {};
  std::string s = r.out.substr(0, r.out.find('\n'));
  while (!s.empty() && (s.back() == '*' || s.back() == '~' || s.back() == '#')) s.pop_back();
  return s;
}

void make_dir(const fs::path& p, fs::perms perms) {
  fs::create_directories(p);
  fs::permissions(p, perms);
}

// slurmd -D as a child of this process, with the signals this process waits
// for unblocked again in the child.
pid_t spawn_foreground(const std::vector<std::string>& argv) {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  for (const auto& x : argv) args.push_back(const_cast<char*>(x.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), nullptr, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot run slurmd: " + std::string(strerror(rc)));
  return pid;
}

void join(const std::string& pool_file, const JoinArgs& a) {
  const federation::Pool pool = federation::load_pool(pool_file);
  const auto unverified =
      federation::parse_certificate(read_text(a.cert, federation::kMaxCertificateFile), a.cert);
  const federation::Site& site = federation::site_named(pool, unverified.claimed_site());
  const auto cert = federation::verify_certificate(unverified, site.enrolment_key);
  const federation::EnrolmentTerms& t = cert.terms();
  const std::int64_t now = std::time(nullptr);
  // The site's revocation list, where pool.toml's enrolments directory has
  // it: a revoked machine is told so here rather than joining to have every
  // record refused at ingest (which stays the rule that decides: a volunteer
  // controls its own copy of these files).
  if (const auto revoked = federation::revocation_of(pool, t.node, t.site, t.serial);
      revoked && revoked->at <= now)
    throw std::runtime_error("the certificate of node " + t.node + " (site " + t.site +
                             ", serial " + std::to_string(t.serial) + ") was revoked at " +
                             federation::utc_text(revoked->at) + " (reason: " + revoked->reason +
                             "): its records would be refused; ask site " + t.site +
                             " to enrol this machine again (basin pool enrol)");
  if (now < t.not_before || now >= t.not_after)
    throw std::runtime_error("the certificate of node " + t.node + " is valid from " +
                             federation::utc_text(t.not_before) + " to " +
                             federation::utc_text(t.not_after) + ", not now (" +
                             federation::utc_text(now) + "): ask site " + t.site +
                             " to enrol this machine again (basin pool enrol)");
  if (!fs::path(a.state_dir).is_absolute() || !fs::path(a.plugin).is_absolute())
    throw std::runtime_error("--state-dir and --plugin must be absolute paths");
  const fs::path state = a.state_dir;
  const std::string key_path = (state / (t.node + ".key")).string();
  const auto key = records::NodeKey::load(key_path, true);
  if (records::public_key_text(key.public_key()) != "ed25519:" + t.node_public_key)
    throw std::runtime_error(key_path + " is not the key certificate " + a.cert +
                             " certifies for node " + t.node + " (" +
                             t.node_public_key.substr(0, 16) +
                             "...): use the key the site enrolled, or enrol this one");
  if (!node_state(t.node).empty() && !a.force)
    throw std::runtime_error("the pool already has a node " + t.node + " (sinfo -n " + t.node +
                             "); if it is this machine's old self, "
                             "run 'basin pool leave' first, or give --force");

  make_dir(state / "spool", fs::perms::owner_all);
  make_dir(state / "slurmd", fs::perms::owner_all);
  make_dir(state / "tmp", fs::perms::all | fs::perms::sticky_bit);
  make_dir(state / "scratch",
           fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  const federation::JoinPlaces places{state.string(), a.plugin, a.munge_socket};
  const std::string conf_text = read_text(a.slurm_conf, 1 << 20);
  const std::string node_conf = (state / "slurm.conf").string();
  federation::write_file_atomic(node_conf, federation::joined_node_slurm_conf(conf_text, places),
                                0644);
  // What the plugstack line names of the node (its key file, tier, site).
  federation::Node node;
  node.name = t.node;
  node.site = t.site;
  node.gpus = t.gpus;
  federation::SlurmRenderOptions render;
  render.plugin_path = a.plugin;
  render.key_dir = state.string();
  render.spool = (state / "spool").string();
  render.scratch = (state / "scratch").string();
  federation::write_file_atomic((state / "plugstack.conf").string(),
                                "# Basin's SPANK plugin on volunteer node " + t.node +
                                    " (basin pool join)\n" +
                                    federation::render_plugstack_line(pool, node, render),
                                0644);
  federation::write_file_atomic((state / "node").string(), t.node + "\n", 0644);

  const std::string address =
      a.address.empty() ? address_towards(federation::controller_address(conf_text)) : a.address;
  // Client commands below (sinfo) talk to the pool as this node's slurm.conf says.
  setenv("SLURM_CONF", node_conf.c_str(), 1);
  const auto start = Clock::now();
  std::vector<std::string> argv = {
      "slurmd", "-f",   node_conf, "-Z",
      "-N",     t.node, "--conf",  federation::dynamic_node_conf(t, address)};
  // In the foreground (a pilot job), slurmd is this process's child: the
  // signals that end a pilot (its window's warning, the site's preemption or
  // scancel) reach this process, which leaves the pool cleanly; and if the
  // site's Slurm kills the pilot outright, slurmd dies with it, leaving
  // nothing behind on the site's node.
  sigset_t ending;
  sigemptyset(&ending);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&ending, sig);
  pid_t child = 0;
  if (a.foreground) {
    argv.push_back("-D");
    sigprocmask(SIG_BLOCK, &ending, nullptr);
    child = spawn_foreground(argv);
  } else {
    const auto r = run_command(argv);
    if (r.status != 0)
      throw std::runtime_error("slurmd did not start (exit " + std::to_string(r.status) +
                               "): " + r.err + " (see " + (state / "slurmd.log").string() + ")");
  }
  std::string st;
  while (true) {
    st = node_state(t.node);
    if (st == "idle" || st == "mixed" || st == "allocated") break;
    if (child > 0 && waitpid(child, nullptr, WNOHANG) == child)
      throw std::runtime_error("slurmd exited before node " + t.node + " was idle; see " +
                               (state / "slurmd.log").string());
    if (Clock::now() - start > std::chrono::seconds(a.timeout_s))
      throw std::runtime_error("node " + t.node + " is not idle in the pool after " +
                               std::to_string(a.timeout_s) + " s (state '" + st + "'); see " +
                               (state / "slurmd.log").string() +
                               " and the controller's log; 'basin pool leave' stops it");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "node %s joined pool %s: %s tier, site %s, %u CPUs, %llu MB, at %s; %s after %.1f s\n",
      t.node.c_str(), pool.name.c_str(), records::tier_name(t.tier).data(), t.site.c_str(), t.cpus,
      static_cast<unsigned long long>(t.memory_mb), address.c_str(), st.c_str(), secs);
  if (!a.foreground) return;
  std::fflush(stdout);
  // Serve until a signal says the pilot ends, or slurmd dies on its own.
  while (true) {
    timespec tick{1, 0};
    const int sig = sigtimedwait(&ending, nullptr, &tick);
    if (sig > 0) {
      std::printf("signal %d: leaving the pool\n", sig);
      std::fflush(stdout);
      leave(LeaveArgs{state.string(), a.leave_timeout_s, child});
      return;
    }
    int status = 0;
    if (waitpid(child, &status, WNOHANG) == child)
      throw std::runtime_error("slurmd of node " + t.node + " exited on its own (status " +
                               std::to_string(status) + "); see " +
                               (state / "slurmd.log").string());
  }
}

std::vector<std::string> jobs_on(const std::string& node) {
  std::vector<std::string> ids;
  std::istringstream in(slurm_output({"squeue", "-h", "-w", node, "-o", "%A"}));
  for (std::string id; in >> id;) ids.push_back(id);
  return ids;
}

// slurmd's pid from its pid file, if that process is alive and is slurmd.
pid_t slurmd_pid(const fs::path& pid_file) {
  std::ifstream in(pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return 0;
  std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline");
  std::string argv0;
  std::getline(cmd, argv0, '\0');
  return argv0.find("slurmd") != std::string::npos ? static_cast<pid_t>(pid) : 0;
}

void leave(const LeaveArgs& a) {
  const fs::path state = a.state_dir;
  std::string node;
  {
    std::ifstream in(state / "node");
    if (!(in >> node))
      throw std::runtime_error((state / "node").string() +
                               " names no node: is --state-dir the directory join was given?");
  }
  setenv("SLURM_CONF", (state / "slurm.conf").c_str(), 1);
  const auto start = Clock::now();
  slurm_output({"scontrol", "update", "nodename=" + node, "state=drain",
                "reason=leaving the pool (basin pool leave)"});
  const auto running = jobs_on(node);
  for (const auto& id : running) {
    // SIGTERM to the job's tasks, then KillWait, then requeued: Basin's
    // runtime checkpoints on the signal and the next run continues.
    const auto r = run_command({"scontrol", "requeue", id});
    if (r.status != 0)
      std::printf("job %s cannot be requeued (%s); waiting for it to end\n", id.c_str(),
                  r.err.empty() ? "not requeueable" : r.err.substr(0, r.err.find('\n')).c_str());
  }
  while (!jobs_on(node).empty()) {
    if (Clock::now() - start > std::chrono::seconds(a.timeout_s))
      throw std::runtime_error("jobs are still running on node " + node + " after " +
                               std::to_string(a.timeout_s) +
                               " s; the node stays drained: run leave again later, or scancel "
                               "them (squeue -w " +
                               node + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (const pid_t pid = a.slurmd > 0 ? a.slurmd : slurmd_pid(state / "slurmd.pid"); pid > 0) {
    kill(pid, SIGTERM);
    // A child of ours is reaped here; another process is gone when kill(0) fails.
    auto ended = [&] {
      return a.slurmd > 0 ? waitpid(pid, nullptr, WNOHANG) == pid : kill(pid, 0) != 0;
    };
    for (int i = 0; i < 150 && !ended(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!ended()) {
      kill(pid, SIGKILL);
      if (a.slurmd > 0) waitpid(pid, nullptr, 0);
    }
  }
  slurm_output({"scontrol", "delete", "nodename=" + node});
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("node %s left the pool: %zu job(s) requeued, slurmd stopped, node deleted (%.1f s)\n",
              node.c_str(), running.size(), secs);
}

void add_pool_join(CLI::App& app, CommandContext&) {
  CLI::App* pool = app.get_subcommand("pool");
  auto file = [pool] { return pool->get_option("--file")->as<std::string>(); };
  auto a = std::make_shared<JoinArgs>();
  auto* j = pool->add_subcommand(
      "join",
      "Join this machine to the pool as a volunteer node (run as root on the volunteer).\n"
      "Verifies the enrolment certificate with its site's enrolment_key in pool.toml and that\n"
      "STATE/<node>.key is the key it certifies, writes the node's slurm.conf and\n"
      "plugstack.conf into STATE and starts `slurmd -Z` (a Slurm dynamic node) with the\n"
      "certified CPUs and memory and Features=dynamic,tier_<tier>,site_<site>; returns once\n"
      "the controller reports the node idle.");
  j->add_option("--cert", a->cert, "Enrolment certificate from the site (basin pool enrol)")
      ->required();
  j->add_option("--state-dir", a->state_dir,
                "This node's directory (absolute): holds <node>.key (basin records keygen\n"
                "--secret), gets slurm.conf, plugstack.conf, spool/, scratch/, slurmd/")
      ->required();
  j->add_option("--slurm-conf", a->slurm_conf, "The pool's slurm.conf, as its admin publishes it")
      ->required();
  j->add_option("--plugin", a->plugin, "Basin's SPANK plugin (absolute path)")
      ->capture_default_str();
  a->plugin = "/usr/lib/basin/basin_spank.so";
  j->add_option("--munge-socket", a->munge_socket,
                "munged's socket on this machine (it holds the pool's munge key) [the pool's\n"
                "AuthInfo]");
  j->add_option("--address", a->address,
                "This machine's address the controller reaches [the one that routes to it]");
  j->add_option("--timeout", a->timeout_s, "Seconds to wait for the node to be idle")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  j->add_flag("--force", a->force, "Join even if the pool lists a node of this name");
  j->add_flag("--foreground", a->foreground,
              "Stay in the foreground with slurmd as a child (a pilot job): on SIGTERM, SIGINT,\n"
              "SIGHUP or SIGUSR1 leave the pool cleanly (as basin pool leave) and exit 0");
  j->add_option("--leave-timeout", a->leave_timeout_s,
                "With --foreground: seconds to wait for the node's jobs to leave")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  j->footer(
      "Example: basin pool --file pool.toml join --cert vol7.cert --state-dir /var/lib/basin \\\n"
      "           --slurm-conf /etc/slurm/slurm.conf --munge-socket /run/munge/munge.socket.2");
  j->callback([a, file] { join(file(), *a); });

  auto l = std::make_shared<LeaveArgs>();
  auto* lv = pool->add_subcommand(
      "leave",
      "Leave the pool cleanly: drain this node, requeue its jobs (they get SIGTERM, Basin's\n"
      "runtime checkpoints, and they continue on another node), wait until none is left,\n"
      "stop slurmd and delete the node from the controller.");
  lv->add_option("--state-dir", l->state_dir, "The directory join was given")->required();
  lv->add_option("--timeout", l->timeout_s, "Seconds to wait for the node's jobs to leave")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  lv->footer("Example: basin pool leave --state-dir /var/lib/basin");
  lv->callback([l] { leave(*l); });
}

}  // namespace
}  // namespace basin::cli

// After `pool` (order 60), which it extends.
BASIN_COMMAND_GROUP(pool_join, 62, basin::cli::add_pool_join);

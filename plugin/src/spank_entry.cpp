// The SPANK entry points: the only code that talks to Slurm.
//
// Every hook is a C function called from slurmd, slurmstepd, sbatch, srun or
// salloc. Nothing may throw across that boundary, so each hook is wrapped in
// guard(), which turns any exception into a logged error and a SPANK error
// code.
extern "C" {
#include <slurm/spank.h>
}

#include <exception>
#include <string>

#include "basin/plugin/options.hpp"

// Explicit C linkage: a namespace-scope const in C++ has internal linkage, so
// SPANK_PLUGIN() would export nothing.
extern "C" {
extern const char plugin_name[] = "basin";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
}

namespace {

using basin::plugin::Tier;

template <typename F>
int guard(const char* hook, F&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    slurm_error("basin: %s: %s", hook, e.what());
  } catch (...) {
    slurm_error("basin: %s: unknown error", hook);
  }
  return ESPANK_ERROR;
}

int on_tier(int, const char* optarg, int) {
  return guard("--basin-tier", [&]() -> int {
    const std::string_view value = optarg ? optarg : "";
    if (!basin::plugin::parse_tier(value)) {
      slurm_error("%s", basin::plugin::bad_value_message("basin-tier", value,
                                                         "institutional, volunteer, any")
                            .c_str());
      return ESPANK_BAD_ARG;
    }
    return ESPANK_SUCCESS;
  });
}

spank_option tier_option{const_cast<char*>("basin-tier"),
                         const_cast<char*>("TIER"),
                         const_cast<char*>("[basin] Where the job may run: institutional (site-run "
                                           "nodes only), volunteer, or any."),
                         1,
                         0,
                         on_tier};

}  // namespace

extern "C" int slurm_spank_init(spank_t sp, int, char**) {
  return guard("slurm_spank_init", [&]() -> int {
    // sbatch and salloc ignore a static spank_options[] table: register in
    // every context that parses options.
    const spank_err_t rc = spank_option_register(sp, &tier_option);
    if (rc != ESPANK_SUCCESS) {
      slurm_error("basin: cannot register --basin-tier: %s", spank_strerror(rc));
      return static_cast<int>(rc);
    }
    return ESPANK_SUCCESS;
  });
}

# The real dependencies, all from Debian bookworm packages
# (scripts/install-deps installs them).
find_package(MPI REQUIRED COMPONENTS C CXX)
find_package(TBB REQUIRED)
find_package(GTest REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# Parallel HDF5: Debian's libhdf5-openmpi-dev. Refuse a serial HDF5, since
# every Basin output is written collectively.
set(HDF5_PREFER_PARALLEL ON)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "Basin needs a parallel (MPI) HDF5: install libhdf5-openmpi-dev")
endif()
add_library(basin_hdf5 INTERFACE)
target_include_directories(basin_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS})
target_link_libraries(basin_hdf5 INTERFACE ${HDF5_C_LIBRARIES} MPI::MPI_C)
target_compile_definitions(basin_hdf5 INTERFACE ${HDF5_C_DEFINITIONS})

pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
find_package(Decaf REQUIRED CONFIG)
add_library(basin_decaf INTERFACE)
target_include_directories(basin_decaf SYSTEM INTERFACE ${DECAF_INCLUDE_DIRS})
target_link_libraries(basin_decaf INTERFACE ${DECAF_LIBRARIES})

find_package(tomlplusplus REQUIRED)
find_package(CLI11 CONFIG QUIET)
if(NOT CLI11_FOUND)
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
endif()
find_package(nlohmann_json REQUIRED)
find_package(SQLite3 REQUIRED)
if(BASIN_BENCH)
  find_package(benchmark REQUIRED)
endif()

# Slurm's SPANK header (libslurm-dev). The plugin never links libslurm: the
# spank_* symbols come from the host process (slurmd, slurmstepd, srun, ...).
find_path(SLURM_INCLUDE_DIR slurm/spank.h REQUIRED)

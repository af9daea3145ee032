// Checkpoints of a weather run in one HDF5 file, independent of the number of
// ranks: the state is gathered to rank 0 in global x order and scattered back.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "basin/jobs/weather/model.hpp"

namespace basin::jobs::weather {

// The global (per_cell, z, x) array on rank 0 from each rank's (per_cell, z, x_local) part;
// empty on other ranks.
std::vector<double> gather_global(const Model& m, const std::vector<double>& local, int per_cell,
                                  MPI_Comm comm);

// Writes path atomically (temporary file, fsync, rename, fsync of the directory).
void write_checkpoint(const Model& m, const Totals& initial, const std::string& path,
                      MPI_Comm comm);
// Restores m from path and returns the initial totals stored with it.
Totals restore_checkpoint(Model& m, const std::string& path, MPI_Comm comm);

}  // namespace basin::jobs::weather

// Writing and reading files safely: the one durable-write helper of Basin
// (records, keys, bundles, statements, result digests, checkpoints and
// outputs all go through it).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace basin::common {

// Writes `bytes` as dir/name so that a crash leaves either the old file or
// the whole new one: a temporary name in the same directory, fsync, rename,
// fsync of the directory. The directory is opened without following a
// symlink (the plugin writes as root into directories users control);
// follow_dir_link = true follows one (a user's own command writing where the
// user pointed it, e.g. a statement into a symlinked results directory).
// Throws std::system_error naming the step that failed; the temporary file is
// removed on failure. With replace=false an existing dir/name is left alone
// and std::errc::file_exists is thrown.
void write_file_durably(const std::string& dir, const std::string& name,
                        std::span<const std::uint8_t> bytes, unsigned mode = 0640,
                        bool replace = true, bool follow_dir_link = false);

// Makes a file written under a temporary name by someone else's writer (HDF5
// for checkpoints and outputs) the file `final_path`, durably: fsync of the
// file, rename over final_path, fsync of final_path's directory. Throws
// std::system_error naming the step that failed (the temporary file is then
// left for the caller to remove).
void publish_file(const std::string& tmp_path, const std::string& final_path);

// Reads a whole file of at most max_bytes (throws if larger or unreadable).
std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_bytes);

// Reads dir/name where dir and name are controlled by another user, as root:
// neither is followed if it is a symlink, the file must be a regular file
// owned by `owner_uid`, and at most max_bytes are read. Returns nullopt with
// `why` set when any check fails (never throws).
std::optional<std::string> read_user_file(const std::string& dir, const std::string& name,
                                          unsigned owner_uid, std::size_t max_bytes,
                                          std::string& why);

}  // namespace basin::common

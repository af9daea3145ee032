#include "basin/common/durable_file.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace basin::common {
namespace {

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

void write_file_durably(const std::string& dir, const std::string& name,
                        std::span<const std::uint8_t> bytes, unsigned mode, bool replace,
                        bool follow_dir_link) {
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
    throw std::invalid_argument("bad file name '" + name + "'");
  Fd dfd(
      ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | (follow_dir_link ? 0 : O_NOFOLLOW) | O_CLOEXEC));
  if (dfd.get() < 0) fail("open directory " + dir);
  const std::string tmp = "." + name + ".tmp." + std::to_string(::getpid());
  Fd fd(
      ::openat(dfd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (fd.get() < 0) fail("create " + dir + "/" + tmp);
  auto cleanup_and_fail = [&](const std::string& what) {
    const int saved = errno;
    ::unlinkat(dfd.get(), tmp.c_str(), 0);
    errno = saved;
    fail(what);
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) cleanup_and_fail("write " + dir + "/" + tmp);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) cleanup_and_fail("fsync " + dir + "/" + tmp);
  if (::close(fd.release()) != 0) cleanup_and_fail("close " + dir + "/" + tmp);
  if (::renameat2(dfd.get(), tmp.c_str(), dfd.get(), name.c_str(),
                  replace ? 0 : RENAME_NOREPLACE) != 0)
    cleanup_and_fail("rename to " + dir + "/" + name);
  if (::fsync(dfd.get()) != 0) fail("fsync directory " + dir);
}

void publish_file(const std::string& tmp_path, const std::string& final_path) {
  {
    Fd fd(::open(tmp_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) fail("open " + tmp_path);
    if (::fsync(fd.get()) != 0) fail("fsync " + tmp_path);
  }
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0)
    fail("rename " + tmp_path + " to " + final_path);
  const std::filesystem::path parent = std::filesystem::path(final_path).parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) fail("open directory " + dir);
  if (::fsync(dfd.get()) != 0) fail("fsync directory " + dir);
}

std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail("open " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail("stat " + path);
  if (!S_ISREG(st.st_mode)) throw std::runtime_error(path + " is not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_bytes)
    throw std::runtime_error(path + " is larger than " + std::to_string(max_bytes) + " bytes");
  std::vector<std::uint8_t> out(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read " + path);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

std::optional<std::string> read_user_file(const std::string& dir, const std::string& name,
                                          unsigned owner_uid, std::size_t max_bytes,
                                          std::string& why) {
  if (name.empty() || name.find('/') != std::string::npos) {
    why = "bad file name";
    return std::nullopt;
  }
  // O_NOFOLLOW on the last component of dir and on the file; the directory
  // itself must belong to the user or to root.
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dfd.get() < 0) {
    why = "cannot open directory " + dir + ": " + std::strerror(errno);
    return std::nullopt;
  }
  struct stat dst {};
  if (::fstat(dfd.get(), &dst) != 0 || (dst.st_uid != owner_uid && dst.st_uid != 0)) {
    why = "directory " + dir + " is owned by neither the job's user nor root";
    return std::nullopt;
  }
  Fd fd(::openat(dfd.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    why = "cannot open " + name + ": " + std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    why = name + " is not a regular file";
    return std::nullopt;
  }
  if (st.st_uid != owner_uid) {
    why = name + " is not owned by the job's user";
    return std::nullopt;
  }
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    why = name + " is larger than " + std::to_string(max_bytes) + " bytes";
    return std::nullopt;
  }
  std::string out(max_bytes + 1, '\0');
  const ssize_t n = ::read(fd.get(), out.data(), out.size());
  if (n < 0 || static_cast<std::size_t>(n) > max_bytes) {
    why = name + " could not be read within " + std::to_string(max_bytes) + " bytes";
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace basin::common

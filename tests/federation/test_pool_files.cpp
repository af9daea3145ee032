#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "basin/federation/pool_files.hpp"

using namespace basin::federation;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("basin-pool-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};
}  // namespace

TEST(PoolFiles, SecretKeysAreOwnerOnlyAndNeverOverwritten) {
  TempDir d;
  const auto key = (d.path / "vol1.key").string();
  const auto pk = generate_signing_key_file(key);
  EXPECT_EQ(pk.size(), 64u);
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(fs::file_size(key), 15u + 65u);  // "ed25519-secret:" + 64 hex + "\n"
  EXPECT_THROW(generate_signing_key_file(key), std::runtime_error);
  const auto box = generate_box_key_file((d.path / "alice.box.key").string());
  EXPECT_EQ(box.size(), 64u);
  EXPECT_NE(box, pk);
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()), 2);
}

TEST(PoolFiles, InvalidPoolIsNotWritten) {
  TempDir d;
  const auto file = (d.path / "pool.toml").string();
  Pool p;
  p.name = "local";
  p.cluster = "basin";
  save_pool(file, p);
  p.nodes.push_back({"vol1", "nowhere", std::string(64, 'a'), 2, 100});
  EXPECT_THROW(save_pool(file, p), PoolError);
  EXPECT_TRUE(load_pool(file).nodes.empty());
  p.sites.push_back(
      {"nowhere", Tier::volunteer, std::string(64, 'b'), {"nowhere", {1, 0, 0, 0}}, "", {}, {}});
  save_pool(file, p);
  EXPECT_EQ(load_pool(file).nodes.at(0).site, "nowhere");
}

// A user's command writes where the user points it, through a symlinked
// directory too, and replaces a file whole (common::write_file_durably).
TEST(PoolFiles, WritesFollowTheUsersDirectoryLinkAndReplaceWhole) {
  TempDir d;
  fs::create_directories(d.path / "real");
  fs::create_directory_symlink(d.path / "real", d.path / "link");
  const auto file = (d.path / "link" / "statement.csv").string();
  write_file_atomic(file, "first\n", 0644);
  write_file_atomic(file, "second\n", 0644);
  std::ifstream in(d.path / "real" / "statement.csv");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "second\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path / "real"), fs::directory_iterator()), 1);
  try {
    write_file_atomic((d.path / "missing" / "x.csv").string(), "x", 0644);
    FAIL() << "wrote into a missing directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write " + (d.path / "missing").string()),
              std::string::npos)
        << e.what();
  }
}

TEST(PoolFiles, PoolLockIsExclusiveAcrossProcesses) {
  TempDir d;
  const auto file = (d.path / "pool.toml").string();
  const auto lock_file = (d.path / ".pool.toml.lock").string();
  auto child_can_lock = [&] {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int fd = ::open(lock_file.c_str(), O_RDWR);
      ::_exit(fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  };
  {
    const PoolLock lock(file);
    ASSERT_TRUE(fs::exists(lock_file));
    EXPECT_FALSE(child_can_lock());
  }
  EXPECT_TRUE(child_can_lock());
}

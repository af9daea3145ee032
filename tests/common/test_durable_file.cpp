// basin/common/durable_file.hpp: whole files or none, no link followed as
// root, HDF5-written files published durably.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "basin/common/durable_file.hpp"

namespace fs = std::filesystem;
using namespace basin::common;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/basin-common-test.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST(DurableFile, WritesWholeFilesAndCanRefuseToReplace) {
  TempDir dir;
  const std::vector<std::uint8_t> a{1, 2, 3}, b{4, 5};
  write_file_durably(dir.path, "r.basinrec", a);
  EXPECT_EQ(read_file((dir.path / "r.basinrec").string(), 100), a);
  try {
    write_file_durably(dir.path, "r.basinrec", b, 0640, /*replace=*/false);
    FAIL() << "replaced an existing file";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::file_exists);
  }
  EXPECT_EQ(read_file((dir.path / "r.basinrec").string(), 100), a);
  write_file_durably(dir.path, "r.basinrec", b);
  EXPECT_EQ(read_file((dir.path / "r.basinrec").string(), 100), b);
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}), 1);
}

TEST(DurableFile, ReadUserFileRefusesLinksForeignOwnersAndBigFiles) {
  TempDir dir;
  std::string why;
  { std::ofstream(dir.path / "basin-result-digest") << "sha256:" << std::string(64, 'b') << "\n"; }
  const auto me = geteuid();
  auto ok = read_user_file(dir.path, "basin-result-digest", me, 256, why);
  ASSERT_TRUE(ok) << why;
  EXPECT_EQ(ok->size(), 72u);
  EXPECT_FALSE(read_user_file(dir.path, "basin-result-digest", me + 1, 256, why));
  EXPECT_FALSE(read_user_file(dir.path, "basin-result-digest", me, 10, why));
  fs::create_symlink("/etc/shadow", dir.path / "evil");
  EXPECT_FALSE(read_user_file(dir.path, "evil", me, 256, why));
  fs::create_directory_symlink("/etc", dir.path / "evil-dir");
  EXPECT_FALSE(read_user_file((dir.path / "evil-dir").string(), "shadow", me, 4096, why));
}

TEST(DurableFile, PublishFileRenamesAWrittenFileInPlace) {
  TempDir dir;
  const auto tmp = (dir.path / "out.nc.basin-tmp").string();
  const auto final_path = (dir.path / "out.nc").string();
  { std::ofstream(tmp) << "new"; }
  { std::ofstream(final_path) << "old"; }
  publish_file(tmp, final_path);
  EXPECT_FALSE(fs::exists(tmp));
  std::ifstream in(final_path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "new");
  // A missing temporary file is an error naming it; the target is untouched.
  try {
    publish_file(tmp, final_path);
    FAIL() << "published a file that does not exist";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find(tmp), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::exists(final_path));
  // A temporary name that is a symlink is not followed.
  fs::create_symlink(final_path, tmp);
  EXPECT_THROW(publish_file(tmp, (dir.path / "other.nc").string()), std::system_error);
  EXPECT_FALSE(fs::exists(dir.path / "other.nc"));
}

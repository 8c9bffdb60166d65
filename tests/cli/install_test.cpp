// Issue 18 item 6: `cmake --install` puts a binary without debug sections in place (split into
// bin/.debug/lockrig.debug and linked by .gnu_debuglink when the build has them), and
// `lockrig --version` names the build type.
#include <regex>

#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

namespace fs = std::filesystem;

std::string build_dir() { return fs::path(binary()).parent_path().string(); }

// CMAKE_BUILD_TYPE of the build the tests run against, from its CMakeCache.txt.
std::string build_type() {
  std::smatch m;
  const std::string cache = read_file(build_dir() + "/CMakeCache.txt");
  if (!std::regex_search(cache, m, std::regex("\nCMAKE_BUILD_TYPE:[A-Z]+=([^\n]*)\n"))) return "";
  return m[1];
}

std::string sections(const std::string& elf) {
  return lockrig({"-S", "-W", elf}, Spawn{"", "/usr/bin/readelf", 60s}).out;
}

TEST(LockrigInstall, VersionNamesTheBuildType) {
  const std::string type = build_type();
  ASSERT_FALSE(type.empty());
  const Result r = lockrig({"--version"});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  EXPECT_NE(r.out.find(", " + type + " build)"), std::string::npos) << r.describe();
}

TEST(LockrigInstall, InstallsTheBinaryWithoutDebugSections) {
  if (!exists("/usr/bin/readelf")) GTEST_SKIP() << "readelf (binutils) is not installed";
  TempDir tmp;
  const Result inst = lockrig({"--install", build_dir(), "--prefix", tmp.path()},
                              Spawn{"", "/usr/bin/cmake", 300s});
  ASSERT_TRUE(inst.exited && inst.exit_code == 0) << inst.describe();
  const std::string installed = tmp.path() + "/bin/lockrig";
  ASSERT_TRUE(exists(installed)) << inst.describe();
  EXPECT_EQ(sections(installed).find(".debug_info"), std::string::npos);
  EXPECT_LT(fs::file_size(installed), fs::file_size(binary()));
  if (sections(binary()).find(".debug_info") != std::string::npos) {
    // The debug info is kept beside it, where gdb looks for the .gnu_debuglink file.
    const std::string debug = tmp.path() + "/bin/.debug/lockrig.debug";
    ASSERT_TRUE(exists(debug)) << inst.describe();
    EXPECT_NE(sections(debug).find(".debug_info"), std::string::npos);
    EXPECT_NE(sections(installed).find(".gnu_debuglink"), std::string::npos);
  }
  const Result v = lockrig({"--version"}, Spawn{"", installed, 60s});
  EXPECT_TRUE(v.exited && v.exit_code == 0) << v.describe();
  EXPECT_NE(v.out.find(" build)"), std::string::npos) << v.describe();
}

}  // namespace
}  // namespace lockrig::cli_test

// A scratch directory for unit tests that write journals or files, removed with everything in
// it. (The black-box tests have their own, with more helpers: tests/cli/cli_support.hpp.)
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace lockrig::testing {

struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    char tmpl[] = "/tmp/lockrig-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace lockrig::testing

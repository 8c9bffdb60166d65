// The default fixture and scenarios compiled into the binary (cmake/embed.cmake), so that
// `lockrig run` with no arguments works from any directory on a fresh machine.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lockrig {

struct EmbeddedFile {
  const char* path;  // relative to the repository root, e.g. "scenarios/nightly.yaml"
  const char* content;
};

const std::vector<EmbeddedFile>& embedded_files();

inline constexpr const char* kEmbeddedPrefix = "<embedded>/";
inline constexpr const char* kDefaultFixture = "<embedded>/fixtures/sim-lab.yaml";
inline constexpr const char* kDefaultScenarios = "<embedded>/scenarios/nightly.yaml";

// Reads a file from disk, or from the embedded table for "<embedded>/..." paths.
// Throws ConfigError naming the path and the OS reason.
std::string read_source_file(const std::string& path);

// A file's bytes from disk, or nothing with the OS's reason in `why` ("No such file or
// directory", "Is a directory", ...), for callers that word the error themselves.
std::optional<std::string> read_text_file(const std::string& path, std::string& why);

}  // namespace lockrig

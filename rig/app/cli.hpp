// The `lockrig` command line (Boost.Program_options). main() only calls lockrig_main.
#pragma once

namespace lockrig {
int lockrig_main(int argc, char** argv);
}

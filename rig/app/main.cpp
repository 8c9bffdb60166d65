#include "rig/app/cli.hpp"

int main(int argc, char** argv) { return lockrig::lockrig_main(argc, argv); }

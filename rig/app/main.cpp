#include "rig/app/commands.hpp"

int main(int argc, char** argv) { return lockrig::lockrig_main(argc, argv); }

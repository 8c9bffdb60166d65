// Umbrella header for lockrig's statistics library (namespace lockrig::stats): pure functions,
// no I/O, no global state. See each header for the methods and the references they match.
#pragma once

#include "reports/stats/bayes.hpp"
#include "reports/stats/latency.hpp"
#include "reports/stats/multiplicity.hpp"
#include "reports/stats/power.hpp"
#include "reports/stats/proportion.hpp"
#include "reports/stats/stratified.hpp"
#include "reports/stats/two_sample.hpp"
#include "reports/stats/types.hpp"

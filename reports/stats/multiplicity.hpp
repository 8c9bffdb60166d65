// Adjusting p-values for the many scenario x stratum comparisons a report makes.
// Both functions return adjusted p-values in the input order and match R's p.adjust; they throw
// std::invalid_argument for a p-value outside [0, 1] (including NaN).
#pragma once

#include <vector>

namespace lockrig::stats {

// Holm's step-down family-wise error control (R p.adjust(p, "holm")).
std::vector<double> holm_adjust(const std::vector<double>& p_values);

// Benjamini-Hochberg false discovery rate control (R p.adjust(p, "BH")).
std::vector<double> benjamini_hochberg_adjust(const std::vector<double>& p_values);

}  // namespace lockrig::stats

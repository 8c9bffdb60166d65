// Issue 15: the Markdown summary renderer (render_markdown_summary.cpp), a row of reports/format.cpp.
#pragma once

#include <string>

namespace lockrig::reports {

struct Report;
std::string render_markdown_summary(const Report& r);

}  // namespace lockrig::reports

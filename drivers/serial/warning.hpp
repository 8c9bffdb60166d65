// A driver's warning: something odd about a part that does not stop the run (a module id no
// source ties to the model). Printed on stderr as `lockrig: warning: <component>: <message>`
// with the journal priority prefix where stderr goes to the journal.
#pragma once

#include <string>

namespace lockrig::drivers::serial {

void warn(const std::string& component, const std::string& message);

}  // namespace lockrig::drivers::serial

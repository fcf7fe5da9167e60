// `uvmsim doctor`: what this host offers the simulator.
#pragma once

#include <ostream>

namespace uvmsim::cli {

// Prints the platform report; returns the exit status (0, or 1 when not even
// a soft-backend machine can be created).
int run_doctor(std::ostream& out);

}  // namespace uvmsim::cli

#include "cli/run_end.h"

#include "cli/run_interrupt.h"
#include "dump/json_writer.h"
#include "fmt/format.h"

namespace uvmsim::cli {

std::string run_end_json_fields(const RunEnd& end) {
  if (end.complete) return "\"complete\": true";
  const std::string detail = end.signal != 0 ? std::string(signal_name(end.signal)) : end.error;
  return fmt::format("\"complete\": false, \"{}\": {}, \"line\": {}", end.why(), json_escape(detail),
                     end.line);
}

}  // namespace uvmsim::cli

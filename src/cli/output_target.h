// Where an output option of `uvmsim run` (--stats-json, --trace, --series)
// writes: a file, opened before the run starts so that a bad path is an
// error before any command runs, or standard output for "-".
//
// A document written at the end (--stats-json) goes to standard output
// directly, after the result lines. A streamed one (--trace, --series) is
// written during the run into an unlinked temporary file and copied to
// standard output after the result lines, so that the two never interleave
// and memory does not grow with the run.
#pragma once

#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace uvmsim::cli {

class OutputTarget {
 public:
  enum class Kind { kAtEnd, kStreamed };

  // Opens `path` ("-": standard output) for `option`; null after printing
  // why it cannot be ("uvmsim run: OPTION PATH: ...") on `err`.
  static std::unique_ptr<OutputTarget> Open(std::string_view option, const std::string& path,
                                            Kind kind, std::ostream& err);

  // Where to write the document.
  std::ostream& stream();
  bool is_stdout() const { return to_stdout_; }
  // After the run: closes the file, or copies the spooled document to
  // `out` (standard output). False after printing the write error on `err`.
  bool finish(std::ostream& out, std::ostream& err);

 private:
  OutputTarget(std::string option, std::string path) : option_(std::move(option)), path_(std::move(path)) {}
  std::string option_, path_;
  bool to_stdout_ = false;  // "-"
  bool spooled_ = false;    // "-" for a streamed document: file_ is the spool
  std::fstream file_;
};

}  // namespace uvmsim::cli

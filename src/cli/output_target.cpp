#include "cli/output_target.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <sys/stat.h>
#include <unistd.h>

#include "cli/printable.h"
#include "fmt/format.h"

namespace uvmsim::cli {

std::unique_ptr<OutputTarget> OutputTarget::Open(std::string_view option, const std::string& path,
                                                 Kind kind, std::ostream& err) {
  std::unique_ptr<OutputTarget> t(new OutputTarget(std::string(option), path));
  if (path == "-") {
    t->to_stdout_ = true;
    if (kind == Kind::kAtEnd) return t;
    // The spool: a temporary file with no name, gone when the run ends
    // however it ends.
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/uvmsim-spool-XXXXXX";
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) {
      err << fmt::format("uvmsim run: {} -: cannot create a temporary file in {}: {}\n", option,
                         printable(dir && *dir ? dir : "/tmp"), std::strerror(errno));
      return nullptr;
    }
    t->file_.open(tmpl, std::ios::in | std::ios::out | std::ios::trunc | std::ios::binary);
    ::unlink(tmpl.c_str());
    ::close(fd);
    if (!t->file_) {
      err << fmt::format("uvmsim run: {} -: cannot open a temporary file\n", option);
      return nullptr;
    }
    t->spooled_ = true;
    return t;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    err << fmt::format("uvmsim run: {} {}: is a directory; give a file name\n", option, printable(path));
    return nullptr;
  }
  t->file_.open(path, std::ios::out | std::ios::trunc | std::ios::binary);
  if (!t->file_) {
    err << fmt::format("uvmsim run: {} {}: cannot create: {}\n", option, printable(path),
                       std::strerror(errno));
    return nullptr;
  }
  return t;
}

std::ostream& OutputTarget::stream() {
  if (to_stdout_ && !spooled_) return std::cout;
  return file_;
}

bool OutputTarget::finish(std::ostream& out, std::ostream& err) {
  if (to_stdout_ && !spooled_) {
    out.flush();
    return true;
  }
  if (spooled_) {
    file_.flush();
    file_.seekg(0);
    if (file_ && file_.peek() != std::char_traits<char>::eof()) out << file_.rdbuf();
    out.flush();
    const bool ok = static_cast<bool>(file_);
    file_.close();
    if (!ok) err << fmt::format("uvmsim run: cannot write {} to standard output\n", option_);
    return ok;
  }
  file_.close();
  if (!file_) {
    err << fmt::format("uvmsim run: cannot write {}: {}\n", printable(path_), std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace uvmsim::cli

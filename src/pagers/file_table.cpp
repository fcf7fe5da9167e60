#include "pagers/file_table.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/uvm.h"
#include "fmt/format.h"

namespace uvmsim {

// A Page keeps its object offset in 32 bits of pages (core/page.h).
static_assert((FileTable::kMaxFileSize >> kPageShift) <= 0xffffffffull);

namespace {

Status host_error(int err, std::string_view what) {
  // Host failures the model can name keep their errno; the rest are EIO.
  const int e = (err == ENOSPC || err == EFBIG || err == EACCES || err == ENOENT) ? err : EIO;
  return errno_status(e, fmt::format("{}: {}", what, std::strerror(err)));
}

}  // namespace

bool FileTable::valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLen) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

StatusOr<std::unique_ptr<FileTable>> FileTable::Create(Uvm& uvm) {
  const std::string& want = uvm.config.file_dir;
  if (!want.empty()) {
    struct stat st;
    if (::stat(want.c_str(), &st) != 0) {
      if (errno != ENOENT || ::mkdir(want.c_str(), 0700) != 0)
        return errno_status(EINVAL, fmt::format("file_dir {}: {}", want, std::strerror(errno)));
    } else if (!S_ISDIR(st.st_mode)) {
      return errno_status(EINVAL, fmt::format("file_dir {}: not a directory", want));
    }
    if (::access(want.c_str(), W_OK | X_OK) != 0)
      return errno_status(EINVAL, fmt::format("file_dir {}: {}", want, std::strerror(errno)));
    return std::unique_ptr<FileTable>(new FileTable(uvm, want, false));
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = fmt::format("{}/uvmsim-files-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!::mkdtemp(tmpl.data())) return host_error(errno, "backing file directory");
  return std::unique_ptr<FileTable>(new FileTable(uvm, std::move(tmpl), true));
}

FileTable::~FileTable() {
  // uvn_terminate for every file: the dirty pages reach the file (they are
  // kept when file_dir was given), every page goes back to physical memory.
  for (auto& [name, f] : files_) {
    (void)f.vnode->terminate();
    f.vnode.reset();  // closes the file (a private one disappears)
  }
  files_.clear();
  if (owns_dir_) ::rmdir(dir_.c_str());
}

Status FileTable::lookup(std::string_view name, const char* what, const File** out) const {
  auto it = files_.find(name);
  if (it == files_.end()) return errno_status(ENOENT, fmt::format("{}: no file '{}'", what, name));
  *out = &it->second;
  return absl::OkStatus();
}

Status FileTable::create(std::string_view name, std::uint64_t size, std::uint8_t fill) {
  if (!valid_name(name))
    return errno_status(EINVAL, fmt::format("file: bad name '{}' (want [A-Za-z_][A-Za-z0-9_]*, at most {} characters)",
                                            name, kMaxNameLen));
  if (size > kMaxFileSize)
    return errno_status(EINVAL, fmt::format("file {}: size {} above the limit {}", name, size, kMaxFileSize));
  if (files_.contains(name)) return errno_status(EEXIST, fmt::format("file {}: exists", name));

  std::string path = fmt::format("{}/{}", dir_, name);
  // A private directory holds only our files; in file_dir an old file of
  // the same name (from an earlier run) is replaced.
  const int oflags = O_RDWR | O_CREAT | O_CLOEXEC | (owns_dir_ ? O_EXCL : O_TRUNC);
  const int fd = ::open(path.c_str(), oflags, 0600);
  if (fd < 0) return host_error(errno, fmt::format("file {}: open {}", name, path));
  // Private files are unlinked at once: only the descriptor keeps them, so
  // a killed simulator leaves at most an empty directory behind.
  if (owns_dir_) ::unlink(path.c_str());
  auto fail = [&](int err, const char* what) {
    ::close(fd);
    ::unlink(path.c_str());
    return host_error(err, fmt::format("file {}: {}", name, what));
  };
  if (int err = uvm_.io.truncate(fd, IoFile::kBacking, name, size); err != 0) return fail(err, "ftruncate");
  if (fill != 0) {
    std::vector<std::uint8_t> chunk(std::min<std::uint64_t>(size, 1 << 20), fill);
    for (std::uint64_t off = 0; off < size;) {
      const std::uint64_t n = std::min<std::uint64_t>(chunk.size(), size - off);
      if (int err = uvm_.io.write(fd, IoFile::kBacking, name, chunk.data(), n, off); err != 0)
        return fail(err, "write");
      off += n;
    }
  }
  File f;
  f.path = std::move(path);
  f.vnode = std::make_unique<Vnode>(uvm_, fd, size, std::string(name));
  files_.emplace(std::string(name), std::move(f));
  return absl::OkStatus();
}

Status FileTable::truncate(std::string_view name, std::uint64_t size) {
  const File* f = nullptr;
  if (Status s = lookup(name, "truncate", &f); !s.ok()) return s;
  if (size > kMaxFileSize)
    return errno_status(EINVAL, fmt::format("truncate {}: size {} above the limit {}", name, size, kMaxFileSize));
  if (int err = f->vnode->setsize(size); err != 0) {
    if (err == ENOMEM)  // memory and swap full: the loans on the end page could not be broken
      return errno_status(ENOMEM, fmt::format("truncate {}: no memory to copy the lent page holding the end", name));
    return host_error(err, fmt::format("truncate {}", name));
  }
  return absl::OkStatus();
}

StatusOr<std::vector<std::uint8_t>> FileTable::read(std::string_view name, std::uint64_t offset,
                                                    std::uint64_t len) const {
  const File* f = nullptr;
  if (Status s = lookup(name, "fileread", &f); !s.ok()) return s;
  const std::uint64_t size = f->vnode->size();
  std::vector<std::uint8_t> out;
  if (offset >= size) return out;
  len = std::min(len, size - offset);
  out.resize(len);
  const std::int64_t got = uvm_.io.read(f->vnode->fd(), IoFile::kBacking, name, out.data(), len, offset);
  if (got < 0) return host_error(static_cast<int>(-got), fmt::format("fileread {}", name));
  out.resize(static_cast<std::uint64_t>(got));
  return out;
}

StatusOr<std::uint64_t> FileTable::size(std::string_view name) const {
  const File* f = nullptr;
  if (Status s = lookup(name, "file size", &f); !s.ok()) return s;
  return f->vnode->size();
}

Vnode* FileTable::find(std::string_view name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : it->second.vnode.get();
}

StatusOr<Vnode*> FileTable::attach(std::string_view name) {
  const File* f = nullptr;
  if (Status s = lookup(name, "mmap", &f); !s.ok()) return s;
  f->vnode->attach();
  return f->vnode.get();
}

std::string FileTable::path(std::string_view name) const {
  auto it = files_.find(name);
  return it == files_.end() ? std::string() : it->second.path;
}

std::uint64_t FileTable::persisting_pages() const {
  std::uint64_t n = 0;
  for (auto& [name, f] : files_)
    if (f.vnode->uo_refs == 0) n += f.vnode->memq.size();
  return n;
}

std::uint64_t FileTable::resident_pages() const {
  std::uint64_t n = 0;
  for (auto& [name, f] : files_) n += f.vnode->memq.size();
  return n;
}

}  // namespace uvmsim

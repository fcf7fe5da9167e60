// Machine: the backing files of the vnode pager (src/pagers/file_table.h).
// The file table is made on first use; functions that only look at files
// report ENOENT until then.
#include <cerrno>

#include "core/uvm.h"
#include "fmt/format.h"
#include "pagers/file_table.h"
#include "uvmsim/machine.h"

namespace uvmsim {

namespace {

StatusOr<FileTable*> file_table(Uvm& uvm) {
  if (!uvm.files) {
    auto ft = FileTable::Create(uvm);
    if (!ft.ok()) return ft.status();
    uvm.files = std::shared_ptr<FileTable>(std::move(*ft));
  }
  return uvm.files.get();
}

Status no_file(std::string_view what, std::string_view name) {
  return errno_status(ENOENT, fmt::format("{}: no file '{}'", what, name));
}

}  // namespace

Status Machine::create_file(std::string_view name, std::uint64_t size, std::uint8_t fill) {
  // Validate before making the directory: bad input leaves no trace.
  if (!FileTable::valid_name(name))
    return errno_status(EINVAL, fmt::format("file: bad name '{}' (want [A-Za-z_][A-Za-z0-9_]*)", name));
  auto ft = file_table(*uvm_);
  if (!ft.ok()) return ft.status();
  return (*ft)->create(name, size, fill);
}

Status Machine::truncate_file(std::string_view name, std::uint64_t size) {
  if (!uvm_->files) return no_file("truncate", name);
  return uvm_->files->truncate(name, size);
}

StatusOr<std::vector<std::uint8_t>> Machine::read_file(std::string_view name, std::uint64_t offset,
                                                       std::uint64_t len) const {
  if (!uvm_->files) return no_file("fileread", name);
  return uvm_->files->read(name, offset, len);
}

StatusOr<std::uint64_t> Machine::file_size(std::string_view name) const {
  if (!uvm_->files) return no_file("file size", name);
  return uvm_->files->size(name);
}

}  // namespace uvmsim

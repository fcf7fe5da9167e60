// FileTable: the machine's backing files — name -> host file and its Vnode.
//
// Files are real host files, created in a private directory under $TMPDIR
// (unlinked as soon as they are open, the directory removed when the table
// dies) or in MachineConfig::file_dir (kept, under their names). The table owns each file's Vnode from
// creation on: a vnode with no mappings and no pages is simply unreferenced;
// one with no mappings but cached pages is persisting (see vnode.h).
//
// Lifetime: Uvm::files, created on first use (Machine::create_file). The
// table must die after every process has exited (no map entry may refer to
// a vnode) and before physical memory and Uvm::objects: its destructor
// terminates every vnode (dirty pages written, all pages freed).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "pagers/vnode.h"
#include "uvmsim/status.h"

namespace uvmsim {

struct Uvm;

class FileTable {
 public:
  // Names: [A-Za-z_][A-Za-z0-9_]*, at most kMaxNameLen characters.
  static constexpr std::size_t kMaxNameLen = 128;
  // Largest file (files may be sparse; a fill byte other than 0 is written).
  static constexpr std::uint64_t kMaxFileSize = 64ull << 30;

  // Makes the private directory (or checks file_dir). Errors: EINVAL for a
  // file_dir that is not a writable directory, EIO for host failures.
  static StatusOr<std::unique_ptr<FileTable>> Create(Uvm& uvm);
  ~FileTable();
  FileTable(const FileTable&) = delete;
  FileTable& operator=(const FileTable&) = delete;

  Status create(std::string_view name, std::uint64_t size, std::uint8_t fill);
  Status truncate(std::string_view name, std::uint64_t size);
  StatusOr<std::vector<std::uint8_t>> read(std::string_view name, std::uint64_t offset,
                                           std::uint64_t len) const;
  StatusOr<std::uint64_t> size(std::string_view name) const;

  // The vnode of `name` (no reference taken), or nullptr.
  Vnode* find(std::string_view name) const;
  // uvn_attach: the vnode with a new reference, or ENOENT.
  StatusOr<Vnode*> attach(std::string_view name);

  // The host path of a file ("" when unknown; a private file's path no
  // longer exists) and the directory.
  std::string path(std::string_view name) const;
  const std::string& dir() const { return dir_; }

  // Pages cached by vnodes that no mapping refers to (persisting).
  std::uint64_t persisting_pages() const;
  // Pages owned by all vnodes.
  std::uint64_t resident_pages() const;
  std::size_t nfiles() const { return files_.size(); }
  // The name of the file whose vnode is obj, or "" (dumps; file_table_names.cpp).
  std::string_view name_of(const UvmObject* obj) const;

  static bool valid_name(std::string_view name);

 private:
  struct File {
    std::string path;
    std::unique_ptr<Vnode> vnode;
  };
  FileTable(Uvm& uvm, std::string dir, bool owns_dir)
      : uvm_(uvm), dir_(std::move(dir)), owns_dir_(owns_dir) {}
  Status lookup(std::string_view name, const char* what, const File** out) const;

  Uvm& uvm_;
  std::string dir_;
  bool owns_dir_;  // a private directory: removed with the table
  absl::btree_map<std::string, File, std::less<>> files_;
};

}  // namespace uvmsim

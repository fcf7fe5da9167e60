// uvmsim: structure dumps — one process's address space as the model holds
// it, from map entries down to pages and swap slots.
//
//   auto d = uvmsim::dump_process(*p);          // plain data (below)
//   std::cout << uvmsim::dump_text(*d);         // for eyes
//   std::cout << uvmsim::dump_json(*d);         // one JSON document (docs/user-guide.md)
//   std::cout << uvmsim::dump_dot(*d);          // Graphviz: dot -Tpng
//
// A dump is a snapshot: it holds no pointers into the model and stays valid
// after the machine changes or is gone. Identities are stable within a run
// (amaps and objects are numbered in order of first appearance in the dump,
// anons by their pool id, pages by frame number), so two runs of the same
// script dump the same text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "uvmsim/status.h"
#include "uvmsim/types.h"

namespace uvmsim {

class Process;

// Where else a page (or an anon, or an object range) appears: another
// process's mapping of it, by the process's name.
struct DumpSharer {
  std::string process;
  vaddr_t va = 0;
};

struct DumpPage {
  std::uint32_t frame = 0;
  std::uint16_t loan_count = 0;  // borrowers: kernel loans and anon loans
  std::uint16_t wire_count = 0;
  std::string queue;             // "active", "inactive", "free", "none"
  bool dirty = false;            // not known to match its backing store
  int mappings = 0;              // pmap mappings of the page, all processes
};

struct DumpAnon {
  std::uint32_t id = 0;  // pool id
  int slot = 0;          // amap slot
  vaddr_t va = 0;
  int refs = 0;          // an_ref
  bool resident = false;
  DumpPage page;         // when resident
  int swslot = 0;        // swap slot (0: none)
  std::vector<DumpSharer> shared_with;  // other processes whose amaps hold it
};

struct DumpPprefRun {
  int ref = 0;
  int len = 0;
};

struct DumpAmap {
  int id = 0;           // number within the dump
  int nslot = 0;        // slots of the amap's extent
  int maxslot = 0;      // slots allocated
  int nused = 0;        // slots holding an anon
  int refs = 0;         // am_ref: map entries referring to it
  bool shared = false;  // AMAP_SHARED
  std::string ppref;    // "active", "not yet", "none"
  std::vector<DumpPprefRun> ppref_runs;
};

struct DumpObjectPage {
  voff_t offset = 0;
  vaddr_t va = 0;
  DumpPage page;
  std::vector<DumpSharer> shared_with;
};

struct DumpObject {
  int id = 0;
  std::string kind;  // "aobj", "vnode"
  std::string name;  // the file's name for a vnode, else ""
  int refs = 0;
  std::uint64_t resident = 0;     // resident pages of the whole object
  std::uint64_t swap_blocks = 0;  // pages kept in swap, whole object
  std::vector<DumpSharer> mapped_by;  // other processes mapping it (start va)
};

// One object of an entry's shadow chain (anon model shadow), first object
// first: FreeBSD's vm_object fields and what it holds.
struct DumpChainLink {
  std::uint64_t object = 0;  // the object's id (stable within a run)
  int depth = 0;             // 0: the entry's first object
  int refs = 0;              // ref_count: entries and shadows
  int shadow_count = 0;      // objects that shadow it
  std::uint64_t index = 0;   // page index in this object of the entry's start
  std::uint64_t backing_offset = 0;  // pages
  std::uint64_t size = 0;            // pages
  std::uint64_t resident = 0;        // resident pages of the whole object
  std::uint64_t swapped = 0;         // pages only in swap, whole object
  // What this entry sees through the object: its pages in the entry's
  // window that no object above shadows (resident; only in swap). The rest
  // of the object's pages are shadowed, outside the window, or hidden.
  std::uint64_t seen = 0, seen_swapped = 0;
  bool one_mapping = false;          // OBJ_ONEMAPPING
  std::vector<DumpSharer> shared_with;  // other processes whose chains hold it
};

struct DumpEntry {
  vaddr_t start = 0, end = 0;
  Prot prot = kProtNone, max_prot = kProtNone;
  Inherit inherit = Inherit::kCopy;
  Advice advice = Advice::kNormal;
  Sharing sharing = Sharing::kPrivate;
  int wired_count = 0;
  bool cow = false, needs_copy = false;
  int amap = -1;  // DumpAmap id, -1: none
  int amap_pageoff = 0;
  std::vector<DumpAnon> anons;  // of the slots this entry covers, address order
  std::vector<DumpChainLink> chain;  // shadow model: the entry's object chain
  int object = -1;  // DumpObject id, -1: none
  voff_t offset = 0;
  std::vector<DumpObjectPage> object_pages;  // resident, inside the entry
  std::uint64_t object_swapped = 0;          // object pages of the entry in swap
};

struct DumpQueues {
  std::uint64_t npages = 0, free = 0, active = 0, inactive = 0, wired = 0;
  // This process's resident pages (anon and object pages of its entries) by queue.
  std::uint64_t proc_active = 0, proc_inactive = 0, proc_none = 0;
};

struct SpaceDump {
  std::string process;
  int pid = 0;
  std::string anon_model = "amap";  // which anonymous-memory model
  std::vector<DumpEntry> entries;
  std::vector<DumpAmap> amaps;
  std::vector<DumpObject> objects;
  DumpQueues queues;
};

// The version of the JSON schema dump_json writes (its "schema" field).
inline constexpr int kDumpSchemaVersion = 1;

// FailedPrecondition for a process that has exited.
StatusOr<SpaceDump> dump_process(const Process& p);

std::string dump_text(const SpaceDump& d);
std::string dump_json(const SpaceDump& d);  // one line, no trailing newline
std::string dump_dot(const SpaceDump& d);   // a Graphviz digraph

std::string_view prot_name(Prot p);  // "none", "r", "rw", "rx", "rwx", ...

}  // namespace uvmsim

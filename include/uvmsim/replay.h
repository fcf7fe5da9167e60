// uvmsim: memory-trace replay, the replacement-policy workbench.
//
// A trace of memory accesses (valgrind lackey's --trace-mem output, vmsim's
// "ADDR R|W" lines, or plain page numbers) is replayed against a
// replacement policy (uvmsim/policy.h) in one of two modes:
//   textbook  the classical simulators' model: exactly `frames` frames, all
//             free at first; a miss with every frame full evicts one page
//             (the policy's run()); a dirty evicted page is a write-back.
//   uvm       the trace drives one process on the UVM model (soft backend):
//             the pages it touches are private anonymous memory, faults,
//             the page daemon with its free targets and swap do the rest.
//
//   auto trace = uvmsim::TraceReader::Open("prog.trace", uvmsim::TraceFormat::kLackey);
//   uvmsim::ReplayConfig cfg{.policy = "lru", .frames = 64};
//   auto result = uvmsim::replay(**trace, cfg);   // faults, hits, ...
//
// Errors are values: a malformed line is InvalidArgument "TRACE:LINE: message".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "uvmsim/policy.h"
#include "uvmsim/stats.h"
#include "uvmsim/status.h"

namespace uvmsim {

enum class TraceFormat : std::uint8_t {
  kLackey,  // "I  ADDR,SIZE", " L ADDR,SIZE", " S ...", " M ..." (hex ADDR)
  kVmsim,   // "ADDR R|W" (hex ADDR, 0x optional)
  kPages,   // "PAGE [R|W]" (decimal or 0x hex page number)
};
StatusOr<TraceFormat> trace_format_named(std::string_view name);

// One access, packed: page number << 2 | ifetch << 1 | write. An access
// that crosses a page boundary is two accesses; a lackey M (modify) is a
// load and a store.
struct TraceAccess {
  std::uint64_t bits;
  std::uint64_t page() const { return bits >> 2; }
  bool write() const { return bits & 1; }
  bool ifetch() const { return bits & 2; }
  static TraceAccess make(std::uint64_t page, bool write, bool ifetch) {
    return {page << 2 | (ifetch ? 2u : 0u) | (write ? 1u : 0u)};
  }
};

struct TraceOptions {
  bool ifetch = true;  // lackey: keep instruction fetches (I lines)
};

// A streaming trace parser over a file or standard input ("-").
class TraceReader {
 public:
  static StatusOr<std::unique_ptr<TraceReader>> Open(const std::string& path, TraceFormat format,
                                                     TraceOptions options = {});
  // Over text in memory (tests); `name` is used in messages.
  static std::unique_ptr<TraceReader> FromString(std::string text, std::string name, TraceFormat format,
                                                 TraceOptions options = {});
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  // Up to `max` accesses into `out` (max >= 64); 0 at the end of the trace.
  // A malformed line, an empty trace or one with no access in it is an
  // InvalidArgument error "NAME:LINE: message".
  StatusOr<std::size_t> read(TraceAccess* out, std::size_t max);
  // Lines read so far, and those skipped as not being trace records
  // (valgrind's own lines, the program's output, comments, blank lines).
  std::uint64_t lines() const;
  std::uint64_t skipped_lines() const;
  const std::string& name() const;

 private:
  struct Impl;
  explicit TraceReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

enum class ReplayMode : std::uint8_t { kTextbook, kUvm };

struct ReplayConfig {
  ReplayMode mode = ReplayMode::kTextbook;
  // A name make_replacement_policy() knows, or "opt" (textbook only). In
  // textbook mode "clock" is the one-handed clock (second-chance).
  std::string policy = "lru";
  PolicyOptions policy_options{};
  // A policy of one's own (written outside the library): when set, used
  // instead of `policy` (a fresh one per replay, e.g. per curve point).
  std::function<std::unique_ptr<ReplacementPolicy>()> make_policy{};
  std::uint64_t frames = 64;              // textbook
  std::uint64_t mem_bytes = 16ull << 20;  // uvm
  std::uint64_t swap_bytes = 256ull << 20;
  bool check = false;  // uvm: run the invariant checker at the end
  // Called about every million accesses with the count so far.
  std::function<void(std::uint64_t)> progress{};
};

struct ReplayResult {
  std::string policy;  // the policy that ran (its own name)
  ReplayMode mode = ReplayMode::kTextbook;
  std::uint64_t frames = 0;  // textbook: frames; uvm: pages of memory
  std::uint64_t accesses = 0, faults = 0, hits = 0, evictions = 0, writebacks = 0;
  std::uint64_t pages = 0;          // distinct pages touched
  std::uint64_t skipped_lines = 0;  // non-trace lines ignored
  // uvm mode: the machine's counters at the end, and the checker's verdict
  // (when ReplayConfig::check).
  UvmExp uvmexp{};
  bool checked = false;
  Status check{};
};

// Replay the whole trace with one policy.
StatusOr<ReplayResult> replay(TraceReader& trace, const ReplayConfig& config);

// A trace held in memory: pages renumbered densely (first touch order), the
// form the miss-ratio curve and OPT need (OPT reads the trace ahead).
struct LoadedTrace {
  std::vector<std::uint32_t> refs;   // dense page id << 1 | write
  std::vector<std::uint64_t> pages;  // dense id -> page number
  std::uint64_t skipped_lines = 0;
};
StatusOr<LoadedTrace> load_trace(TraceReader& trace);
StatusOr<ReplayResult> replay(const LoadedTrace& trace, const ReplayConfig& config);

// The miss-ratio curve: faults at each frame count (textbook mode) or
// memory size in pages (uvm mode) from `lo` to `hi` by `step`. LRU in
// textbook mode takes one pass (Mattson's stack algorithm); other policies
// replay once per point, `threads` points at a time (0: one per core).
struct MrcPoint {
  std::uint64_t frames = 0;
  ReplayResult result;  // accesses, faults, hits (stack algorithm: no write-backs)
};
struct MrcRange {
  std::uint64_t lo = 1, hi = 64, step = 1;
};
StatusOr<std::vector<MrcPoint>> miss_ratio_curve(const LoadedTrace& trace, const ReplayConfig& config,
                                                 MrcRange range, unsigned threads = 0);
// LRU's faults for every frame count 1..max_frames in one pass (Mattson et
// al. 1970, with a Fenwick tree over access times): index c is the faults
// with c frames (index 0 unused).
std::vector<std::uint64_t> lru_stack_faults(const LoadedTrace& trace, std::uint64_t max_frames);

}  // namespace uvmsim

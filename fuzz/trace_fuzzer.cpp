// Fuzz target: the trace parsers of `uvmsim replay` (lackey, vmsim, pages)
// and the replays over what they read — textbook mode with a policy, OPT and
// the miss-ratio curve over the loaded trace, Mattson's LRU stack, and now
// and then uvm mode with the invariant checker at the end.
//
// Input: one byte of choices (bits 0-1 the format: lackey, vmsim, pages;
// bit 2 keep instruction fetches; bit 3 uvm mode; bits 4-7 the policy),
// one byte for the frame count (1..64), then the trace text.
//
// A finding is a crash, a sanitizer report, an exception, a hang, the
// checker failing in uvm mode, or the replays disagreeing on the number of
// accesses the parser produced.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "uvmsim/policy.h"
#include "uvmsim/replay.h"

namespace {

using namespace uvmsim;

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "trace_fuzzer: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return -1;
  static const TraceFormat kFormats[] = {TraceFormat::kLackey, TraceFormat::kVmsim, TraceFormat::kPages,
                                         TraceFormat::kLackey};
  const TraceFormat format = kFormats[data[0] & 3];
  const TraceOptions topts{.ifetch = (data[0] & 4) != 0};
  const bool uvm_mode = (data[0] & 8) != 0;
  std::vector<std::string> policies = replacement_policy_names();
  policies.push_back("opt");
  const std::string policy = policies[(data[0] >> 4) % policies.size()];
  const std::uint64_t frames = 1 + data[1] % 64;
  const std::string text(reinterpret_cast<const char*>(data + 2), size - 2);

  // The parser alone, in small reads.
  std::uint64_t parsed = 0;
  {
    auto r = TraceReader::FromString(text, "fuzz", format, topts);
    std::vector<TraceAccess> buf(64);
    for (;;) {
      auto n = r->read(buf.data(), buf.size());
      if (!n.ok()) return 0;  // a malformed trace: an error value, as it must be
      if (*n == 0) break;
      if (*n > buf.size()) finding("read() returned more accesses than asked for");
      parsed += *n;
    }
  }

  // Loaded (dense page ids): OPT, the curve, the LRU stack.
  auto r = TraceReader::FromString(text, "fuzz", format, topts);
  auto loaded = load_trace(*r);
  if (!loaded.ok()) finding("load_trace failed on a trace the parser read: " + loaded.status().ToString());
  if (loaded->refs.size() != parsed) finding("load_trace and read() disagree on the number of accesses");

  ReplayConfig cfg;
  cfg.policy = policy;
  cfg.frames = frames;
  if (auto res = replay(*loaded, cfg); res.ok()) {
    if (res->accesses != parsed) finding("the replay of the loaded trace lost accesses");
    if (res->hits + res->faults != res->accesses) finding("hits + faults != accesses");
  }
  const std::vector<std::uint64_t> lru = lru_stack_faults(*loaded, frames);
  if (policy == "lru") {
    auto res = replay(*loaded, cfg);
    if (res.ok() && lru.size() > frames && lru[frames] != res->faults)
      finding("Mattson's LRU stack and the LRU replay disagree");
  }
  if (policy != "opt") (void)miss_ratio_curve(*loaded, cfg, {.lo = 1, .hi = frames, .step = 1 + frames / 8}, 1);

  // Streamed, as `uvmsim replay FILE` runs it.
  if (uvm_mode && policy != "opt") {
    cfg.mode = ReplayMode::kUvm;
    cfg.mem_bytes = (16 + frames) * 4096;
    cfg.swap_bytes = 256 * 4096;
    cfg.check = true;
  }
  auto streamed = TraceReader::FromString(text, "fuzz", format, topts);
  auto res = replay(*streamed, cfg);
  if (res.ok()) {
    if (res->accesses != parsed) finding("the streamed replay and the parser disagree on the accesses");
    if (res->checked && !res->check.ok()) finding("the invariant checker failed: " + res->check.ToString());
  }
  return 0;
}

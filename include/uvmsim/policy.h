// uvmsim: the page-replacement policy seam.
//
// The page daemon decides *when* to free memory (free pages below freemin)
// and *how* to free a page (write it to swap or its file first if dirty); a
// ReplacementPolicy decides *which* pages. The default is NetBSD's two-queue
// clock over the active and inactive queues. Researchers implement
// ReplacementPolicy and install it with Machine::set_replacement_policy(), or
// run it on a memory trace with uvmsim/replay.h.
//
// One policy class runs in both places that host policies:
//   - the UVM model's page daemon (uvm mode): frames are physical frames,
//     reference bits are the pmap's, run() is called when free memory is
//     short and must free pages up to free_target();
//   - the textbook replay (textbook mode): exactly capacity() frames, the
//     reference bit is set by every access, run() is called at a miss when
//     every frame is full and must free one.
//
// What a policy learns (the hooks below, all optional):
//   page_inserted    a page became resident and pageable (its identity)
//   page_referenced  the page was used: every access in textbook mode; in
//                    uvm mode the reference bits the pmap reports when the
//                    daemon samples them (before each of its passes), for
//                    policies whose needs() ask for it
//   page_removed     the page left memory: evicted by the daemon (through
//                    ops.evict) or freed by its owner (unmap, exit, ...),
//                    with its identity, so ghost lists work
//   tick             periodically: every needs().tick_every accesses in
//                    textbook mode, every daemon pass in uvm mode
//
// Pages are named by frame number in the ops, and by PageIdentity in the
// hooks. The ops are only valid during run() and tick().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "uvmsim/status.h"

namespace uvmsim {

enum class PageQueueId : std::uint8_t { kActive, kInactive };

// Who owns a page.
enum class PageOwner : std::uint8_t {
  kAnon,    // anonymous memory (an anon; a trace's page in textbook mode)
  kAobj,    // an anonymous object (shared anonymous memory)
  kVnode,   // a file's page
};

// What a page is, as far as a policy is concerned.
struct PageIdentity {
  static constexpr std::uint32_t kNoFrame = ~0u;
  std::uint32_t frame = kNoFrame;
  PageOwner owner = PageOwner::kAnon;
  bool anonymous = true;  // anon or aobj: goes to swap, not to a file
  bool dirty = false;     // modified since it was last written back
  // One mapping of the page: the address space (the process's pmap id; 1 in
  // textbook mode) and the virtual address there. space 0: not mapped.
  std::uint32_t space = 0;
  std::uint64_t vaddr = 0;
  // The owner: an anon's id, or the object's id and the byte offset in it.
  std::uint64_t object = 0;
  std::uint64_t offset = 0;
  // A stable name for the page's contents, the same each time the page
  // comes back into memory (the trace's page number in textbook mode; a hash
  // of owner, object and offset in uvm mode): what ghost lists remember.
  std::uint64_t key = 0;
};

class PagedaemonOps {
 public:
  static constexpr std::uint32_t kNone = ~0u;
  virtual ~PagedaemonOps() = default;

  virtual std::uint64_t free_pages() const = 0;
  // Stop when free >= this. Reads 0 once the daemon gives up the pass (swap
  // full and 16 dirty pages reactivated, as NetBSD's UVMPD_NUMDIRTYREACTS),
  // which ends every policy's loop.
  virtual std::uint64_t free_target() const = 0;
  virtual std::uint64_t inactive_target() const = 0;  // desired inactive length
  virtual std::uint64_t queue_length(PageQueueId q) const = 0;
  // Queue walk: first frame (head: oldest) / next frame on the same queue.
  virtual std::uint32_t first(PageQueueId q) const = 0;
  virtual std::uint32_t next(std::uint32_t frame) const = 0;
  virtual bool on_queue(std::uint32_t frame, PageQueueId q) const = 0;

  // Referenced: the MMU's accessed bits of every mapping (or harvested).
  virtual bool referenced(std::uint32_t frame) = 0;
  virtual void clear_referenced(std::uint32_t frame) = 0;
  virtual bool dirty(std::uint32_t frame) = 0;
  virtual void activate(std::uint32_t frame) = 0;    // to the active tail
  virtual void deactivate(std::uint32_t frame) = 0;  // to the inactive tail
  // Free the page, writing it to swap or its file first when dirty. False
  // when it cannot be freed now (busy, wired, loaned, swap full, I/O error).
  virtual bool evict(std::uint32_t frame) = 0;

  // --- added for research policies (defaults keep older ops working) ---
  // Frames a policy may ever see: frame numbers are below this.
  virtual std::uint64_t capacity() const { return 0; }
  // The identity of the page in `frame` now.
  virtual PageIdentity identity(std::uint32_t frame) { return PageIdentity{.frame = frame}; }
  // Virtual time: accesses so far (textbook) or page faults so far (uvm).
  virtual std::uint64_t now() const { return 0; }
  // Write a dirty page back without freeing it (WSClock's cleaning). False
  // when the host cannot (uvm mode: pages are cleaned only by eviction).
  virtual bool clean(std::uint32_t /*frame*/) { return false; }
  // The page whose miss made this run necessary, when known (textbook mode;
  // nullptr in uvm mode, where the daemon frees ahead of demand).
  virtual const PageIdentity* faulting() const { return nullptr; }
};

// What a policy asks of its host.
struct PolicyNeeds {
  // page_referenced for every access (textbook) / every sampled reference
  // bit (uvm: the daemon test-and-clears the bits of every queued page
  // before each pass, so such a policy should not read them itself).
  bool references = false;
  // tick() every this many accesses in textbook mode (0: never). In uvm
  // mode a policy with tick_every > 0 ticks once per daemon pass.
  std::uint64_t tick_every = 0;
  // page_inserted / page_removed wanted. The uvm page daemon then keeps the
  // identity of every queued page (about 50 bytes per frame) so that it can
  // report a page's identity after its owner let go of it.
  bool hooks = true;
};

enum class RemoveReason : std::uint8_t {
  kEvicted,  // the daemon (policy) paged it out
  kFreed,    // its owner freed it (unmap, exit, truncate, ...)
};

class ReplacementPolicy {
 public:
  virtual ~ReplacementPolicy() = default;
  virtual std::string_view name() const = 0;
  // Free pages until ops.free_pages() >= ops.free_target() or nothing more
  // can be freed.
  virtual void run(PagedaemonOps& ops) = 0;

  virtual PolicyNeeds needs() const { return {}; }
  virtual void page_inserted(const PageIdentity& /*page*/) {}
  virtual void page_referenced(const PageIdentity& /*page*/) {}
  virtual void page_removed(const PageIdentity& /*page*/, RemoveReason /*why*/) {}
  virtual void tick(PagedaemonOps& /*ops*/) {}
};

// NetBSD's two-queue clock: inactive pages that were referenced get a second
// chance (reactivated), unreferenced ones are freed; active pages are moved
// to the inactive queue (their reference bit cleared) to keep it at target.
std::unique_ptr<ReplacementPolicy> make_clock_policy();
// First in, first out: the oldest page is evicted, reference bits ignored.
std::unique_ptr<ReplacementPolicy> make_fifo_policy();

struct PolicyOptions {
  std::uint64_t seed = 0;  // random choices (random)
  // aging: shift the counters every this many accesses (textbook mode).
  std::uint64_t aging_interval = 1000;
  // wsclock: a page unreferenced for longer than tau (virtual time) is
  // outside the working set; 0: tau = the number of frames.
  std::uint64_t wsclock_tau = 0;
};

// Every shipped policy by name:
//   clock          NetBSD's two-queue clock (the default)
//   second-chance  one-handed clock over a ring of frames
//   fifo, lru      (lru: exact in textbook mode, sampled reference bits in uvm)
//   random         uniformly random resident page (PolicyOptions::seed)
//   aging          8-bit aging counters shifted at each tick
//   wsclock        Carr and Hennessy's working-set clock
//   arc            Megiddo and Modha's adaptive replacement cache (ghost lists)
// InvalidArgument (EINVAL) for any other name; "opt" needs the future and
// lives in the replay engine only (uvmsim/replay.h).
StatusOr<std::unique_ptr<ReplacementPolicy>> make_replacement_policy(std::string_view name,
                                                                     const PolicyOptions& options = {});
std::vector<std::string> replacement_policy_names();

}  // namespace uvmsim

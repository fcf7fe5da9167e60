#include "core/pagedaemon.h"
#include "core/trace_events.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/anon.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"
#include "core/uvm_page.h"
#include "core/uvm_object.h"

namespace uvmsim {

namespace {

PageQueue pq(PageQueueId q) { return q == PageQueueId::kActive ? PageQueue::kActive : PageQueue::kInactive; }

// NetBSD's clock over the two queues (uvmpd_scan_inactive + balancing).
class ClockPolicy final : public ReplacementPolicy {
 public:
  std::string_view name() const override { return "clock"; }
  void run(PagedaemonOps& ops) override {
    for (int round = 0; round < 3 && ops.free_pages() < ops.free_target(); round++) {
      // 1. The inactive queue, oldest first: referenced pages get a second
      //    chance, the others are freed.
      std::uint64_t budget = ops.queue_length(PageQueueId::kInactive);
      std::uint32_t pg = ops.first(PageQueueId::kInactive);
      while (pg != PagedaemonOps::kNone && budget-- > 0 && ops.free_pages() < ops.free_target()) {
        std::uint32_t nextpg = ops.next(pg);
        if (ops.referenced(pg)) {
          ops.clear_referenced(pg);
          ops.activate(pg);
        } else {
          ops.evict(pg);
        }
        // Eviction may take neighbours along (clustered write-back): restart
        // from the head if the next page left the queue.
        if (nextpg != PagedaemonOps::kNone && !ops.on_queue(nextpg, PageQueueId::kInactive))
          nextpg = ops.first(PageQueueId::kInactive);
        pg = nextpg;
      }
      if (ops.free_pages() >= ops.free_target()) break;
      // 2. Refill the inactive queue from the active one, clearing the
      //    reference bits: pages used again before the next scan survive.
      const std::uint64_t inactive = ops.queue_length(PageQueueId::kInactive);
      std::uint64_t want = std::max(ops.inactive_target(), ops.free_target() - ops.free_pages());
      std::uint64_t need = want > inactive ? want - inactive : 0;
      pg = ops.first(PageQueueId::kActive);
      while (pg != PagedaemonOps::kNone && need > 0) {
        std::uint32_t nextpg = ops.next(pg);
        ops.clear_referenced(pg);
        ops.deactivate(pg);
        need--;
        pg = nextpg;
      }
    }
  }
};

// FIFO: evict the oldest page, inactive queue first; reference bits ignored.
class FifoPolicy final : public ReplacementPolicy {
 public:
  std::string_view name() const override { return "fifo"; }
  void run(PagedaemonOps& ops) override {
    std::uint64_t failures = 0;
    while (ops.free_pages() < ops.free_target()) {
      const std::uint64_t total =
          ops.queue_length(PageQueueId::kInactive) + ops.queue_length(PageQueueId::kActive);
      if (failures > total) break;  // everything left is unevictable
      std::uint32_t pg = ops.first(PageQueueId::kInactive);
      if (pg == PagedaemonOps::kNone) pg = ops.first(PageQueueId::kActive);
      if (pg == PagedaemonOps::kNone) break;
      if (!ops.evict(pg)) {
        failures++;
        ops.activate(pg);  // to the tail: try the others first
      }
    }
  }
};

}  // namespace

std::unique_ptr<ReplacementPolicy> make_clock_policy() { return std::make_unique<ClockPolicy>(); }
std::unique_ptr<ReplacementPolicy> make_fifo_policy() { return std::make_unique<FifoPolicy>(); }

PageDaemon::PageDaemon(Uvm& uvm) : uvm_(uvm), policy_(make_clock_policy()) {
  const std::uint64_t n = uvm.pm->npages();
  freemin_ = std::max<std::uint64_t>(16, n / 32);
  if (freemin_ > n / 4) freemin_ = n / 4;
  freetarg_ = freemin_ * 4 / 3 + 1;
}

PageDaemon::~PageDaemon() = default;

std::uint64_t PageDaemon::run() {
  if (running_) return 0;
  running_ = true;
  uvm_.cnt.pdwoke++;
  const std::uint64_t before = uvm_.pm->free_count();
  const std::uint64_t t0 = uvm_.now_ns();
  uvm_.emit("pagedaemon-begin", policy_->name(), 0, t0, 0, 0, 0);
  policy_->run(*this);
  running_ = false;
  const std::uint64_t after = uvm_.pm->free_count();
  uvm_.emit("pagedaemon", policy_->name(), 0, t0, uvm_.now_ns() - t0, 0, after > before ? after - before : 0);
  return after > before ? after - before : 0;
}

std::uint64_t PageDaemon::free_pages() const { return uvm_.pm->free_count(); }

std::uint64_t PageDaemon::inactive_target() const {
  return (uvm_.pm->active_count() + uvm_.pm->inactive_count()) / 3;
}

std::uint64_t PageDaemon::queue_length(PageQueueId q) const {
  return q == PageQueueId::kActive ? uvm_.pm->active_count() : uvm_.pm->inactive_count();
}

std::uint32_t PageDaemon::first(PageQueueId q) const {
  Page* pg = uvm_.pm->first(pq(q));
  return pg ? uvm_.pm->index(pg) : kNone;
}

std::uint32_t PageDaemon::next(std::uint32_t frame) const {
  Page* pg = uvm_.pm->next(uvm_.pm->page(frame));
  return pg ? uvm_.pm->index(pg) : kNone;
}

bool PageDaemon::on_queue(std::uint32_t frame, PageQueueId q) const {
  return frame < uvm_.pm->npages() && uvm_.pm->page(frame)->queue() == pq(q);
}

bool PageDaemon::referenced(std::uint32_t frame) {
  return Pmap::is_referenced(uvm_.pm->page(frame));
}

void PageDaemon::clear_referenced(std::uint32_t frame) {
  Pmap::clear_referenced(uvm_.pm->page(frame));
}

bool PageDaemon::dirty(std::uint32_t frame) {
  Page* pg = uvm_.pm->page(frame);
  return !(pg->flags & PG_CLEAN) || Pmap::is_modified(pg);
}

void PageDaemon::activate(std::uint32_t frame) {
  uvm_.cnt.pdreact++;
  uvm_.pm->activate(uvm_.pm->page(frame));
}

void PageDaemon::deactivate(std::uint32_t frame) {
  uvm_.cnt.pddeact++;
  uvm_.pm->deactivate(uvm_.pm->page(frame));
}

bool PageDaemon::evict(std::uint32_t frame) {
  if (frame >= uvm_.pm->npages()) return false;
  Page* pg = uvm_.pm->page(frame);
  uvm_.cnt.pdscans++;
  if (pg->queue() == PageQueue::kFree || pg->queue() == PageQueue::kNone) return false;
  if (pg->loan_count > 0 && pg->uobject() && pg->uobject() != uvm_.loanzero && pg->uanon() &&
      !(pg->flags & PG_BUSY) &&
      (pg->flags & PG_CLEAN) && !Pmap::is_modified(pg)) {
    // A clean object page lent to an anon (O->A): the object lets go of it
    // (it can read the page back from its pager) and the anon adopts it, so
    // the page can be paged out as the anon's next time.
    uvm_pageunmap(*uvm_.pm, pg);
    pg->uobject()->release_clean(pg);
    pg->loan_count--;
    pg->flags |= PG_ANON;
    uvm_.cnt.loan_adopted++;
    uvm_.cnt.pdbusy++;
    return false;
  }
  if ((pg->flags & PG_BUSY) || pg->wire_count > 0 || pg->loan_count > 0) {
    // Busy, wired, or lent out: the kernel may be using it.
    uvm_.cnt.pdbusy++;
    return false;
  }
  if (pg->uanon()) return evict_anon(pg);
  if (UvmObject* obj = pg->uobject()) {
    const voff_t off = pg->offset();
    obj->put(off, off + kPageSize, PGO_CLEANIT | PGO_FREE | PGO_SYNCIO);
    if (pg->queue() == PageQueue::kFree) {
      uvm_.cnt.pdfreed++;
      uvm_.cnt.pdpageouts++;
      return true;
    }
    uvm_.cnt.pdbusy++;
    return false;
  }
  return false;
}

// The frame of an anon whose data is now (only) in swap goes back.
void PageDaemon::release_anon_page(Page* pg) {
  Anon* anon = pg->uanon();
  uvm_.pm->set_anon_page(anon, nullptr);
  pg->set_uanon(nullptr);
  pg->flags &= ~PG_ANON;
  uvm_.pm->free(pg);
  uvm_.swap->swpgonly++;
  uvm_.cnt.pdfreed++;
}

// Page out an anon page. Unmap it (harvesting the modified bit); a clean
// page whose slot holds its data is just freed; a dirty one is rewritten to
// its slot. A dirty page with no slot yet starts a swap cluster: up to
// kSwapCluster unreferenced, dirty, slot-less anon pages that follow it on
// its queue (pages the clock would take next) get contiguous slots and go out
// in one write (uvm_swap_alloc with npages > 1).
bool PageDaemon::evict_anon(Page* pg) {
  Anon* anon = pg->uanon();
  const PageRef ref = trace_page_ref(uvm_, pg);  // before the unmap
  uvm_pageunmap(*uvm_.pm, pg);
  const bool dirty = !(pg->flags & PG_CLEAN) || (pg->mdattrs & PGA_MODIFIED);
  if (!dirty && anon->an_swslot != 0) {
    release_anon_page(pg);
    trace_pageout(uvm_, "anon-clean", ref, 1);
    return true;
  }
  if (!uvm_.swap) {
    uvm_.cnt.pdswapfull++;
    uvm_.pm->activate(pg);
    return false;
  }
  if (anon->an_swslot != 0) {
    if (uvm_.swap->write(anon->an_swslot, uvm_.pm->data(pg), 1) != 0) {
      uvm_.pm->activate(pg);
      return false;
    }
    uvm_.cnt.pgswapout++;
    uvm_.cnt.pdpageouts++;
    release_anon_page(pg);
    trace_io(uvm_, "swap-write", 1);
    trace_pageout(uvm_, "anon", ref, 1);
    return true;
  }
  std::vector<Page*> cluster{pg};
  std::size_t scanned = 0;
  for (Page* q = uvm_.pm->next(pg); q && cluster.size() < kSwapCluster && scanned < 2 * kSwapCluster;
       q = uvm_.pm->next(q), scanned++) {
    if (!q->uanon() || !(q->flags & PG_ANON) || (q->flags & PG_BUSY) || q->wire_count || q->loan_count ||
        q->uanon()->an_swslot != 0 || Pmap::is_referenced(q))
      continue;
    cluster.push_back(q);
  }
  int n = static_cast<int>(cluster.size());
  int slot = uvm_.swap->alloc(n);
  if (slot == 0 && n > 1) {  // no run that long: this page alone
    cluster.resize(1);
    n = 1;
    slot = uvm_.swap->alloc(1);
  }
  if (slot == 0) {
    uvm_.cnt.pdswapfull++;
    uvm_.pm->activate(pg);
    return false;
  }
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(n) * kPageSize);
  std::vector<PageRef> refs{ref};
  for (int i = 0; i < n; i++) {
    if (i > 0) {
      if (uvm_.trace) refs.push_back(trace_page_ref(uvm_, cluster[i]));
      uvm_pageunmap(*uvm_.pm, cluster[i]);
    }
    std::memcpy(buf.data() + static_cast<std::size_t>(i) * kPageSize, uvm_.pm->data(cluster[i]), kPageSize);
  }
  if (uvm_.swap->write(slot, buf.data(), n) != 0) {
    uvm_.swap->free(slot, n);
    for (Page* q : cluster) uvm_.pm->activate(q);
    return false;
  }
  for (int i = 0; i < n; i++) {
    cluster[i]->uanon()->an_swslot = slot + i;
    release_anon_page(cluster[i]);
  }
  uvm_.cnt.pgswapout += static_cast<std::uint64_t>(n);
  uvm_.cnt.pdpageouts++;
  trace_io(uvm_, "swap-write", static_cast<std::uint64_t>(n));
  for (std::size_t i = 0; i < refs.size(); i++) trace_pageout(uvm_, "anon", refs[i], 1);
  return true;
}

}  // namespace uvmsim

#include "core/pagedaemon.h"
#include "core/trace_events.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/anon.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/pv.h"
#include "core/swap_pageio.h"
#include "core/uvm.h"
#include "core/uvm_page.h"
#include "core/uvm_object.h"

namespace uvmsim {

namespace {

PageQueue pq(PageQueueId q) { return q == PageQueueId::kActive ? PageQueue::kActive : PageQueue::kInactive; }

}  // namespace

PageDaemon::PageDaemon(Uvm& uvm) : uvm_(uvm), policy_(make_clock_policy()) {
  const std::uint64_t n = uvm.pm->npages();
  freemin_ = std::max<std::uint64_t>(16, n / 32);
  if (freemin_ > n / 4) freemin_ = n / 4;
  freetarg_ = freemin_ * 4 / 3 + 1;
  uvm.pm->set_observer(this);
}

PageDaemon::~PageDaemon() { uvm_.pm->set_observer(nullptr); }

void PageDaemon::set_policy(std::unique_ptr<ReplacementPolicy> p) {
  policy_ = std::move(p);
  hooks_ = policy_->needs().hooks;
  known_.assign(hooks_ ? uvm_.pm->npages() : 0, PageIdentity{});
  if (!hooks_) return;
  for (PageQueue q : {PageQueue::kInactive, PageQueue::kActive})
    for (Page* pg = uvm_.pm->first(q); pg; pg = uvm_.pm->next(pg)) page_queued(pg);
}

// Pages that can go without a swap slot: clean ones (an anon or aobj page
// whose slot holds its data, a clean file page) and file pages (written
// back to their file).
static bool needs_no_swap(const Page* pg) {
  if (pg->flags & PG_CLEAN) return true;
  const UvmObject* obj = pg->uobject();
  return obj && !pg->uanon() && !obj->anonymous();
}

void PageDaemon::note_reclaimable(const Page* pg) {
  if (futile_ && needs_no_swap(pg)) futile_ = false;
}

bool PageDaemon::futile_still() const {
  if (!futile_) return false;
  const SwapDevice* sw = uvm_.swap.get();
  return sw == futile_swap_ && (!sw || sw->generation() == futile_gen_);
}

void PageDaemon::page_queued(Page* pg) {
  if (futile_ && !running_) note_reclaimable(pg);
  if (!hooks_) return;
  PageIdentity& id = known_[uvm_.pm->index(pg)];
  if (id.frame != PageIdentity::kNoFrame) return;
  // An anon page is named by where it is mapped: one queued before the
  // fault maps it (paged in from swap) is reported at the fault's activate.
  if (pg->uanon() && (pg->flags & PG_ANON) && Pmap::mapping_count(pg) == 0) return;
  id = identity(uvm_.pm->index(pg));
  policy_->page_inserted(id);
}

void PageDaemon::page_freed(Page* pg) {
  if (!hooks_) return;
  PageIdentity& id = known_[uvm_.pm->index(pg)];
  if (id.frame == PageIdentity::kNoFrame) return;
  const PageIdentity gone = id;
  id = PageIdentity{};
  policy_->page_removed(gone, evicting_ ? RemoveReason::kEvicted : RemoveReason::kFreed);
}

// Test-and-clear the reference bit of every queued page and report the
// referenced ones: how a policy that wants every use (LRU, ARC) sees them
// under a real MMU — at the resolution of the daemon's passes.
void PageDaemon::sample_references() {
  for (PageQueue q : {PageQueue::kInactive, PageQueue::kActive}) {
    for (Page* pg = uvm_.pm->first(q); pg; pg = uvm_.pm->next(pg)) {
      if (!Pmap::clear_referenced(pg)) continue;
      const std::uint32_t f = uvm_.pm->index(pg);
      if (hooks_ && known_[f].frame != PageIdentity::kNoFrame) policy_->page_referenced(known_[f]);
      else policy_->page_referenced(identity(f));
    }
  }
}

std::uint64_t PageDaemon::capacity() const { return uvm_.pm->npages(); }
std::uint64_t PageDaemon::now() const { return uvm_.cnt.faults; }

PageIdentity PageDaemon::identity(std::uint32_t frame) {
  PageIdentity id;
  if (frame >= uvm_.pm->npages()) return id;
  id.frame = frame;
  Page* pg = uvm_.pm->page(frame);
  // A stable key: the owner's identity mixed (splitmix64's finaliser).
  auto mix = [](std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  if (pg->uanon() && (pg->flags & PG_ANON)) {
    id.owner = PageOwner::kAnon;
    id.anonymous = true;
    id.object = uvm_.anon_pool.id(pg->uanon());
    id.key = mix(id.object << 2 | 1);
  } else if (UvmObject* obj = pg->uobject()) {
    id.anonymous = std::strcmp(obj->kind(), "vnode") != 0;
    id.owner = id.anonymous ? PageOwner::kAobj : PageOwner::kVnode;
    id.object = reinterpret_cast<std::uintptr_t>(obj);
    id.offset = pg->offset();
    id.key = mix(mix(id.object) ^ ((id.offset >> kPageShift) << 2 | 2));
  }
  id.dirty = dirty(frame);
  Pmap* pmap = nullptr;
  vaddr_t va = 0;
  if (pv_first(pg, &pmap, &va) && pmap) {
    id.space = pmap->id();
    id.vaddr = va;
  }
  return id;
}

std::uint64_t PageDaemon::run(Pass pass) {
  if (running_) return 0;
  if (pass == Pass::kLowMemory && futile_still()) {
    uvm_.cnt.pdskips++;
    return 0;
  }
  running_ = true;
  limited_ = pass == Pass::kLowMemory;
  dirtyreacts_ = 0;
  uvm_.cnt.pdwoke++;
  const std::uint64_t before = uvm_.pm->free_count();
  const std::uint64_t t0 = uvm_.now_ns();
  uvm_.emit("pagedaemon-begin", policy_->name(), 0, t0, 0, 0, 0);
  const PolicyNeeds needs = policy_->needs();
  if (needs.references) sample_references();
  if (needs.tick_every > 0) policy_->tick(*this);
  policy_->run(*this);
  running_ = false;
  limited_ = false;
  const std::uint64_t after = uvm_.pm->free_count();
  futile_ = after <= before && dirtyreacts_ > 0;
  if (futile_) {
    futile_swap_ = uvm_.swap.get();
    futile_gen_ = uvm_.swap ? uvm_.swap->generation() : 0;
  }
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
  evicting_ = true;
  const bool freed = evict_page(uvm_.pm->page(frame));
  evicting_ = false;
  return freed;
}

bool PageDaemon::evict_page(Page* pg) {
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
  if (UvmObject* obj = pg->uobject(); obj && obj->anonymous() && obj->swslot_at(pg->offset()) == 0) {
    // An anonymous object's page with no slot yet: a swap cluster, as for
    // an anon's (a page with a slot is rewritten or dropped by its pager).
    const PageRef ref = trace_page_ref(uvm_, pg);  // before the unmap
    uvm_pageunmap(*uvm_.pm, pg);
    if (!uvm_.swap) {
      swap_full(pg);
      return false;
    }
    return swap_cluster_out(pg, ref);
  }
  if (UvmObject* obj = pg->uobject()) {
    const voff_t off = pg->offset();
    const int err = obj->put(off, off + kPageSize, PGO_CLEANIT | PGO_FREE | PGO_SYNCIO);
    if (pg->queue() == PageQueue::kFree) {
      uvm_.cnt.pdfreed++;
      uvm_.cnt.pdpageouts++;
      return true;
    }
    // An anonymous object's page found no swap slot: a full swap, counted
    // as for an anon page (the give-up and futile-pass logic above).
    if (err == ENOSPC && obj->anonymous()) {
      swap_full(pg);
      return false;
    }
    // The write-back failed (a host I/O error): the page keeps its data,
    // dirty. Back to the active queue, as a dirty page the daemon could not
    // clean, so that the inactive queue fills with other pages and this
    // one is tried again later.
    if (!(pg->flags & PG_CLEAN) && pg->queue() == PageQueue::kInactive) uvm_.pm->activate(pg);
    uvm_.cnt.pdbusy++;
    return false;
  }
  return false;
}

// NetBSD reactivates such a page "so that we eventually cycle all pages
// thru the inactive queue", and counts it towards UVMPD_NUMDIRTYREACTS.
void PageDaemon::swap_full(Page* pg) {
  uvm_.cnt.pdswapfull++;
  dirtyreacts_++;
  uvm_.pm->activate(pg);
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
// its slot. A page with no slot yet starts a swap cluster.
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
    swap_full(pg);
    return false;
  }
  if (anon->an_swslot != 0) {
    if (uvm_.swap->write(anon->an_swslot, uvm_.pm->data(pg), 1) != 0) {
      // The slot may hold half-written bytes: let it go. The page keeps
      // the only copy, dirty, and goes out again at a later pass.
      uvm_.cnt.pgswapouterr++;
      uvm_.swap->free(anon->an_swslot, 1);
      anon->an_swslot = 0;
      pg->flags &= ~PG_CLEAN;
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
  return swap_cluster_out(pg, ref);
}

// A page that may join a swap cluster: swap-backed (an anon's, or an
// anonymous object's, not lent), with no slot yet, not busy, wired or
// recently referenced.
bool PageDaemon::swap_cluster_candidate(const Page* q) const {
  if ((q->flags & PG_BUSY) || q->wire_count || q->loan_count || Pmap::is_referenced(q)) return false;
  if (q->uanon()) return (q->flags & PG_ANON) && q->uanon()->an_swslot == 0;
  const UvmObject* obj = q->uobject();
  return obj && obj->anonymous() && obj->swslot_at(q->offset()) == 0;
}

// uvmpd_scan_queue's swap cluster (swapcluster_add / swapcluster_flush):
// pg, unmapped and with no slot, and up to kSwapCluster - 1 candidates that
// follow it on its queue (the pages the clock would take next) get
// contiguous slots and go out in one write (uvm_swap_alloc with npages > 1).
// Anon pages and anonymous objects' pages (aobj, the shadow model's
// objects) go together, as NetBSD's cluster takes both; each owner is told
// its page's slot.
bool PageDaemon::swap_cluster_out(Page* pg, const PageRef& ref) {
  std::vector<Page*> cluster{pg};
  std::size_t scanned = 0;
  for (Page* q = uvm_.pm->next(pg); q && cluster.size() < kSwapCluster && scanned < 2 * kSwapCluster;
       q = uvm_.pm->next(q), scanned++)
    if (swap_cluster_candidate(q)) cluster.push_back(q);
  int n = static_cast<int>(cluster.size());
  int slot = uvm_.swap->alloc(n);
  if (slot == 0 && n > 1) {  // no run that long: this page alone
    cluster.resize(1);
    n = 1;
    slot = uvm_.swap->alloc(1);
  }
  if (slot == 0) {
    swap_full(pg);
    return false;
  }
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(n) * kPageSize);
  std::vector<PageRef> refs{ref};
  std::vector<const char*> kinds;
  for (int i = 0; i < n; i++) {
    Page* q = cluster[i];
    kinds.push_back(q->uanon() ? "anon" : q->uobject()->kind());
    if (i > 0) {
      if (uvm_.trace) refs.push_back(trace_page_ref(uvm_, q));
      uvm_pageunmap(*uvm_.pm, q);
    }
    std::memcpy(buf.data() + static_cast<std::size_t>(i) * kPageSize, uvm_.pm->data(q), kPageSize);
  }
  if (uvm_.swap->write(slot, buf.data(), n) != 0) {
    // Nothing was given up yet: the pages (no slot, the only copy) stay in
    // memory, dirty, and are tried again at a later pass.
    uvm_.cnt.pgswapouterr += static_cast<std::uint64_t>(n);
    uvm_.swap->free(slot, n);
    for (Page* q : cluster) {
      if (!q->uanon()) q->flags &= ~PG_CLEAN;
      uvm_.pm->activate(q);
    }
    return false;
  }
  for (int i = 0; i < n; i++) {
    Page* q = cluster[i];
    if (Anon* anon = q->uanon()) {
      anon->an_swslot = slot + i;
      release_anon_page(q);
    } else {
      UvmObject* obj = q->uobject();
      obj->set_swslot_at(q->offset(), slot + i);
      uvm_object_swapped_out(*obj, q);
      uvm_.cnt.pdfreed++;
    }
  }
  uvm_.cnt.pgswapout += static_cast<std::uint64_t>(n);
  uvm_.cnt.pdpageouts++;
  trace_io(uvm_, "swap-write", static_cast<std::uint64_t>(n));
  for (std::size_t i = 0; i < refs.size(); i++) trace_pageout(uvm_, kinds[i], refs[i], 1);
  return true;
}

}  // namespace uvmsim

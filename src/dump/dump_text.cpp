// dump_text: the dump for eyes. One line per map entry, then its amap and
// runs of alike anons, its object and runs of alike resident pages, and a
// summary of the page queues. docs/user-guide.md walks through an example.
#include <algorithm>

#include "dump/dump_runs.h"
#include "fmt/format.h"
#include "uvmsim/dump.h"

namespace uvmsim {

using dump_detail::Run;

namespace {

std::string page_text(const DumpPage& p) {
  std::string s = fmt::format("{}", p.queue);
  if (p.loan_count) s += fmt::format(", loaned {}", p.loan_count);
  if (p.wire_count) s += fmt::format(", wired {}", p.wire_count);
  if (p.mappings > 1) s += fmt::format(", {} mappings", p.mappings);
  return s;
}

template <typename F>
void for_shown_runs(const std::vector<Run>& runs, std::string& out, std::string_view indent, F&& f) {
  const std::size_t n = runs.size();
  const std::size_t half = dump_detail::kMaxRunsShown / 2;
  for (std::size_t i = 0; i < n; i++) {
    if (n > dump_detail::kMaxRunsShown && i == half) {
      out += fmt::format("{}... {} more runs ...\n", indent, n - 2 * half);
      i = n - half;
    }
    f(runs[i]);
  }
}

}  // namespace

std::string dump_text(const SpaceDump& d) {
  std::string out = fmt::format("dump {} (pid {}, anon model {}): {} entries, {} amaps, {} objects\n",
                                d.process, d.pid, d.anon_model, d.entries.size(), d.amaps.size(),
                                d.objects.size());
  for (const DumpEntry& e : d.entries) {
    out += fmt::format("entry {:#x}-{:#x} ({} pages) {} {} max {} inherit {} advice {}", e.start, e.end,
                       (e.end - e.start) >> kPageShift, e.sharing == Sharing::kShared ? "shared" : "private",
                       prot_name(e.prot), prot_name(e.max_prot), to_string(e.inherit), to_string(e.advice));
    if (e.wired_count) out += fmt::format(" wired {}", e.wired_count);
    if (e.cow) out += " copy-on-write";
    if (e.needs_copy) out += " needs-copy";
    out += '\n';
    if (e.amap >= 0) {
      const DumpAmap& a = d.amaps[static_cast<std::size_t>(e.amap)];
      out += fmt::format("  amap #{}: slots {}..{} of {} ({} used, {} allocated), refs {}{}, ppref {}", a.id,
                         e.amap_pageoff, e.amap_pageoff + ((e.end - e.start) >> kPageShift) - 1, a.nslot,
                         a.nused, a.maxslot, a.refs, a.shared ? ", shared" : "", a.ppref);
      if (!a.ppref_runs.empty()) {
        out += " [";
        for (std::size_t i = 0; i < a.ppref_runs.size(); i++)
          out += fmt::format("{}{}x{}", i ? " " : "", a.ppref_runs[i].ref, a.ppref_runs[i].len);
        out += "]";
      }
      out += '\n';
      const auto runs = dump_detail::anon_runs(e.anons);
      for_shown_runs(runs, out, "    ", [&](const Run& r) {
        const DumpAnon& f = e.anons[r.first];
        const DumpAnon& l = e.anons[r.first + r.count - 1];
        if (r.count == 1)
          out += fmt::format("    anon {} slot {} {:#x}: ref {}", f.id, f.slot, f.va, f.refs);
        else
          out += fmt::format("    anons slots {}-{} {:#x}-{:#x} ({}): ref {}", f.slot, l.slot, f.va,
                             l.va + kPageSize, r.count, f.refs);
        if (f.resident) {
          std::uint32_t lo = f.page.frame, hi = f.page.frame;
          for (std::size_t i = r.first; i < r.first + r.count; i++) {
            lo = std::min(lo, e.anons[i].page.frame);
            hi = std::max(hi, e.anons[i].page.frame);
          }
          out += fmt::format(", resident frame{} {} ({})", r.count > 1 ? "s" : "",
                             dump_detail::frame_span(lo, hi), page_text(f.page));
          if (f.swslot) out += r.count > 1 ? ", swap slots kept" : fmt::format(", swap slot {} kept", f.swslot);
        } else if (f.swslot) {
          out += r.count > 1 ? ", in swap" : fmt::format(", in swap slot {}", f.swslot);
        }
        if (!f.shared_with.empty()) out += ", also in " + dump_detail::sharer_names(f.shared_with);
        out += '\n';
      });
    }
    for (const DumpChainLink& l : e.chain) {
      out += fmt::format("  {}object S{}: index {}, refs {}, shadows {}, size {}, backing offset {}{}: {} resident, "
                         "{} in swap; this entry sees {} resident, {} in swap",
                         l.depth == 0 ? "" : fmt::format("{:>{}}backing ", "", 2 * (l.depth - 1)), l.object, l.index,
                         l.refs, l.shadow_count, l.size, l.backing_offset, l.one_mapping ? ", one-mapping" : "",
                         l.resident, l.swapped, l.seen, l.seen_swapped);
      if (!l.shared_with.empty()) out += ", also in " + dump_detail::sharer_names(l.shared_with);
      out += '\n';
    }
    if (e.object >= 0) {
      const DumpObject& o = d.objects[static_cast<std::size_t>(e.object)];
      out += fmt::format("  object #{} {}{}: offset {:#x}, refs {}, {} resident, {} in swap ({} of this entry)",
                         o.id, o.kind, o.name.empty() ? "" : fmt::format(" '{}'", o.name), e.offset, o.refs,
                         o.resident, o.swap_blocks, e.object_swapped);
      if (!o.mapped_by.empty()) out += ", also mapped by " + dump_detail::sharer_names(o.mapped_by);
      out += '\n';
      const auto runs = dump_detail::object_page_runs(e.object_pages);
      for_shown_runs(runs, out, "    ", [&](const Run& r) {
        const DumpObjectPage& f = e.object_pages[r.first];
        const DumpObjectPage& l = e.object_pages[r.first + r.count - 1];
        if (r.count == 1)
          out += fmt::format("    page offset {:#x} {:#x}: frame {} ({}{})", f.offset, f.va, f.page.frame,
                             page_text(f.page), f.page.dirty ? ", dirty" : "");
        else
          out += fmt::format("    pages offsets {:#x}-{:#x} {:#x}-{:#x} ({}): frames {}-{} ({}{})", f.offset,
                             l.offset + kPageSize, f.va, l.va + kPageSize, r.count, f.page.frame, l.page.frame,
                             page_text(f.page), f.page.dirty ? ", dirty" : "");
        if (!f.shared_with.empty()) out += ", also mapped by " + dump_detail::sharer_names(f.shared_with);
        out += '\n';
      });
    }
  }
  const DumpQueues& q = d.queues;
  out += fmt::format(
      "queues: {} pages: {} free, {} active, {} inactive, {} wired; {}'s pages: {} active, {} inactive, {} on no queue\n",
      q.npages, q.free, q.active, q.inactive, q.wired, d.process, q.proc_active, q.proc_inactive, q.proc_none);
  return out;
}

}  // namespace uvmsim

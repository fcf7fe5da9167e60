// dump_dot: the dump as a Graphviz digraph, left to right:
//   process -> map entries -> amap -> runs of alike anons -> their pages
//                          |-> shadow object -> backing object -> ...
//                          \-> object -> runs of alike resident pages
// and dashed edges from anons / pages to the other processes that share
// them. Runs of alike items are one node each (dump_runs.h), and an entry
// with very many runs shows the first and last ones, so a few processes with
// a few hundred pages stay readable with `dot -Tpng`.
#include <algorithm>
#include <set>

#include "dump/dump_runs.h"
#include "fmt/format.h"
#include "uvmsim/dump.h"

namespace uvmsim {

using dump_detail::Run;

namespace {

// Graphviz label text: quotes and backslashes escaped, newlines as \n.
std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// Process names come from scripts or API callers: quote them as node ids.
std::string proc_id(std::string_view name) { return "\"proc_" + esc(name) + "\""; }

std::string page_label(const DumpPage& p) {
  std::string s = p.queue;
  if (p.loan_count) s += fmt::format("\nloaned {}", p.loan_count);
  if (p.wire_count) s += fmt::format("\nwired {}", p.wire_count);
  return s;
}

}  // namespace

std::string dump_dot(const SpaceDump& d) {
  std::string out = "digraph uvmsim {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
                    "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  auto node = [&](const std::string& id, const std::string& label, std::string_view attrs) {
    out += fmt::format("  {} [label=\"{}\"{}{}];\n", id, esc(label), attrs.empty() ? "" : ", ", attrs);
  };
  auto edge = [&](const std::string& a, const std::string& b, std::string_view attrs = {}) {
    out += fmt::format("  {} -> {}{}{}{};\n", a, b, attrs.empty() ? "" : " [", attrs, attrs.empty() ? "" : "]");
  };
  std::set<std::string> others;
  std::set<std::uint64_t> chain_nodes;
  std::set<std::pair<std::uint64_t, std::uint64_t>> chain_edges;
  auto share_edges = [&](const std::string& from, const std::vector<DumpSharer>& s) {
    std::set<std::string> seen;
    for (const DumpSharer& x : s) {
      if (!seen.insert(x.process).second) continue;
      others.insert(x.process);
      edge(from, proc_id(x.process), "style=dashed, color=\"#b03030\", label=\"also in\"");
    }
  };

  const std::string proc = proc_id(d.process);
  node(proc, fmt::format("process {}\npid {}", d.process, d.pid), "shape=ellipse, style=filled, fillcolor=\"#d0e0ff\"");
  for (const DumpAmap& a : d.amaps)
    node(fmt::format("amap{}", a.id),
         fmt::format("amap #{}\n{} slots, {} used\nrefs {}{}\nppref {}", a.id, a.nslot, a.nused, a.refs,
                     a.shared ? ", shared" : "", a.ppref),
         "shape=box3d, style=filled, fillcolor=\"#fff0c0\"");
  for (const DumpObject& o : d.objects) {
    const std::string id = fmt::format("obj{}", o.id);
    node(id,
         fmt::format("{}{}\nrefs {}\n{} resident, {} in swap", o.kind, o.name.empty() ? "" : " '" + o.name + "'",
                     o.refs, o.resident, o.swap_blocks),
         "shape=cylinder, style=filled, fillcolor=\"#e0f0e0\"");
    share_edges(id, o.mapped_by);
  }

  for (std::size_t ei = 0; ei < d.entries.size(); ei++) {
    const DumpEntry& e = d.entries[ei];
    const std::string eid = fmt::format("e{}", ei);
    std::string flags;
    if (e.cow) flags += " cow";
    if (e.needs_copy) flags += " needs-copy";
    if (e.wired_count) flags += fmt::format(" wired {}", e.wired_count);
    node(eid,
         fmt::format("{:#x}-{:#x}\n{} pages, {} {} (max {})\ninherit {}{}", e.start, e.end,
                     (e.end - e.start) >> kPageShift, e.sharing == Sharing::kShared ? "shared" : "private",
                     prot_name(e.prot), prot_name(e.max_prot), to_string(e.inherit), flags),
         "shape=box");
    edge(proc, eid);
    if (e.amap >= 0) {
      const std::string aid = fmt::format("amap{}", e.amap);
      edge(eid, aid, fmt::format("label=\"slot {}\"", e.amap_pageoff));
      const auto runs = dump_detail::anon_runs(e.anons);
      const std::size_t half = dump_detail::kMaxRunsShown / 2;
      for (std::size_t ri = 0; ri < runs.size(); ri++) {
        if (runs.size() > dump_detail::kMaxRunsShown && ri == half) {
          const std::string mid = fmt::format("e{}more", ei);
          node(mid, fmt::format("... {} more runs", runs.size() - 2 * half), "shape=plaintext");
          edge(aid, mid);
          ri = runs.size() - half;
        }
        const Run& r = runs[ri];
        const DumpAnon& f = e.anons[r.first];
        const DumpAnon& l = e.anons[r.first + r.count - 1];
        const std::string nid = fmt::format("e{}a{}", ei, ri);
        node(nid,
             r.count == 1 ? fmt::format("anon {}\nslot {}\nref {}", f.id, f.slot, f.refs)
                          : fmt::format("{} anons\nslots {}-{}\nref {}", r.count, f.slot, l.slot, f.refs),
             f.refs > 1 ? "shape=box, style=\"rounded,filled\", fillcolor=\"#ffd8b0\"" : "shape=box, style=rounded");
        edge(aid, nid);
        const std::string pid = nid + "p";
        if (f.resident) {
          std::uint32_t lo = f.page.frame, hi = f.page.frame;
          for (std::size_t i = r.first; i < r.first + r.count; i++) {
            lo = std::min(lo, e.anons[i].page.frame);
            hi = std::max(hi, e.anons[i].page.frame);
          }
          node(pid,
               fmt::format("{} {}\n{}", r.count == 1 ? "frame" : "frames", dump_detail::frame_span(lo, hi),
                           page_label(f.page)),
               f.page.loan_count ? "shape=note, style=filled, fillcolor=\"#f0c0f0\"" : "shape=note");
          edge(nid, pid);
        } else if (f.swslot) {
          node(pid, r.count == 1 ? fmt::format("swap slot {}", f.swslot) : fmt::format("{} swap slots", r.count),
               "shape=note, style=dashed");
          edge(nid, pid);
        }
        share_edges(nid, f.shared_with);
      }
    }
    // Shadow model: the entry's chain, first object first; an object shared
    // by several entries (or backing several shadows) is one node.
    for (std::size_t k = 0; k < e.chain.size(); k++) {
      const DumpChainLink& l = e.chain[k];
      const std::string sid = fmt::format("S{}", l.object);
      if (chain_nodes.insert(l.object).second) {
        node(sid,
             fmt::format("object S{}\nrefs {}, shadows {}{}\nsize {}\n{} resident, {} in swap", l.object, l.refs,
                         l.shadow_count, l.one_mapping ? "\none-mapping" : "", l.size, l.resident, l.swapped),
             l.refs > 1 ? "shape=box3d, style=filled, fillcolor=\"#ffd8b0\""
                        : "shape=box3d, style=filled, fillcolor=\"#fff0c0\"");
        share_edges(sid, l.shared_with);
      }
      const std::string label = fmt::format("label=\"index {}\\nsees {}{}\"", l.index, l.seen,
                                            l.seen_swapped ? fmt::format(" + {} in swap", l.seen_swapped) : "");
      if (k == 0) {
        edge(eid, sid, label);
      } else if (chain_edges.insert({e.chain[k - 1].object, l.object}).second) {
        edge(fmt::format("S{}", e.chain[k - 1].object), sid,
             fmt::format("label=\"backing +{}\", style=bold", e.chain[k - 1].backing_offset));
      }
    }
    if (e.object >= 0) {
      const std::string oid = fmt::format("obj{}", e.object);
      edge(eid, oid, fmt::format("label=\"offset {:#x}\"", e.offset));
      const auto runs = dump_detail::object_page_runs(e.object_pages);
      const std::size_t half = dump_detail::kMaxRunsShown / 2;
      for (std::size_t ri = 0; ri < runs.size(); ri++) {
        if (runs.size() > dump_detail::kMaxRunsShown && ri == half) {
          const std::string mid = fmt::format("e{}omore", ei);
          node(mid, fmt::format("... {} more runs", runs.size() - 2 * half), "shape=plaintext");
          edge(oid, mid);
          ri = runs.size() - half;
        }
        const Run& r = runs[ri];
        const DumpObjectPage& f = e.object_pages[r.first];
        const DumpObjectPage& l = e.object_pages[r.first + r.count - 1];
        const std::string nid = fmt::format("e{}o{}", ei, ri);
        node(nid,
             r.count == 1 ? fmt::format("offset {:#x}\nframe {}\n{}", f.offset, f.page.frame, page_label(f.page))
                          : fmt::format("offsets {:#x}-{:#x}\nframes {}-{}\n{}", f.offset, l.offset + kPageSize,
                                        f.page.frame, l.page.frame, page_label(f.page)),
             f.page.loan_count ? "shape=note, style=filled, fillcolor=\"#f0c0f0\"" : "shape=note");
        edge(oid, nid);
        share_edges(nid, f.shared_with);
      }
    }
  }
  for (const std::string& o : others)
    node(proc_id(o), "process " + o, "shape=ellipse, style=filled, fillcolor=\"#e8e8e8\"");
  const DumpQueues& q = d.queues;
  node("queues",
       fmt::format("page queues ({} pages)\nfree {}  active {}\ninactive {}  wired {}", q.npages, q.free, q.active,
                   q.inactive, q.wired),
       "shape=plaintext");
  out += "}\n";
  return out;
}

}  // namespace uvmsim

// dump_json: the dump as one JSON document (schema in docs/user-guide.md,
// "The dump's JSON schema"). Every anon and resident page is listed;
// addresses, offsets and counts are numbers.
#include "dump/json_writer.h"
#include "fmt/format.h"
#include "uvmsim/dump.h"

namespace uvmsim {

namespace {

// Addresses and offsets are JSON numbers: user space ends below 2^47 and files
// below 2^36, so every value is exact in a double (2^53).
std::uint64_t hex(std::uint64_t v) { return v; }

void page_json(JsonWriter& w, const DumpPage& p) {
  w.begin_object()
      .field("frame", static_cast<std::uint64_t>(p.frame))
      .field("queue", p.queue)
      .field("loan_count", static_cast<unsigned>(p.loan_count))
      .field("wire_count", static_cast<unsigned>(p.wire_count))
      .field("dirty", p.dirty)
      .field("mappings", p.mappings)
      .end_object();
}

void sharers_json(JsonWriter& w, std::string_view key, const std::vector<DumpSharer>& s) {
  w.key(key).begin_array();
  for (const DumpSharer& x : s) w.begin_object().field("process", x.process).field("va", hex(x.va)).end_object();
  w.end_array();
}

}  // namespace

std::string dump_json(const SpaceDump& d) {
  JsonWriter w;
  w.begin_object()
      .field("schema", kDumpSchemaVersion)
      .field("process", d.process)
      .field("pid", d.pid)
      .field("anon_model", d.anon_model);
  w.key("entries").begin_array();
  for (const DumpEntry& e : d.entries) {
    w.begin_object()
        .field("start", hex(e.start))
        .field("end", hex(e.end))
        .field("pages", static_cast<std::uint64_t>((e.end - e.start) >> kPageShift))
        .field("sharing", e.sharing == Sharing::kShared ? "shared" : "private")
        .field("prot", prot_name(e.prot))
        .field("max_prot", prot_name(e.max_prot))
        .field("inherit", to_string(e.inherit))
        .field("advice", to_string(e.advice))
        .field("wired_count", e.wired_count)
        .field("copy_on_write", e.cow)
        .field("needs_copy", e.needs_copy);
    w.key("amap");
    if (e.amap >= 0) w.begin_object().field("id", e.amap).field("pageoff", e.amap_pageoff).end_object();
    else w.null();
    w.key("anons").begin_array();
    for (const DumpAnon& a : e.anons) {
      w.begin_object()
          .field("id", static_cast<std::uint64_t>(a.id))
          .field("slot", a.slot)
          .field("va", hex(a.va))
          .field("refs", a.refs)
          .field("resident", a.resident);
      w.key("page");
      if (a.resident) page_json(w, a.page);
      else w.null();
      w.field("swslot", a.swslot);
      sharers_json(w, "shared_with", a.shared_with);
      w.end_object();
    }
    w.end_array();
    w.key("chain").begin_array();
    for (const DumpChainLink& l : e.chain) {
      w.begin_object()
          .field("object", l.object)
          .field("depth", l.depth)
          .field("refs", l.refs)
          .field("shadow_count", l.shadow_count)
          .field("index", l.index)
          .field("backing_offset", l.backing_offset)
          .field("size", l.size)
          .field("resident", l.resident)
          .field("swapped", l.swapped)
          .field("seen", l.seen)
          .field("seen_swapped", l.seen_swapped)
          .field("one_mapping", l.one_mapping);
      sharers_json(w, "shared_with", l.shared_with);
      w.end_object();
    }
    w.end_array();
    w.key("object");
    if (e.object >= 0)
      w.begin_object().field("id", e.object).field("offset", hex(e.offset)).field("swapped", e.object_swapped).end_object();
    else w.null();
    w.key("object_pages").begin_array();
    for (const DumpObjectPage& p : e.object_pages) {
      w.begin_object().field("offset", hex(p.offset)).field("va", hex(p.va)).key("page");
      page_json(w, p.page);
      sharers_json(w, "shared_with", p.shared_with);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("amaps").begin_array();
  for (const DumpAmap& a : d.amaps) {
    w.begin_object()
        .field("id", a.id)
        .field("nslot", a.nslot)
        .field("maxslot", a.maxslot)
        .field("nused", a.nused)
        .field("refs", a.refs)
        .field("shared", a.shared)
        .field("ppref", a.ppref);
    w.key("ppref_runs").begin_array();
    for (const DumpPprefRun& r : a.ppref_runs) w.begin_object().field("ref", r.ref).field("len", r.len).end_object();
    w.end_array().end_object();
  }
  w.end_array();
  w.key("objects").begin_array();
  for (const DumpObject& o : d.objects) {
    w.begin_object()
        .field("id", o.id)
        .field("kind", o.kind)
        .field("name", o.name)
        .field("refs", o.refs)
        .field("resident", o.resident)
        .field("swap_blocks", o.swap_blocks);
    sharers_json(w, "mapped_by", o.mapped_by);
    w.end_object();
  }
  w.end_array();
  const DumpQueues& q = d.queues;
  w.key("queues")
      .begin_object()
      .field("npages", q.npages)
      .field("free", q.free)
      .field("active", q.active)
      .field("inactive", q.inactive)
      .field("wired", q.wired)
      .field("process_active", q.proc_active)
      .field("process_inactive", q.proc_inactive)
      .field("process_none", q.proc_none)
      .end_object();
  w.end_object();
  return w.take();
}

}  // namespace uvmsim

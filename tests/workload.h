// The randomized workload shared by the random test, the differential test
// and the CLI's random-scenario test: one generator of operations, one
// reference model of what every process and every borrower must see, one
// executor that applies an operation to machines through the public API and
// compares, and one printer of operations as scenario-language lines with the
// model's expected output. A new operation is added here once (generator,
// model, executor, printer); a new machine axis once (MachineAxis).
//
// The model knows nothing of amaps, anons, pmaps or page queues: it is the
// specification's view (docs/scenario-language.md). Each process page points
// at what it shows:
//   - a shared mapping shows a page of a memory object (a backing file, or the
//     anonymous object of a shared anonymous mapping); every sharer writes it;
//   - a private mapping has an anonymous layer of its own (a Slot): once
//     written the slot holds a private copy (a Cell); until then the page
//     shows its object's page (a private file mapping, or a `copy` inherited
//     from a shared file mapping: the child keeps seeing the parent's later
//     writes to pages it has not written) or zeros. A `copy` of shared
//     anonymous memory is a snapshot, as NetBSD's amap-backed shared memory.
// Fork copies Slots for `copy`, shares them for `share` (both processes then
// write the same anonymous page), makes fresh zero memory for `zero`. A loan
// snapshots the bytes the lender sees. mlock of a writable private page
// copies it (the wiring fault is a write fault), so it stops showing its
// object. madvise `free` may or may not discard a private page (NetBSD keeps
// pages shared copy-on-write): its bytes become unknown until written, and
// reads of unknown bytes are not compared.
//
// A failing run leaves its operations as a scenario in $TMPDIR (the path is
// printed); `uvmsim run` replays it, and so does
// UVMSIM_REPLAY=FILE uvmsim_tests "[.replay]" against the model.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "uvmsim/loan.h"
#include "uvmsim/machine.h"
#include "uvmsim/process.h"

namespace uvmsim::workload {

// ---------------------------------------------------------------------------
// Machine configurations the tests are parameterised over.

// One point of the configuration space. Machines that agree on everything
// but the backend must agree on every counter; machines with different
// anonymous-memory models (amap | shadow) agree only on what processes see.
struct MachineAxis {
  Backend backend = Backend::kSoft;
  AnonModel anon = AnonModel::kAmap;

  std::string name() const;
  // Machines in one class must agree on every counter, byte and outcome.
  std::string equivalence_class() const { return std::string(to_string(anon)); }
  void apply(MachineConfig* cfg) const {
    cfg->backend = backend;
    cfg->anon_model = anon;
  }
  // `--backend X` for `uvmsim run`.
  std::vector<std::string> cli_args() const;
};

// Every configuration the build knows.
std::vector<MachineAxis> all_axes();
// The ones that can run on this host (soft always; kvm when usable). *skipped
// gets "kvm: why" for each one left out.
std::vector<MachineAxis> usable_axes(std::string* skipped = nullptr);
// The configuration this test binary runs as (UVMSIM_TEST_BACKEND and
// UVMSIM_TEST_ANON, see helpers.h: ctest runs the suite once per backend and
// once more on the shadow model).
MachineAxis axis_from_env();

// The size of the machine a workload runs on.
struct Regime {
  std::uint64_t mem_pages = 2048;
  std::uint64_t swap_pages = 16384;
  bool ppref = true;
  // Tiny machines: every frame may end up wired or lent, so a fork may fail
  // with ENOMEM and an access may get its process killed (out of memory).
  bool may_oom() const { return mem_pages * kPageSize < (1ull << 20); }
  std::string describe() const;
};

// ---------------------------------------------------------------------------
// Operations.

enum class OpKind : std::uint8_t {
  kMmapAnon,
  kMmapFile,
  kMunmap,
  kMprotect,
  kMinherit,
  kMadvise,
  kMlock,
  kMunlock,
  kMsync,
  kWrite,
  kFill,
  kRead,
  kSum,
  kFork,
  kExit,
  kLoan,
  kKread,
  kUnloan,
  kCount
};
const char* op_name(OpKind k);

struct Op {
  OpKind kind = OpKind::kRead;
  int proc = 0;   // the acting process (model id); loans: the lender
  int other = 0;  // fork: the child's id; loan/kread/unloan: the loan's id
  vaddr_t addr = 0;
  std::uint64_t len = 0;
  Prot prot = kProtNone;
  Sharing sharing = Sharing::kPrivate;
  int file = 0;
  voff_t offset = 0;
  Inherit inherit = Inherit::kCopy;
  Madvise advice = Madvise::kNormal;
  MsyncMode msync = MsyncMode::kSync;
  LoanTo loan_to = LoanTo::kKernel;
  std::uint8_t byte = 0;            // fill
  std::vector<std::uint8_t> data;   // write
};

// How often each operation is drawn (relative weights) and which features a
// workload uses.
struct Mix {
  int weight[static_cast<int>(OpKind::kCount)] = {};
  int max_procs = 6;
  int window_pages = 48;            // each process maps inside [kBase, +window)
  bool odd_args = false;            // unaligned addresses, odd and zero lengths
  bool files = false;               // backing files for file mappings
  // Byte ranges may start below the window and end above it.
  bool straddle_window = true;
  // `minherit share` on private pages that show an object (private file
  // mappings, `copy` children of shared mappings): when one sharer promotes
  // the object's page into the shared amap (fault case 2B), every sharer
  // sees the new anon (uvm_fault_lower_promote removes the object page from
  // every pmap). Off: such a minherit is drawn as `copy`.
  bool share_private_objects = true;

  int& w(OpKind k) { return weight[static_cast<int>(k)]; }
  int w(OpKind k) const { return weight[static_cast<int>(k)]; }
};
// The random test's mix (with or without loans), the differential test's and
// the scenario test's.
Mix random_mix(bool loans);
Mix differential_mix();
Mix scenario_mix();

inline constexpr vaddr_t kBase = 0x40000000;

// A backing file the workload creates before its first operation.
struct FileSpec {
  std::uint64_t pages;
  std::uint8_t fill;
};
std::vector<FileSpec> workload_files(const Mix& mix);

// ---------------------------------------------------------------------------
// The reference model.

// 4 KiB of bytes and which of them are known (empty mask: all known).
struct PageData {
  std::vector<std::uint8_t> bytes = std::vector<std::uint8_t>(kPageSize, 0);
  std::vector<std::uint8_t> known;  // per byte, 1 = known; empty = all known
  bool all_known() const { return known.empty(); }
  bool is_known(std::size_t i) const { return known.empty() || known[i]; }
};
using Cell = std::shared_ptr<PageData>;

// A memory object: a backing file or the object of a shared anonymous mapping.
struct MemObject {
  std::vector<Cell> pages;
  bool file = false;
};
// The anonymous layer of one private page; shared by the processes that
// inherited the mapping with `share`.
struct Slot {
  Cell anon;  // null: not written yet, the page shows its object (or zeros)
};

struct VPage {
  Prot prot = kProtNone;
  Inherit inherit = Inherit::kCopy;
  bool shared_mapping = false;
  bool wired = false;
  std::shared_ptr<MemObject> object;  // null: zero-fill
  std::uint64_t object_page = 0;
  std::shared_ptr<Slot> slot;  // private mappings only
};

struct ProcModel {
  int id = 0;
  std::map<std::uint64_t, VPage> pages;  // by virtual page number
};

struct LoanModel {
  int id = 0;
  std::vector<PageData> snapshot;
};

// What an operation must do, as far as the model can tell.
struct Expect {
  // Status-returning operations: the errno wanted (0 = OK), and one more the
  // model accepts (-1 = none): EBUSY for a loan when some page is wired
  // (wiring follows physical pages the model does not track), ENOMEM for a
  // fork on a tiny machine.
  int err = 0;
  int alt_err = -1;
  int alt_err2 = -1;  // a second accepted errno (mlock: EAGAIN past uvmexp.wiredmax)
  // Accesses.
  Outcome outcome = Outcome::kOk;
  std::uint64_t done = 0;
  std::vector<std::uint8_t> bytes;  // read, sum, kread: the first `done` bytes
  std::vector<std::uint8_t> known;  // per byte (empty: all known)
  bool may_kill = false;            // a tiny machine may kill the process instead
  // The machine's answer is fully determined by the model (what a scenario
  // with expected output needs).
  bool determined = true;

  bool all_known() const { return known.empty(); }
};

// What a machine did (the first machine's answer, after every machine agreed).
struct Observed {
  int err = 0;
  Outcome outcome = Outcome::kOk;
  std::uint64_t done = 0;
};

class Model {
 public:
  // The regime matters where the machine may legitimately fail: on a tiny
  // machine forks may fail and accesses may kill; without swap, dirty
  // anonymous-object pages cannot be cleaned for msync(MS_INVALIDATE).
  Model(const Mix& mix, const std::vector<FileSpec>& files, const Regime& regime);

  Expect expect(const Op& op) const;
  // Applies op given what the machines did (a fork or loan that failed, a
  // kill, the bytes stored before a fault).
  void apply(const Op& op, const Observed& obs);
  // The observed outcome when it is the expected one.
  static Observed as_expected(const Expect& e);

  const std::vector<ProcModel>& procs() const { return procs_; }
  const std::vector<LoanModel>& loans() const { return loans_; }
  const ProcModel* proc(int id) const;
  const LoanModel* loan(int id) const;
  int next_proc_id() const { return next_proc_; }
  int next_loan_id() const { return next_loan_; }
  const std::vector<FileSpec>& files() const { return file_specs_; }
  bool any_wired() const;
  // What p sees at virtual page vpn (null: unmapped).
  const PageData* visible(const ProcModel& p, std::uint64_t vpn) const;
  const Mix& mix() const { return mix_; }

 private:
  ProcModel* proc_mut(int id);
  void failed_mlock(ProcModel& p, const Op& op);
  void map_range(ProcModel& p, const Op& op);
  void store(ProcModel& p, vaddr_t addr, const std::uint8_t* src, std::uint8_t fill, std::uint64_t n);
  void expect_access(const ProcModel& p, vaddr_t addr, std::uint64_t len, bool write, Expect* e) const;

  Mix mix_;
  std::vector<FileSpec> file_specs_;
  std::vector<std::shared_ptr<MemObject>> files_;
  std::vector<ProcModel> procs_;  // live processes
  std::vector<LoanModel> loans_;  // outstanding loans
  bool may_oom_ = false;
  bool no_swap_ = false;
  int next_proc_ = 1;
  int next_loan_ = 1;
};

// ---------------------------------------------------------------------------
// The generator.

class Generator {
 public:
  Generator(std::uint64_t seed, Mix mix) : rng_(seed), mix_(std::move(mix)) {}
  // The next operation for the model's current state. With only_determined,
  // operations whose result the model cannot tell exactly are drawn again
  // (for scenarios with expected output).
  Op next(const Model& model, bool only_determined = false);
  std::mt19937_64& rng() { return rng_; }

 private:
  Op draw(const Model& model);
  std::uint64_t rnd(std::uint64_t n) { return rng_() % n; }
  void page_range(Op* op);
  void byte_range(Op* op);
  std::mt19937_64 rng_;
  Mix mix_;
};

// ---------------------------------------------------------------------------
// Scenario text.

std::string proc_name(int id);
std::string loan_name(int id);
std::string file_name(int index);
// The scenario's first lines: machine, files, the first process.
std::string scenario_header(const Regime& regime, const std::vector<FileSpec>& files);
// op as one scenario-language line.
std::string scenario_line(const Op& op);
// The inverse of scenario_line for the lines it prints (names p<N>, l<N>,
// f<N>): replays a saved failing run through the model. nullopt for another line.
std::optional<Op> parse_scenario_line(const std::string& line);
// The lines `uvmsim run` prints for op when it does what e says (e must be
// determined).
std::string expected_output(const Op& op, const Expect& e);

// ---------------------------------------------------------------------------
// The executor: the same operations on several machines (one per axis), each
// compared with the model and with the first machine.

class Lockstep {
 public:
  Lockstep(const std::vector<MachineAxis>& axes, const Regime& regime, const Mix& mix);
  ~Lockstep();

  // Applies op to every machine, compares, updates the model.
  void step(const Op& op);
  // The invariant checker on every machine.
  void check_invariants();
  // Machines of one equivalence class agree on every counter and on each
  // process's resident page count.
  void compare_machines();
  // Reads every readable page of every live process and compares it with the
  // model; then every process exits, every loan is read and returned, and the
  // machines must be back to empty (no anon, amap, swap or loan left).
  void finish();

  // Machines of different anonymous-memory models must read the same bytes
  // too, also where the model does not know them (madvise free). Holds
  // without paging: the amap model's madvise free skips anons in swap, so
  // under memory pressure what it frees depends on which pages the page
  // daemon chose, and the two models choose differently.
  bool same_bytes_across_models = false;

  const Model& model() const { return model_; }
  Machine& machine(std::size_t i) { return *ms_[i].m; }
  std::size_t size() const { return ms_.size(); }
  int kills() const { return kills_; }
  int failed_forks() const { return failed_forks_; }
  // The operations so far as a scenario (to replay a failure with `uvmsim run`).
  std::string transcript() const;

 private:
  // The first machine of machine i's equivalence class (i itself if none
  // comes before it).
  std::size_t first_of_class(std::size_t i) const;
  struct Instance {
    MachineAxis axis;
    std::unique_ptr<Machine> m;
    std::map<int, Process*> procs;
    std::map<int, LoanHandle> loans;
  };
  // A kernel loan refused (EINVAL) on machines of one anonymous-memory
  // model and made on another's: undone where it was made (see the .cpp).
  void reconcile_loans(const Op& op, std::vector<Observed>& obs);
  Observed run_on(Instance& in, const Op& op, const Expect& e, std::vector<std::uint8_t>* bytes,
                  std::uint64_t* hash);

  void save_transcript() const;
  // True when the processes' map entries differ between machines of
  // different anonymous-memory models.
  bool entry_shapes_differ() const;

  Regime regime_;
  Model model_;
  // Whether the models' map entries stopped matching before a madvise free
  // (then same_bytes_across_models no longer applies to this run): UVM
  // merges a new anonymous mapping into the entry after it by growing that
  // entry's amap backwards, the shadow model (as FreeBSD) keeps two entries,
  // and what madvise free frees follows the entry shape (docs/design.md,
  // "large entries"). Both are right; only bytes the model knows compare.
  bool shapes_differed_ = false;
  std::vector<Instance> ms_;
  std::vector<Op> ops_;  // printed only when a run fails
  int steps_ = 0;
  int kills_ = 0;
  int failed_forks_ = 0;
};

}  // namespace uvmsim::workload

// The transparency log's text inputs: hex leaves, hex proofs, checkpoints,
// verifier and signer keys, signed notes. The first byte picks the parser.
#include "basin/tlog/leaf_input.hpp"
#include "basin/tlog/signed_note.hpp"
#include "fuzz_target.hpp"

namespace {

const basin::tlog::NoteSigner& signer() {
  static const auto s = basin::tlog::NoteSigner::generate("fuzz.example/log");
  return s;
}

}  // namespace

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  const basin::tlog::Checkpoint cp{"fuzz.example/log", 3, basin::tlog::empty_root()};
  const auto text = basin::tlog::checkpoint_text(cp);
  return {fuzz_bytes("l00ff\n\nabcdef\n"),
          fuzz_bytes("p" + basin::tlog::to_hex(basin::tlog::empty_root()) + "\n"),
          fuzz_bytes("c" + text),
          fuzz_bytes("v" + signer().verifier().text()),
          fuzz_bytes("s" + signer().text()),
          fuzz_bytes("n" + basin::tlog::sign_note(text, signer()))};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0]) {
      case 'l':
        (void)basin::tlog::hash_leaves(basin::tlog::parse_hex_leaves(text));
        break;
      case 'p':
        (void)basin::tlog::parse_proof(text);
        break;
      case 'c': {
        const auto cp = basin::tlog::parse_checkpoint(text);
        BASIN_FUZZ_CHECK(basin::tlog::parse_checkpoint(basin::tlog::checkpoint_text(cp)).root ==
                         cp.root);
        break;
      }
      case 'v':
        (void)basin::tlog::parse_verifier_key(text);
        break;
      case 's':
        (void)basin::tlog::NoteSigner::parse(text);
        break;
      default:
        (void)basin::tlog::open_note(text, signer().verifier());
    }
  } catch (const basin::tlog::InputError&) {
  } catch (const basin::tlog::NoteError&) {
  }
  return 0;
}

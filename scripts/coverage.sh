#!/usr/bin/env bash
# Line coverage of src/ by the whole test suite, with the LLVM tools of the Rust toolchain
# (`rustup component add llvm-tools-preview`). Builds into target/coverage (instrumented, so it
# does not disturb the normal build) and prints the per-file report; the last line is the total.
# Not part of .ci/run: an instrumented build of everything is several minutes on two cores.
#
#   scripts/coverage.sh                       # SQLite only
#   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test scripts/coverage.sh
#   scripts/coverage.sh --html                # also target/coverage/html/index.html
set -euo pipefail
cd "$(dirname "$0")/.."

sysroot=$(rustc --print sysroot)
bin="$sysroot/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin"
[ -x "$bin/llvm-cov" ] || { echo "llvm-cov missing: rustup component add llvm-tools-preview" >&2; exit 1; }

html=0
args=()
for arg in "$@"; do
  if [ "$arg" = --html ]; then html=1; else args+=("$arg"); fi
done

out=target/coverage
rm -rf "$out/profraw"
mkdir -p "$out/profraw"
export RUSTFLAGS="-C instrument-coverage"
export CARGO_TARGET_DIR="$out/build"
# Every process writes its own profile: the test binaries and the servers they start.
export LLVM_PROFILE_FILE="$PWD/$out/profraw/%p-%m.profraw"
cargo test --no-fail-fast ${args[@]+"${args[@]}"} || echo "some tests failed; the figures cover what ran" >&2

"$bin/llvm-profdata" merge -sparse "$out"/profraw/*.profraw -o "$out/merged.profdata"
objects=()
for f in "$CARGO_TARGET_DIR"/debug/deps/*; do
  [ -x "$f" ] && [ -f "$f" ] && [[ "$f" != *.so ]] && [[ "$f" != *.d ]] && objects+=(-object "$f")
done
objects+=(-object "$CARGO_TARGET_DIR/debug/todo-api")
filter=(--ignore-filename-regex='(\.cargo/registry|/rustc/|^tests/|/tests/|build\.rs|target/)')
"$bin/llvm-cov" report "${filter[@]}" -instr-profile="$out/merged.profdata" "${objects[@]}"
if [ "$html" = 1 ]; then
  "$bin/llvm-cov" show "${filter[@]}" -format=html -output-dir="$out/html" \
    -instr-profile="$out/merged.profdata" "${objects[@]}"
fi

#!/bin/bash
# run-all.sh — the whole nimbus test suite (what .ci/run runs).
#
#   1. install build/test dependencies (Debian 12, as root)
#   2. build: normal, ASan+UBSan, libFuzzer (clang)
#   3. unit tests (cmocka) in the normal and the sanitizer build
#   4. every libFuzzer target for NIMBUS_FUZZ_SECS (default 10) seconds on a
#      copy of its committed seed corpus, under ASan+UBSan
#   5. the default guest (scripts/prepare-guest.sh) and the integration tests
#      on a real KVM: the host's, or the emulated KVM host when the host has
#      none (or a very slow one) — tests/run-integration.sh says which
#
# Ends with "N passed, N failed" and exits non-zero on any failure.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
BUILD=$REPO/build
mkdir -p "$BUILD"
LOG=$BUILD/test-logs
rm -rf "$LOG"
mkdir -p "$LOG"
passed=0
failed=0
failures=()

ok() { passed=$((passed + ${2:-1})); echo "PASS $1"; }
ko() { failed=$((failed + ${2:-1})); failures+=("$1"); echo "FAIL $1"; }

# step NAME CMD...: run a command, log to $LOG/NAME.log, record pass/fail.
step() {
	local name=$1
	shift
	if "$@" >"$LOG/$name.log" 2>&1; then ok "$name"; return 0; fi
	ko "$name"
	tail -n 30 "$LOG/$name.log" | sed 's/^/    /'
	return 1
}

setup_build() { # dir, meson args...
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then meson setup "$dir" "$@" || return 1; fi
	ninja -C "$dir"
}

# Counts cmocka's per-test results from meson's testlog.json.
unit_tests() { # build dir, label
	local dir=$1 label=$2
	meson test -C "$dir" --suite unit --print-errorlogs >"$LOG/unit-$label.log" 2>&1
	local counts
	counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, re, sys
p = f = 0
names = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    out = t.get("stdout", "") + t.get("stderr", "")
    mp = re.search(r"\[  PASSED  \] (\d+) test", out)
    mf = re.search(r"\[  FAILED  \] (\d+) test", out)
    tp = int(mp.group(1)) if mp else 0
    tf = int(mf.group(1)) if mf else 0
    if t["result"] != "OK" and tf == 0:
        tf = 1  # crashed or failed without cmocka's summary
    p += tp; f += tf
    if tf: names.append(t["name"])
print(p, f, " ".join(names))
PY
)
	local p f names
	read -r p f names <<<"$counts"
	[ "$p" -gt 0 ] && ok "unit-$label ($p cmocka tests)" "$p"
	if [ "$f" -gt 0 ]; then
		ko "unit-$label ($f failed: $names)" "$f"
		grep -E "FAILED|ERROR|Sanitizer|runtime error" "$LOG/unit-$label.log" | head -20 | sed 's/^/    /'
	fi
	[ "$p" -gt 0 ] || [ "$f" -gt 0 ] || ko "unit-$label (no tests ran)"
}

fuzz_targets() {
	local secs=${NIMBUS_FUZZ_SECS:-10}
	local any=0
	for exe in "$BUILD-fuzz"/tests/fuzz/fuzz_*; do
		[ -f "$exe" ] && [ -x "$exe" ] || continue
		any=1
		local name=${exe##*/fuzz_}
		local corpus=$BUILD/fuzz-corpus/$name
		rm -rf "$corpus"
		mkdir -p "$corpus"
		[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
		if "$exe" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$LOG/fuzz-$name-" "$corpus" >"$LOG/fuzz-$name.log" 2>&1; then
			local runs
			runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG/fuzz-$name.log")
			ok "fuzz-$name (${runs:-?} executions in ${secs} s)"
		else
			ko "fuzz-$name"
			grep -E "ERROR|SUMMARY|runtime error" "$LOG/fuzz-$name.log" | head -5 | sed 's/^/    /'
		fi
	done
	[ $any = 1 ] || ko "fuzz (no targets built)"
}

step install-deps scripts/install-deps.sh || true
step build setup_build "$BUILD"
step build-asan setup_build "$BUILD-asan" -Db_sanitize=address,undefined -Db_lundef=false
setup_fuzz_build() { (export CC=clang && setup_build "$BUILD-fuzz" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false); }
step build-fuzz setup_fuzz_build

unit_tests "$BUILD" plain
unit_tests "$BUILD-asan" asan-ubsan
fuzz_targets

if step prepare-guest scripts/prepare-guest.sh "$BUILD/guest"; then
	tests/run-integration.sh 2>&1 | tee "$LOG/integration.log" | grep -v '^\[ *[0-9]'
	if [ -f "$BUILD/integration-results.txt" ]; then
		n_pass=$(grep -c '^PASS' "$BUILD/integration-results.txt")
		n_fail=$(grep -c '^FAIL' "$BUILD/integration-results.txt")
		passed=$((passed + n_pass))
		failed=$((failed + n_fail))
		while read -r r name _; do [ "$r" = FAIL ] && failures+=("$name"); done <"$BUILD/integration-results.txt"
		[ $((n_pass + n_fail)) -gt 0 ] || ko "integration (no tests ran)"
	else
		ko "integration (no results)"
	fi
else
	ko "integration (no guest)"
fi

echo
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

# tests/malicious/lib.sh — helpers for the malicious-guest tests (sourced).
#
# Builds on tests/integration/lib.sh (WORK, fail, pass, RC, TIMEOUT_SCALE).
# Each test boots one freestanding guest image (guest_<name>.c, built by
# build.sh into $BUILD/malicious/) and checks, from the host side, that
#   - nimbus exited 0 through the guest's final i8042 reset (it kept running
#     until the guest finished: no crash, no hang, no triple fault);
#   - the guest printed "MAL-OK <name>" (every in-guest check held, e.g.
#     DEVICE_NEEDS_RESET where the spec wants it, the device working again);
#   - nimbus's log stayed bounded (rate limiting);
#   - the API (--api-socket) answered vm.info with "Running" throughout;
#   - with the ASan+UBSan build (build-asan/nimbus, used when it exists unless
#     NIMBUS_BIN is set): no sanitizer report and no leak on stderr.
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

MAL_DIR=$BUILD/malicious
if [ -z "${NIMBUS_BIN:-}" ] && [ -x "$REPO/build-asan/nimbus" ]; then
	NIMBUS=$REPO/build-asan/nimbus
fi
MAL_ASAN=0
case $NIMBUS in */build-asan/*) MAL_ASAN=1 ;; esac

mal_build() {
	"$REPO/tests/malicious/build.sh" "$MAL_DIR" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; fail "guest build failed"; }
}

# mal_run NAME SECONDS [nimbus args...]: boot $MAL_DIR/NAME.elf with 128M;
# sets RC and ELAPSED.
mal_run() {
	local name=$1 secs=$(( $2 * TIMEOUT_SCALE ))
	shift 2
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || fail "no usable /dev/kvm (run through tests/run-integration.sh)"
	[ -x "$NIMBUS" ] || fail "nimbus not built at $NIMBUS"
	mal_build
	[ -f "$MAL_DIR/$name.elf" ] || fail "no guest image $MAL_DIR/$name.elf"
	local start
	start=$(date +%s)
	RC=0
	local sock=$WORK/api.sock
	rm -f "$sock"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		timeout -k 5 "$secs" "$NIMBUS" --kernel "$MAL_DIR/$name.elf" --boot-entry linux64 --memory size=128M \
		--serial "file=$WORK/serial.log" --log-file "$WORK/nimbus.log" --api-socket "path=$sock" "$@" \
		</dev/null >"$WORK/stdout.log" 2>"$WORK/stderr.log" &
	local pid=$!
	mal_poll_api "$pid" "$sock"
	wait "$pid" || RC=$?
	ELAPSED=$(( $(date +%s) - start ))
}

# mal_poll_api PID SOCK: while the guest attacks, ask the API for vm.info
# about once a second. Sets API_OK (answers saying "Running") and API_BAD
# (no answer, or a wrong one, while nimbus was still running afterwards).
# Once nimbus has logged "VM stopped:" (the guest reset), it answers 503
# "nimbus is shutting down" to the last requests: a right answer then.
mal_poll_api() {
	local pid=$1 sock=$2 out
	API_OK=0 API_BAD=0
	while kill -0 "$pid" 2>/dev/null; do
		if [ -S "$sock" ]; then
			out=$(curl -s --max-time $((10 * TIMEOUT_SCALE)) --unix-socket "$sock" http://localhost/api/v1/vm.info 2>/dev/null)
			if printf '%s' "$out" | grep -q '"state": *"Running"'; then
				API_OK=$((API_OK + 1))
			elif printf '%s' "$out" | grep -q 'nimbus is shutting down' &&
				grep -q "VM stopped:" "$WORK/nimbus.log" 2>/dev/null; then
				: # stopping after the guest's reset: neither counted as OK nor as bad
			elif kill -0 "$pid" 2>/dev/null && [ -S "$sock" ]; then
				API_BAD=$((API_BAD + 1)) # still running, yet no proper answer
			fi
		fi
		sleep 1
	done
}

# mal_no_sanitizer_report: fail on any ASan/UBSan/LSan output of nimbus.
mal_no_sanitizer_report() {
	if [ -s "$WORK/stderr.log" ] && grep -qE "Sanitizer|runtime error|LeakSanitizer|SUMMARY:" "$WORK/stderr.log"; then
		echo "---- sanitizer output ----" >&2
		head -n 40 "$WORK/stderr.log" >&2
		fail "sanitizer report (see $RESULT_DIR/stderr.log)"
	fi
}

# mal_expect NAME MAX_LINES_PER_SECOND: the standard host-side checks.
mal_expect() {
	local name=$1 rate=$2
	mal_no_sanitizer_report
	[ "$RC" != 124 ] || fail "nimbus did not finish in time (hang?)"
	expect_rc 0
	grep -q "MAL-EXCEPTION" "$WORK/serial.log" 2>/dev/null && fail "the guest itself faulted"
	grep -q "triple fault" "$WORK/nimbus.log" && fail "guest triple fault"
	grep -q "guest reset (i8042)" "$WORK/nimbus.log" || fail "nimbus did not stop through the guest's i8042 reset"
	grep -q "MAL-FAIL" "$WORK/serial.log" && fail "$(tr -d '\r' <"$WORK/serial.log" | grep -E '^  FAIL|MAL-FAIL' | head -5 | tr '\n' ';')"
	expect_serial "MAL-OK $name"
	[ "$API_OK" -ge 1 ] || fail "the API never answered vm.info while the guest attacked"
	[ "$API_BAD" = 0 ] || fail "the API failed $API_BAD of $((API_OK + API_BAD)) vm.info requests during the attack"
	LOG_LINES=$(wc -l <"$WORK/nimbus.log")
	local max=$(( 50 + rate * (ELAPSED + 1) ))
	[ "$LOG_LINES" -le "$max" ] || fail "nimbus log has $LOG_LINES lines in ${ELAPSED}s (bound $max): rate limiting?"
}

mal_summary() {
	local san=""
	[ $MAL_ASAN = 1 ] && san=", ASan+UBSan clean"
	echo "$(grep -c '^case ' "$WORK/serial.log") cases, ${ELAPSED}s, $LOG_LINES log lines, API answered $API_OK vm.info requests during the attack$san"
}

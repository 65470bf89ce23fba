#!/bin/bash
# The API at the moment the guest ends: two clients ask vm.info back to back
# while the virtq guest (guest_virtq.c) runs and resets. A request that
# arrives after the control thread has left its loop must get an answer (503)
# and nimbus must still exit 0 promptly. (It used to wait for ever on such a
# request: MHD_stop_daemon joined an API thread that waited for the control
# thread; CI saw malicious tests time out that way.)
. "$(dirname "$0")/lib.sh"
hammer() { # SOCK OUTFILE: vm.info in a loop until the socket goes away or nimbus has ended
	local n=0 ok=0 refused=0 code
	while [ -S "$1" ] && [ ! -e "$WORK/ended" ]; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --unix-socket "$1" http://localhost/api/v1/vm.info 2>/dev/null)
		n=$((n + 1))
		case $code in 200) ok=$((ok + 1)) ;; 503) refused=$((refused + 1)) ;; esac
	done
	echo "$n $ok $refused" >"$2"
}
sock=$WORK/api.sock
clients=()
for c in 1 2; do
	(for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.05; done; hammer "$sock" "$WORK/h$c") &
	clients+=($!)
done
mal_run virtq 200 -v
touch "$WORK/ended" # a killed nimbus leaves its socket behind
wait "${clients[@]}"
[ "$RC" != 124 ] || fail "nimbus did not exit (a vm.info request at the end of the VM hung it?)"
expect_rc 0
grep -q "guest reset (i8042)" "$WORK/nimbus.log" || fail "nimbus did not stop through the guest's i8042 reset"
read -r n1 ok1 r1 <"$WORK/h1" || fail "client 1 gave no count"
read -r n2 ok2 r2 <"$WORK/h2" || fail "client 2 gave no count"
[ $((ok1 + ok2)) -ge 10 ] || fail "only $((ok1 + ok2)) of $((n1 + n2)) vm.info requests were answered 200"
mal_no_sanitizer_report
pass "$((n1 + n2)) vm.info requests, $((ok1 + ok2)) answered 200, $((r1 + r2)) answered 503 while shutting down; nimbus exited 0 in ${ELAPSED}s"

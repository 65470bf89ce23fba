/* security/seccomp.h — one seccomp filter per kind of thread (libseccomp).
 *
 * Every nimbus thread calls thread_filter_install() for its kind once its
 * set-up is done; the filter is the thread's own (no TSYNC) and denies every
 * system call it does not list. Filters stack: a thread created by a thread
 * that already has one keeps the parent's too, so a creating thread's filter
 * must allow what its children need (the VMM filter allows everything the
 * vCPU and virtio filters do; the API listening thread's allows the
 * connection threads').
 *
 * Modes (`--seccomp true|false|log`, process-wide, documented global state
 * set once in main() before any thread starts):
 *   true  - a denied call traps: a SIGSYS handler writes one line naming the
 *           thread and the system call number to the log (and stderr), then
 *           ends the process with exit code 1;
 *   log   - a denied call is allowed and logged by the kernel (audit log /
 *           dmesg: "type=1326 ... syscall=N"), to find a missing entry;
 *   false - no filters.
 *
 * Test probe: with the environment variable NIMBUS_SECCOMP_PROBE=<kind>[,<kind>...]
 * (vmm, vcpu, virtio, api-listen, api-conn), the first thread of each kind
 * makes a forbidden system call (personality(0xffffffff), a query) right
 * after installing its filter: nimbus dies with the message above when the
 * filter is on, and logs "seccomp probe ... was allowed" otherwise.
 */
#ifndef NIMBUS_SECURITY_SECCOMP_H
#define NIMBUS_SECURITY_SECCOMP_H

enum thread_filter_mode { THREAD_FILTER_OFF, THREAD_FILTER_TRAP, THREAD_FILTER_LOG };

enum thread_filter_kind {
	THREAD_FILTER_VMM,        /* the control thread: builds, runs and tears down VMs */
	THREAD_FILTER_VCPU,       /* KVM_RUN and device emulation on exits */
	THREAD_FILTER_VIRTIO,     /* one I/O thread per virtio device */
	THREAD_FILTER_API_LISTEN, /* libmicrohttpd's listening thread */
	THREAD_FILTER_API_CONN,   /* libmicrohttpd's per-connection threads */
	THREAD_FILTER_KINDS
};

/* "true", "false", "log" → mode. 0 or -EINVAL. */
__attribute__((warn_unused_result)) int thread_filter_parse_mode(const char *s, enum thread_filter_mode *out);

/* Process-wide set-up, once, before any thread exists: the mode, the SIGSYS
 * handler, libseccomp's kernel feature probe, NIMBUS_SECCOMP_PROBE. With
 * THREAD_FILTER_OFF it does nothing but remember the mode. 0 or -errno. */
__attribute__((warn_unused_result)) int thread_filter_init(enum thread_filter_mode mode);

/* Installs the calling thread's filter for `kind` (no-op when the mode is
 * off or this thread already has this kind's filter). name (≤ 15 chars) is
 * what the SIGSYS message calls the thread. A failure (which init's checks
 * make unexpected) is logged and ends the process with exit code 1: a thread
 * never runs on unfiltered when filters were asked for. */
void thread_filter_install(enum thread_filter_kind kind, const char *name);

/* The kind's name as NIMBUS_SECCOMP_PROBE spells it. */
const char *thread_filter_kind_name(enum thread_filter_kind kind);

#endif

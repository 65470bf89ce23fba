/* security/seccomp.c — the per-thread seccomp filters (see seccomp.h).
 *
 * Documented global state: the mode and the log fd (set once in main before
 * any thread starts), the probe kind; per thread (TLS): which filters this
 * thread installed and its name for the SIGSYS message. */
#include "security/seccomp.h"

#include <errno.h>
#include <linux/kvm.h>
#include <linux/if_tun.h>
#include <linux/fs.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

#if defined(__SANITIZE_ADDRESS__)
#define NIMBUS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NIMBUS_SANITIZED 1
#endif
#endif

static enum thread_filter_mode g_mode = THREAD_FILTER_OFF;
static atomic_uint g_probe; /* kinds still to probe (bit per kind) */
static pid_t g_pid;        /* tgkill may only signal this process */
static _Thread_local unsigned t_installed; /* bit per kind */
static _Thread_local char t_name[16];
static _Thread_local const char *t_kind;

static const char *const kind_names[THREAD_FILTER_KINDS] = {"vmm", "vcpu", "virtio", "api-listen", "api-conn"};

const char *thread_filter_kind_name(enum thread_filter_kind kind)
{
	return (unsigned)kind < THREAD_FILTER_KINDS ? kind_names[kind] : "?";
}

int thread_filter_parse_mode(const char *s, enum thread_filter_mode *out)
{
	if (!strcmp(s, "true"))
		*out = THREAD_FILTER_TRAP;
	else if (!strcmp(s, "false"))
		*out = THREAD_FILTER_OFF;
	else if (!strcmp(s, "log"))
		*out = THREAD_FILTER_LOG;
	else
		return -EINVAL;
	return 0;
}

/* ---- the allowlists ------------------------------------------------------ */

/* Every thread: the C library and the logger. */
static const int base_calls[] = {
	SCMP_SYS(futex),           /* mutexes, condition variables, pthread_join */
	SCMP_SYS(munmap),          /* free() of large blocks, malloc arenas */
	SCMP_SYS(mremap),          /* realloc() of large blocks */
	SCMP_SYS(madvise),         /* free() gives pages back (arena trimming) */
	SCMP_SYS(brk),             /* malloc's main arena */
	SCMP_SYS(clock_gettime),   /* log timestamps, deadlines (when not in the vDSO) */
	SCMP_SYS(gettimeofday),    /* as clock_gettime */
	SCMP_SYS(clock_nanosleep), /* usleep() */
	SCMP_SYS(nanosleep),       /* as clock_nanosleep */
	SCMP_SYS(rt_sigreturn),    /* return from a signal handler (the vCPU kick) */
	SCMP_SYS(rt_sigprocmask),  /* glibc masks signals in pthread_create, abort() */
	SCMP_SYS(exit),            /* a thread ends */
	SCMP_SYS(exit_group),      /* the process ends (also the SIGSYS handler) */
	SCMP_SYS(write),           /* log lines (stderr or --log-file), eventfd signals */
	SCMP_SYS(fstat),           /* stdio sizes the log file's buffer on first use */
	SCMP_SYS(newfstatat),      /* as fstat (glibc's fstat is fstatat(AT_EMPTY_PATH)) */
	SCMP_SYS(getpid),          /* abort() → raise() */
	SCMP_SYS(gettid),          /* abort() → raise(), pthread_kill */
	SCMP_SYS(sched_yield),     /* spin-wait back-off in glibc */
	SCMP_SYS(restart_syscall), /* the kernel resumes an interrupted sleep */
};

/* vCPU threads: KVM_RUN, and what device emulation does on an exit. */
static const int vcpu_calls[] = {
	SCMP_SYS(read),           /* drain eventfds (virtio reset, virtio-blk reset) */
	SCMP_SYS(poll),           /* the 16550 waits ≤ 20 ms for a stuck terminal */
	SCMP_SYS(epoll_ctl),      /* virtio DRIVER_OK / reset change the I/O thread's fd set */
	SCMP_SYS(io_uring_enter), /* virtio-blk reset waits for requests in flight */
};
static const unsigned long vcpu_ioctls[] = {
	KVM_RUN,             /* the vCPU loop */
	KVM_IRQ_LINE,        /* serial / GED / RTC interrupt lines raised by device emulation */
	KVM_SET_GSI_ROUTING, /* the guest programs an MSI-X table entry */
	KVM_IOEVENTFD,       /* the guest moves a virtio notify BAR */
	TUNSETOFFLOAD,       /* virtio-net DRIVER_OK / reset: the tap's offloads follow the guest's features */
	TUNSETQUEUE,         /* virtio-net DRIVER_OK: pairs beyond the first start detached */
	KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_VCPU_EVENTS, /* its own state, logged on a triple fault */
};

/* virtio I/O threads (rng, console, blk, net). */
static const int virtio_calls[] = {
	SCMP_SYS(epoll_wait),     /* the I/O loop */
	SCMP_SYS(epoll_pwait),    /* as epoll_wait (some glibc builds) */
	SCMP_SYS(epoll_ctl),      /* virtio-net stops/starts watching the tap (rx back-pressure) */
	SCMP_SYS(read),           /* eventfds, the entropy source, console input, tap rx */
	SCMP_SYS(readv),          /* as read */
	SCMP_SYS(writev),         /* tap tx (header + guest buffers), console output */
	SCMP_SYS(preadv2),        /* virtio-blk without io_uring (synchronous fallback) */
	SCMP_SYS(pwritev2),       /* as preadv2 */
	SCMP_SYS(fdatasync),      /* virtio-blk FLUSH without io_uring */
	SCMP_SYS(fallocate),      /* virtio-blk DISCARD / WRITE_ZEROES without io_uring */
	SCMP_SYS(io_uring_enter), /* virtio-blk: submit requests, wait for completions */
};
static const unsigned long virtio_ioctls[] = {
	TUNSETQUEUE, /* virtio-net multiqueue: a pair's thread attaches/detaches its tap queue */
};

/* API connection threads (libmicrohttpd, one per client). */
static const int api_conn_calls[] = {
	SCMP_SYS(read),       /* libmicrohttpd's inter-thread channel */
	SCMP_SYS(recvfrom),   /* the request */
	SCMP_SYS(sendto),     /* the response */
	SCMP_SYS(sendmsg),    /* the response (header and body together) */
	SCMP_SYS(writev),     /* as sendmsg */
	SCMP_SYS(poll),       /* wait for the client */
	SCMP_SYS(ppoll),      /* as poll */
	SCMP_SYS(select),     /* as poll (libmicrohttpd's default) */
	SCMP_SYS(pselect6),   /* as select */
	SCMP_SYS(shutdown),   /* end of a connection */
	SCMP_SYS(close),      /* end of a connection */
	SCMP_SYS(setsockopt), /* libmicrohttpd tunes each socket (corking, no-delay) */
	SCMP_SYS(getsockopt), /* as setsockopt */
	SCMP_SYS(fcntl),      /* non-blocking sockets */
};

/* API listening thread (libmicrohttpd): accepts, starts connection threads. */
static const int api_listen_calls[] = {
	SCMP_SYS(accept4),     /* a new client */
	SCMP_SYS(accept),      /* as accept4 */
	SCMP_SYS(getsockname), /* libmicrohttpd inspects the listening socket */
};

/* Creating threads (the VMM starts vCPU and I/O threads, the API listener
 * connection threads): the new thread runs these under the creator's filter
 * before it installs its own. clone is restricted in add_spawn_rules. */
static const int spawn_calls[] = {
	SCMP_SYS(set_robust_list), /* a new thread registers its robust futex list */
	SCMP_SYS(rseq),            /* a new thread registers its restartable-sequence area */
	SCMP_SYS(sigaltstack),     /* per-thread alternate signal stack (sanitizer runtime) */
};

/* The control thread: building, running and tearing down VMs (again on a
 * guest reboot, or vm.create/vm.boot through the API). */
static const int vmm_calls[] = {
	SCMP_SYS(openat),         /* kernel, initramfs, disk images, /dev/kvm, /dev/net/tun, rng source, output files */
	SCMP_SYS(open),           /* as openat */
	SCMP_SYS(close),          /* every fd of a VM at teardown */
	SCMP_SYS(read),           /* kernel and initramfs files, signalfd, eventfds, serial input */
	SCMP_SYS(pread64),        /* as read */
	SCMP_SYS(lseek),          /* file sizes */
	SCMP_SYS(statx),          /* O_DIRECT alignment of a disk image */
	SCMP_SYS(fcntl),          /* OFD locks on disk images, O_NONBLOCK on fds */
	SCMP_SYS(memfd_create),   /* guest RAM */
	SCMP_SYS(ftruncate),      /* guest RAM size */
	SCMP_SYS(eventfd2),       /* stop, kick, irqfd, ioeventfd eventfds */
	SCMP_SYS(epoll_create1),  /* the control loop and each device's I/O loop */
	SCMP_SYS(epoll_wait),     /* the control loop */
	SCMP_SYS(epoll_pwait),    /* as epoll_wait */
	SCMP_SYS(signalfd4),      /* SIGINT/SIGTERM/SIGHUP through the control loop */
	SCMP_SYS(timerfd_create), /* the --sigterm-grace timer */
	SCMP_SYS(timerfd_settime), /* as timerfd_create */
	SCMP_SYS(rt_sigaction),   /* the vCPU kick handler, set for each VM */
	SCMP_SYS(io_uring_setup), /* one ring per virtio-blk queue */
	SCMP_SYS(io_uring_register), /* the ring's completion eventfd */
	SCMP_SYS(getrandom),      /* random MAC addresses for virtio-net */
	SCMP_SYS(unlink),         /* the API socket at exit */
	SCMP_SYS(shutdown),       /* libmicrohttpd closes its connections at exit */
};
static const unsigned long vmm_ioctls[] = {
	KVM_GET_API_VERSION, KVM_CHECK_EXTENSION, KVM_GET_VCPU_MMAP_SIZE, KVM_GET_SUPPORTED_CPUID, /* /dev/kvm checks */
	KVM_CREATE_VM, KVM_SET_IDENTITY_MAP_ADDR, KVM_SET_TSS_ADDR, KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2, /* a new VM */
	KVM_SET_USER_MEMORY_REGION, /* guest RAM slots */
	KVM_IRQFD,                  /* MSI-X vectors → irqfds */
	KVM_CREATE_VCPU, KVM_SET_CPUID2, KVM_SET_MSRS, KVM_SET_FPU, KVM_GET_LAPIC, KVM_SET_LAPIC, /* vCPU set-up */
	KVM_SET_SREGS, KVM_SET_REGS, /* boot registers (the state dump's GETs are in vcpu_ioctls) */
	TUNSETIFF, TUNGETIFF, TUNSETVNETHDRSZ, /* open or adopt a tap */
	SIOCSIFADDR, SIOCSIFNETMASK, SIOCGIFFLAGS, SIOCSIFFLAGS, /* --net ip=,mask=: the host end */
	BLKGETSIZE64,               /* size of a block-device disk */
	TCGETS, TCSETS,             /* --serial tty: raw mode and its restore; isatty() */
};

#ifdef NIMBUS_SANITIZED
/* ASan/UBSan/LSan builds only (tests): the sanitizer runtime's own calls —
 * per-thread set-up, reports (reading /proc/self/maps), and LeakSanitizer at
 * exit, which stops the other threads with ptrace from a helper task. */
static const int sanitizer_calls[] = {
	SCMP_SYS(sigaltstack),       /* ASan's per-thread alternate signal stack, set up and freed in each thread */
	SCMP_SYS(openat),            /* /proc/self/maps (reports), /proc/self/task (LeakSanitizer) */
	SCMP_SYS(open),              /* as openat */
	SCMP_SYS(read),              /* as openat */
	SCMP_SYS(lseek),             /* as openat */
	SCMP_SYS(close),             /* as openat */
	SCMP_SYS(readlink),          /* /proc/self/exe: module names in a report */
	SCMP_SYS(getdents),          /* LeakSanitizer lists the threads in /proc/self/task */
	SCMP_SYS(getdents64),        /* as getdents */
	SCMP_SYS(clone),             /* LeakSanitizer's tracer task (no CLONE_THREAD) */
	SCMP_SYS(ptrace),            /* LeakSanitizer stops the threads to scan their registers and stacks */
	SCMP_SYS(wait4),             /* as ptrace */
	SCMP_SYS(getppid),           /* the tracer checks that nimbus is still there */
	SCMP_SYS(prctl),             /* PR_SET_PTRACER, PR_SET_PDEATHSIG, PR_GET_DUMPABLE for the tracer */
	SCMP_SYS(rt_sigaction),      /* the tracer's and the report path's signal handlers */
	SCMP_SYS(sched_getaffinity), /* CPU count in the allocator and reports */
	SCMP_SYS(getrlimit),         /* stack bounds of a thread */
	SCMP_SYS(prlimit64),         /* as getrlimit */
	SCMP_SYS(uname),             /* kernel version checks in the runtime */
};
#endif

/* ---- building a filter ---------------------------------------------------- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Argument comparisons (libseccomp's SCMP_Ax macros leave a field to the
 * compiler's zeroing, which clang's -Wextra rejects). */
static struct scmp_arg_cmp arg_eq(unsigned arg, scmp_datum_t v)
{
	return (struct scmp_arg_cmp){.arg = arg, .op = SCMP_CMP_EQ, .datum_a = v, .datum_b = 0};
}

/* (argument & mask) == v */
static struct scmp_arg_cmp arg_masked(unsigned arg, scmp_datum_t mask, scmp_datum_t v)
{
	return (struct scmp_arg_cmp){.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask, .datum_b = v};
}

static int allow(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

static int allow_ioctls(scmp_filter_ctx ctx, const unsigned long *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* The request is compared as 32 bits: glibc passes it as unsigned long. */
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					  arg_masked(1, 0xffffffffUL, reqs[i] & 0xffffffffUL));
		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

/* mmap/mprotect without PROT_EXEC (malloc, thread stacks, mapping guest RAM
 * and kvm_run); tgkill only to this process (abort(), the vCPU kick). */
static int add_base_rules(scmp_filter_ctx ctx)
{
	int rc = allow(ctx, base_calls, N(base_calls));
	if (!rc) /* malloc, guest RAM, kvm_run, thread stacks: never executable */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, arg_masked(2, PROT_EXEC, 0));
	if (!rc) /* malloc grows an arena; thread stack guard pages */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				      arg_masked(2, PROT_EXEC, 0));
	if (!rc) /* abort(), pthread_kill() (vCPU kicks): this process only */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, arg_eq(0, (scmp_datum_t)g_pid));
	return rc;
}

/* New threads only (clone with CLONE_THREAD: never a new process); clone3's
 * flags cannot be inspected, so it fails with ENOSYS and glibc falls back to
 * clone. The new thread names itself and installs its own filter. */
static int add_spawn_rules(scmp_filter_ctx ctx)
{
	int rc = allow(ctx, spawn_calls, N(spawn_calls));
	if (!rc) /* pthread_create */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				      arg_masked(0, CLONE_THREAD, CLONE_THREAD));
	if (!rc) /* pthread_create tries clone3 first */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (!rc) /* pthread_setname_np in the new thread */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, arg_eq(0, PR_SET_NAME));
	if (!rc) /* seccomp_load in the new thread: no_new_privs first */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				      arg_eq(0, PR_SET_NO_NEW_PRIVS));
	if (!rc) /* seccomp_load in the new thread: a filter can only restrict more */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 1,
				      arg_eq(0, SECCOMP_SET_MODE_FILTER));
	return rc;
}

static int add_kind_rules(scmp_filter_ctx ctx, enum thread_filter_kind kind)
{
	int rc = add_base_rules(ctx);
#ifdef NIMBUS_SANITIZED
	if (!rc)
		rc = allow(ctx, sanitizer_calls, N(sanitizer_calls));
#endif
	switch (kind) {
	case THREAD_FILTER_VMM: /* builds VMs: also what its vCPU and I/O threads need */
		if (!rc)
			rc = allow(ctx, vmm_calls, N(vmm_calls));
		if (!rc) /* --net ip=,mask=: the host end of a tap is set through an inet socket */
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, arg_eq(0, AF_INET));
		if (!rc)
			rc = allow_ioctls(ctx, vmm_ioctls, N(vmm_ioctls));
		if (!rc)
			rc = add_spawn_rules(ctx);
		/* fall through */
	case THREAD_FILTER_VCPU:
		if (!rc)
			rc = allow(ctx, vcpu_calls, N(vcpu_calls));
		if (!rc)
			rc = allow_ioctls(ctx, vcpu_ioctls, N(vcpu_ioctls));
		if (kind == THREAD_FILTER_VCPU)
			break;
		/* fall through */
	case THREAD_FILTER_VIRTIO:
		if (!rc)
			rc = allow(ctx, virtio_calls, N(virtio_calls));
		if (!rc)
			rc = allow_ioctls(ctx, virtio_ioctls, N(virtio_ioctls));
		break;
	case THREAD_FILTER_API_LISTEN: /* starts connection threads: also what they need */
		if (!rc)
			rc = allow(ctx, api_listen_calls, N(api_listen_calls));
		if (!rc)
			rc = add_spawn_rules(ctx);
		/* fall through */
	case THREAD_FILTER_API_CONN:
		if (!rc)
			rc = allow(ctx, api_conn_calls, N(api_conn_calls));
		break;
	default:
		rc = -EINVAL;
	}
	return rc;
}

/* ---- denied calls ---------------------------------------------------------- */

static size_t put_str(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s && n < cap)
		buf[n++] = *s++;
	return n;
}

static size_t put_uint(char *buf, size_t n, size_t cap, unsigned long v)
{
	char tmp[24];
	size_t k = 0;
	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k && n < cap)
		buf[n++] = tmp[--k];
	return n;
}

/* System call names for the SIGSYS message, resolved once at start-up
 * (libseccomp's lookup allocates, which a signal handler must not do). */
#define SYSCALL_NAMES 512
static char *g_syscall_names[SYSCALL_NAMES];

static void resolve_syscall_names(void)
{
	for (int nr = 0; nr < SYSCALL_NAMES; nr++)
		g_syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

/* SIGSYS from SECCOMP_RET_TRAP: async-signal-safe (write, _exit only). */
static void sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	char buf[256];
	size_t n = 0, cap = sizeof(buf) - 1;
	n = put_str(buf, n, cap, "nimbus: seccomp: thread ");
	n = put_str(buf, n, cap, t_name[0] ? t_name : "?");
	n = put_str(buf, n, cap, " (");
	n = put_str(buf, n, cap, t_kind ? t_kind : "?");
	n = put_str(buf, n, cap, " filter) made a forbidden system call ");
	unsigned nr = (unsigned)si->si_syscall;
	n = put_uint(buf, n, cap, nr);
	if (nr < SYSCALL_NAMES && g_syscall_names[nr]) {
		n = put_str(buf, n, cap, " (");
		n = put_str(buf, n, cap, g_syscall_names[nr]);
		n = put_str(buf, n, cap, ")");
	}
	n = put_str(buf, n, cap, "; killing nimbus (--seccomp log finds missing calls)");
	buf[n++] = '\n';
	int fd = log_fd();
	if (write(fd, buf, n) < 0) {
		/* nothing else to try */
	}
	if (fd != STDERR_FILENO && write(STDERR_FILENO, buf, n) < 0) {
		/* stderr closed */
	}
	_exit(1);
}

int thread_filter_init(enum thread_filter_mode mode)
{
	g_mode = mode;
	if (mode == THREAD_FILTER_OFF)
		goto probe;
	g_pid = getpid();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	/* glibc loads the time zone on first use (libmicrohttpd's Date header):
	 * load it now, no thread may open files later. */
	tzset();
	/* libseccomp probes the kernel once per process; do it now, while no
	 * filter forbids the probing calls. */
	if (seccomp_api_get() < 1)
		return -ENOSYS;
	resolve_syscall_names();
probe:;
	/* A comma-separated list of kind names. */
	const char *p = getenv("NIMBUS_SECCOMP_PROBE");
	while (p && *p) {
		size_t len = strcspn(p, ",");
		for (unsigned k = 0; k < THREAD_FILTER_KINDS; k++)
			if (strlen(kind_names[k]) == len && !strncmp(p, kind_names[k], len))
				g_probe |= 1u << k;
		p += len + (p[len] == ',');
	}
	return 0;
}

static void probe(enum thread_filter_kind kind, const char *name)
{
	if (!(atomic_fetch_and(&g_probe, ~(1u << kind)) & (1u << kind)))
		return; /* not asked for, or another thread of this kind probed already */
	log_warn("seccomp probe: thread %s (%s) makes a forbidden system call (personality)", name, kind_names[kind]);
	long r = syscall(SYS_personality, 0xffffffffUL);
	log_warn("seccomp probe: thread %s (%s): the forbidden call was allowed (returned %ld): filter off or in log mode", name,
		 kind_names[kind], r);
}

void thread_filter_install(enum thread_filter_kind kind, const char *name)
{
	if (g_mode == THREAD_FILTER_OFF || (t_installed & (1u << kind))) {
		probe(kind, name);
		return;
	}
	snprintf(t_name, sizeof(t_name), "%s", name);
	t_kind = kind_names[kind];
	/* A blocked SIGSYS would kill the process silently. */
	sigset_t sys;
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	scmp_filter_ctx ctx = seccomp_init(g_mode == THREAD_FILTER_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	int rc = ctx ? add_kind_rules(ctx, kind) : -ENOMEM;
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc) {
		/* Running on without the filter would be silently unsafe. */
		log_error("seccomp: cannot install the %s filter in thread %s: %s; exiting", kind_names[kind], name,
			  strerror(-rc));
		_exit(1);
	}
	t_installed |= 1u << kind;
	log_debug("seccomp: %s filter installed in thread %s", kind_names[kind], name);
	probe(kind, name);
}

/* vcpu/vcpu.c — the KVM_RUN loop and exit dispatch. */
#include "vcpu/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "security/seccomp.h"
#include "util/log.h"

#define VCPU_KICK_SIGNAL SIGUSR1

static void kick_handler(int sig) { (void)sig; }

int vcpu_signals_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler; /* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	return sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

int vcpu_create(struct vcpu *v, struct kvm_vm *vm, unsigned index, const struct vcpu_host *host)
{
	memset(v, 0, sizeof(*v));
	v->index = index;
	v->host = *host;
	v->fd = kvm_vm_create_vcpu(vm, index);
	if (v->fd < 0)
		return v->fd;
	v->run_size = vm->run_size;
	void *p = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (p == MAP_FAILED) {
		int rc = -errno;
		close(v->fd);
		v->fd = -1;
		return rc;
	}
	v->run = p;
	return 0;
}

/* PIO: KVM puts `count` items of `size` bytes at run + data_offset. */
static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t size = run->io.size, count = run->io.count;
	uint64_t off = run->io.data_offset;
	if ((size != 1 && size != 2 && size != 4) || off > (uint64_t)v->run_size ||
	    (uint64_t)size * count > (uint64_t)v->run_size - off)
		return;
	uint8_t *data = (uint8_t *)run + off;
	for (uint32_t i = 0; i < count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			bus_write(v->host.pio, run->io.port, data, size);
		else
			bus_read(v->host.pio, run->io.port, data, size);
	}
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t len = run->mmio.len;
	if (len == 0 || len > sizeof(run->mmio.data))
		return;
	if (run->mmio.is_write)
		bus_write(v->host.mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		bus_read(v->host.mmio, run->mmio.phys_addr, run->mmio.data, len);
}

static void stop(struct vcpu *v, enum vcpu_stop_reason reason, const char *why)
{
	v->host.request_stop(v->host.ctx, reason, why);
}

static bool handle_system_event(struct vcpu *v)
{
	char why[96];
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		stop(v, VCPU_STOP_GUEST_SHUTDOWN, "guest shutdown");
		return false;
	case KVM_SYSTEM_EVENT_RESET:
		stop(v, VCPU_STOP_GUEST_SHUTDOWN, "guest reset");
		return false;
	default:
		snprintf(why, sizeof(why), "vCPU %u: system event %u", v->index, v->run->system_event.type);
		stop(v, VCPU_STOP_FATAL, why);
		return false;
	}
}

/* Returns false when the loop must end. */
static bool handle_exit(struct vcpu *v)
{
	char why[160];
	struct kvm_run *run = v->run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		v->exits_io++;
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		v->exits_mmio++;
		handle_mmio(v);
		return true;
	case KVM_EXIT_INTR:
		v->exits_other++;
		return true;
	case KVM_EXIT_HLT:
		stop(v, VCPU_STOP_GUEST_SHUTDOWN, "guest halted");
		return false;
	case KVM_EXIT_SHUTDOWN:
		/* Triple fault: a reset request (e.g. reboot=t), treated as reset. */
		log_warn("vCPU %u: triple fault (shutdown exit), treating as guest reset", v->index);
		/* On AMD, KVM has already reset the vCPU here (the VMCB is undefined
		 * after a SHUTDOWN intercept): the state shows the reset vector. */
		vcpu_log_state(v, LOG_WARN);
		stop(v, VCPU_STOP_TRIPLE_FAULT, "guest triple fault");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		return handle_system_event(v);
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why), "vCPU %u: VM entry failed, hardware reason 0x%llx", v->index,
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		stop(v, VCPU_STOP_FATAL, why);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(why, sizeof(why), "vCPU %u: KVM internal error, suberror %u%s", v->index,
			 run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? " (instruction emulation failed)" : "");
		stop(v, VCPU_STOP_FATAL, why);
		return false;
	default:
		snprintf(why, sizeof(why), "vCPU %u: unhandled KVM exit reason %u", v->index, run->exit_reason);
		stop(v, VCPU_STOP_FATAL, why);
		return false;
	}
}

/* Wait here while the VM is paused (the stop flag also releases). */
static void park(struct vcpu *v)
{
	struct vcpu_pause *p = v->host.pause;
	pthread_mutex_lock(&p->lock);
	if (p->requested) {
		p->parked++;
		pthread_cond_broadcast(&p->cond);
		while (p->requested && !atomic_load(v->host.stop))
			pthread_cond_wait(&p->cond, &p->lock);
		p->parked--;
	}
	pthread_mutex_unlock(&p->lock);
}

void vcpu_pause_init(struct vcpu_pause *p)
{
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->requested = false;
	p->parked = 0;
}

void vcpu_pause_destroy(struct vcpu_pause *p)
{
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

void vcpu_pause_all(struct vcpu_pause *p, struct vcpu *vcpus, unsigned n)
{
	pthread_mutex_lock(&p->lock);
	p->requested = true;
	pthread_mutex_unlock(&p->lock);
	unsigned running = 0;
	for (unsigned i = 0; i < n; i++) {
		if (vcpus[i].started && !atomic_load(&vcpus[i].exited)) {
			vcpu_kick(&vcpus[i]);
			running++;
		}
	}
	pthread_mutex_lock(&p->lock);
	while (p->parked < running) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		/* A vCPU that left its loop (stop) never parks: recount. */
		running = 0;
		for (unsigned i = 0; i < n; i++)
			if (vcpus[i].started && !atomic_load(&vcpus[i].exited))
				running++;
	}
	pthread_mutex_unlock(&p->lock);
}

void vcpu_resume_all(struct vcpu_pause *p)
{
	pthread_mutex_lock(&p->lock);
	p->requested = false;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	char name[16];
	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	thread_filter_install(THREAD_FILTER_VCPU, name);
	while (!atomic_load(v->host.stop)) {
		if (v->host.pause)
			park(v);
		if (atomic_load(v->host.stop))
			break;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			char why[96];
			snprintf(why, sizeof(why), "vCPU %u: KVM_RUN failed: %s", v->index, strerror(errno));
			stop(v, VCPU_STOP_FATAL, why);
			break;
		}
		if (!handle_exit(v))
			break;
	}
	atomic_store(&v->exited, true);
	if (v->host.pause) {
		pthread_mutex_lock(&v->host.pause->lock);
		pthread_cond_broadcast(&v->host.pause->cond);
		pthread_mutex_unlock(&v->host.pause->lock);
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	atomic_store(&v->exited, false);
	int rc = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (rc)
		return -rc;
	v->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->started)
		return;
	v->run->immediate_exit = 1;
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *v)
{
	if (v->started)
		pthread_join(v->thread, NULL);
	v->started = false;
}

void vcpu_log_state(struct vcpu *v, enum log_level level)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	log_msg(level, "vCPU %u: %llu PIO, %llu MMIO, %llu other exits", v->index, (unsigned long long)v->exits_io,
		(unsigned long long)v->exits_mmio, (unsigned long long)v->exits_other);
	log_msg(level, "vCPU %u: rip=0x%llx rsp=0x%llx rflags=0x%llx cr0=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx",
		v->index, (unsigned long long)r.rip, (unsigned long long)r.rsp, (unsigned long long)r.rflags,
		(unsigned long long)s.cr0, (unsigned long long)s.cr3, (unsigned long long)s.cr4,
		(unsigned long long)s.efer);
	log_msg(level, "vCPU %u: rax=0x%llx rbx=0x%llx rcx=0x%llx rdx=0x%llx rsi=0x%llx rdi=0x%llx cs=0x%x ss=0x%x",
		v->index, (unsigned long long)r.rax, (unsigned long long)r.rbx, (unsigned long long)r.rcx,
		(unsigned long long)r.rdx, (unsigned long long)r.rsi, (unsigned long long)r.rdi, s.cs.selector,
		s.ss.selector);
	log_msg(level, "vCPU %u: gdt=0x%llx/%u idt=0x%llx/%u tr=0x%x cr2=0x%llx apic_base=0x%llx", v->index,
		(unsigned long long)s.gdt.base, s.gdt.limit, (unsigned long long)s.idt.base, s.idt.limit,
		s.tr.selector, (unsigned long long)s.cr2, (unsigned long long)s.apic_base);
	struct kvm_vcpu_events e;
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0)
		log_msg(level, "vCPU %u: exception injected=%u pending=%u nr=%u error=0x%x, interrupt injected=%u nr=%u, nmi=%u",
			v->index, e.exception.injected, e.exception.pending, e.exception.nr, e.exception.error_code,
			e.interrupt.injected, e.interrupt.nr, e.nmi.injected);
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

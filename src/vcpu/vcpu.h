/* vcpu/vcpu.h — one thread per vCPU running KVM_RUN and dispatching exits.
 *
 * A vCPU thread handles PIO and MMIO exits synchronously through the buses
 * and asks the VM to stop on shutdown/reset/fatal exits through the host's
 * request_exit callback. vcpu_kick() makes KVM_RUN return promptly (signal +
 * immediate_exit) so the thread can see the stop flag. */
#ifndef NIMBUS_VCPU_VCPU_H
#define NIMBUS_VCPU_VCPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"
#include "kvm/kvm.h"
#include "util/log.h"

struct kvm_run;

/* Why a vCPU asks the VM to stop. */
enum vcpu_stop_reason {
	VCPU_STOP_GUEST_SHUTDOWN, /* guest powered off or reset: clean exit */
	VCPU_STOP_FATAL,          /* KVM or VMM error: exit code != 0 */
	VCPU_STOP_TRIPLE_FAULT,   /* treated as a guest reset: clean exit */
};

struct vcpu_host {
	struct bus *pio;
	struct bus *mmio;
	/* Called from the vCPU thread; must be thread-safe and non-blocking. */
	void (*request_stop)(void *ctx, enum vcpu_stop_reason reason, const char *why);
	void *ctx;
	atomic_bool *stop; /* set by the VM when all vCPUs must leave KVM_RUN */
	struct vcpu_pause *pause; /* VM pause (API vm.pause), or NULL */
};

/* Parks every vCPU of a VM outside KVM_RUN: vcpu_pause_all() sets the
 * request, kicks the vCPUs and waits until each has parked on the condition
 * variable (or has left its loop); vcpu_resume_all() releases them. Called
 * from the control thread only. */
struct vcpu_pause {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool requested;
	unsigned parked;
};

struct vcpu {
	unsigned index;
	int fd;
	struct kvm_run *run;
	int run_size;
	pthread_t thread;
	bool started;
	atomic_bool exited; /* the thread left its loop */
	struct vcpu_host host;
	/* Exit statistics, written only by the vCPU thread. */
	uint64_t exits_io, exits_mmio, exits_other;
};

/* Create the KVM vCPU and map its run area. 0 or -errno. */
__attribute__((warn_unused_result)) int vcpu_create(struct vcpu *v, struct kvm_vm *vm, unsigned index,
						    const struct vcpu_host *host);
/* Install the kick signal handler (process-wide, once, before any start). */
__attribute__((warn_unused_result)) int vcpu_signals_init(void);
__attribute__((warn_unused_result)) int vcpu_start(struct vcpu *v);
void vcpu_kick(struct vcpu *v);
void vcpu_pause_init(struct vcpu_pause *p);
void vcpu_pause_destroy(struct vcpu_pause *p);
void vcpu_pause_all(struct vcpu_pause *p, struct vcpu *vcpus, unsigned n);
void vcpu_resume_all(struct vcpu_pause *p);
void vcpu_join(struct vcpu *v);
/* Log registers of a stopped vCPU (debugging aid for fatal exits). */
void vcpu_log_state(struct vcpu *v, enum log_level level);
void vcpu_destroy(struct vcpu *v);

#endif

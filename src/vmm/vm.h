/* vmm/vm.h — one virtual machine: build it from a vm_config, run it until
 * the guest powers off, a signal arrives or a fatal error happens, tear it
 * down in order.
 *
 * Threads: the caller's thread becomes the control thread (epoll over the
 * signalfd, the terminal and the stop eventfd); one thread per vCPU. */
#ifndef NIMBUS_VMM_VM_H
#define NIMBUS_VMM_VM_H

#include <stdint.h>

#include "vmm/config.h"

/* Exit codes: 0 guest shut down / reset / SIGTERM or SIGINT teardown;
 * 1 fatal error while running; 2 the VM could not be built (bad input). */
enum vm_exit_code { VM_EXIT_OK = 0, VM_EXIT_FATAL = 1, VM_EXIT_SETUP = 2 };

/* Build and run the VM described by cfg. Errors are logged (one line). */
int vm_run(const struct vm_config *cfg);

/* Blocks SIGINT, SIGTERM, SIGHUP and SIGPIPE in the calling thread (threads
 * it starts afterwards inherit the mask) and returns a signalfd for the
 * first three, for a control loop to read; -1 (errno set) on failure. */
int vm_control_signalfd(void);

/* The same, controlled through the API (vmm/vmm.c). The control loop also
 * watches hooks->api_efd and calls api_ready(ctx, vm) when it is readable;
 * booted(ctx, vm) runs on every boot (reboots too) once the vCPUs started.
 * The vm_* functions below may be called only from those callbacks (the
 * control thread). */
struct vm;
struct vm_hooks {
	int api_efd;
	void (*api_ready)(void *ctx, struct vm *vm);
	void (*booted)(void *ctx, struct vm *vm);
	void *ctx;
};
int vm_run_hooks(const struct vm_config *cfg, const struct vm_hooks *hooks);

/* vCPUs kicked out of KVM_RUN and parked, virtio I/O threads paused. */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
/* Ask the control loop to stop the VM (clean exit), or to reboot it. */
void vm_stop(struct vm *vm, const char *why);
void vm_reboot(struct vm *vm);
/* Press the ACPI power button. 0 or -ENODEV. */
__attribute__((warn_unused_result)) int vm_power_button(struct vm *vm);
unsigned vm_nr_vcpus(const struct vm *vm);
/* Counters of --disk / --net device i (NULL if it does not exist); valid
 * until the VM stops. */
struct virtio_blk_counters;
struct virtio_net_counters;
const struct virtio_blk_counters *vm_disk_counters(const struct vm *vm, unsigned i);
const struct virtio_net_counters *vm_net_counters(const struct vm *vm, unsigned i);
void vm_vcpu_exits(const struct vm *vm, unsigned i, uint64_t *io, uint64_t *mmio, uint64_t *other);

#endif

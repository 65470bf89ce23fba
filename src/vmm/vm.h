/* vmm/vm.h — one virtual machine: build it from a vm_config, run it until
 * the guest powers off, a signal arrives or a fatal error happens, tear it
 * down in order.
 *
 * Threads: the caller's thread becomes the control thread (epoll over the
 * signalfd, the terminal and the stop eventfd); one thread per vCPU. */
#ifndef NIMBUS_VMM_VM_H
#define NIMBUS_VMM_VM_H

#include "vmm/config.h"

/* Exit codes: 0 guest shut down / reset / SIGTERM or SIGINT teardown;
 * 1 fatal error while running; 2 the VM could not be built (bad input). */
enum vm_exit_code { VM_EXIT_OK = 0, VM_EXIT_FATAL = 1, VM_EXIT_SETUP = 2 };

/* Build and run the VM described by cfg. Errors are logged (one line). */
int vm_run(const struct vm_config *cfg);

#endif

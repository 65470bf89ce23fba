/* vmm/vmm.h — nimbus with an API socket: the VM lifecycle driven through the
 * REST API (api/), beside or instead of the command line's VM.
 *
 * Threads: the caller's thread is the control thread. It owns the lifecycle
 * (create → boot → running ⇄ paused → shutdown → delete) and the running
 * VM; API connection threads post one request at a time to it (a mutex-held
 * slot + an eventfd the control loop watches, in vm.c's loop while a VM
 * runs and in vmm_main's own loop otherwise) and wait for the answer. Only
 * vmm.ping and the state read for the lifecycle checks skip the control
 * thread. */
#ifndef NIMBUS_VMM_VMM_H
#define NIMBUS_VMM_VMM_H

#include "vmm/config.h"

/* Serve the API on cli's --api-socket; boot cli's VM first if it has a
 * kernel. Returns the process exit code: the VM's when the guest stopped it
 * (powered off, reset, fatal) or a signal arrived, 0 after vmm.shutdown, 2
 * when the socket cannot be set up or the command line's VM cannot boot. */
int vmm_main(const struct vm_config *cli);

#endif

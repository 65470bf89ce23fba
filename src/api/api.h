/* api/api.h — the REST API's handler layer (cloud-hypervisor compatible).
 *
 * api_handle() takes one complete HTTP request (method, path, body) and
 * produces the response: routing under /api/v1/, method checks (405),
 * unknown endpoints (404), JSON bodies parsed strictly (400 with a short
 * message). What an endpoint does to the VM is the backend's business
 * (vmm/vmm.c in nimbus, a fake in the unit tests and the fuzzer); the
 * lifecycle rules (which operation is allowed in which state, with which
 * error status) are here in api_state_check() so they are testable without
 * KVM. Nothing here touches sockets: api/http.c feeds it. Thread-safe as
 * long as the backend is. */
#ifndef NIMBUS_API_API_H
#define NIMBUS_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"

#define API_MAX_BODY (64 * 1024) /* larger bodies: 413 */
#define API_PREFIX "/api/v1/"

enum api_vm_state { API_VM_NONE, API_VM_CREATED, API_VM_RUNNING, API_VM_PAUSED, API_VM_SHUTDOWN };

enum api_op {
	API_OP_PING,
	API_OP_VMM_SHUTDOWN,
	API_OP_CREATE,
	API_OP_DELETE,
	API_OP_BOOT,
	API_OP_INFO,
	API_OP_COUNTERS,
	API_OP_PAUSE,
	API_OP_RESUME,
	API_OP_SHUTDOWN,
	API_OP_REBOOT,
	API_OP_POWER_BUTTON,
	API_OP_HOTPLUG,     /* add-disk, add-net, remove-device, ...: not supported yet */
	API_OP_UNSUPPORTED, /* known cloud-hypervisor endpoints nimbus does not implement */
};

struct api_response {
	unsigned status;
	char *body; /* malloc'd, or NULL */
	bool json;  /* body is JSON (else text/plain) */
};

struct api_backend {
	/* Current VM state (for the checks done before execute). */
	enum api_vm_state (*state)(void *ctx);
	/* Run op (already checked against the state; may still fail if the
	 * state changed meanwhile). cfg is the parsed vm.create body (the
	 * backend takes ownership and must config_free it) or NULL. */
	void (*execute)(void *ctx, enum api_op op, struct vm_config *cfg, struct api_response *resp);
	void *ctx;
	uint64_t host_mem_limit; /* for vm.create's memory.size check; 0 = none */
};

/* Handle one request; resp is always filled (free with api_response_free). */
void api_handle(const struct api_backend *be, const char *method, const char *url, const char *body, size_t len,
		struct api_response *resp);
void api_response_free(struct api_response *resp);

/* Fill resp with a status and a short text message. */
void api_respond_text(struct api_response *resp, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 0 if op may run in state st, else the HTTP status from the API document
 * with a short reason in *msg. */
unsigned api_state_check(enum api_vm_state st, enum api_op op, const char **msg);
/* "Created", "Running", "Shutdown", "Paused" (cloud-hypervisor's VmState). */
const char *api_state_name(enum api_vm_state st);

/* VmConfig JSON (the vm.create body) → validated vm_config. 0, or -EINVAL
 * with a one-line message (unknown keys, wrong types, unsupported fields
 * and values). cfg must be config_free'd in both cases. */
__attribute__((warn_unused_result)) int api_config_from_json(const char *body, size_t len, uint64_t host_mem_limit,
							     struct vm_config *cfg, char *err, size_t errlen);
/* vm_config → VmConfig JSON text (malloc'd; NULL when out of memory). The
 * output parses back with api_config_from_json. */
char *api_config_to_json(const struct vm_config *cfg);
/* The vm.info body: {"config":…, "state":…, "memory_actual_size":…}. */
char *api_vm_info_json(const struct vm_config *cfg, enum api_vm_state st);

#endif

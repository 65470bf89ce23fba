/* api/api.c — routing, method checks, lifecycle rules, vmm.ping. */
#include "api/api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

struct route {
	const char *name; /* after /api/v1/ */
	const char *method;
	enum api_op op;
	bool json_body; /* the body must be a JSON object */
};

static const struct route routes[] = {
	{"vmm.ping", "GET", API_OP_PING, false},
	{"vmm.shutdown", "PUT", API_OP_VMM_SHUTDOWN, false},
	{"vm.create", "PUT", API_OP_CREATE, true},
	{"vm.delete", "PUT", API_OP_DELETE, false},
	{"vm.boot", "PUT", API_OP_BOOT, false},
	{"vm.info", "GET", API_OP_INFO, false},
	{"vm.counters", "GET", API_OP_COUNTERS, false},
	{"vm.pause", "PUT", API_OP_PAUSE, false},
	{"vm.resume", "PUT", API_OP_RESUME, false},
	{"vm.shutdown", "PUT", API_OP_SHUTDOWN, false},
	{"vm.reboot", "PUT", API_OP_REBOOT, false},
	{"vm.power-button", "PUT", API_OP_POWER_BUTTON, false},
	{"vm.add-disk", "PUT", API_OP_HOTPLUG, true},
	{"vm.add-net", "PUT", API_OP_HOTPLUG, true},
	{"vm.remove-device", "PUT", API_OP_HOTPLUG, true},
	{"vm.add-device", "PUT", API_OP_HOTPLUG, true},
	{"vm.add-fs", "PUT", API_OP_HOTPLUG, true},
	{"vm.add-pmem", "PUT", API_OP_HOTPLUG, true},
	{"vm.add-vsock", "PUT", API_OP_HOTPLUG, true},
	{"vm.add-vdpa", "PUT", API_OP_HOTPLUG, true},
	{"vm.add-user-device", "PUT", API_OP_HOTPLUG, true},
	{"vm.add-generic-vhost-user", "PUT", API_OP_HOTPLUG, true},
	{"vm.resize", "PUT", API_OP_UNSUPPORTED, true},
	{"vm.resize-zone", "PUT", API_OP_UNSUPPORTED, true},
	{"vm.resize-disk", "PUT", API_OP_UNSUPPORTED, true},
	{"vm.snapshot", "PUT", API_OP_UNSUPPORTED, true},
	{"vm.restore", "PUT", API_OP_UNSUPPORTED, true},
	{"vm.coredump", "PUT", API_OP_UNSUPPORTED, true},
	{"vm.nmi", "PUT", API_OP_UNSUPPORTED, false},
	{"vm.send-migration", "PUT", API_OP_UNSUPPORTED, true},
	{"vm.receive-migration", "PUT", API_OP_UNSUPPORTED, true},
};

void api_response_free(struct api_response *resp)
{
	free(resp->body);
	resp->body = NULL;
}

void api_respond_text(struct api_response *resp, unsigned status, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	strcat(buf, "\n");
	free(resp->body);
	resp->status = status;
	resp->body = strdup(buf);
	resp->json = false;
}

const char *api_state_name(enum api_vm_state st)
{
	switch (st) {
	case API_VM_CREATED: return "Created";
	case API_VM_RUNNING: return "Running";
	case API_VM_PAUSED: return "Paused";
	case API_VM_SHUTDOWN: return "Shutdown";
	default: return "None";
	}
}

unsigned api_state_check(enum api_vm_state st, enum api_op op, const char **msg)
{
	*msg = NULL;
	switch (op) {
	case API_OP_PING:
	case API_OP_VMM_SHUTDOWN:
	case API_OP_DELETE:
		return 0;
	case API_OP_CREATE:
		if (st != API_VM_NONE) {
			*msg = "a VM is already created (vm.delete it first)";
			return 400;
		}
		return 0;
	default:
		break;
	}
	if (st == API_VM_NONE) {
		*msg = "no VM is created (use vm.create)";
		return 404;
	}
	switch (op) {
	case API_OP_BOOT:
		if (st == API_VM_RUNNING || st == API_VM_PAUSED) {
			*msg = "the VM is already booted";
			return 405;
		}
		return 0;
	case API_OP_PAUSE:
		if (st != API_VM_RUNNING) {
			*msg = st == API_VM_PAUSED ? "the VM is already paused" : "the VM is not booted";
			return 405;
		}
		return 0;
	case API_OP_RESUME:
		if (st != API_VM_PAUSED) {
			*msg = "the VM is not paused";
			return 405;
		}
		return 0;
	case API_OP_SHUTDOWN:
		if (st != API_VM_RUNNING && st != API_VM_PAUSED) {
			*msg = "the VM is not booted";
			return 405;
		}
		return 0;
	case API_OP_REBOOT:
	case API_OP_POWER_BUTTON:
		if (st != API_VM_RUNNING) {
			*msg = st == API_VM_PAUSED ? "the VM is paused (vm.resume it first)" : "the VM is not booted";
			return 405;
		}
		return 0;
	case API_OP_HOTPLUG:
		*msg = "device hotplug is not supported by nimbus yet";
		return 500;
	case API_OP_UNSUPPORTED:
		*msg = "this operation is not supported by nimbus";
		return 500;
	default:
		return 0;
	}
}

static void ping(struct api_response *resp)
{
	json_t *j = json_pack("{s:s, s:s, s:I, s:[]}", "build_version", NIMBUS_VERSION, "version", NIMBUS_VERSION, "pid",
			      (json_int_t)getpid(), "features");
	resp->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	resp->status = resp->body ? 200 : 500;
	resp->json = resp->body != NULL;
}

/* A JSON object body, or a 400 with jansson's message. */
static bool check_json_object(const char *body, size_t len, struct api_response *resp)
{
	if (len == 0) {
		api_respond_text(resp, 400, "this request needs a JSON body");
		return false;
	}
	json_error_t e;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		api_respond_text(resp, 400, "invalid JSON: %s (line %d, column %d)", e.text, e.line, e.column);
		return false;
	}
	bool ok = json_is_object(j);
	json_decref(j);
	if (!ok)
		api_respond_text(resp, 400, "the body must be a JSON object");
	return ok;
}

void api_handle(const struct api_backend *be, const char *method, const char *url, const char *body, size_t len,
		struct api_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	size_t plen = strlen(API_PREFIX);
	if (!url || strncmp(url, API_PREFIX, plen)) {
		api_respond_text(resp, 404, "unknown endpoint (the API is under " API_PREFIX ")");
		return;
	}
	const char *name = url + plen;
	const struct route *r = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (!strcmp(name, routes[i].name))
			r = &routes[i];
	if (!r) {
		api_respond_text(resp, 404, "unknown endpoint");
		return;
	}
	if (!method || strcmp(method, r->method)) {
		api_respond_text(resp, 405, "%s takes %s", r->name, r->method);
		return;
	}
	if (r->op == API_OP_PING) {
		ping(resp);
		return;
	}
	if (r->json_body && !check_json_object(body, len, resp))
		return;
	const char *msg;
	unsigned status = api_state_check(be->state(be->ctx), r->op, &msg);
	if (status) {
		api_respond_text(resp, status, "%s: %s", r->name, msg);
		return;
	}
	struct vm_config *cfg = NULL;
	if (r->op == API_OP_CREATE) {
		cfg = calloc(1, sizeof(*cfg));
		if (!cfg) {
			api_respond_text(resp, 500, "out of memory");
			return;
		}
		char err[384];
		if (api_config_from_json(body, len, be->host_mem_limit, cfg, err, sizeof(err))) {
			config_free(cfg);
			free(cfg);
			api_respond_text(resp, 400, "vm.create: %s", err);
			return;
		}
	}
	be->execute(be->ctx, r->op, cfg, resp);
	if (!resp->status)
		api_respond_text(resp, 500, "%s: no response", r->name);
}

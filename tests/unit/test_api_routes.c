/* Unit tests: API routing, method checks, body checks and the lifecycle
 * rules, through api_handle() with a fake backend (no sockets, no KVM). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"

struct fake {
	enum api_vm_state st;
	int calls;
	enum api_op last;
};

static enum api_vm_state f_state(void *ctx)
{
	return ((struct fake *)ctx)->st;
}

static void f_execute(void *ctx, enum api_op op, struct vm_config *cfg, struct api_response *resp)
{
	struct fake *f = ctx;
	f->calls++;
	f->last = op;
	if (cfg) {
		config_free(cfg);
		free(cfg);
	}
	resp->status = 204;
}

static unsigned req(struct fake *f, const char *method, const char *url, const char *body)
{
	struct api_backend be = {f_state, f_execute, f, 0};
	struct api_response r;
	api_handle(&be, method, url, body, body ? strlen(body) : 0, &r);
	unsigned st = r.status;
	if (st >= 400)
		assert_non_null(r.body); /* every error has a message */
	api_response_free(&r);
	return st;
}

static void test_ping(void **state)
{
	struct fake f = {API_VM_NONE, 0, 0};
	struct api_backend be = {f_state, f_execute, &f, 0};
	struct api_response r;
	api_handle(&be, "GET", "/api/v1/vmm.ping", NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_true(r.json);
	assert_non_null(strstr(r.body, "\"version\":\"" NIMBUS_VERSION "\""));
	api_response_free(&r);
	assert_int_equal(f.calls, 0);
}

static void test_unknown_and_methods(void **state)
{
	struct fake f = {API_VM_RUNNING, 0, 0};
	assert_int_equal(req(&f, "GET", "/api/v1/vm.nothing", NULL), 404);
	assert_int_equal(req(&f, "GET", "/api/v2/vm.info", NULL), 404);
	assert_int_equal(req(&f, "GET", "/vm.info", NULL), 404);
	assert_int_equal(req(&f, "GET", "", NULL), 404);
	assert_int_equal(req(&f, "GET", NULL, NULL), 404);
	assert_int_equal(req(&f, "GET", "/api/v1/vm.info/x", NULL), 404);
	assert_int_equal(req(&f, "PUT", "/api/v1/vmm.ping", NULL), 405);
	assert_int_equal(req(&f, "POST", "/api/v1/vm.boot", NULL), 405);
	assert_int_equal(req(&f, "GET", "/api/v1/vm.pause", NULL), 405);
	assert_int_equal(req(&f, NULL, "/api/v1/vm.pause", NULL), 405);
	assert_int_equal(f.calls, 0);
	assert_int_equal(req(&f, "GET", "/api/v1/vm.info", NULL), 204);
	assert_int_equal(f.last, API_OP_INFO);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.pause", NULL), 204);
	assert_int_equal(f.last, API_OP_PAUSE);
}

static void test_bodies(void **state)
{
	struct fake f = {API_VM_NONE, 0, 0};
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.create", NULL), 400);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.create", "{"), 400);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.create", "[]"), 400);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.create", "\"x\""), 400);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.create", "{\"a\":1,\"a\":2}"), 400);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.create", "{}"), 400); /* payload required */
	assert_int_equal(f.calls, 0);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.create", "{\"payload\":{\"kernel\":\"/k\"}}"), 204);
	assert_int_equal(f.last, API_OP_CREATE);
	/* A body with embedded NUL is not valid JSON. */
	struct api_backend be = {f_state, f_execute, &f, 0};
	struct api_response r;
	api_handle(&be, "PUT", "/api/v1/vm.create", "{\"payload\"\0}", 12, &r);
	assert_int_equal(r.status, 400);
	api_response_free(&r);
}

static void test_states(void **state)
{
	struct fake f = {API_VM_NONE, 0, 0};
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.boot", NULL), 404);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.pause", NULL), 404);
	assert_int_equal(req(&f, "GET", "/api/v1/vm.info", NULL), 404);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.delete", NULL), 204);
	assert_int_equal(req(&f, "PUT", "/api/v1/vmm.shutdown", NULL), 204);
	f.st = API_VM_CREATED;
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.create", "{\"payload\":{\"kernel\":\"/k\"}}"), 400);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.pause", NULL), 405);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.resume", NULL), 405);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.shutdown", NULL), 405);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.reboot", NULL), 405);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.power-button", NULL), 405);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.boot", NULL), 204);
	f.st = API_VM_RUNNING;
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.boot", NULL), 405);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.resume", NULL), 405);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.pause", NULL), 204);
	f.st = API_VM_PAUSED;
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.pause", NULL), 405);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.reboot", NULL), 405);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.resume", NULL), 204);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.shutdown", NULL), 204);
	f.st = API_VM_SHUTDOWN;
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.shutdown", NULL), 405);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.boot", NULL), 204);
}

static void test_hotplug_unsupported(void **state)
{
	struct fake f = {API_VM_NONE, 0, 0};
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.add-disk", "{\"path\":\"/x\"}"), 404);
	f.st = API_VM_RUNNING;
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.add-disk", "{\"path\":\"/x\"}"), 500);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.add-net", "{}"), 500);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.remove-device", "{\"id\":\"x\"}"), 500);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.add-disk", "nope"), 400);
	assert_int_equal(req(&f, "PUT", "/api/v1/vm.snapshot", "{}"), 500);
	assert_int_equal(f.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping),
		cmocka_unit_test(test_unknown_and_methods),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_hotplug_unsupported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

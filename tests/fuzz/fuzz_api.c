/* libFuzzer target: one API request through api_handle() — the handler path
 * the HTTP server uses (routing, method checks, JSON parsing, VmConfig →
 * vm_config, lifecycle checks) — with a fake backend. Input: a request line
 * "METHOD PATH\n" followed by the body; a first byte selects the VM state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static enum api_vm_state g_state;

static enum api_vm_state f_state(void *ctx)
{
	return g_state;
}

static void f_execute(void *ctx, enum api_op op, struct vm_config *cfg, struct api_response *resp)
{
	if (cfg) {
		char *json = api_config_to_json(cfg); /* the vm.info path too */
		free(json);
		config_free(cfg);
		free(cfg);
	}
	resp->status = 204;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	g_state = (enum api_vm_state)(data[0] % 5);
	data++;
	size--;
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl)
		return 0;
	size_t line_len = (size_t)(nl - data);
	char *line = malloc(line_len + 1);
	if (!line)
		return 0;
	memcpy(line, data, line_len);
	line[line_len] = '\0';
	char *sp = strchr(line, ' ');
	const char *method = line, *url = "";
	if (sp) {
		*sp = '\0';
		url = sp + 1;
	}
	size_t body_len = size - line_len - 1;
	char *body = malloc(body_len + 1);
	if (body) {
		memcpy(body, nl + 1, body_len);
		body[body_len] = '\0';
		struct api_backend be = {f_state, f_execute, NULL, 1ULL << 40};
		struct api_response r;
		api_handle(&be, method, url, body, body_len, &r);
		api_response_free(&r);
	}
	free(body);
	free(line);
	return 0;
}

/* remote/nimbus-remote.c — command-line client for nimbus's REST API (like
 * cloud-hypervisor's ch-remote): one request over the Unix socket with
 * libcurl, the JSON answer on stdout; a non-2xx answer's message goes to
 * stderr and the exit status is 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct cmd {
	const char *name;
	const char *endpoint;
	const char *method;
	int body; /* 1: the next argument is a JSON file (or - for stdin) */
};

static const struct cmd cmds[] = {
	{"ping", "vmm.ping", "GET", 0},         {"info", "vm.info", "GET", 0},
	{"counters", "vm.counters", "GET", 0},  {"create", "vm.create", "PUT", 1},
	{"boot", "vm.boot", "PUT", 0},          {"pause", "vm.pause", "PUT", 0},
	{"resume", "vm.resume", "PUT", 0},      {"shutdown", "vm.shutdown", "PUT", 0},
	{"reboot", "vm.reboot", "PUT", 0},      {"delete", "vm.delete", "PUT", 0},
	{"shutdown-vmm", "vmm.shutdown", "PUT", 0}, {"power-button", "vm.power-button", "PUT", 0},
	{"add-disk", "vm.add-disk", "PUT", 1},  {"add-net", "vm.add-net", "PUT", 1},
	{"remove-device", "vm.remove-device", "PUT", 1},
};

struct buf {
	char *data;
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t add = size * n;
	char *nd = realloc(b->data, b->len + add + 1);
	if (!nd)
		return 0;
	memcpy(nd + b->len, p, add);
	b->data = nd;
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f)
		return NULL;
	struct buf b = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (on_data(chunk, 1, n, &b) != n)
			break;
	if (f != stdin)
		fclose(f);
	*len = b.len;
	return b.data ? b.data : calloc(1, 1);
}

static void usage(void)
{
	fprintf(stderr, "usage: nimbus-remote --api-socket PATH <command> [ARG]\ncommands:");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, " %s%s", cmds[i].name, cmds[i].body ? " FILE" : "");
	fprintf(stderr, "\n(FILE is a JSON body; - reads stdin; remove-device also takes an id)\n");
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	int i = 1;
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--api-socket") && i + 1 < argc)
			sock = argv[++i];
		else if (!strncmp(argv[i], "--api-socket=", 13))
			sock = argv[i] + 13;
		else {
			usage();
			return 2;
		}
	}
	if (!sock || i >= argc) {
		usage();
		return 2;
	}
	const struct cmd *c = NULL;
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (!strcmp(argv[i], cmds[k].name))
			c = &cmds[k];
	if (!c || (c->body && i + 1 >= argc)) {
		usage();
		return 2;
	}
	char *body = NULL;
	size_t body_len = 0;
	if (c->body) {
		const char *arg = argv[i + 1];
		if (!strcmp(c->name, "remove-device") && strcmp(arg, "-") && arg[0] != '/' && arg[0] != '.') {
			size_t n = strlen(arg) + 16;
			body = malloc(n);
			if (body)
				body_len = (size_t)snprintf(body, n, "{\"id\":\"%s\"}", arg);
		} else {
			body = read_file(arg, &body_len);
		}
		if (!body) {
			fprintf(stderr, "nimbus-remote: cannot read %s\n", arg);
			return 1;
		}
	}
	char url[128];
	snprintf(url, sizeof(url), "http://localhost/api/v1/%s", c->endpoint);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *h = curl_easy_init();
	struct buf out = {0};
	struct curl_slist *hdrs = NULL;
	int code = 1;
	if (!h)
		goto done;
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	if (!strcmp(c->method, "PUT")) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "nimbus-remote: %s: %s\n", sock, curl_easy_strerror(rc));
		goto done;
	}
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300) {
		if (out.len)
			printf("%s%s", out.data, out.data[out.len - 1] == '\n' ? "" : "\n");
		code = 0;
	} else {
		fprintf(stderr, "nimbus-remote: %s: HTTP %ld: %s%s", c->name, status, out.data ? out.data : "",
			out.len && out.data[out.len - 1] == '\n' ? "" : "\n");
	}
done:
	curl_slist_free_all(hdrs);
	if (h)
		curl_easy_cleanup(h);
	curl_global_cleanup();
	free(out.data);
	free(body);
	return code;
}

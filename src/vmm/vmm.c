/* vmm/vmm.c — the API-driven lifecycle (see vmm.h). */
#include "vmm/vmm.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <jansson.h>

#include "api/api.h"
#include "api/http.h"
#include "util/counter.h"
#include "util/event_monitor.h"
#include "security/seccomp.h"
#include "util/log.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "vmm/vm.h"

struct vmm {
	const struct vm_config *cli;
	pthread_mutex_t lock; /* guards the request slot and state */
	pthread_cond_t cond;
	pthread_mutex_t post_lock; /* one request in flight */
	int efd;
	/* the request slot */
	bool has_req, taken, done, deferred;
	bool closing; /* the control thread has left its loop: refuse requests */
	enum api_op op;
	struct vm_config *new_cfg;
	struct api_response *resp;
	enum api_vm_state state;
	/* control thread only */
	struct vm_config *cfg; /* the created VM's config, or NULL */
	bool cfg_owned;
	bool boot_requested, booted, stop_by_api, delete_after_stop, quit;
	int exit_code;
	struct api_backend be;
};

static void set_state(struct vmm *m, enum api_vm_state st)
{
	pthread_mutex_lock(&m->lock);
	m->state = st;
	pthread_mutex_unlock(&m->lock);
}

static enum api_vm_state be_state(void *ctx)
{
	struct vmm *m = ctx;
	pthread_mutex_lock(&m->lock);
	enum api_vm_state st = m->state;
	pthread_mutex_unlock(&m->lock);
	return st;
}

static void refuse_closing(struct vm_config *cfg, struct api_response *resp)
{
	if (cfg) {
		config_free(cfg);
		free(cfg);
	}
	api_respond_text(resp, 503, "nimbus is shutting down");
}

/* Control thread, leaving: from now on requests are refused at once, and one
 * that was posted but never processed is answered here. Without this its API
 * thread would wait for ever, and MHD_stop_daemon for that thread. */
static void stop_taking_requests(struct vmm *m)
{
	pthread_mutex_lock(&m->lock);
	m->closing = true;
	if (m->has_req && !m->done) {
		refuse_closing(m->taken ? NULL : m->new_cfg, m->resp);
		m->done = true;
		pthread_cond_broadcast(&m->cond);
	}
	pthread_mutex_unlock(&m->lock);
}

/* API connection thread: hand the request to the control thread, wait. */
static void be_execute(void *ctx, enum api_op op, struct vm_config *cfg, struct api_response *resp)
{
	struct vmm *m = ctx;
	pthread_mutex_lock(&m->post_lock);
	pthread_mutex_lock(&m->lock);
	if (m->closing) {
		pthread_mutex_unlock(&m->lock);
		pthread_mutex_unlock(&m->post_lock);
		refuse_closing(cfg, resp);
		return;
	}
	m->op = op;
	m->new_cfg = cfg;
	m->resp = resp;
	m->has_req = true;
	m->taken = m->done = m->deferred = false;
	pthread_mutex_unlock(&m->lock);
	uint64_t one = 1;
	if (write(m->efd, &one, sizeof(one)) < 0)
		api_respond_text(resp, 500, "cannot reach the control thread");
	pthread_mutex_lock(&m->lock);
	while (!m->done)
		pthread_cond_wait(&m->cond, &m->lock);
	m->has_req = false;
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_unlock(&m->post_lock);
}

/* Control thread: finish the request in the slot. */
static void complete(struct vmm *m)
{
	pthread_mutex_lock(&m->lock);
	m->done = true;
	m->deferred = false;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

static void free_cfg(struct vmm *m)
{
	if (m->cfg && m->cfg_owned) {
		config_free(m->cfg);
		free(m->cfg);
	}
	m->cfg = NULL;
	m->cfg_owned = false;
}

static void delete_vm(struct vmm *m)
{
	bool had = m->cfg != NULL;
	free_cfg(m);
	set_state(m, API_VM_NONE);
	if (had)
		event_emit("vm", "deleted", NULL);
}

/* A device's key in vm.counters: its id, or cloud-hypervisor's _diskN / _netN. */
static void device_name(char *buf, size_t len, const char *id, const char *prefix, unsigned i)
{
	if (id)
		snprintf(buf, len, "%s", id);
	else
		snprintf(buf, len, "_%s%u", prefix, i);
}

/* One device's object in vm.counters: keys[i] = *vals[i]. */
static void add_device(json_t *j, const char *id, const char *prefix, unsigned i, const char *const keys[],
		       const counter_t *const vals[], unsigned n)
{
	char name[64];
	device_name(name, sizeof(name), id, prefix, i);
	json_t *d = json_object();
	for (unsigned k = 0; d && k < n; k++)
		json_object_set_new(d, keys[k], json_integer((json_int_t)counter_get(vals[k])));
	json_object_set_new(j, name, d);
}

static void add_device_counters(json_t *j, struct vm *vm, const struct vm_config *cfg)
{
	static const char *const disk_keys[] = {"read_bytes", "write_bytes", "read_ops", "write_ops"};
	static const char *const net_keys[] = {"rx_bytes", "rx_frames", "rx_drops", "tx_bytes", "tx_frames", "tx_drops"};
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		const struct virtio_blk_counters *c = vm_disk_counters(vm, i);
		if (c) {
			const counter_t *v[] = {&c->read_bytes, &c->write_bytes, &c->read_ops, &c->write_ops};
			add_device(j, cfg->disks[i].id, "disk", i, disk_keys, v, 4);
		}
	}
	for (unsigned i = 0; i < cfg->nr_nets; i++) {
		const struct virtio_net_counters *c = vm_net_counters(vm, i);
		if (c) {
			const counter_t *v[] = {&c->rx_bytes, &c->rx_frames, &c->rx_drops,
						&c->tx_bytes, &c->tx_frames, &c->tx_drops};
			add_device(j, cfg->nets[i].id, "net", i, net_keys, v, 6);
		}
	}
}

/* vm.counters: per device (disks, nets) and per vCPU (exits); {} while the
 * VM is not running (the devices exist only then). */
static void counters(struct vm *vm, const struct vm_config *cfg, struct api_response *resp)
{
	json_t *j = json_object();
	if (vm && j && cfg)
		add_device_counters(j, vm, cfg);
	for (unsigned i = 0; vm && j && i < vm_nr_vcpus(vm); i++) {
		uint64_t io, mmio, other;
		vm_vcpu_exits(vm, i, &io, &mmio, &other);
		char name[16];
		snprintf(name, sizeof(name), "vcpu%u", i);
		json_object_set_new(j, name,
				    json_pack("{s:I, s:I, s:I}", "exits_io", (json_int_t)io, "exits_mmio",
					      (json_int_t)mmio, "exits_other", (json_int_t)other));
	}
	resp->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	resp->status = resp->body ? 200 : 500;
	resp->json = true;
}

/* Control thread: run the posted request against vm (NULL if none runs). */
static void process(struct vmm *m, struct vm *vm)
{
	uint64_t cnt;
	(void)!read(m->efd, &cnt, sizeof(cnt));
	pthread_mutex_lock(&m->lock);
	bool have = m->has_req && !m->taken;
	m->taken = true;
	enum api_vm_state st = m->state;
	pthread_mutex_unlock(&m->lock);
	if (!have)
		return;
	struct api_response *resp = m->resp;
	const char *msg;
	unsigned status = api_state_check(st, m->op, &msg);
	if (status) { /* the state changed since the API thread checked */
		if (m->new_cfg) {
			config_free(m->new_cfg);
			free(m->new_cfg);
		}
		api_respond_text(resp, status, "%s", msg);
		complete(m);
		return;
	}
	bool defer = false;
	switch (m->op) {
	case API_OP_CREATE:
		m->cfg = m->new_cfg;
		m->cfg_owned = true;
		m->cfg->sigterm_grace = m->cli->sigterm_grace;
		set_state(m, API_VM_CREATED);
		event_emit("vm", "created", NULL);
		resp->status = 204;
		break;
	case API_OP_DELETE:
		if (vm) {
			m->stop_by_api = m->delete_after_stop = true;
			vm_stop(vm, "API vm.delete");
			defer = true;
		} else {
			delete_vm(m);
			resp->status = 204;
		}
		break;
	case API_OP_BOOT:
		m->boot_requested = true;
		defer = true; /* answered by the booted hook or after a failed build */
		break;
	case API_OP_INFO:
		resp->body = api_vm_info_json(m->cfg, st);
		resp->json = true;
		resp->status = resp->body ? 200 : 500;
		break;
	case API_OP_COUNTERS:
		counters(vm, m->cfg, resp);
		break;
	case API_OP_PAUSE:
		vm_pause(vm);
		set_state(m, API_VM_PAUSED);
		resp->status = 204;
		break;
	case API_OP_RESUME:
		vm_resume(vm);
		set_state(m, API_VM_RUNNING);
		resp->status = 204;
		break;
	case API_OP_SHUTDOWN:
		m->stop_by_api = true;
		vm_stop(vm, "API vm.shutdown");
		defer = true; /* answered once the VM is torn down */
		break;
	case API_OP_REBOOT:
		vm_reboot(vm);
		resp->status = 204;
		break;
	case API_OP_POWER_BUTTON:
		if (vm_power_button(vm))
			api_respond_text(resp, 500, "the VM has no ACPI power button");
		else
			resp->status = 204;
		break;
	case API_OP_VMM_SHUTDOWN:
		m->quit = true;
		if (vm) {
			m->stop_by_api = m->delete_after_stop = true;
			vm_stop(vm, "API vmm.shutdown");
			defer = true;
		} else {
			delete_vm(m);
			resp->status = 204;
		}
		break;
	default:
		api_respond_text(resp, 500, "not implemented");
		break;
	}
	if (defer) {
		pthread_mutex_lock(&m->lock);
		m->deferred = true;
		pthread_mutex_unlock(&m->lock);
	} else {
		complete(m);
	}
}

static bool reply_deferred(struct vmm *m)
{
	pthread_mutex_lock(&m->lock);
	bool d = m->has_req && m->taken && !m->done && m->deferred;
	pthread_mutex_unlock(&m->lock);
	return d;
}

static void hook_api_ready(void *ctx, struct vm *vm)
{
	process(ctx, vm);
}

static void hook_booted(void *ctx, struct vm *vm)
{
	struct vmm *m = ctx;
	m->booted = true;
	set_state(m, API_VM_RUNNING);
	if (reply_deferred(m) && m->op == API_OP_BOOT) {
		m->resp->status = 204;
		complete(m);
	}
}

/* Run the created VM until it stops; decide what happens next. */
static void run_vm(struct vmm *m)
{
	struct vm_hooks hooks = {m->efd, hook_api_ready, hook_booted, m};
	m->boot_requested = m->booted = m->stop_by_api = m->delete_after_stop = false;
	int code = vm_run_hooks(m->cfg, &hooks);
	if (!m->booted) {
		set_state(m, API_VM_CREATED);
		if (reply_deferred(m)) {
			api_respond_text(m->resp, 500, "vm.boot: the VM could not be built (see nimbus's log)");
			complete(m);
		} else { /* the command line's VM */
			m->quit = true;
			m->exit_code = code;
		}
		return;
	}
	if (!m->stop_by_api) {
		/* The guest powered off or reset, a fatal error, or a signal. */
		m->quit = true;
		m->exit_code = code;
		set_state(m, API_VM_SHUTDOWN);
		return;
	}
	set_state(m, API_VM_SHUTDOWN);
	if (m->delete_after_stop)
		delete_vm(m);
	if (reply_deferred(m)) {
		m->resp->status = 204;
		complete(m);
	}
}

static int listen_socket(const struct vm_config *cli)
{
	if (cli->api_socket_fd)
		return cli->api_socket_fd;
	int fd = api_listen_unix(cli->api_socket_path);
	if (fd < 0)
		log_error("--api-socket path=%s: %s", cli->api_socket_path, strerror(-fd));
	return fd;
}

int vmm_main(const struct vm_config *cli)
{
	struct vmm *m = calloc(1, sizeof(*m));
	if (!m)
		return VM_EXIT_SETUP;
	m->cli = cli;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	pthread_mutex_init(&m->post_lock, NULL);
	m->be = (struct api_backend){be_state, be_execute, m, config_host_mem_limit()};
	int code = VM_EXIT_SETUP;
	struct api_server *srv = NULL;
	/* Block the control signals before any thread starts (they inherit
	 * the mask); the control loops read them from signalfds. */
	int sigfd = vm_control_signalfd();
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	m->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int lfd = listen_socket(cli);
	if (sigfd < 0 || epfd < 0 || m->efd < 0 || lfd < 0)
		goto out;
	int rc = api_server_start(lfd, &m->be, &srv);
	if (rc) {
		log_error("cannot start the API server: %s", strerror(-rc));
		goto out;
	}
	/* Set-up done (socket, API threads): the control thread's filter, which
	 * also allows building VMs (vm.create/vm.boot, reboots). */
	thread_filter_install(THREAD_FILTER_VMM, "nimbus");
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = m->efd};
	struct epoll_event sev = {.events = EPOLLIN, .data.fd = sigfd};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, m->efd, &ev) || epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &sev))
		goto out;
	code = VM_EXIT_OK;
	if (cli->kernel) {
		m->cfg = (struct vm_config *)cli; /* not owned */
		m->state = API_VM_CREATED;
		m->boot_requested = true;
	}
	while (!m->quit) {
		if (m->boot_requested) {
			run_vm(m);
			code = m->exit_code;
			continue;
		}
		struct epoll_event e;
		int n = epoll_wait(epfd, &e, 1, -1);
		if (n == 1 && e.data.fd == m->efd) {
			process(m, NULL);
		} else if (n == 1 && e.data.fd == sigfd) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == sizeof(si))
				log_info("received %s: exiting", strsignal((int)si.ssi_signo));
			m->quit = true;
		}
	}
	/* Let a vmm.shutdown answer reach its client before the server goes. */
	usleep(100 * 1000);
out:
	stop_taking_requests(m);
	api_server_stop(srv);
	if (cli->api_socket_path && !cli->api_socket_fd)
		unlink(cli->api_socket_path);
	if (m->efd >= 0)
		close(m->efd);
	if (epfd >= 0)
		close(epfd);
	if (sigfd >= 0)
		close(sigfd);
	free_cfg(m);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->post_lock);
	free(m);
	return code;
}

/* api/config_json.c — VmConfig JSON ⇄ struct vm_config.
 *
 * Every object is unpacked with JSON_STRICT, so a key nimbus does not know
 * is an error naming the key. Known fields whose feature nimbus lacks are
 * accepted only with their default value (false, empty), so clients that
 * send full configs with defaults (Kata Containers) work, and anything that
 * would change the VM is refused rather than ignored. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/api.h"

static int errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int unpack(json_t *j, const char *what, char *err, size_t errlen, const char *fmt, ...)
{
	json_error_t e;
	va_list ap;
	va_start(ap, fmt);
	int rc = json_vunpack_ex(j, &e, JSON_STRICT, fmt, ap);
	va_end(ap);
	if (rc)
		return errf(err, errlen, "%s: %s", what, e.text);
	return 0;
}

static int dup_str(char **dst, const char *s, char *err, size_t errlen)
{
	free(*dst);
	*dst = NULL;
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : errf(err, errlen, "out of memory");
}

#define REFUSE_TRUE(b, name)                                                                       \
	do {                                                                                       \
		if (b)                                                                             \
			return errf(err, errlen, "%s: not supported by nimbus (only false)", name); \
	} while (0)

static int parse_payload(json_t *j, struct vm_config *cfg, char *err, size_t errlen)
{
	const char *kernel = NULL, *cmdline = NULL, *initramfs = NULL, *firmware = NULL, *igvm = NULL, *host_data = NULL;
	int rc = unpack(j, "payload", err, errlen, "{s?s, s?s, s?s, s?s, s?s, s?s}", "kernel", &kernel, "cmdline",
			&cmdline, "initramfs", &initramfs, "firmware", &firmware, "igvm", &igvm, "host_data", &host_data);
	if (rc)
		return rc;
	if (firmware || igvm || host_data)
		return errf(err, errlen, "payload.%s: not supported by nimbus (use payload.kernel)",
			    firmware ? "firmware" : igvm ? "igvm" : "host_data");
	if (!kernel || !*kernel)
		return errf(err, errlen, "payload.kernel: required");
	if ((rc = dup_str(&cfg->kernel, kernel, err, errlen)) || (rc = dup_str(&cfg->initramfs, initramfs, err, errlen)))
		return rc;
	if (initramfs && !*initramfs)
		return errf(err, errlen, "payload.initramfs: empty path");
	return dup_str(&cfg->cmdline, cmdline, err, errlen);
}

static int parse_cpus(json_t *j, struct vm_config *cfg, char *err, size_t errlen)
{
	json_int_t boot = 0, max = 0, phys_bits = 0;
	int hyperv = 0, nested = 1;
	int rc = unpack(j, "cpus", err, errlen, "{s:I, s:I, s?b, s?b, s?I}", "boot_vcpus", &boot, "max_vcpus", &max,
			"kvm_hyperv", &hyperv, "nested", &nested, "max_phys_bits", &phys_bits);
	if (rc)
		return rc;
	REFUSE_TRUE(hyperv, "cpus.kvm_hyperv");
	if (boot < 1 || boot > CONFIG_MAX_VCPUS)
		return errf(err, errlen, "cpus.boot_vcpus: %lld is out of range 1..%d", (long long)boot, CONFIG_MAX_VCPUS);
	if (max < boot || max > CONFIG_MAX_VCPUS)
		return errf(err, errlen, "cpus.max_vcpus: %lld is out of range %lld..%d", (long long)max, (long long)boot,
			    CONFIG_MAX_VCPUS);
	if (phys_bits < 0 || phys_bits > 52)
		return errf(err, errlen, "cpus.max_phys_bits: %lld is out of range 0..52", (long long)phys_bits);
	cfg->boot_vcpus = (unsigned)boot;
	cfg->max_vcpus = (unsigned)max;
	return 0;
}

static int parse_memory(json_t *j, struct vm_config *cfg, char *err, size_t errlen)
{
	json_int_t size = 0, hotplug = 0, hotplugged = 0;
	int mergeable = 0, shared = 0, hugepages = 0, prefault = 0, reserve = 0, thp = 1;
	const char *method = NULL;
	int rc = unpack(j, "memory", err, errlen, "{s:I, s?I, s?I, s?b, s?b, s?b, s?b, s?b, s?b, s?s}", "size", &size,
			"hotplug_size", &hotplug, "hotplugged_size", &hotplugged, "mergeable", &mergeable, "shared",
			&shared, "hugepages", &hugepages, "prefault", &prefault, "reserve", &reserve, "thp", &thp,
			"hotplug_method", &method);
	if (rc)
		return rc;
	REFUSE_TRUE(mergeable, "memory.mergeable");
	REFUSE_TRUE(shared, "memory.shared");
	REFUSE_TRUE(hugepages, "memory.hugepages");
	REFUSE_TRUE(prefault, "memory.prefault");
	REFUSE_TRUE(reserve, "memory.reserve");
	if (hotplug || hotplugged)
		return errf(err, errlen, "memory.hotplug_size: memory hotplug is not supported by nimbus");
	if (method && strcmp(method, "Acpi"))
		return errf(err, errlen, "memory.hotplug_method: only \"Acpi\"");
	if (size <= 0)
		return errf(err, errlen, "memory.size: must be positive");
	cfg->mem_size = (uint64_t)size;
	return 0;
}

static int parse_console(json_t *j, const char *what, struct console_config *c, char *err, size_t errlen)
{
	const char *mode = NULL, *file = NULL, *socket = NULL, *id = NULL;
	int iommu = 0;
	int rc = unpack(j, what, err, errlen, "{s:s, s?s, s?s, s?b, s?s}", "mode", &mode, "file", &file, "socket",
			&socket, "iommu", &iommu, "id", &id);
	if (rc)
		return rc;
	REFUSE_TRUE(iommu, "iommu");
	if (socket)
		return errf(err, errlen, "%s.socket: not supported by nimbus", what);
	if (!strcmp(mode, "Off"))
		c->mode = CONSOLE_OFF;
	else if (!strcmp(mode, "Null"))
		c->mode = CONSOLE_NULL;
	else if (!strcmp(mode, "Tty"))
		c->mode = CONSOLE_TTY;
	else if (!strcmp(mode, "File"))
		c->mode = CONSOLE_FILE;
	else
		return errf(err, errlen, "%s.mode: \"%.32s\" is not supported (Off, Null, Tty or File)", what, mode);
	if (c->mode == CONSOLE_FILE && (!file || !*file))
		return errf(err, errlen, "%s: mode File needs file", what);
	if (c->mode != CONSOLE_FILE && file)
		return errf(err, errlen, "%s.file: only with mode File", what);
	return dup_str(&c->path, file, err, errlen);
}

static int parse_rng(json_t *j, struct vm_config *cfg, char *err, size_t errlen)
{
	const char *src = NULL, *id = NULL;
	int iommu = 0;
	json_int_t seg = 0;
	int rc = unpack(j, "rng", err, errlen, "{s:s, s?b, s?s, s?I}", "src", &src, "iommu", &iommu, "id", &id,
			"pci_segment", &seg);
	if (rc)
		return rc;
	REFUSE_TRUE(iommu, "rng.iommu");
	if (seg)
		return errf(err, errlen, "rng.pci_segment: only segment 0");
	if (!*src)
		return errf(err, errlen, "rng.src: empty path");
	return dup_str(&cfg->rng_src, src, err, errlen);
}

static int parse_disk(json_t *j, unsigned i, struct vm_config *cfg, char *err, size_t errlen)
{
	char what[32];
	snprintf(what, sizeof(what), "disks[%u]", i);
	const char *path = NULL, *id = NULL, *image_type = NULL, *serial = NULL;
	int readonly = 0, direct = 0, iommu = 0, vhost_user = 0, sparse = 1, backing = 0;
	json_int_t nq = 1, qs = CONFIG_DISK_DEFAULT_QUEUE_SIZE, seg = 0;
	int rc = unpack(j, what, err, errlen, "{s:s, s?b, s?b, s?b, s?I, s?I, s?b, s?s, s?s, s?b, s?b, s?I, s?s}",
			"path", &path, "readonly", &readonly, "direct", &direct, "iommu", &iommu, "num_queues", &nq,
			"queue_size", &qs, "vhost_user", &vhost_user, "id", &id, "image_type", &image_type, "sparse",
			&sparse, "backing_files", &backing, "pci_segment", &seg, "serial", &serial);
	if (rc)
		return rc;
	REFUSE_TRUE(iommu, "disks.iommu");
	REFUSE_TRUE(vhost_user, "disks.vhost_user");
	REFUSE_TRUE(backing, "disks.backing_files");
	if (seg)
		return errf(err, errlen, "%s.pci_segment: only segment 0", what);
	if (serial)
		return errf(err, errlen, "%s.serial: not supported by nimbus (use id)", what);
	if (!*path)
		return errf(err, errlen, "%s.path: empty", what);
	if (nq < 1 || nq > CONFIG_DISK_MAX_QUEUES)
		return errf(err, errlen, "%s.num_queues: out of range 1..%d", what, CONFIG_DISK_MAX_QUEUES);
	if (qs < 2 || qs > 1024 || (qs & (qs - 1)))
		return errf(err, errlen, "%s.queue_size: a power of two 2..1024", what);
	if (image_type && strcmp(image_type, "Raw"))
		return errf(err, errlen, "%s.image_type: only \"Raw\"", what);
	if (id && strlen(id) > 20)
		return errf(err, errlen, "%s.id: at most 20 bytes", what);
	struct disk_config *d = &cfg->disks[i];
	d->readonly = readonly;
	d->direct = direct;
	d->num_queues = (unsigned)nq;
	d->queue_size = (unsigned)qs;
	if ((rc = dup_str(&d->path, path, err, errlen)) || (rc = dup_str(&d->id, id, err, errlen)))
		return rc;
	return 0;
}

/* A JSON array of up to max device objects, each parsed by one(); *count
 * follows the parse so config_free sees what was set. */
static int parse_array(json_t *j, const char *what, unsigned max, unsigned *count,
		       int (*one)(json_t *, unsigned, struct vm_config *, char *, size_t), struct vm_config *cfg,
		       char *err, size_t errlen)
{
	if (!json_is_array(j))
		return errf(err, errlen, "%s: expected an array", what);
	size_t n = json_array_size(j);
	if (n > max)
		return errf(err, errlen, "%s: at most %u", what, max);
	for (size_t i = 0; i < n; i++) {
		*count = (unsigned)i + 1;
		int rc = one(json_array_get(j, i), (unsigned)i, cfg, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static int net_set(struct net_config *n, const char *what, const char *key, const char *value, char *err,
		   size_t errlen)
{
	return value ? config_net_set(n, what, key, value, err, errlen) : 0;
}

static int net_set_int(struct net_config *n, const char *what, const char *key, json_int_t v, char *err,
		       size_t errlen)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return config_net_set(n, what, key, buf, err, errlen);
}

/* NetConfig → the same net_config as --net (and the same checks). */
static int parse_net(json_t *j, unsigned i, struct vm_config *cfg, char *err, size_t errlen)
{
	char what[32];
	snprintf(what, sizeof(what), "net[%u]", i);
	const char *tap = NULL, *ip = NULL, *mask = NULL, *mac = NULL, *host_mac = NULL, *id = NULL, *vsock = NULL,
		   *vmode = NULL;
	json_int_t mtu = 1500, nq = 0, qs = CONFIG_NET_DEFAULT_QUEUE_SIZE, seg = 0, devid = -1;
	int iommu = 0, vhost_user = 0, tso = 1, ufo = 1, csum = 1;
	json_t *rl = NULL;
	int rc = unpack(j, what, err, errlen,
			"{s?s, s?s, s?s, s?s, s?s, s?I, s?b, s?I, s?I, s?b, s?s, s?s, s?s, s?I, s?I, s?o, s?b, s?b, s?b}",
			"tap", &tap, "ip", &ip, "mask", &mask, "mac", &mac, "host_mac", &host_mac, "mtu", &mtu, "iommu",
			&iommu, "num_queues", &nq, "queue_size", &qs, "vhost_user", &vhost_user, "vhost_socket", &vsock,
			"vhost_mode", &vmode, "id", &id, "pci_segment", &seg, "pci_device_id", &devid,
			"rate_limiter_config", &rl, "offload_tso", &tso, "offload_ufo", &ufo, "offload_csum", &csum);
	if (rc)
		return rc;
	REFUSE_TRUE(iommu, "net.iommu");
	REFUSE_TRUE(vhost_user, "net.vhost_user");
	if (vsock || (vmode && strcmp(vmode, "Client")))
		return errf(err, errlen, "%s: vhost-user is not supported by nimbus", what);
	if (host_mac || mtu != 1500 || seg || devid != -1 || (rl && !json_is_null(rl)))
		return errf(err, errlen, "%s.%s: not supported by nimbus", what,
			    host_mac ? "host_mac"
			    : mtu != 1500 ? "mtu (only 1500)"
			    : seg ? "pci_segment"
			    : devid != -1 ? "pci_device_id"
					  : "rate_limiter_config");
	if (!tso || !ufo || !csum)
		return errf(err, errlen, "%s.offload_*: nimbus always offers the offloads (only true)", what);
	struct net_config *n = &cfg->nets[i];
	config_net_defaults(n);
	bool has_nq = json_object_get(j, "num_queues") != NULL; /* default: one pair */
	if ((rc = net_set(n, what, "tap", tap, err, errlen)) || (rc = net_set(n, what, "ip", ip, err, errlen)) ||
	    (rc = net_set(n, what, "mask", mask, err, errlen)) || (rc = net_set(n, what, "mac", mac, err, errlen)) ||
	    (rc = net_set(n, what, "id", id, err, errlen)) ||
	    (has_nq && (rc = net_set_int(n, what, "num_queues", nq, err, errlen))) ||
	    (rc = net_set_int(n, what, "queue_size", qs, err, errlen)))
		return rc;
	return config_net_check(n, what, err, errlen);
}

int api_config_from_json(const char *body, size_t len, uint64_t host_mem_limit, struct vm_config *cfg, char *err,
			 size_t errlen)
{
	config_defaults(cfg);
	/* cloud-hypervisor's default serial is Null and console Tty; nimbus's API
	 * VMs have no terminal of their own, so both default to Null/Off. */
	cfg->serial.mode = CONSOLE_NULL;
	json_error_t e;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (!root)
		return errf(err, errlen, "invalid JSON: %s", e.text);
	json_t *payload = NULL, *cpus = NULL, *memory = NULL, *serial = NULL, *console = NULL, *rng = NULL,
	       *disks = NULL, *net = NULL;
	int iommu = 0, watchdog = 0, pvpanic = 0;
	int rc = unpack(root, "VmConfig", err, errlen, "{s:o, s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?b, s?b, s?b}",
			"payload", &payload, "cpus", &cpus, "memory", &memory, "serial", &serial, "console", &console,
			"rng", &rng, "disks", &disks, "net", &net, "iommu", &iommu, "watchdog", &watchdog, "pvpanic",
			&pvpanic);
	if (!rc && (iommu || watchdog || pvpanic))
		rc = errf(err, errlen, "%s: not supported by nimbus (only false)",
			  iommu ? "iommu" : watchdog ? "watchdog" : "pvpanic");
	if (!rc)
		rc = parse_payload(payload, cfg, err, errlen);
	if (!rc && cpus)
		rc = parse_cpus(cpus, cfg, err, errlen);
	if (!rc && memory)
		rc = parse_memory(memory, cfg, err, errlen);
	if (!rc && serial)
		rc = parse_console(serial, "serial", &cfg->serial, err, errlen);
	if (!rc && console)
		rc = parse_console(console, "console", &cfg->console, err, errlen);
	if (!rc && rng)
		rc = parse_rng(rng, cfg, err, errlen);
	if (!rc && disks && !json_is_null(disks))
		rc = parse_array(disks, "disks", CONFIG_MAX_DISKS, &cfg->nr_disks, parse_disk, cfg, err, errlen);
	if (!rc && net && !json_is_null(net))
		rc = parse_array(net, "net", CONFIG_MAX_NETS, &cfg->nr_nets, parse_net, cfg, err, errlen);
	json_decref(root);
	if (rc)
		return rc;
	char verr[256];
	if (config_validate(cfg, host_mem_limit, verr, sizeof(verr)))
		return errf(err, errlen, "%s", verr);
	return 0;
}

static void set_str(json_t *j, const char *key, const char *value)
{
	if (j && value)
		json_object_set_new(j, key, json_string(value));
}

static const char *mode_name(enum console_mode m)
{
	switch (m) {
	case CONSOLE_NULL: return "Null";
	case CONSOLE_TTY: return "Tty";
	case CONSOLE_FILE: return "File";
	default: return "Off";
	}
}

static json_t *console_json(const struct console_config *c)
{
	json_t *j = json_pack("{s:s}", "mode", mode_name(c->mode));
	if (c->mode == CONSOLE_FILE)
		set_str(j, "file", c->path);
	return j;
}

/* The nets as NetConfig (a caller's fd= is not part of the document). */
static json_t *nets_json(const struct vm_config *cfg)
{
	json_t *a = json_array();
	for (unsigned i = 0; a && i < cfg->nr_nets && i < CONFIG_MAX_NETS; i++) {
		const struct net_config *n = &cfg->nets[i];
		json_t *nj = json_pack("{s:I, s:I}", "num_queues", (json_int_t)n->num_queues, "queue_size",
				       (json_int_t)n->queue_size);
		set_str(nj, "tap", n->tap);
		set_str(nj, "ip", n->ip);
		set_str(nj, "mask", n->mask);
		set_str(nj, "id", n->id);
		if (nj && n->has_mac) {
			char mac[18];
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2],
				 n->mac[3], n->mac[4], n->mac[5]);
			set_str(nj, "mac", mac);
		}
		json_array_append_new(a, nj);
	}
	return a;
}

static json_t *config_json(const struct vm_config *cfg)
{
	json_t *payload = json_pack("{s:s, s:s}", "kernel", cfg->kernel ? cfg->kernel : "", "cmdline",
				    cfg->cmdline ? cfg->cmdline : "");
	set_str(payload, "initramfs", cfg->initramfs);
	json_t *disks = json_array();
	for (unsigned i = 0; disks && i < cfg->nr_disks && i < CONFIG_MAX_DISKS; i++) {
		const struct disk_config *d = &cfg->disks[i];
		json_t *dj = json_pack("{s:s, s:b, s:b, s:I, s:I}", "path", d->path ? d->path : "", "readonly",
				       d->readonly, "direct", d->direct, "num_queues", (json_int_t)d->num_queues,
				       "queue_size", (json_int_t)d->queue_size);
		set_str(dj, "id", d->id);
		json_array_append_new(disks, dj);
	}
	return json_pack("{s:o, s:{s:I, s:I}, s:{s:I}, s:o, s:o, s:{s:s}, s:o, s:o}", "payload", payload, "cpus",
			 "boot_vcpus", (json_int_t)cfg->boot_vcpus, "max_vcpus", (json_int_t)cfg->max_vcpus, "memory",
			 "size", (json_int_t)cfg->mem_size, "serial", console_json(&cfg->serial), "console",
			 console_json(&cfg->console), "rng", "src", cfg->rng_src ? cfg->rng_src : CONFIG_DEFAULT_RNG_SRC,
			 "disks", disks, "net", nets_json(cfg));
}

char *api_config_to_json(const struct vm_config *cfg)
{
	json_t *j = config_json(cfg);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return s;
}

char *api_vm_info_json(const struct vm_config *cfg, enum api_vm_state st)
{
	json_t *j = json_pack("{s:o, s:s, s:I}", "config", config_json(cfg), "state", api_state_name(st),
			      "memory_actual_size", (json_int_t)cfg->mem_size);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return s;
}

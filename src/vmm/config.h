/* vmm/config.h — the validated VM configuration and its command-line parser.
 *
 * Options follow cloud-hypervisor's syntax: `--cpus boot=2`, `--memory
 * size=512M`, `--serial tty|file=PATH|null|off`, `--console ...` (same values),
 * `--rng src=PATH`. Parsing never exits: it
 * returns an error with a one-line message for the caller to print. */
#ifndef NIMBUS_VMM_CONFIG_H
#define NIMBUS_VMM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/cpuid.h"
#include "security/seccomp.h"

#define CONFIG_MAX_VCPUS 254
#define CONFIG_DEFAULT_MEM (512ULL << 20)
#define CONFIG_DEFAULT_RNG_SRC "/dev/urandom"
#define CONFIG_DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=1"

enum console_mode { CONSOLE_OFF, CONSOLE_NULL, CONSOLE_TTY, CONSOLE_FILE };

#define CONFIG_MAX_DISKS 16
#define CONFIG_DISK_MAX_QUEUES 8
#define CONFIG_DISK_DEFAULT_QUEUE_SIZE 128

/* --disk path=FILE[,readonly=on|off][,direct=on|off][,num_queues=N]
 *        [,queue_size=N][,id=NAME][,image_type=raw] (virtio-blk) */
struct disk_config {
	char *path;
	char *id;         /* GET_ID string (<= 20 bytes), or NULL */
	char *image_type; /* "raw" (default) */
	int readonly, direct; /* 0/1 */
	unsigned num_queues;  /* 1..CONFIG_DISK_MAX_QUEUES, default 1 */
	unsigned queue_size;  /* power of two 2..1024, default 128 */
};

#define CONFIG_MAX_NETS 8
#define CONFIG_NET_DEFAULT_QUEUE_SIZE 256
#define CONFIG_NET_MAX_PAIRS 8

/* --net tap=NAME|fd=N|fd=[N,M,...][,mac=MAC][,ip=IP,mask=MASK][,num_queues=N]
 *       [,queue_size=N][,id=NAME] (virtio-net; cloud-hypervisor's meaning:
 *       the named tap, or a new one configured with ip/mask; num_queues
 *       counts rx and tx queues, so 2 per queue pair; fd= gives one tap queue
 *       per pair) */
struct net_config {
	char *tap;         /* tap name, or NULL: the kernel picks one */
	int fds[CONFIG_NET_MAX_PAIRS]; /* tap fds from the caller (one per queue pair) */
	unsigned nr_fds;               /* 0: nimbus opens the tap */
	char *ip, *mask;   /* host end of a created tap */
	char *id;
	uint8_t mac[6];
	int has_mac;       /* else a random locally administered MAC */
	unsigned num_queues; /* even, 2..2*CONFIG_NET_MAX_PAIRS; default 2, or 2 per fd */
	unsigned queue_size; /* power of two 2..1024, default 256 */
};

/* One --net / API NetConfig entry: defaults, one key (tap, fd, mac, ip,
 * mask, num_queues, queue_size, id: the value as text), and the checks
 * across keys. `what` starts the error message ("--net", "net[0]"). 0 or
 * -EINVAL with a one-line message. */
void config_net_defaults(struct net_config *n);
__attribute__((warn_unused_result)) int config_net_set(struct net_config *n, const char *what, const char *key,
							 const char *value, char *err, size_t errlen);
__attribute__((warn_unused_result)) int config_net_check(struct net_config *n, const char *what, char *err,
							   size_t errlen);

enum boot_entry { BOOT_ENTRY_AUTO, BOOT_ENTRY_LINUX64, BOOT_ENTRY_PVH };

struct console_config {
	enum console_mode mode;
	char *path; /* CONSOLE_FILE */
};

struct vm_config {
	char *kernel;
	char *initramfs;
	char *cmdline;
	unsigned boot_vcpus;
	unsigned max_vcpus;
	enum cpu_template cpu_template;
	uint64_t mem_size;
	struct console_config serial;
	struct console_config console; /* virtio-console; default off */
	char *rng_src;                 /* virtio-rng source; default /dev/urandom */
	struct disk_config disks[CONFIG_MAX_DISKS];
	unsigned nr_disks;
	struct net_config nets[CONFIG_MAX_NETS];
	unsigned nr_nets;
	enum boot_entry boot_entry;
	unsigned sigterm_grace; /* s: SIGTERM presses the ACPI power button first */
	char *log_file;
	int verbosity; /* number of -v */
	char *api_socket_path; /* --api-socket path=PATH, or NULL */
	int api_socket_fd;     /* --api-socket fd=N (a listening socket), or 0 */
	char *event_monitor_path; /* --event-monitor path=PATH, or NULL */
	int event_monitor_fd;     /* --event-monitor fd=N, or 0 */
	enum thread_filter_mode seccomp; /* --seccomp true|false|log (process-wide; default true) */
};

enum config_action { CONFIG_RUN, CONFIG_HELP, CONFIG_VERSION };

/* Parse argv into cfg (defaults filled in). `host_mem_limit` is the most
 * guest memory the host can back (bytes; 0 = no check). Returns 0 and the
 * action, or -EINVAL with a one-line message in err. cfg must be freed with
 * config_free() in both cases. */
__attribute__((warn_unused_result)) int config_parse_args(int argc, char **argv, uint64_t host_mem_limit,
							  struct vm_config *cfg, enum config_action *action,
							  char *err, size_t errlen);
void config_free(struct vm_config *cfg);
/* Defaults for every field (used before parsing argv or an API body). */
void config_defaults(struct vm_config *cfg);
/* Checks and fills derived defaults (max_vcpus, rng_src, cmdline) of a
 * config that has a kernel. 0 or -EINVAL with a message. */
__attribute__((warn_unused_result)) int config_validate(struct vm_config *cfg, uint64_t host_mem_limit,
							char *err, size_t errlen);

/* "512M", "2G", "1048576", "64K" → bytes. 0 or -EINVAL (junk, overflow). */
__attribute__((warn_unused_result)) int config_parse_size(const char *s, uint64_t *out);

/* Host RAM + swap, the ceiling used for --memory size. */
uint64_t config_host_mem_limit(void);

void config_print_help(const char *prog);

#endif

/* vmm/vm.c — VM construction, the control loop and teardown. */
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include "arch/x86/acpi.h"
#include "arch/x86/boot.h"
#include "arch/x86/cpu_state.h"
#include "arch/x86/layout.h"
#include "arch/x86/mptable.h"
#include "bus/bus.h"
#include "devices/acpi_pm.h"
#include "devices/debug_port.h"
#include "devices/i8042.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "kvm/kvm.h"
#include "loader/initramfs.h"
#include "loader/kernel.h"
#include "mem/guest_mem.h"
#include "util/event_monitor.h"
#include "security/seccomp.h"
#include "util/log.h"
#include "vcpu/vcpu.h"
#include "net/tap.h"
#include "util/errmsg.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "vmm/pci_setup.h"

struct vm {
	const struct vm_config *cfg;
	struct kvm_vm kvm;
	struct guest_mem mem;
	struct bus pio, mmio;
	struct vcpu *vcpus;
	unsigned nr_vcpus;
	struct serial *serial;
	struct i8042 *i8042;
	struct rtc *rtc;
	struct debug_port *debug_port;
	struct pci_setup *pci;
	uint64_t pci_mmio64_start, pci_mmio64_end;
	int rng_fd;           /* virtio-rng source, or -1 */
	int console_out_fd;   /* virtio-console output; owned if console_out_owned */
	bool console_out_owned;
	struct blk_backend *disks[CONFIG_MAX_DISKS]; /* --disk images, closed after the devices */
	int net_fds[CONFIG_MAX_NETS][CONFIG_NET_MAX_PAIRS]; /* tap queues we opened (-1: none or the caller's fd=),
							     closed after the devices */
	void *disk_devs[CONFIG_MAX_DISKS], *net_devs[CONFIG_MAX_NETS]; /* device state, for the counters */
	int serial_out_fd;    /* owned unless it is stdout */
	bool serial_out_owned;
	int serial_in_fd;     /* stdin, or -1 */
	int rx_space_efd;     /* serial made room for more input */
	/* stop request, from any thread */
	atomic_bool stop;
	int stop_efd;
	pthread_mutex_t stop_lock;
	bool stop_recorded;
	int exit_code;
	bool reboot;          /* the stop is a guest reboot: build the VM again */
	bool triple_fault;    /* a vCPU triple-faulted (set before its stop request) */
	bool boot_page_tables; /* nimbus wrote the long-mode identity map */
	unsigned boot_nr;     /* 0 for the first boot of this process */
	struct acpi_pm *acpi_pm;
	bool power_button_pressed;
	int grace_tfd;        /* SIGTERM grace timer, or -1 */
	char stop_reason[192];
	/* API control (vmm/vmm.c), or NULL */
	const struct vm_hooks *hooks;
	struct vcpu_pause pause;
	bool paused;
	/* terminal */
	bool tty_raw;
	struct termios saved_tty;
};

/* ---- stop requests ---------------------------------------------------- */

static void vm_request_stop(struct vm *vm, int exit_code, const char *why)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (!vm->stop_recorded) {
		vm->stop_recorded = true;
		vm->exit_code = exit_code;
		snprintf(vm->stop_reason, sizeof(vm->stop_reason), "%s", why);
	}
	pthread_mutex_unlock(&vm->stop_lock);
	atomic_store(&vm->stop, true);
	uint64_t one = 1;
	if (write(vm->stop_efd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow here; nothing else to do. */
	}
}

static void acpi_poweroff(void *ctx)
{
	vm_request_stop(ctx, VM_EXIT_OK, "guest powered off (ACPI S5)");
}

static void acpi_reboot(void *ctx)
{
	struct vm *vm = ctx;
	pthread_mutex_lock(&vm->stop_lock);
	if (!vm->stop_recorded)
		vm->reboot = true;
	pthread_mutex_unlock(&vm->stop_lock);
	vm_request_stop(vm, VM_EXIT_OK, "guest reboot (ACPI reset register)");
}

static void vcpu_request_stop(void *ctx, enum vcpu_stop_reason reason, const char *why)
{
	struct vm *vm = ctx;
	if (reason == VCPU_STOP_TRIPLE_FAULT)
		vm->triple_fault = true; /* read by the control thread after joining the vCPUs */
	vm_request_stop(vm, reason == VCPU_STOP_FATAL ? VM_EXIT_FATAL : VM_EXIT_OK, why);
}

static void i8042_reset(void *ctx)
{
	vm_request_stop(ctx, VM_EXIT_OK, "guest reset (i8042)");
}

static void serial_rx_space(void *ctx)
{
	struct vm *vm = ctx;
	uint64_t one = 1;
	if (write(vm->rx_space_efd, &one, sizeof(one)) < 0) {
		/* eventfd counter saturation is impossible at this rate */
	}
}

/* ---- terminal --------------------------------------------------------- */

static void tty_restore(struct vm *vm)
{
	if (vm->tty_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &vm->saved_tty);
		vm->tty_raw = false;
	}
}

static void tty_make_raw(struct vm *vm)
{
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &vm->saved_tty) < 0)
		return;
	struct termios raw = vm->saved_tty;
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST | ONLCR; /* keep nimbus's own log lines readable */
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
		vm->tty_raw = true;
}

/* ---- building the VM -------------------------------------------------- */

static int setup_memory(struct vm *vm)
{
	int rc = gm_create(&vm->mem, vm->cfg->mem_size);
	if (rc) {
		log_error("cannot create %lluM of guest memory: %s", (unsigned long long)(vm->cfg->mem_size >> 20),
			  strerror(-rc));
		return rc;
	}
	rc = kvm_vm_set_memory(&vm->kvm, &vm->mem);
	if (rc)
		log_error("KVM_SET_USER_MEMORY_REGION failed: %s", strerror(-rc));
	return rc;
}

static enum kernel_entry_pref entry_pref(const struct vm_config *cfg)
{
	return cfg->boot_entry == BOOT_ENTRY_PVH ? KERNEL_PREFER_PVH : KERNEL_PREFER_LINUX64;
}

static uint64_t low_ram_end(const struct guest_mem *gm)
{
	return gm->regions[0].size; /* region 0 starts at 0 */
}

static int load_payload(struct vm *vm, struct loaded_kernel *lk, struct boot_info *bi)
{
	char err[256];
	int rc = kernel_load(&vm->mem, vm->cfg->kernel, entry_pref(vm->cfg), lk, err, sizeof(err));
	if (rc) {
		log_error("%s", err);
		return rc;
	}
	memset(bi, 0, sizeof(*bi));
	bi->cmdline = vm->cfg->cmdline;
	if (lk->is_bzimage) {
		bi->setup_header = lk->setup_header;
		bi->setup_header_len = lk->setup_header_len;
		if (strlen(vm->cfg->cmdline) > lk->cmdline_size) {
			log_error("--cmdline: %zu bytes, the kernel accepts at most %u", strlen(vm->cfg->cmdline),
				  lk->cmdline_size);
			return -EINVAL;
		}
	}
	if (!vm->cfg->initramfs)
		return 0;
	uint64_t max = low_ram_end(&vm->mem);
	if (lk->is_bzimage && lk->initrd_addr_max && (uint64_t)lk->initrd_addr_max + 1 < max)
		max = (uint64_t)lk->initrd_addr_max + 1;
	rc = initramfs_load(&vm->mem, vm->cfg->initramfs, lk->kernel_end, max, &bi->initrd_gpa, &bi->initrd_size, err,
			    sizeof(err));
	if (rc)
		log_error("%s", err);
	return rc;
}

static int setup_boot(struct vm *vm, struct loaded_kernel *lk)
{
	struct boot_info bi;
	int rc = load_payload(vm, lk, &bi);
	if (rc)
		return rc;
	enum x86_entry_mode mode = lk->mode == KERNEL_ENTRY_PVH ? X86_ENTRY_PVH : X86_ENTRY_LINUX64;
	struct acpi_config acfg = {.ncpus = vm->cfg->boot_vcpus, .max_cpus = vm->cfg->max_vcpus,
				   .serial = vm->cfg->serial.mode != CONSOLE_OFF, .pci = vm->pci != NULL,
				   .pci_mmio64_start = vm->pci_mmio64_start, .pci_mmio64_end = vm->pci_mmio64_end};
	rc = acpi_write_tables(&vm->mem, &acfg, &bi.rsdp_gpa);
	if (!rc)
		rc = x86_write_boot_tables(&vm->mem, mode);
	vm->boot_page_tables = !rc && mode == X86_ENTRY_LINUX64;
	if (!rc)
		rc = mode == X86_ENTRY_PVH ? boot_write_pvh(&vm->mem, &bi) : boot_write_linux(&vm->mem, &bi);
	if (!rc)
		rc = mptable_write(&vm->mem, vm->cfg->boot_vcpus);
	if (rc)
		log_error("cannot write boot information into guest memory: %s", strerror(-rc));
	else
		log_info("kernel entry 0x%llx (%s), initramfs %llu bytes at 0x%llx", (unsigned long long)lk->entry,
			 mode == X86_ENTRY_PVH ? "PVH" : "64-bit Linux boot protocol",
			 (unsigned long long)bi.initrd_size, (unsigned long long)bi.initrd_gpa);
	return rc;
}

static int open_serial_output(struct vm *vm)
{
	const struct console_config *c = &vm->cfg->serial;
	vm->serial_out_fd = -1;
	if (c->mode == CONSOLE_TTY) {
		vm->serial_out_fd = STDOUT_FILENO;
	} else if (c->mode == CONSOLE_FILE) {
		/* A reboot keeps what the earlier boots wrote. */
		vm->serial_out_fd = open(c->path, O_WRONLY | O_CREAT | (vm->boot_nr ? O_APPEND : O_TRUNC) | O_CLOEXEC, 0644);
		if (vm->serial_out_fd < 0) {
			int rc = -errno;
			log_error("--serial file=%s: %s", c->path, strerror(-rc));
			return rc;
		}
		vm->serial_out_owned = true;
	}
	return 0;
}

static int add_pio(struct vm *vm, uint64_t base, uint64_t len, const struct bus_ops *ops, void *dev,
		   const char *name)
{
	int rc = bus_insert(&vm->pio, base, len, ops, dev, name);
	if (rc)
		log_error("cannot place %s at port 0x%llx: %s", name, (unsigned long long)base, strerror(-rc));
	return rc;
}

static int setup_serial(struct vm *vm)
{
	if (vm->cfg->serial.mode == CONSOLE_OFF)
		return 0;
	int rc = open_serial_output(vm);
	if (rc)
		return rc;
	struct serial_config sc = {
		.out_fd = vm->serial_out_fd,
		.irq = {kvm_irq_line_set_level, &vm->kvm, SERIAL_COM1_IRQ},
		.rx_space_cb = serial_rx_space,
		.rx_space_ctx = vm,
	};
	rc = serial_create(&sc, &vm->serial);
	if (rc) {
		log_error("cannot create the serial port: %s", strerror(-rc));
		return rc;
	}
	if (vm->cfg->serial.mode == CONSOLE_TTY)
		vm->serial_in_fd = STDIN_FILENO;
	return add_pio(vm, SERIAL_COM1_BASE, SERIAL_PORT_LEN, &serial_bus_ops, vm->serial, "serial");
}

static int setup_legacy_devices(struct vm *vm)
{
	int rc = setup_serial(vm);
	if (rc)
		return rc;
	struct i8042_config ic = {.reset_cb = i8042_reset, .reset_ctx = vm};
	struct rtc_config rc_cfg = {.mem_below_4g = vm->mem.regions[0].size,
				    .mem_above_4g = gm_total_size(&vm->mem) - vm->mem.regions[0].size};
	rc = i8042_create(&ic, &vm->i8042);
	if (!rc)
		rc = add_pio(vm, I8042_DATA_PORT, 1, &i8042_data_bus_ops, vm->i8042, "i8042-data");
	if (!rc)
		rc = add_pio(vm, I8042_CMD_PORT, 1, &i8042_cmd_bus_ops, vm->i8042, "i8042-cmd");
	if (!rc)
		rc = rtc_create(&rc_cfg, &vm->rtc);
	if (!rc)
		rc = add_pio(vm, RTC_PORT_BASE, RTC_PORT_LEN, &rtc_bus_ops, vm->rtc, "cmos-rtc");
	struct acpi_pm_config pm = {.poweroff = acpi_poweroff, .reboot = acpi_reboot, .ctx = vm,
				    .ged_irq = {kvm_irq_line_set_level, &vm->kvm, ACPI_PM_GED_GSI}};
	if (!rc)
		rc = acpi_pm_create(&pm, &vm->acpi_pm);
	if (!rc)
		rc = add_pio(vm, ACPI_PM_PORT_BASE, ACPI_PM_PORT_LEN, &acpi_pm_bus_ops, vm->acpi_pm, "acpi-pm");
	if (!rc)
		rc = debug_port_create(&vm->debug_port);
	if (!rc)
		rc = add_pio(vm, DEBUG_PORT_BASE, 1, &debug_port_bus_ops, vm->debug_port, "debug-port");
	if (rc)
		log_error("cannot create legacy devices: %s", strerror(-rc));
	return rc;
}

/* The tap queues of one --net, one per queue pair: fd= adopted (all of one
 * tap), or opened/created (then recorded in owned[] for teardown). */
static int open_net_taps(const struct net_config *nc, int *fds, int *owned, char ifname[TAP_NAME_MAX])
{
	char err[256], name[TAP_NAME_MAX];
	int rc = 0;
	if (nc->nr_fds == 0) {
		struct tap_params tp = {nc->tap, nc->ip, nc->mask, nc->num_queues / 2};
		rc = tap_open(&tp, fds, ifname, err, sizeof(err));
		for (unsigned q = 0; !rc && q < tp.queues; q++)
			owned[q] = fds[q];
	}
	for (unsigned q = 0; q < nc->nr_fds && !rc; q++) {
		fds[q] = nc->fds[q];
		rc = tap_adopt_fd(fds[q], nc->nr_fds > 1, q ? name : ifname, err, sizeof(err));
		if (!rc && q && strcmp(name, ifname))
			rc = errmsg_set(err, sizeof(err), -EINVAL, "--net fd=%d: tap %s, but fd=%d is tap %s", fds[q],
					name, fds[0], ifname);
	}
	if (rc)
		log_error("%s", err);
	return rc;
}

/* One virtio-net per --net: open (or create) the tap, or adopt fd=. */
_Static_assert(CONFIG_NET_MAX_PAIRS <= VIRTIO_NET_MAX_PAIRS, "--net queue pairs");
static int setup_nets(struct vm *vm)
{
	for (unsigned i = 0; i < vm->cfg->nr_nets; i++) {
		const struct net_config *nc = &vm->cfg->nets[i];
		char ifname[TAP_NAME_MAX];
		struct virtio_net_params np = {.nr_pairs = nc->num_queues / 2, .mtu = 1500, .queue_size = nc->queue_size};
		int rc = open_net_taps(nc, np.tap_fds, vm->net_fds[i], ifname);
		if (rc)
			return rc;
		if (nc->has_mac)
			memcpy(np.mac, nc->mac, 6);
		else
			tap_random_mac(np.mac);
		const struct virtio_device_ops *ops;
		void *priv;
		rc = virtio_net_create(&np, &ops, &priv);
		if (!rc)
			rc = pci_setup_add_virtio_ops(vm->pci, "net", ops, priv);
		else
			log_error("--net: cannot create the device: %s", strerror(-rc));
		if (rc)
			return rc;
		vm->net_devs[i] = priv;
		log_info("net%u: tap %s, mac %02x:%02x:%02x:%02x:%02x:%02x, %u queue pair(s)", i, ifname, np.mac[0],
			 np.mac[1], np.mac[2], np.mac[3], np.mac[4], np.mac[5], np.nr_pairs);
	}
	return 0;
}

/* The PCI bus and the virtio devices: rng (always, like cloud-hypervisor)
 * and console (unless --console off). */
static int setup_pci(struct vm *vm)
{
	pci_setup_mmio64_window(gm_end(&vm->mem), &vm->pci_mmio64_start, &vm->pci_mmio64_end);
	struct pci_setup_config pc = {&vm->kvm, &vm->mem, &vm->pio, &vm->mmio, vm->pci_mmio64_start,
				      vm->pci_mmio64_end};
	int rc = pci_setup_create(&pc, &vm->pci);
	if (rc)
		return rc;
	vm->rng_fd = open(vm->cfg->rng_src, O_RDONLY | O_CLOEXEC);
	if (vm->rng_fd < 0) {
		rc = -errno;
		log_error("--rng src=%s: %s", vm->cfg->rng_src, strerror(-rc));
		return rc;
	}
	struct virtio_backend rng_be = {.in_fd = vm->rng_fd, .out_fd = -1};
	rc = pci_setup_add_virtio(vm->pci, &virtio_rng_type, &rng_be);
	if (rc)
		return rc;
	const struct console_config *c = &vm->cfg->console;
	if (c->mode != CONSOLE_OFF) {
		struct virtio_backend con_be = {.in_fd = -1, .out_fd = -1};
		if (c->mode == CONSOLE_TTY) {
			con_be.in_fd = STDIN_FILENO;
			con_be.out_fd = STDOUT_FILENO;
		} else if (c->mode == CONSOLE_FILE) {
			vm->console_out_fd = open(c->path, O_WRONLY | O_CREAT | (vm->boot_nr ? O_APPEND : O_TRUNC) | O_CLOEXEC,
						  0644);
			if (vm->console_out_fd < 0) {
				rc = -errno;
				log_error("--console file=%s: %s", c->path, strerror(-rc));
				return rc;
			}
			vm->console_out_owned = true;
			con_be.out_fd = vm->console_out_fd;
		}
		rc = pci_setup_add_virtio(vm->pci, &virtio_console_type, &con_be);
		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < vm->cfg->nr_disks; i++) {
		const struct disk_config *d = &vm->cfg->disks[i];
		struct blk_image_params ip = {d->path, d->readonly, d->direct, d->image_type};
		char err[512];
		rc = blk_image_open(&ip, &vm->disks[i], err, sizeof(err));
		if (rc) {
			log_error("%s", err);
			return rc;
		}
		struct virtio_blk_params bp = {vm->disks[i], d->num_queues, d->queue_size, d->id, false};
		const struct virtio_device_ops *ops;
		void *priv;
		rc = virtio_blk_create(&bp, &ops, &priv);
		if (!rc)
			rc = pci_setup_add_virtio_ops(vm->pci, "blk", ops, priv);
		else
			log_error("--disk path=%s: cannot create the device: %s", d->path, strerror(-rc));
		if (rc)
			return rc;
		vm->disk_devs[i] = priv;
	}
	rc = setup_nets(vm);
	if (rc)
		return rc;
	return pci_setup_allocate_bars(vm->pci);
}

static int setup_vcpus(struct vm *vm, const struct loaded_kernel *lk)
{
	unsigned n = vm->cfg->boot_vcpus;
	if ((int)n > vm->kvm.max_vcpus) {
		log_error("--cpus boot=%u: KVM supports at most %d vCPUs", n, vm->kvm.max_vcpus);
		return -EINVAL;
	}
	vm->vcpus = calloc(n, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	struct vcpu_host host = {&vm->pio, &vm->mmio, vcpu_request_stop, vm, &vm->stop, &vm->pause};
	enum x86_entry_mode mode = lk->mode == KERNEL_ENTRY_PVH ? X86_ENTRY_PVH : X86_ENTRY_LINUX64;
	for (unsigned i = 0; i < n; i++) {
		int rc = vcpu_create(&vm->vcpus[i], &vm->kvm, i, &host);
		if (rc) {
			log_error("cannot create vCPU %u: %s", i, strerror(-rc));
			return rc;
		}
		vm->nr_vcpus++;
		rc = x86_vcpu_init(vm->vcpus[i].fd, &vm->kvm, i, n, vm->cfg->cpu_template);
		if (!rc && i == 0)
			rc = x86_vcpu_set_boot_regs(vm->vcpus[i].fd, mode, lk->entry);
		if (rc) {
			log_error("cannot set up vCPU %u: %s", i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int vm_build(struct vm *vm)
{
	char err[256];
	int rc = kvm_vm_open(&vm->kvm, err, sizeof(err));
	if (rc) {
		log_error("%s", err);
		return rc;
	}
	struct loaded_kernel lk;
	rc = setup_memory(vm);
	if (!rc)
		rc = setup_pci(vm);
	if (!rc)
		rc = setup_boot(vm, &lk);
	if (!rc)
		rc = setup_legacy_devices(vm);
	if (!rc)
		rc = setup_vcpus(vm, &lk);
	return rc;
}

/* ---- running ---------------------------------------------------------- */

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Moves terminal bytes into the UART, keeping what it cannot take yet. */
struct input_buf {
	uint8_t data[256];
	size_t len, off;
	bool watching; /* serial_in_fd is in the epoll set */
	bool eof;
};

static void pump_input(struct vm *vm, int epfd, struct input_buf *in)
{
	for (;;) {
		if (in->off < in->len) {
			size_t n = serial_push_input(vm->serial, in->data + in->off, in->len - in->off);
			in->off += n;
			if (in->off < in->len)
				break; /* wait for rx_space */
		}
		if (in->eof)
			break;
		ssize_t r = read(vm->serial_in_fd, in->data, sizeof(in->data));
		if (r <= 0) {
			if (r < 0 && (errno == EINTR))
				continue;
			if (r < 0 && errno == EAGAIN)
				break;
			in->eof = true;
			break;
		}
		in->len = (size_t)r;
		in->off = 0;
	}
	bool want = !in->eof && in->off >= in->len;
	if (want != in->watching) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = vm->serial_in_fd};
		epoll_ctl(epfd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, vm->serial_in_fd, want ? &ev : NULL);
		in->watching = want;
	}
}

static void handle_signal(struct vm *vm, int sigfd)
{
	struct signalfd_siginfo si;
	if (read(sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	char why[64];
	snprintf(why, sizeof(why), "received %s", strsignal((int)si.ssi_signo));
	unsigned grace = vm->cfg->sigterm_grace;
	if (si.ssi_signo == SIGTERM && grace && vm->acpi_pm && !vm->power_button_pressed && vm->grace_tfd >= 0) {
		/* Ask the guest to shut down; stop it anyway when the grace ends. */
		struct itimerspec its = {.it_value = {.tv_sec = grace}};
		if (timerfd_settime(vm->grace_tfd, 0, &its, NULL) == 0) {
			vm->power_button_pressed = true;
			log_info("%s: pressing the ACPI power button, %u s grace", why, grace);
			acpi_pm_power_button(vm->acpi_pm);
			return;
		}
	}
	vm_request_stop(vm, VM_EXIT_OK, why);
}

static void handle_grace_timeout(struct vm *vm)
{
	uint64_t n;
	(void)!read(vm->grace_tfd, &n, sizeof(n));
	vm_request_stop(vm, VM_EXIT_OK, "guest did not power off within the SIGTERM grace period");
}

static void control_loop(struct vm *vm, int sigfd)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || epoll_add(epfd, sigfd) || epoll_add(epfd, vm->stop_efd) || epoll_add(epfd, vm->rx_space_efd) ||
	    (vm->grace_tfd >= 0 && epoll_add(epfd, vm->grace_tfd)) ||
	    (vm->hooks && epoll_add(epfd, vm->hooks->api_efd))) {
		vm_request_stop(vm, VM_EXIT_FATAL, "cannot set up the control loop");
		if (epfd >= 0)
			close(epfd);
		return;
	}
	struct input_buf in = {.len = 0};
	if (vm->serial && vm->serial_in_fd >= 0) {
		int fl = fcntl(vm->serial_in_fd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK) && !isatty(vm->serial_in_fd))
			fcntl(vm->serial_in_fd, F_SETFL, fl | O_NONBLOCK);
		in.watching = epoll_add(epfd, vm->serial_in_fd) == 0;
		if (!in.watching)
			in.eof = true; /* e.g. /dev/null cannot be polled */
	}
	while (!atomic_load(&vm->stop)) {
		struct epoll_event evs[4];
		int n = epoll_wait(epfd, evs, 4, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			uint64_t cnt;
			if (fd == sigfd)
				handle_signal(vm, sigfd);
			else if (fd == vm->stop_efd)
				(void)!read(fd, &cnt, sizeof(cnt));
			else if (fd == vm->grace_tfd)
				handle_grace_timeout(vm);
			else if (vm->hooks && fd == vm->hooks->api_efd)
				vm->hooks->api_ready(vm->hooks->ctx, vm);
			else if (fd == vm->rx_space_efd) {
				(void)!read(fd, &cnt, sizeof(cnt));
				pump_input(vm, epfd, &in);
			} else if (fd == vm->serial_in_fd)
				pump_input(vm, epfd, &in);
		}
	}
	close(epfd);
}

/* After a triple fault (the vCPU state is already reset on AMD, so the
 * registers cannot tell): were nimbus's boot page tables still intact? A
 * guest that never reloads CR3 (the malicious test guests) must have them. */
static void log_triple_fault_tables(struct vm *vm)
{
	struct x86_table_diff d;
	int n = x86_boot_tables_changed(&vm->mem, &d);
	if (n < 0)
		log_warn("boot page tables at 0x%llx: unreadable", (unsigned long long)X86_PML4_ADDR);
	else if (n == 0)
		log_warn("boot page tables at 0x%llx: intact (all 3072 entries as nimbus wrote them, A/D bits aside)",
			 (unsigned long long)X86_PML4_ADDR);
	else
		log_warn("boot page tables at 0x%llx: %d of 3072 entries differ from those nimbus wrote (the guest's, a "
			 "device's or the host's write); the first is entry %u: 0x%llx, not 0x%llx",
			 (unsigned long long)X86_PML4_ADDR, n, d.index, (unsigned long long)d.have,
			 (unsigned long long)d.want);
}

int vm_control_signalfd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGPIPE);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static int vm_start_and_wait(struct vm *vm)
{
	/* Blocked in every thread (vCPU threads inherit the mask); the control
	 * loop reads them from the signalfd. */
	int sigfd = vm_control_signalfd();
	if (sigfd < 0 || vcpu_signals_init()) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		return VM_EXIT_FATAL;
	}
	if (vm->cfg->serial.mode == CONSOLE_TTY || vm->cfg->console.mode == CONSOLE_TTY)
		tty_make_raw(vm);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		int rc = vcpu_start(&vm->vcpus[i]);
		if (rc) {
			vm_request_stop(vm, VM_EXIT_FATAL, "cannot start a vCPU thread");
			break;
		}
	}
	log_info("VM running: %u vCPU(s), %lluM", vm->nr_vcpus, (unsigned long long)(vm->cfg->mem_size >> 20));
	event_emit("vm", "booted", NULL);
	if (vm->boot_nr)
		event_emit("vm", "rebooted", NULL);
	if (vm->hooks)
		vm->hooks->booted(vm->hooks->ctx, vm);
	control_loop(vm, sigfd);
	if (vm->paused) {
		/* Stopped while paused: release everything so it can be joined. */
		pci_setup_pause(vm->pci, false);
		vcpu_resume_all(&vm->pause);
		vm->paused = false;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		vcpu_join(&vm->vcpus[i]);
		vcpu_log_state(&vm->vcpus[i], vm->exit_code == VM_EXIT_OK ? LOG_DEBUG : LOG_ERROR);
	}
	if (vm->triple_fault && vm->boot_page_tables)
		log_triple_fault_tables(vm);
	tty_restore(vm);
	close(sigfd);
	if (vm->exit_code == VM_EXIT_OK)
		log_info("VM stopped: %s", vm->stop_reason);
	else
		log_error("VM stopped: %s", vm->stop_reason);
	return vm->exit_code;
}

static void vm_teardown(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	pci_setup_destroy(vm->pci); /* stops the device threads */
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++)
		blk_image_close(vm->disks[i]); /* after the devices: drops the image locks */
	for (unsigned i = 0; i < CONFIG_MAX_NETS; i++)
		for (unsigned q = 0; q < CONFIG_NET_MAX_PAIRS; q++)
			if (vm->net_fds[i][q] >= 0)
				close(vm->net_fds[i][q]);
	if (vm->rng_fd >= 0)
		close(vm->rng_fd);
	if (vm->console_out_owned)
		close(vm->console_out_fd);
	if (vm->serial)
		serial_destroy(vm->serial);
	if (vm->i8042)
		i8042_destroy(vm->i8042);
	if (vm->rtc)
		rtc_destroy(vm->rtc);
	if (vm->debug_port)
		debug_port_destroy(vm->debug_port);
	acpi_pm_destroy(vm->acpi_pm);
	if (vm->grace_tfd >= 0)
		close(vm->grace_tfd);
	if (vm->serial_out_owned)
		close(vm->serial_out_fd);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	if (vm->kvm.vm_fd >= 0 || vm->kvm.kvm_fd >= 0)
		kvm_vm_close(&vm->kvm);
	gm_destroy(&vm->mem);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->rx_space_efd >= 0)
		close(vm->rx_space_efd);
	pthread_mutex_destroy(&vm->stop_lock);
	vcpu_pause_destroy(&vm->pause);
}

/* Build, run and tear down one VM. *reboot says whether the guest asked to
 * reboot (ACPI reset register): then the caller builds it again. */
static int vm_run_once(const struct vm_config *cfg, const struct vm_hooks *hooks, unsigned boot_nr, bool *reboot)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	*reboot = false;
	if (!vm) {
		log_error("out of memory");
		return VM_EXIT_SETUP;
	}
	vm->cfg = cfg;
	vm->hooks = hooks;
	vcpu_pause_init(&vm->pause);
	vm->boot_nr = boot_nr;
	vm->kvm.vm_fd = vm->kvm.kvm_fd = -1;
	vm->serial_in_fd = -1;
	vm->rng_fd = vm->console_out_fd = -1;
	for (unsigned i = 0; i < CONFIG_MAX_NETS; i++)
		for (unsigned q = 0; q < CONFIG_NET_MAX_PAIRS; q++)
			vm->net_fds[i][q] = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->rx_space_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->grace_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	int code = VM_EXIT_SETUP;
	event_emit("vm", "booting", NULL);
	if (vm->stop_efd < 0 || vm->rx_space_efd < 0 || vm->grace_tfd < 0) {
		log_error("eventfd/timerfd: %s", strerror(errno));
	} else if (vm_build(vm) == 0) {
		code = vm_start_and_wait(vm);
		*reboot = vm->reboot && code == VM_EXIT_OK;
		event_emit("vm", *reboot ? "rebooting" : "shutdown", NULL);
	}
	vm_teardown(vm);
	free(vm);
	return code;
}

int vm_run(const struct vm_config *cfg)
{
	/* The control thread's filter allows building a VM again (reboot), so
	 * it goes on before the first one is built. */
	thread_filter_install(THREAD_FILTER_VMM, "nimbus");
	return vm_run_hooks(cfg, NULL);
}

int vm_run_hooks(const struct vm_config *cfg, const struct vm_hooks *hooks)
{
	bool reboot = true;
	int code = VM_EXIT_OK;
	for (unsigned boot = 0; reboot; boot++) {
		if (boot)
			log_info("rebooting the VM (boot %u)", boot + 1);
		code = vm_run_once(cfg, hooks, boot, &reboot);
	}
	return code;
}

/* ---- API control (control thread only) -------------------------------- */

void vm_pause(struct vm *vm)
{
	if (vm->paused)
		return;
	event_emit("vm", "pausing", NULL);
	vcpu_pause_all(&vm->pause, vm->vcpus, vm->nr_vcpus);
	pci_setup_pause(vm->pci, true);
	vm->paused = true;
	log_info("VM paused");
	event_emit("vm", "paused", NULL);
}

void vm_resume(struct vm *vm)
{
	if (!vm->paused)
		return;
	event_emit("vm", "resuming", NULL);
	pci_setup_pause(vm->pci, false);
	vcpu_resume_all(&vm->pause);
	vm->paused = false;
	log_info("VM resumed");
	event_emit("vm", "resumed", NULL);
}

void vm_stop(struct vm *vm, const char *why)
{
	vm_request_stop(vm, VM_EXIT_OK, why);
}

void vm_reboot(struct vm *vm)
{
	acpi_reboot(vm);
}

int vm_power_button(struct vm *vm)
{
	if (!vm->acpi_pm)
		return -ENODEV;
	acpi_pm_power_button(vm->acpi_pm);
	return 0;
}

unsigned vm_nr_vcpus(const struct vm *vm)
{
	return vm->nr_vcpus;
}

void vm_vcpu_exits(const struct vm *vm, unsigned i, uint64_t *io, uint64_t *mmio, uint64_t *other)
{
	/* Written by the vCPU thread; a slightly stale value is fine here. */
	const struct vcpu *v = &vm->vcpus[i];
	*io = __atomic_load_n(&v->exits_io, __ATOMIC_RELAXED);
	*mmio = __atomic_load_n(&v->exits_mmio, __ATOMIC_RELAXED);
	*other = __atomic_load_n(&v->exits_other, __ATOMIC_RELAXED);
}

const struct virtio_blk_counters *vm_disk_counters(const struct vm *vm, unsigned i)
{
	return i < CONFIG_MAX_DISKS && vm->disk_devs[i] ? virtio_blk_counters(vm->disk_devs[i]) : NULL;
}

const struct virtio_net_counters *vm_net_counters(const struct vm *vm, unsigned i)
{
	return i < CONFIG_MAX_NETS && vm->net_devs[i] ? virtio_net_counters(vm->net_devs[i]) : NULL;
}

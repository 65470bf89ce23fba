/* kvm/kvm.c — KVM system and VM ioctls. */
#include "kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86/cpuid.h"
#include "arch/x86/layout.h"
#include "util/log.h"

#define KVM_CPUID_MAX_ENTRIES 256

struct kvm_cap_need {
	int cap;
	const char *name;
};

/* Every capability nimbus relies on; checked up front so that a missing one
 * is reported by name instead of failing somewhere later. */
static const struct kvm_cap_need kvm_caps_needed[] = {
	{KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
	{KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
	{KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR"},
	{KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
	{KVM_CAP_PIT2, "KVM_CAP_PIT2"},
	{KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
	{KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
	{KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING"},
	{KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
	{KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"},
	{KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE"},
};

static int fail(char *err, size_t errlen, int rc, const char *fmt, const char *what)
{
	snprintf(err, errlen, fmt, what, strerror(-rc));
	return rc;
}

static int kvm_check_caps(struct kvm_vm *vm, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(kvm_caps_needed) / sizeof(kvm_caps_needed[0]); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, kvm_caps_needed[i].cap) <= 0) {
			snprintf(err, errlen, "KVM lacks a required capability: %s", kvm_caps_needed[i].name);
			return -ENOTSUP;
		}
	}
	int n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	vm->max_vcpus = n > 0 ? n : 64;
	return 0;
}

static int kvm_get_supported_cpuid(struct kvm_vm *vm, char *err, size_t errlen)
{
	size_t sz = sizeof(struct kvm_cpuid2) + KVM_CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	vm->supported = calloc(1, sz);
	if (!vm->supported)
		return -ENOMEM;
	vm->supported->nent = KVM_CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->supported) < 0)
		return fail(err, errlen, -errno, "%s failed: %s", "KVM_GET_SUPPORTED_CPUID");
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		cpuid_add_tsc_deadline(vm->supported);
	return 0;
}

static int kvm_vm_setup(struct kvm_vm *vm, char *err, size_t errlen)
{
	uint64_t ident = X86_KVM_IDENTITY_MAP_ADDR;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
		return fail(err, errlen, -errno, "%s failed: %s", "KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)X86_KVM_TSS_ADDR) < 0)
		return fail(err, errlen, -errno, "%s failed: %s", "KVM_SET_TSS_ADDR");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail(err, errlen, -errno, "%s failed: %s", "KVM_CREATE_IRQCHIP");
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return fail(err, errlen, -errno, "%s failed: %s", "KVM_CREATE_PIT2");
	return 0;
}

int kvm_vm_open(struct kvm_vm *vm, char *err, size_t errlen)
{
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	const char *dev = getenv("NIMBUS_KVM_DEV");
	if (!dev)
		dev = "/dev/kvm";
	vm->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", dev, strerror(-rc));
		return rc;
	}
	int rc = 0;
	int version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		snprintf(err, errlen, "%s: KVM API version %d, need %d", dev, version, KVM_API_VERSION);
		rc = -ENOTSUP;
		goto fail;
	}
	rc = kvm_check_caps(vm, err, errlen);
	if (rc)
		goto fail;
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run)) {
		rc = fail(err, errlen, -EINVAL, "%s returned a bad size%s", "KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	rc = kvm_get_supported_cpuid(vm, err, errlen);
	if (rc)
		goto fail;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		rc = fail(err, errlen, -errno, "%s failed: %s", "KVM_CREATE_VM");
		goto fail;
	}
	rc = kvm_vm_setup(vm, err, errlen);
	if (rc)
		goto fail;
	return 0;
fail:
	kvm_vm_close(vm);
	return rc;
}

void kvm_vm_close(struct kvm_vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->supported);
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = vm->kvm_fd = -1;
}

int kvm_vm_set_memory(struct kvm_vm *vm, const struct guest_mem *gm)
{
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const struct gm_region *r = &gm->regions[i];
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uint64_t)(uintptr_t)r->host,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return -errno;
	}
	return 0;
}

int kvm_vm_irq_line(struct kvm_vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = {.irq = gsi, .level = level ? 1 : 0};
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}

void kvm_irq_line_set_level(void *ctx, uint32_t gsi, int level)
{
	int rc = kvm_vm_irq_line(ctx, gsi, level);
	if (rc) {
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
		log_ratelimited(&rl, LOG_WARN, "KVM_IRQ_LINE gsi %u: %s", gsi, strerror(-rc));
	}
}

int kvm_vm_create_vcpu(struct kvm_vm *vm, unsigned id)
{
	int fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	return fd < 0 ? -errno : fd;
}

/* arch/x86/mptable.c — MP table writer. Layouts per the Intel MP spec 1.4. */
#include "arch/x86/mptable.h"

#include <errno.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "util/checksum.h"

struct __attribute__((packed)) mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length, specification, checksum, feature1, feature2, feature3, feature4, feature5;
};
struct __attribute__((packed)) mpc_table {
	char signature[4];
	uint16_t length;
	uint8_t spec, checksum;
	char oem[8], productid[12];
	uint32_t oemptr;
	uint16_t oemsize, oemcount;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum, reserved;
};
struct __attribute__((packed)) mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag, reserved[2];
};
struct __attribute__((packed)) mpc_bus {
	uint8_t type, busid;
	char bustype[6];
};
struct __attribute__((packed)) mpc_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t apicaddr;
};
struct __attribute__((packed)) mpc_intsrc {
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
};

enum { MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_INTSRC = 3, MP_LINTSRC = 4 };
enum { MP_IRQ_INT = 0, MP_IRQ_NMI = 1, MP_IRQ_EXTINT = 3 };
#define MP_CPU_ENABLED 1
#define MP_CPU_BOOT 2
#define MP_APIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11
#define MP_ISA_IRQS 16
#define MP_MAX_BYTES (X86_HIMEM_START - X86_MPTABLE_ADDR)

/* Appends entry bytes to buf, bounded by cap. */
static int put(uint8_t *buf, size_t cap, size_t *off, const void *entry, size_t len)
{
	if (*off + len > cap)
		return -EINVAL;
	memcpy(buf + *off, entry, len);
	*off += len;
	return 0;
}

static int put_entries(uint8_t *buf, size_t cap, size_t *off, unsigned ncpus, uint16_t *count)
{
	int rc = 0;
	uint8_t ioapic_id = (uint8_t)ncpus;
	for (unsigned i = 0; i < ncpus && !rc; i++) {
		struct mpc_cpu c = {.type = MP_PROCESSOR, .apicid = (uint8_t)i, .apicver = MP_APIC_VERSION,
				    .cpuflag = (uint8_t)(MP_CPU_ENABLED | (i == 0 ? MP_CPU_BOOT : 0)),
				    .cpufeature = 0x600, .featureflag = 0x201 /* FPU, APIC */};
		rc = put(buf, cap, off, &c, sizeof(c));
		(*count)++;
	}
	struct mpc_bus bus = {.type = MP_BUS, .busid = 0, .bustype = {'I', 'S', 'A', ' ', ' ', ' '}};
	struct mpc_ioapic io = {.type = MP_IOAPIC, .apicid = ioapic_id, .apicver = MP_IOAPIC_VERSION, .flags = 1,
				.apicaddr = (uint32_t)X86_IOAPIC_ADDR};
	if (!rc)
		rc = put(buf, cap, off, &bus, sizeof(bus));
	if (!rc)
		rc = put(buf, cap, off, &io, sizeof(io));
	*count += 2;
	for (uint8_t irq = 0; irq < MP_ISA_IRQS && !rc; irq++) {
		struct mpc_intsrc s = {.type = MP_INTSRC, .irqtype = MP_IRQ_INT, .srcbus = 0, .srcbusirq = irq,
				       .dstapic = ioapic_id, .dstirq = irq};
		rc = put(buf, cap, off, &s, sizeof(s));
		(*count)++;
	}
	struct mpc_intsrc lint0 = {.type = MP_LINTSRC, .irqtype = MP_IRQ_EXTINT, .dstapic = 0, .dstirq = 0};
	struct mpc_intsrc lint1 = {.type = MP_LINTSRC, .irqtype = MP_IRQ_NMI, .dstapic = 0xff, .dstirq = 1};
	if (!rc)
		rc = put(buf, cap, off, &lint0, sizeof(lint0));
	if (!rc)
		rc = put(buf, cap, off, &lint1, sizeof(lint1));
	*count += 2;
	return rc;
}

int mptable_write(const struct guest_mem *gm, unsigned ncpus)
{
	uint8_t buf[8192]; /* 254 CPUs need 220 + 20 * 254 bytes */
	size_t cap = sizeof(buf) < MP_MAX_BYTES ? sizeof(buf) : MP_MAX_BYTES;
	if (ncpus == 0 || ncpus > 254)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	size_t off = sizeof(struct mpf_intel) + sizeof(struct mpc_table);
	uint16_t count = 0;
	int rc = put_entries(buf, cap, &off, ncpus, &count);
	if (rc)
		return rc;
	struct mpc_table t = {.signature = {'P', 'C', 'M', 'P'}, .length = (uint16_t)(off - sizeof(struct mpf_intel)),
			      .spec = 4, .oem = {'N', 'I', 'M', 'B', 'U', 'S', ' ', ' '},
			      .productid = {'N', 'I', 'M', 'B', 'U', 'S', ' ', 'V', 'M', ' ', ' ', ' '},
			      .oemcount = count, .lapic = (uint32_t)X86_LAPIC_ADDR};
	memcpy(buf + sizeof(struct mpf_intel), &t, sizeof(t));
	struct mpc_table *tp = (struct mpc_table *)(buf + sizeof(struct mpf_intel));
	tp->checksum = byte_checksum(tp, t.length);
	struct mpf_intel f = {.signature = {'_', 'M', 'P', '_'},
			      .physptr = (uint32_t)(X86_MPTABLE_ADDR + sizeof(struct mpf_intel)), .length = 1,
			      .specification = 4};
	f.checksum = byte_checksum(&f, sizeof(f));
	memcpy(buf, &f, sizeof(f));
	return gm_write(gm, X86_MPTABLE_ADDR, buf, off);
}

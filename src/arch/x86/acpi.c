/* arch/x86/acpi.c — ACPI table builder. Layouts per ACPI 6.x chapter 5. */
#include "arch/x86/acpi.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "arch/x86/aml.h"
#include "arch/x86/layout.h"
#include "devices/acpi_pm.h"
#include "util/checksum.h"

struct __attribute__((packed)) acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
};

struct __attribute__((packed)) acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address, length;
	uint64_t xsdt_address;
	uint8_t extended_checksum, reserved[3];
};

struct __attribute__((packed)) acpi_gas {
	uint8_t space_id, bit_width, bit_offset, access_size;
	uint64_t address;
};

/* FADT, revision 6 (276 bytes); fields nimbus leaves zero are grouped. */
struct __attribute__((packed)) acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, preferred_pm_profile;
	uint16_t sci_int;
	uint8_t legacy_blocks[109 - 48]; /* SMI_CMD .. CENTURY: absent (hardware-reduced) */
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	uint8_t x_legacy_blocks[244 - 148]; /* X_PM1a_EVT_BLK .. X_GPE1_BLK */
	struct acpi_gas sleep_control, sleep_status;
	uint64_t hypervisor_vendor;
};
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT size");

struct __attribute__((packed)) madt_lapic {
	uint8_t type, length, processor_uid, apic_id;
	uint32_t flags;
};
struct __attribute__((packed)) madt_ioapic {
	uint8_t type, length, ioapic_id, reserved;
	uint32_t address, gsi_base;
};
struct __attribute__((packed)) madt_iso {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
};
struct __attribute__((packed)) madt_lapic_nmi {
	uint8_t type, length, processor_uid;
	uint16_t flags;
	uint8_t lint;
};

#define FADT_F_HW_REDUCED_ACPI (1U << 20)
#define FADT_F_RESET_REG_SUP (1U << 10)
#define ACPI_GAS_SYSTEM_IO 1
#define FADT_F_PWR_BUTTON (1U << 4) /* no fixed power button */
#define FADT_F_SLP_BUTTON (1U << 5) /* no fixed sleep button */
#define IAPC_BOOT_ARCH_8042 (1U << 1)
#define IAPC_BOOT_ARCH_VGA_NOT_PRESENT (1U << 2)
#define MADT_PCAT_COMPAT 1U
#define MADT_LAPIC_ENABLED 1U
#define MADT_LAPIC_ONLINE_CAPABLE 2U
#define MADT_ISO_ACTIVE_HIGH 0x1
#define MADT_ISO_EDGE 0x4
#define ACPI_OEM_ID "NIMBUS"
#define ACPI_TABLE_ALIGN 16

static void header_init(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, "NIMBUSVM", 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "NMBS", 4);
	h->creator_revision = 1;
}

/* Tables are laid out one after another from the RSDP up, 16-byte aligned. */
struct acpi_writer {
	const struct guest_mem *gm;
	uint64_t next;
};

static int place(struct acpi_writer *w, const void *table, uint32_t len, uint64_t *gpa)
{
	uint64_t at = (w->next + ACPI_TABLE_ALIGN - 1) & ~(uint64_t)(ACPI_TABLE_ALIGN - 1);
	if (at + len > X86_ACPI_TABLES_END)
		return -EINVAL;
	int rc = gm_write(w->gm, at, table, len);
	if (rc)
		return rc;
	*gpa = at;
	w->next = at + len;
	return 0;
}

static void finish(void *table, uint32_t len)
{
	struct acpi_header *h = table;
	h->checksum = 0;
	h->checksum = byte_checksum(table, len);
}

/* A legacy device with a fixed I/O range and optional ISA IRQ (-1: none).
 * With hardware-reduced ACPI Linux has no legacy PIC IRQs, so a device's IRQ
 * is usable only when the DSDT describes it. */
static void dsdt_legacy_device(struct aml *a, const char *name, const char *hid, uint16_t port, uint8_t len,
			       int irq)
{
	size_t dev = aml_device_begin(a, name);
	aml_name_decl(a, "_HID");
	aml_eisa_id(a, hid);
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	aml_name_decl(a, "_CRS");
	size_t crs = aml_buffer_begin(a);
	aml_res_io(a, port, len);
	if (irq >= 0)
		aml_res_irq(a, (unsigned)irq);
	aml_res_end_tag(a);
	aml_end(a, crs);
	aml_end(a, dev);
}

/* The PCI root bridge: bus 0, config ports, and the BAR windows. Devices use
 * MSI-X only, so there is no _PRT (legacy INTx routing). */
static void dsdt_pci_root(struct aml *a, const struct acpi_config *cfg)
{
	size_t dev = aml_device_begin(a, "PCI0");
	aml_name_decl(a, "_HID");
	aml_eisa_id(a, "PNP0A08");
	aml_name_decl(a, "_CID");
	aml_eisa_id(a, "PNP0A03");
	aml_name_decl(a, "_ADR");
	aml_integer(a, 0);
	aml_name_decl(a, "_SEG");
	aml_integer(a, 0);
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	aml_name_decl(a, "_BBN");
	aml_integer(a, 0);
	aml_name_decl(a, "_CRS");
	size_t crs = aml_buffer_begin(a);
	aml_res_bus_range(a, 0, 0);
	aml_res_io(a, 0xcf8, 8);
	aml_res_io_window(a, (uint16_t)X86_PCI_IO_START, (uint16_t)X86_PCI_IO_END);
	aml_res_mem32_window(a, (uint32_t)X86_PCI_MMIO32_START,
			     (uint32_t)(X86_PCI_MMIO32_START + X86_PCI_MMIO32_SIZE - 1));
	if (cfg->pci_mmio64_end > cfg->pci_mmio64_start)
		aml_res_mem64_window(a, cfg->pci_mmio64_start, cfg->pci_mmio64_end);
	aml_res_end_tag(a);
	aml_end(a, crs);
	aml_end(a, dev);
	/* The ECAM window as a motherboard resource, so Linux trusts MCFG. */
	dev = aml_device_begin(a, "MRES");
	aml_name_decl(a, "_HID");
	aml_eisa_id(a, "PNP0C02");
	aml_name_decl(a, "_UID");
	aml_integer(a, 1);
	aml_name_decl(a, "_CRS");
	crs = aml_buffer_begin(a);
	aml_res_mem32_fixed(a, (uint32_t)X86_PCI_ECAM_ADDR, (uint32_t)X86_PCI_ECAM_SIZE);
	aml_res_end_tag(a);
	aml_end(a, crs);
	aml_end(a, dev);
}

/* Power button (PNP0C0C) and the generic event device (ACPI0013) whose
 * interrupt makes the guest run _EVT, which reads the event latch and
 * notifies the button. Also \_S5_ for the sleep control register. */
static void dsdt_power(struct aml *a)
{
	size_t dev = aml_device_begin(a, "PWRB");
	aml_name_decl(a, "_HID");
	aml_eisa_id(a, "PNP0C0C");
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	aml_end(a, dev);

	dev = aml_device_begin(a, "GED_");
	aml_name_decl(a, "_HID");
	aml_string(a, "ACPI0013");
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	aml_name_decl(a, "_CRS");
	size_t crs = aml_buffer_begin(a);
	aml_res_ext_irq(a, ACPI_PM_GED_GSI, 1, 1);
	aml_res_end_tag(a);
	aml_end(a, crs);
	aml_op_region(a, "GDST", 1 /* SystemIO */, ACPI_PM_GED_STATUS, 1);
	size_t field = aml_field_begin(a, "GDST");
	aml_field_entry(a, "GEVT", 8);
	aml_end(a, field);
	size_t evt = aml_method_begin(a, "_EVT", 1);
	aml_store_to_local0(a, "GEVT");
	size_t cond = aml_if_local0_and(a, ACPI_PM_EVENT_POWER_BUTTON);
	aml_notify(a, "\\_SB_.PWRB", 0x80);
	aml_end(a, cond);
	aml_end(a, evt);
	aml_end(a, dev);
}

static int write_mcfg(struct acpi_writer *w, uint64_t *gpa)
{
	struct __attribute__((packed)) {
		struct acpi_header h;
		uint64_t reserved;
		uint64_t base;
		uint16_t segment;
		uint8_t bus_start, bus_end;
		uint32_t reserved2;
	} m;
	memset(&m, 0, sizeof(m));
	header_init(&m.h, "MCFG", sizeof(m), 1);
	m.base = X86_PCI_ECAM_ADDR;
	m.bus_end = (uint8_t)(X86_PCI_ECAM_SIZE / (1 << 20) - 1);
	finish(&m, sizeof(m));
	return place(w, &m, sizeof(m), gpa);
}

static int write_dsdt(struct acpi_writer *w, const struct acpi_config *cfg, uint64_t *gpa)
{
	struct aml a;
	aml_init(&a);
	struct acpi_header blank;
	memset(&blank, 0, sizeof(blank));
	aml_bytes(&a, &blank, sizeof(blank)); /* filled in below */
	aml_name_decl(&a, "_S5_");
	size_t s5 = aml_package_begin(&a, 2);
	aml_integer(&a, ACPI_PM_S5_TYPE);
	aml_integer(&a, 0);
	aml_end(&a, s5);
	size_t sb = aml_scope_begin(&a, "\\_SB_");
	if (cfg->serial)
		dsdt_legacy_device(&a, "COM1", "PNP0501", 0x3f8, 8, 4);
	dsdt_legacy_device(&a, "RTC_", "PNP0B00", 0x70, 2, -1);
	dsdt_power(&a);
	if (cfg->pci)
		dsdt_pci_root(&a, cfg);
	aml_end(&a, sb);
	int rc = aml_error(&a);
	if (!rc && a.len > UINT32_MAX)
		rc = -E2BIG;
	if (!rc) {
		header_init((struct acpi_header *)a.buf, "DSDT", (uint32_t)a.len, 2);
		finish(a.buf, (uint32_t)a.len);
		rc = place(w, a.buf, (uint32_t)a.len, gpa);
	}
	aml_free(&a);
	return rc;
}

static int write_fadt(struct acpi_writer *w, uint64_t dsdt, uint64_t *gpa)
{
	struct acpi_fadt f;
	memset(&f, 0, sizeof(f));
	header_init(&f.h, "FACP", sizeof(f), 6);
	f.minor_version = 3;
	f.dsdt = (uint32_t)dsdt;
	f.x_dsdt = dsdt;
	f.flags = FADT_F_HW_REDUCED_ACPI | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP;
	f.sleep_control = (struct acpi_gas){ACPI_GAS_SYSTEM_IO, 8, 0, 1, ACPI_PM_SLEEP_CONTROL};
	f.sleep_status = (struct acpi_gas){ACPI_GAS_SYSTEM_IO, 8, 0, 1, ACPI_PM_SLEEP_STATUS};
	f.reset_reg = (struct acpi_gas){ACPI_GAS_SYSTEM_IO, 8, 0, 1, ACPI_PM_RESET};
	f.reset_value = ACPI_PM_RESET_VALUE;
	f.iapc_boot_arch = IAPC_BOOT_ARCH_8042 | IAPC_BOOT_ARCH_VGA_NOT_PRESENT;
	memcpy(&f.hypervisor_vendor, "NIMBUSVM", 8);
	finish(&f, sizeof(f));
	return place(w, &f, sizeof(f), gpa);
}

static int write_madt(struct acpi_writer *w, const struct acpi_config *cfg, uint64_t *gpa)
{
	uint8_t buf[44 + 255 * sizeof(struct madt_lapic) + sizeof(struct madt_ioapic) + sizeof(struct madt_iso) +
		    sizeof(struct madt_lapic_nmi)];
	size_t off = sizeof(struct acpi_header);
	uint32_t lapic_addr = (uint32_t)X86_LAPIC_ADDR, flags = MADT_PCAT_COMPAT;
	memset(buf, 0, sizeof(buf));
	memcpy(buf + off, &lapic_addr, 4);
	memcpy(buf + off + 4, &flags, 4);
	off += 8;
	for (unsigned i = 0; i < cfg->max_cpus; i++) {
		/* Not yet present CPUs are "online capable" (MADT rev 5): Linux
		 * then counts them as hot-pluggable instead of ignoring them. */
		struct madt_lapic l = {0, sizeof(l), (uint8_t)i, (uint8_t)i,
				       i < cfg->ncpus ? MADT_LAPIC_ENABLED : MADT_LAPIC_ONLINE_CAPABLE};
		memcpy(buf + off, &l, sizeof(l));
		off += sizeof(l);
	}
	struct madt_ioapic io = {1, sizeof(io), (uint8_t)cfg->max_cpus, 0, (uint32_t)X86_IOAPIC_ADDR, 0};
	memcpy(buf + off, &io, sizeof(io));
	off += sizeof(io);
	/* COM1's ISA IRQ 4 is wired to IOAPIC pin 4, edge-triggered, active
	 * high (stated explicitly; it matches the DSDT's IRQNoFlags). */
	if (cfg->serial) {
		struct madt_iso iso = {2, sizeof(iso), 0, 4, 4, MADT_ISO_ACTIVE_HIGH | MADT_ISO_EDGE};
		memcpy(buf + off, &iso, sizeof(iso));
		off += sizeof(iso);
	}
	struct madt_lapic_nmi nmi = {4, sizeof(nmi), 0xff, 0, 1};
	memcpy(buf + off, &nmi, sizeof(nmi));
	off += sizeof(nmi);
	header_init((struct acpi_header *)buf, "APIC", (uint32_t)off, 5);
	finish(buf, (uint32_t)off);
	return place(w, buf, (uint32_t)off, gpa);
}

static int write_xsdt(struct acpi_writer *w, const uint64_t *tables, unsigned n, uint64_t *gpa)
{
	uint8_t buf[sizeof(struct acpi_header) + 8 * 8];
	if (n > 8)
		return -EINVAL;
	uint32_t len = (uint32_t)(sizeof(struct acpi_header) + 8 * n);
	header_init((struct acpi_header *)buf, "XSDT", len, 1);
	memcpy(buf + sizeof(struct acpi_header), tables, 8 * n);
	finish(buf, len);
	return place(w, buf, len, gpa);
}

static int write_rsdp(const struct guest_mem *gm, uint64_t xsdt)
{
	struct acpi_rsdp r;
	memset(&r, 0, sizeof(r));
	memcpy(r.signature, "RSD PTR ", 8);
	memcpy(r.oem_id, ACPI_OEM_ID, 6);
	r.revision = 2;
	r.length = sizeof(r);
	r.xsdt_address = xsdt;
	r.checksum = byte_checksum(&r, 20);
	r.extended_checksum = byte_checksum(&r, sizeof(r));
	return gm_write(gm, X86_ACPI_RSDP_ADDR, &r, sizeof(r));
}

int acpi_write_tables(const struct guest_mem *gm, const struct acpi_config *cfg, uint64_t *rsdp)
{
	if (cfg->ncpus == 0 || cfg->max_cpus < cfg->ncpus || cfg->max_cpus > 254)
		return -EINVAL;
	struct acpi_writer w = {gm, X86_ACPI_RSDP_ADDR + sizeof(struct acpi_rsdp)};
	uint64_t dsdt, tables[3], xsdt;
	unsigned nt = 2;
	int rc = write_dsdt(&w, cfg, &dsdt);
	if (!rc)
		rc = write_fadt(&w, dsdt, &tables[0]);
	if (!rc)
		rc = write_madt(&w, cfg, &tables[1]);
	if (!rc && cfg->pci)
		rc = write_mcfg(&w, &tables[nt++]);
	if (!rc)
		rc = write_xsdt(&w, tables, nt, &xsdt);
	if (!rc)
		rc = write_rsdp(gm, xsdt);
	if (!rc)
		*rsdp = X86_ACPI_RSDP_ADDR;
	return rc;
}

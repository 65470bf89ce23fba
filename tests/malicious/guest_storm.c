/* guest_storm.c — register storms on the legacy devices and floods of
 * unclaimed ports and MMIO.
 *   - 16550 at 0x3f8: mal_storm= random reads/writes over its 8 registers;
 *   - i8042 at 0x60/0x64: as many random reads/writes (never command 0xFE);
 *   - RTC 0x70/0x71 and the debug port 0x80: random index/data storms;
 *   - ACPI PM 0x600-0x603: every wrong value (all but S5 sleep and the
 *     reset value) with 1, 2 and 4-byte accesses, reads of all four;
 *   - every I/O port 0..0xffff read and written: with 1, 2 and 4 bytes below
 *     0x1000, once with a random size above (the PCI config ports and the
 *     "action" values above excepted);
 *   - MMIO: the 32-bit hole (every 64 KiB, dense on one page), the gap
 *     between the end of RAM and 3 GiB, all sizes (the in-kernel IOAPIC/LAPIC
 *     pages, KVM's private pages and ECAM excepted: not nimbus's devices, or
 *     covered by guest_pci).
 * Afterwards the UART, the i8042, the RTC and virtio-rng must still work. */
#include "rt.h"

/* Accesses per storm: mal_storm=N on the command line (default 1M; the
 * test passes 64K). */
static u32 N_STORM = 1u << 20;

static int is_action_write(u16 port, u8 first_byte)
{
	if (port == 0x64 && first_byte == 0xfe)
		return 1; /* i8042 reset: that is how we finish */
	if (port == 0x600 && (first_byte & 0x20) && ((first_byte >> 2) & 7) == 5)
		return 1; /* ACPI S5 power-off */
	if (port == 0x602 && first_byte == 1)
		return 1; /* ACPI reset register: reboot */
	return 0;
}

static void safe_out(u16 port, unsigned size, u32 v)
{
	if (port >= 0xcf8 - 3 && port <= 0xcff)
		return; /* PCI config: guest_pci's business */
	/* a wide access starting below an action port could be split by the bus */
	for (unsigned i = 0; i < size; i++)
		if (is_action_write((u16)(port + i), (u8)(v >> (8 * i))))
			return;
	switch (size) {
	case 1: outb(port, (u8)v); break;
	case 2: outw(port, (u16)v); break;
	default: outl(port, v); break;
	}
}

static void serial_storm(void)
{
	rt_puts("case serial-storm\n");
	for (u32 i = 0; i < N_STORM; i++) {
		u64 r = rt_rand();
		u16 port = (u16)(0x3f8 + (r & 7));
		if (r & 0x100)
			(void)inb(port);
		else
			outb(port, (u8)(r >> 16));
	}
	rt_serial_init();
	rt_puts("  serial storm done\n");
}

static void i8042_storm(void)
{
	rt_puts("case i8042-storm\n");
	for (u32 i = 0; i < N_STORM; i++) {
		u64 r = rt_rand();
		u16 port = (r & 1) ? 0x64 : 0x60;
		u8 v = (u8)(r >> 16);
		if (r & 0x100)
			(void)inb(port);
		else if (!is_action_write(port, v))
			outb(port, v);
	}
	/* the controller still answers its self-test */
	while (inb(0x64) & 1)
		(void)inb(0x60);
	outb(0x64, 0xaa);
	u8 st = 0, got = 0;
	for (int i = 0; i < 1000 && !got; i++)
		if (inb(0x64) & 1)
			st = inb(0x60), got = 1;
	rt_check(got && st == 0x55, "i8042 self-test answers 0x55 after the storm");
}

static void rtc_debug_storm(void)
{
	rt_puts("case rtc-and-debug-port-storm\n");
	for (u32 i = 0; i < N_STORM / 4; i++) {
		u64 r = rt_rand();
		outb(0x70, (u8)r);
		if (r & 0x100)
			(void)inb(0x71);
		else
			outb(0x71, (u8)(r >> 16));
		outb(0x80, (u8)(r >> 24));
	}
	/* leave register B sane (24 h, binary) and check the clock still reads */
	outb(0x70, 0x0b);
	outb(0x71, 0x06);
	outb(0x70, 0x0d);
	rt_check(inb(0x71) == 0x80, "RTC register D reads 0x80 (valid RAM and time)");
	outb(0x70, 0x0b);
	u8 b = inb(0x71);
	rt_note("RTC register B", b);
}

static void acpi_pm_wrong_values(void)
{
	rt_puts("case acpi-pm-wrong-values\n");
	for (u32 v = 0; v < 0x100; v++)
		for (u16 p = 0x600; p < 0x604; p++) {
			safe_out(p, 1, v);
			(void)inb(p);
		}
	for (u32 v = 0; v < 0x10000; v += 61)
		for (u16 p = 0x600; p < 0x604; p++) {
			safe_out(p, 2, v);
			safe_out(p, 4, v * 0x10001u);
			(void)inw(p), (void)inl(p);
		}
	/* every S-state but S5 with SLP_EN */
	for (u8 t = 0; t < 8; t++)
		if (t != 5)
			outb(0x600, (u8)(0x20 | t << 2));
	rt_check(1, "no power-off or reboot from wrong ACPI PM values");
}

static void port_read(u16 port, unsigned size)
{
	switch (size) {
	case 1: (void)inb(port); break;
	case 2: (void)inw(port); break;
	default: (void)inl(port); break;
	}
}

/* Below 0x1000, where the legacy devices and the ACPI PM block live, every
 * port is read and written with 1, 2 and 4 bytes; above, once each with a
 * random size (every port of the 64K still sees a read and a write). */
static void port_flood(void)
{
	rt_puts("case all-ports-flood\n");
	for (u32 p = 0; p < 0x10000; p++) {
		u64 r = rt_rand();
		if (p < 0x1000) {
			for (unsigned size = 1; size <= 4; size *= 2) {
				port_read((u16)p, size);
				safe_out((u16)p, size, (u32)(r >> (8 * size)));
			}
		} else {
			unsigned size = 1U << (r % 3);
			port_read((u16)p, size);
			safe_out((u16)p, size, (u32)(r >> 24));
		}
	}
	rt_serial_init();
	rt_puts("  65536 ports read and written (all sizes below 0x1000)\n");
}

static int skip_mmio(u64 a)
{
	if (a >= 0xE0000000ULL && a < 0xE0100000ULL)
		return 1; /* ECAM */
	if (a >= 0xFEC00000ULL && a < 0xFEC01000ULL)
		return 1; /* in-kernel IOAPIC */
	if (a >= 0xFEE00000ULL && a < 0xFEE01000ULL)
		return 1; /* in-kernel LAPIC */
	if (a >= 0xFFFBC000ULL && a < 0xFFFC0000ULL)
		return 1; /* KVM's identity map and TSS pages */
	return 0;
}

static void mmio_touch(u64 a)
{
	u64 r = rt_rand();
	(void)mmio_r8(a), (void)mmio_r16(a), (void)mmio_r32(a), (void)mmio_r64(a);
	mmio_w8(a, (u8)r);
	mmio_w16(a, (u16)r);
	mmio_w32(a, (u32)r);
	mmio_w64(a, r);
}

static void mmio_flood(void)
{
	rt_puts("case mmio-flood\n");
	u64 n = 0;
	for (u64 a = 0xC0000000ULL; a < 0x100000000ULL; a += 0x10000)
		if (!skip_mmio(a))
			mmio_touch(a), n++;
	for (u64 a = 0xD0000000ULL; a < 0xD0001000ULL; a++)
		mmio_touch(a & ~7ULL), n++;
	for (u64 a = 0xFFFFF000ULL; a < 0x100000000ULL; a += 8)
		mmio_touch(a), n++;
	for (u64 a = RAM_END; a < 0xC0000000ULL; a += 0x100000)
		mmio_touch(a), n++;
	/* straddling the end of RAM: first half RAM, second half unbacked */
	for (int i = 1; i < 8; i++)
		(void)mmio_r64(RAM_END - (u64)i);
	rt_note("MMIO addresses touched (8 accesses each)", n);
}

void mal_main(void)
{
	rt_puts("guest storm: legacy-device storms, port and MMIO floods\n");
	struct vdev rng;
	N_STORM = (u32)rt_cmdline_num("mal_storm", N_STORM);
	rt_note("accesses per storm", N_STORM);
	if (vdev_open(&rng, VIRTIO_RNG_DEVICE)) {
		rt_check(0, "virtio-rng found");
		rt_finish("storm");
	}
	serial_storm();
	i8042_storm();
	rtc_debug_storm();
	acpi_pm_wrong_values();
	port_flood();
	mmio_flood();
	rt_puts("case devices-still-work\n");
	rt_check(pci_read32((unsigned)rng.slot, 0) == (VIRTIO_VENDOR | (u32)VIRTIO_RNG_DEVICE << 16), "PCI config still answers");
	pci_write16((unsigned)rng.slot, 0x04, 0x6);
	rt_check(rng_read(&rng, 64) == 64, "virtio-rng returns random bytes");
	outb(0x3ff, 0x5a);
	rt_check(inb(0x3ff) == 0x5a, "UART scratch register works");
	rt_finish("storm");
}

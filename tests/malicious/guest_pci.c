/* guest_pci.c — PCI configuration space and MSI-X abuse.
 *
 * Booted with --console null, so two virtio functions exist (rng, console).
 *   - MSI-X: message control toggled at random; every offset of the table
 *     and PBA regions written and read with 1, 2, 4 and 8-byte accesses and
 *     random values; vectors pointed at garbage addresses, then interrupts
 *     raised through them (queue + config vectors) while the device is used;
 *   - BAR placement: virtio-rng's BAR 0 moved onto guest RAM (our own code),
 *     onto virtio-console's BAR 0, onto the ECAM window, the LAPIC and IOAPIC,
 *     the top of the 64-bit space, address 0, all-ones (sizing) with decode
 *     on; then to a free 32-bit address where the device must work (BAR
 *     moves carry the notify ioeventfds along);
 *   - every register of every slot (0..31) written with random values and
 *     all-ones through 0xCF8/0xCFC (1, 2, 4-byte) and through ECAM (1, 2, 4,
 *     8-byte, the extended space, accesses crossing a function's 4 KiB),
 *     plus CONFIG_ADDRESS abuse (narrow accesses, reserved bits, other buses);
 * then the saved configuration is restored and both devices must answer
 * (virtio-rng returns random bytes).
 */
#include "rt.h"

#define ECAM 0xE0000000ULL

static struct vdev rng, con;
static u32 saved[32][64];

static void save_cfg(int slot)
{
	for (unsigned i = 0; i < 64; i++)
		saved[slot][i] = pci_read32((unsigned)slot, i * 4);
}

/* Put back what the storm changed: command off, BARs, MSI-X control, and the
 * writable capability bytes (virtio PCI_CFG window), then command. */
static void restore_cfg(int slot)
{
	pci_write16((unsigned)slot, 0x04, 0);
	for (unsigned i = 0x10 / 4; i < 0x28 / 4; i++)
		pci_write32((unsigned)slot, i * 4, saved[slot][i]);
	pci_write8((unsigned)slot, 0x0c, (u8)saved[slot][3]);
	pci_write8((unsigned)slot, 0x3c, (u8)saved[slot][15]);
	for (unsigned i = 0x40 / 4; i < 64; i++)
		pci_write32((unsigned)slot, i * 4, saved[slot][i]);
	pci_write16((unsigned)slot, 0x06, 0xffff); /* clear W1C status bits */
	pci_write16((unsigned)slot, 0x04, (u16)saved[slot][1]);
}

static unsigned find_cap(int slot, u8 id)
{
	unsigned p = pci_read8((unsigned)slot, 0x34) & 0xfc;
	for (int n = 0; p && n < 48; n++) {
		if (pci_read8((unsigned)slot, p) == id)
			return p;
		p = pci_read8((unsigned)slot, p + 1) & 0xfc;
	}
	return 0;
}

/* A harmless garbage MSI message: random address and data, but never aimed
 * at our own APIC (ID 0) and always fixed delivery of a vector >= 32, so the
 * guest is not sent an NMI/INIT/SMI (a guest may do that to itself; it is not
 * what this test is about). */
static void garbage_msg(u64 *addr, u32 *data)
{
	u64 a = rt_rand();
	a = (a & ~(0xffULL << 12)) | (0x55ULL << 12);
	u32 d = (u32)rt_rand();
	d = (d & ~0x7ffu) | 0x40u | (d & 0x3fu);
	*addr = a;
	*data = d;
}

static void msix_abuse(void)
{
	rt_puts("case msix-abuse\n");
	unsigned cap = find_cap(rng.slot, 0x11);
	rt_check(cap != 0, "MSI-X capability found");
	if (!cap)
		return;
	u16 ctrl = pci_read16((unsigned)rng.slot, cap + 2);
	u32 tbl = pci_read32((unsigned)rng.slot, cap + 4), pba = pci_read32((unsigned)rng.slot, cap + 8);
	unsigned nvec = (ctrl & 0x7ff) + 1u;
	rt_note("MSI-X vectors", nvec);
	u64 t = rng.bar + (tbl & ~7u), p = rng.bar + (pba & ~7u);
	/* message control: every value */
	for (u32 v = 0; v < 0x10000; v += 0x101)
		pci_write16((unsigned)rng.slot, cap + 2, (u16)v);
	pci_write16((unsigned)rng.slot, cap + 2, 0x8000); /* enabled, unmasked */
	/* table and PBA regions: every offset, every size, random values */
	for (int round = 0; round < 2; round++) {
		for (u64 off = 0; off < 0x1000; off++) {
			u64 v = rt_rand();
			switch (off & 3) {
			case 0: mmio_w32(t + off, (u32)v); mmio_w64(t + (off & ~7ULL), v); break;
			case 1: mmio_w8(t + off, (u8)v); break;
			case 2: mmio_w16(t + off, (u16)v); break;
			default: mmio_w32(t + off, (u32)v); break; /* unaligned */
			}
			(void)mmio_r8(t + off), (void)mmio_r16(t + off), (void)mmio_r32(t + off), (void)mmio_r64(t + off);
			mmio_w64(p + off, v);
			mmio_w8(p + off, (u8)v);
			(void)mmio_r64(p + (off & ~7ULL));
		}
		pci_write16((unsigned)rng.slot, cap + 2, round ? 0xc000 : 0x4000);
	}
	/* Sane-but-garbage messages everywhere, then use the device with its
	 * queue and config vectors pointing at them (interrupts go nowhere). */
	for (unsigned i = 0; i < nvec; i++) {
		u64 a;
		u32 d;
		garbage_msg(&a, &d);
		mmio_w64(t + 16 * i, a);
		mmio_w32(t + 16 * i + 8, d);
		mmio_w32(t + 16 * i + 12, 0);
	}
	pci_write16((unsigned)rng.slot, cap + 2, 0x8000);
	for (int k = 0; k < 3; k++) {
		u64 desc = QMEM, avail = QMEM + 0x1000, used = QMEM + 0x2000;
		memset((void *)QMEM, 0, 0x3000);
		vdev_reset(&rng);
		vdev_negotiate(&rng, VF_VERSION_1);
		mmio_w16(rng.bar + VC_MSIX, (u16)(k == 2 ? 0x7ff : 1)); /* config vector (0x7ff: no such vector) */
		vdev_queue(&rng, 0, 16, desc, avail, used);
		mmio_w16(rng.bar + VC_Q_MSIX, (u16)(k == 1 ? 0xfffe : 0));
		vdev_driver_ok(&rng);
		((struct vdesc *)desc)[0] = (struct vdesc){BUFMEM, 64, VD_WRITE, 0};
		((u16 *)avail)[1] = 1;
		vdev_notify(&rng, 0);
		rt_check(vdev_wait(&rng, used, 1) == 1, "request completed with a garbage MSI-X vector");
		/* a loop makes the config-change interrupt fire too */
		((struct vdesc *)desc)[1] = (struct vdesc){BUFMEM, 64, VD_NEXT | VD_WRITE, 1};
		((u16 *)avail)[3] = 1;
		((u16 *)avail)[1] = 2;
		vdev_notify(&rng, 0);
		rt_check(vdev_wait_needs_reset(&rng), "NEEDS_RESET (config interrupt to garbage)");
		/* mask/unmask while pending, function mask, disable */
		mmio_w32(t + 12, 1);
		mmio_w32(t + 12, 0);
		pci_write16((unsigned)rng.slot, cap + 2, 0xc000);
		pci_write16((unsigned)rng.slot, cap + 2, 0x8000);
		pci_write16((unsigned)rng.slot, cap + 2, 0);
		pci_write16((unsigned)rng.slot, cap + 2, 0x8000);
	}
	for (unsigned i = 0; i < nvec; i++)
		mmio_w32(t + 16 * i + 12, 1);
	pci_write16((unsigned)rng.slot, cap + 2, 0);
	vdev_reset(&rng);
	rt_check(rng_read(&rng, 64) == 64, "virtio-rng works after MSI-X abuse");
}

static void set_bar0(int slot, u64 a)
{
	pci_write32((unsigned)slot, 0x10, (u32)a);
	pci_write32((unsigned)slot, 0x14, (u32)(a >> 32));
}

static void bar_games(void)
{
	rt_puts("case bar-overlaps\n");
	u64 home = rng.bar;
	static const u64 places[] = {
		0x1000000,             /* guest RAM: our own code */
		0x0,                   /* address 0 */
		0xE0000000,            /* the ECAM window */
		0xFEE00000,            /* LAPIC */
		0xFEC00000,            /* IOAPIC */
		0xFFFFFFFFFFFF8000ULL, /* last 32 KiB of the 64-bit space */
		0xFFFFFFFFFFFFFFFFULL, /* sizing (all-ones) with decode on */
		0x7FFFFFFF8000ULL,     /* far above RAM */
		0xFFFFF000,            /* straddles 4 GiB: mis-aligned for its size */
	};
	pci_write16((unsigned)rng.slot, 0x04, 0x6);
	for (unsigned i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		set_bar0(rng.slot, places[i]);
		/* touch the old and new homes */
		(void)mmio_r32(home);
		if (places[i] >= 0xC0000000ULL && places[i] < 0x200000000ULL)
			(void)mmio_r32(places[i]);
	}
	/* onto virtio-console's BAR 0 (another device): must be refused */
	set_bar0(rng.slot, con.bar);
	rt_check(mmio_r16(con.bar + VC_NUMQ) >= 2, "virtio-console BAR still answers (overlap refused)");
	/* ECAM must still be ECAM */
	rt_check(mmio_r32(ECAM + ((u64)rng.slot << 15)) == (VIRTIO_VENDOR | (u32)VIRTIO_RNG_DEVICE << 16),
		 "ECAM still answers after a BAR tried to take it");
	/* overlapping with the BAR turned off, then decode on */
	pci_write16((unsigned)rng.slot, 0x04, 0);
	set_bar0(rng.slot, con.bar + 0x4000);
	pci_write16((unsigned)rng.slot, 0x04, 0x6);
	pci_write16((unsigned)rng.slot, 0x04, 0);
	/* a free place in the 32-bit window: the device must work there */
	set_bar0(rng.slot, 0xD0000000ULL);
	pci_write16((unsigned)rng.slot, 0x04, 0x6);
	rng.bar = 0xD0000000ULL;
	rt_check(rng_read(&rng, 64) == 64, "virtio-rng works at a moved BAR (0xd0000000)");
	/* and back home */
	set_bar0(rng.slot, home);
	rng.bar = home;
	rt_check(rng_read(&rng, 64) == 64, "virtio-rng works back at its BAR");
}

static void cfg_storm(void)
{
	rt_puts("case config-space-storm\n");
	u64 writes = 0;
	for (unsigned slot = 0; slot < 32; slot++) {
		for (unsigned off = 0; off < 256; off++) {
			u64 v = rt_rand();
			pci_write8(slot, off, (u8)v);
			pci_write8(slot, off, 0xff);
			pci_write16(slot, off & ~1u, (u16)(v >> 8));
			pci_write32(slot, off & ~3u, (u32)(v >> 24));
			pci_write32(slot, off & ~3u, 0xffffffff);
			(void)pci_read32(slot, off & ~3u);
			(void)pci_read16(slot, off & ~1u);
			(void)pci_read8(slot, off);
			writes += 5;
		}
	}
	rt_note("0xCF8 config writes", writes);
	/* ECAM: every register incl. the extended space, odd sizes, straddles */
	writes = 0;
	for (unsigned slot = 0; slot < 32; slot++) {
		u64 f = ECAM + ((u64)slot << 15);
		for (unsigned off = 0; off < 0x1000; off += (off < 0x100 ? 1 : 61)) {
			u64 v = rt_rand();
			mmio_w8(f + off, (u8)v);
			if (off < 0xfff)
				mmio_w16(f + off, (u16)v);
			if (off <= 0xffc)
				mmio_w32(f + off, (u32)v);
			mmio_w64(f + (off & ~7u), v);
			(void)mmio_r64(f + (off & ~7u));
			(void)mmio_r32(f + (off & ~3u));
			writes += 4;
		}
		mmio_w64(f + 0xffc, 0xffffffffffffffffULL); /* crosses into function 1 */
		mmio_w32(f + 0xffe, 0xffffffff);
		(void)mmio_r64(f + 0xffc);
		(void)mmio_r64(f + 0x7ffc);   /* crosses into the next device */
		mmio_w32(f + 0x1000, 0xffffffff); /* function 1 */
	}
	(void)mmio_r64(ECAM + 0xffffc); /* crosses the end of the window */
	mmio_w64(ECAM + 0xffffc, 0);
	rt_note("ECAM config writes", writes);
	/* CONFIG_ADDRESS abuse */
	for (u32 v = 0; v < 0x1000; v++) {
		outl(0xcf8, (u32)rt_rand());
		outb(0xcf8 + (v & 3), (u8)v);
		outw(0xcf8 + (v & 2), (u16)v);
		(void)inb(0xcf8 + (v & 3));
		(void)inw(0xcfa);
		(void)inl(0xcfc);
		outl(0xcfc, (u32)rt_rand());
		outl(0xcfe & ~1u, 0); /* 4 bytes at 0xcfe: crosses the data port */
		(void)inl(0xcfd);
	}
}

void mal_main(void)
{
	rt_puts("guest pci: config space and MSI-X abuse\n");
	if (vdev_open(&rng, VIRTIO_RNG_DEVICE) || vdev_open(&con, VIRTIO_CONSOLE_DEVICE)) {
		rt_check(0, "virtio-rng and virtio-console found (boot with --console null)");
		rt_finish("pci");
	}
	rt_note("rng slot", (u64)rng.slot);
	rt_note("rng BAR0", rng.bar);
	rt_note("console BAR0", con.bar);
	save_cfg(rng.slot);
	save_cfg(con.slot);
	save_cfg(0);
	rt_check(rng_read(&rng, 64) == 64, "virtio-rng works at boot");

	msix_abuse();
	bar_games();
	cfg_storm();

	rt_puts("case restore-and-use\n");
	restore_cfg(rng.slot);
	restore_cfg(con.slot);
	rt_check(vdev_bar0(rng.slot) == rng.bar, "rng BAR0 restored");
	rt_check(pci_read32(0, 0) == 0x0d578086, "host bridge ID unchanged");
	rt_check(pci_read32((unsigned)rng.slot, 0) == (VIRTIO_VENDOR | (u32)VIRTIO_RNG_DEVICE << 16), "rng ID unchanged");
	vdev_reset(&con);
	rt_check(mmio_r16(con.bar + VC_NUMQ) >= 2, "virtio-console answers");
	vdev_reset(&rng);
	int n = rng_read(&rng, 64);
	rt_check(n == 64, "virtio-rng returns random bytes after the storm");
	rt_finish("pci");
}

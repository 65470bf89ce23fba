/* guest_virtq.c — attacks on virtio-rng's virtqueue and transport.
 *
 * Every attack must end with the device reporting DEVICE_NEEDS_RESET (status
 * bit 0x40) — never a crash, a hang or a write outside guest RAM — and after
 * a reset the device must serve random bytes again. Attacks:
 *   chain level (queue valid at enable, bad descriptors popped later):
 *     descriptor loops, next out of range, buffers above RAM / in the MMIO
 *     hole / straddling the end of RAM / with a 64-bit overflowing addr+len,
 *     huge lengths, a chain whose lengths sum past 4 GiB, indirect tables
 *     outside RAM, straddling its end, of bad length, nested, looping, huge;
 *     avail idx jumping ahead, avail head out of range;
 *   enable level (virtq_enable refuses): rings above RAM, in the BAR window,
 *     overflowing 64-bit, straddling the end of RAM, misaligned, overlapping
 *     used ring, bad sizes;
 *   rings exactly at the end of RAM (valid: must work);
 *   notifications before set-up, before DRIVER_OK and after reset;
 *   a storm of random accesses over the whole common-configuration region.
 */
#include "rt.h"

static struct vdev dev;

#define DESC QMEM
#define AVAIL (QMEM + 0x1000)
#define USED (QMEM + 0x2000)
#define ITAB (QMEM + 0x4000) /* indirect table */

static void post_head(u16 head, u16 idx)
{
	u16 *av = (u16 *)AVAIL;
	av[2 + (idx - 1) % 16] = head;
	barrier();
	av[1] = idx;
	barrier();
	vdev_notify(&dev, 0);
}

static void expect_rng_works(const char *after)
{
	int n = rng_read(&dev, 64);
	rt_puts("  rng after ");
	rt_puts(after);
	rt_puts(": ");
	rt_dec(n < 0 ? 0 : (u64)n);
	rt_puts(" bytes\n");
	rt_check(n == 64, "device works again after reset");
}

/* A chain-level attack: valid rings of `size`, the table filled by the
 * caller (table[0] is the head), then notify. */
static void chain_attack(const char *name, u16 size, u64 features, void (*fill)(struct vdesc *t))
{
	rt_puts("case ");
	rt_puts(name);
	rt_puts("\n");
	vdev_reset(&dev);
	memset((void *)QMEM, 0, 0x8000);
	if (!(vdev_negotiate(&dev, VF_VERSION_1 | features) & VS_FEATURES_OK)) {
		rt_check(0, "features accepted");
		return;
	}
	vdev_queue(&dev, 0, size, DESC, AVAIL, USED);
	vdev_driver_ok(&dev);
	rt_check(!(vdev_status(&dev) & VS_NEEDS_RESET), "valid queue enabled");
	fill((struct vdesc *)DESC);
	barrier();
	post_head(0, 1);
	int r = vdev_wait(&dev, USED, 1);
	rt_check(r == -1, "DEVICE_NEEDS_RESET set");
	if (r != -1)
		rt_note("used idx / status", ((u64)*(volatile u16 *)(USED + 2) << 8) | vdev_status(&dev));
	/* The queue is broken: more notifications change nothing. */
	vdev_notify(&dev, 0);
	rt_check((vdev_status(&dev) & (VS_NEEDS_RESET | VS_DRIVER_OK)) == (VS_NEEDS_RESET | VS_DRIVER_OK),
		 "status keeps DRIVER_OK|NEEDS_RESET");
	expect_rng_works(name);
}

static const u64 W = VD_WRITE;
static void f_loop2(struct vdesc *t) { t[0] = (struct vdesc){BUFMEM, 64, VD_NEXT | W, 1}; t[1] = (struct vdesc){BUFMEM + 64, 64, VD_NEXT | W, 0}; }
static void f_selfloop(struct vdesc *t) { t[0] = (struct vdesc){BUFMEM, 64, VD_NEXT | W, 0}; }
static void f_longloop(struct vdesc *t) { for (int i = 0; i < 16; i++) t[i] = (struct vdesc){BUFMEM, 16, VD_NEXT | W, (u16)((i + 1) % 16)}; }
static void f_next_oob(struct vdesc *t) { t[0] = (struct vdesc){BUFMEM, 64, VD_NEXT | W, 16}; }
static void f_next_ffff(struct vdesc *t) { t[0] = (struct vdesc){BUFMEM, 64, VD_NEXT | W, 0xffff}; }
static void f_above_ram(struct vdesc *t) { t[0] = (struct vdesc){0x10000000, 64, W, 0}; }
static void f_mmio_hole(struct vdesc *t) { t[0] = (struct vdesc){0xfee00000, 64, W, 0}; }
static void f_bar(struct vdesc *t) { t[0] = (struct vdesc){dev.bar, 64, W, 0}; }
static void f_overflow(struct vdesc *t) { t[0] = (struct vdesc){0xfffffffffffff000ULL, 0x2000, W, 0}; }
static void f_straddle(struct vdesc *t) { t[0] = (struct vdesc){RAM_END - 32, 64, W, 0}; }
static void f_huge(struct vdesc *t) { t[0] = (struct vdesc){BUFMEM, 0xffffffffu, W, 0}; }
static void f_sum4g(struct vdesc *t)
{ /* 64 x 80 MiB = 5 GiB > the 4 GiB a used element can report */
	for (int i = 0; i < 64; i++)
		t[i] = (struct vdesc){BUFMEM, 80u << 20, (u16)((i < 63 ? VD_NEXT : 0) | W), (u16)(i + 1)};
}
static void f_ind_outside(struct vdesc *t) { t[0] = (struct vdesc){0x10000000, 64, VD_INDIRECT, 0}; }
static void f_ind_overflow(struct vdesc *t) { t[0] = (struct vdesc){0xfffffffffffffff0ULL, 64, VD_INDIRECT, 0}; }
static void f_ind_straddle(struct vdesc *t) { t[0] = (struct vdesc){RAM_END - 16, 64, VD_INDIRECT, 0}; }
static void f_ind_badlen(struct vdesc *t)
{
	((struct vdesc *)ITAB)[0] = (struct vdesc){BUFMEM, 64, W, 0};
	t[0] = (struct vdesc){ITAB, 20, VD_INDIRECT, 0};
}
static void f_ind_zerolen(struct vdesc *t) { t[0] = (struct vdesc){ITAB, 0, VD_INDIRECT, 0}; }
static void f_ind_nested(struct vdesc *t)
{
	((struct vdesc *)ITAB)[0] = (struct vdesc){ITAB, 32, VD_INDIRECT, 0};
	((struct vdesc *)ITAB)[1] = (struct vdesc){BUFMEM, 64, W, 0};
	t[0] = (struct vdesc){ITAB, 32, VD_INDIRECT, 0};
}
static void f_ind_loop(struct vdesc *t)
{
	((struct vdesc *)ITAB)[0] = (struct vdesc){BUFMEM, 64, VD_NEXT | W, 1};
	((struct vdesc *)ITAB)[1] = (struct vdesc){BUFMEM, 64, VD_NEXT | W, 0};
	t[0] = (struct vdesc){ITAB, 32, VD_INDIRECT, 0};
}
static void f_ind_next_oob(struct vdesc *t)
{
	((struct vdesc *)ITAB)[0] = (struct vdesc){BUFMEM, 64, VD_NEXT | W, 5};
	((struct vdesc *)ITAB)[1] = (struct vdesc){BUFMEM, 64, W, 0};
	t[0] = (struct vdesc){ITAB, 32, VD_INDIRECT, 0};
}
static void f_ind_huge(struct vdesc *t)
{ /* a 64 MiB table of zeroed descriptors (far more than 1024 entries) */
	t[0] = (struct vdesc){BUFMEM, 64u << 20, VD_INDIRECT, 0};
}
static void f_ind_with_next(struct vdesc *t)
{ /* INDIRECT together with NEXT: forbidden by the spec */
	((struct vdesc *)ITAB)[0] = (struct vdesc){BUFMEM, 64, W, 0};
	t[0] = (struct vdesc){ITAB, 16, VD_INDIRECT | VD_NEXT, 1};
	t[1] = (struct vdesc){BUFMEM, 64, W, 0};
}
static void f_ind_not_negotiated(struct vdesc *t)
{
	((struct vdesc *)ITAB)[0] = (struct vdesc){BUFMEM, 64, W, 0};
	t[0] = (struct vdesc){ITAB, 16, VD_INDIRECT, 0};
}

/* avail-ring attacks (valid descriptors) */
static void avail_attack(const char *name, u16 head, u16 idx)
{
	rt_puts("case ");
	rt_puts(name);
	rt_puts("\n");
	vdev_reset(&dev);
	memset((void *)QMEM, 0, 0x8000);
	vdev_negotiate(&dev, VF_VERSION_1);
	vdev_queue(&dev, 0, 16, DESC, AVAIL, USED);
	vdev_driver_ok(&dev);
	((struct vdesc *)DESC)[0] = (struct vdesc){BUFMEM, 64, W, 0};
	post_head(head, idx);
	rt_check(vdev_wait_needs_reset(&dev), "DEVICE_NEEDS_RESET set");
	expect_rng_works(name);
}

/* Enable-level attacks: the queue registers are bad; enabling must fail. */
static void enable_attack(const char *name, u16 size, u64 desc, u64 avail, u64 used)
{
	rt_puts("case ");
	rt_puts(name);
	rt_puts("\n");
	vdev_reset(&dev);
	memset((void *)QMEM, 0, 0x8000);
	vdev_negotiate(&dev, VF_VERSION_1);
	vdev_queue(&dev, 0, size, desc, avail, used);
	rt_check(vdev_status(&dev) & VS_NEEDS_RESET, "DEVICE_NEEDS_RESET after queue_enable");
	mmio_w16(dev.bar + VC_Q_SELECT, 0);
	rt_check(mmio_r16(dev.bar + VC_Q_ENABLE) == 0, "queue not enabled");
	vdev_driver_ok(&dev);
	vdev_notify(&dev, 0);
	rt_check(!(vdev_status(&dev) & VS_DRIVER_OK) || (vdev_status(&dev) & VS_NEEDS_RESET), "still needs reset");
	expect_rng_works(name);
}

/* Rings that end exactly at the end of RAM are valid and must work. */
static void rings_at_ram_end(void)
{
	rt_puts("case rings-at-end-of-ram\n");
	u64 desc = RAM_END - 0x3000, avail = RAM_END - 0x2000, used = RAM_END - 136, buf = RAM_END - 64;
	desc = RAM_END - 256;         /* 16 x 16 bytes, last byte = RAM_END - 1 */
	avail = RAM_END - 0x1000 - 38; /* 6 + 2*16 bytes */
	avail &= ~1ULL;
	used = RAM_END - 0x2000 - 136; /* 6 + 8*16 = 134, 4-aligned */
	buf = RAM_END - 0x3000;
	vdev_reset(&dev);
	memset((void *)(RAM_END - 0x4000), 0, 0x4000);
	vdev_negotiate(&dev, VF_VERSION_1);
	vdev_queue(&dev, 0, 16, desc, avail, used);
	vdev_driver_ok(&dev);
	rt_check(!(vdev_status(&dev) & VS_NEEDS_RESET), "queue at the end of RAM accepted");
	((struct vdesc *)desc)[15] = (struct vdesc){RAM_END - 64, 64, W, 0};
	u16 *av = (u16 *)avail;
	av[2] = 15;
	barrier();
	av[1] = 1;
	vdev_notify(&dev, 0);
	int r = vdev_wait(&dev, used, 1);
	rt_check(r == 1, "buffer ending at the end of RAM filled");
	rt_check(*(volatile u32 *)(used + 4) == 15 && *(volatile u32 *)(used + 8) == 64, "used element (15, 64)");
	(void)buf;
	vdev_reset(&dev);
}

static void notify_games(void)
{
	rt_puts("case notify-before-setup-and-after-reset\n");
	vdev_reset(&dev);
	for (u16 q = 0; q < 8; q++)
		mmio_w16(dev.bar + 0x3000 + q * 4u, q); /* no queue set up at all */
	for (u64 off = 0; off < 0x1000; off += 2)
		mmio_w16(dev.bar + 0x3000 + off, (u16)rt_rand());
	mmio_w8(dev.bar + VC_STATUS, VS_ACK);
	vdev_notify(&dev, 0);
	vdev_negotiate(&dev, VF_VERSION_1);
	memset((void *)QMEM, 0, 0x8000);
	vdev_queue(&dev, 0, 16, DESC, AVAIL, USED);
	/* queue enabled, buffers available, but no DRIVER_OK yet */
	((struct vdesc *)DESC)[0] = (struct vdesc){BUFMEM, 64, W, 0};
	post_head(0, 1);
	vdev_notify(&dev, 0);
	rt_check(!(vdev_status(&dev) & VS_NEEDS_RESET), "no NEEDS_RESET from early notifications");
	vdev_reset(&dev);
	for (int i = 0; i < 100; i++)
		vdev_notify(&dev, 0); /* after reset: no queue enabled */
	mmio_w16(dev.bar + VC_Q_SELECT, 0);
	rt_check(mmio_r16(dev.bar + VC_Q_ENABLE) == 0, "queue disabled after reset");
	/* the queue registers and status are really back at reset values */
	rt_check(vdev_status(&dev) == 0, "status 0 after reset");
	expect_rng_works("early/late notifications");
	/* notify after a reset that happened while a request was pending */
	vdev_reset(&dev);
	vdev_negotiate(&dev, VF_VERSION_1);
	vdev_queue(&dev, 0, 16, DESC, AVAIL, USED);
	vdev_driver_ok(&dev);
	vdev_reset(&dev);
	post_head(0, 2);
	rt_check(vdev_status(&dev) == 0, "status 0 after reset + notify");
	expect_rng_works("reset + notify");
}

static void transport_games(void)
{
	rt_puts("case transport-rule-breaking\n");
	vdev_reset(&dev);
	/* features never offered */
	mmio_w8(dev.bar + VC_STATUS, VS_ACK | VS_DRIVER);
	mmio_w32(dev.bar + VC_GFSELECT, 1);
	mmio_w32(dev.bar + VC_GF, 0xffffffff);
	mmio_w32(dev.bar + VC_GFSELECT, 0);
	mmio_w32(dev.bar + VC_GF, 0xffffffff);
	mmio_w8(dev.bar + VC_STATUS, VS_ACK | VS_DRIVER | VS_FEATURES_OK);
	rt_check(!(vdev_status(&dev) & VS_FEATURES_OK), "FEATURES_OK refused for unknown features");
	/* DRIVER_OK without FEATURES_OK */
	mmio_w8(dev.bar + VC_STATUS, VS_ACK | VS_DRIVER | VS_DRIVER_OK);
	rt_check(!(vdev_status(&dev) & VS_DRIVER_OK), "DRIVER_OK refused without FEATURES_OK");
	/* the driver tries to set NEEDS_RESET or clear bits */
	vdev_reset(&dev);
	vdev_negotiate(&dev, VF_VERSION_1);
	mmio_w8(dev.bar + VC_STATUS, 0xff);
	mmio_w8(dev.bar + VC_STATUS, VS_ACK);
	/* queue registers of queues that do not exist, and after DRIVER_OK */
	for (u32 q = 1; q < 0x10000; q += 257) {
		mmio_w16(dev.bar + VC_Q_SELECT, (u16)q);
		mmio_w16(dev.bar + VC_Q_SIZE, 16);
		mmio_w64(dev.bar + VC_Q_DESC, QMEM);
		mmio_w16(dev.bar + VC_Q_ENABLE, 1);
		mmio_w16(dev.bar + VC_Q_MSIX, (u16)q);
		(void)mmio_r16(dev.bar + VC_Q_NOFF);
	}
	rt_check(1, "queue registers of absent queues ignored");
	expect_rng_works("transport rule breaking");

	rt_puts("case common-config-storm\n");
	for (int round = 0; round < 4; round++) {
		for (u64 off = 0; off < 0x1000; off++) {
			u64 v = rt_rand();
			switch ((v >> 60) & 3) {
			case 0: mmio_w8(dev.bar + off, (u8)v); break;
			case 1: mmio_w16(dev.bar + (off & ~1ULL), (u16)v); break;
			case 2: mmio_w32(dev.bar + (off & ~3ULL), (u32)v); break;
			default: mmio_w64(dev.bar + (off & ~7ULL), v & 0x0fffffffffffffffULL); break;
			}
			(void)mmio_r32(dev.bar + (off & ~3ULL));
		}
		for (u64 off = 0x1000; off < 0x3000; off += 4) /* ISR and device config */
			(void)mmio_r32(dev.bar + off), mmio_w32(dev.bar + off, (u32)rt_rand());
	}
	rt_note("status after the storm", vdev_status(&dev));
	expect_rng_works("common config storm");
}

void mal_main(void)
{
	rt_puts("guest virtq: attacks on virtio-rng\n");
	if (vdev_open(&dev, VIRTIO_RNG_DEVICE)) {
		rt_check(0, "virtio-rng found");
		rt_finish("virtq");
	}
	rt_note("virtio-rng slot", (u64)dev.slot);
	rt_note("BAR0", dev.bar);
	expect_rng_works("boot");

	chain_attack("desc-loop-2", 16, 0, f_loop2);
	chain_attack("desc-self-loop", 16, 0, f_selfloop);
	chain_attack("desc-loop-whole-table", 16, 0, f_longloop);
	chain_attack("desc-next-out-of-range", 16, 0, f_next_oob);
	chain_attack("desc-next-ffff", 16, 0, f_next_ffff);
	chain_attack("buffer-above-ram", 16, 0, f_above_ram);
	chain_attack("buffer-in-lapic", 16, 0, f_mmio_hole);
	chain_attack("buffer-on-own-bar", 16, 0, f_bar);
	chain_attack("buffer-addr-len-overflow", 16, 0, f_overflow);
	chain_attack("buffer-straddles-ram-end", 16, 0, f_straddle);
	chain_attack("buffer-len-4g", 16, 0, f_huge);
	chain_attack("chain-sum-over-4g", 64, 0, f_sum4g);
	chain_attack("indirect-not-negotiated", 16, 0, f_ind_not_negotiated);
	chain_attack("indirect-outside-ram", 16, VF_INDIRECT, f_ind_outside);
	chain_attack("indirect-addr-overflow", 16, VF_INDIRECT, f_ind_overflow);
	chain_attack("indirect-straddles-ram-end", 16, VF_INDIRECT, f_ind_straddle);
	chain_attack("indirect-len-not-16n", 16, VF_INDIRECT, f_ind_badlen);
	chain_attack("indirect-len-0", 16, VF_INDIRECT, f_ind_zerolen);
	chain_attack("indirect-nested", 16, VF_INDIRECT, f_ind_nested);
	chain_attack("indirect-loop", 16, VF_INDIRECT, f_ind_loop);
	chain_attack("indirect-next-out-of-range", 16, VF_INDIRECT, f_ind_next_oob);
	chain_attack("indirect-64mib-table", 16, VF_INDIRECT, f_ind_huge);
	chain_attack("indirect-with-next", 16, VF_INDIRECT, f_ind_with_next);
	avail_attack("avail-idx-jumps-1000", 0, 1000);
	avail_attack("avail-head-out-of-range", 999, 1);

	enable_attack("rings-above-ram", 16, 0x10000000, 0x10001000, 0x10002000);
	enable_attack("desc-in-bar-window", 16, dev.bar, AVAIL, USED);
	enable_attack("desc-addr-overflow", 16, 0xffffffffffffff00ULL, AVAIL, USED);
	enable_attack("desc-straddles-ram-end", 16, RAM_END - 128, AVAIL, USED);
	enable_attack("avail-straddles-ram-end", 16, DESC, RAM_END - 4, USED);
	enable_attack("used-straddles-ram-end", 16, DESC, AVAIL, RAM_END - 8);
	enable_attack("used-in-mmio-hole", 16, DESC, AVAIL, 0xfec00000);
	enable_attack("used-overlaps-desc", 16, DESC, AVAIL, DESC + 64);
	enable_attack("used-overlaps-avail", 16, DESC, AVAIL, AVAIL);
	enable_attack("desc-misaligned", 16, DESC + 8, AVAIL, USED);
	enable_attack("used-misaligned", 16, DESC, AVAIL, USED + 2);
	enable_attack("size-0", 0, DESC, AVAIL, USED);
	enable_attack("size-3", 3, DESC, AVAIL, USED);
	enable_attack("size-above-max", 512, DESC, AVAIL, USED);
	enable_attack("size-ffff", 0xffff, DESC, AVAIL, USED);
	rings_at_ram_end();
	notify_games();
	transport_games();
	rt_finish("virtq");
}

/* rt.c — the malicious guests' runtime (see rt.h). */
#include "rt.h"

int rt_failures;

void *memset(void *d, int c, unsigned long n)
{
	u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	u8 *p = d;
	const u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

/* ---- page tables: identity map of 8 GiB, 2 MiB pages, MMIO hole uncached --- */
static u64 pml4[512] __attribute__((aligned(4096)));
static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pd[8][512] __attribute__((aligned(4096)));

static void paging_init(void)
{
	for (u64 i = 0; i < 8; i++) {
		for (u64 j = 0; j < 512; j++) {
			u64 a = (i << 30) | (j << 21);
			u64 f = 0x83; /* present, writable, 2 MiB */
			if (a >= 0xC0000000ULL)
				f |= 0x18; /* PCD | PWT */
			pd[i][j] = a | f;
		}
		pdpt[i] = (u64)pd[i] | 3;
	}
	pml4[0] = (u64)pdpt | 3;
	__asm__ volatile("mov %0, %%cr3" ::"r"((u64)pml4) : "memory");
}

/* ---- IDT: exceptions print and reset ------------------------------------- */
extern u64 exc_table[22];
static u64 idt[22 * 2] __attribute__((aligned(16)));

static void idt_init(void)
{
	for (int i = 0; i < 22; i++) {
		u64 h = exc_table[i];
		idt[2 * i] = (h & 0xffff) | (0x10ULL << 16) | (0x8eULL << 40) | ((h >> 16) & 0xffff) << 48;
		idt[2 * i + 1] = h >> 32;
	}
	struct __attribute__((packed)) {
		u16 limit;
		u64 base;
	} d = {sizeof(idt) - 1, (u64)idt};
	__asm__ volatile("lidt %0" ::"m"(d));
}

static void reset_now(void)
{
	for (;;) {
		outb(0x64, 0xfe);
		__asm__ volatile("hlt");
	}
}

void rt_exception(u64 vector, u64 *frame)
{
	rt_serial_init();
	rt_puts("\nMAL-EXCEPTION vector ");
	rt_dec(vector);
	rt_puts(" rip/err ");
	rt_hex(frame[0]);
	rt_puts(" ");
	rt_hex(frame[1]);
	u64 cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	rt_puts(" cr2 ");
	rt_hex(cr2);
	rt_puts("\n");
	reset_now();
}

/* ---- serial --------------------------------------------------------------- */
#define COM1 0x3f8

void rt_serial_init(void)
{
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 1);
	outb(COM1 + 1, 0);
	outb(COM1 + 3, 0x03); /* 8N1, DLAB off */
	outb(COM1 + 1, 0);    /* no interrupts */
	outb(COM1 + 2, 0x07); /* FIFOs on, cleared */
	outb(COM1 + 4, 0x03); /* DTR RTS, loopback off */
}

static void putc_raw(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (u8)c);
}

void rt_puts(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc_raw('\r');
		putc_raw(*s++);
	}
}

void rt_hex(u64 v)
{
	char b[19] = "0x";
	for (int i = 0; i < 16; i++)
		b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	b[18] = 0;
	rt_puts(b);
}

void rt_dec(u64 v)
{
	char b[21];
	int i = 20;
	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	rt_puts(b + i);
}

void rt_check(int ok, const char *what)
{
	rt_puts(ok ? "  ok   " : "  FAIL ");
	rt_puts(what);
	rt_puts("\n");
	if (!ok)
		rt_failures++;
}

void rt_note(const char *what, u64 v)
{
	rt_puts("  note ");
	rt_puts(what);
	rt_puts(" = ");
	rt_hex(v);
	rt_puts("\n");
}

static u64 rng_state = 0x9e3779b97f4a7c15ULL;
u64 rt_rand(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

u64 rt_cmdline_num(const char *key, u64 def)
{
	const char *c = (const char *)0x20000;
	for (int i = 0; i < 4096 && c[i]; i++) {
		if (i && c[i - 1] != ' ')
			continue;
		int k = 0;
		while (key[k] && c[i + k] == key[k])
			k++;
		if (key[k] || c[i + k] != '=')
			continue;
		u64 v = 0;
		int d = 0;
		for (const char *p = c + i + k + 1; *p >= '0' && *p <= '9'; p++, d++)
			v = v * 10 + (u64)(*p - '0');
		return d ? v : def;
	}
	return def;
}

void rt_finish(const char *name)
{
	rt_serial_init(); /* in case a storm left the UART in loopback/DLAB */
	rt_puts(rt_failures ? "MAL-FAIL " : "MAL-OK ");
	rt_puts(name);
	if (rt_failures) {
		rt_puts(" (");
		rt_dec((u64)rt_failures);
		rt_puts(" checks failed)");
	}
	rt_puts("\n");
	reset_now();
	__builtin_unreachable();
}

void rt_main(void)
{
	paging_init();
	idt_init();
	rt_serial_init();
	rt_puts("MAL-START\n");
	mal_main();
	rt_finish("(no name)");
}

/* ---- PCI ------------------------------------------------------------------ */
static void cfg_addr(unsigned slot, unsigned off)
{
	outl(0xcf8, 0x80000000u | (slot & 31) << 11 | (off & 0xfc));
}

u32 pci_read32(unsigned slot, unsigned off) { cfg_addr(slot, off); return inl(0xcfc); }
u16 pci_read16(unsigned slot, unsigned off) { cfg_addr(slot, off); return inw((u16)(0xcfc + (off & 2))); }
u8 pci_read8(unsigned slot, unsigned off) { cfg_addr(slot, off); return inb((u16)(0xcfc + (off & 3))); }
void pci_write32(unsigned slot, unsigned off, u32 v) { cfg_addr(slot, off); outl(0xcfc, v); }
void pci_write16(unsigned slot, unsigned off, u16 v) { cfg_addr(slot, off); outw((u16)(0xcfc + (off & 2)), v); }
void pci_write8(unsigned slot, unsigned off, u8 v) { cfg_addr(slot, off); outb((u16)(0xcfc + (off & 3)), v); }

int pci_find(u16 vendor, u16 device)
{
	for (unsigned s = 0; s < 32; s++) {
		u32 id = pci_read32(s, 0);
		if ((id & 0xffff) == vendor && (id >> 16) == device)
			return (int)s;
	}
	return -1;
}

/* ---- virtio-pci ----------------------------------------------------------- */
u64 vdev_bar0(int slot)
{
	u32 lo = pci_read32((unsigned)slot, 0x10), hi = pci_read32((unsigned)slot, 0x14);
	return ((u64)hi << 32) | (lo & ~0xfu);
}

int vdev_open(struct vdev *d, u16 device_id)
{
	d->slot = pci_find(VIRTIO_VENDOR, device_id);
	if (d->slot < 0)
		return -1;
	d->bar = vdev_bar0(d->slot);
	pci_write16((unsigned)d->slot, 0x04, pci_read16((unsigned)d->slot, 0x04) | 0x6);
	return d->bar ? 0 : -1;
}

u8 vdev_status(struct vdev *d) { return mmio_r8(d->bar + VC_STATUS); }

void vdev_reset(struct vdev *d)
{
	mmio_w8(d->bar + VC_STATUS, 0);
	for (int i = 0; i < 1000 && mmio_r8(d->bar + VC_STATUS); i++)
		;
}

u8 vdev_negotiate(struct vdev *d, u64 features)
{
	mmio_w8(d->bar + VC_STATUS, VS_ACK);
	mmio_w8(d->bar + VC_STATUS, VS_ACK | VS_DRIVER);
	mmio_w32(d->bar + VC_GFSELECT, 0);
	mmio_w32(d->bar + VC_GF, (u32)features);
	mmio_w32(d->bar + VC_GFSELECT, 1);
	mmio_w32(d->bar + VC_GF, (u32)(features >> 32));
	mmio_w8(d->bar + VC_STATUS, VS_ACK | VS_DRIVER | VS_FEATURES_OK);
	return vdev_status(d);
}

void vdev_queue(struct vdev *d, u16 q, u16 size, u64 desc, u64 avail, u64 used)
{
	mmio_w16(d->bar + VC_Q_SELECT, q);
	mmio_w16(d->bar + VC_Q_SIZE, size);
	mmio_w16(d->bar + VC_Q_MSIX, 0xffff);
	mmio_w64(d->bar + VC_Q_DESC, desc);
	mmio_w64(d->bar + VC_Q_AVAIL, avail);
	mmio_w64(d->bar + VC_Q_USED, used);
	mmio_w16(d->bar + VC_Q_ENABLE, 1);
}

void vdev_driver_ok(struct vdev *d)
{
	mmio_w8(d->bar + VC_STATUS, (u8)(vdev_status(d) | VS_DRIVER_OK));
}

void vdev_notify(struct vdev *d, u16 q)
{
	mmio_w16(d->bar + VC_Q_SELECT, q);
	u16 off = mmio_r16(d->bar + VC_Q_NOFF);
	mmio_w16(d->bar + 0x3000 + (u64)off * 4, q);
}

#define WAIT_CYCLES 6000000000ULL

int vdev_wait(struct vdev *d, u64 used, u16 idx)
{
	u64 start = rdtsc();
	for (u64 n = 0;; n++) {
		barrier();
		if (*(volatile u16 *)(used + 2) == idx)
			return 1;
		if ((n & 255) == 0) {
			if (vdev_status(d) & VS_NEEDS_RESET)
				return -1;
			if (rdtsc() - start > WAIT_CYCLES)
				return 0;
		}
		__asm__ volatile("pause");
	}
}

int vdev_wait_needs_reset(struct vdev *d)
{
	u64 start = rdtsc();
	for (;;) {
		if (vdev_status(d) & VS_NEEDS_RESET)
			return 1;
		if (rdtsc() - start > WAIT_CYCLES)
			return 0;
		for (int i = 0; i < 1000; i++)
			__asm__ volatile("pause");
	}
}

int rng_read(struct vdev *d, unsigned bytes)
{
	u64 desc = QMEM, avail = QMEM + 0x1000, used = QMEM + 0x2000, buf = BUFMEM;
	memset((void *)QMEM, 0, 0x3000);
	memset((void *)buf, 0, bytes);
	vdev_reset(d);
	if (!(vdev_negotiate(d, VF_VERSION_1) & VS_FEATURES_OK))
		return -3;
	vdev_queue(d, 0, 16, desc, avail, used);
	vdev_driver_ok(d);
	if (vdev_status(d) & VS_NEEDS_RESET)
		return -1;
	struct vdesc *t = (struct vdesc *)desc;
	t[0] = (struct vdesc){buf, bytes, VD_WRITE, 0};
	u16 *av = (u16 *)avail;
	av[2] = 0;
	barrier();
	av[1] = 1;
	barrier();
	vdev_notify(d, 0);
	int r = vdev_wait(d, used, 1);
	if (r <= 0)
		return r < 0 ? -1 : -2;
	u32 len = *(volatile u32 *)(used + 8);
	int nonzero = 0;
	for (unsigned i = 0; i < bytes; i++)
		nonzero |= ((u8 *)buf)[i];
	vdev_reset(d);
	return nonzero ? (int)len : 0;
}

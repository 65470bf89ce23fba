/* rt.h — tiny freestanding runtime for the malicious-guest images.
 *
 * The images run in 64-bit long mode with interrupts off, on a private
 * identity map of the first 8 GiB (so BARs moved into nimbus's 64-bit
 * window just above 4 GiB stay reachable), and talk to nimbus's devices directly with
 * in/out and MMIO. Output goes to the 16550 at 0x3f8, polled. Every image
 * ends with rt_finish(): a verdict line "MAL-OK <name>" or "MAL-FAIL <name>"
 * and a reset through the i8042 (0xFE to port 0x64), which makes nimbus exit
 * 0. An exception prints "MAL-EXCEPTION" and resets too (the host-side test
 * then fails: no verdict). */
#ifndef MAL_RT_H
#define MAL_RT_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define NULL ((void *)0)

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline u8 mmio_r8(u64 a) { return *(volatile u8 *)a; }
static inline u16 mmio_r16(u64 a) { return *(volatile u16 *)a; }
static inline u32 mmio_r32(u64 a) { return *(volatile u32 *)a; }
static inline u64 mmio_r64(u64 a) { return *(volatile u64 *)a; }
static inline void mmio_w8(u64 a, u8 v) { *(volatile u8 *)a = v; }
static inline void mmio_w16(u64 a, u16 v) { *(volatile u16 *)a = v; }
static inline void mmio_w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline void mmio_w64(u64 a, u64 v) { *(volatile u64 *)a = v; }

static inline void barrier(void) { __asm__ volatile("mfence" ::: "memory"); }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }

void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

/* Serial output (polled). */
void rt_serial_init(void);
void rt_puts(const char *s);
void rt_hex(u64 v);
void rt_dec(u64 v);
/* "name: msg" lines for results; rt_check counts failures. */
void rt_check(int ok, const char *what);
void rt_note(const char *what, u64 v); /* "  what = 0x..." */
extern int rt_failures;

/* Pseudo-random numbers (xorshift64*, fixed seed: reproducible runs). */
u64 rt_rand(void);

/* The number after "key=" on the kernel command line nimbus wrote at
 * 0x20000 (--cmdline), or def. */
u64 rt_cmdline_num(const char *key, u64 def);

/* Verdict + i8042 reset; never returns. */
__attribute__((noreturn)) void rt_finish(const char *name);

/* PCI configuration through 0xCF8/0xCFC, bus 0 function 0. */
u32 pci_read32(unsigned slot, unsigned off);
u16 pci_read16(unsigned slot, unsigned off);
u8 pci_read8(unsigned slot, unsigned off);
void pci_write32(unsigned slot, unsigned off, u32 v);
void pci_write16(unsigned slot, unsigned off, u16 v);
void pci_write8(unsigned slot, unsigned off, u8 v);
int pci_find(u16 vendor, u16 device); /* slot or -1 */

/* Virtio modern PCI (virtio 1.2, 4.1). */
#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_RNG_DEVICE 0x1044
#define VIRTIO_CONSOLE_DEVICE 0x1043
#define VC_DFSELECT 0x00
#define VC_DF 0x04
#define VC_GFSELECT 0x08
#define VC_GF 0x0c
#define VC_MSIX 0x10
#define VC_NUMQ 0x12
#define VC_STATUS 0x14
#define VC_Q_SELECT 0x16
#define VC_Q_SIZE 0x18
#define VC_Q_MSIX 0x1a
#define VC_Q_ENABLE 0x1c
#define VC_Q_NOFF 0x1e
#define VC_Q_DESC 0x20
#define VC_Q_AVAIL 0x28
#define VC_Q_USED 0x30
#define VS_ACK 1
#define VS_DRIVER 2
#define VS_DRIVER_OK 4
#define VS_FEATURES_OK 8
#define VS_NEEDS_RESET 0x40
#define VS_FAILED 0x80
#define VF_INDIRECT (1ULL << 28)
#define VF_EVENT_IDX (1ULL << 29)
#define VF_VERSION_1 (1ULL << 32)
#define VD_NEXT 1
#define VD_WRITE 2
#define VD_INDIRECT 4

struct vdesc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

struct vdev {
	int slot;
	u64 bar; /* BAR 0 (common cfg at +0, notify at +0x3000) */
};

/* Find the device, enable memory decode and bus mastering; 0 or -1. */
int vdev_open(struct vdev *d, u16 device_id);
u64 vdev_bar0(int slot); /* BAR 0 address as programmed (mem64) */
void vdev_reset(struct vdev *d);
u8 vdev_status(struct vdev *d);
/* ACK, DRIVER, features, FEATURES_OK; returns the status read back. */
u8 vdev_negotiate(struct vdev *d, u64 features);
/* Program queue q (size, rings, no MSI-X vector) and enable it. */
void vdev_queue(struct vdev *d, u16 q, u16 size, u64 desc, u64 avail, u64 used);
void vdev_driver_ok(struct vdev *d);
void vdev_notify(struct vdev *d, u16 q);
/* Wait until used->idx reaches `idx` (1) or status has NEEDS_RESET (-1) or
 * the time runs out (0). */
int vdev_wait(struct vdev *d, u64 used, u16 idx);
/* Wait for NEEDS_RESET only; 1 if seen. */
int vdev_wait_needs_reset(struct vdev *d);

/* Guest memory the images use for rings and buffers (24..32 MiB) and the
 * guest RAM size every test boots with (--memory size=128M). */
#define QMEM 0x1800000ULL
#define BUFMEM 0x2000000ULL
#define RAM_END (128ULL << 20)

/* A normal virtio-rng round from reset: one 64-byte writable buffer; returns
 * the used length (> 0 when random bytes arrived), or -1 on NEEDS_RESET / -2
 * on timeout. Proves the device (and nimbus) still work. */
int rng_read(struct vdev *d, unsigned bytes);

/* Each image defines this. */
void mal_main(void);

#endif

/* pci/pci.h — one root PCI bus: config space, BARs, capabilities.
 *
 * Topology: bus 0 only, no bridges, up to 32 devices, function 0 only. The
 * host bridge sits at 00:00.0 (vendor 0x8086 "Intel", device 0x0d57, class
 * 0x060000 host bridge, header type 0, no BARs). 0x8086:0x0d57 is the ID
 * cloud-hypervisor also uses for its host bridge; no guest driver binds to
 * it, so Linux treats it as a generic host bridge.
 *
 * Config access, both as `struct bus_ops` with the `struct pci_bus *` as
 * opaque:
 *   - pci_cfg_pio_ops: insert on the PIO bus at PCI_CFG_PIO_BASE (0xcf8),
 *     length PCI_CFG_PIO_LEN (8). Offset 0 (0xcf8) is CONFIG_ADDRESS and only
 *     answers 32-bit accesses (enable bit 31, bus 23:16, device 15:11,
 *     function 10:8, register 7:2; bits 30:24 and 1:0 read back as 0);
 *     narrower accesses to 0xcf8-0xcfb read all-ones and are ignored.
 *     0xcfc-0xcff is CONFIG_DATA: 1, 2 or 4 bytes at any offset that stays
 *     inside 0xcfc-0xcff select the same bytes of the addressed dword.
 *   - pci_ecam_ops: insert on the MMIO bus at the ECAM base, length
 *     PCI_ECAM_SIZE (1 MiB = bus 0). offset = dev << 15 | fn << 12 | reg.
 *     Accesses of 1, 2, 4 or 8 bytes at any alignment are served byte by
 *     byte as long as they stay inside one function's 4 KiB; anything else
 *     reads all-ones and is ignored.
 * Absent devices, functions other than 0, and buses other than 0 read
 * all-ones; writes to them are ignored. Registers 0x100-0xfff (ECAM only)
 * read 0 and ignore writes.
 *
 * Config space model: 256 bytes per device, a write mask per byte (bits the
 * guest may change) and a write-1-to-clear mask (status register bits 8 and
 * 11-15). Header type 0 fields are read-only except: command bits 0-2, 6, 8,
 * 10; cache line size; interrupt line; the BARs' address bits; and whatever
 * capability bytes their owner declares writable. Expansion ROM, CardBus CIS,
 * BIST and latency timer are hardwired to 0.
 *
 * BARs: mem32, mem64 (uses two BAR slots, upper dword at index+1) and io;
 * sizes are powers of two (mem >= 16 bytes, io 4..256 bytes). The io BAR
 * decodes 16 bits (its upper 16 bits are hardwired to 0). The sizing
 * protocol works as the spec says: write all-ones, read back the size mask
 * with the read-only type bits. A BAR is "on the bus" while the matching
 * command decode bit (memory / io) is set and its address is valid (non-zero
 * and the region does not wrap). Whenever that placement changes the bus's
 * `bar_moved` callback is called (see struct pci_bar_move).
 *
 * Threading: one mutex per device protects its config space and BAR state;
 * accesses come from any vCPU thread concurrently. The CONFIG_ADDRESS latch is
 * one atomic per bus (as on real hardware, it is shared by all vCPUs; guests
 * serialize their 0xcf8/0xcfc pairs themselves). Callbacks into the VMM
 * (bar_moved) and into device hooks (cfg hooks, BAR region ops) are made
 * without any pci lock held. Set-up calls (device creation, BARs, regions,
 * capabilities, add to bus, BAR allocation) are for the control thread
 * before vCPUs run: the device table, hook list and BAR region lists are
 * read without locks afterwards.
 */
#ifndef NIMBUS_PCI_PCI_H
#define NIMBUS_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"
#include "mem/range_alloc.h"

#define PCI_MAX_DEVICES 32
#define PCI_CFG_SPACE_SIZE 256
#define PCI_CFG_EXT_SIZE 4096
#define PCI_ECAM_SIZE (1ULL << 20) /* bus 0 only */
#define PCI_NUM_BARS 6
#define PCI_CFG_PIO_BASE 0xcf8
#define PCI_CFG_PIO_LEN 8

/* "No address": a BAR that is not on the bus, or should be taken off it. */
#define PCI_BAR_NONE UINT64_MAX

#define PCI_HOST_BRIDGE_VENDOR_ID 0x8086
#define PCI_HOST_BRIDGE_DEVICE_ID 0x0d57
#define PCI_CLASS_HOST_BRIDGE 0x060000

/* Type 0 header registers. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_CAP_START 0x40 /* first byte capabilities may use */

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400

#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_STATUS_W1C 0xf900 /* parity, target/master aborts, SERR, parity */

#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

enum pci_bar_kind { PCI_BAR_MEM32, PCI_BAR_MEM64, PCI_BAR_IO };

struct pci_bus;
struct pci_device;

/* Identity of a device; copied at creation. */
struct pci_device_info {
	uint16_t vendor_id, device_id;
	uint16_t subsystem_vendor_id, subsystem_id;
	uint32_t class_code;   /* class << 16 | subclass << 8 | prog-if */
	uint8_t revision;
	uint8_t interrupt_pin; /* 0 = none, 1..4 = INTA#..INTD# */
	const char *name;      /* logs and bus range names; must outlive the device */
	void *owner;           /* for the VMM: pci_device_owner() */
};

/* A BAR's placement changed. The callback must take the BAR off the bus at
 * old_addr (unless PCI_BAR_NONE) and put [new_addr, new_addr + size) with
 * ops/opaque on it (unless PCI_BAR_NONE): the MMIO bus for mem BARs, the PIO
 * bus for io BARs. It returns 0, or -errno if it refuses new_addr (e.g. it
 * overlaps another range): the BAR then stays off the bus until the guest
 * changes its address or decode bit again. Whatever the result, after the
 * call the BAR is no longer at old_addr. */
struct pci_bar_move {
	struct pci_device *dev;
	unsigned bar;            /* BAR index (the lower one of a mem64 pair) */
	enum pci_bar_kind kind;
	uint64_t size;
	uint64_t old_addr, new_addr; /* PCI_BAR_NONE: not mapped / unmap */
	const struct bus_ops *ops;   /* pci_bar_bus_ops */
	void *opaque;                /* its opaque for this BAR */
	const char *name;            /* the device name */
};

struct pci_bus_config {
	/* Called on the vCPU thread that wrote the command register or BAR (or
	 * on the control thread from pci_device_set_bar_addr), with no pci lock
	 * held. Calls for one device are serialized. NOTE: it runs inside the
	 * PIO/MMIO bus dispatch of the config access, so the bus must allow
	 * bus_insert/bus_remove from within a device callback. May be NULL
	 * (tests): placement is then tracked but nothing is called. */
	int (*bar_moved)(void *ctx, const struct pci_bar_move *move);
	void *ctx;
};

/* Hooks for a device-owned range of config space (a capability). Called
 * without pci locks held. `off` is relative to the start of the range and
 * [off, off + len) is the part of the access that falls inside it.
 * read: `data` holds the stored bytes; the hook may overwrite them.
 * write: called after the stored bytes were updated through the write mask;
 * `data` is the raw guest value (untrusted: any bits). */
struct pci_cfg_hooks {
	void (*read)(void *opaque, uint32_t off, uint8_t *data, uint32_t len);
	void (*write)(void *opaque, uint32_t off, const uint8_t *data, uint32_t len);
};

/* Bus with the host bridge at 00:00.0. Returns 0, -EINVAL or -ENOMEM. */
__attribute__((warn_unused_result)) int pci_bus_create(const struct pci_bus_config *cfg,
						       struct pci_bus **out);
/* Destroys every device on the bus too. */
void pci_bus_destroy(struct pci_bus *bus);

/* Config access (opaque = the struct pci_bus *); see the top of the file. */
extern const struct bus_ops pci_cfg_pio_ops;
extern const struct bus_ops pci_ecam_ops;

/* Returns 0, -EINVAL (info NULL, no name, vendor 0xffff) or -ENOMEM. */
__attribute__((warn_unused_result)) int pci_device_create(const struct pci_device_info *info,
							  struct pci_device **out);
/* Only for devices that were never added to a bus. */
void pci_device_destroy(struct pci_device *dev);

/* Put dev at `slot` (1..31), or at the first free slot if slot < 0. The bus
 * owns the device afterwards. Returns 0, -EINVAL (already on a bus, slot
 * out of range), -EBUSY (slot taken) or -ENOSPC (bus full). */
__attribute__((warn_unused_result)) int pci_bus_add_device(struct pci_bus *bus,
							   struct pci_device *dev, int slot);
/* The device at `slot` (0 = host bridge), or NULL. */
struct pci_device *pci_bus_device(struct pci_bus *bus, unsigned slot);

/* Declare BAR `bar` (0..5; a mem64 BAR also takes bar + 1, so bar <= 4).
 * Returns 0 or -EINVAL (bad index, slot in use, size not a power of two or
 * out of range for the kind). */
__attribute__((warn_unused_result)) int pci_device_add_bar(struct pci_device *dev, unsigned bar,
							   enum pci_bar_kind kind, uint64_t size,
							   bool prefetchable);

/* Route accesses to [offset, offset + len) of BAR `bar` to ops/opaque (with
 * offsets relative to `offset`). The BAR's bus_ops dispatch to these
 * regions; accesses to no region, or straddling a region's end, read 0 and
 * are ignored. Returns 0, -EINVAL (no such BAR, outside it) or -EEXIST
 * (overlaps a region), -ENOSPC (too many regions). */
__attribute__((warn_unused_result)) int pci_bar_add_region(struct pci_device *dev, unsigned bar,
							   uint64_t offset, uint64_t len,
							   const struct bus_ops *ops, void *opaque);
/* Undo pci_bar_add_region (set-up error paths). 0 or -ENOENT. */
__attribute__((warn_unused_result)) int pci_bar_remove_region(struct pci_device *dev, unsigned bar,
							      uint64_t offset);
/* The ops the VMM inserts for a BAR (also given in struct pci_bar_move). */
extern const struct bus_ops pci_bar_bus_ops;
/* The opaque for pci_bar_bus_ops of `bar`, or NULL if there is no such BAR. */
void *pci_bar_opaque(struct pci_device *dev, unsigned bar);

/* Append a capability. `cap` holds the whole capability (cap[0] = ID,
 * cap[1] = next pointer, filled in here), `len` >= 2 bytes. `wmask` (NULL =
 * all read-only) gives the guest-writable bits per byte; the two header
 * bytes are always read-only. For a vendor-specific capability (0x09)
 * cap[2] is its length: it must equal len and is read-only too. `hooks` (may be NULL) are called for accesses to
 * the capability's bytes. The capability goes at the next dword-aligned
 * free offset >= 0x40 and is linked at the end of the list; status bit 4
 * and the pointer at 0x34 are set. *offset gets its offset.
 * Returns 0, -EINVAL or -ENOSPC (does not fit in 256 bytes). */
__attribute__((warn_unused_result)) int pci_device_add_capability(
	struct pci_device *dev, const uint8_t *cap, uint8_t len, const uint8_t *wmask,
	const struct pci_cfg_hooks *hooks, void *opaque, uint8_t *offset);

/* Small 64-bit BARs (every virtio BAR) are placed below 4 GiB, where
 * SeaBIOS places them for QEMU's guests; larger ones go above RAM. In the
 * emulated KVM host (QEMU TCG with nested SVM) guests under sustained
 * virtio traffic died more often with their BARs above 4 GiB, QEMU's own
 * guest included (docs/harness.md, "Open problem": a lower rate, not a
 * cure); real KVM does not care, Linux takes either. */
#define PCI_MEM64_LOW_MAX (1ULL << 20)

/* Give every declared BAR whose address is still 0 a naturally aligned
 * address: io from io, mem32 from mmio32, a mem64 BAR of at most
 * PCI_MEM64_LOW_MAX bytes from mmio32 while it has room (else mmio64), a
 * larger one from mmio64 (or mmio32 when mmio64 is NULL or full). Largest
 * first. Decode bits are left as they are (the guest enables them). A
 * window may be NULL if no BAR needs it.
 * Returns 0, or -ENOSPC (logged with the device and BAR; BARs assigned so
 * far keep their addresses). */
__attribute__((warn_unused_result)) int pci_bus_allocate_bars(struct pci_bus *bus,
							      struct range_alloc *mmio32,
							      struct range_alloc *mmio64,
							      struct range_alloc *io);

/* Program a BAR's address as firmware would (control thread). Returns 0 or
 * -EINVAL (no such BAR, not aligned to its size, does not fit the kind). If
 * the decode bit is on, bar_moved is called. */
__attribute__((warn_unused_result)) int pci_device_set_bar_addr(struct pci_device *dev,
								unsigned bar, uint64_t addr);
/* The address programmed in the BAR registers (0 = unassigned), or
 * PCI_BAR_NONE if there is no such BAR. */
uint64_t pci_device_bar_addr(struct pci_device *dev, unsigned bar);
/* Where the BAR is on the bus now, or PCI_BAR_NONE. */
uint64_t pci_device_bar_mapped(struct pci_device *dev, unsigned bar);
/* The BAR's size, or 0 if there is no such BAR. */
uint64_t pci_device_bar_size(struct pci_device *dev, unsigned bar);
/* The BAR's kind (meaningful only if pci_device_bar_size() != 0). */
enum pci_bar_kind pci_device_bar_kind(struct pci_device *dev, unsigned bar);

/* Device-side access to its own config bytes, no masks or hooks, under the
 * device lock. get: any range inside 256 bytes. set: only >= 0x40 (device-
 * specific area; the header goes through the guest path). 0 or -EINVAL. */
__attribute__((warn_unused_result)) int pci_device_config_get(struct pci_device *dev, uint32_t off,
							      uint8_t *data, uint32_t len);
__attribute__((warn_unused_result)) int pci_device_config_set(struct pci_device *dev, uint32_t off,
							      const uint8_t *data, uint32_t len);
/* Set status bits (e.g. a device model reporting an abort); the guest clears
 * the W1C ones by writing 1. */
void pci_device_set_status(struct pci_device *dev, uint16_t bits);
uint16_t pci_device_command(struct pci_device *dev);

int pci_device_slot(const struct pci_device *dev); /* -1 if not on a bus */
void *pci_device_owner(const struct pci_device *dev);
const char *pci_device_name(const struct pci_device *dev);

#endif

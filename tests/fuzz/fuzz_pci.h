/* tests/fuzz/fuzz_pci.h — what the PCI fuzz targets (pci_config,
 * virtio_pci) share: the invariant trap, the guest's config-space
 * operations as their input encodes them, and accesses through a bus. */
#ifndef NIMBUS_TESTS_FUZZ_PCI_H
#define NIMBUS_TESTS_FUZZ_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"
#include "pci/pci.h"

#include "fuzz_input.h"

/* __builtin_trap() when bad (a broken invariant). */
void trap_if(bool bad);

/* CONFIG_ADDRESS (0xcf8): a 4-byte write of the next 4 input bytes. */
void fuzz_pci_cfg_address(struct pci_bus *pci, struct input *in);

/* CONFIG_DATA: a len-byte access at 0xcfc + (next byte & 3), the value
 * from the input; skipped (no value taken) if it would leave 0xcfc-0xcff. */
void fuzz_pci_cfg_data(struct pci_bus *pci, struct input *in, bool write, uint32_t len);

/* ECAM, anywhere on bus 0: a len-byte access at (next 3 bytes) &
 * (PCI_ECAM_SIZE - 1), the value from the input; skipped (no value taken)
 * if it would leave the window. */
void fuzz_pci_ecam_any(struct pci_bus *pci, struct input *in, bool write, uint32_t len);

/* ECAM, the device in slot: a len-byte access at (next 2 bytes) & 0xfff of
 * its config space, the value from the input. */
void fuzz_pci_ecam_slot(struct pci_bus *pci, unsigned slot, struct input *in, bool write, uint32_t len);

/* Config register reg (32 bits) of the device in slot, read through ECAM. */
uint32_t fuzz_pci_ecam_read32(struct pci_bus *pci, unsigned slot, uint32_t reg);

/* A len-byte read or write of val at addr on b; traps if nothing claims it. */
void fuzz_bus_access(struct bus *b, uint64_t addr, bool write, uint32_t len, uint64_t val);

#endif

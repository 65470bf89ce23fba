/* tests/fuzz/fuzz_pci.c — see fuzz_pci.h. */
#include "fuzz_pci.h"

void trap_if(bool bad)
{
	if (bad)
		__builtin_trap();
}

void fuzz_pci_cfg_address(struct pci_bus *pci, struct input *in)
{
	do_access(&pci_cfg_pio_ops, pci, 0, true, 4, take(in, 4));
}

void fuzz_pci_cfg_data(struct pci_bus *pci, struct input *in, bool write, uint32_t len)
{
	uint64_t off = 4 + (take(in, 1) & 3);
	if (off + len <= PCI_CFG_PIO_LEN)
		do_access(&pci_cfg_pio_ops, pci, off, write, len, take(in, len));
}

void fuzz_pci_ecam_any(struct pci_bus *pci, struct input *in, bool write, uint32_t len)
{
	uint64_t off = take(in, 3) & (PCI_ECAM_SIZE - 1);
	if (off + len <= PCI_ECAM_SIZE)
		do_access(&pci_ecam_ops, pci, off, write, len, take(in, len));
}

void fuzz_pci_ecam_slot(struct pci_bus *pci, unsigned slot, struct input *in, bool write, uint32_t len)
{
	uint64_t off = (uint64_t)slot << 15 | (take(in, 2) & 0xfff);
	do_access(&pci_ecam_ops, pci, off, write, len, take(in, len));
}

uint32_t fuzz_pci_ecam_read32(struct pci_bus *pci, unsigned slot, uint32_t reg)
{
	uint8_t b[4];
	pci_ecam_ops.read(pci, (uint64_t)slot << 15 | reg, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

void fuzz_bus_access(struct bus *b, uint64_t addr, bool write, uint32_t len, uint64_t val)
{
	uint8_t buf[8];
	for (unsigned i = 0; i < 8; i++)
		buf[i] = (uint8_t)(val >> (8 * i));
	bool claimed = write ? bus_write(b, addr, buf, len) : bus_read(b, addr, buf, len);
	trap_if(!claimed);
}

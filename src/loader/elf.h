/* loader/elf.h — parse an ELF64 x86_64 vmlinux (pure function on a buffer).
 *
 * The parser only reads the image bytes; it never touches guest memory.
 * For a Linux vmlinux, e_entry is the PHYSICAL address of startup_64 (the
 * linker script says ENTRY(phys_startup_64)), and PT_LOAD p_paddr are the
 * physical load addresses; p_vaddr (0xffffffff8...) is ignored.
 * The PVH entry comes from the Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY in a
 * PT_NOTE segment: a 32-bit physical address entered in 32-bit protected mode.
 */
#ifndef NIMBUS_LOADER_ELF_H
#define NIMBUS_LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16 /* PT_LOAD segments kept (vmlinux has ~5) */
#define ELF_MAX_PHDRS 256   /* program headers walked at most */

#define XEN_ELFNOTE_PHYS32_ENTRY 18

struct elf_segment {
	uint64_t offset; /* file offset; offset + filesz <= image size */
	uint64_t filesz; /* bytes copied from the file; filesz <= memsz */
	uint64_t memsz;  /* bytes occupied in memory (> 0); tail is zeroed */
	uint64_t paddr;  /* guest physical load address; paddr + memsz does not wrap */
};

struct elf_info {
	uint64_t entry;      /* e_entry (vmlinux: physical address of startup_64) */
	bool has_pvh_entry;  /* a Xen PHYS32_ENTRY note was found */
	uint32_t pvh_entry;  /* its value (first such note), 32-bit physical */
	unsigned nr_segments;
	struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/* True if the buffer starts with the ELF magic (says nothing about validity). */
bool elf_is_elf(const uint8_t *img, size_t size);

/* Contract: img[0..size) is untrusted. Every header field is range-checked
 * before use. Accepts only ELFCLASS64, little-endian, EM_X86_64, ET_EXEC,
 * e_phentsize 56, 1..ELF_MAX_PHDRS program headers inside the file. PT_LOAD
 * segments with memsz 0 are skipped; filesz > memsz, data past the end of
 * the file, address overflow or more than ELF_MAX_SEGMENTS loads are errors.
 * Notes in PT_NOTE segments are walked with bounds and alignment checks.
 * Returns 0 and fills *out, or a negative errno (-ENOEXEC malformed,
 * -ENOTSUP wrong class/machine/type, -E2BIG too many) with a short message
 * in err[errlen]. */
__attribute__((warn_unused_result)) int elf_parse(const uint8_t *img, size_t size, struct elf_info *out, char *err,
						  size_t errlen);

#endif

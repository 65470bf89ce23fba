/* loader/elf.c — ELF64 x86_64 vmlinux parser. See elf.h for the contract. */
#include "loader/elf.h"

#include <errno.h>
#include <string.h>

#include "loader/loader_util.h"

/* ELF64 layout (System V gABI; only the fields used here). */
#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PN_XNUM 0xffff
#define PT_LOAD 1
#define PT_NOTE 4
#define NOTE_HDR_SIZE 12

struct phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz, align;
};

bool elf_is_elf(const uint8_t *img, size_t size)
{
	return img && size >= 4 && memcmp(img, "\177ELF", 4) == 0;
}

static int check_ident(const uint8_t *img, size_t size, char *err, size_t errlen)
{
	if (size < EHDR_SIZE) {
		loader_seterr(err, errlen, "ELF image too short (%zu bytes) for an ELF64 header", size);
		return -ENOEXEC;
	}
	if (!elf_is_elf(img, size)) {
		loader_seterr(err, errlen, "no ELF magic");
		return -ENOEXEC;
	}
	if (img[EI_CLASS] != ELFCLASS64) {
		loader_seterr(err, errlen, "ELF class %u is not ELFCLASS64", img[EI_CLASS]);
		return -ENOTSUP;
	}
	if (img[EI_DATA] != ELFDATA2LSB) {
		loader_seterr(err, errlen, "ELF data encoding %u is not little-endian", img[EI_DATA]);
		return -ENOTSUP;
	}
	if (img[EI_VERSION] != EV_CURRENT) {
		loader_seterr(err, errlen, "ELF ident version %u is not 1", img[EI_VERSION]);
		return -ENOEXEC;
	}
	return 0;
}

/* Check the ELF header fields past e_ident; returns phoff/phnum on success. */
static int check_ehdr(const uint8_t *img, size_t size, uint64_t *phoff, uint16_t *phnum, char *err, size_t errlen)
{
	uint16_t type = ld_le16(img + 16), machine = ld_le16(img + 18);
	uint16_t phentsize = ld_le16(img + 54), n = ld_le16(img + 56);
	uint64_t off = ld_le64(img + 32);

	if (machine != EM_X86_64) {
		loader_seterr(err, errlen, "ELF machine %u is not x86_64 (62)", machine);
		return -ENOTSUP;
	}
	if (type != ET_EXEC) {
		loader_seterr(err, errlen, "ELF type %u is not ET_EXEC", type);
		return -ENOTSUP;
	}
	if (ld_le32(img + 20) != EV_CURRENT) {
		loader_seterr(err, errlen, "ELF version %u is not 1", ld_le32(img + 20));
		return -ENOEXEC;
	}
	if (phentsize != PHDR_SIZE) {
		loader_seterr(err, errlen, "ELF e_phentsize %u is not %u", phentsize, PHDR_SIZE);
		return -ENOEXEC;
	}
	if (n == 0 || n == PN_XNUM || n > ELF_MAX_PHDRS) {
		loader_seterr(err, errlen, "ELF e_phnum %u out of range (1..%u)", n, ELF_MAX_PHDRS);
		return n == 0 ? -ENOEXEC : -E2BIG;
	}
	/* n <= 256 so n * 56 cannot overflow; compare without adding to off. */
	if (off > size || (uint64_t)n * PHDR_SIZE > size - off) {
		loader_seterr(err, errlen, "ELF program headers (offset 0x%llx, %u entries) extend past end of file (%zu bytes)",
			      (unsigned long long)off, n, size);
		return -ENOEXEC;
	}
	*phoff = off;
	*phnum = n;
	return 0;
}

/* Contract: p points at PHDR_SIZE bytes inside the image (checked by caller). */
static void read_phdr(const uint8_t *p, struct phdr *ph)
{
	ph->type = ld_le32(p);
	ph->offset = ld_le64(p + 8);
	ph->paddr = ld_le64(p + 24);
	ph->filesz = ld_le64(p + 32);
	ph->memsz = ld_le64(p + 40);
	ph->align = ld_le64(p + 48);
}

/* True if [off, off+len) lies inside a buffer of `size` bytes (no overflow). */
static bool in_file(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

static int add_load(const struct phdr *ph, unsigned idx, size_t size, struct elf_info *out, char *err, size_t errlen)
{
	if (ph->filesz > ph->memsz) {
		loader_seterr(err, errlen, "ELF segment %u: filesz 0x%llx > memsz 0x%llx", idx,
			      (unsigned long long)ph->filesz, (unsigned long long)ph->memsz);
		return -ENOEXEC;
	}
	if (!in_file(ph->offset, ph->filesz, size)) {
		loader_seterr(err, errlen, "ELF segment %u: file range 0x%llx+0x%llx beyond end of file (%zu bytes)",
			      idx, (unsigned long long)ph->offset, (unsigned long long)ph->filesz, size);
		return -ENOEXEC;
	}
	if (ph->paddr > UINT64_MAX - ph->memsz) {
		loader_seterr(err, errlen, "ELF segment %u: address 0x%llx + size 0x%llx overflows", idx,
			      (unsigned long long)ph->paddr, (unsigned long long)ph->memsz);
		return -ENOEXEC;
	}
	if (ph->memsz == 0)
		return 0;
	if (out->nr_segments >= ELF_MAX_SEGMENTS) {
		loader_seterr(err, errlen, "ELF has more than %u PT_LOAD segments", ELF_MAX_SEGMENTS);
		return -E2BIG;
	}
	out->segments[out->nr_segments++] = (struct elf_segment){
		.offset = ph->offset, .filesz = ph->filesz, .memsz = ph->memsz, .paddr = ph->paddr};
	return 0;
}

/* Interpret one note. Contract: desc[0..descsz) is inside the image. */
static int handle_note(const uint8_t *name, uint32_t namesz, uint32_t type, const uint8_t *desc, uint32_t descsz,
		       struct elf_info *out, char *err, size_t errlen)
{
	uint64_t v;

	if (namesz != 4 || memcmp(name, "Xen", 4) != 0 || type != XEN_ELFNOTE_PHYS32_ENTRY)
		return 0;
	if (descsz == 4) {
		v = ld_le32(desc);
	} else if (descsz == 8) {
		v = ld_le64(desc);
	} else {
		loader_seterr(err, errlen, "Xen PHYS32_ENTRY note has descsz %u (want 4 or 8)", descsz);
		return -ENOEXEC;
	}
	if (v > UINT32_MAX) {
		loader_seterr(err, errlen, "Xen PHYS32_ENTRY 0x%llx is above 4 GiB", (unsigned long long)v);
		return -ENOEXEC;
	}
	if (!out->has_pvh_entry) {
		out->has_pvh_entry = true;
		out->pvh_entry = (uint32_t)v;
	}
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1); /* callers pass v < 2^33, a in {4, 8} */
}

/* Walk the notes in seg[0..len). Each note: namesz, descsz, type (u32 each),
 * then name and desc, each padded to `align`. The last desc's padding may be
 * cut off by the end of the segment; anything else out of bounds is an error. */
static int walk_notes(const uint8_t *seg, uint64_t len, uint64_t align, struct elf_info *out, char *err,
		      size_t errlen)
{
	uint64_t pos = 0;

	while (pos < len) {
		if (len - pos < NOTE_HDR_SIZE) {
			loader_seterr(err, errlen, "ELF note at +0x%llx: truncated header", (unsigned long long)pos);
			return -ENOEXEC;
		}
		uint32_t namesz = ld_le32(seg + pos), descsz = ld_le32(seg + pos + 4);
		uint32_t type = ld_le32(seg + pos + 8);
		uint64_t name_off = pos + NOTE_HDR_SIZE;
		uint64_t name_span = align_up(namesz, align);

		if (name_span > len - name_off) {
			loader_seterr(err, errlen, "ELF note at +0x%llx: namesz %u past end of segment",
				      (unsigned long long)pos, namesz);
			return -ENOEXEC;
		}
		uint64_t desc_off = name_off + name_span;
		if (descsz > len - desc_off) {
			loader_seterr(err, errlen, "ELF note at +0x%llx: descsz %u past end of segment",
				      (unsigned long long)pos, descsz);
			return -ENOEXEC;
		}
		int ret = handle_note(seg + name_off, namesz, type, seg + desc_off, descsz, out, err, errlen);
		if (ret < 0)
			return ret;
		uint64_t desc_span = align_up(descsz, align);
		pos = (desc_span > len - desc_off) ? len : desc_off + desc_span;
	}
	return 0;
}

static int scan_note_segment(const uint8_t *img, size_t size, const struct phdr *ph, unsigned idx,
			     struct elf_info *out, char *err, size_t errlen)
{
	uint64_t align;

	if (ph->align <= 4) {
		align = 4;
	} else if (ph->align == 8) {
		align = 8;
	} else {
		loader_seterr(err, errlen, "ELF note segment %u: unsupported alignment %llu", idx,
			      (unsigned long long)ph->align);
		return -ENOEXEC;
	}
	if (!in_file(ph->offset, ph->filesz, size)) {
		loader_seterr(err, errlen, "ELF note segment %u: 0x%llx+0x%llx beyond end of file (%zu bytes)", idx,
			      (unsigned long long)ph->offset, (unsigned long long)ph->filesz, size);
		return -ENOEXEC;
	}
	if (ph->offset % align != 0) {
		loader_seterr(err, errlen, "ELF note segment %u: offset 0x%llx not %llu-byte aligned", idx,
			      (unsigned long long)ph->offset, (unsigned long long)align);
		return -ENOEXEC;
	}
	return walk_notes(img + ph->offset, ph->filesz, align, out, err, errlen);
}

int elf_parse(const uint8_t *img, size_t size, struct elf_info *out, char *err, size_t errlen)
{
	uint64_t phoff;
	uint16_t phnum;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!img) {
		loader_seterr(err, errlen, "no ELF image");
		return -EINVAL;
	}
	ret = check_ident(img, size, err, errlen);
	if (ret == 0)
		ret = check_ehdr(img, size, &phoff, &phnum, err, errlen);
	for (unsigned i = 0; ret == 0 && i < phnum; i++) {
		struct phdr ph;

		read_phdr(img + phoff + (uint64_t)i * PHDR_SIZE, &ph);
		if (ph.type == PT_LOAD)
			ret = add_load(&ph, i, size, out, err, errlen);
		else if (ph.type == PT_NOTE)
			ret = scan_note_segment(img, size, &ph, i, out, err, errlen);
	}
	if (ret == 0 && out->nr_segments == 0) {
		loader_seterr(err, errlen, "ELF has no loadable segments");
		ret = -ENOEXEC;
	}
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	else
		out->entry = ld_le64(img + 24);
	return ret;
}

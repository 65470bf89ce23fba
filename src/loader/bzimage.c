/* loader/bzimage.c — Linux x86 boot protocol header parser. See bzimage.h. */
#include "loader/bzimage.h"

#include <errno.h>
#include <string.h>

#include "loader/loader_util.h"

/* Setup header field offsets in the image (boot.rst). */
#define OFF_SETUP_SECTS 0x1f1
#define OFF_BOOT_FLAG 0x1fe
#define OFF_JUMP 0x200
#define OFF_HEADER 0x202
#define OFF_VERSION 0x206
#define OFF_LOADFLAGS 0x211
#define OFF_INITRD_ADDR_MAX 0x22c
#define OFF_KERNEL_ALIGNMENT 0x230
#define OFF_RELOCATABLE 0x234
#define OFF_XLOADFLAGS 0x236
#define OFF_CMDLINE_SIZE 0x238
#define OFF_PAYLOAD_OFFSET 0x248
#define OFF_PAYLOAD_LENGTH 0x24c
#define OFF_PREF_ADDRESS 0x258
#define OFF_INIT_SIZE 0x260
#define HDR_FIELDS_END 0x264 /* end of init_size: the last field read here */
#define SECTOR 512
#define BOOT_FLAG 0xAA55
#define JMP_SHORT 0xEB

bool bzimage_is_bzimage(const uint8_t *img, size_t size)
{
	return img && size >= OFF_HEADER + 4 && memcmp(img + OFF_HEADER, "HdrS", 4) == 0;
}

static int check_magic_version(const uint8_t *img, size_t size, struct bzimage_info *out, char *err, size_t errlen)
{
	if (size < OFF_VERSION + 2) {
		loader_seterr(err, errlen, "bzImage too short (%zu bytes) for a setup header", size);
		return -ENOEXEC;
	}
	if (!bzimage_is_bzimage(img, size)) {
		loader_seterr(err, errlen, "no \"HdrS\" magic at 0x202");
		return -ENOEXEC;
	}
	out->version = ld_le16(img + OFF_VERSION);
	if (out->version < BZ_MIN_VERSION) {
		loader_seterr(err, errlen, "boot protocol %u.%02u too old (need >= 2.06)", out->version >> 8,
			      out->version & 0xff);
		return -ENOTSUP;
	}
	if (out->version < BZ_XLOADFLAGS_VERSION) {
		loader_seterr(err, errlen, "boot protocol %u.%02u has no 64-bit entry (XLF_KERNEL_64 needs >= 2.12)",
			      out->version >> 8, out->version & 0xff);
		return -ENOTSUP;
	}
	return 0;
}

/* Locate the setup code and protected-mode kernel. After this succeeds the
 * file holds at least (1+1)*512 bytes, so every header field below 0x400 is
 * inside the buffer. */
static int check_layout(const uint8_t *img, size_t size, struct bzimage_info *out, char *err, size_t errlen)
{
	unsigned sects = img[OFF_SETUP_SECTS] ? img[OFF_SETUP_SECTS] : 4;
	uint64_t koff = (uint64_t)(sects + 1) * SECTOR;

	if (koff >= size) {
		loader_seterr(err, errlen, "bzImage setup (%u sectors) leaves no kernel in %zu bytes", sects, size);
		return -ENOEXEC;
	}
	if (size - koff <= BZ_ENTRY64_OFFSET) {
		loader_seterr(err, errlen, "bzImage kernel (%llu bytes) too short for the 64-bit entry at +0x%x",
			      (unsigned long long)(size - koff), BZ_ENTRY64_OFFSET);
		return -ENOEXEC;
	}
	out->setup_sects = sects;
	out->kernel_offset = koff;
	out->kernel_size = size - koff;
	if (ld_le16(img + OFF_BOOT_FLAG) != BOOT_FLAG) {
		loader_seterr(err, errlen, "bzImage boot_flag 0x%04x is not 0xaa55", ld_le16(img + OFF_BOOT_FLAG));
		return -ENOEXEC;
	}
	return 0;
}

/* The header ends where the short jump at 0x200 lands. */
static int copy_header(const uint8_t *img, struct bzimage_info *out, char *err, size_t errlen)
{
	uint64_t end = OFF_HEADER + (uint64_t)img[OFF_JUMP + 1];

	if (img[OFF_JUMP] != JMP_SHORT) {
		loader_seterr(err, errlen, "bzImage has no short jump at 0x200 (byte 0x%02x)", img[OFF_JUMP]);
		return -ENOEXEC;
	}
	if (end < HDR_FIELDS_END) {
		loader_seterr(err, errlen, "bzImage setup header ends at 0x%llx, before 0x%x",
			      (unsigned long long)end, HDR_FIELDS_END);
		return -ENOEXEC;
	}
	out->setup_header_len = (size_t)(end - BZ_SETUP_HDR_OFFSET);
	if (out->setup_header_len > BZ_SETUP_HEADER_MAX)
		out->setup_header_len = BZ_SETUP_HEADER_MAX;
	/* end <= 0x301 < 0x400 <= kernel_offset < size: inside the buffer. */
	memcpy(out->setup_header, img + BZ_SETUP_HDR_OFFSET, out->setup_header_len);
	return 0;
}

static void read_fields(const uint8_t *img, struct bzimage_info *out)
{
	out->loadflags = img[OFF_LOADFLAGS];
	out->xloadflags = ld_le16(img + OFF_XLOADFLAGS);
	out->relocatable = img[OFF_RELOCATABLE] != 0;
	out->kernel_alignment = ld_le32(img + OFF_KERNEL_ALIGNMENT);
	out->pref_address = ld_le64(img + OFF_PREF_ADDRESS);
	out->init_size = ld_le32(img + OFF_INIT_SIZE);
	out->cmdline_size = ld_le32(img + OFF_CMDLINE_SIZE);
	out->initrd_addr_max = ld_le32(img + OFF_INITRD_ADDR_MAX);
	out->payload_offset = ld_le32(img + OFF_PAYLOAD_OFFSET);
	out->payload_length = ld_le32(img + OFF_PAYLOAD_LENGTH);
}

static int check_fields(const struct bzimage_info *bi, char *err, size_t errlen)
{
	if (!(bi->loadflags & BZ_LOADED_HIGH)) {
		loader_seterr(err, errlen, "bzImage is not LOADED_HIGH (loadflags 0x%02x)", bi->loadflags);
		return -ENOTSUP;
	}
	if (!(bi->xloadflags & BZ_XLF_KERNEL_64)) {
		loader_seterr(err, errlen, "bzImage has no 64-bit entry (xloadflags 0x%04x lacks XLF_KERNEL_64)",
			      bi->xloadflags);
		return -ENOTSUP;
	}
	if (bi->relocatable && (bi->kernel_alignment == 0 || (bi->kernel_alignment & (bi->kernel_alignment - 1)))) {
		loader_seterr(err, errlen, "bzImage kernel_alignment 0x%x is not a power of two",
			      bi->kernel_alignment);
		return -ENOEXEC;
	}
	if ((uint64_t)bi->payload_offset + bi->payload_length > bi->kernel_size) {
		loader_seterr(err, errlen, "bzImage payload 0x%x+0x%x beyond kernel (%llu bytes)", bi->payload_offset,
			      bi->payload_length, (unsigned long long)bi->kernel_size);
		return -ENOEXEC;
	}
	return 0;
}

int bzimage_parse(const uint8_t *img, size_t size, struct bzimage_info *out, char *err, size_t errlen)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (!img) {
		loader_seterr(err, errlen, "no bzImage");
		return -EINVAL;
	}
	ret = check_magic_version(img, size, out, err, errlen);
	if (ret == 0)
		ret = check_layout(img, size, out, err, errlen);
	if (ret == 0)
		ret = copy_header(img, out, err, errlen);
	if (ret == 0) {
		read_fields(img, out);
		ret = check_fields(out, err, errlen);
	}
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

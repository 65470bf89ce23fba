/* arch/x86/aml.c — AML encoder (ACPI 6.x chapter 20 grammar, the subset
 * nimbus needs). */
#include "arch/x86/aml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_METHOD_OP 0x14
#define AML_RETURN_OP 0xa4
#define AML_PACKAGE_OP 0x12
#define AML_LOCAL0_OP 0x60
#define AML_STORE_OP 0x70
#define AML_AND_OP 0x7b
#define AML_NOTIFY_OP 0x86
#define AML_IF_OP 0xa0
#define AML_OP_REGION_OP 0x80 /* after AML_EXT_OP */
#define AML_FIELD_OP 0x81     /* after AML_EXT_OP */
#define AML_EXT_OP 0x5b
#define AML_DEVICE_OP 0x82
#define AML_ROOT_CHAR '\\'
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f

void aml_init(struct aml *a) { memset(a, 0, sizeof(*a)); }

void aml_free(struct aml *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

int aml_error(const struct aml *a) { return a->err; }

static int reserve(struct aml *a, size_t extra)
{
	if (a->err)
		return a->err;
	if (a->len + extra <= a->cap)
		return 0;
	size_t cap = a->cap ? a->cap : 256;
	while (cap < a->len + extra)
		cap *= 2;
	uint8_t *n = realloc(a->buf, cap);
	if (!n)
		return a->err = -ENOMEM;
	a->buf = n;
	a->cap = cap;
	return 0;
}

void aml_bytes(struct aml *a, const void *data, size_t n)
{
	if (reserve(a, n))
		return;
	memcpy(a->buf + a->len, data, n);
	a->len += n;
}

static void byte(struct aml *a, uint8_t b) { aml_bytes(a, &b, 1); }

static void le(struct aml *a, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		byte(a, (uint8_t)(v >> (8 * i)));
}

static int valid_seg_char(char c, int first)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* Writes "\\ABCD.EFGH" as a NameString. */
void aml_name(struct aml *a, const char *path)
{
	if (*path == AML_ROOT_CHAR) {
		byte(a, AML_ROOT_CHAR);
		path++;
	}
	size_t n = strlen(path);
	unsigned segs = (unsigned)((n + 1) / 5);
	if (n == 0 || (n + 1) % 5 || segs > 255) {
		a->err = a->err ? a->err : -EINVAL;
		return;
	}
	for (unsigned s = 0; s < segs; s++) {
		const char *seg = path + 5 * s;
		if ((s + 1 < segs && seg[4] != '.') || !valid_seg_char(seg[0], 1))
			a->err = a->err ? a->err : -EINVAL;
		for (int i = 1; i < 4; i++)
			if (!valid_seg_char(seg[i], 0))
				a->err = a->err ? a->err : -EINVAL;
	}
	if (segs == 2)
		byte(a, AML_DUAL_NAME_PREFIX);
	else if (segs > 2) {
		byte(a, AML_MULTI_NAME_PREFIX);
		byte(a, (uint8_t)segs);
	}
	for (unsigned s = 0; s < segs; s++)
		aml_bytes(a, path + 5 * s, 4);
}

void aml_name_decl(struct aml *a, const char *path)
{
	byte(a, AML_NAME_OP);
	aml_name(a, path);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v <= 1) {
		byte(a, (uint8_t)v); /* ZeroOp / OneOp */
	} else if (v <= 0xff) {
		byte(a, AML_BYTE_PREFIX);
		le(a, v, 1);
	} else if (v <= 0xffff) {
		byte(a, AML_WORD_PREFIX);
		le(a, v, 2);
	} else if (v <= 0xffffffffULL) {
		byte(a, AML_DWORD_PREFIX);
		le(a, v, 4);
	} else {
		byte(a, AML_QWORD_PREFIX);
		le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void aml_eisa_id(struct aml *a, const char *id)
{
	if (strlen(id) != 7) {
		a->err = a->err ? a->err : -EINVAL;
		return;
	}
	uint16_t vendor = (uint16_t)(((id[0] - 0x40) & 0x1f) << 10 | ((id[1] - 0x40) & 0x1f) << 5 | ((id[2] - 0x40) & 0x1f));
	uint16_t product = 0;
	for (int i = 3; i < 7; i++) {
		int h = hexval(id[i]);
		if (h < 0) {
			a->err = a->err ? a->err : -EINVAL;
			return;
		}
		product = (uint16_t)(product << 4 | h);
	}
	uint8_t b[5] = {AML_DWORD_PREFIX, (uint8_t)(vendor >> 8), (uint8_t)vendor, (uint8_t)(product >> 8),
			(uint8_t)product};
	aml_bytes(a, b, sizeof(b));
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
	byte(a, AML_SCOPE_OP);
	size_t mark = a->len;
	aml_name(a, path);
	return mark;
}

size_t aml_device_begin(struct aml *a, const char *path)
{
	byte(a, AML_EXT_OP);
	byte(a, AML_DEVICE_OP);
	size_t mark = a->len;
	aml_name(a, path);
	return mark;
}

size_t aml_method_begin(struct aml *a, const char *path, unsigned nargs)
{
	byte(a, AML_METHOD_OP);
	size_t mark = a->len;
	aml_name(a, path);
	byte(a, (uint8_t)(nargs & 7));
	return mark;
}

/* The buffer's size operand is patched in by aml_end: remember the mark with
 * a flag in the top bit. */
#define AML_MARK_BUFFER ((size_t)1 << (sizeof(size_t) * 8 - 1))

size_t aml_buffer_begin(struct aml *a)
{
	byte(a, AML_BUFFER_OP);
	return a->len | AML_MARK_BUFFER;
}

static void insert(struct aml *a, size_t at, const uint8_t *data, size_t n)
{
	if (reserve(a, n))
		return;
	memmove(a->buf + at + n, a->buf + at, a->len - at);
	memcpy(a->buf + at, data, n);
	a->len += n;
}

/* Encode PkgLength for `content` bytes following it. */
static size_t pkg_length(size_t content, uint8_t out[4])
{
	if (content + 1 <= 0x3f) {
		out[0] = (uint8_t)(content + 1);
		return 1;
	}
	for (size_t n = 2; n <= 4; n++) {
		size_t total = content + n;
		if (total < ((size_t)1 << (4 + 8 * (n - 1)))) {
			out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
			for (size_t i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return n;
		}
	}
	return 0;
}

void aml_end(struct aml *a, size_t mark)
{
	if (a->err)
		return;
	int is_buffer = (mark & AML_MARK_BUFFER) != 0;
	mark &= ~AML_MARK_BUFFER;
	if (mark > a->len) {
		a->err = -EINVAL;
		return;
	}
	if (is_buffer) {
		struct aml size = {0};
		aml_integer(&size, a->len - mark);
		if (size.err) {
			a->err = size.err;
			return;
		}
		insert(a, mark, size.buf, size.len);
		aml_free(&size);
	}
	uint8_t pl[4];
	size_t n = pkg_length(a->len - mark, pl);
	if (!n) {
		a->err = -E2BIG;
		return;
	}
	insert(a, mark, pl, n);
}

void aml_return_integer(struct aml *a, uint64_t v)
{
	byte(a, AML_RETURN_OP);
	aml_integer(a, v);
}

size_t aml_package_begin(struct aml *a, uint8_t count)
{
	byte(a, AML_PACKAGE_OP);
	size_t mark = a->len;
	byte(a, count);
	return mark;
}

void aml_op_region(struct aml *a, const char *name, uint8_t space, uint64_t offset, uint64_t len)
{
	byte(a, AML_EXT_OP);
	byte(a, AML_OP_REGION_OP);
	aml_name(a, name);
	byte(a, space);
	aml_integer(a, offset);
	aml_integer(a, len);
}

size_t aml_field_begin(struct aml *a, const char *region)
{
	byte(a, AML_EXT_OP);
	byte(a, AML_FIELD_OP);
	size_t mark = a->len;
	aml_name(a, region);
	byte(a, 0x01); /* ByteAcc, NoLock, Preserve */
	return mark;
}

void aml_field_entry(struct aml *a, const char *name, uint8_t bits)
{
	if (strlen(name) != 4 || bits == 0 || bits > 0x3f) {
		a->err = a->err ? a->err : -EINVAL;
		return;
	}
	aml_bytes(a, name, 4);
	byte(a, bits); /* one-byte PkgLength: bit count < 64 */
}

void aml_store_to_local0(struct aml *a, const char *name)
{
	byte(a, AML_STORE_OP);
	aml_name(a, name);
	byte(a, AML_LOCAL0_OP);
}

size_t aml_if_local0_and(struct aml *a, uint64_t mask)
{
	byte(a, AML_IF_OP);
	size_t mark = a->len;
	byte(a, AML_AND_OP);
	byte(a, AML_LOCAL0_OP);
	aml_integer(a, mask);
	byte(a, 0x00); /* no target */
	return mark;
}

void aml_notify(struct aml *a, const char *path, uint8_t value)
{
	byte(a, AML_NOTIFY_OP);
	aml_name(a, path);
	aml_integer(a, value);
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	/* I/O port descriptor: decode 16, min = max = base, alignment 1. */
	uint8_t d[8] = {0x47, 0x01, (uint8_t)base, (uint8_t)(base >> 8), (uint8_t)base, (uint8_t)(base >> 8), 1, len};
	aml_bytes(a, d, sizeof(d));
}

void aml_res_irq(struct aml *a, unsigned irq)
{
	/* IRQNoFlags: edge-triggered, active high, exclusive. */
	uint16_t mask = (uint16_t)(irq < 16 ? 1U << irq : 0);
	uint8_t d[3] = {0x22, (uint8_t)mask, (uint8_t)(mask >> 8)};
	aml_bytes(a, d, sizeof(d));
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	uint8_t d[12] = {0x86, 9, 0, 1 /* read/write */};
	for (int i = 0; i < 4; i++) {
		d[4 + i] = (uint8_t)(base >> (8 * i));
		d[8 + i] = (uint8_t)(len >> (8 * i));
	}
	aml_bytes(a, d, sizeof(d));
}

enum { ADDR_SPACE_MEM = 0, ADDR_SPACE_IO = 1, ADDR_SPACE_BUS = 2 };
#define ADDR_FLAGS_FIXED 0x0c /* producer, MinFixed, MaxFixed */

/* Word (0x88), DWord (0x87) or QWord (0x8a) address space descriptor with
 * granularity 0, translation 0 and length = last - first + 1. */
static void addr_space(struct aml *a, uint8_t tag, unsigned width, uint8_t type, uint8_t tflags, uint64_t first,
		       uint64_t last)
{
	uint16_t body = (uint16_t)(3 + 5 * width);
	uint8_t head[6] = {tag, (uint8_t)body, (uint8_t)(body >> 8), type, ADDR_FLAGS_FIXED, tflags};
	aml_bytes(a, head, sizeof(head));
	le(a, 0, width);       /* granularity */
	le(a, first, width);   /* min */
	le(a, last, width);    /* max */
	le(a, 0, width);       /* translation */
	le(a, last - first + 1, width);
}

void aml_res_bus_range(struct aml *a, uint16_t first, uint16_t last)
{
	addr_space(a, 0x88, 2, ADDR_SPACE_BUS, 0, first, last);
}

void aml_res_io_window(struct aml *a, uint16_t first, uint16_t last)
{
	addr_space(a, 0x88, 2, ADDR_SPACE_IO, 0x03 /* entire range */, first, last);
}

void aml_res_mem32_window(struct aml *a, uint32_t first, uint32_t last)
{
	addr_space(a, 0x87, 4, ADDR_SPACE_MEM, 0x01 /* read/write, non-cacheable */, first, last);
}

void aml_res_mem64_window(struct aml *a, uint64_t first, uint64_t last)
{
	addr_space(a, 0x8a, 8, ADDR_SPACE_MEM, 0x01, first, last);
}

void aml_res_ext_irq(struct aml *a, uint32_t gsi, int edge, int active_high)
{
	uint8_t flags = (uint8_t)(0x01 /* consumer */ | (edge ? 0x02 : 0) | (active_high ? 0 : 0x04));
	uint8_t d[9] = {0x89, 6, 0, flags, 1, (uint8_t)gsi, (uint8_t)(gsi >> 8), (uint8_t)(gsi >> 16),
			(uint8_t)(gsi >> 24)};
	aml_bytes(a, d, sizeof(d));
}

void aml_res_end_tag(struct aml *a)
{
	uint8_t d[2] = {0x79, 0}; /* checksum 0: "treat as correct" */
	aml_bytes(a, d, sizeof(d));
}

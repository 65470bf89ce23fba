/* arch/x86/aml.h — a small writer for ACPI Machine Language (the DSDT body).
 *
 * Usage: aml_init(); nested constructs are opened with aml_scope_begin() /
 * aml_device_begin() / aml_buffer_begin() (they return a mark) and closed
 * with aml_end(mark), which inserts the PkgLength. Errors (out of memory,
 * bad names) are sticky: check aml_error() once at the end. */
#ifndef NIMBUS_ARCH_X86_AML_H
#define NIMBUS_ARCH_X86_AML_H

#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len, cap;
	int err; /* 0 or -errno, sticky */
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
int aml_error(const struct aml *a);

/* A name path: "\\_SB_", "COM1", "_HID" (segments of 4 chars, '.' between). */
void aml_name(struct aml *a, const char *path);
/* Name(path, <value>): follow with one data object. */
void aml_name_decl(struct aml *a, const char *path);
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* EISA id such as "PNP0501", as a DWord. */
void aml_eisa_id(struct aml *a, const char *id);

size_t aml_scope_begin(struct aml *a, const char *path);
size_t aml_device_begin(struct aml *a, const char *path);
/* Method(path, nargs, NotSerialized) */
size_t aml_method_begin(struct aml *a, const char *path, unsigned nargs);
/* Buffer whose size is the number of bytes appended before aml_end(). */
size_t aml_buffer_begin(struct aml *a);
void aml_end(struct aml *a, size_t mark);
/* Return(integer) — inside a method. */
void aml_return_integer(struct aml *a, uint64_t v);

/* Package(){...} with `count` elements appended before aml_end(). */
size_t aml_package_begin(struct aml *a, uint8_t count);
/* OperationRegion(name, space, offset, len); space 0 = SystemMemory, 1 = SystemIO. */
void aml_op_region(struct aml *a, const char *name, uint8_t space, uint64_t offset, uint64_t len);
/* Field(region, ByteAcc, NoLock, Preserve) { entries }: entries are added
 * with aml_field_entry() before aml_end(). */
size_t aml_field_begin(struct aml *a, const char *region);
void aml_field_entry(struct aml *a, const char *name, uint8_t bits);
/* Store(name, Local0) */
void aml_store_to_local0(struct aml *a, const char *name);
/* If (And(Local0, mask)) { ... } — close with aml_end(). */
size_t aml_if_local0_and(struct aml *a, uint64_t mask);
/* Notify(path, value) */
void aml_notify(struct aml *a, const char *path, uint8_t value);

/* Resource template items, inside an aml_buffer_begin()/aml_end() pair;
 * finish the template with aml_res_end_tag(). */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
void aml_res_irq(struct aml *a, unsigned irq);
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len);
/* Address-space descriptors for a host bridge's windows (producer, fixed
 * min and max): bus numbers, I/O ports, 32- and 64-bit memory. */
void aml_res_bus_range(struct aml *a, uint16_t first, uint16_t last);
void aml_res_io_window(struct aml *a, uint16_t first, uint16_t last);
void aml_res_mem32_window(struct aml *a, uint32_t first, uint32_t last);
void aml_res_mem64_window(struct aml *a, uint64_t first, uint64_t last);
/* Extended interrupt descriptor: one GSI, consumer, exclusive. */
void aml_res_ext_irq(struct aml *a, uint32_t gsi, int edge, int active_high);
void aml_res_end_tag(struct aml *a);

void aml_bytes(struct aml *a, const void *data, size_t n);

#endif

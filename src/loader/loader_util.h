/* loader/loader_util.h — helpers shared by the loader modules (internal to
 * src/loader: not a public interface of the VMM).
 *
 * Little-endian field readers for untrusted image bytes, error-string
 * formatting, and opening/reading a user-supplied file with clear errors.
 */
#ifndef NIMBUS_LOADER_LOADER_UTIL_H
#define NIMBUS_LOADER_LOADER_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Readers for little-endian fields. Contract: the caller has already checked
 * that all 2/4/8 bytes at p lie inside the buffer. No alignment needed. */
static inline uint16_t ld_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t ld_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t ld_le64(const uint8_t *p)
{
	return (uint64_t)ld_le32(p) | ((uint64_t)ld_le32(p + 4) << 32);
}

/* Format a message into err[errlen] (always NUL-terminated; no-op if err is
 * NULL or errlen is 0). */
void loader_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Open `path` read-only as a regular, non-empty file of at most max_size
 * bytes. `what` ("kernel", "initramfs") names the file in error messages,
 * which always include the path. On success *fd is the open descriptor (the
 * caller closes it) and *size the file size. Returns 0 or -errno
 * (-ENOENT, -EISDIR, -EINVAL for empty/not regular, -EFBIG for too big, ...). */
__attribute__((warn_unused_result)) int loader_open_file(const char *path, const char *what, uint64_t max_size,
							 int *fd, uint64_t *size, char *err, size_t errlen);

/* Read exactly len bytes from the start of fd into dst (retrying short reads
 * and EINTR). Returns 0, -EIO if the file is shorter than len (it shrank), or
 * -errno from read. */
__attribute__((warn_unused_result)) int loader_read_full(int fd, uint8_t *dst, uint64_t len, const char *path,
							 const char *what, char *err, size_t errlen);

#endif

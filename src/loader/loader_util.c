/* loader/loader_util.c — shared helpers for the kernel/initramfs loaders. */
#include "loader/loader_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void loader_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Classify what fstat found. Returns 0 if st describes a usable file. */
static int check_stat(const struct stat *st, const char *path, const char *what, uint64_t max_size, char *err,
		      size_t errlen)
{
	if (S_ISDIR(st->st_mode)) {
		loader_seterr(err, errlen, "%s '%s' is a directory", what, path);
		return -EISDIR;
	}
	if (!S_ISREG(st->st_mode)) {
		loader_seterr(err, errlen, "%s '%s' is not a regular file", what, path);
		return -EINVAL;
	}
	if (st->st_size <= 0) {
		loader_seterr(err, errlen, "%s '%s' is empty", what, path);
		return -EINVAL;
	}
	if ((uint64_t)st->st_size > max_size) {
		loader_seterr(err, errlen, "%s '%s' is too big (%lld bytes, limit %llu)", what, path,
			      (long long)st->st_size, (unsigned long long)max_size);
		return -EFBIG;
	}
	return 0;
}

int loader_open_file(const char *path, const char *what, uint64_t max_size, int *fd, uint64_t *size, char *err,
		     size_t errlen)
{
	struct stat st;
	int f, ret;

	if (!path || !*path) {
		loader_seterr(err, errlen, "no %s path given", what);
		return -EINVAL;
	}
	/* O_NONBLOCK so that a FIFO given by mistake cannot block the open. */
	f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (f < 0) {
		ret = -errno;
		loader_seterr(err, errlen, "cannot open %s '%s': %s", what, path, strerror(-ret));
		return ret;
	}
	if (fstat(f, &st) < 0) {
		ret = -errno;
		loader_seterr(err, errlen, "cannot stat %s '%s': %s", what, path, strerror(-ret));
		close(f);
		return ret;
	}
	ret = check_stat(&st, path, what, max_size, err, errlen);
	if (ret < 0) {
		close(f);
		return ret;
	}
	*fd = f;
	*size = (uint64_t)st.st_size;
	return 0;
}

int loader_read_full(int fd, uint8_t *dst, uint64_t len, const char *path, const char *what, char *err,
		     size_t errlen)
{
	uint64_t done = 0;

	while (done < len) {
		size_t chunk = (len - done > (1u << 30)) ? (1u << 30) : (size_t)(len - done);
		ssize_t n = pread(fd, dst + done, chunk, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int ret = -errno;
			loader_seterr(err, errlen, "cannot read %s '%s': %s", what, path, strerror(-ret));
			return ret;
		}
		if (n == 0) {
			loader_seterr(err, errlen, "%s '%s' shrank while being read (%llu of %llu bytes)", what,
				      path, (unsigned long long)done, (unsigned long long)len);
			return -EIO;
		}
		done += (uint64_t)n;
	}
	return 0;
}

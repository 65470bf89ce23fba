/* block/image.c — open, check and lock a disk image (see blk_backend.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/blk_backend.h"
#include "util/errmsg.h"


/* Direct I/O alignment of an open file: statx(STATX_DIOALIGN) where the
 * kernel reports it, else 4096 (safe for every device we know). */
static void dio_align(int fd, uint32_t *mem, uint32_t *off)
{
	*mem = *off = 4096;
#ifdef STATX_DIOALIGN
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 && (stx.stx_mask & STATX_DIOALIGN) &&
	    stx.stx_dio_mem_align && stx.stx_dio_offset_align) {
		*mem = stx.stx_dio_mem_align;
		*off = stx.stx_dio_offset_align;
	}
#endif
	if (*off < BLK_SECTOR_SIZE)
		*off = BLK_SECTOR_SIZE;
}

int blk_image_open(const struct blk_image_params *p, struct blk_backend **out, char *err, size_t errlen)
{
	if (p->image_type && strcmp(p->image_type, "raw"))
		return errmsg_set(err, errlen, -EINVAL, "--disk path=%s: image_type=%s is not supported (raw only)", p->path,
			    p->image_type);
	int flags = (p->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	int fd = open(p->path, flags);
	if (fd < 0) {
		int e = errno;
		if (e == EISDIR)
			return errmsg_set(err, errlen, -e, "--disk path=%s: is a directory", p->path);
		return errmsg_set(err, errlen, -e, "--disk path=%s: %s", p->path, strerror(e));
	}
	struct stat st;
	uint64_t size = 0;
	int rc = 0;
	if (fstat(fd, &st) < 0) {
		rc = errmsg_set(err, errlen, -errno, "--disk path=%s: %s", p->path, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		rc = errmsg_set(err, errlen, -EISDIR, "--disk path=%s: is a directory", p->path);
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0)
			rc = errmsg_set(err, errlen, -errno, "--disk path=%s: cannot get the device size: %s", p->path,
				  strerror(errno));
	} else if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else {
		rc = errmsg_set(err, errlen, -EINVAL, "--disk path=%s: not a regular file or block device", p->path);
	}
	if (!rc && size % BLK_SECTOR_SIZE)
		rc = errmsg_set(err, errlen, -EINVAL, "--disk path=%s: size %llu is not a multiple of 512 bytes", p->path,
			  (unsigned long long)size);
	if (!rc) {
		/* Like cloud-hypervisor: an exclusive lock for a writable disk, a
		 * shared one for a read-only disk, on the whole file. OFD locks
		 * belong to this open file description and go away with it. */
		struct flock fl = {.l_type = p->readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET};
		if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
			int e = errno;
			if (e == EAGAIN || e == EACCES)
				rc = errmsg_set(err, errlen, -EBUSY,
					  "--disk path=%s: image is locked by another process (in use by another VM%s)",
					  p->path, p->readonly ? " for writing" : "");
			else
				rc = errmsg_set(err, errlen, -e, "--disk path=%s: cannot lock: %s", p->path, strerror(e));
		}
	}
	int dfd = -1;
	uint32_t mem_align = 1, off_align = BLK_SECTOR_SIZE;
	if (!rc && p->direct) {
		dfd = open(p->path, flags | O_DIRECT);
		if (dfd < 0 && errno == EINVAL)
			rc = errmsg_set(err, errlen, -EINVAL,
					"--disk path=%s,direct=on: the file system does not support O_DIRECT", p->path);
		else if (dfd < 0)
			rc = errmsg_set(err, errlen, -errno, "--disk path=%s,direct=on: %s", p->path, strerror(errno));
		else
			dio_align(dfd, &mem_align, &off_align);
	}
	if (rc) {
		close(fd);
		return rc;
	}
	struct blk_backend *be;
	/* direct: I/O on the O_DIRECT descriptor, unaligned requests on the
	 * locked buffered one. */
	rc = p->direct ? blk_raw_create(dfd, fd, size, p->readonly, true, &be)
		       : blk_raw_create(fd, -1, size, p->readonly, false, &be);
	if (rc) {
		close(fd);
		if (dfd >= 0)
			close(dfd);
		return errmsg_set(err, errlen, rc, "--disk path=%s: %s", p->path, strerror(-rc));
	}
	be->mem_align = mem_align;
	be->off_align = off_align;
	*out = be;
	return 0;
}

void blk_image_close(struct blk_backend *be)
{
	if (be)
		be->ops->close(be);
}

/* blkzero — guest helper for test_blk_write_zeroes.sh (built static by the
 * test, put into the guest's initramfs overlay).
 *
 *   blkzero punch DEV OFFSET LENGTH   fallocate(PUNCH_HOLE|KEEP_SIZE): the
 *       kernel sends WRITE_ZEROES with the unmap flag and never falls back to
 *       writing zero pages, so success proves the device handled WRITE_ZEROES.
 *   blkzero zero DEV OFFSET LENGTH    fallocate(ZERO_RANGE|KEEP_SIZE):
 *       WRITE_ZEROES without unmap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: blkzero punch|zero DEV OFFSET LENGTH\n");
		return 2;
	}
	int mode = FALLOC_FL_KEEP_SIZE;
	if (!strcmp(argv[1], "punch"))
		mode |= FALLOC_FL_PUNCH_HOLE;
	else if (!strcmp(argv[1], "zero"))
		mode |= FALLOC_FL_ZERO_RANGE;
	else {
		fprintf(stderr, "blkzero: unknown mode %s\n", argv[1]);
		return 2;
	}
	int fd = open(argv[2], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "blkzero: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	off_t off = (off_t)strtoll(argv[3], NULL, 0), len = (off_t)strtoll(argv[4], NULL, 0);
	if (fallocate(fd, mode, off, len) < 0) {
		fprintf(stderr, "blkzero: fallocate %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return close(fd) < 0 ? 1 : 0;
}

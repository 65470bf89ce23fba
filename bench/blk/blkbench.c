/* bench/blk/blkbench.c — tiny disk benchmark, run in the guest (static) and
 * on the host against the same image.
 *
 * Usage: blkbench FILE MODE BS MIB [direct]
 *   MODE: seqread | seqwrite | randread | randwrite
 *   MIB:  bytes to move (sequential) or region size (random; 4 s or
 *         MIB/BS ops, whichever first).
 * Prints: "BENCH MODE MiB/s=X IOPS=Y".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: blkbench FILE MODE BS MIB [direct]\n");
		return 2;
	}
	const char *mode = argv[2];
	size_t bs = strtoul(argv[3], NULL, 0);
	unsigned long long region = strtoull(argv[4], NULL, 0) << 20;
	int direct = argc > 5 && !strcmp(argv[5], "direct");
	int wr = strstr(mode, "write") != NULL, rnd = !strncmp(mode, "rand", 4);
	int fd = open(argv[1], (wr ? O_RDWR : O_RDONLY) | (direct ? O_DIRECT : 0));
	if (fd < 0) {
		perror("open");
		return 1;
	}
	void *buf;
	if (posix_memalign(&buf, 4096, bs))
		return 1;
	memset(buf, 0xa5, bs);
	unsigned long long nblk = region / bs, ops = 0, seed = 88172645463325252ull;
	double t0 = now(), limit = rnd ? 4.0 : 1e9;
	for (unsigned long long i = 0; i < nblk; i++) {
		unsigned long long blk = i;
		if (rnd) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			blk = seed % nblk;
		}
		ssize_t n = wr ? pwrite(fd, buf, bs, (off_t)(blk * bs)) : pread(fd, buf, bs, (off_t)(blk * bs));
		if (n != (ssize_t)bs) {
			perror("io");
			return 1;
		}
		ops++;
		if (rnd && (ops & 255) == 0 && now() - t0 > limit)
			break;
	}
	if (wr)
		fdatasync(fd);
	double dt = now() - t0;
	printf("BENCH %s MiB/s=%.1f IOPS=%.0f\n", mode, (double)ops * (double)bs / 1048576.0 / dt, (double)ops / dt);
	return 0;
}

/* libFuzzer target: the virtio-blk request path (virtq_pop → parser →
 * backend → completion → push) against an arbitrary guest. The descriptor
 * table, the available ring and the buffers (headers, discard segments,
 * data) come from the input; the disk is a 64 KiB memfd behind the raw
 * backend with synchronous I/O. Nothing may crash, leak, touch memory
 * outside guest RAM or the disk outside its size, and every popped chain is
 * answered exactly once.
 *
 * Input: u8 flags (bit 0 read-only disk, bit 1 FLUSH not negotiated →
 * write-through, bit 2 reset the device at the end, bit 3 INDIRECT_DESC),
 * u8 navail, navail u16 heads, FUZZ_QSIZE 16-byte descriptors (addr folded into
 * RAM plus a little beyond it), then the image of the buffer area.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "block/blk_backend.h"
#include "util/log.h"
#include "virtio/blk.h"

#include "fuzz_guest.h"

#define AVAIL 0x1000ull
#define USED 0x2000ull
#define DISK_SIZE 0x10000ull

static struct fuzz_guest G;
static int disk_fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void init_once(void)
{
	if (G.ram)
		return;
	log_set_level(LOG_ERROR);
	fuzz_guest_init(&G);
	disk_fd = memfd_create("fuzz-blk", MFD_CLOEXEC);
	if (disk_fd < 0 || ftruncate(disk_fd, DISK_SIZE))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	if (size < 2)
		return 0;
	struct input in = {data, size};
	uint8_t flags = (uint8_t)take(&in, 1), navail = (uint8_t)(take(&in, 1) % (FUZZ_QSIZE * 2 + 1));
	uint16_t heads[FUZZ_QSIZE * 2];
	for (unsigned i = 0; i < navail; i++)
		heads[i] = fuzz_guest_head(&in);
	fuzz_guest_load(&G, &in);

	int dup_fd = dup(disk_fd); /* the backend takes over its fd */
	if (dup_fd < 0)
		return 0;
	struct blk_backend *be;
	if (blk_raw_create(dup_fd, -1, DISK_SIZE, flags & 1, false, &be)) {
		close(dup_fd);
		return 0;
	}
	struct virtio_blk_params p = {be, 1, FUZZ_QSIZE, "fuzz", true};
	const struct virtio_device_ops *ops;
	void *priv;
	if (virtio_blk_create(&p, &ops, &priv)) {
		blk_image_close(be);
		return 0;
	}
	struct virtio_device vdev;
	if (virtio_device_init(&vdev, ops, priv, "fuzzblk", &G.gm)) {
		virtio_device_destroy(&vdev);
		blk_image_close(be);
		return 0;
	}
	vdev.driver_features = vdev.device_features;
	if (flags & 2)
		vdev.driver_features &= ~(1ULL << VIRTIO_BLK_F_FLUSH);
	if (!(flags & 8))
		vdev.driver_features &= ~(1ULL << VIRTQ_F_INDIRECT_DESC);
	struct virtq *q = &vdev.queues[0];
	fuzz_guest_setq(q, vdev.driver_features, AVAIL, USED);
	if (virtq_enable(q, &G.gm) == 0 && ops->activate(priv, &vdev) == 0) {
		int efd = vdev.backend_fds[0];
		uint16_t idx = 0;
		for (unsigned i = 0; i < navail; i++) {
			memcpy(G.ram + AVAIL + 4 + 2 * (idx % FUZZ_QSIZE), &heads[i], 2);
			idx++;
			memcpy(G.ram + AVAIL + 2, &idx, 2);
			/* every few requests: let the device run and reap */
			if ((i & 3) == 3 || i + 1 == navail) {
				if (ops->process_queue(priv, &vdev, 0) < 0)
					break;
				if (ops->backend_event(priv, &vdev, efd) < 0)
					break;
			}
		}
		for (int k = 0; k < 4; k++)
			if (ops->backend_event(priv, &vdev, efd) < 0)
				break;
		if (flags & 4)
			virtio_device_reset(&vdev);
	}
	virtio_device_destroy(&vdev);
	blk_image_close(be);
	return 0;
}

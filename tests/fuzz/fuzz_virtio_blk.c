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
 * u8 navail, navail u16 heads, QSIZE 16-byte descriptors (addr folded into
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
#include "mem/guest_mem.h"
#include "util/log.h"
#include "virtio/blk.h"

#define RAM_SIZE 0x20000ull
#define DESC 0x0ull
#define AVAIL 0x1000ull
#define USED 0x2000ull
#define BUF 0x4000ull
#define QSIZE 16
#define DISK_SIZE 0x10000ull

static uint8_t *ram;
static struct guest_mem gm;
static int disk_fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void init_once(void)
{
	if (ram)
		return;
	log_set_level(LOG_ERROR);
	ram = aligned_alloc(4096, RAM_SIZE);
	if (!ram || gm_add_region(&gm, 0, RAM_SIZE, ram, -1))
		abort();
	disk_fd = memfd_create("fuzz-blk", MFD_CLOEXEC);
	if (disk_fd < 0 || ftruncate(disk_fd, DISK_SIZE))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	if (size < 2)
		return 0;
	uint8_t flags = data[0], navail = data[1] % (QSIZE * 2 + 1);
	data += 2;
	size -= 2;
	memset(ram, 0, RAM_SIZE);
	uint16_t heads[QSIZE * 2];
	for (unsigned i = 0; i < navail; i++) {
		heads[i] = 0;
		if (size >= 2) {
			memcpy(&heads[i], data, 2);
			heads[i] %= QSIZE + 1; /* mostly valid, sometimes out of range */
			data += 2;
			size -= 2;
		}
	}
	for (unsigned i = 0; i < QSIZE && size >= 16; i++) {
		struct virtq_desc d;
		memcpy(&d, data, 16);
		d.addr %= RAM_SIZE + 0x100;
		d.next %= QSIZE + 1;
		memcpy(ram + DESC + 16 * i, &d, 16);
		data += 16;
		size -= 16;
	}
	size_t n = size < RAM_SIZE - BUF ? size : RAM_SIZE - BUF;
	memcpy(ram + BUF, data, n);

	int dup_fd = dup(disk_fd); /* the backend takes over its fd */
	if (dup_fd < 0)
		return 0;
	struct blk_backend *be;
	if (blk_raw_create(dup_fd, -1, DISK_SIZE, flags & 1, false, &be)) {
		close(dup_fd);
		return 0;
	}
	struct virtio_blk_params p = {be, 1, QSIZE, "fuzz", true};
	const struct virtio_device_ops *ops;
	void *priv;
	if (virtio_blk_create(&p, &ops, &priv)) {
		blk_image_close(be);
		return 0;
	}
	struct virtio_device vdev;
	if (virtio_device_init(&vdev, ops, priv, "fuzzblk", &gm)) {
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
	virtq_set_features(q, vdev.driver_features);
	q->size = QSIZE;
	q->desc_addr = DESC;
	q->avail_addr = AVAIL;
	q->used_addr = USED;
	if (virtq_enable(q, &gm) == 0 && ops->activate(priv, &vdev) == 0) {
		int efd = vdev.backend_fds[0];
		uint16_t idx = 0;
		for (unsigned i = 0; i < navail; i++) {
			memcpy(ram + AVAIL + 4 + 2 * (idx % QSIZE), &heads[i], 2);
			idx++;
			memcpy(ram + AVAIL + 2, &idx, 2);
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

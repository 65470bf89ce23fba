/* virtio/device.h — the virtio device core, independent of the transport.
 *
 * A device type is an ops table (struct virtio_device_ops) plus a private
 * state pointer. The core owns the virtqueues, one kick eventfd per queue,
 * the feature words and the device status byte, and runs the device's I/O
 * threads: started by the VMM when it builds the VM (virtio_device_start, on
 * the control thread, so they never inherit a vCPU's seccomp filter), idle
 * until the driver sets DRIVER_OK. A device has one I/O
 * thread, or declares several (ops->nr_threads) and maps each queue to one
 * of them (ops->queue_thread[q], e.g. one thread per net queue pair or per
 * blk queue). Each thread waits (epoll) on the kick eventfds of its queues
 * and on the backend fds the device registered for it (only while the
 * driver has the device live), and on the device's stop
 * and pause eventfds, so a vCPU never blocks on device I/O. A queue and the
 * backend fds of one thread are only ever served by that thread.
 *
 * Transport (virtio_pci.c) duties: translate the driver's register accesses
 * into virtio_device_* calls; deliver interrupts through the hooks in
 * struct virtio_transport. The device core calls those hooks from the I/O
 * thread.
 *
 * Threads: set-up/reset/activate calls come from the transport (a vCPU
 * thread) under the transport's lock. While the device is live, a queue's
 * state belongs to its thread; virtio_device_reset() and _activate() park
 * all of them (the pause handshake) before touching the queues or the epoll
 * sets. A vCPU thread never creates or joins an I/O thread. `status` is atomic: any I/O thread may OR
 * in NEEDS_RESET.
 */
#ifndef NIMBUS_VIRTIO_DEVICE_H
#define NIMBUS_VIRTIO_DEVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mem/guest_mem.h"
#include "virtio/queue.h"

#define VIRTIO_MAX_QUEUES 17 /* 8 net queue pairs + the control queue */
#define VIRTIO_MAX_THREADS 8
#define VIRTIO_MAX_BACKEND_FDS 8

/* Device status bits (virtio 1.2, 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* Transport-independent feature bits the core offers for every device. */
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_CORE_FEATURES                                                                       \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTQ_F_INDIRECT_DESC) | (1ULL << VIRTQ_F_EVENT_IDX))

/* Virtio device IDs (virtio 1.2, 5). */
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

struct virtio_device;

/* What a device type implements. `priv` is the pointer the type's create
 * function returned. Everything is called with the device quiescent (no I/O
 * thread) except process_queue and backend_event, which run on the I/O
 * thread of the queue or fd only (with several threads, concurrently for
 * different threads: the device keeps per-thread state apart). */
struct virtio_device_ops {
	const char *name;     /* "rng", "console" */
	uint16_t device_id;   /* VIRTIO_ID_* */
	uint64_t features;    /* device-specific offered features (core adds its own) */
	unsigned nr_queues;   /* 1..VIRTIO_MAX_QUEUES */
	uint16_t queue_size;  /* max size of each queue, power of two */
	uint32_t config_size; /* bytes of device-specific config (0 = none) */
	uint16_t pci_class;   /* PCI class << 8 | subclass, for the transport */
	/* I/O threads: 0 or 1 = one thread serves every queue; else queue q is
	 * served by thread queue_thread[q] (< nr_threads <= VIRTIO_MAX_THREADS). */
	unsigned nr_threads;
	uint8_t queue_thread[VIRTIO_MAX_QUEUES];
	/* Device config space access; [off, off+len) is inside config_size.
	 * Called on vCPU threads: the device synchronizes itself. May be NULL. */
	void (*config_read)(void *priv, uint32_t off, uint8_t *data, uint32_t len);
	void (*config_write)(void *priv, uint32_t off, const uint8_t *data, uint32_t len);
	/* DRIVER_OK: features are final, queues set up. The device may register
	 * backend fds with virtio_device_add_fd(). 0 or -errno (device then
	 * reports NEEDS_RESET). May be NULL. */
	int (*activate)(void *priv, struct virtio_device *vdev);
	/* Back to the initial state (after the I/O thread stopped). May be NULL. */
	void (*reset)(void *priv);
	/* The driver kicked queue q (or the device asked for a re-run). Returns
	 * 0, or -EINVAL if the guest broke the rules (→ NEEDS_RESET). */
	int (*process_queue)(void *priv, struct virtio_device *vdev, unsigned q);
	/* A registered backend fd is ready. 0 or -EINVAL (→ NEEDS_RESET). */
	int (*backend_event)(void *priv, struct virtio_device *vdev, int fd);
	/* Free priv (does not close fds the VMM owns). */
	void (*destroy)(void *priv);
};

/* Interrupt hooks the transport installs; called from the I/O thread. */
struct virtio_transport {
	void (*signal_queue)(void *ctx, unsigned q);
	void (*signal_config)(void *ctx);
	void *ctx;
};

struct virtio_device {
	const struct virtio_device_ops *ops;
	void *priv;
	char name[32];
	const struct guest_mem *gm;
	struct virtio_transport transport;

	struct virtq queues[VIRTIO_MAX_QUEUES];
	char queue_names[VIRTIO_MAX_QUEUES][48];
	int kick_efd[VIRTIO_MAX_QUEUES];

	uint64_t device_features; /* ops->features | VIRTIO_CORE_FEATURES */
	uint64_t driver_features; /* accepted at FEATURES_OK */
	_Atomic uint8_t status;

	/* I/O threads (stop_efd and pause_efd are watched by all of them) */
	struct virtio_io_thread {
		struct virtio_device *vdev;
		pthread_t thread;
		int epfd;
	} threads[VIRTIO_MAX_THREADS];
	unsigned nr_threads; /* 1..VIRTIO_MAX_THREADS, from ops */
	bool threads_started; /* the I/O threads exist */
	bool running;         /* DRIVER_OK: queue kicks and backend fds are watched */
	int stop_efd, pause_efd;
	int backend_fds[VIRTIO_MAX_BACKEND_FDS];
	uint8_t backend_thread[VIRTIO_MAX_BACKEND_FDS];
	unsigned nr_backend_fds;
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	bool pause_requested;
	unsigned nr_paused; /* threads parked */
};

/* Create the core for a device type. Returns 0, -EINVAL (bad ops), -errno
 * (eventfd). */
__attribute__((warn_unused_result)) int virtio_device_init(struct virtio_device *vdev,
							   const struct virtio_device_ops *ops, void *priv,
							   const char *name, const struct guest_mem *gm);
/* Stops the thread, calls ops->destroy, closes the core's eventfds. */
void virtio_device_destroy(struct virtio_device *vdev);

/* Start the (idle) I/O threads; each installs its seccomp filter at once.
 * The VMM calls this while building the VM. 0 or -errno. */
__attribute__((warn_unused_result)) int virtio_device_start(struct virtio_device *vdev);
/* Driver wrote status 0: park the I/O threads, stop watching the queues and
 * backend fds, reset queues, features and status, call ops->reset. */
void virtio_device_reset(struct virtio_device *vdev);
/* DRIVER_OK: ops->activate, watch the queues (starts the I/O threads if
 * virtio_device_start was not called: unit tests). 0 or -errno. */
__attribute__((warn_unused_result)) int virtio_device_activate(struct virtio_device *vdev);

/* Pause/resume the I/O threads (VM pause, snapshots). pause returns once
 * every thread is parked (no-op if there are none). */
void virtio_device_pause(struct virtio_device *vdev);
void virtio_device_resume(struct virtio_device *vdev);

/* The eventfd the driver's notification for queue q signals (the transport
 * registers it as a KVM ioeventfd, or writes it itself). */
int virtio_device_kick_fd(const struct virtio_device *vdev, unsigned q);

/* Make queue q's thread run process_queue(q) as if the driver had notified
 * (e.g. to hand it work from another thread). Any thread. */
void virtio_device_kick_queue(struct virtio_device *vdev, unsigned q);

/* For device code on the I/O thread: */
/* Watch a backend fd (EPOLLIN) on I/O thread 0 — only from ops->activate.
 * 0 or -errno. */
__attribute__((warn_unused_result)) int virtio_device_add_fd(struct virtio_device *vdev, int fd);
/* The same for I/O thread `thread` (< nr_threads). */
__attribute__((warn_unused_result)) int virtio_device_add_thread_fd(struct virtio_device *vdev, unsigned thread,
								    int fd);
/* Stop/start watching a registered fd (e.g. no guest buffers to fill): the
 * fd leaves/rejoins its thread's epoll set, so not even an error condition
 * on it wakes the thread while off. No-op for an fd never registered. */
void virtio_device_watch_fd(struct virtio_device *vdev, int fd, bool on);
/* After pushing used buffers: interrupt the guest if the queue wants it. */
void virtio_device_signal_queue(struct virtio_device *vdev, unsigned q);
/* The guest broke the rules: set NEEDS_RESET and send a config interrupt
 * (once). Logs rate-limited. */
void virtio_device_set_needs_reset(struct virtio_device *vdev, const char *why);

#endif

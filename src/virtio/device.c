/* virtio/device.c — the virtio device core and its I/O threads. */
#include "virtio/device.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "security/seccomp.h"
#include "util/log.h"

static unsigned thread_of_queue(const struct virtio_device *vdev, unsigned q)
{
	return vdev->nr_threads > 1 ? vdev->ops->queue_thread[q] : 0;
}

static bool ops_valid(const struct virtio_device_ops *ops)
{
	if (!ops || !ops->process_queue || ops->nr_queues == 0 || ops->nr_queues > VIRTIO_MAX_QUEUES ||
	    ops->nr_threads > VIRTIO_MAX_THREADS)
		return false;
	for (unsigned q = 0; ops->nr_threads > 1 && q < ops->nr_queues; q++)
		if (ops->queue_thread[q] >= ops->nr_threads)
			return false;
	return true;
}

int virtio_device_init(struct virtio_device *vdev, const struct virtio_device_ops *ops, void *priv,
		       const char *name, const struct guest_mem *gm)
{
	memset(vdev, 0, sizeof(*vdev));
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vdev->kick_efd[i] = -1;
	for (unsigned i = 0; i < VIRTIO_MAX_THREADS; i++)
		vdev->threads[i].epfd = -1;
	vdev->stop_efd = vdev->pause_efd = -1;
	if (!ops_valid(ops) || !gm)
		return -EINVAL;
	vdev->ops = ops;
	vdev->priv = priv;
	vdev->gm = gm;
	vdev->nr_threads = ops->nr_threads ? ops->nr_threads : 1;
	snprintf(vdev->name, sizeof(vdev->name), "%s", name ? name : ops->name);
	vdev->device_features = ops->features | VIRTIO_CORE_FEATURES;
	pthread_mutex_init(&vdev->pause_lock, NULL);
	pthread_cond_init(&vdev->pause_cond, NULL);
	for (unsigned i = 0; i < ops->nr_queues; i++) {
		snprintf(vdev->queue_names[i], sizeof(vdev->queue_names[i]), "%s.q%u", vdev->name, i & 0xff);
		int rc = virtq_init(&vdev->queues[i], ops->queue_size, vdev->queue_names[i]);
		if (rc)
			return rc;
		vdev->kick_efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vdev->kick_efd[i] < 0)
			return -errno;
	}
	vdev->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vdev->pause_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vdev->stop_efd < 0 || vdev->pause_efd < 0)
		return -errno;
	for (unsigned t = 0; t < vdev->nr_threads; t++) {
		vdev->threads[t].vdev = vdev;
		vdev->threads[t].epfd = epoll_create1(EPOLL_CLOEXEC);
		if (vdev->threads[t].epfd < 0)
			return -errno;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void kick(int efd)
{
	uint64_t one = 1;
	if (write(efd, &one, sizeof(one)) < 0) {
		/* counter full: a wake-up is pending anyway */
	}
}

static void drain(int efd)
{
	uint64_t v;
	(void)!read(efd, &v, sizeof(v));
}

/* Take the live device's fds (queue kicks, backend fds) out of the threads'
 * epoll sets. */
static void unwatch_live(struct virtio_device *vdev)
{
	for (unsigned i = 0; i < vdev->nr_backend_fds; i++)
		epoll_ctl(vdev->threads[vdev->backend_thread[i]].epfd, EPOLL_CTL_DEL, vdev->backend_fds[i], NULL);
	vdev->nr_backend_fds = 0;
	for (unsigned i = 0; i < vdev->ops->nr_queues; i++)
		epoll_ctl(vdev->threads[thread_of_queue(vdev, i)].epfd, EPOLL_CTL_DEL, vdev->kick_efd[i], NULL);
}

static void unwatch_core(struct virtio_device *vdev)
{
	for (unsigned t = 0; t < vdev->nr_threads; t++) {
		epoll_ctl(vdev->threads[t].epfd, EPOLL_CTL_DEL, vdev->stop_efd, NULL);
		epoll_ctl(vdev->threads[t].epfd, EPOLL_CTL_DEL, vdev->pause_efd, NULL);
	}
}

/* stop_efd stays readable until every thread has seen it and been joined. */
static void stop_threads(struct virtio_device *vdev, unsigned started)
{
	kick(vdev->stop_efd);
	for (unsigned t = 0; t < started; t++)
		pthread_join(vdev->threads[t].thread, NULL);
	drain(vdev->stop_efd);
}

static void stop_thread(struct virtio_device *vdev)
{
	if (!vdev->threads_started)
		return;
	stop_threads(vdev, vdev->nr_threads);
	vdev->threads_started = false;
	vdev->running = false;
	unwatch_live(vdev);
	unwatch_core(vdev);
}

/* Park every I/O thread (returns once all wait outside device code) so the
 * caller owns the queues and the epoll sets; no-op without threads. */
static void quiesce(struct virtio_device *vdev)
{
	if (!vdev->threads_started)
		return;
	pthread_mutex_lock(&vdev->pause_lock);
	vdev->pause_requested = true;
	kick(vdev->pause_efd); /* level-triggered: every thread sees it */
	while (vdev->nr_paused < vdev->nr_threads)
		pthread_cond_wait(&vdev->pause_cond, &vdev->pause_lock);
	pthread_mutex_unlock(&vdev->pause_lock);
}

static void unquiesce(struct virtio_device *vdev)
{
	if (!vdev->threads_started)
		return;
	pthread_mutex_lock(&vdev->pause_lock);
	vdev->pause_requested = false;
	drain(vdev->pause_efd);
	pthread_cond_broadcast(&vdev->pause_cond);
	pthread_mutex_unlock(&vdev->pause_lock);
}

void virtio_device_destroy(struct virtio_device *vdev)
{
	if (vdev->ops) {
		stop_thread(vdev);
		if (vdev->ops->destroy)
			vdev->ops->destroy(vdev->priv);
		pthread_mutex_destroy(&vdev->pause_lock);
		pthread_cond_destroy(&vdev->pause_cond);
	}
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		close_fd(&vdev->kick_efd[i]);
	close_fd(&vdev->stop_efd);
	close_fd(&vdev->pause_efd);
	for (unsigned t = 0; t < VIRTIO_MAX_THREADS; t++)
		close_fd(&vdev->threads[t].epfd);
	vdev->ops = NULL;
}

void virtio_device_reset(struct virtio_device *vdev)
{
	quiesce(vdev);
	unwatch_live(vdev);
	vdev->running = false;
	for (unsigned i = 0; i < vdev->ops->nr_queues; i++) {
		virtq_reset(&vdev->queues[i]);
		drain(vdev->kick_efd[i]);
	}
	vdev->driver_features = 0;
	atomic_store(&vdev->status, 0);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev->priv);
	unquiesce(vdev);
}

void virtio_device_set_needs_reset(struct virtio_device *vdev, const char *why)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
	uint8_t old = atomic_fetch_or(&vdev->status, VIRTIO_STATUS_NEEDS_RESET);
	if (old & VIRTIO_STATUS_NEEDS_RESET)
		return;
	log_ratelimited(&rl, LOG_WARN, "virtio %s: device needs reset: %s", vdev->name, why ? why : "?");
	if (vdev->transport.signal_config)
		vdev->transport.signal_config(vdev->transport.ctx);
}

void virtio_device_signal_queue(struct virtio_device *vdev, unsigned q)
{
	if (q < vdev->ops->nr_queues && virtq_should_notify(&vdev->queues[q]) && vdev->transport.signal_queue)
		vdev->transport.signal_queue(vdev->transport.ctx, q);
}

int virtio_device_kick_fd(const struct virtio_device *vdev, unsigned q)
{
	return q < vdev->ops->nr_queues ? vdev->kick_efd[q] : -1;
}

void virtio_device_kick_queue(struct virtio_device *vdev, unsigned q)
{
	if (q < vdev->ops->nr_queues)
		kick(vdev->kick_efd[q]);
}

/* epoll data: fd number; queue kicks are looked up by fd. */
static int epoll_watch(int epfd, int fd, int op)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	return epoll_ctl(epfd, op, fd, &ev) < 0 ? -errno : 0;
}

int virtio_device_add_thread_fd(struct virtio_device *vdev, unsigned thread, int fd)
{
	if (vdev->nr_backend_fds >= VIRTIO_MAX_BACKEND_FDS || fd < 0 || thread >= vdev->nr_threads)
		return -EINVAL;
	int rc = epoll_watch(vdev->threads[thread].epfd, fd, EPOLL_CTL_ADD);
	if (rc == -EPERM)
		rc = 0; /* a regular file (e.g. rng source): always ready, not pollable */
	else if (rc)
		return rc;
	vdev->backend_thread[vdev->nr_backend_fds] = (uint8_t)thread;
	vdev->backend_fds[vdev->nr_backend_fds++] = fd;
	return 0;
}

int virtio_device_add_fd(struct virtio_device *vdev, int fd)
{
	return virtio_device_add_thread_fd(vdev, 0, fd);
}

void virtio_device_watch_fd(struct virtio_device *vdev, int fd, bool on)
{
	for (unsigned i = 0; i < vdev->nr_backend_fds; i++) {
		if (vdev->backend_fds[i] == fd) {
			int epfd = vdev->threads[vdev->backend_thread[i]].epfd;
			if (on)
				(void)epoll_watch(epfd, fd, EPOLL_CTL_ADD); /* EEXIST: already watched */
			else
				epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); /* ENOENT: already off */
			return;
		}
	}
}

/* A parked thread waits until resume; the pauser waits for all of them. */
static void park(struct virtio_device *vdev)
{
	pthread_mutex_lock(&vdev->pause_lock);
	if (vdev->pause_requested) {
		vdev->nr_paused++;
		pthread_cond_broadcast(&vdev->pause_cond);
		while (vdev->pause_requested)
			pthread_cond_wait(&vdev->pause_cond, &vdev->pause_lock);
		vdev->nr_paused--;
	}
	pthread_mutex_unlock(&vdev->pause_lock);
}

static void run_queue(struct virtio_device *vdev, unsigned q)
{
	if (atomic_load(&vdev->status) & VIRTIO_STATUS_NEEDS_RESET)
		return;
	if (!vdev->queues[q].ready)
		return;
	int rc = vdev->ops->process_queue(vdev->priv, vdev, q);
	if (rc < 0)
		virtio_device_set_needs_reset(vdev, vdev->queues[q].broken_reason ? vdev->queues[q].broken_reason
										   : "bad request");
}

/* One ready fd on thread t: a kick of one of its queues or a backend fd. */
static void thread_event(struct virtio_device *vdev, unsigned t, int fd)
{
	for (unsigned q = 0; q < vdev->ops->nr_queues; q++) {
		if (fd == vdev->kick_efd[q] && thread_of_queue(vdev, q) == t) {
			drain(fd);
			run_queue(vdev, q);
			return;
		}
	}
	if (vdev->ops->backend_event && !(atomic_load(&vdev->status) & VIRTIO_STATUS_NEEDS_RESET)) {
		if (vdev->ops->backend_event(vdev->priv, vdev, fd) < 0)
			virtio_device_set_needs_reset(vdev, "bad request");
	}
}

static void *io_thread(void *arg)
{
	struct virtio_io_thread *th = arg;
	struct virtio_device *vdev = th->vdev;
	unsigned t = (unsigned)(th - vdev->threads);
	char name[16]; /* the kernel keeps 15 characters */
	if (t == 0)
		snprintf(name, sizeof(name), "%.15s", vdev->name);
	else
		snprintf(name, sizeof(name), "%.12s/%u", vdev->name, t % 100);
	pthread_setname_np(pthread_self(), name);
	thread_filter_install(THREAD_FILTER_VIRTIO, name);
	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(th->epfd, evs, 8, -1);
		if (n < 0 && errno != EINTR) {
			log_error("virtio %s: epoll_wait: %s", vdev->name, strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == vdev->stop_efd)
				return NULL; /* left readable for the other threads */
			if (fd == vdev->pause_efd) {
				park(vdev); /* drained by resume */
				break;      /* the fd set may have changed (reset, activate): wait again */
			}
			thread_event(vdev, t, fd);
		}
	}
}

/* Each thread's queue kicks (while the device is live). */
static int watch_kicks(struct virtio_device *vdev)
{
	int rc = 0;
	for (unsigned i = 0; i < vdev->ops->nr_queues && !rc; i++)
		rc = epoll_watch(vdev->threads[thread_of_queue(vdev, i)].epfd, vdev->kick_efd[i], EPOLL_CTL_ADD);
	return rc;
}

/* Each thread's stop and pause eventfds (while it exists). */
static int watch_core_fds(struct virtio_device *vdev)
{
	int rc = 0;
	for (unsigned t = 0; t < vdev->nr_threads && !rc; t++) {
		rc = epoll_watch(vdev->threads[t].epfd, vdev->stop_efd, EPOLL_CTL_ADD);
		if (!rc)
			rc = epoll_watch(vdev->threads[t].epfd, vdev->pause_efd, EPOLL_CTL_ADD);
	}
	return rc;
}

/* Start every I/O thread; on failure the ones started are stopped again. */
static int start_threads(struct virtio_device *vdev)
{
	/* The I/O threads must not take the control thread's signals. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = 0;
	unsigned t = 0;
	for (; t < vdev->nr_threads && !rc; t++)
		rc = -pthread_create(&vdev->threads[t].thread, NULL, io_thread, &vdev->threads[t]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		stop_threads(vdev, t - 1);
	return rc;
}

int virtio_device_start(struct virtio_device *vdev)
{
	if (vdev->threads_started)
		return 0;
	int rc = watch_core_fds(vdev);
	if (!rc)
		rc = start_threads(vdev);
	if (rc) {
		unwatch_core(vdev);
		return rc;
	}
	vdev->threads_started = true;
	return 0;
}

int virtio_device_activate(struct virtio_device *vdev)
{
	if (vdev->running)
		return -EBUSY;
	bool started = vdev->threads_started;
	quiesce(vdev);
	int rc = watch_kicks(vdev);
	if (!rc && vdev->ops->activate)
		rc = vdev->ops->activate(vdev->priv, vdev);
	if (!rc && !started)
		rc = virtio_device_start(vdev); /* without virtio_device_start (unit tests) */
	if (rc)
		unwatch_live(vdev);
	else
		vdev->running = true;
	if (started)
		unquiesce(vdev);
	if (rc)
		return rc;
	/* Buffers the driver made available before DRIVER_OK. */
	for (unsigned i = 0; i < vdev->ops->nr_queues; i++)
		kick(vdev->kick_efd[i]);
	return 0;
}

void virtio_device_pause(struct virtio_device *vdev)
{
	quiesce(vdev);
}

void virtio_device_resume(struct virtio_device *vdev)
{
	unquiesce(vdev);
}

/* virtio/registry.h — the list of virtio device types.
 *
 * Adding a device type: write src/virtio/<name>.c with a
 * `const struct virtio_device_type virtio_<name>_type`, declare it below and
 * add it to the table in registry.c (one line each). The VMM opens the
 * backend (files, terminals) and passes the fds; devices never parse
 * configuration or own those fds.
 */
#ifndef NIMBUS_VIRTIO_REGISTRY_H
#define NIMBUS_VIRTIO_REGISTRY_H

#include "virtio/device.h"

/* Backend fds the VMM hands to a device (-1 = none). Not owned by the device. */
struct virtio_backend {
	int in_fd;  /* rng: entropy source; console: terminal input */
	int out_fd; /* console: output */
};

struct virtio_device_type {
	const char *name;
	const struct virtio_device_ops *ops;
	/* Allocate the device's private state. 0 or -errno. */
	int (*create)(const struct virtio_backend *be, void **priv);
};

extern const struct virtio_device_type virtio_rng_type;
extern const struct virtio_device_type virtio_console_type;

/* The type called `name`, or NULL. */
const struct virtio_device_type *virtio_device_type_find(const char *name);

#endif

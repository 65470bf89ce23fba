/* virtio/registry.c — every virtio device type nimbus knows, by name. */
#include "virtio/registry.h"

#include <string.h>

static const struct virtio_device_type *const types[] = {
	&virtio_rng_type,
	&virtio_console_type,
};

const struct virtio_device_type *virtio_device_type_find(const char *name)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i]->name, name))
			return types[i];
	return NULL;
}

/* devices/debug_port.c — POST/debug port. See debug_port.h for the contract. */
#include "devices/debug_port.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>

#include "util/log.h"

struct debug_port {
	pthread_mutex_t lock;
	bool seen[DEBUG_PORT_NR_RANGES];
	int64_t first_ns[DEBUG_PORT_NR_RANGES];
	uint64_t count[DEBUG_PORT_NR_RANGES];
	struct log_ratelimit rl; /* per device, used under lock */
};

enum debug_port_range debug_port_classify(uint8_t code)
{
	return code >= 0x80 ? DEBUG_PORT_UNKNOWN : (enum debug_port_range)(code >> 5);
}

const char *debug_port_range_name(enum debug_port_range range)
{
	static const char *const names[DEBUG_PORT_NR_RANGES] = {
		"Firmware", "Bootloader", "Kernel", "Userspace", "Unknown",
	};

	if ((unsigned)range >= DEBUG_PORT_NR_RANGES)
		return "Unknown";
	return names[range];
}

static void debug_port_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		data[i] = 0xff;
}

/* Contract: only data[0] (the byte at 0x80) is a code; wider writes are
 * treated as a write of their first byte. */
static void debug_port_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct debug_port *dp = opaque;
	uint8_t code;
	enum debug_port_range r;
	int64_t ns;

	if (offset != 0 || len == 0)
		return;
	code = data[0];
	r = debug_port_classify(code);
	ns = log_elapsed_ns();
	if (ns < 0)
		ns = 0;
	pthread_mutex_lock(&dp->lock);
	bool first = !dp->seen[r];
	if (first) {
		dp->seen[r] = true;
		dp->first_ns[r] = ns;
	}
	dp->count[r]++;
	/* The first code of each range is the boot milestone: always logged.
	 * Later writes (Linux's io_delay uses this port too) are rate-limited
	 * debug output. */
	if (first)
		log_info("debug port: %s code 0x%02x at %" PRId64 ".%06" PRId64 " s", debug_port_range_name(r), code,
			 ns / 1000000000, (ns % 1000000000) / 1000);
	else
		log_ratelimited(&dp->rl, LOG_DEBUG, "debug port: %s code 0x%02x at %" PRId64 ".%06" PRId64 " s",
			debug_port_range_name(r), code, ns / 1000000000, (ns % 1000000000) / 1000);
	pthread_mutex_unlock(&dp->lock);
}

const struct bus_ops debug_port_bus_ops = {
	.read = debug_port_read,
	.write = debug_port_write,
};

bool debug_port_first_ns(struct debug_port *dp, enum debug_port_range range, int64_t *ns)
{
	bool seen;

	if ((unsigned)range >= DEBUG_PORT_NR_RANGES)
		return false;
	pthread_mutex_lock(&dp->lock);
	seen = dp->seen[range];
	if (seen && ns)
		*ns = dp->first_ns[range];
	pthread_mutex_unlock(&dp->lock);
	return seen;
}

uint64_t debug_port_count(struct debug_port *dp, enum debug_port_range range)
{
	uint64_t v;

	if ((unsigned)range >= DEBUG_PORT_NR_RANGES)
		return 0;
	pthread_mutex_lock(&dp->lock);
	v = dp->count[range];
	pthread_mutex_unlock(&dp->lock);
	return v;
}

int debug_port_create(struct debug_port **out)
{
	struct debug_port *dp;

	if (!out)
		return -EINVAL;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	if (pthread_mutex_init(&dp->lock, NULL) != 0) {
		free(dp);
		return -ENOMEM;
	}
	dp->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT;
	*out = dp;
	return 0;
}

void debug_port_destroy(struct debug_port *dp)
{
	if (!dp)
		return;
	pthread_mutex_destroy(&dp->lock);
	free(dp);
}

/* util/counter.h — statistics counters: one writer thread (a device's I/O
 * thread), any number of readers (the API's vm.counters). Relaxed atomics:
 * a reader may see a slightly stale value, never a torn one. */
#ifndef NIMBUS_UTIL_COUNTER_H
#define NIMBUS_UTIL_COUNTER_H

#include <stdatomic.h>
#include <stdint.h>

typedef _Atomic uint64_t counter_t;

static inline void counter_add(counter_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline uint64_t counter_get(const counter_t *c)
{
	return atomic_load_explicit((counter_t *)c, memory_order_relaxed);
}

#endif

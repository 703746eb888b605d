/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Just enough of the kernel API, in userspace, to build kernel/allowedips.c
 * and kernel/replay.h unchanged for unit tests.  Every <linux/...> header
 * those files include resolves to a stub in selftests/unit/include/linux/
 * that pulls in this file.
 *
 * Semantics are deliberately stricter than "no-op" where it helps catch
 * bugs: lockdep assertions check that the mutex is really held, WARN_ON
 * aborts, call_rcu() frees immediately (so ASan flags any writer touching
 * a node after unlinking it), and the slab keeps a live-object count and
 * can be told to fail allocations.  What selftests/crypto/shim.h needs
 * too (types, checks, min/max, bits, lists, RCU) is in kbase.h.
 */
#ifndef KSHIM_H
#define KSHIM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>

#include <linux/types.h>	/* the libc uapi one: __be32, __le64 ... */

#include "kbase.h"

#define be32_to_cpu(x) ntohl(x)
#define cpu_to_be32(x) htonl(x)
#define be16_to_cpu(x) ntohs(x)
#define cpu_to_be16(x) htons(x)

/* mutex + lockdep: "held" is tracked so the assertions mean something */
struct mutex {
	int held;
};

static inline void mutex_init(struct mutex *m)
{
	m->held = 0;
}

static inline void mutex_lock(struct mutex *m)
{
	KSHIM_CHECK(!m->held);
	m->held = 1;
}

static inline void mutex_unlock(struct mutex *m)
{
	KSHIM_CHECK(m->held);
	m->held = 0;
}

#define lockdep_is_held(m) ((m)->held)
#define lockdep_assert_held(m) KSHIM_CHECK(lockdep_is_held(m))

/* slab with a live-object count and fault injection */
typedef unsigned int gfp_t;
#define GFP_KERNEL 0u
#define GFP_ATOMIC 1u

struct kmem_cache {
	size_t size;
};

/*
 * Test-controlled state: allocations still allowed before failing
 * (negative: never fail), and objects currently allocated from caches.
 */
struct kshim_slab_state {
	long fail_after;
	long live;
};

extern struct kshim_slab_state kshim_slab;

static inline struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
						   unsigned int align, unsigned long flags,
						   void (*ctor)(void *obj))
{
	struct kmem_cache *c = calloc(1, sizeof(*c));

	(void)name;
	(void)align;
	(void)flags;
	(void)ctor;
	if (c)
		c->size = size;
	return c;
}

#define KMEM_CACHE(s, flags) \
	kmem_cache_create(#s, sizeof(struct s), __alignof__(struct s), flags, NULL)

static inline void *kmem_cache_zalloc(struct kmem_cache *c, gfp_t gfp)
{
	void *p;

	(void)gfp;
	KSHIM_CHECK(c);
	if (kshim_slab.fail_after == 0)
		return NULL;
	if (kshim_slab.fail_after > 0)
		--kshim_slab.fail_after;
	p = calloc(1, c->size);
	if (p)
		++kshim_slab.live;
	return p;
}

static inline void kmem_cache_free(struct kmem_cache *c, void *p)
{
	KSHIM_CHECK(c);
	if (p)
		--kshim_slab.live;
	free(p);
}

static inline void kmem_cache_destroy(struct kmem_cache *c)
{
	KSHIM_CHECK(kshim_slab.live == 0);
	free(c);
}

#endif /* KSHIM_H */

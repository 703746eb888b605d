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
 * can be told to fail allocations.
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

#include <linux/types.h>	/* the libc uapi one: __u8 .. __u64, __be32 */

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;

#define __rcu
#define __force
#define __must_check __attribute__((warn_unused_result))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define BITS_PER_LONG (__SIZEOF_LONG__ * 8)
#define U64_MAX UINT64_MAX
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define BUILD_BUG_ON(c) ((void)sizeof(char[1 - 2 * !!(c)]))

static inline void kshim_die(const char *what, const char *file, int line)
{
	fprintf(stderr, "kshim: %s at %s:%d\n", what, file, line);
	abort();
}

#define KSHIM_CHECK(c) \
	do { if (!(c)) kshim_die("check failed: " #c, __FILE__, __LINE__); } while (0)
#define WARN_ON(c) ({ bool __w = !!(c); if (__w) kshim_die("WARN_ON(" #c ")", __FILE__, __LINE__); __w; })
#define WARN_ON_ONCE(c) WARN_ON(c)
#define BUG_ON(c) do { if (c) kshim_die("BUG_ON(" #c ")", __FILE__, __LINE__); } while (0)

#define min(a, b) ({ __typeof__(a) __a = (a); __typeof__(b) __b = (b); __a < __b ? __a : __b; })
#define max(a, b) ({ __typeof__(a) __a = (a); __typeof__(b) __b = (b); __a > __b ? __a : __b; })
#define min3(a, b, c) min(min(a, b), c)
#define min_t(t, a, b) min((t)(a), (t)(b))
#define max_t(t, a, b) max((t)(a), (t)(b))

#define ALIGN(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

#define be32_to_cpu(x) ntohl(x)
#define cpu_to_be32(x) htonl(x)
#define be16_to_cpu(x) ntohs(x)
#define cpu_to_be16(x) htons(x)

/* bitops */
static inline int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

static inline bool __test_and_set_bit(unsigned long nr, unsigned long *addr)
{
	unsigned long *w = addr + nr / BITS_PER_LONG;
	unsigned long m = 1UL << (nr % BITS_PER_LONG);
	bool old = *w & m;

	*w |= m;
	return old;
}

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return addr[nr / BITS_PER_LONG] & (1UL << (nr % BITS_PER_LONG));
}

/* lists */
struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline void __list_link(struct list_head *n, struct list_head *prev, struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *h)
{
	__list_link(n, h, h->next);
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	__list_link(n, h->prev, h);
}

static inline void __list_unlink(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
}

static inline void list_del(struct list_head *e)
{
	__list_unlink(e);
	e->next = NULL;	/* poison: any later use crashes */
	e->prev = NULL;
}

static inline void list_del_init(struct list_head *e)
{
	__list_unlink(e);
	INIT_LIST_HEAD(e);
}

static inline void list_move_tail(struct list_head *e, struct list_head *h)
{
	__list_unlink(e);
	list_add_tail(e, h);
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline bool list_is_last(const struct list_head *e, const struct list_head *h)
{
	return e->next == h;
}

#define list_entry(p, type, member) container_of(p, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_first_entry_or_null(h, type, member) \
	(list_empty(h) ? NULL : list_first_entry(h, type, member))
#define list_next_entry(pos, member) \
	list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_for_each_entry(pos, h, member) \
	for (pos = list_first_entry(h, __typeof__(*pos), member); \
	     &pos->member != (h); pos = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, h, member) \
	for (pos = list_first_entry(h, __typeof__(*pos), member), \
	     n = list_next_entry(pos, member); &pos->member != (h); \
	     pos = n, n = list_next_entry(n, member))

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

/* RCU: single-threaded tests, so readers need nothing and grace periods are instant */
struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

#define rcu_read_lock_bh() do { } while (0)
#define rcu_read_unlock_bh() do { } while (0)
#define rcu_dereference_bh(p) READ_ONCE(p)
#define rcu_dereference_protected(p, c) ({ KSHIM_CHECK(c); (p); })
#define rcu_access_pointer(p) READ_ONCE(p)
#define rcu_assign_pointer(p, v) WRITE_ONCE(p, v)
#define RCU_INIT_POINTER(p, v) ((p) = (v))

static inline void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	func(head);
}

static inline void rcu_barrier(void)
{
}

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

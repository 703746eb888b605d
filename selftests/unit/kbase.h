/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel API stand-ins every userspace build of kernel code shares:
 * selftests/unit/kshim.h (the pure files: allowedips, replay, pathsel,
 * stun, probemsg, the rate limiter) and selftests/crypto/shim.h (noise.c,
 * cookie.c) both include it, and so do the fuzz targets built on them.
 * Integer types, compiler annotations, checks that abort, min/max, bit
 * and list helpers, and RCU for single-threaded tests (readers need
 * nothing, grace periods are immediate, so ASan sees any use after
 * call_rcu()).  Locks, allocation and time differ between the two users
 * and stay in their own shims.
 */
#ifndef KBASE_H
#define KBASE_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the kernel's own definitions (u64 is unsigned long long, as in printk) */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

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

#endif /* KBASE_H */

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace stand-ins so kernel/noise.c and kernel/cookie.c build unchanged:
 * force-included; every <linux/...> header they name is an empty file.
 * Single-threaded: locks only record their state for the assertions,
 * RCU grace periods are immediate.  X25519 and (X)ChaCha20-Poly1305 come
 * from libsodium, BLAKE2s from selftests/unit/include/crypto/blake2s.h;
 * the general kernel API (types, min/max, lists, RCU) from
 * selftests/unit/kbase.h, shared with the unit tests' kshim.h.
 */
/* kernel/compat.h maps kernel API versions: nothing to map here. */
#define _WGM_COMPAT_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <assert.h>
#include <time.h>
#include <endian.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sodium.h>

#include "../unit/kbase.h"

void shim_random(void *p, size_t n);

typedef uint32_t __le32;
typedef uint64_t __le64;
typedef uint16_t __be16;
typedef uint32_t __be32;
typedef uint64_t __be64;

#define __packed __attribute__((packed))
#define __ro_after_init
#define __init
#define __aligned(x) __attribute__((aligned(x)))
#define HZ 250
#define NSEC_PER_SEC 1000000000ULL
#define BIT(n) (1UL << (n))
#define round_down(x, y) ((x) & ~((__typeof__(x))((y) - 1)))
static inline unsigned long rounddown_pow_of_two(unsigned long n)
{
	return 1UL << (63 - __builtin_clzl(n));
}

#define cpu_to_le32(x) htole32(x)
#define le32_to_cpu(x) le32toh(x)

static inline void put_unaligned_be64(u64 v, void *p)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static inline void put_unaligned_be32(u32 v, void *p)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

/* locks: single-threaded test, only track state for the asserts */
typedef struct { int held; } spinlock_t;
typedef struct { int held; } rwlock_t;
struct rw_semaphore { int readers, writer; };
struct mutex { int held; };
#define spin_lock_init(l) ((l)->held = 0)
#define spin_lock_bh(l) (assert(!(l)->held), (l)->held = 1)
#define spin_unlock_bh(l) (assert((l)->held), (l)->held = 0)
#define spin_lock(l) spin_lock_bh(l)
#define spin_unlock(l) spin_unlock_bh(l)
#define init_rwsem(s) ((s)->readers = 0, (s)->writer = 0)
#define down_read(s) (assert(!(s)->writer), (s)->readers++)
#define up_read(s) (assert((s)->readers > 0), (s)->readers--)
#define down_write(s) (assert(!(s)->writer && !(s)->readers), (s)->writer = 1)
#define up_write(s) (assert((s)->writer), (s)->writer = 0)
#define downgrade_write(s) (assert((s)->writer), (s)->writer = 0, (s)->readers = 1)
#define lockdep_assert_held_write(s) assert((s)->writer)
#define lockdep_assert_held(s) assert((s)->writer || (s)->readers)
#define lockdep_is_held(l) ((l)->held)

struct kref { int refcount; };
#define kref_init(k) ((k)->refcount = 1)
#define kref_get(k) ((k)->refcount++)
static inline bool kref_get_unless_zero(struct kref *k)
{
	if (!k->refcount)
		return false;
	k->refcount++;
	return true;
}

static inline int kref_put(struct kref *k, void (*release)(struct kref *))
{
	if (--k->refcount == 0) {
		release(k);
		return 1;
	}
	return 0;
}

typedef struct { s64 counter; } atomic64_t;
#define ATOMIC64_INIT(v) { (v) }
#define atomic64_set(a, v) ((a)->counter = (v))
#define atomic64_read(a) ((a)->counter)
#define atomic64_inc_return(a) (++(a)->counter)

struct hlist_node { struct hlist_node *next, **pprev; };
struct hlist_head { struct hlist_node *first; };
struct hlist_nulls_node { struct hlist_nulls_node *next, **pprev; };
struct timer_list { int x; };
struct work_struct { int x; };
struct sk_buff_head { int x; };
struct dst_cache { int x; };
struct gro_cells { int x; };
struct ratelimit_state { int x; };
struct timespec64 { s64 tv_sec; long tv_nsec; };
struct net { int x; };
struct net_device { char name[16]; struct net *net; };
struct workqueue_struct;
struct sock;

struct sk_buff {
	u8 *data;
	unsigned int len;
	__be16 protocol;
	u8 *network_header;
	u8 *transport_header;
};

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
struct iphdr { u8 vihl, tos; u16 tot_len, id, frag_off; u8 ttl, protocol; u16 check; __be32 saddr, daddr; };
struct ipv6hdr { u8 x[8]; struct in6_addr saddr, daddr; };
struct udphdr { __be16 source, dest, len, check; };
static inline struct iphdr *ip_hdr(const struct sk_buff *skb) { return (void *)skb->network_header; }
static inline struct ipv6hdr *ipv6_hdr(const struct sk_buff *skb) { return (void *)skb->network_header; }
static inline struct udphdr *udp_hdr(const struct sk_buff *skb) { return (void *)skb->transport_header; }
static inline unsigned int skb_headlen(const struct sk_buff *skb) { return skb->len; }
static inline struct net *dev_net(const struct net_device *d) { return d->net; }
#define net_dbg_ratelimited(...) fprintf(stderr, __VA_ARGS__)

/* RCU: grace periods are immediate in this single-threaded test */
#define RCU_LOCKDEP_WARN(c, s) do { } while (0)

extern int shim_allocs;
static inline void *kzalloc(size_t n, int gfp) { (void)gfp; shim_allocs++; return calloc(1, n); }
static inline void kfree_sensitive(void *p) { if (p) shim_allocs--; free(p); }
#define GFP_KERNEL 0

extern u64 shim_now_ns;
extern struct timespec64 shim_real;
static inline u64 ktime_get_coarse_boottime_ns(void) { return shim_now_ns; }
static inline void ktime_get_real_ts64(struct timespec64 *t) { *t = shim_real; }
static inline void get_random_bytes(void *p, size_t n) { shim_random(p, n); }
static inline u32 get_random_u32(void) { u32 v; shim_random(&v, 4); return v; }

/*
 * BLAKE2s, crypto_memneq() and memzero_explicit(): the unit tests' kernel
 * crypto stand-ins, shared (selftests/unit/include/crypto).
 */
#include "../unit/include/crypto/algapi.h"
#include "../unit/include/crypto/blake2s.h"

/* the rest of the crypto via libsodium */
enum { CHACHA20POLY1305_KEY_SIZE = 32, CHACHA20POLY1305_AUTHTAG_SIZE = 16,
	XCHACHA20POLY1305_NONCE_SIZE = 24 };
enum { CURVE25519_KEY_SIZE = 32 };
static inline bool curve25519(u8 out[32], const u8 priv[32], const u8 pub[32])
{
	return crypto_scalarmult(out, priv, pub) == 0;
}
static inline void curve25519_clamp_secret(u8 s[32]) { s[0] &= 248; s[31] = (s[31] & 127) | 64; }
static inline void curve25519_generate_secret(u8 s[32]) { shim_random(s, 32); curve25519_clamp_secret(s); }
static inline bool curve25519_generate_public(u8 pub[32], const u8 priv[32])
{
	return crypto_scalarmult_base(pub, priv) == 0;
}
void chacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t len, const u8 *ad, size_t adlen,
			      u64 nonce, const u8 *key);
bool chacha20poly1305_decrypt(u8 *dst, const u8 *src, size_t len, const u8 *ad, size_t adlen,
			      u64 nonce, const u8 *key);
void xchacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t len, const u8 *ad, size_t adlen,
			       const u8 *nonce, const u8 *key);
bool xchacha20poly1305_decrypt(u8 *dst, const u8 *src, size_t len, const u8 *ad, size_t adlen,
			       const u8 *nonce, const u8 *key);

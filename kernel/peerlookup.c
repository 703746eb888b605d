// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-device lookup tables.
 *
 * Peers by public key: a fixed array of RCU hlist buckets, the bucket is
 * chosen with SipHash under a per-table random key so that remote parties
 * cannot aim keys at one bucket.  Only configuration changes it, under
 * the device's device_update_lock.
 *
 * Handshakes and sessions by our receiver index: the indices are random
 * 32-bit numbers we pick ourselves, so the low bits spread evenly and pick
 * the bucket directly.  Entries appear and vanish from the handshake and
 * key-rotation paths in any context, so the table has its own spinlock
 * (taken with bottom halves disabled); readers use RCU.
 */

#include <linux/slab.h>
#include <linux/rculist.h>
#include <linux/rculist_nulls.h>
#include <linux/siphash.h>
#include <linux/random.h>
#include <linux/spinlock.h>
#include <crypto/algapi.h>

#include "peerlookup.h"
#include "peer.h"
#include "device.h"

#define WGM_PUBKEY_BUCKET_BITS	11
#define WGM_INDEX_BUCKET_BITS	13

struct wgm_pubkey_hashtable {
	siphash_key_t seed;
	struct hlist_head buckets[1 << WGM_PUBKEY_BUCKET_BITS];
};

struct wgm_index_hashtable {
	spinlock_t lock;	/* serialises writers */
	struct hlist_nulls_head buckets[1 << WGM_INDEX_BUCKET_BITS];
};

static struct hlist_head *wgm_pubkey_bucket(struct wgm_pubkey_hashtable *table,
					    const u8 pubkey[WGM_KEY_BYTES])
{
	u64 h = siphash(pubkey, WGM_KEY_BYTES, &table->seed);

	return &table->buckets[h & ((1 << WGM_PUBKEY_BUCKET_BITS) - 1)];
}

struct wgm_pubkey_hashtable *wgm_pubkey_hashtable_alloc(void)
{
	struct wgm_pubkey_hashtable *table;
	unsigned int i;

	table = kvmalloc(sizeof(*table), GFP_KERNEL);
	if (!table)
		return NULL;
	get_random_bytes(&table->seed, sizeof(table->seed));
	for (i = 0; i < ARRAY_SIZE(table->buckets); i++)
		INIT_HLIST_HEAD(&table->buckets[i]);
	return table;
}

void wgm_pubkey_hashtable_free(struct wgm_pubkey_hashtable *table)
{
	unsigned int i;

	if (!table)
		return;
	for (i = 0; i < ARRAY_SIZE(table->buckets); i++)
		WARN_ON(!hlist_empty(&table->buckets[i]));
	kvfree(table);
}

/* Must hold peer->device->device_update_lock. */
void wgm_pubkey_hashtable_add(struct wgm_pubkey_hashtable *table, struct wgm_peer *peer)
{
	lockdep_assert_held(&peer->device->device_update_lock);
	hlist_add_head_rcu(&peer->pubkey_hash,
			   wgm_pubkey_bucket(table, peer->handshake.remote_static));
}

/*
 * Must hold peer->device->device_update_lock.  A peer leaves this table
 * once, when it is removed, and never comes back (a re-added key is a new
 * peer), so readers standing on it never stray into another bucket.
 */
void wgm_pubkey_hashtable_remove(struct wgm_pubkey_hashtable *table, struct wgm_peer *peer)
{
	lockdep_assert_held(&peer->device->device_update_lock);
	hlist_del_init_rcu(&peer->pubkey_hash);
}

struct wgm_peer *wgm_pubkey_hashtable_lookup(struct wgm_pubkey_hashtable *table,
					     const u8 pubkey[WGM_KEY_BYTES])
{
	struct hlist_head *bucket = wgm_pubkey_bucket(table, pubkey);
	struct wgm_peer *iter, *found = NULL;

	rcu_read_lock_bh();
	hlist_for_each_entry_rcu_bh(iter, bucket, pubkey_hash) {
		if (!crypto_memneq(iter->handshake.remote_static, pubkey, WGM_KEY_BYTES)) {
			found = wgm_peer_get_maybe_zero(iter);
			break;
		}
	}
	rcu_read_unlock_bh();
	return found;
}

/*
 * The index table's buckets are hlist_nulls lists whose end marker carries
 * the bucket's number.  The rule that makes this necessary: an entry may be
 * moved to another bucket (a handshake that starts again takes a fresh
 * index) while an RCU reader stands on it, without waiting for a grace
 * period.  Such a reader then follows the moved entry's next pointer into
 * the other bucket and would miss the rest of its own; it notices, because
 * the end marker it reaches is not its bucket's, and starts over.  Entries
 * are only ever freed after a grace period, so the detour itself is safe.
 */
static unsigned int wgm_index_bucket_nr(__le32 index)
{
	return (__force u32)index & ((1U << WGM_INDEX_BUCKET_BITS) - 1);
}

struct wgm_index_hashtable *wgm_index_hashtable_alloc(void)
{
	struct wgm_index_hashtable *table;
	unsigned int i;

	table = kvmalloc(sizeof(*table), GFP_KERNEL);
	if (!table)
		return NULL;
	spin_lock_init(&table->lock);
	for (i = 0; i < ARRAY_SIZE(table->buckets); i++)
		INIT_HLIST_NULLS_HEAD(&table->buckets[i], i);
	return table;
}

void wgm_index_hashtable_free(struct wgm_index_hashtable *table)
{
	unsigned int i;

	if (!table)
		return;
	for (i = 0; i < ARRAY_SIZE(table->buckets); i++)
		WARN_ON(!hlist_nulls_empty(&table->buckets[i]));
	kvfree(table);
}

/* Must hold table->lock. */
static bool wgm_index_in_use(struct wgm_index_hashtable *table, __le32 index)
{
	struct hlist_nulls_node *pos;
	struct wgm_index_entry *iter;

	lockdep_assert_held(&table->lock);
	hlist_nulls_for_each_entry(iter, pos, &table->buckets[wgm_index_bucket_nr(index)],
				   index_hash) {
		if (iter->index == index)
			return true;
	}
	return false;
}

__le32 wgm_index_hashtable_insert(struct wgm_index_hashtable *table,
				  struct wgm_index_entry *entry)
{
	__le32 index;

	spin_lock_bh(&table->lock);
	/*
	 * An entry that is inserted again gets a fresh index, and so most
	 * likely another bucket: see the rule above the bucket helpers.
	 */
	hlist_nulls_del_init_rcu(&entry->index_hash);
	/*
	 * The table holds at most a few entries per peer, far below 2^32:
	 * a collision is rare and a retry almost always succeeds.
	 */
	do {
		index = (__force __le32)get_random_u32();
	} while (wgm_index_in_use(table, index));
	WRITE_ONCE(entry->index, index);
	hlist_nulls_add_head_rcu(&entry->index_hash,
				 &table->buckets[wgm_index_bucket_nr(index)]);
	spin_unlock_bh(&table->lock);
	return index;
}

bool wgm_index_hashtable_replace(struct wgm_index_hashtable *table,
				 struct wgm_index_entry *old,
				 struct wgm_index_entry *new)
{
	bool replaced = false;

	spin_lock_bh(&table->lock);
	if (!hlist_nulls_unhashed(&old->index_hash)) {
		/*
		 * Same index, same bucket: @new goes in first, then @old
		 * leaves with its next pointer intact, so a reader standing
		 * on @old still walks on through the bucket.  For a moment
		 * both are listed; they differ in type, and lookups ask
		 * for one type.
		 */
		WRITE_ONCE(new->index, old->index);
		hlist_nulls_add_head_rcu(&new->index_hash,
					 &table->buckets[wgm_index_bucket_nr(old->index)]);
		hlist_nulls_del_init_rcu(&old->index_hash);
		replaced = true;
	}
	spin_unlock_bh(&table->lock);
	return replaced;
}

void wgm_index_hashtable_remove(struct wgm_index_hashtable *table,
				struct wgm_index_entry *entry)
{
	spin_lock_bh(&table->lock);
	hlist_nulls_del_init_rcu(&entry->index_hash);
	spin_unlock_bh(&table->lock);
}

struct wgm_index_entry *wgm_index_hashtable_lookup(struct wgm_index_hashtable *table,
						   enum wgm_index_type type_mask,
						   __le32 index, struct wgm_peer **peer)
{
	unsigned int nr = wgm_index_bucket_nr(index);
	struct wgm_index_entry *iter, *found = NULL;
	struct hlist_nulls_node *pos;

	*peer = NULL;
	rcu_read_lock_bh();
again:
	hlist_nulls_for_each_entry_rcu(iter, pos, &table->buckets[nr], index_hash) {
		if (READ_ONCE(iter->index) != index || !(iter->type & type_mask))
			continue;
		*peer = wgm_peer_get_maybe_zero(iter->peer);
		if (*peer)
			found = iter;
		goto out;
	}
	/* ended in another bucket's list: an entry moved under us */
	if (get_nulls_value(pos) != nr)
		goto again;
out:
	rcu_read_unlock_bh();
	return found;
}

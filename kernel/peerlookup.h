/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-device hashtables: peers by public key, and handshakes/sessions by
 * our 32-bit receiver index (what incoming messages name).
 *
 * Writers must hold wg->device_update_lock for the pubkey table; the index
 * table has its own spinlock (entries come and go from the handshake path).
 * Lookups run under RCU (rcu_read_lock_bh) and return a peer reference.
 */
#ifndef _WGM_PEERLOOKUP_H
#define _WGM_PEERLOOKUP_H

#include "noise.h"

struct wgm_peer;

struct wgm_pubkey_hashtable *wgm_pubkey_hashtable_alloc(void);
void wgm_pubkey_hashtable_free(struct wgm_pubkey_hashtable *table);	/* must be empty */
void wgm_pubkey_hashtable_add(struct wgm_pubkey_hashtable *table, struct wgm_peer *peer);
void wgm_pubkey_hashtable_remove(struct wgm_pubkey_hashtable *table, struct wgm_peer *peer);
/* returns a reference, or NULL */
struct wgm_peer *wgm_pubkey_hashtable_lookup(struct wgm_pubkey_hashtable *table,
					     const u8 pubkey[WGM_KEY_BYTES]);

struct wgm_index_hashtable *wgm_index_hashtable_alloc(void);
void wgm_index_hashtable_free(struct wgm_index_hashtable *table);	/* must be empty */
/* picks a fresh random index unused in @table, stores it in entry->index */
__le32 wgm_index_hashtable_insert(struct wgm_index_hashtable *table,
				  struct wgm_index_entry *entry);
/* @new takes over @old's index; false if @old was no longer hashed */
bool wgm_index_hashtable_replace(struct wgm_index_hashtable *table,
				 struct wgm_index_entry *old,
				 struct wgm_index_entry *new);
void wgm_index_hashtable_remove(struct wgm_index_hashtable *table,
				struct wgm_index_entry *entry);
/*
 * Finds the entry with @index whose type is in @type_mask; on success
 * *@peer is set to its peer with a reference held.  Caller then holds
 * no lock; the entry stays valid as long as the peer reference does not
 * outlive it (keypairs are pinned separately with wgm_noise_keypair_get()).
 */
struct wgm_index_entry *wgm_index_hashtable_lookup(struct wgm_index_hashtable *table,
						   enum wgm_index_type type_mask,
						   __le32 index, struct wgm_peer **peer);

#endif /* _WGM_PEERLOOKUP_H */

/* SPDX-License-Identifier: MIT */
/*
 * flowtable.h - fixed-capacity flow table with per-entry expiry.
 *
 * The building block of the firewall (connection tracking), NAT (bindings)
 * and load balancer (sticky flows).
 *
 * - Capacity is fixed at creation; all memory is taken then (entries +
 *   buckets, reported by ft_memory()).  Nothing is allocated afterwards.
 * - Lookup, insert and delete are O(1): a key hashes to a 64-byte bucket of
 *   8 signature slots; a full bucket spills into the next ones, with an
 *   overflow count so lookups stop at the first bucket that never spilled
 *   (and a small filter of what spilled, so a miss rarely reads a second
 *   bucket).  Buckets are sized for <= 75% slot occupancy when full.
 * - Both directions: the table stores a key as inserted; ft_lookup() finds
 *   it from either that key or its reverse, and says which (FT_DIR_*).  One
 *   entry per connection, not two.  Functions that rewrite addresses (NAT)
 *   insert a second key for the translated tuple and link the two through
 *   `user` data.
 * - Expiry: each entry has a deadline.  Refreshing it on a hit is one store
 *   (ft_touch).  A timer wheel visits entries near their deadline and deletes
 *   the ones that really expired (re-filing those refreshed meanwhile); a
 *   lookup that finds an expired entry that the wheel has not reached yet
 *   treats it as a miss, so timeouts are exact to the tick regardless of how
 *   far the wheel has got.  An entry is live while now's tick is before its
 *   deadline: alive at deadline - 1, expired at the deadline tick.
 * - Only ft_expire deletes expired entries, so every entry that expires is
 *   reported to its callback exactly once (a NAT returns its port there).
 *   Until the wheel reaches it, an expired entry is invisible: lookups miss,
 *   and ft_insert of the same key succeeds with a new entry.  It still
 *   occupies its index and counts in ft_count()/ft_next() until then; call
 *   ft_expire every loop turn and -SYS_ENOSPC stays about live entries.
 * - Shortening a deadline with ft_touch takes effect at once for lookups,
 *   but the wheel reaps the entry only where it was filed before (up to the
 *   old deadline): its slot stays taken until then.  ft_set_deadline
 *   re-files the entry (O(1)) when its deadline moves earlier, so it leaves
 *   at the new deadline (a connection that closes gives its slot back after
 *   the short closing timeout, not the long established one).
 * - Time is whatever clock the caller passes as `now` (nanoseconds); tests
 *   and pcap replay drive it explicitly.
 *
 * Entries are addressed by a stable index in [0, capacity); a function may
 * keep its own per-flow arrays of that size next to the table.
 * Single-threaded: one table per core, no locks.
 */
#ifndef NFB_FLOWTABLE_H
#define NFB_FLOWTABLE_H

#include "dataplane/flow.h"

#define FT_MISS (-1)
#define FT_DIR_ORIG 0   /* key equals the inserted key */
#define FT_DIR_REPLY 1  /* key equals the reverse of the inserted key */

/* Time resolution of deadlines: 2^20 ns (about 1.05 ms). */
#define FT_TICK_SHIFT 20

struct ft_entry {
	struct flow_key key;    /* as inserted */
	uint32_t deadline;      /* tick at which the entry expires */
	uint32_t hash;          /* flow_hash(key) */
	uint32_t wheel_next;    /* timer wheel links (entry indices) */
	uint32_t wheel_prev;
	uint64_t user;          /* the function's: state, a linked index, ... */
};
_Static_assert(sizeof(struct ft_entry) == 64, "one cache line per entry");

struct ft;

/* Called for each entry the wheel expires, before it is deleted. */
typedef void (*ft_expire_fn)(void *ctx, uint32_t idx, struct ft_entry *e);

/* Create a table for `capacity` entries (>= 1, <= 2^26).  NULL if memory is
 * short or capacity is out of range. */
struct ft *ft_create(uint32_t capacity);
void ft_destroy(struct ft *t);

uint32_t ft_capacity(const struct ft *t);
uint32_t ft_count(const struct ft *t);
/* Bytes used by entries, and by the index (buckets plus timer-wheel heads,
 * the wheel being at most 1/16 of a u32 per entry). */
void ft_memory(const struct ft *t, size_t *entry_bytes, size_t *bucket_bytes);

/* Deadlines compare by signed 32-bit difference: timeouts clamp here
 * (2^30 ticks, about 13 days). */
#define FT_TIMEOUT_MAX_TICKS (1u << 30)
/* A timeout_ns meaning "as far as the table allows" (FT_TIMEOUT_MAX_TICKS). */
#define FT_TIMEOUT_FAR UINT64_MAX

/* Convert a duration in nanoseconds to ticks (rounded up), clamped at
 * FT_TIMEOUT_MAX_TICKS: a longer duration, however long, is the longest
 * timeout, never one wrapped to 32 bits (2^62 ns would be 0 ticks, an
 * entry born expired). */
static inline uint32_t ft_ticks(uint64_t ns)
{
	if (ns >= (uint64_t)FT_TIMEOUT_MAX_TICKS << FT_TICK_SHIFT)
		return FT_TIMEOUT_MAX_TICKS;
	return (uint32_t)((ns + (1ull << FT_TICK_SHIFT) - 1) >> FT_TICK_SHIFT);
}

/* A configured timeout as the ticks to refresh and insert entries with, so
 * that it never fires early: one tick more than ft_ticks, because `now`
 * lies somewhere inside its tick and an entry expires at the start of its
 * deadline tick (without it, a 60 s timeout could end ~1 ms before 60 s;
 * RFC 4787 REQ-5 and RFC 5508 REQ-5 set minima).  It may fire up to two
 * ticks (~2.1 ms) late.  Functions convert their timeouts with this once,
 * at configure time, and insert with FT_TICKS_NS(ticks). */
static inline uint32_t ft_timeout_ticks(uint64_t ns)
{
	uint32_t t = ft_ticks(ns);
	return t < FT_TIMEOUT_MAX_TICKS ? t + 1 : t;
}
#define FT_TICKS_NS(ticks) ((uint64_t)(ticks) << FT_TICK_SHIFT)

/*
 * Find `k` (with its precomputed flow_hash) in either direction.  Returns
 * the entry index, and *dir = FT_DIR_ORIG or FT_DIR_REPLY (dir may be NULL);
 * FT_MISS if absent or if its deadline has passed at `now`.
 */
int32_t ft_lookup(struct ft *t, const struct flow_key *k, uint32_t hash, uint64_t now,
		  int *dir);

/* Look up n keys (n <= 64) with prefetching; idx[i] = index or FT_MISS.
 * Returns a bitmask of hits.  `hashes` may be NULL: the table then computes
 * flow_hash() of each key itself, overlapped with its bucket prefetches,
 * which is faster than hashing the whole batch first. */
uint64_t ft_lookup_bulk(struct ft *t, const struct flow_key *const *keys,
			const uint32_t *hashes, uint32_t n, uint64_t now, int32_t *idx);

/* ft_lookup_bulk that also says which way each hit matched: bit i of
 * *reply is set if keys[i] is the reverse of the stored key (FT_DIR_REPLY),
 * clear for FT_DIR_ORIG and for misses.  A caller that needs the direction
 * then need not compare the keys again. */
uint64_t ft_lookup_bulk_dir(struct ft *t, const struct flow_key *const *keys,
			    const uint32_t *hashes, uint32_t n, uint64_t now, int32_t *idx,
			    uint64_t *reply);

/*
 * Insert `k` with deadline now + timeout_ns (timeouts clamp at
 * FT_TIMEOUT_MAX_TICKS, about 13 days; FT_TIMEOUT_FAR asks for that).  Returns the new entry index, -SYS_EEXIST if the key
 * (either direction) is present and live, or -SYS_ENOSPC if all `capacity`
 * entries are in use.  `user` is stored in the entry.  `hash` must be the
 * same value for every call about one key; flow_hash() is the intended one
 * (both directions then hash alike).
 */
int32_t ft_insert(struct ft *t, const struct flow_key *k, uint32_t hash, uint64_t now,
		  uint64_t timeout_ns, uint64_t user);

/* Delete by index (the wheel and buckets are unlinked in O(1)).  Deleting a
 * free index, or one already deleted, is a no-op. */
void ft_delete(struct ft *t, uint32_t idx);

/* Early drop's choice in a full table: of the entries in the home bucket
 * of `hash` (the first an insert of that hash probes; its partner bucket
 * only if the home yields none), the one with the earliest deadline among
 * those `pick` accepts.  pick(ctx, idx) returns the entry that stands for
 * bucket entry idx (itself, or the entry its function keeps the deadline
 * in), or FT_MISS to pass it over.  Deleting the choice frees a slot on
 * the new key's own probe path, and looking no further keeps the cost of
 * a flood's every SYN at a cache line or two, as conntrack's early_drop
 * looks only at the new tuple's hash chain.  The chosen index, or FT_MISS. */
typedef int32_t (*ft_pick_fn)(void *ctx, uint32_t idx);
int32_t ft_near_oldest(struct ft *t, uint32_t hash, ft_pick_fn pick, void *ctx);

static inline struct ft_entry *ft_entry(struct ft *t, uint32_t idx);

/* The deadline of an entry refreshed at `now` for timeout_ticks. */
static inline uint32_t ft_deadline(uint64_t now, uint32_t timeout_ticks)
{
	return (uint32_t)(now >> FT_TICK_SHIFT) + timeout_ticks;
}

/* Refresh: the entry now expires at now + timeout (one store).  A caller
 * refreshing a burst of entries alike may compute ft_deadline() once and
 * store it in e->deadline itself: that is all this does. */
static inline void ft_touch(struct ft_entry *e, uint64_t now, uint32_t timeout_ticks)
{
	e->deadline = ft_deadline(now, timeout_ticks);
}

/* Set entry `idx`'s deadline to now + timeout_ticks.  When that is earlier
 * than its current deadline the entry is also moved to the wheel slot of the
 * new deadline (unlink + link, O(1)), so ft_expire deletes it then; a later
 * deadline is one store, as ft_touch.  For state changes that shorten a
 * timeout (cold path); per-packet refreshes use ft_touch. */
void ft_set_deadline(struct ft *t, uint32_t idx, uint64_t now, uint32_t timeout_ticks);

/*
 * Advance the timer wheel to `now`, deleting expired entries (calling `fn`
 * first, if not NULL).  Does at most `budget` entry visits so a loop turn
 * stays short; unfinished work continues on the next call.  Returns the
 * number of entries deleted.  Idle ticks are skipped 64 at a time and not
 * counted.  `fn` may delete or insert entries (the expiring one included);
 * whatever it leaves of the expiring entry is deleted when it returns.
 */
uint32_t ft_expire(struct ft *t, uint64_t now, uint32_t budget, ft_expire_fn fn, void *ctx);

/* When ft_expire next has work: the start (ns, on `now`'s clock) of the
 * earliest tick whose wheel slot holds an entry -- `now` or earlier if the
 * last call ran out of budget -- or FT_NEVER with no entry at all.  An entry refreshed since it
 * was filed makes this early, never late (ft_expire then re-files it and
 * this moves on).  O(ticks to that slot / 64): for an idle loop deciding
 * how long it may halt, not for every turn. */
#define FT_NEVER UINT64_MAX
uint64_t ft_next_expiry(const struct ft *t, uint64_t now);

/* Iterate entries in use (cold path: `flows` dumps, tests), expired ones
 * the wheel has not reaped included.  Returns the next index >= from, or
 * FT_MISS. */
int32_t ft_next(const struct ft *t, uint32_t from);

/* Verify every internal invariant (index <-> entries, spill counts, wheel
 * lists, free list) in O(capacity + buckets); allocates scratch memory.  For
 * tests and debugging only.  Returns 0, or a negative code naming the
 * first broken invariant (-SYS_ENOMEM if scratch memory is short). */
int ft_check(const struct ft *t);

/* ---- inline accessors ---------------------------------------------------- */
struct ft_public {
	struct ft_entry *entries;
};
static inline struct ft_entry *ft_entry(struct ft *t, uint32_t idx)
{
	/* struct ft begins with struct ft_public (see flowtable.c). */
	return &((struct ft_public *)t)->entries[idx];
}

#endif

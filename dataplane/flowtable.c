/* SPDX-License-Identifier: MIT */
/*
 * flowtable.c - the flow table of flowtable.h.
 *
 * Index: an array of 64-byte buckets, each with 8 slots (16-bit signature,
 * 32-bit entry index).  A key's home bucket comes from the high bits of its
 * hash (multiply-shift, so the bucket count need not be a power of two and
 * the table can sit at 75% slot occupancy when full), its signature from the
 * low 16 bits.  A full bucket spills into the following ones: first its
 * partner in the same 128-byte block (home ^ 1: same page, and fetched with
 * the home bucket), then linearly on.  `spill` counts the entries stored past
 * a bucket whose probe path crosses it, so a search stops at the first bucket
 * with spill == 0 and a delete decrements the counts it crosses.  No
 * tombstones: a freed slot is reusable at once and chains shrink as entries
 * leave.  Any probe order per home bucket keeps these counts exact; this one
 * makes the common one-step spill cost no extra memory round trip.
 *
 * With 8 slots at 75% occupancy a fifth of the buckets spill, and a miss
 * would follow every one of them.  So each bucket also keeps `passed`, a
 * 64-bit filter of the hashes that went past it (one bit per key, set on
 * insert, cleared when spill returns to 0): a search goes on only if its own
 * bit is set.  Bits are never cleared while a key that set them is still
 * past, so the filter can only err towards searching on.
 *
 * Entries: one cache line each, on a free list threaded through wheel_next
 * while free (wheel_prev == FT_FREE marks them).
 *
 * Timer wheel: W slots, one per tick, each a doubly linked list threaded
 * through the entries.  Invariant: every filed entry sits in the slot of a
 * tick in [cur, cur + W - 1], so a slot names exactly one tick.  An entry is
 * filed at its deadline, or at cur + W - 1 if that is further away; ft_touch
 * only moves the deadline, and when the wheel reaches the entry it is either
 * expired (deleted) or re-filed closer to its new deadline.  A list node
 * index >= capacity denotes a slot head, so unlinking needs no search.
 */
#include "dataplane/flowtable.h"

#define FT_SLOTS 8
#define FT_MAX_CAPACITY (1u << 26)
#define FT_BULK_MAX 64
#define FT_NIL 0xffffffffu
#define FT_FREE 0xfffffffeu  /* wheel_prev of a free entry */
#define FT_DYING 0xfffffffdu /* wheel_prev while the expire callback runs */
/* 1024 ticks ~ 1.07 s, 2^18 ticks ~ 4.6 min: an entry with a longer timeout
 * is revisited (and re-filed) once per wheel turn. */
#define FT_WHEEL_MIN 1024u
#define FT_WHEEL_MAX (1u << 18)

struct ft_bucket {
	uint16_t sig[FT_SLOTS];
	uint32_t idx[FT_SLOTS];
	uint32_t spill;
	uint8_t used; /* slot bitmap */
	uint8_t pad[3];
	uint64_t passed; /* filter of hashes stored past this bucket */
} sys_cache_aligned;
_Static_assert(sizeof(struct ft_bucket) == 64, "one cache line per bucket");

struct ft {
	struct ft_public pub; /* first: ft_entry() reads it */
	struct ft_bucket *buckets;
	uint32_t n_buckets;
	uint32_t capacity;
	uint32_t count;
	uint32_t free_head;
	uint32_t *wheel;       /* first entry of each slot, or FT_NIL */
	uint64_t *wheel_bits;  /* non-empty slots, to skip idle ticks fast */
	uint32_t wheel_mask;
	uint32_t wheel_cur;    /* next tick whose slot the wheel visits (it
				* stays on the latest tick ft_expire saw) */
	bool wheel_started;
};

/* ---- small pieces ---------------------------------------------------------- */

static inline uint32_t ft_home(const struct ft *t, uint32_t hash)
{
	return (uint32_t)(((uint64_t)hash * t->n_buckets) >> 32);
}

/* The bucket after `bi` on the probe path of home bucket `home`.  The path
 * visits every bucket once in n_buckets steps, then repeats. */
static inline uint32_t ft_bnext(const struct ft *t, uint32_t home, uint32_t bi)
{
	if (bi == home)
		return home ^ 1;
	if (bi == (home ^ 1))
		bi = home | 1;
	return ++bi == t->n_buckets ? 0 : bi;
}

static inline uint16_t ft_sig(uint32_t hash) { return (uint16_t)hash; }

/* A key's bit in `passed`: from all hash bits, since within one bucket only
 * the low ones vary. */
static inline uint64_t ft_pass_bit(uint32_t hash)
{
	return 1ull << ((hash * 0x9e3779b1u) >> 26);
}

/* Might a key with this bit be stored past `b`? */
static inline bool ft_goes_on(const struct ft_bucket *b, uint64_t bit)
{
	return (b->passed & bit) != 0;
}

static inline uint32_t ft_tick(uint64_t now) { return (uint32_t)(now >> FT_TICK_SHIFT); }

static inline bool ft_live(const struct ft_entry *e, uint32_t tick)
{
	return (int32_t)(e->deadline - tick) > 0;
}

/* SSE2 through vector extensions and builtins, not <emmintrin.h>: GCC 12's
 * intrinsics headers pull in <stdlib.h>, absent from a -nostdinc build. */
typedef short ft_v8hi __attribute__((vector_size(16)));
typedef char ft_v16qi __attribute__((vector_size(16)));

/* Slots of `b` holding signature `sig`, as a bitmap. */
static inline uint32_t ft_match(const struct ft_bucket *b, uint16_t sig)
{
	ft_v8hi s = *(const ft_v8hi *)b->sig;
	ft_v8hi eq = (ft_v8hi)(s == (short)sig);
	/* pcmpeqw, then a saturating pack turns each 0xffff/0 lane into one
	 * 0xff/0 byte for pmovmskb. */
	ft_v16qi packed = __builtin_ia32_packsswb128(eq, (ft_v8hi){0});
	return (uint32_t)__builtin_ia32_pmovmskb128(packed) & b->used;
}

/* 0: not this flow; 1 + FT_DIR_ORIG or 1 + FT_DIR_REPLY.  `q` is the query
 * key as words, `rtail` the tail of its reverse. */
static inline int ft_key_dir(const struct ft_entry *e, const uint64_t *q, uint64_t rtail)
{
	const uint64_t *s = (const uint64_t *)&e->key;
	if (((s[0] ^ q[0]) | (s[1] ^ q[1]) | (s[2] ^ q[2]) | (s[3] ^ q[3]) | (s[4] ^ q[4])) == 0)
		return 1 + FT_DIR_ORIG;
	if (((s[0] ^ q[2]) | (s[1] ^ q[3]) | (s[2] ^ q[0]) | (s[3] ^ q[1]) | (s[4] ^ rtail)) == 0)
		return 1 + FT_DIR_REPLY;
	return 0;
}

/* The same as ft_key_dir, for the bulk lookup's hot loop: the 32 address
 * bytes compare as two 16-byte vectors (one PTEST each way), and the
 * reverse tail is computed only when the key is not the stored one. */
typedef long long ft_v2di __attribute__((vector_size(16), aligned(8)));

static inline int ft_key_dir_v(const struct ft_entry *e, const uint64_t *q)
{
	const ft_v2di *s = (const ft_v2di *)&e->key, *k = (const ft_v2di *)q;
	const uint64_t *st = (const uint64_t *)&e->key;
	ft_v2di s0 = s[0], s1 = s[1], k0 = k[0], k1 = k[1];
	ft_v2di x = (s0 ^ k0) | (s1 ^ k1);
	if (st[4] == q[4] && __builtin_ia32_ptestz128(x, x))
		return 1 + FT_DIR_ORIG;
	x = (s0 ^ k1) | (s1 ^ k0);
	if (st[4] == flow_key_tail_reverse(q[4]) && __builtin_ia32_ptestz128(x, x))
		return 1 + FT_DIR_REPLY;
	return 0;
}

/* ---- timer wheel ------------------------------------------------------------- */

static inline uint32_t *ft_wnext(struct ft *t, uint32_t node)
{
	return node < t->capacity ? &t->pub.entries[node].wheel_next
				  : &t->wheel[node - t->capacity];
}

static void ft_wheel_link(struct ft *t, uint32_t i, uint32_t tick)
{
	uint32_t s = tick & t->wheel_mask;
	struct ft_entry *e = &t->pub.entries[i];
	uint32_t first = t->wheel[s];
	e->wheel_next = first;
	e->wheel_prev = t->capacity + s;
	if (first != FT_NIL)
		t->pub.entries[first].wheel_prev = i;
	else
		t->wheel_bits[s >> 6] |= 1ull << (s & 63);
	t->wheel[s] = i;
}

static void ft_wheel_unlink(struct ft *t, uint32_t i)
{
	struct ft_entry *e = &t->pub.entries[i];
	uint32_t prev = e->wheel_prev, next = e->wheel_next;
	*ft_wnext(t, prev) = next;
	if (next != FT_NIL)
		t->pub.entries[next].wheel_prev = prev;
	else if (prev >= t->capacity && t->wheel[prev - t->capacity] == FT_NIL) {
		uint32_t s = prev - t->capacity;
		t->wheel_bits[s >> 6] &= ~(1ull << (s & 63));
	}
}

/* The tick to file a deadline under, within the wheel's window. */
static inline uint32_t ft_file_tick(const struct ft *t, uint32_t deadline)
{
	int32_t d = (int32_t)(deadline - t->wheel_cur);
	if (d < 0)
		d = 0;
	if (d > (int32_t)t->wheel_mask)
		d = (int32_t)t->wheel_mask;
	return t->wheel_cur + (uint32_t)d;
}

/* Distance from slot `s` to the next non-empty slot, if it is <= span;
 * otherwise span + 1.  Reads one bitmap word per 64 idle ticks. */
static uint32_t ft_wheel_gap(const struct ft *t, uint32_t s, uint32_t span)
{
	uint32_t limit = span < t->wheel_mask ? span : t->wheel_mask;
	for (uint32_t d = 0; d <= limit;) {
		uint32_t pos = (s + d) & t->wheel_mask;
		uint64_t w = t->wheel_bits[pos >> 6] >> (pos & 63);
		if (w) {
			uint32_t r = d + (uint32_t)__builtin_ctzll(w);
			return r <= limit ? r : span + 1;
		}
		d += 64 - (pos & 63);
	}
	return span + 1;
}

/* ---- create / destroy ---------------------------------------------------------- */

struct ft *ft_create(uint32_t capacity)
{
	if (capacity == 0 || capacity > FT_MAX_CAPACITY)
		return NULL;
	struct ft *t = sys_alloc(sizeof(*t), SYS_CACHE_LINE);
	if (!t)
		return NULL;
	t->capacity = capacity;
	/* 6 of 8 slots per bucket when full: spills stay short.  Even, so
	 * every bucket has a partner. */
	t->n_buckets = ((capacity + 5) / 6 + 1) & ~1u;
	uint32_t w = FT_WHEEL_MIN;
	while (w < FT_WHEEL_MAX && w < capacity / 16)
		w <<= 1;
	t->wheel_mask = w - 1;

	t->pub.entries = sys_alloc((size_t)capacity * sizeof(struct ft_entry), SYS_CACHE_LINE);
	if (!t->pub.entries)
		goto fail_entries;
	t->buckets = sys_alloc((size_t)t->n_buckets * sizeof(struct ft_bucket),
			       2 * SYS_CACHE_LINE);
	if (!t->buckets)
		goto fail_buckets;
	t->wheel = sys_alloc((size_t)w * sizeof(uint32_t), SYS_CACHE_LINE);
	if (!t->wheel)
		goto fail_wheel;
	t->wheel_bits = sys_alloc(w / 8, SYS_CACHE_LINE);
	if (!t->wheel_bits)
		goto fail_bits;

	memset(t->wheel, 0xff, (size_t)w * sizeof(uint32_t));
	for (uint32_t i = 0; i < capacity; i++) {
		t->pub.entries[i].wheel_next = i + 1 < capacity ? i + 1 : FT_NIL;
		t->pub.entries[i].wheel_prev = FT_FREE;
	}
	t->free_head = 0;
	return t;

fail_bits:
	sys_free(t->wheel);
fail_wheel:
	sys_free(t->buckets);
fail_buckets:
	sys_free(t->pub.entries);
fail_entries:
	sys_free(t);
	return NULL;
}

void ft_destroy(struct ft *t)
{
	if (!t)
		return;
	sys_free(t->wheel_bits);
	sys_free(t->wheel);
	sys_free(t->buckets);
	sys_free(t->pub.entries);
	sys_free(t);
}

uint32_t ft_capacity(const struct ft *t) { return t->capacity; }
uint32_t ft_count(const struct ft *t) { return t->count; }

void ft_memory(const struct ft *t, size_t *entry_bytes, size_t *bucket_bytes)
{
	size_t w = (size_t)t->wheel_mask + 1;
	if (entry_bytes)
		*entry_bytes = (size_t)t->capacity * sizeof(struct ft_entry);
	if (bucket_bytes)
		*bucket_bytes = (size_t)t->n_buckets * sizeof(struct ft_bucket) +
				w * sizeof(uint32_t) + w / 8;
}

/* ---- lookup ----------------------------------------------------------------------- */

/* Search the probe path of `home` from bucket `bi` on.  Expired entries
 * are skipped, not returned and not deleted: a live entry with the same key
 * may sit further on (it was inserted after the old one expired), and the
 * old one is left for the wheel so its owner hears of it through the expire
 * callback.  Bounded by one lap: after deletes, every bucket might keep a
 * spill count. */
static int32_t ft_find(const struct ft *t, const uint64_t *q, uint32_t hash, uint32_t home,
		       uint32_t bi, uint32_t tick, int *dir)
{
	uint16_t sig = ft_sig(hash);
	uint64_t bit = ft_pass_bit(hash);
	for (uint32_t lap = t->n_buckets; lap; lap--) {
		const struct ft_bucket *b = &t->buckets[bi];
		for (uint32_t m = ft_match(b, sig); m; m &= m - 1) {
			uint32_t i = b->idx[__builtin_ctz(m)];
			const struct ft_entry *e = &t->pub.entries[i];
			int d = ft_key_dir(e, q, flow_key_tail_reverse(q[4]));
			if (d && ft_live(e, tick)) {
				if (dir)
					*dir = d - 1;
				return (int32_t)i;
			}
		}
		if (!ft_goes_on(b, bit))
			return FT_MISS;
		bi = ft_bnext(t, home, bi);
	}
	return FT_MISS;
}

int32_t ft_lookup(struct ft *t, const struct flow_key *k, uint32_t hash, uint64_t now,
		  int *dir)
{
	uint32_t home = ft_home(t, hash);
	return ft_find(t, (const uint64_t *)k, hash, home, home, ft_tick(now), dir);
}

/* First match among slots `m` of bucket `b` that is `q` (either
 * direction) and live, or FT_MISS; *dir says which direction. */
static inline int32_t ft_scan(const struct ft *t, const struct ft_bucket *b, uint32_t m,
			      const uint64_t *q, uint32_t tick, int *dir)
{
	for (; m; m &= m - 1) {
		uint32_t e = b->idx[__builtin_ctz(m)];
		int d = ft_key_dir_v(&t->pub.entries[e], q);
		if (d && ft_live(&t->pub.entries[e], tick)) {
			*dir = d - 1;
			return (int32_t)e;
		}
	}
	return FT_MISS;
}

/*
 * Passes over the batch, so the memory latency of one key overlaps the
 * others':
 *   1. hash if asked; prefetch the home bucket;
 *   2. match signatures; prefetch the entry the first match names (and
 *      keep its index), or the partner bucket if the home's filter says the
 *      key may be past;
 *   3. compare the key with that entry, then with any other match in the
 *      home bucket; a key that goes on to the partner has its candidate
 *      entry (or next bucket) prefetched and waits for
 *   4. the general search, by which time that line has arrived.
 * A full table sends 6% of hits and 1% of misses past the home bucket.  A
 * query key is not read unless a signature matches: a miss costs one bucket
 * line.
 */
static inline __attribute__((always_inline)) uint64_t
ft_lookup_bulk_(struct ft *t, const struct flow_key *const *keys, const uint32_t *hashes,
		uint32_t n, uint64_t now, int32_t *idx, uint64_t *reply)
{
	uint32_t bkt[FT_BULK_MAX], hs[FT_BULK_MAX], from[FT_BULK_MAX], first[FT_BULK_MAX];
	uint8_t cand[FT_BULK_MAX], later[FT_BULK_MAX];
	uint32_t tick = ft_tick(now), n_later = 0;
	uint64_t hits = 0, rep = 0;
	const struct ft_bucket *buckets = t->buckets;
	struct ft_entry *entries = t->pub.entries;

	if (n > FT_BULK_MAX)
		n = FT_BULK_MAX;
	if (hashes) {
		for (uint32_t i = 0; i < n; i++) {
			bkt[i] = ft_home(t, hashes[i]);
			sys_prefetch(&buckets[bkt[i]]);
		}
	} else {
		/* Hashing here lets each bucket's fetch start while the
		 * next keys are hashed, instead of after all of them. */
		for (uint32_t i = 0; i < n; i++) {
			hs[i] = flow_hash(keys[i]);
			bkt[i] = ft_home(t, hs[i]);
			sys_prefetch(&buckets[bkt[i]]);
		}
		hashes = hs;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct ft_bucket *b = &buckets[bkt[i]];
		uint32_t m = ft_match(b, ft_sig(hashes[i]));
		cand[i] = (uint8_t)m;
		if (likely(m)) {
			first[i] = b->idx[__builtin_ctz(m)];
			sys_prefetch(&entries[first[i]]);
		} else if (ft_goes_on(b, ft_pass_bit(hashes[i]))) {
			sys_prefetch(&buckets[bkt[i] ^ 1]);
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint64_t *q = (const uint64_t *)keys[i];
		uint32_t m = cand[i];
		int32_t r = FT_MISS;
		int d = FT_DIR_ORIG;
		if (likely(m)) {
			const struct ft_entry *e = &entries[first[i]];
			int kd = ft_key_dir_v(e, q);
			if (likely(kd && ft_live(e, tick))) {
				r = (int32_t)first[i];
				d = kd - 1;
			} else if (m & (m - 1)) {
				r = ft_scan(t, &buckets[bkt[i]], m & (m - 1), q, tick, &d);
			}
		}
		if (unlikely(r == FT_MISS)) {
			const struct ft_bucket *b = &buckets[bkt[i]];
			if (ft_goes_on(b, ft_pass_bit(hashes[i]))) {
				uint32_t pi = bkt[i] ^ 1;
				const struct ft_bucket *pb = &buckets[pi];
				uint32_t pm = ft_match(pb, ft_sig(hashes[i]));
				if (pm) {
					sys_prefetch(&entries[pb->idx[__builtin_ctz(pm)]]);
					from[n_later] = pi;
					later[n_later++] = (uint8_t)i;
				} else if (ft_goes_on(pb, ft_pass_bit(hashes[i]))) {
					from[n_later] = ft_bnext(t, bkt[i], pi);
					sys_prefetch(&buckets[from[n_later]]);
					later[n_later++] = (uint8_t)i;
				}
			}
		}
		idx[i] = r;
		hits |= (uint64_t)(r != FT_MISS) << i;
		rep |= (uint64_t)d << i;
	}
	for (uint32_t j = 0; j < n_later; j++) {
		uint32_t i = later[j];
		int d = FT_DIR_ORIG;
		int32_t r = ft_find(t, (const uint64_t *)keys[i], hashes[i], bkt[i], from[j], tick,
				    &d);
		idx[i] = r;
		hits |= (uint64_t)(r != FT_MISS) << i;
		rep |= (uint64_t)d << i;
	}
	if (reply)
		*reply = rep;
	return hits;
}

uint64_t ft_lookup_bulk(struct ft *t, const struct flow_key *const *keys,
			const uint32_t *hashes, uint32_t n, uint64_t now, int32_t *idx)
{
	return ft_lookup_bulk_(t, keys, hashes, n, now, idx, NULL);
}

uint64_t ft_lookup_bulk_dir(struct ft *t, const struct flow_key *const *keys,
			    const uint32_t *hashes, uint32_t n, uint64_t now, int32_t *idx,
			    uint64_t *reply)
{
	return ft_lookup_bulk_(t, keys, hashes, n, now, idx, reply);
}



/* ---- insert / delete ---------------------------------------------------------------- */

int32_t ft_insert(struct ft *t, const struct flow_key *k, uint32_t hash, uint64_t now,
		  uint64_t timeout_ns, uint64_t user)
{
	const uint64_t *q = (const uint64_t *)k;
	uint64_t rtail = flow_key_tail_reverse(q[4]);
	uint32_t tick = ft_tick(now);
	uint16_t sig = ft_sig(hash);
	uint64_t bit = ft_pass_bit(hash);
	uint32_t home = ft_home(t, hash), bi = home, dest = FT_NIL;

	/* One walk both proves the key absent and finds the first free slot
	 * on its probe path. */
	for (uint32_t lap = t->n_buckets; lap; lap--) {
		const struct ft_bucket *b = &t->buckets[bi];
		for (uint32_t m = ft_match(b, sig); m; m &= m - 1) {
			const struct ft_entry *e = &t->pub.entries[b->idx[__builtin_ctz(m)]];
			if (ft_key_dir(e, q, rtail) && ft_live(e, tick))
				return -SYS_EEXIST;
		}
		if (dest == FT_NIL && b->used != 0xff)
			dest = bi;
		if (!ft_goes_on(b, bit))
			break;
		bi = ft_bnext(t, home, bi);
	}
	if (t->free_head == FT_NIL)
		return -SYS_ENOSPC;
	/* Slots outnumber entries, so a free one exists while an entry is
	 * free: this walk ends. */
	if (dest == FT_NIL) {
		do
			bi = ft_bnext(t, home, bi);
		while (t->buckets[bi].used == 0xff);
		dest = bi;
	}
	for (bi = home; bi != dest; bi = ft_bnext(t, home, bi)) {
		t->buckets[bi].spill++;
		t->buckets[bi].passed |= bit;
	}

	uint32_t i = t->free_head;
	struct ft_entry *e = &t->pub.entries[i];
	t->free_head = e->wheel_next;
	e->key = *k;
	e->hash = hash;
	e->deadline = tick + ft_ticks(timeout_ns);
	e->user = user;
	if (!t->wheel_started) {
		t->wheel_cur = tick;
		t->wheel_started = true;
	}
	ft_wheel_link(t, i, ft_file_tick(t, e->deadline));

	struct ft_bucket *b = &t->buckets[dest];
	uint32_t s = (uint32_t)__builtin_ctz(~(uint32_t)b->used);
	b->sig[s] = sig;
	b->idx[s] = i;
	b->used |= (uint8_t)(1u << s);
	t->count++;
	return (int32_t)i;
}

/* Remove from the index: walk the probe path from the home bucket to the
 * slot, giving back the spill count of every bucket crossed. */
static void ft_unindex(struct ft *t, uint32_t idx, uint32_t hash)
{
	uint16_t sig = ft_sig(hash);
	uint32_t home = ft_home(t, hash), bi = home;
	for (;;) {
		struct ft_bucket *b = &t->buckets[bi];
		for (uint32_t m = ft_match(b, sig); m; m &= m - 1) {
			uint32_t s = (uint32_t)__builtin_ctz(m);
			if (b->idx[s] == idx) {
				b->used &= (uint8_t)~(1u << s);
				return;
			}
		}
		if (--b->spill == 0)
			b->passed = 0;
		bi = ft_bnext(t, home, bi);
	}
}

int32_t ft_near_oldest(struct ft *t, uint32_t hash, ft_pick_fn pick, void *ctx)
{
	uint32_t home = ft_home(t, hash), oldest = 0;
	int32_t best = FT_MISS;
	/* n_buckets is even: home ^ 1 exists. */
	for (uint32_t bi = home, lap = 0; lap < 2 && best == FT_MISS; bi = home ^ 1, lap++) {
		const struct ft_bucket *b = &t->buckets[bi];
		/* Every candidate is a cache miss under a flood (a full table
		 * of random keys): ask for all of them before pick reads the
		 * first, so the misses overlap. */
		for (uint32_t m = b->used; m; m &= m - 1)
			sys_prefetch(&t->pub.entries[b->idx[__builtin_ctz(m)]]);
		for (uint32_t m = b->used; m; m &= m - 1) {
			int32_t c = pick(ctx, b->idx[__builtin_ctz(m)]);
			if (c == FT_MISS)
				continue;
			uint32_t d = t->pub.entries[c].deadline;
			if (best == FT_MISS || (int32_t)(d - oldest) < 0) { /* wrap-safe */
				best = c;
				oldest = d;
			}
		}
	}
	return best;
}

void ft_delete(struct ft *t, uint32_t idx)
{
	if (idx >= t->capacity)
		return;
	struct ft_entry *e = &t->pub.entries[idx];
	if (e->wheel_prev == FT_FREE)
		return; /* already deleted (e.g. by an expire callback) */
	ft_unindex(t, idx, e->hash);
	if (e->wheel_prev != FT_DYING)
		ft_wheel_unlink(t, idx);
	e->wheel_prev = FT_FREE;
	e->wheel_next = t->free_head;
	t->free_head = idx;
	t->count--;
}

void ft_set_deadline(struct ft *t, uint32_t idx, uint64_t now, uint32_t timeout_ticks)
{
	struct ft_entry *e = &t->pub.entries[idx];
	uint32_t deadline = ft_tick(now) + SYS_MIN(timeout_ticks, FT_TIMEOUT_MAX_TICKS);
	bool earlier = (int32_t)(deadline - e->deadline) < 0;
	e->deadline = deadline;
	/* A free entry is on no list, and a dying one (inside the expire
	 * callback) is off the wheel already and deleted when it returns. */
	if (!earlier || e->wheel_prev == FT_FREE || e->wheel_prev == FT_DYING)
		return;
	ft_wheel_unlink(t, idx);
	ft_wheel_link(t, idx, ft_file_tick(t, deadline));
}

/* ---- expiry ---------------------------------------------------------------------------- */

uint32_t ft_expire(struct ft *t, uint64_t now, uint32_t budget, ft_expire_fn fn, void *ctx)
{
	uint32_t tick = ft_tick(now), deleted = 0;

	if (!t->wheel_started || t->count == 0) {
		/* Nothing filed: jump instead of walking idle ticks. */
		t->wheel_cur = tick;
		t->wheel_started = true;
		return 0;
	}
	/* The wheel stops on `tick`, not after it: an entry whose deadline is
	 * set to `tick` or earlier after this call (ft_set_deadline with a
	 * short timeout) is filed in that slot and reaped by the next call,
	 * not one tick late. */
	while ((int32_t)(tick - t->wheel_cur) >= 0) {
		uint32_t s = t->wheel_cur & t->wheel_mask;
		uint32_t i = t->wheel[s];
		if (i == FT_NIL) {
			uint32_t left = tick - t->wheel_cur;
			if (left == 0)
				break;
			uint32_t gap = ft_wheel_gap(t, s, left);
			t->wheel_cur += gap < left ? gap : left;
			continue;
		}
		if (budget == 0)
			break;
		budget--;
		struct ft_entry *e = &t->pub.entries[i];
		ft_wheel_unlink(t, i);
		if (ft_live(e, tick)) {
			/* Refreshed since it was filed: deadline > tick >= cur,
			 * so it lands in a later slot and this loop moves on. */
			ft_wheel_link(t, i, ft_file_tick(t, e->deadline));
			continue;
		}
		/* The callback may delete this or other entries, and insert
		 * (reusing this index); DYING tells us whether it is still
		 * ours to delete afterwards. */
		e->wheel_prev = FT_DYING;
		if (fn)
			fn(ctx, i, e);
		if (e->wheel_prev == FT_DYING)
			ft_delete(t, i);
		deleted++;
	}
	return deleted;
}

uint64_t ft_next_expiry(const struct ft *t, uint64_t now)
{
	if (t->count == 0)
		return FT_NEVER;
	if (!t->wheel_started)
		return now; /* entries, but the wheel has not run yet: run it now */
	uint32_t s = t->wheel_cur & t->wheel_mask;
	uint32_t gap = ft_wheel_gap(t, s, t->wheel_mask);
	/* Every entry is filed within the window, so some slot is taken;
	 * should none be (a bug), the wheel's turn is a safe time to look. */
	if (gap > t->wheel_mask)
		gap = t->wheel_mask;
	/* Ticks are 32-bit and wrap (every ~52 days): go through the signed
	 * distance from now's tick, in 64 bits. */
	int64_t ahead = (int32_t)(t->wheel_cur + gap - ft_tick(now));
	int64_t tick = (int64_t)(now >> FT_TICK_SHIFT) + ahead;
	return tick <= 0 ? 0 : (uint64_t)tick << FT_TICK_SHIFT;
}

/* ---- iteration ---------------------------------------------------------------------------- */

int32_t ft_next(const struct ft *t, uint32_t from)
{
	for (uint32_t i = from; i < t->capacity; i++)
		if (t->pub.entries[i].wheel_prev != FT_FREE)
			return (int32_t)i;
	return FT_MISS;
}

/* ---- consistency check (tests, debugging) ------------------------------------------------ */

int ft_check(const struct ft *t)
{
	const struct ft_entry *ent = t->pub.entries;
	int err = 0;
	/* Per bucket: the spill count its contents imply; per entry: how
	 * often the index names it. */
	uint32_t *spill = sys_alloc((size_t)t->n_buckets * sizeof(uint32_t), 8);
	uint8_t *seen = sys_alloc(t->capacity, 8);
	if (!spill || !seen) {
		err = -SYS_ENOMEM;
		goto out;
	}
	uint32_t used = 0;
	for (uint32_t bi = 0; bi < t->n_buckets; bi++) {
		const struct ft_bucket *b = &t->buckets[bi];
		for (uint32_t s = 0; s < FT_SLOTS; s++) {
			if (!(b->used & (1u << s)))
				continue;
			used++;
			uint32_t i = b->idx[s];
			if (i >= t->capacity || ent[i].wheel_prev == FT_FREE || seen[i]++ ||
			    b->sig[s] != ft_sig(ent[i].hash)) {
				err = -1;
				goto out;
			}
			uint32_t home = ft_home(t, ent[i].hash);
			for (uint32_t h = home; h != bi; h = ft_bnext(t, home, h)) {
				spill[h]++;
				if (!ft_goes_on(&t->buckets[h], ft_pass_bit(ent[i].hash))) {
					err = -9; /* the filter would hide it */
					goto out;
				}
			}
		}
	}
	if (used != t->count) {
		err = -2;
		goto out;
	}
	for (uint32_t bi = 0; bi < t->n_buckets; bi++)
		if (spill[bi] != t->buckets[bi].spill ||
		    (spill[bi] == 0 && t->buckets[bi].passed != 0)) {
			err = -3;
			goto out;
		}
	uint32_t filed = 0;
	for (uint32_t s = 0; s <= t->wheel_mask; s++) {
		bool bit = (t->wheel_bits[s >> 6] >> (s & 63)) & 1;
		if (bit != (t->wheel[s] != FT_NIL)) {
			err = -4;
			goto out;
		}
		uint32_t prev = t->capacity + s;
		for (uint32_t i = t->wheel[s]; i != FT_NIL; prev = i, i = ent[i].wheel_next) {
			if (i >= t->capacity || ent[i].wheel_prev != prev || !seen[i] ||
			    ++filed > t->count) {
				err = -5;
				goto out;
			}
		}
	}
	if (filed != t->count) {
		err = -6;
		goto out;
	}
	uint32_t n_free = 0;
	for (uint32_t i = t->free_head; i != FT_NIL; i = ent[i].wheel_next)
		if (i >= t->capacity || ent[i].wheel_prev != FT_FREE || ++n_free > t->capacity) {
			err = -7;
			goto out;
		}
	if (n_free + t->count != t->capacity)
		err = -8;
out:
	sys_free(seen);
	sys_free(spill);
	return err;
}

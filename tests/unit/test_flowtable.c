/* SPDX-License-Identifier: MIT */
/*
 * test_flowtable.c - the flow table: both directions, collisions and
 * spills, capacity, expiry on an explicit clock, iteration, and a
 * randomized differential test against a plain array model.
 *
 * The table takes the hash from the caller, so collisions are forced by
 * passing one hash for many keys: no test hook inside the table needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/flowtable.h"

#define TICK (1ull << FT_TICK_SHIFT)
#define SEC 1000000000ull

static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Distinct keys by number: n picks the v4 client address and ports. */
static struct flow_key key_n(uint32_t n)
{
	struct flow_key k;
	memset(&k, 0, sizeof(k));
	k.family = FLOW_FAMILY_V4;
	k.proto = 6;
	k.src.v4 = sys_htonl(0x0a000000u + n);
	k.dst.v4 = sys_htonl(0xc0a80101u);
	k.sport = sys_htons((uint16_t)(1024 + n % 50000));
	k.dport = sys_htons(443);
	return k;
}

static struct flow_key rev_of(const struct flow_key *k)
{
	struct flow_key r;
	flow_key_reverse(k, &r);
	return r;
}

static void check(const struct ft *t) { assert_int_equal(ft_check(t), 0); }

/* ---- basics --------------------------------------------------------------- */

static void test_create_limits_and_memory(void **state)
{
	(void)state;
	assert_null(ft_create(0));
	assert_null(ft_create((1u << 26) + 1));
	struct ft *t = ft_create(1000);
	assert_non_null(t);
	assert_int_equal(ft_capacity(t), 1000);
	assert_int_equal(ft_count(t), 0);
	size_t eb, bb;
	ft_memory(t, &eb, &bb);
	assert_int_equal(eb, 1000 * 64);
	/* Slots for the full table at <= 75% occupancy, plus a small wheel. */
	size_t buckets = (1000 + 5) / 6;
	assert_true(buckets * 8 * 3 >= 1000 * 4);
	assert_true(bb >= buckets * 64 && bb <= buckets * 64 + 8192);
	assert_int_equal(ft_next(t, 0), FT_MISS);
	check(t);
	ft_destroy(t);
	ft_destroy(NULL);

	t = ft_create(1);
	assert_non_null(t);
	struct flow_key k = key_n(1);
	assert_int_equal(ft_insert(t, &k, flow_hash(&k), 0, SEC, 5), 0);
	k = key_n(2);
	assert_int_equal(ft_insert(t, &k, flow_hash(&k), 0, SEC, 5), -SYS_ENOSPC);
	check(t);
	ft_destroy(t);
}

static void test_both_directions(void **state)
{
	(void)state;
	struct ft *t = ft_create(64);
	struct flow_key k = key_n(7), r = rev_of(&k);
	uint32_t h = flow_hash(&k);
	int32_t i = ft_insert(t, &k, h, 0, SEC, 0xfeedull);
	assert_true(i >= 0);
	assert_int_equal(ft_count(t), 1);
	struct ft_entry *e = ft_entry(t, (uint32_t)i);
	assert_memory_equal(&e->key, &k, sizeof(k));
	assert_int_equal(e->user, 0xfeed);
	assert_int_equal(e->hash, h);

	int dir = -1;
	assert_int_equal(ft_lookup(t, &k, h, 0, &dir), i);
	assert_int_equal(dir, FT_DIR_ORIG);
	assert_int_equal(ft_lookup(t, &r, flow_hash(&r), 0, &dir), i);
	assert_int_equal(dir, FT_DIR_REPLY);
	assert_int_equal(ft_lookup(t, &r, h, 0, NULL), i);

	/* Same 5-tuple, other zone / other proto / other port: misses. */
	struct flow_key z = k;
	z.zone = 1;
	assert_int_equal(ft_lookup(t, &z, flow_hash(&z), 0, NULL), FT_MISS);
	z = k, z.proto = 17;
	assert_int_equal(ft_lookup(t, &z, flow_hash(&z), 0, NULL), FT_MISS);
	z = k, z.dport = sys_htons(444);
	assert_int_equal(ft_lookup(t, &z, flow_hash(&z), 0, NULL), FT_MISS);
	/* Addresses reversed but ports not: a different flow. */
	z = k, z.src = k.dst, z.dst = k.src;
	assert_int_equal(ft_lookup(t, &z, flow_hash(&z), 0, NULL), FT_MISS);

	/* a:1->b:2 and a:2->b:1 hash alike but are distinct flows. */
	struct flow_key x = k;
	x.sport = k.dport, x.dport = k.sport;
	assert_int_equal(flow_hash(&x), h);
	int32_t j = ft_insert(t, &x, h, 0, SEC, 0);
	assert_true(j >= 0 && j != i);
	assert_int_equal(ft_lookup(t, &x, h, 0, &dir), j);
	assert_int_equal(dir, FT_DIR_ORIG);
	struct flow_key xr = rev_of(&x);
	assert_int_equal(ft_lookup(t, &xr, h, 0, &dir), j);
	assert_int_equal(dir, FT_DIR_REPLY);
	assert_int_equal(ft_lookup(t, &k, h, 0, &dir), i);
	assert_int_equal(dir, FT_DIR_ORIG);

	/* ICMP echo: the reply's key reverses to the request's. */
	struct flow_key echo = k;
	echo.proto = 1, echo.sport = sys_htons(77), echo.dport = 0;
	struct flow_key reply = echo;
	reply.src = echo.dst, reply.dst = echo.src;
	int32_t m = ft_insert(t, &echo, flow_hash(&echo), 0, SEC, 0);
	assert_true(m >= 0);
	assert_int_equal(ft_lookup(t, &reply, flow_hash(&reply), 0, &dir), m);
	assert_int_equal(dir, FT_DIR_REPLY);

	ft_delete(t, (uint32_t)i);
	assert_int_equal(ft_lookup(t, &k, h, 0, NULL), FT_MISS);
	assert_int_equal(ft_lookup(t, &r, h, 0, NULL), FT_MISS);
	assert_int_equal(ft_lookup(t, &x, h, 0, NULL), j);
	ft_delete(t, (uint32_t)i); /* twice: no-op */
	ft_delete(t, 1000);        /* out of range: no-op */
	assert_int_equal(ft_count(t), 2);
	check(t);
	ft_destroy(t);
}

static void test_eexist(void **state)
{
	(void)state;
	struct ft *t = ft_create(16);
	struct flow_key k = key_n(3), r = rev_of(&k);
	uint32_t h = flow_hash(&k);
	int32_t i = ft_insert(t, &k, h, 0, SEC, 1);
	assert_true(i >= 0);
	assert_int_equal(ft_insert(t, &k, h, 0, SEC, 2), -SYS_EEXIST);
	assert_int_equal(ft_insert(t, &r, h, 0, SEC, 3), -SYS_EEXIST);
	assert_int_equal(ft_count(t), 1);
	assert_int_equal(ft_entry(t, (uint32_t)i)->user, 1);
	/* After a delete the key can come back. */
	ft_delete(t, (uint32_t)i);
	assert_true(ft_insert(t, &r, h, 0, SEC, 4) >= 0);
	check(t);
	ft_destroy(t);
}

/* ---- collisions ------------------------------------------------------------- */

/* All keys share one hash: one home bucket, equal signatures, a spill
 * chain through the following buckets. */
static void test_collisions_spill_and_delete(void **state)
{
	(void)state;
	enum { CAP = 60, N = 60 };
	struct ft *t = ft_create(CAP); /* 10 buckets */
	const uint32_t H = 0x80000001u;
	int32_t idx[N];
	for (uint32_t n = 0; n < N; n++) {
		struct flow_key k = key_n(n);
		idx[n] = ft_insert(t, &k, H, 0, SEC, n);
		assert_true(idx[n] >= 0);
		assert_int_equal(ft_insert(t, &k, H, 0, SEC, n), -SYS_EEXIST);
	}
	check(t);
	struct flow_key k = key_n(N);
	assert_int_equal(ft_insert(t, &k, H, 0, SEC, 0), -SYS_ENOSPC);
	for (uint32_t n = 0; n < N; n++) {
		k = key_n(n);
		struct flow_key r = rev_of(&k);
		int dir;
		assert_int_equal(ft_lookup(t, &k, H, 0, &dir), idx[n]);
		assert_int_equal(dir, FT_DIR_ORIG);
		assert_int_equal(ft_lookup(t, &r, H, 0, &dir), idx[n]);
		assert_int_equal(dir, FT_DIR_REPLY);
	}
	/* A miss walks the whole chain and ends. */
	k = key_n(1000);
	assert_int_equal(ft_lookup(t, &k, H, 0, NULL), FT_MISS);

	/* Delete in a scrambled order; the rest stays reachable, spill counts
	 * stay exact (ft_check recomputes them). */
	rng_state = 42;
	uint32_t order[N];
	for (uint32_t n = 0; n < N; n++)
		order[n] = n;
	for (uint32_t n = N - 1; n > 0; n--) {
		uint32_t j = (uint32_t)(rnd() % (n + 1)), tmp = order[n];
		order[n] = order[j], order[j] = tmp;
	}
	for (uint32_t d = 0; d < N; d++) {
		ft_delete(t, (uint32_t)idx[order[d]]);
		if (d % 7 == 0)
			check(t);
		for (uint32_t n = 0; n < N; n++) {
			k = key_n(order[n]);
			assert_int_equal(ft_lookup(t, &k, H, 0, NULL), n <= d ? FT_MISS : idx[order[n]]);
		}
	}
	assert_int_equal(ft_count(t), 0);
	check(t);

	/* Re-fill after the chain emptied: all slots usable again. */
	for (uint32_t n = 0; n < N; n++) {
		k = key_n(n + 500);
		assert_true(ft_insert(t, &k, H, 0, SEC, 0) >= 0);
	}
	check(t);
	ft_destroy(t);
}

/* Different hashes in one home bucket and the last bucket: the spill
 * chain wraps to bucket 0, and keys homed there still work. */
static void test_spill_wraps(void **state)
{
	(void)state;
	struct ft *t = ft_create(48); /* 8 buckets */
	int32_t idx[24];
	for (uint32_t n = 0; n < 24; n++) {
		struct flow_key k = key_n(n);
		/* High bits pick the last bucket; low bits vary the signature. */
		uint32_t h = 0xffff0000u | n;
		idx[n] = ft_insert(t, &k, h, 0, SEC, 0);
		assert_true(idx[n] >= 0);
	}
	for (uint32_t n = 0; n < 4; n++) {
		struct flow_key k = key_n(100 + n);
		assert_true(ft_insert(t, &k, 0x00000000u | n, 0, SEC, 0) >= 0);
	}
	check(t);
	for (uint32_t n = 0; n < 24; n++) {
		struct flow_key k = key_n(n);
		assert_int_equal(ft_lookup(t, &k, 0xffff0000u | n, 0, NULL), idx[n]);
		/* Right key, wrong signature: not found. */
		assert_int_equal(ft_lookup(t, &k, 0xffff0000u | (n + 1000), 0, NULL), FT_MISS);
	}
	for (uint32_t n = 0; n < 24; n += 2)
		ft_delete(t, (uint32_t)idx[n]);
	check(t);
	for (uint32_t n = 1; n < 24; n += 2) {
		struct flow_key k = key_n(n);
		assert_int_equal(ft_lookup(t, &k, 0xffff0000u | n, 0, NULL), idx[n]);
	}
	ft_destroy(t);
}

/* ---- capacity -------------------------------------------------------------------- */

static void test_capacity_exhaustion(void **state)
{
	(void)state;
	enum { CAP = 1000 };
	struct ft *t = ft_create(CAP);
	int32_t idx[CAP];
	for (uint32_t n = 0; n < CAP; n++) {
		struct flow_key k = key_n(n);
		idx[n] = ft_insert(t, &k, flow_hash(&k), 0, SEC, 0);
		assert_true(idx[n] >= 0 && idx[n] < CAP);
	}
	assert_int_equal(ft_count(t), CAP);
	struct flow_key extra = key_n(CAP);
	assert_int_equal(ft_insert(t, &extra, flow_hash(&extra), 0, SEC, 0), -SYS_ENOSPC);
	/* A present key is still reported as present, not as "full". */
	struct flow_key k0 = key_n(0);
	assert_int_equal(ft_insert(t, &k0, flow_hash(&k0), 0, SEC, 0), -SYS_EEXIST);
	check(t);

	ft_delete(t, (uint32_t)idx[500]);
	int32_t j = ft_insert(t, &extra, flow_hash(&extra), 0, SEC, 0);
	assert_int_equal(j, idx[500]); /* the freed index is reused */
	assert_int_equal(ft_insert(t, &k0, 1, 0, SEC, 0), -SYS_ENOSPC);
	for (uint32_t n = 0; n < CAP; n++) {
		struct flow_key k = key_n(n);
		assert_int_equal(ft_lookup(t, &k, flow_hash(&k), 0, NULL), n == 500 ? FT_MISS : idx[n]);
	}
	check(t);
	ft_destroy(t);
}

/* ---- expiry ------------------------------------------------------------------------- */

struct expired {
	uint32_t calls;
	uint32_t last;
	uint8_t seen[4096];
	struct ft *t;
	int mode; /* 0: record; 1: delete the partner (user); 2: delete self and insert */
};

static void on_expire(void *ctx, uint32_t idx, struct ft_entry *e)
{
	struct expired *x = ctx;
	assert_true(idx < sizeof(x->seen));
	assert_int_equal(x->seen[idx], 0); /* exactly once (per test round) */
	x->seen[idx] = 1;
	x->calls++;
	x->last = idx;
	if (x->mode == 1 && e->user != UINT64_MAX)
		ft_delete(x->t, (uint32_t)e->user);
	if (x->mode == 2) {
		ft_delete(x->t, idx);
		struct flow_key k = key_n(9999);
		assert_int_equal(ft_insert(x->t, &k, flow_hash(&k), 0, 1000 * SEC, 0), (int32_t)idx);
	}
}

static void test_expiry_exact_to_the_tick(void **state)
{
	(void)state;
	struct ft *t = ft_create(64);
	struct expired x = {.t = t};
	struct flow_key k = key_n(1), r = rev_of(&k);
	uint32_t h = flow_hash(&k);
	uint64_t t0 = 1000 * TICK + 123; /* mid-tick start */
	int32_t i = ft_insert(t, &k, h, t0, 10 * TICK, 0);
	assert_true(i >= 0);
	assert_int_equal(ft_entry(t, (uint32_t)i)->deadline, 1010);

	uint64_t last_live = 1010 * TICK - 1, first_dead = 1010 * TICK;
	assert_int_equal(ft_lookup(t, &k, h, last_live, NULL), i);
	assert_int_equal(ft_lookup(t, &r, h, last_live, NULL), i);
	assert_int_equal(ft_lookup(t, &k, h, first_dead, NULL), FT_MISS);
	assert_int_equal(ft_lookup(t, &r, h, first_dead, NULL), FT_MISS);
	int32_t out[1];
	const struct flow_key *kp = &k;
	assert_int_equal(ft_lookup_bulk(t, &kp, &h, 1, last_live, out), 1);
	assert_int_equal(out[0], i);
	assert_int_equal(ft_lookup_bulk(t, &kp, &h, 1, first_dead, out), 0);
	assert_int_equal(out[0], FT_MISS);

	/* The wheel leaves it alone before the deadline... */
	assert_int_equal(ft_expire(t, last_live, 100, on_expire, &x), 0);
	assert_int_equal(x.calls, 0);
	assert_int_equal(ft_count(t), 1);

	/* ...and touch pushes the deadline out. */
	ft_touch(ft_entry(t, (uint32_t)i), last_live, 10);
	assert_int_equal(ft_lookup(t, &k, h, first_dead, NULL), i);
	assert_int_equal(ft_lookup(t, &k, h, 1019 * TICK - 1, NULL), i);
	assert_int_equal(ft_lookup(t, &k, h, 1019 * TICK, NULL), FT_MISS);
	assert_int_equal(ft_expire(t, 1019 * TICK - 1, 100, on_expire, &x), 0);
	assert_int_equal(ft_count(t), 1);
	check(t);

	assert_int_equal(ft_expire(t, 1019 * TICK, 100, on_expire, &x), 1);
	assert_int_equal(x.calls, 1);
	assert_int_equal(x.last, i);
	assert_int_equal(ft_count(t), 0);
	assert_int_equal(ft_expire(t, 5000 * TICK, 100, on_expire, &x), 0);
	assert_int_equal(x.calls, 1);
	check(t);
	ft_destroy(t);
}

/* Expired but not yet reaped: invisible, and the key may come back as a
 * new entry; the wheel later reports only the old one. */
static void test_expired_then_reinserted(void **state)
{
	(void)state;
	struct ft *t = ft_create(64);
	struct expired x = {.t = t};
	struct flow_key k = key_n(5);
	uint32_t h = flow_hash(&k);
	int32_t old = ft_insert(t, &k, h, 0, 5 * TICK, 1);
	assert_int_equal(ft_insert(t, &k, h, 4 * TICK, SEC, 2), -SYS_EEXIST);
	int32_t fresh = ft_insert(t, &k, h, 5 * TICK, 100 * TICK, 2);
	assert_true(fresh >= 0 && fresh != old);
	assert_int_equal(ft_count(t), 2);
	int dir;
	assert_int_equal(ft_lookup(t, &k, h, 5 * TICK, &dir), fresh);
	assert_int_equal(ft_expire(t, 6 * TICK, 100, on_expire, &x), 1);
	assert_int_equal(x.last, old);
	assert_int_equal(ft_lookup(t, &k, h, 6 * TICK, NULL), fresh);
	assert_int_equal(ft_count(t), 1);
	check(t);
	ft_destroy(t);
}

static void test_expire_budget_and_once(void **state)
{
	(void)state;
	enum { N = 100 };
	struct ft *t = ft_create(N);
	struct expired x = {.t = t};
	for (uint32_t n = 0; n < N; n++) {
		struct flow_key k = key_n(n);
		/* Deadlines spread over ticks 3..7 */
		assert_true(ft_insert(t, &k, flow_hash(&k), 0, (3 + n % 5) * TICK, 0) >= 0);
	}
	assert_int_equal(ft_expire(t, 0, 1000, on_expire, &x), 0);
	/* At tick 5 exactly the n%5 in {0,1,2} entries are due: 60. */
	uint32_t total = 0, got;
	while ((got = ft_expire(t, 5 * TICK, 25, on_expire, &x)) != 0) {
		assert_true(got <= 25);
		total += got;
		check(t);
	}
	assert_int_equal(total, 60);
	assert_int_equal(x.calls, 60);
	assert_int_equal(ft_count(t), 40);
	for (uint32_t n = 0; n < N; n++) {
		struct flow_key k = key_n(n);
		int32_t i = ft_lookup(t, &k, flow_hash(&k), 5 * TICK, NULL);
		assert_true((i == FT_MISS) == (n % 5 < 3));
	}
	/* A budget of 1 still makes progress, one entry per call. */
	assert_int_equal(ft_expire(t, 100 * TICK, 1, on_expire, &x), 1);
	assert_int_equal(ft_expire(t, 100 * TICK, 0, on_expire, &x), 0);
	assert_int_equal(ft_expire(t, 100 * TICK, 1000, on_expire, &x), 39);
	assert_int_equal(x.calls, 100);
	for (uint32_t n = 0; n < N; n++)
		assert_int_equal(x.seen[n], 1);
	assert_int_equal(ft_count(t), 0);
	assert_int_equal(ft_expire(t, 100 * TICK, 1000, NULL, NULL), 0);
	check(t);
	ft_destroy(t);
}

/* Timeouts past 32 bits of ticks clamp to the longest one: 2^62 ns once
 * wrapped to 0 ticks and the entry was born expired. */
static void test_far_timeouts_clamp(void **state)
{
	(void)state;
	assert_int_equal(ft_ticks(0), 0);
	assert_int_equal(ft_ticks(1), 1);
	assert_int_equal(ft_ticks(TICK), 1);
	assert_int_equal(ft_ticks(TICK + 1), 2);
	assert_int_equal(ft_ticks(((uint64_t)FT_TIMEOUT_MAX_TICKS - 1) * TICK), FT_TIMEOUT_MAX_TICKS - 1);
	assert_int_equal(ft_ticks((uint64_t)FT_TIMEOUT_MAX_TICKS * TICK), FT_TIMEOUT_MAX_TICKS);
	assert_int_equal(ft_ticks(1ull << 62), FT_TIMEOUT_MAX_TICKS);
	assert_int_equal(ft_ticks(1ull << (32 + FT_TICK_SHIFT)), FT_TIMEOUT_MAX_TICKS);
	assert_int_equal(ft_ticks(FT_TIMEOUT_FAR), FT_TIMEOUT_MAX_TICKS);

	struct ft *t = ft_create(64);
	const uint64_t far[] = {1ull << 62, 1ull << (32 + FT_TICK_SHIFT), FT_TIMEOUT_FAR};
	uint64_t now = 123 * TICK;
	for (unsigned i = 0; i < 3; i++) {
		struct flow_key k = key_n(10 + i);
		int32_t idx = ft_insert(t, &k, flow_hash(&k), now, far[i], i);
		assert_true(idx >= 0);
		assert_int_equal(ft_entry(t, (uint32_t)idx)->deadline, 123 + FT_TIMEOUT_MAX_TICKS);
		assert_int_equal(ft_lookup(t, &k, flow_hash(&k), now, NULL), idx);
		assert_int_equal(ft_lookup(t, &k, flow_hash(&k), now + 1000000 * TICK, NULL), idx);
	}
	/* Nothing expires early, whatever the wheel visits on the way. */
	assert_int_equal(ft_expire(t, now + 5000 * TICK, 100000, NULL, NULL), 0);
	assert_int_equal(ft_count(t), 3);
	check(t);
	ft_destroy(t);
}

/* Timeouts far beyond the wheel's span, reached in big and small steps. */
static void test_expire_long_timeouts(void **state)
{
	(void)state;
	struct ft *t = ft_create(64); /* the smallest wheel: 1024 ticks */
	struct expired x = {.t = t};
	struct flow_key a = key_n(1), b = key_n(2);
	int32_t ia = ft_insert(t, &a, flow_hash(&a), 0, 5000 * TICK, 0);
	int32_t ib = ft_insert(t, &b, flow_hash(&b), 0, 3000 * TICK, 0);
	/* One call across many wheel turns: re-filed, not expired. */
	assert_int_equal(ft_expire(t, 2999 * TICK, 1000, on_expire, &x), 0);
	assert_int_equal(ft_expire(t, 3000 * TICK, 1000, on_expire, &x), 1);
	assert_int_equal(x.last, ib);
	memset(x.seen, 0, sizeof(x.seen)); /* indices are reused below */
	for (uint64_t tick = 3001; tick < 5000; tick += 97)
		assert_int_equal(ft_expire(t, tick * TICK, 1000, on_expire, &x), 0);
	assert_int_equal(ft_lookup(t, &a, flow_hash(&a), 4999 * TICK, NULL), ia);
	/* Touched while the wheel holds it filed earlier: still re-filed. */
	ft_touch(ft_entry(t, (uint32_t)ia), 4999 * TICK, 3000);
	assert_int_equal(ft_expire(t, 7998 * TICK, 1000, on_expire, &x), 0);
	assert_int_equal(ft_expire(t, 7999 * TICK, 1000, on_expire, &x), 1);
	assert_int_equal(x.last, ia);
	memset(x.seen, 0, sizeof(x.seen));
	check(t);

	/* A shortened deadline is exact for lookups at once; the wheel reaps
	 * it no later than where it was filed. */
	int32_t ic = ft_insert(t, &a, flow_hash(&a), 8000 * TICK, 500 * TICK, 0);
	ft_touch(ft_entry(t, (uint32_t)ic), 8000 * TICK, 10);
	assert_int_equal(ft_lookup(t, &a, flow_hash(&a), 8009 * TICK, NULL), ic);
	assert_int_equal(ft_lookup(t, &a, flow_hash(&a), 8010 * TICK, NULL), FT_MISS);
	assert_int_equal(ft_expire(t, 8500 * TICK, 1000, on_expire, &x), 1);
	assert_int_equal(x.last, ic);
	assert_int_equal(ft_count(t), 0);
	memset(x.seen, 0, sizeof(x.seen));

	/* A jump of much more than the wheel span with nothing filed. */
	assert_int_equal(ft_expire(t, 10000000 * TICK, 10, on_expire, &x), 0);
	struct flow_key c = key_n(3);
	int32_t ic2 = ft_insert(t, &c, flow_hash(&c), 10000000 * TICK, 2 * TICK, 0);
	assert_int_equal(ft_expire(t, 10000002 * TICK, 10, on_expire, &x), 1);
	assert_int_equal(x.last, ic2);
	check(t);
	ft_destroy(t);
}

/* When the wheel next has work: nothing filed -> never; the earliest
 * filed tick otherwise (early, never late, for a refreshed entry); `now`
 * when the last call ran out of budget. */
static void test_next_expiry(void **state)
{
	(void)state;
	struct ft *t = ft_create(64);
	struct expired x = {.t = t};
	uint64_t t0 = 500 * TICK + 7;
	assert_true(ft_next_expiry(t, t0) == FT_NEVER);
	ft_expire(t, t0, 100, on_expire, &x); /* starts the wheel at tick 500 */
	struct flow_key a = key_n(1), b = key_n(2), c = key_n(3);
	int32_t ia = ft_insert(t, &a, flow_hash(&a), t0, 40 * TICK, 0);
	assert_true(ia >= 0);
	assert_true(ft_next_expiry(t, t0) == 540 * TICK);
	assert_true(ft_insert(t, &b, flow_hash(&b), t0, 20 * TICK, 0) >= 0);
	assert_true(ft_next_expiry(t, t0) == 520 * TICK);
	/* Beyond the 1024-tick wheel: the end of the window comes first. */
	assert_true(ft_insert(t, &c, flow_hash(&c), t0, 5000 * TICK, 0) >= 0);
	assert_true(ft_next_expiry(t, t0) == 520 * TICK);
	assert_int_equal(ft_expire(t, 520 * TICK, 100, on_expire, &x), 1);
	assert_true(ft_next_expiry(t, 520 * TICK) == 540 * TICK);
	/* Refreshed after filing: reported where it was filed (early), and
	 * the wheel re-files it there. */
	ft_touch(ft_entry(t, (uint32_t)ia), 530 * TICK, 100);
	assert_true(ft_next_expiry(t, 530 * TICK) == 540 * TICK);
	assert_int_equal(ft_expire(t, 540 * TICK, 100, on_expire, &x), 0);
	assert_true(ft_next_expiry(t, 540 * TICK) == 630 * TICK);
	/* Out of budget on a full slot: due at once. */
	memset(x.seen, 0, sizeof(x.seen)); /* indices are reused below */
	for (uint32_t n = 10; n < 20; n++) {
		struct flow_key k = key_n(n);
		assert_true(ft_insert(t, &k, flow_hash(&k), 600 * TICK, 10 * TICK, 0) >= 0);
	}
	assert_int_equal(ft_expire(t, 610 * TICK, 3, on_expire, &x), 3);
	assert_true(ft_next_expiry(t, 610 * TICK) <= 610 * TICK);
	assert_int_equal(ft_expire(t, 610 * TICK, 100, on_expire, &x), 7);
	assert_true(ft_next_expiry(t, 610 * TICK) == 630 * TICK);
	check(t);
	ft_destroy(t);
}

/* A deadline moved earlier (a TCP flow closing) is re-filed: the wheel
 * deletes the entry at the new deadline, not where the old one was filed;
 * a deadline moved later is only stored. */
static void test_set_deadline_refiles(void **state)
{
	(void)state;
	struct ft *t = ft_create(64); /* the smallest wheel: 1024 ticks */
	struct expired x = {.t = t};
	struct flow_key a = key_n(1), b = key_n(2), c = key_n(3);
	int32_t ia = ft_insert(t, &a, flow_hash(&a), 0, 500 * TICK, 0);
	/* Beyond the wheel span: filed at the wheel's far end, not its deadline. */
	int32_t ib = ft_insert(t, &b, flow_hash(&b), 0, 5000 * TICK, 0);
	int32_t ic = ft_insert(t, &c, flow_hash(&c), 0, 150 * TICK, 0);
	assert_int_equal(ft_expire(t, 99 * TICK, 1000, on_expire, &x), 0);

	ft_set_deadline(t, (uint32_t)ia, 100 * TICK, 10); /* 500 -> 110 */
	ft_set_deadline(t, (uint32_t)ib, 100 * TICK, 20); /* 5000 -> 120 */
	ft_set_deadline(t, (uint32_t)ic, 100 * TICK, 100); /* 150 -> 200, later */
	assert_int_equal(ft_entry(t, (uint32_t)ia)->deadline, 110);
	assert_int_equal(ft_entry(t, (uint32_t)ib)->deadline, 120);
	assert_int_equal(ft_entry(t, (uint32_t)ic)->deadline, 200);
	check(t);

	assert_int_equal(ft_expire(t, 109 * TICK, 1000, on_expire, &x), 0);
	assert_int_equal(ft_count(t), 3);
	assert_int_equal(ft_expire(t, 110 * TICK, 1000, on_expire, &x), 1);
	assert_int_equal(x.last, ia);
	assert_int_equal(ft_expire(t, 119 * TICK, 1000, on_expire, &x), 0);
	assert_int_equal(ft_expire(t, 120 * TICK, 1000, on_expire, &x), 1);
	assert_int_equal(x.last, ib);
	/* c was only pushed out: the wheel meets it at 150, re-files it, and
	 * deletes it at 200. */
	assert_int_equal(ft_expire(t, 199 * TICK, 1000, on_expire, &x), 0);
	assert_int_equal(ft_expire(t, 200 * TICK, 1000, on_expire, &x), 1);
	assert_int_equal(x.last, ic);
	assert_int_equal(ft_count(t), 0);
	check(t);

	/* Shortened twice, and to "now": gone on the next expire call. */
	memset(x.seen, 0, sizeof(x.seen));
	int32_t id = ft_insert(t, &a, flow_hash(&a), 300 * TICK, 900 * TICK, 0);
	ft_set_deadline(t, (uint32_t)id, 310 * TICK, 300);
	ft_set_deadline(t, (uint32_t)id, 320 * TICK, 0);
	assert_int_equal(ft_lookup(t, &a, flow_hash(&a), 320 * TICK, NULL), FT_MISS);
	check(t);
	assert_int_equal(ft_expire(t, 320 * TICK, 1000, on_expire, &x), 1);
	assert_int_equal(x.last, id);
	check(t);
	ft_destroy(t);
}

/* A callback that deletes a linked entry (NAT pairs), or itself, and even
 * inserts into the index it just freed. */
static void test_expire_callback_reentry(void **state)
{
	(void)state;
	struct ft *t = ft_create(64);
	struct expired x = {.t = t, .mode = 1};
	int32_t pair[20];
	for (uint32_t n = 0; n < 20; n += 2) {
		struct flow_key a = key_n(n), b = key_n(n + 1);
		pair[n] = ft_insert(t, &a, flow_hash(&a), 0, 10 * TICK, 0);
		pair[n + 1] = ft_insert(t, &b, flow_hash(&b), 0, 10 * TICK, 0);
		ft_entry(t, (uint32_t)pair[n])->user = (uint64_t)pair[n + 1];
		ft_entry(t, (uint32_t)pair[n + 1])->user = (uint64_t)pair[n];
	}
	/* Both halves are due together; whichever goes first takes the other. */
	assert_int_equal(ft_expire(t, 10 * TICK, 1000, on_expire, &x), 10);
	assert_int_equal(x.calls, 10);
	assert_int_equal(ft_count(t), 0);
	for (uint32_t n = 0; n < 20; n += 2)
		assert_int_equal(x.seen[pair[n]] + x.seen[pair[n + 1]], 1);
	check(t);

	memset(&x, 0, sizeof(x));
	x.t = t, x.mode = 2;
	struct flow_key k = key_n(1);
	int32_t i = ft_insert(t, &k, flow_hash(&k), 20 * TICK, TICK, 0);
	assert_int_equal(ft_expire(t, 21 * TICK, 1000, on_expire, &x), 1);
	/* The callback's new entry reused index i and must survive. */
	assert_int_equal(ft_count(t), 1);
	struct flow_key k2 = key_n(9999);
	assert_int_equal(ft_lookup(t, &k2, flow_hash(&k2), 21 * TICK, NULL), i);
	check(t);
	ft_destroy(t);
}

/* ---- iteration and bulk ----------------------------------------------------------- */

static void test_next_iterates_exactly_the_entries(void **state)
{
	(void)state;
	enum { CAP = 300 };
	struct ft *t = ft_create(CAP);
	uint8_t in[CAP] = {0};
	for (uint32_t n = 0; n < 200; n++) {
		struct flow_key k = key_n(n);
		int32_t i = ft_insert(t, &k, flow_hash(&k), 0, SEC, n);
		in[i] = 1;
	}
	for (uint32_t i = 0; i < CAP; i += 3)
		if (in[i]) {
			ft_delete(t, i);
			in[i] = 0;
		}
	uint32_t seen = 0;
	for (int32_t i = ft_next(t, 0); i != FT_MISS; i = ft_next(t, (uint32_t)i + 1)) {
		assert_true(i >= 0 && i < CAP);
		assert_int_equal(in[i], 1);
		struct flow_key k = key_n((uint32_t)ft_entry(t, (uint32_t)i)->user);
		assert_memory_equal(&ft_entry(t, (uint32_t)i)->key, &k, sizeof(k));
		seen++;
	}
	assert_int_equal(seen, ft_count(t));
	assert_int_equal(ft_next(t, CAP), FT_MISS);
	assert_int_equal(ft_next(t, CAP + 100), FT_MISS);
	ft_destroy(t);
}

static void test_bulk_lookup(void **state)
{
	(void)state;
	struct ft *t = ft_create(4096);
	int32_t idx[64];
	for (uint32_t n = 0; n < 64; n += 2) {
		struct flow_key k = key_n(n);
		idx[n] = ft_insert(t, &k, flow_hash(&k), 0, SEC, 0);
	}
	/* Also a spill chain: 20 keys on one hash. */
	for (uint32_t n = 1000; n < 1020; n++) {
		struct flow_key k = key_n(n);
		assert_true(ft_insert(t, &k, 0x12345678u, 0, SEC, 0) >= 0);
	}
	struct flow_key keys[64];
	const struct flow_key *kp[64];
	uint32_t hs[64];
	int32_t out[64];
	for (uint32_t n = 0; n < 64; n++) {
		keys[n] = key_n(n);
		if (n % 4 == 2) /* reply direction */
			keys[n] = rev_of(&keys[n]);
		kp[n] = &keys[n];
		hs[n] = flow_hash(&keys[n]);
	}
	uint64_t hits = ft_lookup_bulk(t, kp, hs, 64, 0, out);
	assert_int_equal(hits, 0x5555555555555555ull);
	for (uint32_t n = 0; n < 64; n++)
		assert_int_equal(out[n], n % 2 ? FT_MISS : idx[n]);
	/* The same with directions: every fourth key, from 2, is a reply. */
	uint64_t reply = ~0ull;
	memset(out, 0, sizeof(out));
	assert_int_equal(ft_lookup_bulk_dir(t, kp, hs, 64, 0, out, &reply), hits);
	assert_int_equal(reply, 0x4444444444444444ull);
	for (uint32_t n = 0; n < 64; n++)
		assert_int_equal(out[n], n % 2 ? FT_MISS : idx[n]);

	/* Spilled keys through bulk, mixed with misses on the same hash. */
	for (uint32_t n = 0; n < 40; n++) {
		keys[n] = key_n(1000 + n / 2 + (n % 2) * 100);
		hs[n] = 0x12345678u;
	}
	hits = ft_lookup_bulk(t, kp, hs, 40, 0, out);
	for (uint32_t n = 0; n < 40; n++) {
		int32_t single = ft_lookup(t, kp[n], hs[n], 0, NULL);
		assert_int_equal(out[n], single);
		assert_int_equal((hits >> n) & 1, n % 2 == 0);
	}
	assert_int_equal(ft_lookup_bulk(t, kp, hs, 0, 0, out), 0);
	ft_destroy(t);
}

/* ---- randomized differential test ------------------------------------------------- */

/* The model: what each index holds, found by linear search. */
struct model_ent {
	bool used;
	struct flow_key key;
	uint32_t deadline;
	uint64_t user;
	/* The wheel must have reaped the entry once the clock reaches this
	 * tick: its deadline, or an earlier deadline if touch shortened it
	 * (the wheel finds it where it was filed for the longer one). */
	uint32_t reap_by;
};

struct model {
	struct model_ent *e;
	uint32_t cap, count;
	uint32_t reaped;
	uint32_t tick;
};

static bool model_live(const struct model *m, uint32_t i)
{
	return m->e[i].used && (int32_t)(m->e[i].deadline - m->tick) > 0;
}

static int32_t model_find(const struct model *m, const struct flow_key *k, int *dir)
{
	for (uint32_t i = 0; i < m->cap; i++) {
		if (!model_live(m, i))
			continue;
		if (flow_key_eq(&m->e[i].key, k)) {
			*dir = FT_DIR_ORIG;
			return (int32_t)i;
		}
		if (flow_key_eq_reverse(&m->e[i].key, k)) {
			*dir = FT_DIR_REPLY;
			return (int32_t)i;
		}
	}
	return FT_MISS;
}

static void model_on_expire(void *ctx, uint32_t idx, struct ft_entry *e)
{
	struct model *m = ctx;
	assert_true(idx < m->cap);
	assert_true(m->e[idx].used);
	assert_false(model_live(m, idx)); /* only expired entries */
	assert_memory_equal(&e->key, &m->e[idx].key, sizeof(e->key));
	assert_int_equal(e->user, m->e[idx].user);
	m->e[idx].used = false;
	m->count--;
	m->reaped++;
}

/* A pool of keys small enough to repeat (EEXIST, reinsertion) with a mix
 * of v4/v6, protocols, and directions. */
static struct flow_key pool_key(uint32_t n)
{
	struct flow_key k;
	memset(&k, 0, sizeof(k));
	uint64_t s = n * 0x9e3779b97f4a7c15ull + 1;
	k.proto = (uint8_t[]){6, 17, 1, 58}[n % 4];
	k.family = (n / 4) % 3 == 0 ? FLOW_FAMILY_V6 : FLOW_FAMILY_V4;
	if (k.family == FLOW_FAMILY_V6) {
		k.src.u64[0] = k.dst.u64[0] = 0xb80d0120ull;
		k.src.u64[1] = s;
		k.dst.u64[1] = s >> 7;
	} else {
		k.src.v4 = (uint32_t)s;
		k.dst.v4 = (uint32_t)(s >> 32);
	}
	k.sport = (uint16_t)(s >> 13);
	k.dport = flow_proto_has_id(k.proto) ? 0 : (uint16_t)(s >> 29);
	if (n % 5 == 0)
		k.sport = k.dport, k.dport = (uint16_t)(s >> 13); /* port-swapped twins */
	return k;
}

static uint32_t differential(uint32_t cap, uint32_t pool, uint32_t hash_mask, uint32_t ops,
			 uint64_t seed)
{
	struct ft *t = ft_create(cap);
	struct model m = {.cap = cap, .tick = 100};
	m.e = calloc(cap, sizeof(*m.e));
	assert_non_null(m.e);
	rng_state = seed;
	uint64_t now = (uint64_t)m.tick << FT_TICK_SHIFT;
	uint32_t stats[8] = {0};

	for (uint32_t op = 0; op < ops; op++) {
		uint32_t r = (uint32_t)(rnd() % 100);
		struct flow_key k = pool_key((uint32_t)(rnd() % pool));
		if (rnd() & 1)
			k = rev_of(&k);
		/* A degraded but consistent hash forces long spill chains. */
		uint32_t h = flow_hash(&k) & hash_mask;
		int mdir = -1, dir = -1;
		if (r < 35) {
			/* Short and long (beyond the 1024-tick wheel) timeouts. */
			uint64_t span = rnd() % 4 ? 3000 : 30;
			uint64_t timeout = (rnd() % span) * TICK + rnd() % TICK;
			uint64_t user = rnd();
			int32_t got = ft_insert(t, &k, h, now, timeout, user);
			int32_t want = model_find(&m, &k, &mdir);
			if (want != FT_MISS) {
				assert_int_equal(got, -SYS_EEXIST);
				stats[0]++;
			} else if (m.count == cap) {
				assert_int_equal(got, -SYS_ENOSPC);
				stats[1]++;
			} else {
				assert_true(got >= 0 && (uint32_t)got < cap);
				assert_false(m.e[got].used);
				uint32_t d = m.tick + ft_ticks(timeout);
				m.e[got] = (struct model_ent){true, k, d, user, d};
				m.count++;
				stats[2]++;
			}
		} else if (r < 65) {
			int32_t got = ft_lookup(t, &k, h, now, &dir);
			int32_t want = model_find(&m, &k, &mdir);
			assert_int_equal(got, want);
			if (want != FT_MISS) {
				assert_int_equal(dir, mdir);
				stats[3]++;
				uint32_t how = (uint32_t)(rnd() % 4);
				if (how >= 2) { /* refresh on a hit, as functions do */
					uint32_t ticks = (uint32_t)(rnd() % 1500);
					uint32_t d = m.tick + ticks;
					bool earlier = (int32_t)(d - m.e[got].deadline) < 0;
					if (how == 2)
						ft_touch(ft_entry(t, (uint32_t)got), now, ticks);
					else
						ft_set_deadline(t, (uint32_t)got, now, ticks);
					m.e[got].deadline = d;
					/* set_deadline re-files an earlier deadline: the
					 * wheel reaps it exactly then. */
					if (how == 3 && earlier)
						m.e[got].reap_by = d;
					else if ((int32_t)(d - m.e[got].reap_by) > 0)
						m.e[got].reap_by = d;
				}
			}
		} else if (r < 75) {
			struct flow_key keys[64];
			const struct flow_key *kp[64];
			uint32_t hs[64];
			int32_t out[64];
			uint32_t n = (uint32_t)(rnd() % 65);
			for (uint32_t i = 0; i < n; i++) {
				keys[i] = pool_key((uint32_t)(rnd() % pool));
				if (rnd() & 1)
					keys[i] = rev_of(&keys[i]);
				kp[i] = &keys[i];
				hs[i] = flow_hash(&keys[i]) & hash_mask;
			}
			uint64_t reply = 0, hits;
			bool with_dir = rnd() & 1;
			if (with_dir)
				hits = ft_lookup_bulk_dir(t, kp, hs, n, now, out, &reply);
			else
				hits = ft_lookup_bulk(t, kp, hs, n, now, out);
			for (uint32_t i = 0; i < n; i++) {
				int32_t want = model_find(&m, kp[i], &mdir);
				assert_int_equal(out[i], want);
				assert_int_equal((hits >> i) & 1, want != FT_MISS);
				if (with_dir)
					assert_int_equal((reply >> i) & 1,
							 want != FT_MISS && mdir == FT_DIR_REPLY);
			}
			stats[4]++;
		} else if (r < 87) {
			/* Delete a random used index (live or expired). */
			uint32_t i = (uint32_t)(rnd() % cap);
			for (uint32_t tries = 0; tries < cap && !m.e[i].used; tries++)
				i = (i + 1) % cap;
			if (m.e[i].used) {
				ft_delete(t, i);
				m.e[i].used = false;
				m.count--;
				stats[5]++;
			}
		} else {
			/* Time passes; the wheel runs with a random budget.  With
			 * an ample budget, nothing expired may remain. */
			m.tick += (uint32_t)(rnd() % 10);
			now = ((uint64_t)m.tick << FT_TICK_SHIFT) + rnd() % TICK;
			uint32_t budget = rnd() % 3 ? (uint32_t)(rnd() % 20) : UINT32_MAX;
			uint32_t before = m.reaped;
			uint32_t got = ft_expire(t, now, budget, model_on_expire, &m);
			assert_int_equal(got, m.reaped - before);
			assert_true(got <= budget);
			if (budget == UINT32_MAX) {
				/* ...and the next expiry is after now and never
				 * after any entry must be reaped. */
				uint64_t next = ft_next_expiry(t, now);
				if (m.count == 0)
					assert_true(next == FT_NEVER);
				else
					assert_true(next > now);
				for (uint32_t i = 0; i < cap; i++) {
					assert_true(!m.e[i].used ||
						    (int32_t)(m.e[i].reap_by - m.tick) > 0);
					if (m.e[i].used)
						assert_true(next <= (uint64_t)m.e[i].reap_by << FT_TICK_SHIFT);
				}
			}
			stats[6]++;
		}
		assert_int_equal(ft_count(t), m.count);
		if (op % 97 == 0) {
			check(t);
			uint32_t i = 0, seen = 0;
			for (int32_t j = ft_next(t, 0); j != FT_MISS; j = ft_next(t, (uint32_t)j + 1)) {
				for (; i < (uint32_t)j; i++)
					assert_false(m.e[i].used);
				assert_true(m.e[j].used);
				assert_memory_equal(&ft_entry(t, (uint32_t)j)->key, &m.e[j].key,
						    sizeof(k));
				i = (uint32_t)j + 1;
				seen++;
			}
			assert_int_equal(seen, m.count);
		}
	}
	check(t);
	/* Every kind of outcome happened, or the test proved little (a big
	 * table need not fill up: callers check ENOSPC over their runs). */
	for (int s = 0; s < 7; s++)
		assert_true(stats[s] > 0 || s == 1);
	free(m.e);
	ft_destroy(t);
	return stats[1];
}

static void test_differential_good_hash(void **state)
{
	(void)state;
	uint32_t full = differential(200, 1000, 0xffffffffu, 30000, 1);
	full += differential(1000, 2500, 0xffffffffu, 40000, 2);
	assert_true(full > 0);
}

static void test_differential_bad_hash(void **state)
{
	(void)state;
	/* Four home buckets and 4 signatures: long chains, many false
	 * signature matches, wrap-around. */
	uint32_t full = differential(120, 200, 0xc0000003u, 30000, 3);
	full += differential(64, 100, 0x00000001u, 20000, 4);
	assert_true(full > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_limits_and_memory),
		cmocka_unit_test(test_both_directions),
		cmocka_unit_test(test_eexist),
		cmocka_unit_test(test_collisions_spill_and_delete),
		cmocka_unit_test(test_spill_wraps),
		cmocka_unit_test(test_capacity_exhaustion),
		cmocka_unit_test(test_expiry_exact_to_the_tick),
		cmocka_unit_test(test_expired_then_reinserted),
		cmocka_unit_test(test_expire_budget_and_once),
		cmocka_unit_test(test_expire_long_timeouts),
		cmocka_unit_test(test_far_timeouts_clamp),
		cmocka_unit_test(test_set_deadline_refiles),
		cmocka_unit_test(test_next_expiry),
		cmocka_unit_test(test_expire_callback_reentry),
		cmocka_unit_test(test_next_iterates_exactly_the_entries),
		cmocka_unit_test(test_bulk_lookup),
		cmocka_unit_test(test_differential_good_hash),
		cmocka_unit_test(test_differential_bad_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* conn2.c - two-entry connections (see conn2.h). */
#include "nf/conn2.h"

#include "dataplane/stats.h"

static void conn2_expired(void *ctx, uint32_t idx, struct ft_entry *e)
{
	struct conn2 *c = ctx;
	c->gen++;
	if (e->key.zone == c->zone_first) {
		uint32_t partner = conn2_partner(e->user);
		if (partner != CONN2_NO_PARTNER)
			ft_delete(c->ft, partner);
		c->ended(c->ctx, e);
		c->c.active--;
		c->c.expired++;
		return;
	}
	/* A second entry at its far deadline: file it again while its
	 * connection lives, else unlink it so the first entry's expiry does
	 * not delete an index reused meanwhile. */
	struct ft_entry *first = ft_entry(c->ft, (uint32_t)e->user);
	if (conn2_partner(first->user) != idx)
		return;
	uint64_t partner = CONN2_NO_PARTNER;
	if (conn2_live(first, conn2_tick(c->now))) {
		int32_t ni = ft_insert(c->ft, &e->key, e->hash, c->now, FT_TIMEOUT_FAR, e->user);
		if (ni >= 0)
			partner = (uint32_t)ni;
	}
	first->user = (first->user & ~CONN2_PARTNER_MASK) | partner;
}

int conn2_init(struct conn2 *c, uint32_t capacity, uint16_t zone_first, conn2_end_fn ended,
	       void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->zone_first = zone_first;
	c->ended = ended;
	c->ctx = ctx;
	/* Two entries per connection; the partner index has 26 bits. */
	c->ft = ft_create(SYS_MIN(capacity ? capacity : 2, (uint32_t)CONN2_NO_PARTNER));
	return c->ft ? 0 : -SYS_ENOMEM;
}

void conn2_fini(struct conn2 *c)
{
	ft_destroy(c->ft);
	c->ft = NULL;
}

uint32_t conn2_expire(struct conn2 *c, uint64_t now)
{
	c->now = now;
	return ft_expire(c->ft, now, CONN2_EXPIRE_BUDGET, conn2_expired, c);
}

/* End the oldest unanswered connection with an entry near `hash`'s home
 * bucket (conn2_set_early_drop), other than the one whose first entry is
 * `keep` (being opened).  False if there is none. */
struct conn2_pick {
	struct conn2 *c;
	uint32_t keep;
};

/* A bucket entry's connection (its first entry, which holds the deadline
 * and the state), if nobody answered it and it is not `keep`. */
static int32_t conn2_unanswered(void *ctx, uint32_t idx)
{
	const struct conn2_pick *k = ctx;
	struct conn2 *c = k->c;
	uint32_t fi = idx;
	const struct ft_entry *e = ft_entry(c->ft, idx);
	if (e->key.zone != c->zone_first) {
		fi = (uint32_t)e->user;
		if (conn2_partner(ft_entry(c->ft, fi)->user) != idx)
			return FT_MISS; /* nobody's any more */
	}
	return fi == k->keep || (ft_entry(c->ft, fi)->user & c->answered) ? FT_MISS : (int32_t)fi;
}

static bool conn2_early_drop(struct conn2 *c, uint32_t hash, uint32_t keep)
{
	if (!c->answered)
		return false;
	struct conn2_pick k = {c, keep};
	int32_t victim = ft_near_oldest(c->ft, hash, conn2_unanswered, &k);
	if (victim == FT_MISS)
		return false;
	c->ended(c->ctx, ft_entry(c->ft, (uint32_t)victim));
	conn2_close(c, (uint32_t)victim);
	c->c.early_dropped++;
	return true;
}

bool conn2_early_drop_where(struct conn2 *c, uint32_t *cursor, uint32_t budget, uint64_t now,
			    bool (*fits)(void *ctx, const struct ft_entry *first), void *ctx)
{
	if (!c->answered)
		return false;
	const uint32_t tick = conn2_tick(now);
	bool wrapped = false;
	for (uint32_t n = 0; n < budget; n++) {
		int32_t i = ft_next(c->ft, *cursor);
		if (i == FT_MISS) {
			if (wrapped || *cursor == 0)
				return false;
			*cursor = 0;
			wrapped = true;
			continue;
		}
		*cursor = (uint32_t)i + 1;
		struct ft_entry *e = ft_entry(c->ft, (uint32_t)i);
		if (e->key.zone != c->zone_first || (e->user & c->answered) || !conn2_live(e, tick) ||
		    !fits(ctx, e))
			continue;
		c->now = now;
		c->ended(c->ctx, e);
		conn2_close(c, (uint32_t)i);
		c->c.early_dropped++;
		return true;
	}
	return false;
}

/* The table is full: expired entries keep their slots until the wheel
 * reaps them, and the loop runs the wheel after the burst.  Reap now;
 * then, with early drop on, end an unanswered connection. */
static int32_t conn2_insert(struct conn2 *c, const struct flow_key *k, uint32_t hash,
			    uint64_t now, uint64_t tmo_ns, uint64_t user, uint32_t keep)
{
	int32_t idx = ft_insert(c->ft, k, hash, now, tmo_ns, user);
	if (unlikely(idx == -SYS_ENOSPC) && conn2_expire(c, now))
		idx = ft_insert(c->ft, k, hash, now, tmo_ns, user);
	if (unlikely(idx == -SYS_ENOSPC) && conn2_early_drop(c, hash, keep))
		idx = ft_insert(c->ft, k, hash, now, tmo_ns, user);
	return idx;
}

/* `second` clashes with a live entry.  If that is the second entry of a
 * connection already past its deadline (the wheel has not reached it yet:
 * second entries live as long as their first says, and it said so), end
 * that connection now, as the wheel would, and return true: an expired
 * connection never blocks a new one with the same tuple. */
static bool conn2_reap_stale(struct conn2 *c, const struct flow_key *second, uint32_t hash,
			     uint64_t now)
{
	int32_t si = ft_lookup(c->ft, second, hash, now, NULL);
	if (si < 0)
		return false;
	struct ft_entry *s = ft_entry(c->ft, (uint32_t)si);
	if (s->key.zone == c->zone_first)
		return false; /* a live connection's first entry: a real clash */
	uint32_t fi = (uint32_t)s->user;
	struct ft_entry *f = ft_entry(c->ft, fi);
	c->now = now;
	if (conn2_partner(f->user) != (uint32_t)si) {
		ft_delete(c->ft, (uint32_t)si); /* nobody's any more */
		c->gen++;
		return true;
	}
	if (conn2_live(f, conn2_tick(now)))
		return false; /* a live connection holds it */
	conn2_expired(c, fi, f); /* ends it: partner deleted, `ended` told */
	ft_delete(c->ft, fi);
	return true;
}

int32_t conn2_open(struct conn2 *c, const struct flow_key *first, uint32_t hash,
		   const struct flow_key *second, uint64_t now, uint64_t tmo_ns, uint64_t user)
{
	user &= ~CONN2_PARTNER_MASK;
	int32_t fi = conn2_insert(c, first, hash, now, tmo_ns, user | CONN2_NO_PARTNER, CONN2_NO_PARTNER);
	if (fi < 0)
		return fi;
	if (!second) {
		c->gen++;
		c->c.created++;
		c->c.active++;
		return fi;
	}
	uint32_t shash = flow_hash(second);
	int32_t si = conn2_insert(c, second, shash, now, FT_TIMEOUT_FAR, (uint32_t)fi, (uint32_t)fi);
	if (si == -SYS_EEXIST && conn2_reap_stale(c, second, shash, now))
		si = conn2_insert(c, second, shash, now, FT_TIMEOUT_FAR, (uint32_t)fi, (uint32_t)fi);
	if (si < 0) {
		ft_delete(c->ft, (uint32_t)fi);
		return si;
	}
	ft_entry(c->ft, (uint32_t)fi)->user = user | (uint32_t)si;
	c->gen++;
	c->c.created++;
	c->c.active++;
	return fi;
}

void conn2_close(struct conn2 *c, uint32_t first_idx)
{
	uint32_t partner = conn2_partner(ft_entry(c->ft, first_idx)->user);
	if (partner != CONN2_NO_PARTNER)
		ft_delete(c->ft, partner);
	ft_delete(c->ft, first_idx);
	c->gen++;
	c->c.active--;
}

int32_t conn2_lookup_quote(struct conn2 *c, const struct xlate_inner *q, uint16_t zone, int dir,
			   uint64_t now)
{
	struct flow_key k = q->key;
	k.zone = zone;
	int d;
	int32_t idx = ft_lookup(c->ft, &k, flow_hash(&k), now, &d);
	return idx >= 0 && d == dir ? idx : FT_MISS;
}

void conn2_stats_write(const struct conn2 *c, struct stats_writer *w, const char *prefix)
{
	static const char *const names[5] = {"active", "created", "expired", "dropped_by_reload",
					     "early_dropped"};
	const uint64_t v[5] = {c->c.active, c->c.created, c->c.expired, c->c.dropped_by_reload,
			       c->c.early_dropped};
	char name[64];
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "%s_%s", prefix, names[i]);
		stats_u64(w, name, v[i]);
	}
	stats_u64(w, "flow_entries", ft_count(c->ft));
	stats_u64(w, "flow_capacity", ft_capacity(c->ft));
}

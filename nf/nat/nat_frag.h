/* SPDX-License-Identifier: MIT */
/*
 * nat_frag.h - IPv4 fragments through the NAT (RFC 4787 REQ-14) by virtual
 * reassembly, as VPP's shallow reassembly does it: no fragment is copied
 * or reassembled, each leaves as it came, translated.
 *
 * Only the first fragment (offset 0, MF) carries the transport header.  It
 * is translated as an unfragmented packet is - session found or made by
 * its ports, address and port rewritten, the transport checksum updated
 * incrementally, which is right for the whole datagram (nf/xlate.h) - and
 * its outcome is remembered under the datagram's key (source, destination,
 * protocol, IP id, and the zone of the side it came from, so the two
 * directions never meet): the addresses it left with and its out port, or
 * that it was dropped.  Later fragments of the datagram then get the same
 * addresses (IP header checksum only: xlate_rewrite_addr) and port, or are
 * dropped with it.
 *
 * A later fragment that comes before its first (reordering, or behind it
 * in the same burst, since the first is decided at the end of the burst) is
 * held: the NAT keeps the buffer (NF_KEPT, dataplane/nf.h), chained through
 * pkt.nf_data, at most NAT_FRAG_PER_DGRAM per datagram and `held_max` in
 * all.  When the first is decided, the held ones are translated and sent:
 * those of the burst in progress by their verdict, the others in the
 * burst's emit room (nf_batch_release) - what does not fit there waits, in
 * order, for the next burst.  When the first is dropped, so are they.
 *
 * Every datagram's state ends `timeout` after its first fragment (of any
 * kind) was seen; held fragments still waiting then are dropped (counted
 * as timeout).  A bound that is hit dooms the datagram: the fragment that
 * would exceed it, those held, and those still to come are dropped
 * (counted by that bound), since the receiver could not reassemble it
 * anyway.  When no entry is free the oldest of a few that hold nothing
 * and wait for nothing is reused (counted as evicted), else the fragment
 * is dropped (table_full).  A TCP fragment at an offset below 20 would
 * overwrite the translated ports or checksum on reassembly (RFC 1858 3.2):
 * dropped (overlap).  Duplicates are translated like the original (the
 * receiver's reassembly discards them); a repeated first fragment does not
 * change the datagram's outcome.
 *
 * NAT64 (nat64.h) uses the same table.  An inside IPv6 fragment is keyed
 * by its addresses and 32-bit identification (NAT_FRAG_ZONE_V6: folded
 * into the key, the whole kept beside the entry in a6); its first, its
 * extension headers removed, is translated to an IPv4 first fragment by
 * the NAT64 path, and the later ones follow it as IPv4 fragments
 * (NAT_FRAG_XL_TO4: the first's IPv4 addresses, the Fragment header's
 * offset, M and identification's low 16 bits).  An outside IPv4 datagram
 * whose first fragment left as IPv6 sends its later ones as IPv6 with a
 * Fragment header (NAT_FRAG_XL_TO6: the first's IPv6 addresses, in x6).
 * An inside IPv6 datagram hairpinned to another IPv6 host (its first left
 * as IPv6 through the inside port) sends its later ones the same way
 * (NAT_FRAG_XL_66: the first's new addresses, in x6; a6 holds only keys).
 * A later fragment that would leave with hop limit 0 is dropped
 * (hop_limit).  Only TCP and UDP: an ICMPv6 checksum covers a pseudo-
 * header with the whole datagram's length, which no first fragment says.
 *
 * Memory: `cap` entries of 64 bytes, 40 bytes of a6 and 32 of x6 each and 2 * cap
 * 4-byte buckets, taken at creation; nothing per packet.  cap = flow capacity / 8 within 64-16384
 * (a power of two), held_max = cap / 2 within 16-256.
 *
 * Per burst (nat.c): nat_frag_cold() from the cold path for every IPv4
 * fragment, nat_frag_burst_end() after the burst, nat_frag_timers() from
 * expire().  The table alone (nat_frag_first, _later, _burst_end_,
 * _expire) knows nothing of the NAT: test_nat_frag drives it directly.
 */
#ifndef NFB_NAT_FRAG_H
#define NFB_NAT_FRAG_H

#include "dataplane/nf.h"

struct stats_writer;
struct nat;

#define NAT_FRAG_PER_DGRAM 16       /* fragments held per datagram */
#define NAT_FRAG_TMO_DEFAULT 2      /* seconds: `timeout fragment` */
#define NAT_FRAG_MIN 64
#define NAT_FRAG_MAX 16384
#define NAT_FRAG_HELD_MIN 16
#define NAT_FRAG_HELD_MAX 256
#define NAT_FRAG_NONE 0xffffffffu

#define NAT_FRAG_DROPS(X)                                                                   \
	X(TIMEOUT, "timeout")             /* held, the first did not come in time */         \
	X(DATAGRAM_FULL, "datagram_full") /* NAT_FRAG_PER_DGRAM held already */               \
	X(HELD_FULL, "held_full")         /* held_max held already (all datagrams) */          \
	X(TABLE_FULL, "table_full")       /* no datagram entry free */                         \
	X(FIRST_DROPPED, "first_dropped") /* the datagram's first fragment was dropped */      \
	X(OVERLAP, "overlap")             /* TCP, offset below 20 */                           \
	X(HOP_LIMIT, "hop_limit")         /* NAT64: hop limit / TTL would reach 0 */            \
	X(NO_ROOM, "no_room")             /* NAT64: headroom short (never with our buffers) */

enum nat_frag_drop {
#define NAT_FRAG_DROP_ENUM_(n, s) NAT_FRAG_DROP_##n,
	NAT_FRAG_DROPS(NAT_FRAG_DROP_ENUM_)
#undef NAT_FRAG_DROP_ENUM_
	NAT_FRAG_DROP_COUNT
};

enum nat_frag_state {
	NAT_FRAG_FREE,
	NAT_FRAG_WAIT, /* the first is not decided: later ones are held */
	NAT_FRAG_PASS, /* translated: later ones follow */
	NAT_FRAG_DROP, /* dropped (entry.why): later ones too */
};

/* An IPv6 datagram's key (NAT64 from the inside) has this zone bit; its
 * src and dst are its addresses folded, id the low 16 bits of its
 * identification, and the whole of them (NAT_FRAG_A6 bytes: source,
 * destination, identification) is in nat_frag.cur6 while it is looked up
 * (nat_frag_key6_of) and in the entry's a6 slot. */
#define NAT_FRAG_ZONE_V6 0x80
#define NAT_FRAG_A6 36

struct nat_frag_key {
	uint32_t src, dst; /* network order, as received */
	uint16_t id;       /* network order */
	uint8_t proto, zone;
};

/* How a passing datagram's later fragments are translated (NAT_FRAG_PASS). */
enum nat_frag_xl {
	NAT_FRAG_XL_44,  /* IPv4 addresses rewritten (xlate_rewrite_addr) */
	NAT_FRAG_XL_TO4, /* NAT64, IPv6 to IPv4 (xlate64_frag_6to4) */
	NAT_FRAG_XL_TO6, /* NAT64, IPv4 to IPv6 (xlate64_frag_4to6), the addresses in x6 */
	NAT_FRAG_XL_66,  /* NAT64 hairpinned, IPv6 to IPv6 (xlate64_frag_6to6), the addresses in x6 */
};

struct nat_frag_ent {
	struct nat_frag_key k;
	uint32_t hnext;               /* next in its bucket */
	uint32_t older, newer;        /* age list; the free list uses `newer` */
	uint8_t state;                /* enum nat_frag_state */
	uint8_t why;                  /* NAT_FRAG_DROP: enum nat_frag_drop */
	uint8_t n_held;
	uint8_t noted;                /* a first fragment of the burst in progress points here */
	uint16_t out_port;            /* NAT_FRAG_PASS */
	uint8_t xl;                   /* NAT_FRAG_PASS: enum nat_frag_xl */
	uint8_t pad;
	uint32_t new_src, new_dst;    /* NAT_FRAG_PASS: the first's IPv4 addresses as it left */
	uint64_t born;                /* ns; the entry ends at born + timeout */
	struct pkt *held, *held_last; /* chained through pkt.nf_data */
};
_Static_assert(sizeof(struct nat_frag_ent) == 64, "one cache line per datagram");

struct nat_frag_counters {
	uint64_t firsts;     /* first fragments seen */
	uint64_t translated; /* later fragments translated, at once or released */
	uint64_t held;       /* later fragments that waited for their first */
	uint64_t released;   /* held ones translated when it came */
	uint64_t evicted;    /* datagrams forgotten before their time: table full */
	uint64_t drop[NAT_FRAG_DROP_COUNT];
};

struct nat_frag {
	struct nat_frag_ent *e;
	uint32_t *bucket;
	uint32_t mask;             /* buckets - 1 */
	uint32_t cap, n;           /* entries, live ones */
	uint32_t free;             /* free list head */
	uint32_t oldest, newest;   /* age list (born order) */
	uint32_t held_max, n_held; /* kept packets: held and ready */
	uint32_t n_waiting;        /* first fragments of the burst in progress, noted */
	uint32_t kept_now;         /* packets kept in the burst in progress */
	uint64_t tmo_ns;
	struct pkt *ready, *ready_last; /* released, waiting for emit room */
	uint64_t *sink[2];         /* also counted here on every drop (the NAT's totals) */
	uint8_t (*a6)[40];         /* per entry: an IPv6 key's NAT_FRAG_A6 bytes */
	uint8_t (*x6)[32];         /* per entry: the IPv6 source and destination later
				    * fragments leave with (XL_TO6, XL_66) */
	uint8_t cur6[NAT_FRAG_A6]; /* the IPv6 key being looked up */
	struct nat_frag_counters c;
};

/* The table for a function of `flow_capacity` flows.  0, or -SYS_ENOMEM. */
int nat_frag_init(struct nat_frag *t, uint32_t flow_capacity);
/* Frees every packet still held or waiting to be sent, and the table.  A
 * zeroed, never initialised table is fine. */
void nat_frag_fini(struct nat_frag *t);

/* The key of IPv4 fragment `p` arriving on the side of `zone`. */
void nat_frag_key_of(const struct pkt *p, uint8_t zone, struct nat_frag_key *k);
/* The key of IPv6 fragment `p` (Fragment header fh) arriving on the side
 * of `zone`; fills t->cur6, which the next nat_frag_first/_later uses. */
void nat_frag_key6_of(struct nat_frag *t, const struct pkt *p, const uint8_t *fh, uint8_t zone,
		      struct nat_frag_key *k);

/* A first fragment, before it is decided: its datagram's entry (made if
 * new) is noted for nat_frag_burst_end_().  Returns the entry, or -1 when
 * there is none to be had (p dropped: table_full). */
int32_t nat_frag_first(struct nat_frag *t, const struct nat_frag_key *k, struct pkt *p,
		       uint64_t now);

/* A later fragment: translated and sent (out_port set), held (NF_KEPT), or
 * dropped (PKT_DROP), as the file comment says. */
void nat_frag_later(struct nat_frag *t, const struct nat_frag_key *k, struct pkt *p,
		    uint64_t now);

/* After the burst: each noted first fragment's verdict (b->out_all or its
 * out_port) decides its datagram, and held fragments are sent or dropped;
 * then what is ready goes into the burst's emit room. */
void nat_frag_burst_end_(struct nat_frag *t, struct nf_batch *b);
static inline void nat_frag_burst_end(struct nat_frag *t, struct nf_batch *b)
{
	if (unlikely(t->n_waiting | t->kept_now) || unlikely(t->ready != NULL))
		nat_frag_burst_end_(t, b);
}

/* End the datagrams whose time is up (their held fragments dropped);
 * returns how many.  Not during a burst. */
uint32_t nat_frag_expire(struct nat_frag *t, uint64_t now);
/* When nat_frag_expire next has work, NF_TIMER_NONE if never. */
uint64_t nat_frag_next_expiry(const struct nat_frag *t);

/* 0 if every list, chain and count agrees (tests, fuzzing), else -1. */
int nat_frag_check(const struct nat_frag *t);

/* frag_* counters and gauges, in the section in progress. */
void nat_frag_stats_write(const struct nat_frag *t, struct stats_writer *w);

/* ---- with the NAT (struct nat, nat.h) ---------------------------------------- */
/* nat_frag_init for the NAT, its drops added to its dropped and
 * drop_fragment counters. */
int nat_frag_setup(struct nat *n, uint32_t flow_capacity);
/* The cold path of an IPv4 fragment: true if decided (a later fragment; a
 * first without an entry), false if the NAT decides it as it would an
 * unfragmented packet (a first fragment, noted; a protocol the NAT does
 * not translate, which it drops). */
bool nat_frag_cold(struct nat *n, struct pkt *p, uint64_t now);
/* expire(): the timeout in force, then nat_frag_expire; returns
 * nat_frag_next_expiry. */
uint64_t nat_frag_timers(struct nat *n, uint64_t now);
/* NAT64 (nat64.h): the cold path of an inside IPv6 fragment to the prefix
 * (fragment header fh): true if decided (a later fragment; a first
 * without an entry), false if nat64_out decides it, a first fragment,
 * noted, whose extension headers are removed (xlate64_skip_ext) as an
 * unfragmented packet's: nat64_out translates it with the datagram's
 * identification (nat_frag_id4) and MF. */
bool nat_frag_cold6(struct nat *n, struct pkt *p, const uint8_t *fh, uint64_t now);
/* The IPv4 identification (network order) of noted first fragment `p`'s
 * datagram. */
uint16_t nat_frag_id4(const struct nat_frag *t, const struct pkt *p);

#endif

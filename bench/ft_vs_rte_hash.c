/* SPDX-License-Identifier: MIT */
/*
 * ft_vs_rte_hash - our flow table (dataplane/flowtable.h) side by side with
 * DPDK's rte_hash, on the same random IPv4 5-tuples, in one process.
 *
 * Per size (1k and 1M entries by default) and per operation, TSC cycles per
 * key, median over repetitions.  Within a repetition the three tables run
 * each operation back to back (rotating who goes first), and the reported
 * speed ratio is the median of those paired ratios: on a shared machine,
 * neighbours in time see the same load.  Small tables are timed over many
 * passes (>= 1M lookups per measurement).
 *   insert       ft_insert             vs rte_hash_add_key_with_hash
 *   hit+hash     ft_lookup_bulk(hashes NULL) vs rte_hash_lookup_bulk: the
 *                table hashes the keys itself
 *   hit          ft_lookup_bulk        vs rte_hash_lookup_with_hash_bulk
 *   miss+hash / miss: the same with keys that are not in the table
 * Lookups go in batches of 32 over all keys in a shuffled order; the query
 * keys are laid out in that order, so the table is the random access, not
 * the query stream.
 *
 * Both tables use the same hash (flow_hash, CRC32C): the comparison is of
 * the tables, not of hash functions.  rte_hash appears twice:
 *   rte(N,ext)  entries = N, like ours, with the extendable bucket table so
 *               it can hold all N keys (its cuckoo buckets are then full);
 *   rte(2N)     entries = 2N: half-empty buckets, its best case, at twice
 *               the key store.
 * Memory per entry: ours is entries + buckets (+ wheel) / capacity; rte_hash
 * is what rte_malloc's heap grew by in rte_hash_create (key store, buckets,
 * free-slot ring), divided by N.  Our 64-byte entry also holds a deadline,
 * timer links and 8 bytes of user data; rte_hash's 48-byte key slot holds
 * the key and a data pointer.
 *
 * Pages: by default both sides live on 4 KiB pages (EAL --no-huge, and the
 * host's THP is madvise-only), so TLB walks cost both alike.
 *
 * Usage: ft_vs_rte_hash [EAL args] [-- reps=N sizes=1024,1048576]
 * Pin it: taskset -c 1 build/rel/bench/ft_vs_rte_hash
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "dataplane/flowtable.h"

#define BATCH 32
#define MAX_REPS 31
#define MAX_SIZES 8
#define TIMEOUT_NS (3600ull * 1000000000ull) /* nothing expires mid-run */

enum impl { OURS, RTE_EXT, RTE_2N, N_IMPL };
static const char *const impl_name[N_IMPL] = {"nfbox", "rte(N,ext)", "rte(2N)"};

enum op { OP_INSERT, OP_HIT_HASH, OP_HIT, OP_MISS_HASH, OP_MISS, N_OP };
static const char *const op_name[N_OP] = {"insert", "hit+hash", "hit", "miss+hash", "miss"};

struct keyset {
	uint32_t n;
	struct flow_key *keys;        /* insertion order */
	uint32_t *hash;               /* flow_hash(keys[i]) */
	struct flow_key *hit_q;       /* the same keys, shuffled */
	const struct flow_key **hit_p;
	uint32_t *hit_h;
	struct flow_key *miss_q;      /* keys not inserted */
	const struct flow_key **miss_p;
	uint32_t *miss_h;
};

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void random_v4(struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = FLOW_FAMILY_V4;
	k->proto = rnd() & 1 ? 6 : 17;
	k->src.v4 = (uint32_t)rnd();
	k->dst.v4 = (uint32_t)rnd();
	uint64_t p = rnd();
	k->sport = (uint16_t)p;
	k->dport = (uint16_t)(p >> 16);
}

static void *xalloc(size_t n)
{
	void *p = aligned_alloc(64, (n + 63) & ~(size_t)63);
	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	memset(p, 0, n);
	return p;
}

static void keyset_make(struct keyset *ks, uint32_t n)
{
	ks->n = n;
	ks->keys = xalloc(n * sizeof(*ks->keys));
	ks->hash = xalloc(n * sizeof(uint32_t));
	ks->hit_q = xalloc(n * sizeof(*ks->hit_q));
	ks->hit_p = xalloc(n * sizeof(*ks->hit_p));
	ks->hit_h = xalloc(n * sizeof(uint32_t));
	ks->miss_q = xalloc(n * sizeof(*ks->miss_q));
	ks->miss_p = xalloc(n * sizeof(*ks->miss_p));
	ks->miss_h = xalloc(n * sizeof(uint32_t));
	uint32_t *perm = xalloc(n * sizeof(uint32_t));
	for (uint32_t i = 0; i < n; i++) {
		random_v4(&ks->keys[i]);
		ks->hash[i] = flow_hash(&ks->keys[i]);
		random_v4(&ks->miss_q[i]);
		ks->miss_q[i].proto = 132; /* never among the inserted keys */
		ks->miss_p[i] = &ks->miss_q[i];
		ks->miss_h[i] = flow_hash(&ks->miss_q[i]);
		perm[i] = i;
	}
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rnd() % (i + 1)), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (uint32_t i = 0; i < n; i++) {
		ks->hit_q[i] = ks->keys[perm[i]];
		ks->hit_p[i] = &ks->hit_q[i];
		ks->hit_h[i] = ks->hash[perm[i]];
	}
	free(perm);
}

static void keyset_free(struct keyset *ks)
{
	free(ks->keys), free(ks->hash), free(ks->hit_q), free(ks->hit_p), free(ks->hit_h);
	free(ks->miss_q), free(ks->miss_p), free(ks->miss_h);
}

/* rte_hash calls this for rte_hash_lookup_bulk: the same hash as ours. */
static uint32_t rte_flow_hash(const void *key, uint32_t len, uint32_t init)
{
	(void)len, (void)init;
	return flow_hash(key);
}

static inline uint64_t tsc(void)
{
	/* lfence keeps rdtsc from starting before earlier work retires. */
	__asm__ volatile("lfence" ::: "memory");
	return sys_rdtsc();
}

/* ---- the three tables ---------------------------------------------------------- */

struct tables {
	struct ft *ours;
	struct rte_hash *rte[N_IMPL]; /* [RTE_EXT], [RTE_2N] */
	double bytes_per_entry[N_IMPL];
};

static struct rte_hash *rte_make(enum impl which, uint32_t n, size_t *bytes)
{
	static unsigned seq;
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof(name), "ftb%u", seq++);
	struct rte_hash_parameters p = {
		.name = name,
		.entries = which == RTE_2N ? 2 * n : n,
		.key_len = sizeof(struct flow_key),
		.hash_func = rte_flow_hash,
		.socket_id = 0,
		.extra_flag = which == RTE_EXT ? RTE_HASH_EXTRA_FLAGS_EXT_TABLE : 0,
	};
	struct rte_malloc_socket_stats s0, s1;
	rte_malloc_get_socket_stats(0, &s0);
	struct rte_hash *h = rte_hash_create(&p);
	rte_malloc_get_socket_stats(0, &s1);
	if (!h) {
		fprintf(stderr, "rte_hash_create(%u): %s\n", p.entries, rte_strerror(rte_errno));
		exit(1);
	}
	*bytes = s1.heap_allocsz_bytes - s0.heap_allocsz_bytes;
	return h;
}

static void tables_make(struct tables *tb, uint32_t n)
{
	size_t eb, bb, rb;
	tb->ours = NULL;
	struct ft *t = ft_create(n);
	if (!t) {
		fprintf(stderr, "ft_create(%u) failed\n", n);
		exit(1);
	}
	ft_memory(t, &eb, &bb);
	ft_destroy(t);
	tb->bytes_per_entry[OURS] = (double)(eb + bb) / n;
	for (int im = RTE_EXT; im < N_IMPL; im++) {
		tb->rte[im] = rte_make((enum impl)im, n, &rb);
		tb->bytes_per_entry[im] = (double)rb / n;
	}
}

static void tables_free(struct tables *tb)
{
	ft_destroy(tb->ours);
	for (int im = RTE_EXT; im < N_IMPL; im++)
		rte_hash_free(tb->rte[im]);
}

/* Empty the table (untimed), then insert every key: cycles per key. */
static double measure_insert(struct tables *tb, enum impl im, const struct keyset *ks)
{
	uint32_t fail = 0;
	uint64_t c0, c1;
	if (im == OURS) {
		ft_destroy(tb->ours);
		struct ft *t = tb->ours = ft_create(ks->n);
		if (!t) {
			fprintf(stderr, "ft_create(%u) failed\n", ks->n);
			exit(1);
		}
		c0 = tsc();
		for (uint32_t i = 0; i < ks->n; i++)
			fail += ft_insert(t, &ks->keys[i], ks->hash[i], 0, TIMEOUT_NS, i) < 0;
		c1 = tsc();
	} else {
		struct rte_hash *h = tb->rte[im];
		rte_hash_reset(h);
		c0 = tsc();
		for (uint32_t i = 0; i < ks->n; i++)
			fail += rte_hash_add_key_with_hash(h, &ks->keys[i], ks->hash[i]) < 0;
		c1 = tsc();
	}
	if (fail)
		fprintf(stderr, "%s: %u of %u inserts failed\n", impl_name[im], fail, ks->n);
	return (double)(c1 - c0) / ks->n;
}

/* `passes` runs over the query set in batches: cycles per key. */
static double measure_lookup(struct tables *tb, enum impl im, enum op op,
			     const struct keyset *ks, unsigned passes)
{
	bool hit = op == OP_HIT || op == OP_HIT_HASH;
	bool hash = op == OP_HIT_HASH || op == OP_MISS_HASH;
	const struct flow_key **q = hit ? ks->hit_p : ks->miss_p;
	const uint32_t *qh = hit ? ks->hit_h : ks->miss_h;
	/* Whole batches only. */
	uint32_t nq = ks->n / BATCH * BATCH;
	int32_t res[BATCH];
	uint64_t found = 0;

	uint64_t c0 = tsc();
	for (unsigned p = 0; p < passes; p++) {
		for (uint32_t i = 0; i < nq; i += BATCH) {
			if (im == OURS) {
				/* No hashes: the table hashes, as rte_hash_lookup_bulk does. */
				uint64_t m = ft_lookup_bulk(tb->ours, q + i, hash ? NULL : qh + i,
							    BATCH, 0, res);
				found += (uint64_t)__builtin_popcountll(m);
			} else {
				const void **keys = (const void **)(q + i);
				if (hash)
					rte_hash_lookup_bulk(tb->rte[im], keys, BATCH, res);
				else
					rte_hash_lookup_with_hash_bulk(tb->rte[im], keys,
								       (hash_sig_t *)(qh + i),
								       BATCH, res);
				/* Consume the result as a caller would. */
				for (uint32_t j = 0; j < BATCH; j++)
					found += res[j] >= 0;
			}
		}
	}
	uint64_t c1 = tsc();
	uint64_t want = hit ? (uint64_t)nq * passes : 0;
	if (found != want)
		fprintf(stderr, "%s %s: %llu hits, expected %llu\n", impl_name[im], op_name[op],
			(unsigned long long)found, (unsigned long long)want);
	return (double)(c1 - c0) / ((double)nq * passes);
}

/* ---- driver --------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, unsigned n)
{
	double s[MAX_REPS];
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

struct result {
	double cyc[N_OP][N_IMPL][MAX_REPS];
	/* rte cycles / ours, from the same repetition: the machine is shared,
	 * and a ratio of neighbours in time cancels most of its drift. */
	double ratio[N_OP][N_IMPL][MAX_REPS];
};

/*
 * Each repetition measures every op for all three tables back to back,
 * rotating who goes first.  Medians of cycles, and medians of the paired
 * ratios, are reported.
 */
static void run_size(uint32_t n, unsigned reps, struct result *r, struct tables *tb)
{
	struct keyset ks;
	keyset_make(&ks, n);
	tables_make(tb, n);
	/* At least ~1M lookups per measurement, so small tables are timed
	 * over many passes rather than a few microseconds. */
	unsigned passes = n >= (1u << 20) ? 1 : (1u << 20) / n;

	for (int im = 0; im < N_IMPL; im++) /* warm up: fault pages in */
		measure_insert(tb, (enum impl)im, &ks);
	for (unsigned rep = 0; rep < reps; rep++) {
		for (int op = 0; op < N_OP; op++) {
			for (int k = 0; k < N_IMPL; k++) {
				enum impl im = (enum impl)((k + rep) % N_IMPL);
				r->cyc[op][im][rep] =
					op == OP_INSERT ? measure_insert(tb, im, &ks)
							: measure_lookup(tb, im, (enum op)op, &ks, passes);
			}
			for (int im = 0; im < N_IMPL; im++)
				r->ratio[op][im][rep] = r->cyc[op][im][rep] / r->cyc[op][OURS][rep];
		}
	}
	keyset_free(&ks);
}

static void parse_opts(int argc, char **argv, unsigned *reps, uint32_t *sizes, unsigned *n_sizes)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "reps=", 5)) {
			*reps = (unsigned)atoi(argv[i] + 5);
			if (*reps < 1 || *reps > MAX_REPS) {
				fprintf(stderr, "reps must be 1..%d\n", MAX_REPS);
				exit(2);
			}
		} else if (!strncmp(argv[i], "sizes=", 6)) {
			*n_sizes = 0;
			for (char *s = argv[i] + 6; *s && *n_sizes < MAX_SIZES;) {
				char *end;
				unsigned long v = strtoul(s, &end, 0);
				if (end == s || v < BATCH || v > (1u << 26)) {
					fprintf(stderr, "bad size list: %s\n", argv[i]);
					exit(2);
				}
				sizes[(*n_sizes)++] = (uint32_t)v;
				s = *end == ',' ? end + 1 : end;
			}
		} else {
			fprintf(stderr, "usage: ft_vs_rte_hash [EAL args] [-- reps=N sizes=A,B]\n");
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	/* Defaults need no hugepages, leave devices alone and share nothing
	 * (--in-memory would refuse --no-huge). */
	char *def[] = {argv[0], "--no-huge", "-m", "1024", "--no-pci", "--no-shconf",
		       "-l", "1", "--log-level=3", NULL};
	int ret;
	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--")) {
		/* EAL args given: EAL takes them up to "--" and leaves
		 * argv[ret] pointing at the program name. */
		ret = rte_eal_init(argc, argv);
	} else {
		ret = rte_eal_init((int)SYS_ARRAY_SIZE(def) - 1, def);
		if (ret >= 0)
			ret = argc > 1 && !strcmp(argv[1], "--");
	}
	if (ret < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret + 1;
	argv += ret + 1;

	unsigned reps = 7, n_sizes = 2;
	uint32_t sizes[MAX_SIZES] = {1024, 1u << 20};
	parse_opts(argc, argv, &reps, sizes, &n_sizes);

	mkdir("build", 0755);
	mkdir("build/bench", 0755);
	FILE *csv = fopen("build/bench/flowtable.csv", "w");
	if (!csv)
		fprintf(stderr, "cannot write build/bench/flowtable.csv: %s\n", strerror(errno));
	else
		fprintf(csv, "entries,op,impl,metric,median,min,max,reps\n");

	printf("flow table vs rte_hash: random IPv4 5-tuples (40-byte keys), same hash (flow_hash,"
	       " CRC32C)\nTSC cycles per key, median of %u; lookups in batches of %d; on CPU %d\n"
	       "rte/nfbox: median of per-repetition cycle ratios, > 1 means nfbox is faster\n",
	       reps, BATCH, sched_getcpu());
	struct result *r = xalloc(sizeof(*r));
	for (unsigned si = 0; si < n_sizes; si++) {
		uint32_t n = sizes[si];
		struct tables tb;
		memset(r, 0, sizeof(*r));
		run_size(n, reps, r, &tb);
		printf("\n%u entries (tables full: %u keys in capacity %u)\n", n, n, n);
		printf("  %-10s %9s %11s %9s   %-19s\n", "op", impl_name[OURS], impl_name[RTE_EXT],
		       impl_name[RTE_2N], "rte/nfbox (paired)");
		for (int op = 0; op < N_OP; op++) {
			double med[N_IMPL], rat[N_IMPL];
			for (int im = 0; im < N_IMPL; im++) {
				const double *v = r->cyc[op][im];
				double lo = v[0], hi = v[0];
				for (unsigned i = 1; i < reps; i++)
					lo = SYS_MIN(lo, v[i]), hi = SYS_MAX(hi, v[i]);
				med[im] = median(v, reps);
				rat[im] = median(r->ratio[op][im], reps);
				if (csv)
					fprintf(csv, "%u,%s,%s,cycles_per_op,%.2f,%.2f,%.2f,%u\n", n,
						op_name[op], impl_name[im], med[im], lo, hi, reps);
				if (csv && im != OURS)
					fprintf(csv, "%u,%s,%s,ratio_vs_nfbox,%.3f,,,%u\n", n,
						op_name[op], impl_name[im], rat[im], reps);
			}
			printf("  %-10s %9.1f %11.1f %9.1f   %5.2fx %5.2fx%s\n", op_name[op], med[OURS],
			       med[RTE_EXT], med[RTE_2N], rat[RTE_EXT], rat[RTE_2N],
			       SYS_MIN(rat[RTE_EXT], rat[RTE_2N]) < 1.0 ? "  <- nfbox slower" : "");
		}
		printf("  %-10s %9.1f %11.1f %9.1f   bytes per entry\n", "memory",
		       tb.bytes_per_entry[OURS], tb.bytes_per_entry[RTE_EXT],
		       tb.bytes_per_entry[RTE_2N]);
		if (csv)
			for (int im = 0; im < N_IMPL; im++)
				fprintf(csv, "%u,memory,%s,bytes_per_entry,%.2f,,,1\n", n,
					impl_name[im], tb.bytes_per_entry[im]);
		tables_free(&tb);
	}
	printf("\nnfbox memory = (64-byte entries + 64-byte buckets at <= 75%% slot use + wheel)"
	       " / capacity;\nrte = rte_malloc heap growth in rte_hash_create / entries."
	       " CSV: build/bench/flowtable.csv\n");
	if (csv)
		fclose(csv);
	free(r);
	rte_eal_cleanup();
	return 0;
}

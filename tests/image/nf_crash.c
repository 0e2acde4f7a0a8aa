/* SPDX-License-Identifier: MIT */
/*
 * nf_crash - a test-only function that faults on purpose, to check that a
 * crash in an image is reported (exception, registers, symbolized
 * backtrace) and ends the VM with a non-zero status.  Linked only into the
 * test image (tests/image/run.sh); never installed.
 *
 * Config: `crash at configure` (the default) faults while the function is
 * configured; `crash never` lets it run.  The fault is a write through a
 * pointer into unmapped memory, three calls deep, so the backtrace has
 * frames with names to show.  (W^X, NX, the stack guard and the canary are
 * proved by the kernel's own selftests, kernel/selftest.c.)
 */
#include "config/config.h"
#include "dataplane/nf.h"
#include "dataplane/stats.h"

struct crash {
	unsigned mode; /* index into `when` below */
};

/* Not static and not inlined: the backtrace should name these. */
void nf_crash_level3(volatile uint64_t *where);
void nf_crash_level2(volatile uint64_t *where);
void nf_crash_level1(void);

__attribute__((noinline)) void nf_crash_level3(volatile uint64_t *where)
{
	*where = 0xdeadbeef; /* far above any RAM: page not present */
}

__attribute__((noinline)) void nf_crash_level2(volatile uint64_t *where)
{
	nf_crash_level3(where);
	__asm__ volatile("" ::: "memory"); /* keep the frame: no tail call */
}

__attribute__((noinline)) void nf_crash_level1(void)
{
	volatile uintptr_t addr = 0x7e0000000000ull;
	nf_crash_level2((volatile uint64_t *)addr);
	__asm__ volatile("" ::: "memory");
}

static void *crash_create(const struct nf_env *env)
{
	(void)env;
	struct crash *c = sys_alloc(sizeof(*c), 16);
	return c;
}

static int crash_configure(void *st, const struct cfg *cfg, struct cfg_errors *errs)
{
	struct crash *c = st;
	static const char *const when[] = {"configure", "never", NULL};
	unsigned idx = 0;
	for (uint32_t i = 0; i < cfg_stmt_count(cfg); i++) {
		struct cfg_cursor cur;
		cfg_cursor_init(&cur, cfg, cfg_stmt_at(cfg, i), errs);
		if (strcmp(cfg_stmt_keyword(cfg_stmt_at(cfg, i)), "crash") != 0)
			return cfg_unknown_statement(&cur);
		cfg_next_keyword(&cur, "at");
		cfg_take_one_of(&cur, "when to crash", when, &idx);
		if (cfg_expect_end(&cur) < 0)
			return -SYS_EINVAL;
		c->mode = idx;
	}
	if (c->mode == 0)
		nf_crash_level1();
	return 0;
}

static void crash_process(void *st, struct nf_batch *b, uint64_t now)
{
	(void)st;
	(void)now;
	for (uint16_t i = 0; i < b->n; i++)
		b->pkts[i]->out_port = PKT_DROP;
}

static void crash_stats(void *st, struct stats_writer *w)
{
	(void)st;
	stats_section(w, "crash");
}

static void crash_destroy(void *st) { sys_free(st); }

static const struct nf_ops crash_ops = {
	.name = "crash",
	.summary = "test only: faults on purpose",
	.create = crash_create,
	.configure = crash_configure,
	.process = crash_process,
	.stats = crash_stats,
	.destroy = crash_destroy,
};
NF_REGISTER(crash_ops);

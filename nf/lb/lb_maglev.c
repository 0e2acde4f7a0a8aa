/* SPDX-License-Identifier: MIT */
/* lb_maglev.c - filling a Maglev lookup table (see lb_maglev.h). */
#include "nf/lb/lb_maglev.h"

bool lb_is_prime(uint32_t m)
{
	if (m < 2)
		return false;
	for (uint32_t d = 2; d * d <= m; d++)
		if (m % d == 0)
			return false;
	return true;
}

int lb_maglev_fill(uint16_t *table, uint32_t m, const struct lb_maglev_in *in, uint32_t n)
{
	if (m < LB_MAGLEV_MIN || m > LB_MAGLEV_MAX || !lb_is_prime(m))
		return -SYS_EINVAL;
	for (uint32_t i = 0; i < m; i++)
		table[i] = LB_MAGLEV_EMPTY;
	uint64_t total = 0;
	for (uint32_t i = 0; i < n; i++)
		total += in[i].weight;
	if (total == 0)
		return 0; /* nobody takes turns: the table stays empty */
	/* Per candidate: offset, skip, and how far down its permutation it is. */
	uint32_t *st = sys_alloc((size_t)n * 3 * sizeof(uint32_t), 8);
	if (!st)
		return -SYS_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t id = (uint64_t)in[i].addr << 16 | in[i].port;
		st[3 * i] = (uint32_t)(lb_mix64(id ^ 0x6c62272e07bb0142ull) % m);
		st[3 * i + 1] = (uint32_t)(lb_mix64(id ^ 0x27d4eb2f165667c5ull) % (m - 1)) + 1;
		st[3 * i + 2] = 0;
	}
	uint32_t filled = 0;
	while (filled < m) {
		for (uint32_t i = 0; i < n && filled < m; i++) {
			for (uint32_t w = 0; w < in[i].weight && filled < m; w++) {
				uint32_t c;
				/* A permutation visits every slot once in m steps,
				 * so a free one is found while any is free. */
				do {
					c = (uint32_t)((st[3 * i] + (uint64_t)st[3 * i + 2] * st[3 * i + 1]) % m);
					st[3 * i + 2]++;
				} while (table[c] != LB_MAGLEV_EMPTY);
				table[c] = in[i].id;
				filled++;
			}
		}
	}
	sys_free(st);
	return 0;
}

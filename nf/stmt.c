/* SPDX-License-Identifier: MIT */
/* stmt.c - shared config statements (see stmt.h). */
#include "nf/stmt.h"

int nf_timeout_stmt(struct cfg_cursor *c, const char *const *names, unsigned n,
		    const struct cfg_token **seen, uint32_t max, uint32_t *secs)
{
	if (cfg_at_end(c)) {
		char list[160];
		size_t at = 0;
		list[0] = 0;
		for (unsigned i = 0; i < n && at < sizeof(list); i++)
			at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s",
					       i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
		return cfg_error_at(c, NULL, "expected a timeout name (%s)", list);
	}
	while (!cfg_at_end(c)) {
		const struct cfg_token *t = cfg_peek(c);
		unsigned which;
		uint32_t s;
		if (cfg_take_one_of(c, "timeout name", names, &which))
			return -SYS_EINVAL;
		if (seen[which])
			return cfg_error_at(c, t, "timeout '%s' given twice (first at line %u)", t->text,
					    (unsigned)seen[which]->loc.line);
		seen[which] = t;
		if (cfg_take_u32(c, 1, max, "timeout in seconds", &s))
			return -SYS_EINVAL;
		secs[which] = s;
	}
	return cfg_expect_end(c);
}

int nf_choice_stmt(struct cfg_cursor *c, const struct cfg_token **seen, const char *what,
		   const char *const *words, unsigned *out)
{
	const struct cfg_stmt *st = c->stmt;
	if (*seen)
		return cfg_error_at(c, st->kw, "'%s' given twice (first at line %u)", st->kw->text,
				    (unsigned)(*seen)->loc.line);
	*seen = st->kw;
	if (cfg_take_one_of(c, what, words, out))
		return -SYS_EINVAL;
	return cfg_expect_end(c);
}

int nf_pass_drop_stmt(struct cfg_cursor *c, const struct cfg_token **seen, const char *what,
		      bool *out)
{
	static const char *const words[] = {"pass", "drop", NULL};
	unsigned i = 2; /* set once the word is taken, as *out is */
	int rc = nf_choice_stmt(c, seen, what, words, &i);
	if (i < 2)
		*out = i == 0;
	return rc;
}

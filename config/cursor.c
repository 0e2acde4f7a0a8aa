/* SPDX-License-Identifier: MIT */
/*
 * cursor.c - the helpers functions use to read their statements.  Every
 * error names what was expected and what was found, at the found token (or
 * at the statement's end when nothing was there).  The first error marks
 * the cursor failed so a statement yields one message, not a cascade.
 */
#include "config/cfg_int.h"

void cfg_cursor_init(struct cfg_cursor *c, const struct cfg *cfg, const struct cfg_stmt *stmt,
		     struct cfg_errors *errs)
{
	*c = (struct cfg_cursor){.cfg = cfg, .stmt = stmt, .errs = errs};
}

const struct cfg_token *cfg_peek(const struct cfg_cursor *c)
{
	if (c->failed || c->pos >= c->stmt->n_tok)
		return NULL;
	return &c->stmt->tok[c->pos];
}

const struct cfg_token *cfg_take(struct cfg_cursor *c)
{
	const struct cfg_token *t = cfg_peek(c);
	if (t)
		c->pos++;
	return t;
}

int cfg_error_at(struct cfg_cursor *c, const struct cfg_token *tok, const char *fmt, ...)
{
	if (c->failed)
		return -SYS_EINVAL;
	c->failed = true;
	char msg[CFG_ERROR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cfg_errorf(c->errs, tok ? &tok->loc : &c->stmt->end, "%s", msg);
}

int cfg_unknown_statement(struct cfg_cursor *c)
{
	return cfg_error_at(c, c->stmt->kw, "unknown keyword '%s'", c->stmt->kw->text);
}

/* "expected WHAT, got X" at the next token (or the end). */
static int expected(struct cfg_cursor *c, const char *what, const struct cfg_token *t)
{
	char d[96];
	return cfg_error_at(c, t, "expected %s, got %s", what, cfg_tok_describe(t, d, sizeof(d)));
}

bool cfg_next_keyword(struct cfg_cursor *c, const char *kw)
{
	const struct cfg_token *t = cfg_peek(c);
	if (!t || t->kind != CFG_TOK_WORD || strcmp(t->text, kw) != 0)
		return false;
	c->pos++;
	return true;
}

int cfg_expect_keyword(struct cfg_cursor *c, const char *kw)
{
	if (c->failed)
		return -SYS_EINVAL;
	if (cfg_next_keyword(c, kw))
		return 0;
	char what[80];
	snprintf(what, sizeof(what), "'%s'", kw);
	return expected(c, what, cfg_peek(c));
}

int cfg_expect_end(struct cfg_cursor *c)
{
	if (c->failed)
		return -SYS_EINVAL;
	const struct cfg_token *t = cfg_peek(c);
	if (!t)
		return 0;
	char d[96];
	return cfg_error_at(c, t, "unexpected %s at end of statement",
			    cfg_tok_describe(t, d, sizeof(d)));
}

int cfg_take_word(struct cfg_cursor *c, const char *what, const char **out)
{
	if (c->failed)
		return -SYS_EINVAL;
	const struct cfg_token *t = cfg_peek(c);
	if (!t || t->kind != CFG_TOK_WORD)
		return expected(c, what, t);
	c->pos++;
	*out = t->text;
	return 0;
}

int cfg_take_string(struct cfg_cursor *c, const char *what, const char **out)
{
	if (c->failed)
		return -SYS_EINVAL;
	const struct cfg_token *t = cfg_peek(c);
	if (!t || (t->kind != CFG_TOK_WORD && t->kind != CFG_TOK_STRING))
		return expected(c, what, t);
	c->pos++;
	*out = t->text;
	return 0;
}

int cfg_take_u32(struct cfg_cursor *c, uint32_t min, uint32_t max, const char *what,
		 uint32_t *out)
{
	if (c->failed)
		return -SYS_EINVAL;
	const struct cfg_token *t = cfg_peek(c);
	if (!t || t->kind != CFG_TOK_NUMBER)
		return expected(c, what, t);
	if (t->num < min || t->num > max)
		return cfg_error_at(c, t, "%s %s out of range %u-%u", what, t->text, min, max);
	c->pos++;
	*out = (uint32_t)t->num;
	return 0;
}

int cfg_take_one_of(struct cfg_cursor *c, const char *what, const char *const *words,
		    unsigned *idx)
{
	if (c->failed)
		return -SYS_EINVAL;
	const struct cfg_token *t = cfg_peek(c);
	if (t && t->kind == CFG_TOK_WORD) {
		for (unsigned i = 0; words[i]; i++) {
			if (strcmp(words[i], t->text) == 0) {
				c->pos++;
				*idx = i;
				return 0;
			}
		}
	}
	char list[128];
	size_t n = 0;
	list[0] = '\0';
	for (unsigned i = 0; words[i] && n < sizeof(list); i++) {
		int w = snprintf(list + n, sizeof(list) - n, "%s%s", i ? "|" : "", words[i]);
		n += w > 0 ? (size_t)w : 0;
	}
	char full[200];
	snprintf(full, sizeof(full), "%s (%s)", what, list);
	return expected(c, full, t);
}

int cfg_take_name_or_number(struct cfg_cursor *c, const char *what,
			    const struct cfg_name_value *names, uint32_t max, uint32_t *out)
{
	if (c->failed)
		return -SYS_EINVAL;
	const struct cfg_token *t = cfg_peek(c);
	if (t && t->kind == CFG_TOK_NUMBER) {
		if (t->num > max)
			return cfg_error_at(c, t, "%s %s out of range 0-%u", what, t->text, max);
		c->pos++;
		*out = (uint32_t)t->num;
		return 0;
	}
	if (t && t->kind == CFG_TOK_WORD) {
		for (unsigned i = 0; names[i].name; i++) {
			if (strcmp(names[i].name, t->text) == 0) {
				c->pos++;
				*out = names[i].value;
				return 0;
			}
		}
		return cfg_error_at(c, t, "unknown %s '%s'", what, t->text);
	}
	return expected(c, what, t);
}

int cfg_take_port_ref(struct cfg_cursor *c, const char *what, unsigned *out)
{
	if (c->failed)
		return -SYS_EINVAL;
	const struct cfg_token *t = cfg_peek(c);
	if (t && t->kind == CFG_TOK_NUMBER) {
		if (t->num >= CFG_PORT_MAX || !cfg_port_name(c->cfg, (unsigned)t->num))
			return cfg_error_at(c, t, "unknown port %s", t->text);
		c->pos++;
		*out = (unsigned)t->num;
		return 0;
	}
	if (t && t->kind == CFG_TOK_WORD) {
		int idx = cfg_port_by_name(c->cfg, t->text);
		if (idx < 0)
			return cfg_error_at(c, t, "unknown port '%s'", t->text);
		c->pos++;
		*out = (unsigned)idx;
		return 0;
	}
	return expected(c, what, t);
}

/* One N or N-M item of a port spec. */
static int port_item(struct cfg_cursor *c, const char *what, const struct cfg_token *t,
		     struct cfg_port_range *r)
{
	if (t->kind == CFG_TOK_NUMBER) {
		if (t->num > 65535)
			return cfg_error_at(c, t, "%s %s out of range 0-65535", what, t->text);
		r->lo = r->hi = (uint16_t)t->num;
		return 0;
	}
	if (t->range.lo > 65535 || t->range.hi > 65535)
		return cfg_error_at(c, t, "%s range %s out of range 0-65535", what, t->text);
	if (t->range.lo > t->range.hi)
		return cfg_error_at(c, t, "inverted %s range %s (%llu > %llu)", what, t->text,
				    (unsigned long long)t->range.lo, (unsigned long long)t->range.hi);
	r->lo = (uint16_t)t->range.lo;
	r->hi = (uint16_t)t->range.hi;
	return 0;
}

static bool is_port_item(const struct cfg_token *t)
{
	return t && (t->kind == CFG_TOK_NUMBER || t->kind == CFG_TOK_RANGE);
}

int cfg_take_port_spec(struct cfg_cursor *c, const char *what, struct cfg_port_spec *out)
{
	if (c->failed)
		return -SYS_EINVAL;
	struct cfg_port_spec s = {0};
	const struct cfg_token *t = cfg_peek(c);
	if (t && t->kind == CFG_TOK_BANG) {
		s.negate = true;
		c->pos++;
		t = cfg_peek(c);
	}
	if (is_port_item(t)) {
		if (port_item(c, what, t, &s.r[0]))
			return -SYS_EINVAL;
		s.n = 1;
		c->pos++;
	} else if (t && t->kind == CFG_TOK_LBRACE) {
		const struct cfg_token *open = t;
		c->pos++;
		char item[96];
		snprintf(item, sizeof(item), "%s or range", what);
		for (;;) {
			t = cfg_peek(c);
			if (t && t->kind == CFG_TOK_RBRACE)
				break;
			if (!is_port_item(t))
				return expected(c, item, t);
			if (s.n == CFG_PORT_LIST_MAX)
				return cfg_error_at(c, t, "too many %s ranges in one list (limit %u)", what,
						    CFG_PORT_LIST_MAX);
			if (port_item(c, what, t, &s.r[s.n]))
				return -SYS_EINVAL;
			s.n++;
			c->pos++;
		}
		if (s.n == 0)
			return cfg_error_at(c, open, "empty %s list", what);
		c->pos++;
	} else {
		return expected(c, what, t);
	}
	*out = s;
	return 0;
}

static void note_family(struct cfg_addr_spec *s, const struct cfg_addr *a)
{
	if (a->family == CFG_AF_V4)
		s->has_v4 = true;
	else
		s->has_v6 = true;
}

int cfg_take_addr_spec(struct cfg_cursor *c, const char *what, struct cfg_addr_spec *out)
{
	if (c->failed)
		return -SYS_EINVAL;
	struct cfg_addr_spec s = {0};
	const struct cfg_token *t = cfg_peek(c);
	if (t && t->kind == CFG_TOK_BANG) {
		s.negate = true;
		c->pos++;
		t = cfg_peek(c);
	}
	if (t && t->kind == CFG_TOK_WORD && strcmp(t->text, "any") == 0) {
		if (s.negate)
			return cfg_error_at(c, t, "'!any' matches nothing");
		s.kind = CFG_ADDR_ANY;
		s.has_v4 = s.has_v6 = true;
		c->pos++;
	} else if (t && t->kind == CFG_TOK_ADDR) {
		s.kind = CFG_ADDR_ONE;
		s.one = t->addr;
		note_family(&s, &t->addr);
		c->pos++;
	} else if (t && t->kind == CFG_TOK_SETREF) {
		s.set = cfg_set_find(c->cfg, t->text);
		if (!s.set)
			return cfg_error_at(c, t, "unknown set '@%s'", t->text);
		s.kind = CFG_ADDR_SET;
		s.has_v4 = s.set->n4 > 0;
		s.has_v6 = s.set->n6 > 0;
		c->pos++;
	} else if (t && t->kind == CFG_TOK_LBRACE) {
		const struct cfg_token *open = t;
		c->pos++;
		s.kind = CFG_ADDR_LIST;
		s.list = cfg_peek(c);
		for (;;) {
			t = cfg_peek(c);
			if (t && t->kind == CFG_TOK_RBRACE)
				break;
			if (!t || t->kind != CFG_TOK_ADDR)
				return expected(c, "address or prefix", t);
			note_family(&s, &t->addr);
			s.n++;
			c->pos++;
		}
		if (s.n == 0)
			return cfg_error_at(c, open, "empty %s list", what);
		c->pos++;
	} else {
		return expected(c, what, t);
	}
	*out = s;
	return 0;
}

int cfg_take_addr(struct cfg_cursor *c, const char *what, bool host_only, struct cfg_addr *out)
{
	if (c->failed)
		return -SYS_EINVAL;
	const struct cfg_token *t = cfg_peek(c);
	if (!t || t->kind != CFG_TOK_ADDR)
		return expected(c, what, t);
	if (host_only && t->addr.prefix != (t->addr.family == CFG_AF_V4 ? 32 : 128)) {
		char full[120];
		snprintf(full, sizeof(full), "%s (a single address)", what);
		return expected(c, full, t);
	}
	c->pos++;
	*out = t->addr;
	return 0;
}

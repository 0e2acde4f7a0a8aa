/* SPDX-License-Identifier: MIT */
/*
 * lex.c - the config lexer.  One pass over a byte buffer of known length
 * (never read past `end`, no NUL needed), no recursion, no allocation:
 * tokens come out as slices of the text and the parser copies what it keeps.
 *
 * Newlines end statements only outside braces, so the lexer, not the
 * parser, tracks brace depth.  Lexical errors are reported here, at the
 * first byte of the offending token, and surface as CFG_LEX_ERROR.
 */
#include "config/cfg_int.h"

/* Longest spelling quoted in a message before it is cut with "...". */
#define QUOTE_MAX 64

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_run(char c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == ':' || c == '/' ||
	       c == '-';
}

void cfg_lex_init(struct cfg_lexer *lx, const char *file, const char *text, size_t len,
		  struct cfg_errors *errs, bool flat)
{
	*lx = (struct cfg_lexer){
		.p = text,
		.end = text + len,
		.line_start = text,
		.file = file,
		.line = 1,
		.flat = flat,
		.errs = errs,
	};
}

static struct cfg_loc loc_at(const struct cfg_lexer *lx, const char *at)
{
	size_t col = (size_t)(at - lx->line_start) + 1;
	return (struct cfg_loc){
		.file = lx->file,
		.line = lx->line,
		.col = col > UINT32_MAX ? UINT32_MAX : (uint32_t)col,
	};
}

struct cfg_loc cfg_lex_loc(const struct cfg_lexer *lx)
{
	return loc_at(lx, lx->p);
}

static void newline(struct cfg_lexer *lx)
{
	/* lx->p points just past the '\n'. */
	lx->line_start = lx->p;
	if (lx->line < UINT32_MAX)
		lx->line++;
}

static int cut(size_t n) { return n > QUOTE_MAX ? QUOTE_MAX : (int)n; }
static const char *dots(size_t n) { return n > QUOTE_MAX ? "..." : ""; }

static enum cfg_lex_result fail(struct cfg_lexer *lx, const struct cfg_loc *loc,
				const char *what, const char *s, size_t n)
{
	cfg_errorf(lx->errs, loc, "%s '%.*s%s'", what, cut(n), s, dots(n));
	return CFG_LEX_ERROR;
}

/* Decimal digits s[0..n) into *v; false on overflow. */
static bool decimal(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

static enum cfg_lex_result addr_error(struct cfg_lexer *lx, const struct cfg_loc *loc,
				      enum cfg_addr_err e, uint32_t bad, int family,
				      const char *s, size_t n)
{
	const char *fam = family == CFG_AF_V4 ? "IPv4" : "IPv6";
	switch (e) {
	case CFG_AE_OCTET:
		cfg_errorf(lx->errs, loc, "IPv4 octet %u out of range 0-255 in '%.*s%s'", bad,
			   cut(n), s, dots(n));
		break;
	case CFG_AE_PREFIX:
		if (bad == UINT32_MAX)
			cfg_errorf(lx->errs, loc, "bad prefix length in '%.*s%s'", cut(n), s, dots(n));
		else
			cfg_errorf(lx->errs, loc, "prefix length %u too long for %s (max %u) in '%.*s%s'",
				   bad, fam, family == CFG_AF_V4 ? 32 : 128, cut(n), s, dots(n));
		break;
	case CFG_AE_HOSTBITS:
		cfg_errorf(lx->errs, loc, "host bits set in %.*s%s", cut(n), s, dots(n));
		break;
	default:
		cfg_errorf(lx->errs, loc, "bad %s address '%.*s%s'", fam, cut(n), s, dots(n));
		break;
	}
	return CFG_LEX_ERROR;
}

/* Classify a maximal run of [A-Za-z0-9_.:/-] (see config.h). */
static enum cfg_lex_result run(struct cfg_lexer *lx, struct cfg_lexeme *out)
{
	const char *s = lx->p;
	while (lx->p < lx->end && is_run(*lx->p))
		lx->p++;
	size_t n = (size_t)(lx->p - s);
	struct cfg_token *t = &out->tok;
	out->s = s;
	out->n = n;

	if (memchr(s, ':', n)) {
		uint32_t bad = 0;
		enum cfg_addr_err e = cfg_parse_v6(s, n, &t->addr, &bad);
		if (e != CFG_AE_OK)
			return addr_error(lx, &t->loc, e, bad, CFG_AF_V6, s, n);
		t->kind = CFG_TOK_ADDR;
		return CFG_LEX_TOKEN;
	}
	if (is_alpha(s[0]) || s[0] == '_' || s[0] == '.' || s[0] == '/') {
		t->kind = CFG_TOK_WORD;
		return CFG_LEX_TOKEN;
	}
	if (!is_digit(s[0]))
		return fail(lx, &t->loc, "invalid token", s, n);

	size_t d = 0;
	while (d < n && is_digit(s[d]))
		d++;
	if (d == n) {
		if (!decimal(s, n, &t->num))
			return fail(lx, &t->loc, "number too large", s, n);
		t->kind = CFG_TOK_NUMBER;
		return CFG_LEX_TOKEN;
	}
	if (s[d] == '-') {
		size_t e = d + 1;
		while (e < n && is_digit(s[e]))
			e++;
		if (e == n && e > d + 1) {
			if (!decimal(s, d, &t->range.lo) || !decimal(s + d + 1, n - d - 1, &t->range.hi))
				return fail(lx, &t->loc, "number too large in range", s, n);
			t->kind = CFG_TOK_RANGE;
			return CFG_LEX_TOKEN;
		}
	}
	if (memchr(s, '.', n) || memchr(s, '/', n)) {
		uint32_t bad = 0;
		enum cfg_addr_err e = cfg_parse_v4(s, n, &t->addr, &bad);
		if (e != CFG_AE_OK)
			return addr_error(lx, &t->loc, e, bad, CFG_AF_V4, s, n);
		t->kind = CFG_TOK_ADDR;
		return CFG_LEX_TOKEN;
	}
	return fail(lx, &t->loc, "invalid number", s, n);
}

static enum cfg_lex_result string(struct cfg_lexer *lx, struct cfg_lexeme *out)
{
	const char *s = ++lx->p;
	while (lx->p < lx->end && *lx->p != '"' && *lx->p != '\n') {
		unsigned char c = (unsigned char)*lx->p;
		if (c < 0x20 || c == 0x7f) {
			/* Report at the bad byte, then drop the rest of the
			 * string so its tail is not lexed as tokens. */
			struct cfg_loc at = loc_at(lx, lx->p);
			cfg_errorf(lx->errs, &at, "control byte 0x%02x in string", c);
			while (lx->p < lx->end && *lx->p != '"' && *lx->p != '\n')
				lx->p++;
			if (lx->p < lx->end && *lx->p == '"')
				lx->p++;
			return CFG_LEX_ERROR;
		}
		lx->p++;
	}
	if (lx->p >= lx->end || *lx->p != '"') {
		cfg_errorf(lx->errs, &out->tok.loc, "unterminated string");
		return CFG_LEX_ERROR; /* the newline, if any, is lexed next */
	}
	out->s = s;
	out->n = (size_t)(lx->p - s);
	out->tok.kind = CFG_TOK_STRING;
	lx->p++;
	return CFG_LEX_TOKEN;
}

static enum cfg_lex_result setref(struct cfg_lexer *lx, struct cfg_lexeme *out)
{
	const char *at = lx->p++;
	const char *s = lx->p;
	while (lx->p < lx->end && is_run(*lx->p))
		lx->p++;
	size_t n = (size_t)(lx->p - s);
	bool ok = n > 0 && (is_alpha(s[0]) || s[0] == '_');
	for (size_t i = 1; ok && i < n; i++)
		ok = is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_' || s[i] == '-';
	if (!ok)
		return fail(lx, &out->tok.loc, "bad set reference", at, n + 1);
	out->s = s;
	out->n = n;
	out->tok.kind = CFG_TOK_SETREF;
	return CFG_LEX_TOKEN;
}

static enum cfg_lex_result punct(struct cfg_lexer *lx, struct cfg_lexeme *out,
				 enum cfg_tok_kind kind)
{
	out->s = lx->p++;
	out->n = 1;
	out->tok.kind = kind;
	return CFG_LEX_TOKEN;
}

enum cfg_lex_result cfg_lex_next(struct cfg_lexer *lx, struct cfg_lexeme *out)
{
	*out = (struct cfg_lexeme){0};
	for (;;) {
		if (lx->p >= lx->end) {
			out->tok.loc = loc_at(lx, lx->p);
			if (lx->depth > 0) {
				lx->depth = 0;
				cfg_errorf(lx->errs, &lx->open, "unterminated '{'");
				return CFG_LEX_ERROR;
			}
			return CFG_LEX_EOF;
		}
		char c = *lx->p;
		out->tok.loc = loc_at(lx, lx->p);
		bool in_list = lx->depth > 0 && !lx->flat;

		switch (c) {
		case ' ':
		case '\t':
		case '\r':
		case '\f':
		case '\v':
			lx->p++;
			continue;
		case '\n':
			lx->p++;
			newline(lx);
			if (in_list)
				continue;
			return CFG_LEX_EOS;
		case '#':
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		case ';':
			lx->p++;
			if (in_list) {
				cfg_errorf(lx->errs, &out->tok.loc, "unexpected ';' inside '{ }'");
				return CFG_LEX_ERROR;
			}
			return CFG_LEX_EOS;
		case ',':
			lx->p++;
			if (!in_list || lx->after_sep) {
				cfg_errorf(lx->errs, &out->tok.loc, "unexpected ','");
				return CFG_LEX_ERROR;
			}
			lx->after_sep = true;
			continue;
		case '{':
			if (!lx->flat) {
				if (lx->depth == 0)
					lx->open = out->tok.loc;
				lx->depth++;
				lx->after_sep = true;
				if (lx->depth > 1) {
					lx->p++;
					cfg_errorf(lx->errs, &out->tok.loc, "nested '{'");
					return CFG_LEX_ERROR;
				}
			}
			return punct(lx, out, CFG_TOK_LBRACE);
		case '}':
			if (!lx->flat) {
				if (lx->depth == 0) {
					lx->p++;
					cfg_errorf(lx->errs, &out->tok.loc, "unexpected '}'");
					return CFG_LEX_ERROR;
				}
				lx->depth--;
				lx->after_sep = false;
			}
			return punct(lx, out, CFG_TOK_RBRACE);
		default:
			break;
		}

		lx->after_sep = false;
		if (c == '!')
			return punct(lx, out, CFG_TOK_BANG);
		if (c == '"')
			return string(lx, out);
		if (c == '@')
			return setref(lx, out);
		if (is_run(c))
			return run(lx, out);

		lx->p++;
		unsigned char u = (unsigned char)c;
		if (u > 0x20 && u < 0x7f)
			cfg_errorf(lx->errs, &out->tok.loc, "unexpected character '%c'", c);
		else
			cfg_errorf(lx->errs, &out->tok.loc, "unexpected byte 0x%02x", u);
		return CFG_LEX_ERROR;
	}
}

const char *cfg_tok_describe(const struct cfg_token *t, char *buf, size_t size)
{
	if (!t) {
		snprintf(buf, size, "end of statement");
		return buf;
	}
	size_t n = strlen(t->text);
	switch (t->kind) {
	case CFG_TOK_STRING:
		snprintf(buf, size, "\"%.*s%s\"", cut(n), t->text, dots(n));
		break;
	case CFG_TOK_SETREF:
		snprintf(buf, size, "'@%.*s%s'", cut(n), t->text, dots(n));
		break;
	default:
		snprintf(buf, size, "'%.*s%s'", cut(n), t->text, dots(n));
		break;
	}
	return buf;
}

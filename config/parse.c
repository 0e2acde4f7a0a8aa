/* SPDX-License-Identifier: MIT */
/*
 * parse.c - statements: the framework's own (port, set, include) are
 * interpreted here; every other one is stored for the function.
 *
 * The parser pulls tokens from the lexer one at a time, so an inline set
 * of a million entries goes straight into its compact vector and never
 * exists as tokens.  After an error it skips to the end of the statement
 * and carries on, so one pass reports every independent mistake.
 * Includes recurse, bounded by CFG_INCLUDE_MAX_DEPTH; nothing else does.
 */
#include "config/cfg_int.h"

struct parser {
	struct cfg *cfg;
	struct cfg_errors *errs;
	cfg_load_fn load;
	void *ctx;
	/* Files being parsed, outermost first: include-cycle detection. */
	const char *stack[CFG_INCLUDE_MAX_DEPTH + 1];
	unsigned depth;
	unsigned loads; /* files loaded so far, for CFG_LOAD_MAX_FILES */
	struct cfg_token *scratch; /* the statement being read */
	uint32_t n_scratch, cap_scratch;
	bool oom;
};

static void parse_text(struct parser *p, const char *file, const char *text, size_t len);

static void out_of_memory(struct parser *p, const struct cfg_loc *loc)
{
	if (!p->oom)
		cfg_errorf(p->errs, loc, "out of memory");
	p->oom = true;
}

/* Skip to the end of the statement (lexical errors in the way are still
 * reported: they are independent mistakes). */
static void skip(struct cfg_lexer *lx)
{
	struct cfg_lexeme t;
	for (;;) {
		enum cfg_lex_result r = cfg_lex_next(lx, &t);
		if (r == CFG_LEX_EOS || r == CFG_LEX_EOF)
			return;
	}
}

/* Quote a lexeme that was not stored (its text is a slice). */
static const char *describe(const struct cfg_lexeme *t, enum cfg_lex_result r, char *buf,
			    size_t size)
{
	if (r != CFG_LEX_TOKEN) {
		snprintf(buf, size, r == CFG_LEX_EOF ? "end of file" : "end of statement");
		return buf;
	}
	int n = t->n > 64 ? 64 : (int)t->n;
	const char *more = t->n > 64 ? "..." : "";
	if (t->tok.kind == CFG_TOK_STRING)
		snprintf(buf, size, "\"%.*s%s\"", n, t->s, more);
	else if (t->tok.kind == CFG_TOK_SETREF)
		snprintf(buf, size, "'@%.*s%s'", n, t->s, more);
	else
		snprintf(buf, size, "'%.*s%s'", n, t->s, more);
	return buf;
}

static bool lexeme_is(const struct cfg_lexeme *t, enum cfg_tok_kind kind, const char *word)
{
	if (t->tok.kind != kind)
		return false;
	size_t n = strlen(word);
	return t->n == n && memcmp(t->s, word, n) == 0;
}

static bool store_text(struct parser *p, struct cfg_lexeme *t)
{
	t->tok.text = cfg_arena_strndup(&p->cfg->arena, t->s, t->n);
	if (!t->tok.text)
		out_of_memory(p, &t->tok.loc);
	return t->tok.text != NULL;
}

/* Read the rest of a statement into p->scratch.  False if it had an error
 * (reported, and the statement skipped). */
static bool collect(struct parser *p, struct cfg_lexer *lx, struct cfg_loc *end)
{
	p->n_scratch = 0;
	for (;;) {
		struct cfg_lexeme t;
		enum cfg_lex_result r = cfg_lex_next(lx, &t);
		if (r == CFG_LEX_EOS || r == CFG_LEX_EOF) {
			*end = t.tok.loc;
			return true;
		}
		if (r == CFG_LEX_ERROR) {
			skip(lx);
			return false;
		}
		if (!store_text(p, &t))
			return false;
		if (cfg_vec_reserve((void **)&p->scratch, &p->cap_scratch, sizeof(*p->scratch),
				    (uint64_t)p->n_scratch + 1)) {
			out_of_memory(p, &t.tok.loc);
			return false;
		}
		p->scratch[p->n_scratch++] = t.tok;
	}
}

/* ---- paths ---------------------------------------------------------------- */

/* Fold "." and "x/.." components of buf in place (lexically: the loader
 * sees the same name for the same file however it was spelled, which is
 * what cycle detection compares). */
static void normalize(char *buf)
{
	size_t base = buf[0] == '/' ? 1 : 0;
	size_t w = base, i = base;
	while (buf[i]) {
		while (buf[i] == '/')
			i++;
		size_t s = i;
		while (buf[i] && buf[i] != '/')
			i++;
		size_t n = i - s;
		if (n == 0 || (n == 1 && buf[s] == '.'))
			continue;
		if (n == 2 && buf[s] == '.' && buf[s + 1] == '.') {
			size_t last = w;
			while (last > base && buf[last - 1] != '/')
				last--;
			bool last_is_up = w - last == 2 && buf[last] == '.' && buf[last + 1] == '.';
			if (w > base && !last_is_up) {
				w = last > base ? last - 1 : base;
				continue;
			}
			if (base) /* "/.." is "/" */
				continue;
		}
		if (w > base)
			buf[w++] = '/';
		memmove(buf + w, buf + s, n);
		w += n;
	}
	if (w == 0)
		buf[w++] = '.';
	buf[w] = '\0';
}

/* `path` as named in `from`: relative names are relative to from's
 * directory.  NULL when out of memory. */
static char *resolve(struct parser *p, const char *from, const char *path)
{
	size_t dir = 0;
	if (path[0] != '/')
		for (size_t i = 0; from[i]; i++)
			if (from[i] == '/')
				dir = i + 1;
	size_t n = strlen(path);
	char *buf = cfg_arena_alloc(&p->cfg->arena, dir + n + 1, 1);
	if (!buf)
		return NULL;
	memcpy(buf, from, dir);
	memcpy(buf + dir, path, n + 1);
	normalize(buf);
	return buf;
}

static const char *load_error(int rc)
{
	switch (-rc) {
	case SYS_ENOENT:
		return "file not found";
	case SYS_EPERM:
	case 13: /* EACCES */
		return "permission denied";
	case SYS_ENOMEM:
		return "out of memory";
	case SYS_EIO:
		return "I/O error";
	default:
		return "cannot read";
	}
}

/* Load `path` (resolved) named at `at` in file `from`.  0 or reported. */
static int load(struct parser *p, const char *path, const char *from, const struct cfg_loc *at,
		const char *what, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	if (p->loads >= CFG_LOAD_MAX_FILES)
		return cfg_errorf(p->errs, at, "cannot read %s '%s': more than %u files loaded",
				  what, path, CFG_LOAD_MAX_FILES);
	p->loads++;
	int rc = p->load ? p->load(p->ctx, path, from, text, len) : -SYS_ENOENT;
	if (rc >= 0 && !*text && *len)
		rc = -SYS_EIO;
	if (rc < 0) {
		sys_free(*text);
		*text = NULL;
		return cfg_errorf(p->errs, at, "cannot read %s '%s': %s", what, path, load_error(rc));
	}
	return 0;
}

/* ---- port N name NAME --------------------------------------------------- */

static void parse_port(struct parser *p, const struct cfg_stmt *st)
{
	struct cfg *cfg = p->cfg;
	struct cfg_cursor c;
	cfg_cursor_init(&c, cfg, st, p->errs);
	const struct cfg_token *it = cfg_peek(&c);
	uint32_t idx;
	const char *name;
	if (cfg_take_u32(&c, 0, CFG_PORT_MAX - 1, "port index", &idx) ||
	    cfg_expect_keyword(&c, "name"))
		return;
	const struct cfg_token *nt = cfg_peek(&c);
	if (cfg_take_word(&c, "port name", &name))
		return;
	if (!cfg_valid_name(name)) {
		cfg_error_at(&c, nt, "bad port name '%s' (letters, digits, '_', '-')", name);
		return;
	}
	if (cfg_expect_end(&c))
		return;
	if (cfg->port_name[idx]) {
		const struct cfg_loc *f = &cfg->port_loc[idx];
		cfg_error_at(&c, it, "duplicate port %u (first defined at %s:%u:%u)", idx, f->file,
			     f->line, f->col);
		return;
	}
	int other = cfg_port_by_name(cfg, name);
	if (other >= 0) {
		cfg_error_at(&c, nt, "duplicate port name '%s' (already port %d)", name, other);
		return;
	}
	cfg->port_name[idx] = name;
	cfg->port_loc[idx] = it->loc;
	cfg->n_ports++;
}

/* ---- include ------------------------------------------------------------ */

static void parse_include(struct parser *p, const struct cfg_stmt *st, const char *from)
{
	struct cfg_cursor c;
	cfg_cursor_init(&c, p->cfg, st, p->errs);
	const struct cfg_token *pt = cfg_peek(&c);
	const char *name;
	if (cfg_take_string(&c, "file name", &name) || cfg_expect_end(&c))
		return;
	if (!name[0]) {
		cfg_error_at(&c, pt, "empty file name");
		return;
	}
	if (p->depth >= CFG_INCLUDE_MAX_DEPTH) {
		cfg_error_at(&c, pt, "includes nested too deeply (limit %u)", CFG_INCLUDE_MAX_DEPTH);
		return;
	}
	char *path = resolve(p, from, name);
	if (!path) {
		out_of_memory(p, &pt->loc);
		return;
	}
	for (unsigned i = 0; i <= p->depth; i++) {
		if (strcmp(p->stack[i], path) != 0)
			continue;
		char chain[CFG_ERROR_LEN];
		size_t n = 0;
		chain[0] = '\0';
		for (unsigned k = i; k <= p->depth && n < sizeof(chain); k++) {
			int w = snprintf(chain + n, sizeof(chain) - n, "%s -> ", p->stack[k]);
			n += w > 0 ? (size_t)w : 0;
		}
		cfg_error_at(&c, pt, "include cycle: %s%s", chain, path);
		return;
	}

	char *text;
	size_t len;
	if (load(p, path, from, &pt->loc, "include file", &text, &len))
		return;
	p->stack[++p->depth] = path;
	parse_text(p, path, text, len);
	p->depth--;
	sys_free(text);
}

/* ---- set NAME { ... } / set NAME file PATH ------------------------------ */

static bool add_entry(struct parser *p, struct cfg_set_build *s, const struct cfg_lexeme *t,
		      bool *full)
{
	int rc = cfg_set_add(s, &t->tok.addr);
	if (rc == -SYS_E2BIG) {
		if (!*full)
			cfg_errorf(p->errs, &t->tok.loc, "set '%s' has too many entries (limit %u)",
				   s->pub.name, CFG_SET_MAX_ENTRIES);
		*full = true;
		return false;
	}
	if (rc) {
		out_of_memory(p, &t->tok.loc);
		return false;
	}
	return true;
}

/* Entries of an inline set, after its '{'.  False on any error. */
static bool set_inline(struct parser *p, struct cfg_lexer *lx, struct cfg_set_build *s)
{
	bool ok = true, full = false, bad_entry = false;
	char d[96];
	for (;;) {
		struct cfg_lexeme t;
		enum cfg_lex_result r = cfg_lex_next(lx, &t);
		if (r == CFG_LEX_ERROR) {
			ok = false; /* reported; the list goes on */
			continue;
		}
		if (r != CFG_LEX_TOKEN)
			return false; /* end of file: reported as unterminated */
		if (t.tok.kind == CFG_TOK_RBRACE) {
			if (lx->depth == 0)
				break;
			continue;
		}
		if (t.tok.kind != CFG_TOK_ADDR) {
			/* Only the first: after a missing '}' every later
			 * token of the file lands here. */
			if (!bad_entry)
				cfg_errorf(p->errs, &t.tok.loc,
					   "expected an address or prefix in set '%s', got %s",
					   s->pub.name, describe(&t, r, d, sizeof(d)));
			bad_entry = true;
			ok = false;
			continue;
		}
		if (!add_entry(p, s, &t, &full)) {
			ok = false;
			if (p->oom)
				return false;
		}
	}
	/* Nothing may follow the closing brace. */
	struct cfg_lexeme t;
	enum cfg_lex_result r = cfg_lex_next(lx, &t);
	if (r == CFG_LEX_TOKEN || r == CFG_LEX_ERROR) {
		if (r == CFG_LEX_TOKEN)
			cfg_errorf(p->errs, &t.tok.loc, "unexpected %s at end of statement",
				   describe(&t, r, d, sizeof(d)));
		skip(lx);
		ok = false;
	}
	return ok;
}

/* Entries of a set file: one address or prefix per line, '#' comments. */
static bool set_file(struct parser *p, const char *file, const char *text, size_t len,
		     struct cfg_set_build *s)
{
	struct cfg_lexer lx;
	bool ok = true, full = false;
	char d[96];
	cfg_lex_init(&lx, file, text, len, p->errs, true);
	for (;;) {
		struct cfg_lexeme t;
		enum cfg_lex_result r = cfg_lex_next(&lx, &t);
		if (r == CFG_LEX_EOF)
			break;
		if (r == CFG_LEX_EOS)
			continue;
		if (r == CFG_LEX_ERROR) {
			ok = false;
			skip(&lx);
			continue;
		}
		if (t.tok.kind != CFG_TOK_ADDR) {
			cfg_errorf(p->errs, &t.tok.loc, "expected an address or prefix, got %s",
				   describe(&t, r, d, sizeof(d)));
			ok = false;
			skip(&lx);
			continue;
		}
		if (!add_entry(p, s, &t, &full)) {
			ok = false;
			if (p->oom)
				return false;
		}
		r = cfg_lex_next(&lx, &t);
		if (r == CFG_LEX_TOKEN || r == CFG_LEX_ERROR) {
			if (r == CFG_LEX_TOKEN)
				cfg_errorf(p->errs, &t.tok.loc,
					   "unexpected %s after the address (one per line)",
					   describe(&t, r, d, sizeof(d)));
			ok = false;
			skip(&lx);
		}
	}
	return ok;
}

static struct cfg_set_build *find_set(struct cfg *cfg, const char *name)
{
	for (uint32_t i = 0; i < cfg->n_sets; i++)
		if (strcmp(cfg->sets[i].pub.name, name) == 0)
			return &cfg->sets[i];
	return NULL;
}

static void parse_set(struct parser *p, struct cfg_lexer *lx)
{
	struct cfg *cfg = p->cfg;
	struct cfg_lexeme t;
	char d[96];
	enum cfg_lex_result r = cfg_lex_next(lx, &t);
	if (r == CFG_LEX_ERROR) {
		skip(lx);
		return;
	}
	if (r != CFG_LEX_TOKEN || t.tok.kind != CFG_TOK_WORD) {
		cfg_errorf(p->errs, &t.tok.loc, "expected set name, got %s", describe(&t, r, d, sizeof(d)));
		if (r == CFG_LEX_TOKEN)
			skip(lx);
		return;
	}
	if (!store_text(p, &t))
		return;
	struct cfg_set_build s = {.pub = {.name = t.tok.text, .loc = t.tok.loc}};
	bool ok = true;
	if (!cfg_valid_name(s.pub.name)) {
		cfg_errorf(p->errs, &t.tok.loc, "bad set name '%s' (letters, digits, '_', '-')",
			   s.pub.name);
		ok = false;
	}
	const struct cfg_set_build *dup = find_set(cfg, s.pub.name);
	if (dup) {
		cfg_errorf(p->errs, &t.tok.loc, "duplicate set '%s' (first defined at %s:%u:%u)",
			   s.pub.name, dup->pub.loc.file, dup->pub.loc.line, dup->pub.loc.col);
		ok = false;
	}

	r = cfg_lex_next(lx, &t);
	if (r == CFG_LEX_TOKEN && t.tok.kind == CFG_TOK_LBRACE) {
		ok = set_inline(p, lx, &s) && ok;
	} else if (r == CFG_LEX_TOKEN && lexeme_is(&t, CFG_TOK_WORD, "file")) {
		struct cfg_loc end;
		if (!collect(p, lx, &end))
			goto fail;
		struct cfg_stmt st = {.kw = NULL, .tok = p->scratch, .n_tok = p->n_scratch, .end = end};
		struct cfg_cursor c;
		cfg_cursor_init(&c, cfg, &st, p->errs);
		const struct cfg_token *pt = cfg_peek(&c);
		const char *name;
		if (cfg_take_string(&c, "set file name", &name) || cfg_expect_end(&c))
			goto fail;
		if (!name[0]) {
			cfg_error_at(&c, pt, "empty file name");
			goto fail;
		}
		char *path = resolve(p, lx->file, name);
		if (!path) {
			out_of_memory(p, &pt->loc);
			goto fail;
		}
		char *text;
		size_t len;
		if (load(p, path, lx->file, &pt->loc, "set file", &text, &len))
			goto fail;
		ok = set_file(p, path, text, len, &s) && ok;
		sys_free(text);
	} else {
		if (r != CFG_LEX_ERROR)
			cfg_errorf(p->errs, &t.tok.loc, "expected '{' or 'file' after set name, got %s",
				   describe(&t, r, d, sizeof(d)));
		if (r == CFG_LEX_TOKEN || r == CFG_LEX_ERROR)
			skip(lx);
		goto fail;
	}
	if (!ok || p->oom)
		goto fail;
	if (s.pub.n4 + s.pub.n6 == 0) {
		cfg_errorf(p->errs, &s.pub.loc, "empty set '%s'", s.pub.name);
		goto fail;
	}
	if (cfg_set_finish(&s) ||
	    cfg_vec_reserve((void **)&cfg->sets, &cfg->cap_sets, sizeof(*cfg->sets),
			    (uint64_t)cfg->n_sets + 1)) {
		out_of_memory(p, &s.pub.loc);
		goto fail;
	}
	cfg->sets[cfg->n_sets++] = s;
	return;
fail:
	cfg_set_release(&s);
}

/* ---- statements for the function ---------------------------------------- */

static void keep(struct parser *p, const struct cfg_token *kw, const struct cfg_loc *end)
{
	struct cfg *cfg = p->cfg;
	struct cfg_token *toks = cfg_arena_alloc(&cfg->arena, sizeof(*toks) * (p->n_scratch + 1),
						 _Alignof(struct cfg_token));
	if (!toks ||
	    cfg_vec_reserve((void **)&cfg->stmts, &cfg->cap_stmts, sizeof(*cfg->stmts),
			    (uint64_t)cfg->n_stmts + 1)) {
		out_of_memory(p, &kw->loc);
		return;
	}
	toks[0] = *kw;
	if (p->n_scratch)
		memcpy(toks + 1, p->scratch, sizeof(*toks) * p->n_scratch);
	cfg->stmts[cfg->n_stmts++] = (struct cfg_stmt){
		.kw = &toks[0],
		.tok = toks + 1,
		.n_tok = p->n_scratch,
		.end = *end,
	};
}

static void parse_text(struct parser *p, const char *file, const char *text, size_t len)
{
	struct cfg_lexer lx;
	char d[96];
	cfg_lex_init(&lx, file, text ? text : "", text ? len : 0, p->errs, false);
	while (!p->oom) {
		struct cfg_lexeme t;
		enum cfg_lex_result r = cfg_lex_next(&lx, &t);
		if (r == CFG_LEX_EOF)
			break;
		if (r == CFG_LEX_EOS)
			continue;
		if (r == CFG_LEX_ERROR) {
			skip(&lx);
			continue;
		}
		if (t.tok.kind != CFG_TOK_WORD) {
			cfg_errorf(p->errs, &t.tok.loc, "expected a keyword, got %s",
				   describe(&t, r, d, sizeof(d)));
			skip(&lx);
			continue;
		}
		if (lexeme_is(&t, CFG_TOK_WORD, "set")) {
			parse_set(p, &lx);
			continue;
		}
		struct cfg_loc end;
		if (!store_text(p, &t) || !collect(p, &lx, &end))
			continue;
		struct cfg_stmt st = {.kw = &t.tok, .tok = p->scratch, .n_tok = p->n_scratch, .end = end};
		if (strcmp(t.tok.text, "port") == 0)
			parse_port(p, &st);
		else if (strcmp(t.tok.text, "include") == 0)
			parse_include(p, &st, file);
		else
			keep(p, &t.tok, &end);
	}
}

/* ---- entry points and queries -------------------------------------------- */

int cfg_parse(const char *file, const char *text, size_t len, cfg_load_fn loader, void *ctx,
	      struct cfg **out, struct cfg_errors *errs)
{
	if (out)
		*out = NULL;
	if (!file || !out || !errs || (!text && len))
		return -SYS_EINVAL;
	unsigned before = errs->count;
	struct cfg *cfg = sys_alloc(sizeof(*cfg), _Alignof(struct cfg));
	if (!cfg) {
		cfg_errorf(errs, NULL, "%s: out of memory", file);
		return -SYS_ENOMEM;
	}
	struct parser p = {.cfg = cfg, .errs = errs, .load = loader, .ctx = ctx};
	char *name = cfg_arena_strndup(&cfg->arena, file, strlen(file));
	int rc = 0;
	if (!name) {
		cfg_errorf(errs, NULL, "%s: out of memory", file);
		p.oom = true;
	} else {
		p.stack[0] = name;
		parse_text(&p, name, text, len);
	}
	sys_free(p.scratch);
	if (p.oom)
		rc = -SYS_ENOMEM;
	else if (errs->count != before || before == UINT32_MAX)
		rc = -SYS_EINVAL;
	if (rc) {
		cfg_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	for (uint32_t i = 0; i < cfg->n_sets; i++)
		cfg_set_release(&cfg->sets[i]);
	sys_free(cfg->sets);
	sys_free(cfg->stmts);
	cfg_arena_free(&cfg->arena);
	sys_free(cfg);
}

uint32_t cfg_stmt_count(const struct cfg *cfg) { return cfg->n_stmts; }

const struct cfg_stmt *cfg_stmt_at(const struct cfg *cfg, uint32_t i)
{
	return i < cfg->n_stmts ? &cfg->stmts[i] : NULL;
}

unsigned cfg_port_count(const struct cfg *cfg) { return cfg->n_ports; }

const char *cfg_port_name(const struct cfg *cfg, unsigned idx)
{
	return idx < CFG_PORT_MAX ? cfg->port_name[idx] : NULL;
}

int cfg_port_by_name(const struct cfg *cfg, const char *name)
{
	for (unsigned i = 0; i < CFG_PORT_MAX; i++)
		if (cfg->port_name[i] && strcmp(cfg->port_name[i], name) == 0)
			return (int)i;
	return -SYS_ENOENT;
}

const struct cfg_set *cfg_set_find(const struct cfg *cfg, const char *name)
{
	for (uint32_t i = 0; i < cfg->n_sets; i++)
		if (strcmp(cfg->sets[i].pub.name, name) == 0)
			return &cfg->sets[i].pub;
	return NULL;
}

uint32_t cfg_set_count(const struct cfg *cfg) { return cfg->n_sets; }

const struct cfg_set *cfg_set_at(const struct cfg *cfg, uint32_t i)
{
	return i < cfg->n_sets ? &cfg->sets[i].pub : NULL;
}

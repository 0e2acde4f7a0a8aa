/* SPDX-License-Identifier: MIT */
/*
 * cfg_int.h - private to config/: the arena, growable vectors, the parsed
 * config's layout, the lexer and the address parsers.  Functions use
 * config.h only.
 */
#ifndef NFB_CFG_INT_H
#define NFB_CFG_INT_H

#include "config/config.h"

/* ---- arena: bump allocation in chunks, freed all at once ---------------- */
struct cfg_chunk;
struct cfg_arena {
	struct cfg_chunk *head;
};
/* Zeroed memory, or NULL when sys_alloc fails.  `align` a power of two. */
void *cfg_arena_alloc(struct cfg_arena *a, size_t size, size_t align);
/* A NUL-terminated copy of s[0..n). */
char *cfg_arena_strndup(struct cfg_arena *a, const char *s, size_t n);
void cfg_arena_free(struct cfg_arena *a);

/* Make room for `need` elements of `elem` bytes in a sys_alloc'd vector,
 * doubling; 0 or -SYS_ENOMEM (the old vector is kept then). */
int cfg_vec_reserve(void **vec, uint32_t *cap, size_t elem, uint64_t need);

/* ---- the parsed config --------------------------------------------------- */
struct cfg_set_build {
	struct cfg_set pub;
	struct cfg_prefix4 *v4; /* sys_alloc'd, freed by cfg_free */
	struct cfg_prefix6 *v6;
	uint32_t cap4, cap6;
};

struct cfg {
	struct cfg_arena arena;
	const char *port_name[CFG_PORT_MAX];
	struct cfg_loc port_loc[CFG_PORT_MAX];
	unsigned n_ports;
	struct cfg_stmt *stmts; /* sys_alloc'd vector */
	uint32_t n_stmts, cap_stmts;
	struct cfg_set_build *sets; /* sys_alloc'd vector */
	uint32_t n_sets, cap_sets;
};

/* Append an entry (already checked: no host bits); sort and dedupe once the
 * set is complete.  0 or -SYS_ENOMEM / -SYS_E2BIG. */
int cfg_set_add(struct cfg_set_build *s, const struct cfg_addr *ad);
int cfg_set_finish(struct cfg_set_build *s);
void cfg_set_release(struct cfg_set_build *s);

/* Names of ports and sets: [A-Za-z_][A-Za-z0-9_-]*. */
bool cfg_valid_name(const char *s);

/* ---- addresses ----------------------------------------------------------- */
/* Results of the address parsers; cfg_addr_error() turns them into text. */
enum cfg_addr_err {
	CFG_AE_OK,
	CFG_AE_SYNTAX,  /* not an address of that family */
	CFG_AE_OCTET,   /* an IPv4 octet above 255 */
	CFG_AE_PREFIX,  /* "/N" missing digits or too long */
	CFG_AE_HOSTBITS,
};
/* Parse s[0..n) as an IPv4 / IPv6 address with optional "/N".  On
 * CFG_AE_OCTET, *bad holds the octet value; on CFG_AE_PREFIX, the length
 * (or UINT32_MAX if it was not a number). */
enum cfg_addr_err cfg_parse_v4(const char *s, size_t n, struct cfg_addr *out, uint32_t *bad);
enum cfg_addr_err cfg_parse_v6(const char *s, size_t n, struct cfg_addr *out, uint32_t *bad);

/* ---- lexer --------------------------------------------------------------- */
enum cfg_lex_result {
	CFG_LEX_TOKEN,
	CFG_LEX_EOS,   /* newline or ';' outside braces */
	CFG_LEX_EOF,   /* end of text; returned again on every later call */
	CFG_LEX_ERROR, /* already reported; the bad input was consumed */
};

struct cfg_lexer {
	const char *p, *end, *line_start;
	const char *file;
	uint32_t line;
	size_t depth;          /* open '{' */
	struct cfg_loc open;   /* outermost open '{' */
	bool after_sep;        /* inside braces, last was '{' or ',' */
	bool flat;             /* set files: braces do not nest, newlines always end */
	struct cfg_errors *errs;
};

/* A token as lexed: `tok.text` is NULL, the spelling is s[0..n) (for
 * strings the contents, for @name the name). */
struct cfg_lexeme {
	struct cfg_token tok;
	const char *s;
	size_t n;
};

void cfg_lex_init(struct cfg_lexer *lx, const char *file, const char *text, size_t len,
		  struct cfg_errors *errs, bool flat);
enum cfg_lex_result cfg_lex_next(struct cfg_lexer *lx, struct cfg_lexeme *out);
/* Where the lexer stands (for the end of a statement at end of file). */
struct cfg_loc cfg_lex_loc(const struct cfg_lexer *lx);

/* Quote a token for messages: 'word', "string", @name, '{' ...; long
 * spellings are cut. */
const char *cfg_tok_describe(const struct cfg_token *t, char *buf, size_t size);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * config.h - the one config language of nfbox: lexer, parser, and the
 * helpers every function uses to read its own statements.
 *
 * The language is line oriented and nftables/pf-flavoured:
 *
 *     # a comment runs to the end of the line
 *     port 0 name inside              ; port 1 name outside
 *     set blocked { 198.51.100.0/24 203.0.113.7
 *                   2001:db8:bad::/48 }
 *     set bogons file "bogons.txt"
 *     include "common.conf"
 *     drop from outside src @blocked
 *
 * A statement ends at a newline or ';'.  Inside `{ }` newlines are plain
 * whitespace, so lists may span lines; `,` between list items is optional.
 * Tokens are the maximal runs of [A-Za-z0-9_.:/-], classified as:
 *     contains ':'                     IPv6 address or CIDR (RFC 4291 forms)
 *     starts with a letter, '_', '.', '/'   word (keyword, name, bare path)
 *     all digits                       decimal number (fits uint64_t)
 *     digits-digits                    range N-M
 *     digits and dots                  IPv4 address or CIDR
 * plus "quoted strings" (no escapes, no control bytes, one line),
 * `{` `}` `!` `@name`.  CIDRs are checked like nft does: prefix length in
 * range and no host bits set; IPv4 octets are 0-255 without leading zeros.
 *
 * The framework itself handles three statements:
 *     port N name NAME          N in 0..CFG_PORT_MAX-1, numbers and names unique
 *     set NAME { addr|cidr ... } / set NAME file "PATH"
 *                               IPv4 and IPv6 mixed, non-empty, names unique;
 *                               a set file holds one address or prefix per
 *                               line with `#` comments
 *     include "PATH" (or a bare path)
 *                               relative to the including file, at most
 *                               CFG_INCLUDE_MAX_DEPTH deep, cycles rejected
 * `port`, `set` and `include` are therefore reserved as statement keywords.
 * Every other statement is kept, in file order, for the function: its
 * keyword and its tokens, each with its location.  The function walks a
 * statement with a cursor (cfg_cursor_init and the cfg_take_* helpers
 * below), and rejects keywords it does not know with cfg_unknown_statement().
 *
 * Errors read `FILE:LINE:COL: message`, LINE and COL 1-based, COL counting
 * bytes, pointing at the offending token.  A config with any error is
 * rejected whole: cfg_parse() returns no cfg.  The parser keeps going after
 * an error (skipping to the next statement) so one run reports them all.
 *
 * Robustness: the text is any bytes of the given length (no NUL needed, none
 * read past `len`); there is no unbounded recursion (only include nests, and
 * at most CFG_INCLUDE_MAX_DEPTH).  All memory comes from sys_alloc and is
 * released by cfg_free().  Cold path only; nothing here is thread-safe, but
 * a finished `struct cfg` is read-only and may be shared.
 *
 * Portable: builds freestanding and hosted; includes only nfb/sys.h.
 */
#ifndef NFB_CONFIG_H
#define NFB_CONFIG_H

#include "nfb/sys.h"

/* ---- limits ------------------------------------------------------------- */
#define CFG_PORT_MAX 8             /* port indices 0..7 */
#define CFG_INCLUDE_MAX_DEPTH 16   /* nested includes below the top file */
#define CFG_LOAD_MAX_FILES 256     /* includes + set files per parse: a file
                                    * including another twice at every level
                                    * would otherwise load 2^16 times */
#define CFG_SET_MAX_ENTRIES (1u << 24) /* per set, after dedup: 16M */
#define CFG_ERRORS_MAX 32          /* messages kept; more are only counted */
#define CFG_ERROR_LEN 256          /* one formatted message, NUL included */
#define CFG_PORT_LIST_MAX 64       /* ranges in one `{ }` port list */

/* ---- errors ----------------------------------------------------------------
 * Collects formatted messages; the caller prints them (the framework has no
 * output of its own).  `count` is the number of errors reported, which may
 * exceed CFG_ERRORS_MAX: only the first CFG_ERRORS_MAX are kept, and the
 * caller should say how many more there were.  A struct is ~8 KiB: keep it
 * off small stacks. */
struct cfg_errors {
	unsigned count;
	char msg[CFG_ERRORS_MAX][CFG_ERROR_LEN];
};

/* Where a token sits.  `file` lives as long as the cfg that holds it. */
struct cfg_loc {
	const char *file;
	uint32_t line, col;
};

void cfg_errors_init(struct cfg_errors *e);
/* The i-th kept message ("FILE:LINE:COL: message"), NULL past the kept ones. */
const char *cfg_errors_get(const struct cfg_errors *e, unsigned i);
/* Record an error at `loc` (NULL: no location prefix).  Always returns
 * -SYS_EINVAL so callers can `return cfg_errorf(...)`. */
int cfg_errorf(struct cfg_errors *e, const struct cfg_loc *loc, const char *fmt, ...)
	SYS_PRINTF(3, 4);

/* ---- file access -----------------------------------------------------------
 * Includes and set files are read through the caller's loader.  `path` is
 * already resolved: a relative name is joined to the directory of the file
 * that names it (`from_file`) and "." / ".." components are folded
 * lexically.  On success the loader returns 0 and a buffer of `*len` bytes
 * from sys_alloc (no NUL needed); the framework owns it from then on and
 * sys_free()s it.  On failure it returns a negative errno (-SYS_ENOENT for a
 * missing file).  In the image everything was flattened by the host before
 * baking, so its loader simply returns -SYS_ENOENT.  A NULL loader behaves
 * the same way. */
typedef int (*cfg_load_fn)(void *ctx, const char *path, const char *from_file,
			   char **text, size_t *len);

/* ---- values ------------------------------------------------------------- */
#define CFG_AF_V4 4 /* the same numbers as FLOW_FAMILY_V4/V6 */
#define CFG_AF_V6 6

/* An address or prefix.  Bytes in network order, as in packets and in
 * union flow_addr; an IPv4 address sits in a[0..3] with a[4..15] zero.
 * `prefix` is 32/128 when no "/N" was written.  Host bits are always zero
 * (the lexer rejects anything else). */
struct cfg_addr {
	uint8_t family;
	uint8_t prefix;
	uint8_t a[16];
};

/* An IPv4 address in host byte order (for masks and comparisons). */
static inline uint32_t cfg_addr_v4(const struct cfg_addr *ad)
{
	return ((uint32_t)ad->a[0] << 24) | ((uint32_t)ad->a[1] << 16) |
	       ((uint32_t)ad->a[2] << 8) | ad->a[3];
}

/* Format as "10.0.0.0/8", "2001:db8::1" (RFC 5952 form; "/N" only when
 * shorter than the full length).  Returns snprintf's result. */
int cfg_addr_format(const struct cfg_addr *ad, char *buf, size_t size);

/* "A.B.C.D" or "A.B.C.D:PORT" (port 1-65535), all of s, as a config
 * writes an address (no leading zeros): the address and port in network
 * order, port 0 when none was given.  False for anything else.  For
 * run-time commands that name a backend or an endpoint. */
bool cfg_parse_v4_port(const char *s, uint32_t *addr, uint16_t *port);
/* The same for either family: "A.B.C.D[:PORT]", "IPV6" or "[IPV6]:PORT"
 * (a single address, no prefix). */
bool cfg_parse_addr_port(const char *s, struct cfg_addr *addr, uint16_t *port);

/* ---- tokens ------------------------------------------------------------- */
enum cfg_tok_kind {
	CFG_TOK_WORD,   /* keyword, name or bare path; text is the word */
	CFG_TOK_NUMBER, /* num */
	CFG_TOK_RANGE,  /* range.lo, range.hi (not yet checked lo <= hi) */
	CFG_TOK_ADDR,   /* addr (IPv4 or IPv6, address or CIDR) */
	CFG_TOK_STRING, /* text is the contents, without the quotes */
	CFG_TOK_SETREF, /* @name: text is the name, without '@' */
	CFG_TOK_LBRACE, /* { */
	CFG_TOK_RBRACE, /* } */
	CFG_TOK_BANG,   /* ! */
};

struct cfg_token {
	enum cfg_tok_kind kind;
	struct cfg_loc loc;
	const char *text; /* NUL-terminated; the source spelling, see above */
	union {
		uint64_t num;
		struct {
			uint64_t lo, hi;
		} range;
		struct cfg_addr addr;
	};
};

/* ---- the parsed config ------------------------------------------------- */
struct cfg;

/* A statement kept for the function.  `tok` holds the tokens after the
 * keyword (list commas already dropped); `end` is where the statement ended
 * (its newline, ';' or end of file), for "missing ..." errors. */
struct cfg_stmt {
	const struct cfg_token *kw;
	const struct cfg_token *tok;
	uint32_t n_tok;
	struct cfg_loc end;
};

/* A named address set.  Entries are sorted ascending by (address, length)
 * and exact duplicates removed; overlapping prefixes are kept as written.
 * IPv4 addresses are in HOST byte order (unlike struct cfg_addr) so they sort
 * and mask as integers; IPv6 ones are network-order bytes (memcmp order). */
struct cfg_prefix4 {
	uint32_t addr;
	uint8_t len;
};
struct cfg_prefix6 {
	uint8_t addr[16];
	uint8_t len;
};
struct cfg_set {
	const char *name;
	struct cfg_loc loc;         /* of the name in the defining statement */
	uint32_t n4, n6;
	const struct cfg_prefix4 *v4;
	const struct cfg_prefix6 *v6;
};

/*
 * Parse `text` (`len` bytes, the contents of `file`).  Returns 0 and a new
 * config in *out, or a negative errno with *out = NULL: -SYS_EINVAL when the
 * config has errors (all of them in `errs`, which must have been
 * initialised; counts add up across calls), -SYS_ENOMEM when memory ran out
 * (also reported in `errs`).  `text` stays the caller's.
 */
int cfg_parse(const char *file, const char *text, size_t len, cfg_load_fn load,
	      void *ctx, struct cfg **out, struct cfg_errors *errs);
void cfg_free(struct cfg *cfg);

/* Statements for the function, in file order (includes expanded in place). */
uint32_t cfg_stmt_count(const struct cfg *cfg);
const struct cfg_stmt *cfg_stmt_at(const struct cfg *cfg, uint32_t i);
static inline const char *cfg_stmt_keyword(const struct cfg_stmt *s) { return s->kw->text; }

/* Ports.  cfg_port_count is the number declared (they need not be
 * contiguous); cfg_port_name is NULL for an undeclared index. */
unsigned cfg_port_count(const struct cfg *cfg);
const char *cfg_port_name(const struct cfg *cfg, unsigned idx);
/* Index of the port called `name`, or -SYS_ENOENT. */
int cfg_port_by_name(const struct cfg *cfg, const char *name);

/* Sets: by name (NULL if none), or by index in definition order. */
const struct cfg_set *cfg_set_find(const struct cfg *cfg, const char *name);
uint32_t cfg_set_count(const struct cfg *cfg);
const struct cfg_set *cfg_set_at(const struct cfg *cfg, uint32_t i);

/* ---- walking a statement ------------------------------------------------
 *
 *     struct cfg_cursor c;
 *     cfg_cursor_init(&c, cfg, stmt, errs);
 *     if (strcmp(cfg_stmt_keyword(stmt), "timeout") != 0)
 *             return cfg_unknown_statement(&c);
 *     while (!cfg_at_end(&c)) {
 *             if (cfg_next_keyword(&c, "udp"))
 *                     cfg_take_u32(&c, 1, 86400, "udp timeout", &t->udp);
 *             else ...
 *     }
 *     return cfg_expect_end(&c);
 *
 * The cfg_take_* helpers return 0, or -SYS_EINVAL after recording an error
 * at the offending token ("expected WHAT, got 'X'", "WHAT 70000 out of range
 * 0-65535", ...; `what` names the thing expected in the message).  The first
 * error makes the cursor `failed`: later helpers record nothing more and
 * fail at once, so a statement reports one error, not a cascade, and a
 * function may check only the final cfg_expect_end().  A failed take leaves
 * *out untouched.
 */
struct cfg_cursor {
	const struct cfg *cfg;
	const struct cfg_stmt *stmt;
	struct cfg_errors *errs;
	uint32_t pos;
	bool failed;
};

void cfg_cursor_init(struct cfg_cursor *c, const struct cfg *cfg, const struct cfg_stmt *stmt,
		     struct cfg_errors *errs);

/* The next token without consuming it, or NULL at the end of the statement. */
const struct cfg_token *cfg_peek(const struct cfg_cursor *c);
/* Consume and return the next token (NULL at the end). */
const struct cfg_token *cfg_take(struct cfg_cursor *c);
static inline bool cfg_at_end(const struct cfg_cursor *c)
{
	return c->failed || c->pos >= c->stmt->n_tok;
}

/* If the next token is the word `kw`, consume it and return true; else
 * return false and record nothing (optional keywords). */
bool cfg_next_keyword(struct cfg_cursor *c, const char *kw);
/* The next token must be the word `kw` ("expected 'kw', got 'X'"). */
int cfg_expect_keyword(struct cfg_cursor *c, const char *kw);

int cfg_take_word(struct cfg_cursor *c, const char *what, const char **out);
/* A word or a quoted string (paths, labels). */
int cfg_take_string(struct cfg_cursor *c, const char *what, const char **out);
int cfg_take_u32(struct cfg_cursor *c, uint32_t min, uint32_t max, const char *what,
		 uint32_t *out);
/* One of the NULL-terminated `words`; *idx is its index. */
int cfg_take_one_of(struct cfg_cursor *c, const char *what, const char *const *words,
		    unsigned *idx);

/* A name from the table (ended by a NULL name) or a number 0..max, e.g.
 * protocols: `tcp` or `6`. */
struct cfg_name_value {
	const char *name;
	uint32_t value;
};
int cfg_take_name_or_number(struct cfg_cursor *c, const char *what,
			    const struct cfg_name_value *names, uint32_t max, uint32_t *out);

/* A declared port, by name (`outside`) or index (`1`); *out is its index. */
int cfg_take_port_ref(struct cfg_cursor *c, const char *what, unsigned *out);

/* L4 ports: [!] N | N-M | { N N-M ... } with 0 <= N <= M <= 65535. */
struct cfg_port_range {
	uint16_t lo, hi;
};
struct cfg_port_spec {
	bool negate;
	uint32_t n;
	struct cfg_port_range r[CFG_PORT_LIST_MAX];
};
int cfg_take_port_spec(struct cfg_cursor *c, const char *what, struct cfg_port_spec *out);

/* Addresses: [!] ( any | ADDR | CIDR | @set | { ADDR|CIDR ... } ), IPv4
 * and IPv6 alike.  A set must exist.  A list's items are tokens of the
 * statement (kind CFG_TOK_ADDR); read them with cfg_addr_spec_item(). */
enum cfg_addr_kind {
	CFG_ADDR_ANY,
	CFG_ADDR_ONE,  /* `one` */
	CFG_ADDR_SET,  /* `set` */
	CFG_ADDR_LIST, /* `list`, `n` */
};
struct cfg_addr_spec {
	enum cfg_addr_kind kind;
	bool negate;
	bool has_v4, has_v6; /* families present (a set or list may hold both) */
	struct cfg_addr one;
	const struct cfg_set *set;
	const struct cfg_token *list;
	uint32_t n;
};
static inline const struct cfg_addr *cfg_addr_spec_item(const struct cfg_addr_spec *s,
							uint32_t i)
{
	return &s->list[i].addr;
}
int cfg_take_addr_spec(struct cfg_cursor *c, const char *what, struct cfg_addr_spec *out);

/* One address or prefix (no list, set or negation), e.g. a NAT or VIP
 * address.  With `host_only`, a prefix shorter than 32/128 bits is an
 * error ("expected WHAT (a single address), got '10.0.0.0/8'").  Note that
 * "addr:port" is not a token (anything with ':' lexes as IPv6): functions
 * spell ports as separate words, e.g. `backend 10.0.0.2 port 80`. */
int cfg_take_addr(struct cfg_cursor *c, const char *what, bool host_only, struct cfg_addr *out);

/* Trailing tokens are an error ("unexpected 'X' at end of statement").
 * Returns -SYS_EINVAL too if the cursor failed earlier, so it is the one
 * check a function needs per statement. */
int cfg_expect_end(struct cfg_cursor *c);

/* Record an error at `tok` (NULL: at the end of the statement) and mark the
 * cursor failed; on a cursor that already failed, record nothing (one
 * error per statement).  Returns -SYS_EINVAL. */
int cfg_error_at(struct cfg_cursor *c, const struct cfg_token *tok, const char *fmt, ...)
	SYS_PRINTF(3, 4);
/* "unknown keyword 'X'" at the statement's keyword.  Returns -SYS_EINVAL. */
int cfg_unknown_statement(struct cfg_cursor *c);

#endif

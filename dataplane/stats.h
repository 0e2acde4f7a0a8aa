/* SPDX-License-Identifier: MIT */
/*
 * stats.h - one way to report counters, printed as text or JSON.
 *
 * Functions, ports and the main loop describe their counters to a writer;
 * the writer decides the format.  Cold path only.  The output goes into a
 * caller-supplied buffer (the image has no stdio); a full buffer truncates
 * and sets `overflow`, it never writes past the end -- unless the writer
 * streams (stats_init_stream): then a full buffer is handed to `flush` and
 * reused, so any number of counters (10,000 rules) goes out through a
 * small buffer; a single piece longer than the whole buffer sets
 * `overflow` and ends the stream there.
 *
 * Text:  "section.name  value" one per line, in the order written.
 * JSON:  {"section":{"name":value,...},...}
 */
#ifndef NFB_STATS_H
#define NFB_STATS_H

#include "nfb/sys.h"

enum stats_format { STATS_TEXT, STATS_JSON };

struct stats_writer {
	char *buf;
	size_t size, len;
	enum stats_format format;
	bool overflow;
	bool in_section;
	bool first_in_section;
	bool any_item;
	char section[48];
	void (*flush)(void *ctx, const char *s, size_t n);
	void *flush_ctx;
};

void stats_init(struct stats_writer *w, char *buf, size_t size, enum stats_format format);
/* The same, streaming: whatever fills buf goes to flush(ctx, text, len),
 * the rest at stats_finish (which then returns ""). */
void stats_init_stream(struct stats_writer *w, char *buf, size_t size, enum stats_format format,
		       void (*flush)(void *ctx, const char *s, size_t n), void *ctx);
/* Start a named group of counters ("port0", "fwd", "malformed", ...). */
void stats_section(struct stats_writer *w, const char *name);
void stats_u64(struct stats_writer *w, const char *name, uint64_t value);
void stats_str(struct stats_writer *w, const char *name, const char *value);
/* Close the document; returns the NUL-terminated text. */
const char *stats_finish(struct stats_writer *w);

#endif

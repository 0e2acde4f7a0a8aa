/* SPDX-License-Identifier: MIT */
/*
 * stats.h - one way to report counters, printed as text or JSON.
 *
 * Functions, ports and the main loop describe their counters to a writer;
 * the writer decides the format.  Cold path only.  The output goes into a
 * caller-supplied buffer (the image has no stdio); a full buffer truncates
 * and sets `overflow`, it never writes past the end.
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
	char section[48];
};

void stats_init(struct stats_writer *w, char *buf, size_t size, enum stats_format format);
/* Start a named group of counters ("port0", "fwd", "malformed", ...). */
void stats_section(struct stats_writer *w, const char *name);
void stats_u64(struct stats_writer *w, const char *name, uint64_t value);
void stats_str(struct stats_writer *w, const char *name, const char *value);
/* Close the document; returns the NUL-terminated text. */
const char *stats_finish(struct stats_writer *w);

#endif

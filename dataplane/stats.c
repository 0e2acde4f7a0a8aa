/* SPDX-License-Identifier: MIT */
/* stats.c - counters as text lines or one JSON object, into a fixed
 * buffer or streamed through one. */
#include "dataplane/stats.h"

static void put(struct stats_writer *w, const char *fmt, ...) SYS_PRINTF(2, 3);

static void flush(struct stats_writer *w)
{
	if (w->flush && w->len) {
		w->flush(w->flush_ctx, w->buf, w->len);
		w->len = 0;
		w->buf[0] = '\0';
	}
}

static void put(struct stats_writer *w, const char *fmt, ...)
{
	if (w->overflow || !w->size)
		return;
	va_list ap;
	va_start(ap, fmt);
	size_t room = w->size - w->len;
	int n = vsnprintf(w->buf + w->len, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= room && w->flush && w->len) {
		/* Streaming: send what is there, write this piece again at
		 * the start (vsnprintf wrote a cut copy past len). */
		w->buf[w->len] = '\0';
		flush(w);
		room = w->size;
		va_start(ap, fmt);
		n = vsnprintf(w->buf, room, fmt, ap);
		va_end(ap);
	}
	if (n < 0 || (size_t)n >= room) {
		/* Keep what fits, always NUL-terminated (vsnprintf did that). */
		w->overflow = true;
		w->len = w->size ? w->size - 1 : 0;
		return;
	}
	w->len += (size_t)n;
}

void stats_init(struct stats_writer *w, char *buf, size_t size, enum stats_format format)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->size = size;
	w->format = format;
	if (size)
		buf[0] = '\0';
	if (format == STATS_JSON)
		put(w, "{");
}

void stats_init_stream(struct stats_writer *w, char *buf, size_t size, enum stats_format format,
		       void (*fn)(void *ctx, const char *s, size_t n), void *ctx)
{
	stats_init(w, buf, size, format);
	w->flush = fn;
	w->flush_ctx = ctx;
}

static void close_section(struct stats_writer *w)
{
	if (w->in_section && w->format == STATS_JSON)
		put(w, "}");
	w->in_section = false;
}

void stats_section(struct stats_writer *w, const char *name)
{
	bool first_section = !w->any_item;
	w->any_item = true;
	close_section(w);
	snprintf(w->section, sizeof(w->section), "%s", name);
	if (w->format == STATS_JSON)
		put(w, "%s\"%s\":{", first_section ? "" : ",", name);
	w->in_section = true;
	w->first_in_section = true;
}

static void key(struct stats_writer *w, const char *name)
{
	if (w->format == STATS_JSON) {
		put(w, "%s\"%s\":", w->first_in_section ? "" : ",", name);
	} else if (w->section[0]) {
		put(w, "%s.%s ", w->section, name);
	} else {
		put(w, "%s ", name);
	}
	w->first_in_section = false;
	w->any_item = true;
}

void stats_u64(struct stats_writer *w, const char *name, uint64_t value)
{
	key(w, name);
	put(w, w->format == STATS_JSON ? "%llu" : "%llu\n", (unsigned long long)value);
}

void stats_str(struct stats_writer *w, const char *name, const char *value)
{
	key(w, name);
	/* Values are identifiers and names we produce; quote-escaping is
	 * limited to the two characters JSON forbids raw. */
	if (w->format == STATS_JSON) {
		put(w, "\"");
		for (const char *c = value; *c; c++)
			put(w, (*c == '"' || *c == '\\') ? "\\%c" : "%c", *c);
		put(w, "\"");
	} else {
		put(w, "%s\n", value);
	}
}

const char *stats_finish(struct stats_writer *w)
{
	close_section(w);
	if (w->format == STATS_JSON)
		put(w, "}\n");
	flush(w);
	return w->buf;
}

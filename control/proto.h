/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the control protocol between the host and a running image.
 *
 * The channel is the image's serial console: lines of at most
 * CONTROL_LINE_MAX characters ending in '\n' (a '\r' ends a line too).  The
 * console has no other framing and also carries boot and warning lines, so
 * a client ends what it sends with "end NONCE" (or "stats NONCE") and reads
 * up to the image's "end NONCE" line, a nonce no other output carries.
 *
 *   stats [NONCE]         the counters ("section.name value" lines, the
 *                         text format of dataplane/stats.h), then
 *                         "end NONCE" if a nonce was given
 *   end NONCE             "end NONCE": everything the client's earlier lines
 *                         made the image print is out
 *   quit                  the counters, then the image exits (status 0)
 *   reload begin LEN CRC  a new config follows: LEN bytes (1 ..
 *                         CONTROL_RELOAD_MAX, decimal) of the blob
 *                         "NAME\0TEXT", CRC its CRC-32 (IEEE, as zlib) in hex
 *   reload data B64       up to CONTROL_CHUNK bytes of it, base64 (up to
 *                         CONTROL_CHUNK_LONG in a line of at most
 *                         CONTROL_DATA_LINE_MAX characters, where the
 *                         image's "receiving" answer says it takes them)
 *   reload end            check length and CRC, parse, configure; the image
 *                         answers "nfbox: reload ok (...)" or, after its
 *                         FILE:LINE:COL errors, "nfbox: reload rejected (...)"
 *   reload abort          drop the transfer; nothing changes
 *   nf FUNCTION ARGS...   a command of the running function, e.g. "nf lb
 *                         backend 10.0.1.2:8080 down" (each function
 *                         documents its own); one line answers it,
 *                         "nfbox: nf ok: WHAT" or "nfbox: nf failed: WHY"
 *                         (a function other than the image's, or one that
 *                         takes no commands: "... not supported by this
 *                         function").  A client follows it with "end NONCE".
 *
 *   flows POS [MAX]       one round of the flow table: at most MAX flows
 *                         (default and limit: nf/flows.h) from table
 *                         position POS (0 first) on, as "flow ..." lines,
 *                         then "flows next POS" (ask again from there),
 *                         "flows end" or "flows none WHY" (nf/flows.h has
 *                         the lines).  The image keeps no dump state; a
 *                         client follows each round with "end NONCE".
 *
 *   capture start PORT DIRS COUNT SNAPLEN
 *                         arm a capture (dataplane/capture.h) of port PORT
 *                         (name or index), DIRS rx|tx|drop or a comma list,
 *                         COUNT frames (0: until stopped), SNAPLEN bytes of
 *                         each at most: "capture armed ..." or "capture
 *                         none WHY" (one capture at a time; one nobody reads
 *                         for 10 s is dropped)
 *   capture read MAX      one round of the ring, about MAX bytes of lines
 *                         (0: a default), "capture frame ..." lines then
 *                         "capture more|wait|done COPIED LOST"
 *                         (control/capture.h has the lines)
 *   capture stop          copy no more; later rounds drain what is left
 *
 * Other lines keep their meaning during a transfer.  A line longer than
 * CONTROL_LINE_MAX is ignored whole (never run as its first characters),
 * and spoils the transfer if it was a data line.  The blob is what
 * `nfbox run` hands the image by fw_cfg and `nfbox build` bakes into it:
 * the file name the host saw (for error messages), a NUL, then the text.
 *
 * Server side: control/server.h.  Clients: tools/cmd_reload.c, tools/
 * cmd_stats.c, tools/cmd_lb.c through the host's control client.  This header and
 * control/codec.c build freestanding (in the image) and hosted.
 */
#ifndef NFB_CONTROL_PROTO_H
#define NFB_CONTROL_PROTO_H

#include "nfb/sys.h"

#define CONTROL_LINE_MAX 63              /* characters, without the '\n' */
/* Bytes of one reload blob: a firewall config with a 1M-entry set is
 * ~13 MiB of text.  The image takes what its memory holds (it answers "no
 * memory" at "reload begin" otherwise); the parser and the function need
 * more on top while the old config stays in force (measured: --mem 256
 * for a 1M-entry set). */
#define CONTROL_RELOAD_MAX (64u << 20)
#define CONTROL_CHUNK 36                 /* blob bytes per "reload data" line */
/* A "reload data" line may be longer than other lines: an image that
 * takes them says so in its "reload: receiving LEN bytes (data lines of
 * up to CONTROL_CHUNK_LONG bytes)" answer, and a client that sees it
 * sends CONTROL_CHUNK_LONG bytes a line (the console's bytes then carry
 * 74 % blob instead of 59 %: the serial console's ~14 bytes per QEMU
 * main-loop round are the bound of a transfer). */
#define CONTROL_CHUNK_LONG 768
#define CONTROL_DATA_LINE_MAX (12 + CONTROL_B64_LEN(CONTROL_CHUNK_LONG))
#define CONTROL_NAME_SCAN 1024           /* a blob's NAME ends within this */

/* "reload data " + base64 of one chunk fits in a line. */
_Static_assert(12 + (CONTROL_CHUNK + 2) / 3 * 4 <= CONTROL_LINE_MAX, "chunk too big for a line");

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()): start with crc = 0 and
 * feed the data in pieces. */
uint32_t control_crc32(uint32_t crc, const void *data, size_t n);

/* Base64 (RFC 4648, with '=' padding) of in[n] into out, which holds
 * CONTROL_B64_LEN(n) + 1 bytes; returns the characters written (NUL after). */
#define CONTROL_B64_LEN(n) (((n) + 2) / 3 * 4)
size_t control_b64_encode(const void *in, size_t n, char *out);

/* Decode the n characters at s (a multiple of 4, '=' only as the last one or
 * two) into out[max]; returns the byte count, or -1 (bad input, or more than
 * max bytes). */
int control_b64_decode(const char *s, size_t n, void *out, size_t max);

/* Split a blob "NAME\0TEXT".  A blob without a NUL in its first
 * CONTROL_NAME_SCAN bytes, or starting with one, is all text, named
 * dflt_name. */
void control_blob_split(const char *blob, size_t len, const char *dflt_name, const char **name,
			const char **text, size_t *text_len);

#endif

/* SPDX-License-Identifier: MIT */
/* codec.c - the byte-level pieces of the control protocol (proto.h). */
#include "control/proto.h"

uint32_t control_crc32(uint32_t crc, const void *data, size_t n)
{
	/* Built on first use: 1 KiB, faster than bit by bit on an 8 MiB reload. */
	static uint32_t tab[256];
	if (!tab[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;
			for (int k = 0; k < 8; k++)
				v = (v >> 1) ^ (0xedb88320u & (0u - (v & 1)));
			tab[i] = v;
		}
	const uint8_t *p = data;
	uint32_t c = ~crc;
	for (size_t i = 0; i < n; i++)
		c = tab[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return ~c;
}

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t control_b64_encode(const void *in, size_t n, char *out)
{
	const uint8_t *p = in;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int control_b64_decode(const char *s, size_t n, void *out, size_t max)
{
	uint8_t *o = out;
	size_t got = 0;
	if (n == 0 || n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = b64_value(s[i + k])) < 0) {
				return -1; /* a character after '=', or not base64 */
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		uint8_t b[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
		for (int k = 0; k < 3 - pad; k++) {
			if (got >= max)
				return -1;
			o[got++] = b[k];
		}
	}
	return (int)got;
}

void control_blob_split(const char *blob, size_t len, const char *dflt_name, const char **name,
			const char **text, size_t *text_len)
{
	const char *nul = memchr(blob, '\0', SYS_MIN(len, (size_t)CONTROL_NAME_SCAN));
	if (nul && nul > blob) {
		*name = blob;
		*text = nul + 1;
		*text_len = len - (size_t)(nul + 1 - blob);
	} else {
		*name = dflt_name;
		*text = blob;
		*text_len = len;
	}
}

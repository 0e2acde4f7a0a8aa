/* SPDX-License-Identifier: MIT */
/*
 * image_info.c - what an image file says about itself (image_info.h).
 */
#include "tools/image_info.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *image_nf(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char eh[64];
	char *res = NULL;
	if (fread(eh, 1, 64, f) != 64 || memcmp(eh, "\177ELF\2\1", 6) != 0)
		goto out;
	uint64_t shoff;
	uint16_t shentsize, shnum, shstrndx;
	memcpy(&shoff, eh + 0x28, 8);
	memcpy(&shentsize, eh + 0x3a, 2);
	memcpy(&shnum, eh + 0x3c, 2);
	memcpy(&shstrndx, eh + 0x3e, 2);
	if (shentsize != 64 || shnum == 0 || shstrndx >= shnum || shnum > 1024)
		goto out;
	unsigned char *sh = malloc((size_t)shnum * 64);
	if (!sh || fseek(f, (long)shoff, SEEK_SET) || fread(sh, 64, shnum, f) != shnum) {
		free(sh);
		goto out;
	}
	uint64_t str_off, str_size;
	memcpy(&str_off, sh + shstrndx * 64 + 0x18, 8);
	memcpy(&str_size, sh + shstrndx * 64 + 0x20, 8);
	char *strs = str_size < (1 << 20) ? malloc(str_size + 1) : NULL;
	if (strs && !fseek(f, (long)str_off, SEEK_SET) && fread(strs, 1, str_size, f) == str_size) {
		strs[str_size] = '\0';
		for (unsigned i = 0; i < shnum; i++) {
			uint32_t name;
			uint64_t off, size;
			memcpy(&name, sh + i * 64, 4);
			memcpy(&off, sh + i * 64 + 0x18, 8);
			memcpy(&size, sh + i * 64 + 0x20, 8);
			if (name >= str_size || strcmp(strs + name, ".nfbox_info") != 0 || size > 4096)
				continue;
			char buf[4097];
			if (fseek(f, (long)off, SEEK_SET) || fread(buf, 1, size, f) != size)
				break;
			buf[size] = '\0';
			char *nf = strstr(buf, "nf=");
			if (nf) {
				nf += 3;
				nf[strcspn(nf, "\n")] = '\0';
				res = strdup(nf);
			}
			break;
		}
	}
	free(strs);
	free(sh);
out:
	fclose(f);
	return res;
}


/* SPDX-License-Identifier: MIT */
/*
 * image_info.c - what an image file says about itself (image_info.h).
 */
#include "tools/image_info.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/raw_disk.h"

/* ISO 9660 (ECMA-119 8.4): the primary volume descriptor in sector 16 of
 * 2048 bytes: type 1, "CD001", ..., the volume identifier at offset 40,
 * 32 characters padded with spaces.  The function's name in capitals
 * after RAW_DISK_LABEL (raw_disk.c). */
static char *raw_disk_nf(FILE *f)
{
	unsigned char pvd[72];
	size_t pl = strlen(RAW_DISK_LABEL);
	if (fseek(f, 16 * 2048, SEEK_SET) || fread(pvd, 1, sizeof(pvd), f) != sizeof(pvd) || pvd[0] != 1 ||
	    memcmp(pvd + 1, "CD001", 5) != 0 || memcmp(pvd + 40, RAW_DISK_LABEL, pl) != 0)
		return NULL;
	char nf[33];
	size_t n = 0;
	for (size_t i = 40 + pl; i < 72 && pvd[i] != ' '; i++)
		nf[n++] = (char)tolower(pvd[i]);
	nf[n] = '\0';
	return n ? strdup(nf) : NULL;
}

bool image_is_raw_disk(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	char *nf = raw_disk_nf(f);
	fclose(f);
	free(nf);
	return nf != NULL;
}

char *image_nf(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char eh[64];
	char *res = NULL;
	if (fread(eh, 1, 64, f) != 64)
		goto out;
	if (memcmp(eh, "\177ELF\2\1", 6) != 0) {
		res = raw_disk_nf(f);
		goto out;
	}
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


/* SPDX-License-Identifier: MIT */
/* image_find.c - a function's image: found, or built (image_find.h). */
#define _GNU_SOURCE
#include "topology/image_find.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "topology/hostsys.h"

/* `path` if readable (and then ours), else freed. */
static char *readable(char *path)
{
	if (path && access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

char *image_find(const char *nf, const char *dir, const char *log, const char *prog, FILE *msg)
{
	char *cand = NULL;
	const char *env = getenv("NFBOX_IMAGES");
	if (env && *env && asprintf(&cand, "%s/%s.img", env, nf) >= 0 && (cand = readable(cand)))
		return cand;
	char exe[PATH_MAX];
	snprintf(exe, sizeof(exe), "%s", hostsys_self_exe());
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash)
			break;
		*slash = '\0';
		if (asprintf(&cand, "%s/images/%s.img", exe, nf) >= 0 && (cand = readable(cand)))
			return cand;
	}
	if (asprintf(&cand, "%s/%s.img", dir, nf) < 0)
		return NULL;
	if (access(cand, R_OK) == 0)
		return cand;
	fprintf(msg, "%s: building the %s image\n", prog, nf);
	if (hostsys_runv(NULL, log, hostsys_self_exe(), "build", nf, "-o", cand, NULL) != 0) {
		fprintf(msg, "%s: no image for '%s': neither an image file nor a function 'nfbox build' "
			     "can link:\n",
			prog, nf);
		hostsys_tail_file(log, 5, msg);
		free(cand);
		return NULL;
	}
	return cand;
}

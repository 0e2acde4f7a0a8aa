/* SPDX-License-Identifier: MIT */
/* libFuzzer: any bytes as a frame through parse_pkt and flow_key_from_pkt.
 * The frame is copied into a buffer of exactly its size so ASan flags any
 * read past the end. */
#include <stdlib.h>
#include <string.h>

#include "dataplane/flow.h"
#include "dataplane/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0xffff)
		return 0;
	uint8_t *frame = malloc(size ? size : 1);
	memcpy(frame, data, size);
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.data = frame;
	p.len = (uint16_t)size;
	if (parse_pkt(&p) == PARSE_OK) {
		struct flow_key k;
		if (flow_key_from_pkt(&p, 0, &k) == 0)
			(void)flow_hash(&k);
	}
	free(frame);
	return 0;
}

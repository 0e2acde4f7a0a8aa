/* SPDX-License-Identifier: MIT */
/*
 * Unit-test helper: a config given as text, parsed and handed to a
 * network function's configure() (a reload when the function already has
 * one), as the image and nfbox replay do with a file.
 */
#ifndef NFBOX_TESTS_LIB_NF_CONF_H
#define NFBOX_TESTS_LIB_NF_CONF_H

#include "dataplane/nf.h"

/* 0, or -1 if the text does not parse, or configure()'s negative errno. */
int nf_configure_text(const struct nf_ops *nf, void *st, const char *text);

#endif

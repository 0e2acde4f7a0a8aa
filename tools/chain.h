/* SPDX-License-Identifier: MIT */
/*
 * chain.h - what is left of the chain/OVS code in tools/ while it moves to
 * topology/ (one header per module there); its users include this for now.
 */
#ifndef NFB_TOOLS_CHAIN_H
#define NFB_TOOLS_CHAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "topology/chain.h"
#include "topology/ctl.h"
#include "topology/hostsys.h"
#include "topology/openflow.h"
#include "topology/ovs.h"
#include "topology/relay.h"

#endif

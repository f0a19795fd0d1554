/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.h — numa's dynamic log type (lockwire.numa, registered in topo.c).
 * Private to numa/.
 */
#ifndef LW_NUMA_LOG_H
#define LW_NUMA_LOG_H

#include <rte_log.h>

extern int lw_logtype_numa;

#define NUMA_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lw_logtype_numa, "numa: " fmt "\n", ##__VA_ARGS__)

#endif /* LW_NUMA_LOG_H */

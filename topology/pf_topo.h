/* pf_topo.h — the machine's hardware topology (hwloc): packages, NUMA nodes, cores and
 * processing units (PUs, hardware threads), the plan that maps worker threads to PUs, and
 * pinning a thread to a PU. hwloc.h is included only inside topology/. */
#ifndef PF_TOPO_H
#define PF_TOPO_H

#include <stdio.h>

#include "pf_status.h"

typedef struct pf_topo pf_topo;

typedef struct pf_topo_counts {
  unsigned packages;
  unsigned numa_nodes;
  unsigned cores;
  unsigned pus;
} pf_topo_counts;

/* Discovers the topology of this machine (the PUs this process may run on). Returns new
 * topology in *topo_p; free with pf_topo_destroy. The topology is read-only afterwards and
 * may be used from any thread. */
pf_status_t pf_topo_load(pf_topo **topo_p) PF_WUR;

/* Frees "topo"; NULL is a no-op. */
void pf_topo_destroy(pf_topo *topo);

/* Returns the counts of "topo" (borrowed). Every count is at least 1. */
pf_topo_counts pf_topo_get_counts(const pf_topo *topo);

/* Returns the operating-system index of the PU that worker "worker" is pinned to: workers
 * take the first PU of every core first (spread over cores), then the cores' second PUs, and
 * wrap around when there are more workers than PUs. */
unsigned pf_topo_plan_pu(const pf_topo *topo, unsigned worker);

/* Pins the calling thread to the PU of worker "worker" (see pf_topo_plan_pu). Returns PF_OK,
 * or PF_ENOTSUP when the operating system refuses the binding. */
pf_status_t pf_topo_pin_worker(const pf_topo *topo, unsigned worker) PF_WUR;

/* Writes the topology tree of "topo" and the pinning plan for "threads" workers (0: one per
 * PU) to "out" (borrowed), in human-readable lines. */
void pf_topo_print(const pf_topo *topo, unsigned threads, FILE *out);

#endif

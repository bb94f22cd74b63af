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

/* Binds the memory the calling thread allocates from now on to the NUMA node(s) near the PU
 * of worker "worker" (preferred, not strict: other nodes are used when those are full). PF_OK
 * (also on a machine with one NUMA node, where there is nothing to do), or PF_ENOTSUP when
 * the operating system refuses. */
pf_status_t pf_topo_bind_memory(const pf_topo *topo, unsigned worker) PF_WUR;

/* Writes the topology tree of "topo" and the pinning plan for "threads" workers (0: one per
 * PU) to "out" (borrowed), in human-readable lines. */
void pf_topo_print(const pf_topo *topo, unsigned threads, FILE *out);

/* Like pf_topo_load, but builds the topology from an hwloc synthetic description "desc"
 * (for instance "pack:2 numa:2 l3:1 core:4 pu:2") instead of this machine, so that the
 * plan, distances and victim orders of other machines can be tested here. Pinning workers
 * of such a topology fails (PF_ENOTSUP). PF_EINVAL for a description hwloc rejects. */
pf_status_t pf_topo_load_synthetic(const char *desc, pf_topo **topo_p) PF_WUR;

/* Distance classes between two workers' PUs, nearest first (pf_topo_worker_distance). */
enum {
  PF_TOPO_SAME_PU = 0,
  PF_TOPO_SAME_CORE = 1,
  PF_TOPO_SAME_CACHE = 2,
  PF_TOPO_SAME_NUMA = 3,
  PF_TOPO_SAME_PACKAGE = 4,
  PF_TOPO_FAR = 5
};

/* Returns how near the PUs of workers "a" and "b" of the plan are: the PF_TOPO_SAME_* class
 * of their deepest common hwloc ancestor (same PU, core, shared cache, NUMA node, package),
 * or PF_TOPO_FAR. Symmetric; 0 when a == b. */
unsigned pf_topo_worker_distance(const pf_topo *topo, unsigned a, unsigned b);

/* Fills "order" (nworkers - 1 entries, caller's array) with every worker of 0..nworkers-1 but
 * "worker", nearest first by pf_topo_worker_distance, then by the hwloc NUMA latency matrix
 * when the machine reports one; equals are listed cyclically after "worker" (worker+1, …),
 * so thieves of one group spread over their victims. On a flat machine: that cyclic order. */
void pf_topo_victim_order(const pf_topo *topo, unsigned worker, unsigned nworkers,
                          unsigned *order);

#endif

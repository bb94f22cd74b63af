/* topo.c — hwloc behind pf_topo.h. */
#include <stdint.h>
#include <stdlib.h>

#include <hwloc.h>

#include "pf_topo.h"

struct pf_topo {
  hwloc_topology_t hw;
  pf_topo_counts counts;
  unsigned npus;
  unsigned *plan; /* "npus" OS PU indexes in pinning order */
  hwloc_bitmap_t *plan_sets; /* the cpuset of each PU in "plan" */
};

static unsigned count_type(hwloc_topology_t hw, hwloc_obj_type_t type) {
  int n = hwloc_get_nbobjs_by_type(hw, type);
  return n > 0 ? (unsigned)n : 0;
}

/* Orders the PUs: the k-th PU of every core for k = 0, 1, … (cores in logical order). PUs
 * that belong to no core (some virtual machines) come last, in logical order. */
static pf_status_t build_plan(pf_topo *t) {
  unsigned ncores = count_type(t->hw, HWLOC_OBJ_CORE);
  unsigned n = 0;
  t->plan = calloc(t->npus, sizeof *t->plan);
  t->plan_sets = calloc(t->npus, sizeof *t->plan_sets);
  char *used = calloc(t->npus, 1);
  if (!t->plan || !t->plan_sets || !used) {
    free(used);
    return PF_ENOMEM;
  }
  for (unsigned k = 0; n < t->npus; k++) {
    unsigned added = 0;
    for (unsigned c = 0; c < ncores; c++) {
      hwloc_obj_t core = hwloc_get_obj_by_type(t->hw, HWLOC_OBJ_CORE, c);
      hwloc_obj_t pu = hwloc_get_obj_inside_cpuset_by_type(t->hw, core->cpuset, HWLOC_OBJ_PU, k);
      if (!pu || pu->logical_index >= t->npus || used[pu->logical_index])
        continue;
      used[pu->logical_index] = 1;
      t->plan[n] = pu->os_index;
      t->plan_sets[n] = hwloc_bitmap_dup(pu->cpuset);
      n++;
      added++;
    }
    if (!added)
      break;
  }
  for (unsigned i = 0; i < t->npus && n < t->npus; i++) {
    if (used[i])
      continue;
    hwloc_obj_t pu = hwloc_get_obj_by_type(t->hw, HWLOC_OBJ_PU, i);
    t->plan[n] = pu->os_index;
    t->plan_sets[n] = hwloc_bitmap_dup(pu->cpuset);
    n++;
  }
  free(used);
  for (unsigned i = 0; i < t->npus; i++)
    if (!t->plan_sets[i])
      return PF_ENOMEM;
  return PF_OK;
}

/* Loads the machine's topology, or the hwloc synthetic one "desc" when not NULL. */
static pf_status_t topo_load(const char *desc, pf_topo **topo_p) {
  pf_status_t ret = PF_OK;
  pf_topo *t = calloc(1, sizeof *t);
  PF_CHECK(!t, fail, ret, PF_ENOMEM);
  PF_CHECK(hwloc_topology_init(&t->hw) != 0, fail_free, ret, PF_ENOMEM);
  PF_CHECK(desc && hwloc_topology_set_synthetic(t->hw, desc) != 0, fail_hw, ret, PF_EINVAL);
  PF_CHECK(hwloc_topology_load(t->hw) != 0, fail_hw, ret, PF_EIO);
  if (!desc) {
    /* a process started on some CPUs only (taskset, Slurm's --cpu-bind, a cgroup) keeps to
     * them: the topology, the thread count and the pinning plan cover those PUs alone */
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (set && hwloc_get_cpubind(t->hw, set, HWLOC_CPUBIND_PROCESS) == 0 &&
        !hwloc_bitmap_iszero(set) &&
        !hwloc_bitmap_isincluded(hwloc_topology_get_topology_cpuset(t->hw), set) &&
        hwloc_topology_restrict(t->hw, set, 0) != 0) {
      /* not restricted: the whole machine, as before */
    }
    hwloc_bitmap_free(set);
  }
  t->npus = count_type(t->hw, HWLOC_OBJ_PU);
  PF_CHECK(t->npus == 0, fail_hw, ret, desc ? PF_EINVAL : PF_EIO);
  t->counts.pus = t->npus;
  t->counts.cores = count_type(t->hw, HWLOC_OBJ_CORE);
  t->counts.packages = count_type(t->hw, HWLOC_OBJ_PACKAGE);
  t->counts.numa_nodes = count_type(t->hw, HWLOC_OBJ_NUMANODE);
  if (t->counts.cores == 0 || t->counts.cores > t->npus)
    t->counts.cores = t->npus;
  if (t->counts.packages == 0)
    t->counts.packages = 1;
  if (t->counts.numa_nodes == 0)
    t->counts.numa_nodes = 1;
  ret = build_plan(t);
  PF_CHECK(ret != PF_OK, fail_topo, ret, ret);
  *topo_p = t;
  return PF_OK;

fail_topo:
  pf_topo_destroy(t);
  return ret;
fail_hw:
  hwloc_topology_destroy(t->hw);
fail_free:
  free(t);
fail:
  return ret;
}

pf_status_t pf_topo_load(pf_topo **topo_p) { return topo_load(NULL, topo_p); }

void pf_topo_destroy(pf_topo *topo) {
  if (!topo)
    return;
  if (topo->plan_sets)
    for (unsigned i = 0; i < topo->npus; i++)
      hwloc_bitmap_free(topo->plan_sets[i]);
  free(topo->plan_sets);
  free(topo->plan);
  hwloc_topology_destroy(topo->hw);
  free(topo);
}

pf_topo_counts pf_topo_get_counts(const pf_topo *topo) { return topo->counts; }

unsigned pf_topo_plan_pu(const pf_topo *topo, unsigned worker) {
  return topo->plan[worker % topo->npus];
}

pf_status_t pf_topo_pin_worker(const pf_topo *topo, unsigned worker) {
  hwloc_const_bitmap_t set = topo->plan_sets[worker % topo->npus];
  if (hwloc_set_cpubind(topo->hw, set, HWLOC_CPUBIND_THREAD) != 0)
    return PF_ENOTSUP;
  return PF_OK;
}

pf_status_t pf_topo_bind_memory(const pf_topo *topo, unsigned worker) {
  if (topo->counts.numa_nodes < 2)
    return PF_OK; /* one memory node: every allocation is already local */
  hwloc_const_bitmap_t set = topo->plan_sets[worker % topo->npus];
  /* BIND without STRICT: prefer the nodes near the PU, fall back to others when full */
  if (hwloc_set_membind(topo->hw, set, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_THREAD) != 0)
    return PF_ENOTSUP;
  return PF_OK;
}

static void print_tree(hwloc_topology_t hw, hwloc_obj_t obj, int depth, FILE *out) {
  char type[64], attr[128];
  hwloc_obj_type_snprintf(type, sizeof type, obj, 0);
  hwloc_obj_attr_snprintf(attr, sizeof attr, obj, " ", 0);
  fprintf(out, "%*s%s L#%u", 2 * depth, "", type, obj->logical_index);
  if (obj->os_index != HWLOC_UNKNOWN_INDEX && (obj->type == HWLOC_OBJ_PU || obj->type == HWLOC_OBJ_NUMANODE ||
                                               obj->type == HWLOC_OBJ_PACKAGE))
    fprintf(out, " (P#%u)", obj->os_index);
  if (attr[0])
    fprintf(out, " [%s]", attr);
  fputc('\n', out);
  for (hwloc_obj_t m = obj->memory_first_child; m; m = m->next_sibling)
    print_tree(hw, m, depth + 1, out);
  for (hwloc_obj_t c = obj->first_child; c; c = c->next_sibling)
    print_tree(hw, c, depth + 1, out);
}

void pf_topo_print(const pf_topo *topo, unsigned threads, FILE *out) {
  pf_topo_counts c = topo->counts;
  fprintf(out, "topology: %u package(s), %u NUMA node(s), %u core(s), %u PU(s)\n", c.packages,
          c.numa_nodes, c.cores, c.pus);
  print_tree(topo->hw, hwloc_get_root_obj(topo->hw), 1, out);
  if (threads == 0)
    threads = topo->npus;
  fprintf(out, "pinning plan: %u worker thread(s)\n", threads);
  for (unsigned w = 0; w < threads; w++)
    fprintf(out, "  worker %u -> PU P#%u\n", w, pf_topo_plan_pu(topo, w));
}

pf_status_t pf_topo_load_synthetic(const char *desc, pf_topo **topo_p) {
  return topo_load(desc, topo_p);
}

/* ---------------------------------------------------------------- distances and victims */

static hwloc_obj_t worker_pu(const pf_topo *topo, unsigned worker) {
  return hwloc_get_pu_obj_by_os_index(topo->hw, pf_topo_plan_pu(topo, worker));
}

unsigned pf_topo_worker_distance(const pf_topo *topo, unsigned a, unsigned b) {
  hwloc_obj_t pa = worker_pu(topo, a), pb = worker_pu(topo, b);
  if (!pa || !pb || pa == pb)
    return pa == pb ? PF_TOPO_SAME_PU : PF_TOPO_FAR;
  hwloc_obj_t anc = hwloc_get_common_ancestor_obj(topo->hw, pa, pb);
  if (!anc)
    return PF_TOPO_FAR;
  if (anc->type == HWLOC_OBJ_CORE)
    return PF_TOPO_SAME_CORE;
  if (hwloc_obj_type_is_cache(anc->type))
    return PF_TOPO_SAME_CACHE;
  if (anc->nodeset && hwloc_bitmap_weight(anc->nodeset) == 1)
    return PF_TOPO_SAME_NUMA;
  if (anc->type == HWLOC_OBJ_PACKAGE ||
      hwloc_get_ancestor_obj_by_type(topo->hw, HWLOC_OBJ_PACKAGE, anc))
    return PF_TOPO_SAME_PACKAGE;
  return PF_TOPO_FAR;
}

/* The NUMA node whose PUs include "pu", or NULL. */
static hwloc_obj_t pu_numa(const pf_topo *topo, hwloc_obj_t pu) {
  hwloc_obj_t node = NULL;
  while ((node = hwloc_get_next_obj_by_type(topo->hw, HWLOC_OBJ_NUMANODE, node)))
    if (node->cpuset && hwloc_bitmap_isincluded(pu->cpuset, node->cpuset))
      return node;
  return NULL;
}

/* The NUMA latency between workers "a" and "b" from "dist" (NULL: none reported), or 0. */
static uint64_t numa_latency(const pf_topo *topo, struct hwloc_distances_s *dist, unsigned a,
                             unsigned b) {
  if (!dist)
    return 0;
  hwloc_obj_t pa = worker_pu(topo, a), pb = worker_pu(topo, b);
  hwloc_obj_t na = pa ? pu_numa(topo, pa) : NULL, nb = pb ? pu_numa(topo, pb) : NULL;
  hwloc_uint64_t v1 = 0, v2 = 0;
  if (!na || !nb || hwloc_distances_obj_pair_values(dist, na, nb, &v1, &v2) != 0)
    return 0;
  return v1;
}

void pf_topo_victim_order(const pf_topo *topo, unsigned worker, unsigned nworkers,
                          unsigned *order) {
  struct hwloc_distances_s *dist = NULL;
  unsigned nr = 1;
  if (hwloc_distances_get_by_type(topo->hw, HWLOC_OBJ_NUMANODE, &nr, &dist,
                                  HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) != 0 ||
      nr == 0)
    dist = NULL;
  /* key: (class, latency); insertion sort keeps the cyclic order among equals */
  unsigned n = 0;
  unsigned cls[nworkers > 0 ? nworkers : 1];
  uint64_t lat[nworkers > 0 ? nworkers : 1];
  for (unsigned k = 1; k < nworkers; k++) {
    unsigned v = (worker + k) % nworkers;
    unsigned c = pf_topo_worker_distance(topo, worker, v);
    uint64_t l = numa_latency(topo, dist, worker, v);
    unsigned i = n++;
    while (i > 0 && (cls[i - 1] > c || (cls[i - 1] == c && lat[i - 1] > l))) {
      order[i] = order[i - 1];
      cls[i] = cls[i - 1];
      lat[i] = lat[i - 1];
      i--;
    }
    order[i] = v;
    cls[i] = c;
    lat[i] = l;
  }
  if (dist)
    hwloc_distances_release(topo->hw, dist);
}

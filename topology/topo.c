/* topo.c — hwloc behind pf_topo.h. */
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

pf_status_t pf_topo_load(pf_topo **topo_p) {
  pf_status_t ret = PF_OK;
  pf_topo *t = calloc(1, sizeof *t);
  PF_CHECK(!t, fail, ret, PF_ENOMEM);
  PF_CHECK(hwloc_topology_init(&t->hw) != 0, fail_free, ret, PF_ENOMEM);
  PF_CHECK(hwloc_topology_load(t->hw) != 0, fail_hw, ret, PF_EIO);
  t->npus = count_type(t->hw, HWLOC_OBJ_PU);
  PF_CHECK(t->npus == 0, fail_hw, ret, PF_EIO);
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

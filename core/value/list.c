/* list.c — lists as persistent vectors: a balanced tree whose leaves are chunks of at most
 * PF_LIST_LEAF items and whose branches hold at most PF_LIST_BRANCH children with a table of
 * cumulative sizes (a relaxed radix tree, as RRB-trees). Nodes are immutable once built,
 * reference-counted and shared between lists:
 *   - concatenation joins the two trees along the seam (merging the seam's nodes where they
 *     fit): O(PF_LIST_BRANCH · height) work, so `a + [x]` copies one leaf and one path;
 *   - a slice with step 1 copies at most the two edge leaves and the nodes above them;
 *   - indexing descends height levels (radix guess, then the size table).
 * A tree grown taller than list_height_limit(n) is rebuilt dense (never happens for trees
 * built by appends, slices and concatenations of balanced parts; a guard for odd mixes). */
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

#define BRANCH PF_LIST_BRANCH
#define LEAF PF_LIST_LEAF

typedef struct lnode {
  _Atomic int32_t rc;
  uint16_t n;     /* items (leaf) or children (branch) */
  uint8_t height; /* 0: leaf */
  size_t size;    /* items below */
} lnode;

typedef struct lleaf {
  lnode h;
  pf_val items[]; /* h.n of them */
} lleaf;

typedef struct lbranch {
  lnode h;
  size_t cum[BRANCH]; /* cum[i]: items in kids[0..i] */
  lnode *kids[BRANCH];
} lbranch;

typedef struct pf_list {
  pf_obj h;
  lnode *root; /* NULL when empty */
} pf_list;

#define LIST(v) ((pf_list *)(v).u.o)
#define LEAFP(x) ((lleaf *)(x))
#define BR(x) ((lbranch *)(x))

/* ---------------------------------------------------------------- nodes */

static void node_incref(lnode *x) { atomic_fetch_add_explicit(&x->rc, 1, memory_order_relaxed); }

static void node_decref(lnode *x) {
  if (!x || atomic_fetch_sub_explicit(&x->rc, 1, memory_order_acq_rel) != 1)
    return;
  if (x->height == 0) {
    for (size_t i = 0; i < x->n; i++)
      pf_decref(LEAFP(x)->items[i]);
  } else {
    for (size_t i = 0; i < x->n; i++)
      node_decref(BR(x)->kids[i]);
  }
  free(x);
}

static lleaf *leaf_alloc(size_t n) {
  lleaf *l = pf_vmalloc(sizeof *l + n * sizeof(pf_val));
  if (!l)
    return NULL;
  atomic_init(&l->h.rc, 1);
  l->h.n = (uint16_t)n;
  l->h.height = 0;
  l->h.size = n;
  return l;
}

static lbranch *branch_alloc(unsigned height) {
  lbranch *b = pf_vmalloc(sizeof *b);
  if (!b)
    return NULL;
  atomic_init(&b->h.rc, 1);
  b->h.n = 0;
  b->h.height = (uint8_t)height;
  b->h.size = 0;
  return b;
}

/* Appends "kid" to "b", taking the reference. */
static void branch_push(lbranch *b, lnode *kid) {
  b->kids[b->h.n] = kid;
  b->h.size += kid->size;
  b->cum[b->h.n] = b->h.size;
  b->h.n++;
}

/* Index of the child of "b" holding item "i" (< size), with the radix guess of a dense
 * tree first. */
static size_t branch_find(const lbranch *b, size_t i) {
  unsigned shift = PF_LIST_LEAF_BITS + ((unsigned)b->h.height - 1u) * PF_LIST_BRANCH_BITS;
  size_t k = shift < 8 * sizeof(size_t) ? i >> shift : 0;
  if (k >= b->h.n)
    k = b->h.n - 1u;
  while (b->cum[k] <= i)
    k++;
  while (k > 0 && b->cum[k - 1] > i)
    k--;
  return k;
}

static size_t kid_offset(const lbranch *b, size_t k) { return k ? b->cum[k - 1] : 0; }

/* Leaf holding item "*i" of "x"; *i becomes the index inside that leaf. */
static const lleaf *find_leaf(const lnode *x, size_t *i) {
  while (x->height) {
    const lbranch *b = BR(x);
    size_t k = branch_find(b, *i);
    *i -= kid_offset(b, k);
    x = b->kids[k];
  }
  return LEAFP(x);
}

/* ---------------------------------------------------------------- building */

/* Builds a dense tree of "n" > 0 items; takes the references in "items" when "take", else
 * increfs them. NULL when out of memory (then the taken references are released). */
static lnode *build_dense(const pf_val *items, size_t n, bool take) {
  size_t nleaves = (n + LEAF - 1) / LEAF;
  lnode **level = pf_vmalloc(nleaves * sizeof *level);
  size_t made = 0;
  if (level) {
    for (; made < nleaves; made++) {
      size_t lo = made * LEAF, k = n - lo < LEAF ? n - lo : LEAF;
      lleaf *l = leaf_alloc(k);
      if (!l)
        break;
      for (size_t j = 0; j < k; j++)
        l->items[j] = take ? items[lo + j] : pf_incref(items[lo + j]);
      level[made] = &l->h;
    }
  }
  if (!level || made < nleaves) {
    if (take)
      for (size_t j = made * LEAF; j < n; j++)
        pf_decref(items[j]);
    for (size_t j = 0; j < made; j++)
      node_decref(level[j]);
    free(level);
    return NULL;
  }
  size_t cnt = nleaves;
  unsigned height = 0;
  while (cnt > 1) {
    height++;
    size_t up = (cnt + BRANCH - 1) / BRANCH, done = 0;
    for (; done < up; done++) {
      lbranch *b = branch_alloc(height);
      if (!b)
        break;
      for (size_t j = done * BRANCH; j < cnt && j < (done + 1) * BRANCH; j++)
        branch_push(b, level[j]);
      level[done] = &b->h;
    }
    if (done < up) {
      for (size_t j = 0; j < done; j++)
        node_decref(level[j]);
      for (size_t j = done * BRANCH; j < cnt; j++)
        node_decref(level[j]);
      free(level);
      return NULL;
    }
    cnt = up;
  }
  lnode *root = level[0];
  free(level);
  return root;
}

/* Wraps "root" (taken; may be NULL for the empty list) in a new list value. */
static pf_status_t list_wrap(lnode *root, pf_val *out, pf_err *err) {
  pf_list *l = pf_vmalloc(sizeof *l);
  if (!l) {
    node_decref(root);
    return pf_nomem(err);
  }
  pf_obj_init(&l->h, &pf_type_list);
  l->root = root;
  *out = pf_obj_val(&l->h);
  return PF_OK;
}

static void list_destroy(pf_obj *o) {
  node_decref(((pf_list *)o)->root);
  free(o);
}

const pf_type pf_type_list = {.name = "list", .destroy = list_destroy};

/* Returns new list of "n" items; takes the references in "items"; MemoryError past the
 * sequence size limit (the references are released then too). */
pf_status_t pf_list_new(size_t n, pf_val *items, pf_val *out, pf_err *err) {
  if (n > PF_SEQ_MAX_BYTES / sizeof(pf_val)) {
    for (size_t i = 0; i < n; i++)
      pf_decref(items[i]);
    return pf_nomem(err);
  }
  lnode *root = NULL;
  if (n && !(root = build_dense(items, n, true)))
    return pf_nomem(err);
  return list_wrap(root, out, err);
}

/* Number of items of "l". */
size_t pf_list_len(pf_val l) { return LIST(l)->root ? LIST(l)->root->size : 0; }

/* Borrows: item "i" (< len) of "l", found by descending the tree. */
pf_val pf_list_get(pf_val l, size_t i) {
  const lleaf *leaf = find_leaf(LIST(l)->root, &i);
  return leaf->items[i];
}

/* Borrows: the rest of the leaf chunk holding item "i" (< len) of "l"; its size in *avail. */
const pf_val *pf_list_chunk(pf_val l, size_t i, size_t *avail) {
  const lleaf *leaf = find_leaf(LIST(l)->root, &i);
  *avail = leaf->h.n - i;
  return leaf->items + i;
}

const pf_val *pf_list_leaf(pf_val l, size_t i, size_t *off, size_t *n) {
  const lleaf *leaf = find_leaf(LIST(l)->root, &i);
  *off = i;
  *n = leaf->h.n;
  return leaf->items;
}

/* Starts "it" over "l" (borrowed) at item "start"; no allocation. */
void pf_list_iter_init(pf_list_iter *it, pf_val l, size_t start) {
  it->list = l;
  it->next_pos = start;
  it->chunk = NULL;
  it->k = it->avail = 0;
}

/* Points "it" at the next leaf chunk; false when the list is exhausted. */
bool pf_list_iter_refill(pf_list_iter *it) {
  if (it->next_pos >= pf_list_len(it->list))
    return false;
  it->chunk = pf_list_chunk(it->list, it->next_pos, &it->avail);
  it->next_pos += it->avail;
  it->k = 0;
  return true;
}

/* Height of the tree of "l" (0: one leaf or empty). */
unsigned pf_list_height(pf_val l) { return LIST(l)->root ? LIST(l)->root->height : 0; }

/* ---------------------------------------------------------------- join */

typedef struct npair {
  lnode *v[2];
  int n;
} npair;

/* Joins "a" and "b" (borrowed, non-empty) into 1 or 2 new nodes of height
 * max(height a, height b), items of "a" first; false when out of memory. */
static bool join(lnode *a, lnode *b, npair *out) {
  if (a->height == 0 && b->height == 0) {
    if (a->n + b->n <= LEAF) {
      lleaf *l = leaf_alloc(a->n + (size_t)b->n);
      if (!l)
        return false;
      for (size_t i = 0; i < a->n; i++)
        l->items[i] = pf_incref(LEAFP(a)->items[i]);
      for (size_t i = 0; i < b->n; i++)
        l->items[a->n + i] = pf_incref(LEAFP(b)->items[i]);
      out->v[0] = &l->h;
      out->n = 1;
    } else {
      node_incref(a);
      node_incref(b);
      *out = (npair){{a, b}, 2};
    }
    return true;
  }
  npair mid;
  lnode *const *pre = NULL, *const *post = NULL;
  size_t npre = 0, npost = 0;
  unsigned height;
  bool ok;
  if (a->height > b->height) {
    height = a->height;
    pre = BR(a)->kids;
    npre = a->n - 1u;
    ok = join(BR(a)->kids[npre], b, &mid);
  } else if (a->height < b->height) {
    height = b->height;
    post = BR(b)->kids + 1;
    npost = b->n - 1u;
    ok = join(a, BR(b)->kids[0], &mid);
  } else {
    height = a->height;
    pre = BR(a)->kids;
    npre = a->n - 1u;
    post = BR(b)->kids + 1;
    npost = b->n - 1u;
    ok = join(BR(a)->kids[npre], BR(b)->kids[0], &mid);
  }
  if (!ok)
    return false;
  lnode *all[2 * BRANCH + 2];
  size_t total = 0;
  for (size_t i = 0; i < npre; i++)
    all[total++] = pre[i];
  size_t mid_at = total;
  for (int i = 0; i < mid.n; i++)
    all[total++] = mid.v[i];
  for (size_t i = 0; i < npost; i++)
    all[total++] = post[i];
  int parts = total <= BRANCH ? 1 : 2;
  lbranch *nb[2] = {branch_alloc(height), parts == 2 ? branch_alloc(height) : NULL};
  if (!nb[0] || (parts == 2 && !nb[1])) {
    free(nb[0]);
    free(nb[1]);
    for (int i = 0; i < mid.n; i++)
      node_decref(mid.v[i]);
    return false;
  }
  size_t first = parts == 1 ? total : total / 2;
  for (size_t i = 0; i < total; i++) {
    bool is_mid = i >= mid_at && i < mid_at + (size_t)mid.n;
    if (!is_mid)
      node_incref(all[i]);
    branch_push(nb[i < first ? 0 : 1], all[i]);
  }
  out->v[0] = &nb[0]->h;
  out->v[1] = parts == 2 ? &nb[1]->h : NULL;
  out->n = parts;
  return true;
}

/* Drops single-child branches at the top of "x" (taken); returns the new top. */
static lnode *collapse(lnode *x) {
  while (x && x->height && x->n == 1) {
    lnode *k = BR(x)->kids[0];
    node_incref(k);
    node_decref(x);
    x = k;
  }
  return x;
}

/* One node holding the items of "a" then "b" (borrowed, each may be NULL): new reference
 * in *out (NULL when both are empty); false when out of memory. */
static bool join_one(lnode *a, lnode *b, lnode **out) {
  if (!a || !b) {
    lnode *x = a ? a : b;
    if (x)
      node_incref(x);
    *out = x;
    return true;
  }
  npair p;
  if (!join(a, b, &p))
    return false;
  if (p.n == 1) {
    *out = collapse(p.v[0]);
    return true;
  }
  lbranch *r = branch_alloc(p.v[0]->height + 1u);
  if (!r) {
    node_decref(p.v[0]);
    node_decref(p.v[1]);
    return false;
  }
  branch_push(r, p.v[0]);
  branch_push(r, p.v[1]);
  *out = &r->h;
  return true;
}

/* Height a list of "n" items may reach before it is rebuilt dense. */
static unsigned list_height_limit(size_t n) {
  unsigned bits = 0;
  while (n >> bits)
    bits++;
  return bits / 2 + 2;
}

/* Rebuilds "root" (taken) dense when it is too tall; NULL when out of memory. */
static lnode *rebalance(lnode *root) {
  if (!root || root->height <= list_height_limit(root->size))
    return root;
  size_t n = root->size;
  pf_val *items = pf_vmalloc(n * sizeof *items);
  if (!items) {
    node_decref(root);
    return NULL;
  }
  size_t k = 0;
  while (k < n) {
    size_t i = k;
    const lleaf *l = find_leaf(root, &i);
    memcpy(items + k, l->items + i, (l->h.n - i) * sizeof *items);
    k += l->h.n - i;
  }
  lnode *r = build_dense(items, n, false);
  free(items);
  node_decref(root);
  return r;
}

/* ---------------------------------------------------------------- slices */

/* New node of items [lo, hi) of "x" (borrowed), 0 <= lo < hi <= size; NULL when out of
 * memory. */
static lnode *take(lnode *x, size_t lo, size_t hi) {
  if (lo == 0 && hi == x->size) {
    node_incref(x);
    return x;
  }
  if (x->height == 0) {
    lleaf *l = leaf_alloc(hi - lo);
    if (!l)
      return NULL;
    for (size_t i = lo; i < hi; i++)
      l->items[i - lo] = pf_incref(LEAFP(x)->items[i]);
    return &l->h;
  }
  lbranch *b = BR(x);
  size_t i0 = branch_find(b, lo), i1 = branch_find(b, hi - 1);
  size_t o0 = kid_offset(b, i0), o1 = kid_offset(b, i1);
  if (i0 == i1)
    return take(b->kids[i0], lo - o0, hi - o0);
  lnode *left = take(b->kids[i0], lo - o0, b->kids[i0]->size);
  lnode *right = left ? take(b->kids[i1], 0, hi - o1) : NULL;
  if (!right) {
    node_decref(left);
    return NULL;
  }
  unsigned kh = x->height - 1u;
  if (left->height == kh && right->height == kh) { /* one node, as the original */
    lbranch *r = branch_alloc(x->height);
    if (!r) {
      node_decref(left);
      node_decref(right);
      return NULL;
    }
    branch_push(r, left);
    for (size_t i = i0 + 1; i < i1; i++) {
      node_incref(b->kids[i]);
      branch_push(r, b->kids[i]);
    }
    branch_push(r, right);
    return &r->h;
  }
  lnode *middle = NULL;
  if (i1 > i0 + 1) {
    lbranch *m = branch_alloc(x->height);
    if (!m) {
      node_decref(left);
      node_decref(right);
      return NULL;
    }
    for (size_t i = i0 + 1; i < i1; i++) {
      node_incref(b->kids[i]);
      branch_push(m, b->kids[i]);
    }
    middle = &m->h;
  }
  lnode *lm = NULL, *r = NULL;
  bool ok = join_one(left, middle, &lm) && join_one(lm, right, &r);
  node_decref(left);
  node_decref(middle);
  node_decref(right);
  node_decref(lm);
  return ok ? r : NULL;
}

/* ---------------------------------------------------------------- operations */

pf_status_t pf_list_concat(pf_val a, pf_val b, pf_val *out, pf_err *err) {
  lnode *x = LIST(a)->root, *y = LIST(b)->root;
  size_t n = (x ? x->size : 0) + (y ? y->size : 0);
  if (n > PF_SEQ_MAX_BYTES / sizeof(pf_val))
    return pf_nomem(err);
  lnode *r;
  if (!join_one(x, y, &r))
    return pf_nomem(err);
  if (r && !(r = rebalance(r)))
    return pf_nomem(err);
  return list_wrap(r, out, err);
}

/* Returns new list l + [item] (borrows both). */
pf_status_t pf_list_append(pf_val l, pf_val item, pf_val *out, pf_err *err) {
  pf_val one;
  if (pf_list_new(1, (pf_val[]){pf_incref(item)}, &one, err) != PF_OK)
    return PF_EPYEXC;
  pf_status_t st = pf_list_concat(l, one, out, err);
  pf_decref(one);
  return st;
}

/* Returns new list a * n (borrowed) by doubling joins: O(log n) joins sharing the
 * nodes; MemoryError past the sequence size limit. */
pf_status_t pf_list_repeat(pf_val a, int64_t n, pf_val *out, pf_err *err) {
  size_t len = pf_list_len(a);
  if (n <= 0 || len == 0)
    return list_wrap(NULL, out, err);
  if ((uint64_t)n > PF_SEQ_MAX_BYTES / sizeof(pf_val) / len)
    return pf_nomem(err);
  lnode *acc = NULL, *p = LIST(a)->root;
  node_incref(p);
  uint64_t k = (uint64_t)n;
  for (;;) {
    lnode *t;
    if (k & 1) {
      if (!join_one(acc, p, &t))
        goto oom;
      node_decref(acc);
      acc = t;
    }
    k >>= 1;
    if (!k)
      break;
    if (!join_one(p, p, &t))
      goto oom;
    node_decref(p);
    p = t;
  }
  node_decref(p);
  if (!(acc = rebalance(acc)))
    return pf_nomem(err);
  return list_wrap(acc, out, err);
oom:
  node_decref(acc);
  node_decref(p);
  return pf_nomem(err);
}

/* Copy of the path of "x" (borrowed) to item "i" with that item replaced by "v"
 * (borrowed); NULL when out of memory. */
static lnode *set_path(const lnode *x, size_t i, pf_val v) {
  if (x->height == 0) {
    lleaf *l = leaf_alloc(x->n);
    if (!l)
      return NULL;
    for (size_t j = 0; j < x->n; j++)
      l->items[j] = pf_incref(j == i ? v : LEAFP(x)->items[j]);
    return &l->h;
  }
  const lbranch *b = BR(x);
  size_t k = branch_find(b, i);
  lnode *sub = set_path(b->kids[k], i - kid_offset(b, k), v);
  lbranch *c = sub ? branch_alloc(x->height) : NULL;
  if (!c) {
    node_decref(sub);
    return NULL;
  }
  memcpy(c, b, sizeof *c);
  atomic_init(&c->h.rc, 1);
  for (size_t j = 0; j < b->h.n; j++)
    if (j != k)
      node_incref(c->kids[j]);
  c->kids[k] = sub;
  return &c->h;
}

/* Returns new list "l" with item "i" replaced by "v" (both borrowed): one path copied. */
pf_status_t pf_list_set_item(pf_val l, size_t i, pf_val v, pf_val *out, pf_err *err) {
  lnode *r = set_path(LIST(l)->root, i, v);
  if (!r)
    return pf_nomem(err);
  return list_wrap(r, out, err);
}

/* Returns new list s[start : start + len * step : step] (borrowed "s", adjusted bounds):
 * shared nodes for step 1, a new dense tree otherwise. */
pf_status_t pf_list_slice(pf_val s, int64_t start, int64_t step, int64_t len, pf_val *out,
                          pf_err *err) {
  if (len <= 0)
    return list_wrap(NULL, out, err);
  if (step == 1) {
    lnode *r = take(LIST(s)->root, (size_t)start, (size_t)(start + len));
    if (!r)
      return pf_nomem(err);
    r = collapse(r);
    if (!(r = rebalance(r)))
      return pf_nomem(err);
    return list_wrap(r, out, err);
  }
  pf_val *items = pf_vmalloc((size_t)len * sizeof *items);
  if (!items)
    return pf_nomem(err);
  for (int64_t k = 0; k < len; k++)
    items[k] = pf_list_get(s, (size_t)(start + k * step));
  lnode *r = build_dense(items, (size_t)len, false);
  free(items);
  if (!r)
    return pf_nomem(err);
  return list_wrap(r, out, err);
}

/* deque.c — the Chase–Lev work-stealing deque with the C11 orderings of Lê et al. 2013
 * ("Correct and efficient work-stealing for weak memory models"), growable.
 *
 * ThreadSanitizer does not model atomic_thread_fence (GCC warns with -Wtsan), so a TSan
 * build replaces each fence by making the accesses around it seq_cst, which is at least as
 * strong (the original Chase–Lev proof assumes sequential consistency). */
#include <stdlib.h>

#include "sched_int.h"

#if defined(__SANITIZE_THREAD__)
#define PF_DQ_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PF_DQ_TSAN 1
#endif
#endif

typedef struct dq_array {
  int64_t size;             /* a power of two */
  struct dq_array *retired; /* older buffers, freed with the deque */
  _Atomic(void *) buf[];
} dq_array;

struct pf_deque {
  _Alignas(64) atomic_int_least64_t top;
  _Alignas(64) atomic_int_least64_t bottom;
  _Atomic(dq_array *) array;
  dq_array *last; /* owner only: the current array, head of the retired chain */
};

static dq_array *array_new(int64_t size) {
  dq_array *a = malloc(sizeof *a + (size_t)size * sizeof(_Atomic(void *)));
  if (!a)
    return NULL;
  a->size = size;
  a->retired = NULL;
  for (int64_t i = 0; i < size; i++)
    atomic_init(&a->buf[i], NULL);
  return a;
}

pf_status_t pf_deque_new(unsigned log_size, pf_deque **dq_p) {
  if (log_size < 1)
    log_size = 1;
  if (log_size > 30)
    log_size = 30;
  pf_deque *dq = aligned_alloc(64, (sizeof *dq + 63) / 64 * 64);
  dq_array *a = array_new((int64_t)1 << log_size);
  if (!dq || !a) {
    free(dq);
    free(a);
    return PF_ENOMEM;
  }
  atomic_init(&dq->top, 0);
  atomic_init(&dq->bottom, 0);
  atomic_init(&dq->array, a);
  dq->last = a;
  *dq_p = dq;
  return PF_OK;
}

void pf_deque_free(pf_deque *dq) {
  if (!dq)
    return;
  for (dq_array *a = dq->last, *next; a; a = next) {
    next = a->retired;
    free(a);
  }
  free(dq);
}

/* Owner only: doubles the buffer, copying the live items [t, b). The old buffer stays
 * readable by thieves until the deque is freed. */
static dq_array *grow(pf_deque *dq, dq_array *a, int64_t t, int64_t b) {
  dq_array *n = array_new(a->size * 2);
  if (!n)
    return NULL;
  for (int64_t i = t; i < b; i++)
    atomic_store_explicit(&n->buf[i & (n->size - 1)],
                          atomic_load_explicit(&a->buf[i & (a->size - 1)], memory_order_relaxed),
                          memory_order_relaxed);
  n->retired = a;
  dq->last = n;
  atomic_store_explicit(&dq->array, n, memory_order_release);
  return n;
}

pf_status_t pf_deque_push(pf_deque *dq, void *item) {
  int64_t b = atomic_load_explicit(&dq->bottom, memory_order_relaxed);
  int64_t t = atomic_load_explicit(&dq->top, memory_order_acquire);
  dq_array *a = atomic_load_explicit(&dq->array, memory_order_relaxed);
  if (b - t > a->size - 1) {
    a = grow(dq, a, t, b);
    if (!a)
      return PF_ENOMEM;
  }
  atomic_store_explicit(&a->buf[b & (a->size - 1)], item, memory_order_relaxed);
#ifdef PF_DQ_TSAN
  atomic_store_explicit(&dq->bottom, b + 1, memory_order_release);
#else
  atomic_thread_fence(memory_order_release);
  atomic_store_explicit(&dq->bottom, b + 1, memory_order_relaxed);
#endif
  return PF_OK;
}

void *pf_deque_pop(pf_deque *dq) {
  int64_t b = atomic_load_explicit(&dq->bottom, memory_order_relaxed) - 1;
  dq_array *a = atomic_load_explicit(&dq->array, memory_order_relaxed);
#ifdef PF_DQ_TSAN
  atomic_store_explicit(&dq->bottom, b, memory_order_seq_cst);
  int64_t t = atomic_load_explicit(&dq->top, memory_order_seq_cst);
#else
  atomic_store_explicit(&dq->bottom, b, memory_order_relaxed);
  atomic_thread_fence(memory_order_seq_cst);
  int64_t t = atomic_load_explicit(&dq->top, memory_order_relaxed);
#endif
  void *x = NULL;
  if (t <= b) {
    x = atomic_load_explicit(&a->buf[b & (a->size - 1)], memory_order_relaxed);
    if (t == b) {
      /* the last item: race the thieves for it */
      if (!atomic_compare_exchange_strong_explicit(&dq->top, &t, t + 1, memory_order_seq_cst,
                                                   memory_order_relaxed))
        x = NULL;
      atomic_store_explicit(&dq->bottom, b + 1, memory_order_relaxed);
    }
  } else {
    atomic_store_explicit(&dq->bottom, b + 1, memory_order_relaxed);
  }
  return x;
}

pf_status_t pf_deque_steal(pf_deque *dq, void **item_p) {
#ifdef PF_DQ_TSAN
  int64_t t = atomic_load_explicit(&dq->top, memory_order_seq_cst);
  int64_t b = atomic_load_explicit(&dq->bottom, memory_order_seq_cst);
#else
  int64_t t = atomic_load_explicit(&dq->top, memory_order_acquire);
  atomic_thread_fence(memory_order_seq_cst);
  int64_t b = atomic_load_explicit(&dq->bottom, memory_order_acquire);
#endif
  if (t >= b)
    return PF_ENOENT;
  /* consume in the paper; acquire is what compilers implement consume as */
  dq_array *a = atomic_load_explicit(&dq->array, memory_order_acquire);
  void *x = atomic_load_explicit(&a->buf[t & (a->size - 1)], memory_order_relaxed);
  if (!atomic_compare_exchange_strong_explicit(&dq->top, &t, t + 1, memory_order_seq_cst,
                                               memory_order_relaxed))
    return PF_EAGAIN;
  *item_p = x;
  return PF_OK;
}

int64_t pf_deque_size(const pf_deque *dq) {
  pf_deque *d = (pf_deque *)dq;
  int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
  int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
  return b > t ? b - t : 0;
}

int64_t pf_deque_capacity(const pf_deque *dq) {
  pf_deque *d = (pf_deque *)dq;
  return atomic_load_explicit(&d->array, memory_order_relaxed)->size;
}

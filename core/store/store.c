/* store.c — the object store: a mutex-guarded hash table from object number to value. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_store.h"

#define PF_STORE_BUCKETS 4096u

typedef struct pf_entry {
  uint64_t num;
  pf_val val;
  pf_store_owner *owner;
  uint64_t session;
  struct pf_entry *next;
} pf_entry;

struct pf_store {
  pthread_mutex_t mu;
  uint64_t next_num;
  size_t count;
  pf_entry *buckets[PF_STORE_BUCKETS];
};

pf_store_owner *pf_store_owner_retain(pf_store_owner *o) {
  if (o)
    atomic_fetch_add(&o->refs, 1);
  return o;
}

void pf_store_owner_release(pf_store_owner *o) {
  if (o && atomic_fetch_sub(&o->refs, 1) == 1)
    o->destroy(o);
}

pf_status_t pf_store_create(pf_store **store_p) {
  pf_store *s = calloc(1, sizeof *s);
  if (!s)
    return PF_ENOMEM;
  if (pthread_mutex_init(&s->mu, NULL) != 0) {
    free(s);
    return PF_ENOMEM;
  }
  *store_p = s;
  return PF_OK;
}

static void entry_free(pf_entry *e) {
  pf_decref(e->val);
  pf_store_owner_release(e->owner);
  free(e);
}

void pf_store_destroy(pf_store *s) {
  if (!s)
    return;
  for (unsigned b = 0; b < PF_STORE_BUCKETS; b++)
    while (s->buckets[b]) {
      pf_entry *e = s->buckets[b];
      s->buckets[b] = e->next;
      entry_free(e);
    }
  pthread_mutex_destroy(&s->mu);
  free(s);
}

/* Parses "oN" into *num_p; returns 0 when "id" is not of that form. */
static int parse_id(const char *id, uint64_t *num_p) {
  if (!id || id[0] != 'o' || id[1] < '1' || id[1] > '9')
    return 0;
  uint64_t n = 0;
  for (const char *p = id + 1; *p; p++) {
    if (*p < '0' || *p > '9' || n > (UINT64_MAX - 9) / 10)
      return 0;
    n = n * 10 + (uint64_t)(*p - '0');
  }
  *num_p = n;
  return 1;
}

pf_status_t pf_store_put(pf_store *s, pf_val v, pf_store_owner *owner, uint64_t session,
                         char *id_buf, size_t id_len) {
  if (!id_buf || id_len < 24) {
    pf_decref(v);
    return PF_EINVAL;
  }
  pf_entry *e = calloc(1, sizeof *e);
  if (!e) {
    pf_decref(v);
    return PF_ENOMEM;
  }
  e->val = v;
  e->owner = pf_store_owner_retain(owner);
  e->session = session;
  pthread_mutex_lock(&s->mu);
  e->num = ++s->next_num;
  e->next = s->buckets[e->num % PF_STORE_BUCKETS];
  s->buckets[e->num % PF_STORE_BUCKETS] = e;
  s->count++;
  pthread_mutex_unlock(&s->mu);
  snprintf(id_buf, id_len, "o%" PRIu64, e->num);
  return PF_OK;
}

pf_status_t pf_store_get(pf_store *s, const char *id, pf_val *v_p, pf_store_owner **owner_p) {
  uint64_t num;
  if (!parse_id(id, &num))
    return PF_ENOENT;
  pf_status_t st = PF_ENOENT;
  pthread_mutex_lock(&s->mu);
  for (pf_entry *e = s->buckets[num % PF_STORE_BUCKETS]; e; e = e->next)
    if (e->num == num) {
      *v_p = pf_incref(e->val);
      if (owner_p)
        *owner_p = pf_store_owner_retain(e->owner);
      st = PF_OK;
      break;
    }
  pthread_mutex_unlock(&s->mu);
  return st;
}

pf_status_t pf_store_release(pf_store *s, const char *id) {
  uint64_t num;
  if (!parse_id(id, &num))
    return PF_ENOENT;
  pf_entry *found = NULL;
  pthread_mutex_lock(&s->mu);
  for (pf_entry **pp = &s->buckets[num % PF_STORE_BUCKETS]; *pp; pp = &(*pp)->next)
    if ((*pp)->num == num) {
      found = *pp;
      *pp = found->next;
      s->count--;
      break;
    }
  pthread_mutex_unlock(&s->mu);
  if (!found)
    return PF_ENOENT;
  entry_free(found); /* outside the lock: freeing a program may take a while */
  return PF_OK;
}

size_t pf_store_release_session(pf_store *s, uint64_t session) {
  pf_entry *dead = NULL;
  size_t n = 0;
  if (!session)
    return 0;
  pthread_mutex_lock(&s->mu);
  for (unsigned b = 0; b < PF_STORE_BUCKETS; b++)
    for (pf_entry **pp = &s->buckets[b]; *pp;) {
      pf_entry *e = *pp;
      if (e->session != session) {
        pp = &e->next;
        continue;
      }
      *pp = e->next;
      e->next = dead;
      dead = e;
      s->count--;
      n++;
    }
  pthread_mutex_unlock(&s->mu);
  while (dead) {
    pf_entry *next = dead->next;
    entry_free(dead);
    dead = next;
  }
  return n;
}

size_t pf_store_count(pf_store *s) {
  pthread_mutex_lock(&s->mu);
  size_t n = s->count;
  pthread_mutex_unlock(&s->mu);
  return n;
}

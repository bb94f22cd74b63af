/* sessions.c — client sessions and their leases: a client that stops sending heartbeats has
 * its objects released once the lease has passed and none of its computations is active. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rt_int.h"

#define PF_REAP_PERIOD_S 0.25

double pf_rt_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pf_rt_session_parse(const char *id, uint64_t *num_p) {
  if (!id || id[0] != 's' || id[1] < '1' || id[1] > '9')
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

pf_session *pf_rt_session_find(pf_rt *rt, uint64_t num) {
  for (pf_session *s = rt->sessions; s; s = s->next)
    if (s->num == num)
      return s;
  return NULL;
}

pf_status_t pf_rt_session_open(pf_rt *rt, double lease_s, char *id_buf, size_t id_len) {
  if (!(lease_s > 0 && lease_s <= 86400) || id_len < 24)
    return PF_EINVAL;
  pf_session *s = calloc(1, sizeof *s);
  if (!s)
    return PF_ENOMEM;
  s->lease_s = lease_s;
  s->last = pf_rt_now();
  pthread_mutex_lock(&rt->mu);
  s->num = ++rt->next_session;
  s->next = rt->sessions;
  rt->sessions = s;
  pthread_mutex_unlock(&rt->mu);
  snprintf(id_buf, id_len, "s%" PRIu64, s->num);
  return PF_OK;
}

pf_status_t pf_rt_session_touch(pf_rt *rt, const char *id) {
  uint64_t num;
  if (!pf_rt_session_parse(id, &num))
    return PF_ENOENT;
  pthread_mutex_lock(&rt->mu);
  pf_session *s = pf_rt_session_find(rt, num);
  if (s)
    s->last = pf_rt_now();
  pthread_mutex_unlock(&rt->mu);
  return s ? PF_OK : PF_ENOENT;
}

/* Unlinks session "num" (the mutex held); returns it, or NULL. */
static pf_session *unlink_session(pf_rt *rt, uint64_t num) {
  for (pf_session **pp = &rt->sessions; *pp; pp = &(*pp)->next)
    if ((*pp)->num == num) {
      pf_session *s = *pp;
      *pp = s->next;
      return s;
    }
  return NULL;
}

pf_status_t pf_rt_session_close(pf_rt *rt, const char *id, size_t *released_p) {
  uint64_t num;
  if (!pf_rt_session_parse(id, &num))
    return PF_ENOENT;
  pthread_mutex_lock(&rt->mu);
  pf_session *s = unlink_session(rt, num);
  pthread_mutex_unlock(&rt->mu);
  if (!s)
    return PF_ENOENT;
  free(s);
  size_t n = pf_store_release_session(rt->store, num);
  if (released_p)
    *released_p = n;
  return PF_OK;
}

void *pf_rt_reaper_main(void *arg) {
  pf_rt *rt = arg;
  pthread_mutex_lock(&rt->mu);
  while (!rt->stop) {
    struct timespec until = pf_rt_deadline_after(PF_REAP_PERIOD_S);
    while (!rt->stop && pthread_cond_timedwait(&rt->done_cv, &rt->mu, &until) != ETIMEDOUT)
      ;
    if (rt->stop)
      break;
    double now = pf_rt_now();
    for (;;) {
      pf_session *dead = NULL;
      for (pf_session *s = rt->sessions; s; s = s->next)
        if (!s->active && now - s->last > s->lease_s) {
          dead = s;
          break;
        }
      if (!dead)
        break;
      unlink_session(rt, dead->num);
      rt->n_sessions_expired++;
      uint64_t num = dead->num;
      free(dead);
      pthread_mutex_unlock(&rt->mu);
      (void)pf_store_release_session(rt->store, num);
      pthread_mutex_lock(&rt->mu);
    }
  }
  pthread_mutex_unlock(&rt->mu);
  return NULL;
}

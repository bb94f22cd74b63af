/* subrange.c — the subrange record: exact counting, stepping and halving of
 * range(cursor, bound, step) for any int64 values, and its 64-byte wire form.
 *
 * Distances are taken in uint64 ((uint64)bound - (uint64)cursor is exact whenever
 * cursor < bound), so nothing overflows near INT64_MIN/INT64_MAX; the split point uses
 * __int128. */
#include <string.h>

#include "sched_int.h"

static uint64_t abs_step(int64_t step) {
  return step > 0 ? (uint64_t)step : (uint64_t)0 - (uint64_t)step;
}

pf_status_t pf_subrange_init(pf_subrange *sr, pf_fold_kind kind, uint64_t code_id, int64_t start,
                             int64_t stop, int64_t step) {
  if (step == 0 || (unsigned)kind >= PF_FOLD_KIND_COUNT)
    return PF_EINVAL;
  memset(sr, 0, sizeof *sr);
  sr->kind = (uint32_t)kind;
  sr->code_id = code_id;
  sr->cursor = start;
  sr->bound = stop;
  sr->step = step;
  return PF_OK;
}

uint64_t pf_subrange_count(const pf_subrange *sr) {
  uint64_t dist;
  if (sr->step > 0) {
    if (sr->cursor >= sr->bound)
      return 0;
    dist = (uint64_t)sr->bound - (uint64_t)sr->cursor;
  } else {
    if (sr->cursor <= sr->bound)
      return 0;
    dist = (uint64_t)sr->cursor - (uint64_t)sr->bound;
  }
  return (dist - 1) / abs_step(sr->step) + 1;
}

bool pf_subrange_next(pf_subrange *sr, int64_t *x_p, uint64_t *pos_p) {
  uint64_t dist;
  if (sr->step > 0) {
    if (sr->cursor >= sr->bound)
      return false;
    dist = (uint64_t)sr->bound - (uint64_t)sr->cursor;
  } else {
    if (sr->cursor <= sr->bound)
      return false;
    dist = (uint64_t)sr->cursor - (uint64_t)sr->bound;
  }
  if (x_p)
    *x_p = sr->cursor;
  if (pos_p)
    *pos_p = sr->pos;
  /* the last element: park the cursor on the bound instead of stepping past it */
  if (dist <= abs_step(sr->step))
    sr->cursor = sr->bound;
  else
    sr->cursor += sr->step;
  sr->pos++;
  return true;
}

bool pf_subrange_split(pf_subrange *sr, pf_subrange *upper) {
  uint64_t n = pf_subrange_count(sr);
  if (n < 2)
    return false;
  uint64_t keep = n - n / 2;
  __int128 mid = (__int128)sr->cursor + (__int128)keep * (__int128)sr->step;
  *upper = *sr;
  upper->cursor = (int64_t)mid;
  upper->index = sr->pos + keep;
  upper->pos = sr->pos + keep;
  sr->bound = (int64_t)mid;
  return true;
}

/* ---------------------------------------------------------------- wire form
 * offset size field
 *      0    4 magic "PFSR"
 *      4    2 version (1)
 *      6    2 kind
 *      8    4 flags
 *     12    4 reserved (0)
 *     16    8 code_id
 *     24    8 cursor   (two's complement)
 *     32    8 bound
 *     40    8 step
 *     48    8 index
 *     56    8 pos
 * all little-endian. */

static void put_le(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

void pf_subrange_encode(const pf_subrange *sr, uint8_t buf[PF_SUBRANGE_WIRE_SIZE]) {
  memcpy(buf, "PFSR", 4);
  put_le(buf + 4, PF_SUBRANGE_WIRE_VERSION, 2);
  put_le(buf + 6, sr->kind, 2);
  put_le(buf + 8, sr->flags, 4);
  put_le(buf + 12, 0, 4);
  put_le(buf + 16, sr->code_id, 8);
  put_le(buf + 24, (uint64_t)sr->cursor, 8);
  put_le(buf + 32, (uint64_t)sr->bound, 8);
  put_le(buf + 40, (uint64_t)sr->step, 8);
  put_le(buf + 48, sr->index, 8);
  put_le(buf + 56, sr->pos, 8);
}

static int64_t to_i64(uint64_t u) {
  int64_t v;
  memcpy(&v, &u, sizeof v);
  return v;
}

pf_status_t pf_subrange_decode(const uint8_t *buf, size_t len, pf_subrange *sr) {
  if (len < PF_SUBRANGE_WIRE_SIZE || memcmp(buf, "PFSR", 4) != 0)
    return PF_EPROTO;
  if (get_le(buf + 4, 2) != PF_SUBRANGE_WIRE_VERSION)
    return PF_EPROTO;
  pf_subrange r;
  memset(&r, 0, sizeof r);
  r.kind = (uint32_t)get_le(buf + 6, 2);
  r.flags = (uint32_t)get_le(buf + 8, 4);
  r.code_id = get_le(buf + 16, 8);
  r.cursor = to_i64(get_le(buf + 24, 8));
  r.bound = to_i64(get_le(buf + 32, 8));
  r.step = to_i64(get_le(buf + 40, 8));
  r.index = get_le(buf + 48, 8);
  r.pos = get_le(buf + 56, 8);
  if (r.step == 0 || r.kind >= PF_FOLD_KIND_COUNT || get_le(buf + 12, 4) != 0)
    return PF_EPROTO;
  *sr = r;
  return PF_OK;
}

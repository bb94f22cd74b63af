/* CUnit: the object store — put/get/release, ids, owners released with their last object,
 * concurrent puts from several threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "pf_codec.h"
#include "pf_store.h"

static int destroyed;
static void owner_destroy(pf_store_owner *o) {
  (void)o;
  destroyed++;
}

static void test_put_get_release(void) {
  pf_store *s = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_store_create(&s), PF_OK);
  pf_val items[3] = {pf_int(1), pf_int(2), pf_int(3)};
  pf_val list;
  pf_err err;
  CU_ASSERT_EQUAL_FATAL(pf_list_new(3, items, &list, &err), PF_OK);
  char id[32];
  CU_ASSERT_EQUAL(pf_store_put(s, list, NULL, 0, id, sizeof id), PF_OK);
  CU_ASSERT_STRING_EQUAL(id, "o1");
  CU_ASSERT_EQUAL(pf_store_count(s), 1);
  pf_val got;
  CU_ASSERT_EQUAL_FATAL(pf_store_get(s, "o1", &got, NULL), PF_OK);
  CU_ASSERT_EQUAL(pf_list_len(got), 3);
  CU_ASSERT_EQUAL(pf_list_get(got, 2).u.i, 3);
  CU_ASSERT_EQUAL(pf_store_get(s, "o2", &got, NULL) == PF_ENOENT, 1);
  CU_ASSERT_EQUAL(pf_store_get(s, "x1", &got, NULL) == PF_ENOENT, 1);
  CU_ASSERT_EQUAL(pf_store_get(s, "o01", &got, NULL) == PF_ENOENT, 1);
  CU_ASSERT_EQUAL(pf_store_release(s, "o1"), PF_OK);
  CU_ASSERT_EQUAL(pf_store_release(s, "o1"), PF_ENOENT);
  CU_ASSERT_EQUAL(pf_store_count(s), 0);
  /* the value we got stays valid after the release */
  CU_ASSERT_EQUAL(pf_list_get(got, 0).u.i, 1);
  pf_decref(got);
  pf_store_destroy(s);
}

static void test_owner(void) {
  pf_store *s = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_store_create(&s), PF_OK);
  pf_store_owner o = {1, owner_destroy};
  destroyed = 0;
  char a[32], b[32];
  CU_ASSERT_EQUAL(pf_store_put(s, pf_int(5), &o, 0, a, sizeof a), PF_OK);
  CU_ASSERT_EQUAL(pf_store_put(s, pf_int(6), &o, 0, b, sizeof b), PF_OK);
  CU_ASSERT_STRING_NOT_EQUAL(a, b);
  pf_store_owner_release(&o); /* the creator's reference */
  CU_ASSERT_EQUAL(destroyed, 0);
  pf_val v;
  pf_store_owner *got = NULL;
  CU_ASSERT_EQUAL(pf_store_get(s, b, &v, &got), PF_OK);
  CU_ASSERT_PTR_EQUAL(got, &o);
  CU_ASSERT_EQUAL(v.u.i, 6);
  CU_ASSERT_EQUAL(pf_store_release(s, a), PF_OK);
  CU_ASSERT_EQUAL(pf_store_release(s, b), PF_OK);
  CU_ASSERT_EQUAL(destroyed, 0); /* "got" still holds it */
  pf_store_owner_release(got);
  CU_ASSERT_EQUAL(destroyed, 1);
  /* destroy releases what is left */
  pf_store_owner o2 = {1, owner_destroy};
  CU_ASSERT_EQUAL(pf_store_put(s, pf_int(7), &o2, 0, a, sizeof a), PF_OK);
  pf_store_owner_release(&o2);
  pf_store_destroy(s);
  CU_ASSERT_EQUAL(destroyed, 2);
}

#define NTHREADS 4
#define NPUT 2000
static pf_store *shared;
static void *putter(void *arg) {
  (void)arg;
  for (int i = 0; i < NPUT; i++) {
    char id[32];
    pf_val v;
    if (pf_store_put(shared, pf_int(i), NULL, (uint64_t)(i % 3), id, sizeof id) != PF_OK ||
        pf_store_get(shared, id, &v, NULL) != PF_OK || v.u.i != i)
      return (void *)1;
    if (i % 2 && pf_store_release(shared, id) != PF_OK)
      return (void *)1;
  }
  return NULL;
}

static void test_threads(void) {
  CU_ASSERT_EQUAL_FATAL(pf_store_create(&shared), PF_OK);
  pthread_t t[NTHREADS];
  for (int i = 0; i < NTHREADS; i++)
    pthread_create(&t[i], NULL, putter, NULL);
  for (int i = 0; i < NTHREADS; i++) {
    void *r;
    pthread_join(t[i], &r);
    CU_ASSERT_PTR_NULL(r);
  }
  CU_ASSERT_EQUAL(pf_store_count(shared), NTHREADS * NPUT / 2);
  /* the even i kept: sessions 0, 2, 1 in turn; release sessions 1 and 2 */
  size_t s1 = 0, s2 = 0;
  for (int i = 0; i < NPUT; i += 2) {
    s1 += i % 3 == 1;
    s2 += i % 3 == 2;
  }
  CU_ASSERT_EQUAL(pf_store_release_session(shared, 1), NTHREADS * s1);
  CU_ASSERT_EQUAL(pf_store_release_session(shared, 2), NTHREADS * s2);
  CU_ASSERT_EQUAL(pf_store_release_session(shared, 2), 0);
  CU_ASSERT_EQUAL(pf_store_release_session(shared, 0), 0); /* 0: no session */
  CU_ASSERT_EQUAL(pf_store_count(shared), NTHREADS * (NPUT / 2 - s1 - s2));
  pf_store_destroy(shared);
}

/* Encodes "v", checks the bytes against "want" (n bytes after the magic) when given, decodes
 * and checks the value is equal to "v". */
static void roundtrip(pf_val v, const unsigned char *want, size_t n) {
  pf_buf b = {NULL, 0, 0};
  char msg[200];
  CU_ASSERT_EQUAL_FATAL(pf_bin_encode(v, &b, msg, sizeof msg), PF_OK);
  CU_ASSERT(memcmp(b.data, "PFB1", 4) == 0);
  if (want) {
    CU_ASSERT_EQUAL(b.len, n + 4);
    CU_ASSERT(b.len == n + 4 && memcmp(b.data + 4, want, n) == 0);
  }
  pf_val back;
  CU_ASSERT_EQUAL_FATAL(pf_bin_decode(b.data, b.len, &back, msg, sizeof msg), PF_OK);
  bool eq = false;
  pf_err err;
  CU_ASSERT_EQUAL(pf_val_eq(v, back, &eq, &err), PF_OK);
  CU_ASSERT(eq);
  CU_ASSERT_STRING_EQUAL(pf_type_name(v), pf_type_name(back));
  pf_decref(back);
  free(b.data);
}

static void test_codec(void) {
  pf_err err;
  static const unsigned char none[] = {0x00}, t[] = {0x02}, m1[] = {0x03, 0x01},
                             i300[] = {0x03, 0xd8, 0x04}, f15[] = {0x05, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f};
  roundtrip(pf_none(), none, 1);
  roundtrip(pf_bool(true), t, 1);
  roundtrip(pf_int(-1), m1, 2);
  roundtrip(pf_int(300), i300, 3);
  roundtrip(pf_float(1.5), f15, 9);
  roundtrip(pf_int(INT64_MIN), NULL, 0);
  pf_val big;
  CU_ASSERT_EQUAL_FATAL(pf_int_parse("-18446744073709551616", 21, 10, &big, &err), PF_OK);
  static const unsigned char wbig[] = {0x04, 1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1}; /* -(2**64) */
  roundtrip(big, wbig, sizeof wbig);
  pf_val s;
  CU_ASSERT_EQUAL_FATAL(pf_str_from_cstr("h\xc3\xa9", &s, &err), PF_OK);
  static const unsigned char ws[] = {0x06, 3, 'h', 0xc3, 0xa9};
  roundtrip(s, ws, sizeof ws);
  /* packed run of ints; a mixed list item by item */
  pf_val items[3] = {pf_int(1), pf_int(-2), pf_int(3)}, l;
  CU_ASSERT_EQUAL_FATAL(pf_list_new(3, items, &l, &err), PF_OK);
  static const unsigned char wl[] = {0x0d, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 3, 0, 0, 0, 0, 0, 0, 0};
  roundtrip(l, wl, sizeof wl);
  pf_val mixed_items[4] = {pf_incref(big), pf_incref(s), pf_float(2.0), pf_none()}, mixed;
  CU_ASSERT_EQUAL_FATAL(pf_list_new(4, mixed_items, &mixed, &err), PF_OK);
  roundtrip(mixed, NULL, 0);
  pf_val titems[2] = {pf_incref(l), pf_bool(false)}, tup;
  CU_ASSERT_EQUAL_FATAL(pf_tuple_new(2, titems, &tup, &err), PF_OK);
  roundtrip(tup, NULL, 0);
  pf_val keys[2] = {pf_incref(s), pf_int(7)}, vals[2] = {pf_incref(tup), pf_float(-0.0)}, d;
  CU_ASSERT_EQUAL_FATAL(pf_dict_new(2, keys, vals, &d, &err), PF_OK);
  roundtrip(d, NULL, 0);
  pf_val sitems[2] = {pf_int(5), pf_incref(s)}, set;
  CU_ASSERT_EQUAL_FATAL(pf_set_new(2, sitems, true, &set, &err), PF_OK);
  roundtrip(set, NULL, 0);
  pf_val r;
  CU_ASSERT_EQUAL_FATAL(pf_range_new(-5, 100, 7, &r, &err), PF_OK);
  roundtrip(r, NULL, 0);
  pf_val empty;
  CU_ASSERT_EQUAL_FATAL(pf_list_new(0, NULL, &empty, &err), PF_OK);
  roundtrip(empty, NULL, 0);
  /* malformed input */
  static const struct {
    const char *b;
    size_t n;
  } bad[] = {{"", 0},          {"PFB", 3},           {"XXXX\x00", 5},   {"PFB1", 4},
             {"PFB1\x0f", 5}, {"PFB1\x06\x05" "ab", 8}, {"PFB1\x00\x00", 6}, {"PFB1\x08\x02\x00", 7},
             {"PFB1\x0d\x02\x01\x00\x00\x00\x00\x00\x00\x00", 13}, {"PFB1\x06\x01\xff", 7},
             {"PFB1\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 15},
             {"PFB1\x0a\x01\x08\x00", 8}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pf_val v;
    char msg[200] = "";
    CU_ASSERT_EQUAL(pf_bin_decode((const unsigned char *)bad[i].b, bad[i].n, &v, msg, sizeof msg),
                    PF_EPROTO);
    CU_ASSERT(strstr(msg, "binary value") != NULL);
  }
  pf_decref(big);
  pf_decref(s);
  pf_decref(l);
  pf_decref(mixed);
  pf_decref(tup);
  pf_decref(d);
  pf_decref(set);
  pf_decref(r);
  pf_decref(empty);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("store", NULL, NULL);
  CU_add_test(s, "put/get/release", test_put_get_release);
  CU_add_test(s, "owners", test_owner);
  CU_add_test(s, "threads", test_threads);
  CU_add_test(s, "binary value encoding", test_codec);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}

/* pf_codec.h — the binary value encoding of docs/protocol.md ("Binary values"): uploads,
 * downloads, and (later) the bytes sent between machines. */
#ifndef PF_CODEC_H
#define PF_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "pf_status.h"
#include "pf_value.h"

#define PF_BIN_MAGIC "PFB1" /* every encoded document starts with these 4 bytes */

/* A growable byte buffer; zero-initialise, free with free(buf.data). */
typedef struct pf_buf {
  unsigned char *data;
  size_t len, cap;
} pf_buf;

/* Appends the magic and the encoding of "v" (borrowed) to "out". PF_ENOTSUP when "v" holds
 * something with no value encoding (a function, a generator, an instance …): "msg" then
 * names its type. PF_ENOMEM when out of memory. */
pf_status_t pf_bin_encode(pf_val v, pf_buf *out, char *msg, size_t msg_len) PF_WUR;

/* The length in bytes of what pf_bin_encode would write for "v" (borrowed), magic included,
 * in *size_p, without encoding. PF_ENOTSUP (with "msg") as pf_bin_encode. */
pf_status_t pf_bin_size(pf_val v, size_t *size_p, char *msg, size_t msg_len) PF_WUR;

/* Decodes the "n" bytes at "p" (magic first) into a new value in *out. PF_EPROTO with a
 * message naming the offset on malformed input (truncated, bad tag, bad UTF-8, trailing
 * bytes, unhashable set member …); PF_ENOMEM when out of memory. */
pf_status_t pf_bin_decode(const unsigned char *p, size_t n, pf_val *out, char *msg,
                          size_t msg_len) PF_WUR;

#endif

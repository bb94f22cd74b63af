/* test_hand.c — hand-written value tests (placeholder; filled below). */
#include "tv.h"

void tv_register_hand(void) {}

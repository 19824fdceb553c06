/* Elementwise binary arithmetic (add, sub, mul, div) on float32. Each operand is either full (the output's
 * size), repeated along leading dimensions (a bias, batch-norm statistics: its size divides the output's) or a
 * scalar. Split across the pool's threads for large outputs. */
#include "native.h"

/* out[i] = a[i*sa] OP b[i*sb] for i < n, with strides 0 (a scalar) or 1. */
#define DEFINE_SPAN(name, OP)                                                                           \
  static void name(const float *a, int sa, const float *b, int sb, float *out, long n) {                \
    if (sa && sb) {                                                                                     \
      for (long i = 0; i < n; i++) out[i] = a[i] OP b[i];                                               \
    } else if (sa) {                                                                                    \
      const float y = b[0];                                                                             \
      for (long i = 0; i < n; i++) out[i] = a[i] OP y;                                                  \
    } else {                                                                                            \
      const float x = a[0];                                                                             \
      for (long i = 0; i < n; i++) out[i] = x OP b[i];                                                  \
    }                                                                                                   \
  }
DEFINE_SPAN(add_span, +)
DEFINE_SPAN(sub_span, -)
DEFINE_SPAN(mul_span, *)
DEFINE_SPAN(div_span, /)

typedef void (*span_func)(const float *, int, const float *, int, float *, long);

typedef struct {
  span_func span;
  const float *a, *b;
  long pa, pb, n;
  float *out;
} binary_job;

/* Full or scalar operands: elements [begin, end). */
static void flat_range(long begin, long end, void *arg) {
  const binary_job *j = arg;
  int sa = j->pa != 1 || j->n == 1, sb = j->pb != 1 || j->n == 1;
  j->span(j->a + (sa ? begin : 0), sa, j->b + (sb ? begin : 0), sb, j->out + begin, end - begin);
}

/* One operand repeats every `period` elements: rows [begin, end) of that length. */
static void row_range(long begin, long end, void *arg) {
  const binary_job *j = arg;
  const int aRepeats = j->pa < j->pb;
  const long period = aRepeats ? j->pa : j->pb;
  for (long r = begin; r < end; r++) {
    const long base = r * period;
    j->span(aRepeats ? j->a : j->a + base, 1, aRepeats ? j->b + base : j->b, 1, j->out + base, period);
  }
}

void binary_op(int op, const float *a, long pa, const float *b, long pb, float *out, long n) {
  static const span_func spans[] = {add_span, sub_span, mul_span, div_span};
  if (n <= 0 || op < 0 || op > 3) return;
  binary_job job = {spans[op], a, b, pa, pb, n, out};
  if (pa == n && pb == n) {
    parallel_for(n, 1L << 15, flat_range, &job);
  } else if (pa == 1 || pb == 1) {
    parallel_for(n, 1L << 15, flat_range, &job);
  } else {
    const long period = pa < pb ? pa : pb;
    parallel_for(n / period, (1L << 15) / period + 1, row_range, &job);
  }
}

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
    parallel_for(n, ELEMENTWISE_GRAIN, flat_range, &job);
  } else if (pa == 1 || pb == 1) {
    parallel_for(n, ELEMENTWISE_GRAIN, flat_range, &job);
  } else {
    const long period = pa < pb ? pa : pb;
    parallel_for(n / period, ELEMENTWISE_GRAIN / period + 1, row_range, &job);
  }
}

/* The backward pass of a fused activation, from its output y (every supported activation's derivative is a
 * function of y), with the bias gradient (column sums of dz) in the same pass. Threads take column ranges, so
 * each owns its sums. */
typedef struct {
  const float *dy, *y;
  float *dz, *dbias;
  long rows;
  int cols, act;
} activation_job;

static inline float activation_derivative(int act, float y) {
  switch (act) {
    case ACT_RELU:
      return y > 0.f ? 1.f : 0.f;
    case ACT_ELU:
      return y >= 0.f ? 1.f : y + 1.f;
    case ACT_SIGMOID:
      return y * (1.f - y);
    default:
      return 1.f;
  }
}

static void activation_columns(long begin, long end, void *arg) {
  const activation_job *j = arg;
  const long cols = j->cols, rows = j->rows;
  const int act = j->act;
  float *restrict dbias = j->dbias;
  if (dbias)
    for (long c = begin; c < end; c++) dbias[c] = 0.f;
  for (long r = 0; r < rows; r++) {
    const float *restrict dy = j->dy + r * cols, *restrict y = j->y + r * cols;
    float *restrict dz = j->dz + r * cols;
    /* dy * f'(y) with f'(y) computed first, in tfjs-core's order for sigmoid: dy * (y * (1 - y)). */
    for (long c = begin; c < end; c++) dz[c] = dy[c] * activation_derivative(act, y[c]);
    if (dbias)
      for (long c = begin; c < end; c++) dbias[c] += dz[c];
  }
}

void activation_backward(const float *dy, const float *y, long rows, int cols, int act, float *dz, float *dbias) {
  if (rows <= 0 || cols <= 0) {
    if (dbias)
      for (int c = 0; c < cols; c++) dbias[c] = 0.f;
    return;
  }
  activation_job job = {dy, y, dz, dbias, rows, cols, act};
  /* Columns per thread: at least 16 (a cache line of floats) and ELEMENTWISE_GRAIN elements of work. */
  long grain = ELEMENTWISE_GRAIN / rows + 16;
  parallel_for(cols, grain, activation_columns, &job);
}

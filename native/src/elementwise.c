/* Elementwise binary arithmetic (add, sub, mul, div) on float32, and the backward pass of fused activations.
 * Each operand of the arithmetic is either full (the output's size), repeated along leading dimensions (a bias,
 * batch-norm statistics: its size divides the output's) or a scalar. Split across the pool's threads for large
 * outputs. */
#include <pthread.h>
#include <stdlib.h>
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
 * function of y), with the bias gradient (column sums of dz) in the same pass. Threads take row ranges, each
 * summing its rows into a private buffer that is added to dbias under a lock at its end. */
typedef struct {
  const float *dy, *y;
  float *dz, *dbias;
  int cols, act;
  pthread_mutex_t lock;
} activation_job;

/* dz = dy * f'(y) over n elements, f'(y) computed first (tfjs-core's order for sigmoid: dy * (y * (1 - y))).
 * One loop per activation, so each vectorises. */
static void activation_span(int act, const float *restrict dy, const float *restrict y, float *restrict dz,
                            long n) {
  switch (act) {
    case ACT_RELU:
      for (long i = 0; i < n; i++) dz[i] = dy[i] * (y[i] > 0.f ? 1.f : 0.f);
      break;
    case ACT_ELU:
      for (long i = 0; i < n; i++) dz[i] = dy[i] * (y[i] >= 0.f ? 1.f : y[i] + 1.f);
      break;
    case ACT_SIGMOID:
      for (long i = 0; i < n; i++) dz[i] = dy[i] * (y[i] * (1.f - y[i]));
      break;
    default:
      for (long i = 0; i < n; i++) dz[i] = dy[i];
      break;
  }
}

static void activation_rows(long begin, long end, void *arg) {
  activation_job *j = arg;
  const long cols = j->cols;
  activation_span(j->act, j->dy + begin * cols, j->y + begin * cols, j->dz + begin * cols, (end - begin) * cols);
  if (!j->dbias) return;
  float *sums = calloc((size_t)cols, sizeof(float));
  if (!sums) {
    /* No memory for the private sums: add the rows into dbias directly, under the lock. */
    pthread_mutex_lock(&j->lock);
    for (long r = begin; r < end; r++)
      for (long c = 0; c < cols; c++) j->dbias[c] += j->dz[r * cols + c];
    pthread_mutex_unlock(&j->lock);
    return;
  }
  for (long r = begin; r < end; r++) {
    const float *restrict row = j->dz + r * cols;
    for (long c = 0; c < cols; c++) sums[c] += row[c];
  }
  pthread_mutex_lock(&j->lock);
  for (long c = 0; c < cols; c++) j->dbias[c] += sums[c];
  pthread_mutex_unlock(&j->lock);
  free(sums);
}

void activation_backward(const float *dy, const float *y, long rows, int cols, int act, float *dz, float *dbias) {
  if (dbias)
    for (int c = 0; c < cols; c++) dbias[c] = 0.f;
  if (rows <= 0 || cols <= 0) return;
  activation_job job = {dy, y, dz, dbias, cols, act, PTHREAD_MUTEX_INITIALIZER};
  /* Rows per thread: ELEMENTWISE_GRAIN elements of work. */
  parallel_for(rows, ELEMENTWISE_GRAIN / cols + 1, activation_rows, &job);
  pthread_mutex_destroy(&job.lock);
}

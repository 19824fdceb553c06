/* Reconstruction losses summed per row: a prediction against its target of the same shape, [rows, cols] with
 * cols the entries of one sample. Squared error, and the Bernoulli negative log-likelihood from logits,
 * max(l, 0) - t·l + log(1 + e^-|l|). Composed from stock ops these took 5 to 9 kernels and as many passes over
 * [batch, entries] each way (the Bernoulli one two transcendental passes on one thread, about a fifth of a
 * dense VAE's step); here one pass forward and one back, rows split across the pool's threads. */
#include <math.h>
#include "fastmath.h"
#include "native.h"

/* Partial sums kept in this many lanes, so the row sums vectorise without reassociating (no -ffast-math). */
#define LANES 16

typedef struct {
  int kind;
  const float *target, *prediction, *dy;
  long cols;
  float *out;
} loss_job;

static inline float squared_entry(float t, float p) {
  const float d = p - t;
  return d * d;
}

static inline float bernoulli_entry(float t, float l) {
  return (l > 0.f ? l : 0.f) - t * l + log1p_unit(exp_nonpositive(-fabsf(l)));
}

/* Entries are computed a chunk at a time into a buffer (a loop that vectorises), then added into the lanes. */
#define CHUNK 256

static float row_sum(int kind, const float *restrict t, const float *restrict p, long cols) {
  float lanes[LANES] = {0};
  float entries[CHUNK];
  for (long start = 0; start < cols; start += CHUNK) {
    const long n = cols - start < CHUNK ? cols - start : CHUNK;
    const float *restrict tc = t + start, *restrict pc = p + start;
    if (kind == LOSS_SQUARED)
      for (long c = 0; c < n; c++) entries[c] = squared_entry(tc[c], pc[c]);
    else
      for (long c = 0; c < n; c++) entries[c] = bernoulli_entry(tc[c], pc[c]);
    long c = 0;
    for (; c + LANES <= n; c += LANES)
      for (int i = 0; i < LANES; i++) lanes[i] += entries[c + i];
    for (; c < n; c++) lanes[c % LANES] += entries[c];
  }
  for (int w = LANES / 2; w > 0; w /= 2)
    for (int i = 0; i < w; i++) lanes[i] += lanes[i + w];
  return lanes[0];
}

static void forward_rows(long begin, long end, void *arg) {
  const loss_job *j = arg;
  const long cols = j->cols;
  for (long r = begin; r < end; r++) j->out[r] = row_sum(j->kind, j->target + r * cols, j->prediction + r * cols, cols);
}

static void backward_rows(long begin, long end, void *arg) {
  const loss_job *j = arg;
  const long cols = j->cols;
  for (long r = begin; r < end; r++) {
    const float *restrict t = j->target + r * cols, *restrict p = j->prediction + r * cols;
    float *restrict out = j->out + r * cols;
    const float g = j->dy[r];
    if (j->kind == LOSS_SQUARED) {
      for (long c = 0; c < cols; c++) out[c] = 2.f * (p[c] - t[c]) * g;
    } else {
      /* d/dl = sigmoid(l) - t. */
      for (long c = 0; c < cols; c++) out[c] = (sigmoid_stable(p[c]) - t[c]) * g;
    }
  }
}

void row_loss(int kind, const float *target, const float *prediction, long rows, long cols, float *out) {
  if (rows <= 0) return;
  loss_job job = {kind, target, prediction, NULL, cols, out};
  parallel_for(rows, ELEMENTWISE_GRAIN / (cols > 0 ? cols : 1) + 1, forward_rows, &job);
}

void row_loss_backward(int kind, const float *target, const float *prediction, const float *dy, long rows, long cols,
                       float *dprediction) {
  if (rows <= 0 || cols <= 0) return;
  loss_job job = {kind, target, prediction, dy, cols, dprediction};
  parallel_for(rows, ELEMENTWISE_GRAIN / cols + 1, backward_rows, &job);
}

/* Softmax cross-entropy against integer labels, the loss of the text families' next-token logits: one pass for
 * the row maximum (and its first index), one for the sum of exponentials; the gradient in one more pass. Rows
 * are split across the pool's threads. The exponential is a vectorisable polynomial (expf does not vectorise
 * without -ffast-math), within 2 ulp of expf over the range a softmax uses. */
#include <math.h>
#include <string.h>
#include "native.h"

/* exp(x) for x <= 0 (arguments here are logits minus their row's maximum): 2^n · p(r), with n = round(x / ln 2)
 * and r = x - n ln 2 in [-ln 2 / 2, ln 2 / 2]; p is Cephes' expf polynomial. Below -87.3 the result is 0. */
static inline float exp_nonpositive(float x) {
  const float big = 12582912.f; /* 1.5 · 2^23: adding it rounds to an integer in the low mantissa bits */
  x = x < -87.3f ? -87.3f : x;
  float t = x * 1.44269504088896341f + big;
  float n = t - big;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  union {
    float f;
    int32_t i;
  } scale = {.f = t};
  /* t's low mantissa bits hold n + 2^22 (as an integer): 2^n is (n + 127) << 23. */
  scale.i = ((scale.i & 0x7fffff) - (1 << 22) + 127) << 23;
  return p * scale.f;
}

typedef struct {
  const float *logits;
  const int32_t *labels;
  long cols;
  float *nll, *lse;
  int32_t *argmax;
  const float *dnll, *dlse;
  float *dlogits;
} ce_job;

static void forward_rows(long begin, long end, void *arg) {
  const ce_job *j = arg;
  const long cols = j->cols;
  for (long r = begin; r < end; r++) {
    const float *restrict row = j->logits + r * cols;
    float max = row[0];
    long at = 0;
    for (long c = 1; c < cols; c++)
      if (row[c] > max) {
        max = row[c];
        at = c;
      }
    float sum = 0.f;
    for (long c = 0; c < cols; c++) sum += exp_nonpositive(row[c] - max);
    const float lse = max + logf(sum);
    const int32_t label = j->labels[r];
    j->lse[r] = lse;
    j->nll[r] = label >= 0 && label < cols ? lse - row[label] : 0.f;
    j->argmax[r] = (int32_t)at;
  }
}

static void backward_rows(long begin, long end, void *arg) {
  const ce_job *j = arg;
  const long cols = j->cols;
  for (long r = begin; r < end; r++) {
    float *restrict out = j->dlogits + r * cols;
    const int32_t label = j->labels[r];
    const int valid = label >= 0 && label < cols;
    /* A label outside the vocabulary has loss 0 whatever the logits (as a one-hot of it is all zeros). */
    const float dnll = j->dnll && valid ? j->dnll[r] : 0.f, dlse = j->dlse ? j->dlse[r] : 0.f;
    const float scale = dnll + dlse;
    if (scale == 0.f) {
      /* Masked positions (<pad> targets) get no gradient: skip their exponentials. */
      memset(out, 0, (size_t)cols * sizeof(float));
    } else {
      const float *restrict row = j->logits + r * cols;
      const float lse = j->lse[r];
      for (long c = 0; c < cols; c++) out[c] = exp_nonpositive(row[c] - lse) * scale;
    }
    if (valid) out[label] -= dnll;
  }
}

void softmax_cross_entropy(const float *logits, const int32_t *labels, long rows, long cols, float *nll, float *lse,
                           int32_t *argmax) {
  if (rows <= 0 || cols <= 0) return;
  ce_job job = {logits, labels, cols, nll, lse, argmax, NULL, NULL, NULL};
  parallel_for(rows, ELEMENTWISE_GRAIN / cols + 1, forward_rows, &job);
}

void softmax_cross_entropy_backward(const float *logits, const float *lse, const int32_t *labels, const float *dnll,
                                    const float *dlse, long rows, long cols, float *dlogits) {
  if (rows <= 0 || cols <= 0) return;
  ce_job job = {logits, labels, cols, NULL, (float *)lse, NULL, dnll, dlse, dlogits};
  parallel_for(rows, ELEMENTWISE_GRAIN / cols + 1, backward_rows, &job);
}

/* Softmax cross-entropy against integer labels, the loss of the text families' next-token logits: one pass for
 * the row maximum (and its first index), one for the sum of exponentials; the gradient in one more pass. Rows
 * are split across the pool's threads. The exponential is exp_nonpositive (fastmath.h). */
#include <math.h>
#include <string.h>
#include "fastmath.h"
#include "native.h"

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

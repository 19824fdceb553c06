/* Matrix products through the system BLAS, the fused epilogue (bias, activation) and scratch memory. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include "fastmath.h"
#include "native.h"

static float *scratch_data = NULL;
static size_t scratch_size = 0;

float *scratch(size_t floats) {
  if (floats > scratch_size) {
    free(scratch_data);
    scratch_data = malloc(floats * sizeof(float));
    scratch_size = scratch_data ? floats : 0;
  }
  return scratch_data;
}

void gemm_batched(int transA, int transB, int m, int n, int k, float alpha, const float *a, const float *b,
                  float beta, float *c, int batch, long strideA, long strideB, long strideC) {
  const int lda = transA ? m : k, ldb = transB ? k : n;
  for (int i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
                alpha, a + i * strideA, lda > 0 ? lda : 1, b + i * strideB, ldb > 0 ? ldb : 1, beta,
                c + i * strideC, n > 0 ? n : 1);
  }
}

typedef struct {
  float *y;
  int cols;
  const float *bias;
  int act;
  float alpha;
} epilogue_job;

static void epilogue_rows(long begin, long end, void *arg) {
  epilogue_job *job = arg;
  const int cols = job->cols;
  const float *bias = job->bias;
  const float alpha = job->alpha;
  for (long r = begin; r < end; r++) {
    float *row = job->y + r * cols;
    if (bias)
      for (int c = 0; c < cols; c++) row[c] += bias[c];
    switch (job->act) {
      case ACT_RELU:
        for (int c = 0; c < cols; c++) row[c] = row[c] > 0.f ? row[c] : 0.f;
        break;
      case ACT_RELU6:
        for (int c = 0; c < cols; c++) row[c] = row[c] < 0.f ? 0.f : (row[c] > 6.f ? 6.f : row[c]);
        break;
      case ACT_ELU:
        for (int c = 0; c < cols; c++) row[c] = row[c] >= 0.f ? row[c] : expm1f(row[c]);
        break;
      case ACT_LEAKY:
        for (int c = 0; c < cols; c++) row[c] = row[c] >= 0.f ? row[c] : alpha * row[c];
        break;
      case ACT_SIGMOID:
        /* Vectorised (expf is a scalar call): within a few ulp of 1 / (1 + expf(-x)). */
        for (int c = 0; c < cols; c++) row[c] = sigmoid_stable(row[c]);
        break;
      default:
        break;
    }
  }
}

void bias_activation(float *y, long rows, int cols, const float *bias, int act, float alpha) {
  if ((!bias && act == ACT_LINEAR) || rows == 0 || cols == 0) return;
  epilogue_job job = {y, cols, bias, act, alpha};
  long grain = ELEMENTWISE_GRAIN / cols + 1;
  parallel_for(rows, grain, epilogue_rows, &job);
}

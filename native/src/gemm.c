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

/* Products are split across latentlab's pool (pool.c), each part one single-threaded OpenBLAS call on a block
 * of C's rows (or columns, when C is wider than tall), rather than left to OpenBLAS's own threads: with two
 * pools on the cores, OpenBLAS's sleeping workers had to be woken for every product (a futex round trip each,
 * and the dense workloads make 11 to 14 products a step between single-threaded wasm kernels), and while they
 * spun they took a core from the pool's loops. A given thread count splits the same way every time, so a run
 * repeats its bits; another count blocks the rows differently and may change the last bits, as OpenBLAS's own
 * threads did. Below SPLIT_WORK multiply-adds one thread is faster. */
#define SPLIT_WORK (1L << 18)
/* Blocks start at multiples of this, so each part's rows stay whole tiles of OpenBLAS's kernels. */
#define SPLIT_ALIGN 16

static int product_threads = 1;

void set_product_threads(int threads) { product_threads = threads < 1 ? 1 : threads; }
int get_product_threads(void) { return product_threads; }

typedef struct {
  int transA, transB, m, n, k, lda, ldb, ldc, parts, byRows;
  float alpha, beta;
  const float *a, *b;
  float *c;
} gemm_job;

static void sgemm_block(const gemm_job *j, int first, int count) {
  const enum CBLAS_TRANSPOSE ta = j->transA ? CblasTrans : CblasNoTrans, tb = j->transB ? CblasTrans : CblasNoTrans;
  if (j->byRows) {
    /* Rows [first, first + count) of C: rows of A, or columns of Aᵀ as stored. */
    const float *a = j->transA ? j->a + first : j->a + (long)first * j->lda;
    cblas_sgemm(CblasRowMajor, ta, tb, count, j->n, j->k, j->alpha, a, j->lda, j->b, j->ldb, j->beta,
                j->c + (long)first * j->ldc, j->ldc);
  } else {
    const float *b = j->transB ? j->b + (long)first * j->ldb : j->b + first;
    cblas_sgemm(CblasRowMajor, ta, tb, j->m, count, j->k, j->alpha, j->a, j->lda, b, j->ldb, j->beta, j->c + first,
                j->ldc);
  }
}

static void gemm_parts(long begin, long end, void *arg) {
  const gemm_job *j = arg;
  const int extent = j->byRows ? j->m : j->n;
  /* Equal blocks rounded up to SPLIT_ALIGN; the last part takes what is left. */
  const int block = ((extent + j->parts - 1) / j->parts + SPLIT_ALIGN - 1) / SPLIT_ALIGN * SPLIT_ALIGN;
  for (long part = begin; part < end; part++) {
    const int first = (int)part * block;
    const int count = first + block > extent ? extent - first : block;
    if (count > 0) sgemm_block(j, first, count);
  }
}

void sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
           float beta, float *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  gemm_job job = {transA, transB, m, n, k, lda > 0 ? lda : 1, ldb > 0 ? ldb : 1, ldc > 0 ? ldc : 1, 1, m >= n,
                  alpha, beta, a, b, c};
  const int extent = job.byRows ? m : n;
  int parts = product_threads;
  if ((double)m * n * (k > 0 ? k : 1) < (double)SPLIT_WORK) parts = 1;
  if (parts > extent / SPLIT_ALIGN) parts = extent / SPLIT_ALIGN;
  if (parts <= 1) {
    job.parts = 1;
    sgemm_block(&job, 0, extent);
    return;
  }
  job.parts = parts;
  parallel_for(parts, 1, gemm_parts, &job);
}

void gemm_batched(int transA, int transB, int m, int n, int k, float alpha, const float *a, const float *b,
                  float beta, float *c, int batch, long strideA, long strideB, long strideC) {
  const int lda = transA ? m : k, ldb = transB ? k : n;
  for (int i = 0; i < batch; i++)
    sgemm(transA, transB, m, n, k, alpha, a + i * strideA, lda, b + i * strideB, ldb, beta, c + i * strideC, n);
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

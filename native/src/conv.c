/* 2-D convolution (NHWC input, HWIO filter) and both of its gradients by im2col / col2im and one sgemm per
 * chunk of output positions. The patch matrix of a chunk is [rows, fh*fw*inC], ordered like the filter, so the
 * filter itself is the [K, outC] operand of the product. */
#include <cblas.h>
#include <string.h>
#include "native.h"

/* Rows of the patch matrix per chunk: ~4 MB, so a chunk written by im2col (or by the product, for col2im) is
 * still in cache when it is read back. On the DCGAN's 4x4 stride-2 convolutions 4 MB chunks took ~10% less CPU
 * than 16 MB ones, and 0.5 MB chunks more (the product's share of the fixed costs grows). */
static long chunk_rows(const conv_geometry *g) {
  long k = (long)g->fh * g->fw * g->inC;
  long rows = (1L << 20) / (k > 0 ? k : 1);
  long total = (long)g->batch * g->outH * g->outW;
  if (rows < 64) rows = 64;
  return rows < total ? rows : total;
}

typedef struct {
  const conv_geometry *g;
  const float *x;
  float *cols;
  long first; /* first output position (flat over batch, oy, ox) of the chunk */
} im2col_job;

static void im2col_rows(long begin, long end, void *arg) {
  im2col_job *job = arg;
  const conv_geometry *g = job->g;
  const int inC = g->inC;
  const long k = (long)g->fh * g->fw * inC;
  const long perImage = (long)g->outH * g->outW;
  for (long r = begin; r < end; r++) {
    long p = job->first + r;
    int b = (int)(p / perImage);
    int rest = (int)(p % perImage);
    int oy = rest / g->outW, ox = rest % g->outW;
    float *row = job->cols + r * k;
    const float *image = job->x + (long)b * g->inH * g->inW * inC;
    for (int ky = 0; ky < g->fh; ky++) {
      int iy = oy * g->sh - g->padTop + ky * g->dh;
      if (iy < 0 || iy >= g->inH) {
        memset(row, 0, sizeof(float) * g->fw * inC);
        row += g->fw * inC;
        continue;
      }
      for (int kx = 0; kx < g->fw; kx++, row += inC) {
        int ix = ox * g->sw - g->padLeft + kx * g->dw;
        if (ix < 0 || ix >= g->inW) memset(row, 0, sizeof(float) * inC);
        else memcpy(row, image + ((long)iy * g->inW + ix) * inC, sizeof(float) * inC);
      }
    }
  }
}

static void im2col(const conv_geometry *g, const float *x, float *cols, long first, long rows) {
  im2col_job job = {g, x, cols, first};
  parallel_for(rows, 64, im2col_rows, &job);
}

/* A 1x1, stride-1, unpadded convolution is one product of x [positions, inC] and the filter. */
static int is_pointwise(const conv_geometry *g) {
  return g->fh == 1 && g->fw == 1 && g->sh == 1 && g->sw == 1 && g->padTop == 0 && g->padLeft == 0 &&
         g->inH == g->outH && g->inW == g->outW;
}

void conv2d_forward(const conv_geometry *g, const float *x, const float *w, float *y) {
  const long total = (long)g->batch * g->outH * g->outW;
  const int k = g->fh * g->fw * g->inC;
  if (total == 0 || g->outC == 0) return;
  if (k == 0) {
    memset(y, 0, sizeof(float) * total * g->outC);
    return;
  }
  if (is_pointwise(g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)total, g->outC, k, 1.f, x, k, w, g->outC, 0.f,
                y, g->outC);
    return;
  }
  const long chunk = chunk_rows(g);
  float *cols = scratch((size_t)chunk * k);
  for (long first = 0; first < total; first += chunk) {
    long rows = total - first < chunk ? total - first : chunk;
    im2col(g, x, cols, first, rows);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, g->outC, k, 1.f, cols, k, w, g->outC,
                0.f, y + first * g->outC, g->outC);
  }
}

void conv2d_backprop_filter(const conv_geometry *g, const float *x, const float *dy, float *dw) {
  const long total = (long)g->batch * g->outH * g->outW;
  const int k = g->fh * g->fw * g->inC;
  if (k == 0 || g->outC == 0) return;
  if (total == 0) {
    memset(dw, 0, sizeof(float) * k * g->outC);
    return;
  }
  if (is_pointwise(g)) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, g->outC, (int)total, 1.f, x, k, dy, g->outC, 0.f,
                dw, g->outC);
    return;
  }
  const long chunk = chunk_rows(g);
  float *cols = scratch((size_t)chunk * k);
  for (long first = 0; first < total; first += chunk) {
    long rows = total - first < chunk ? total - first : chunk;
    im2col(g, x, cols, first, rows);
    /* dW [K, outC] (+)= cols^T [K, rows] · dy [rows, outC] */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, g->outC, (int)rows, 1.f, cols, k,
                dy + first * g->outC, g->outC, first == 0 ? 0.f : 1.f, dw, g->outC);
  }
}

typedef struct {
  const conv_geometry *g;
  const float *cols;
  float *dx;
  long first, rows;
  long firstImage; /* parallel_for counts images from 0; this is the chunk's first */
} col2im_job;

/* Adds the patch-matrix rows of a chunk back into dx. Parallel over images: no two threads write one image. */
static void col2im_images(long begin, long end, void *arg) {
  col2im_job *job = arg;
  const conv_geometry *g = job->g;
  const int inC = g->inC;
  const long k = (long)g->fh * g->fw * inC;
  const long perImage = (long)g->outH * g->outW;
  for (long b = job->firstImage + begin; b < job->firstImage + end; b++) {
    long lo = b * perImage, hi = lo + perImage;
    if (lo < job->first) lo = job->first;
    if (hi > job->first + job->rows) hi = job->first + job->rows;
    float *image = job->dx + b * g->inH * g->inW * inC;
    for (long p = lo; p < hi; p++) {
      int rest = (int)(p - b * perImage);
      int oy = rest / g->outW, ox = rest % g->outW;
      const float *row = job->cols + (p - job->first) * k;
      for (int ky = 0; ky < g->fh; ky++) {
        int iy = oy * g->sh - g->padTop + ky * g->dh;
        if (iy < 0 || iy >= g->inH) {
          row += g->fw * inC;
          continue;
        }
        for (int kx = 0; kx < g->fw; kx++, row += inC) {
          int ix = ox * g->sw - g->padLeft + kx * g->dw;
          if (ix < 0 || ix >= g->inW) continue;
          float *dst = image + ((long)iy * g->inW + ix) * inC;
          for (int c = 0; c < inC; c++) dst[c] += row[c];
        }
      }
    }
  }
}

void conv2d_backprop_input(const conv_geometry *g, const float *dy, const float *w, float *dx) {
  const long total = (long)g->batch * g->outH * g->outW;
  const int k = g->fh * g->fw * g->inC;
  const long dxSize = (long)g->batch * g->inH * g->inW * g->inC;
  if (dxSize == 0) return;
  if (is_pointwise(g)) {
    /* dx [positions, inC] = dy [positions, outC] · W^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)total, k, g->outC, 1.f, dy, g->outC, w, g->outC,
                0.f, dx, k);
    return;
  }
  memset(dx, 0, sizeof(float) * dxSize);
  if (total == 0 || k == 0 || g->outC == 0) return;
  const long perImage = (long)g->outH * g->outW;
  /* Whole images per chunk, so col2im can split the chunk by image across threads. */
  long chunk = chunk_rows(g) / perImage * perImage;
  if (chunk < perImage) chunk = perImage;
  float *cols = scratch((size_t)chunk * k);
  for (long first = 0; first < total; first += chunk) {
    long rows = total - first < chunk ? total - first : chunk;
    /* cols [rows, K] = dy [rows, outC] · W^T [outC, K] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, k, g->outC, 1.f, dy + first * g->outC,
                g->outC, w, g->outC, 0.f, cols, k);
    col2im_job job = {g, cols, dx, first, rows, first / perImage};
    parallel_for(rows / perImage, 1, col2im_images, &job);
  }
}

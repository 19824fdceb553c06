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
    if (inC == 1) {
      /* One channel (a spectrogram, a grey image): single loads, not a memcpy call per float. */
      for (int ky = 0; ky < g->fh; ky++) {
        int iy = oy * g->sh - g->padTop + ky * g->dh;
        if (iy < 0 || iy >= g->inH) {
          for (int kx = 0; kx < g->fw; kx++) *row++ = 0.f;
          continue;
        }
        const float *line = image + (long)iy * g->inW;
        for (int kx = 0; kx < g->fw; kx++) {
          int ix = ox * g->sw - g->padLeft + kx * g->dw;
          *row++ = ix >= 0 && ix < g->inW ? line[ix] : 0.f;
        }
      }
      continue;
    }
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

/* One input channel (a spectrogram, a grey image) with at most this many taps runs without im2col: its patch
 * rows would be only fh*fw floats wide, a shape the product handles poorly, and writing them cost more than
 * the arithmetic. */
#define DIRECT_MAX_TAPS 64

static int is_single_channel(const conv_geometry *g) { return g->inC == 1 && g->fh * g->fw <= DIRECT_MAX_TAPS; }

/* The input values under the taps of output position (b, oy, ox) (0 in the padding), in the filter's (ky, kx)
 * order; positions whose taps are all inside the image skip the bounds checks. */
static inline void single_channel_taps(const conv_geometry *g, const float *x, int b, int oy, int ox, float *tap) {
  const float *image = x + (long)b * g->inH * g->inW;
  const int iy0 = oy * g->sh - g->padTop, ix0 = ox * g->sw - g->padLeft;
  if (iy0 >= 0 && iy0 + (g->fh - 1) * g->dh < g->inH && ix0 >= 0 && ix0 + (g->fw - 1) * g->dw < g->inW) {
    for (int ky = 0; ky < g->fh; ky++) {
      const float *line = image + (long)(iy0 + ky * g->dh) * g->inW + ix0;
      for (int kx = 0; kx < g->fw; kx++) *tap++ = line[kx * g->dw];
    }
    return;
  }
  for (int ky = 0; ky < g->fh; ky++) {
    const int iy = iy0 + ky * g->dh;
    if (iy < 0 || iy >= g->inH) {
      for (int kx = 0; kx < g->fw; kx++) *tap++ = 0.f;
      continue;
    }
    const float *line = image + (long)iy * g->inW;
    for (int kx = 0; kx < g->fw; kx++) {
      const int ix = ix0 + kx * g->dw;
      *tap++ = ix >= 0 && ix < g->inW ? line[ix] : 0.f;
    }
  }
}

/* Output position p as (image, row, column), stepped along without a division per position. */
typedef struct {
  int b, oy, ox;
} position;

static inline position position_of(const conv_geometry *g, long p) {
  const long perImage = (long)g->outH * g->outW;
  const int rest = (int)(p % perImage);
  return (position){(int)(p / perImage), rest / g->outW, rest % g->outW};
}

static inline void next_position(const conv_geometry *g, position *at) {
  if (++at->ox < g->outW) return;
  at->ox = 0;
  if (++at->oy < g->outH) return;
  at->oy = 0;
  at->b++;
}

typedef struct {
  const conv_geometry *g;
  const float *x, *w, *dy;
  float *y, *partials;
  long positions, blocks;
} single_channel_job;

/* 16 floats: one AVX-512 register, two AVX ones (GCC's vector extension, so any -march compiles it). */
typedef float v16 __attribute__((vector_size(64)));

static inline v16 load16(const float *p) {
  v16 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void store16(float *p, v16 v) { memcpy(p, &v, sizeof v); }

/* y[p, :] = Σ_t taps[t] · w[t, :] for the positions of a range, 16 channels at a time in a register. */
static void single_channel_forward_rows(long begin, long end, void *arg) {
  single_channel_job *job = arg;
  const conv_geometry *g = job->g;
  const int taps = g->fh * g->fw, outC = g->outC, wide = outC / 16 * 16;
  const float *w = job->w;
  float tap[DIRECT_MAX_TAPS];
  position at = position_of(g, begin);
  for (long p = begin; p < end; p++, next_position(g, &at)) {
    single_channel_taps(g, job->x, at.b, at.oy, at.ox, tap);
    float *out = job->y + p * outC;
    for (int c = 0; c < wide; c += 16) {
      v16 acc = {0};
      for (int t = 0; t < taps; t++) acc += tap[t] * load16(w + (long)t * outC + c);
      store16(out + c, acc);
    }
    for (int c = wide; c < outC; c++) {
      float acc = 0.f;
      for (int t = 0; t < taps; t++) acc += tap[t] * w[(long)t * outC + c];
      out[c] = acc;
    }
  }
}

/* dW partial of one block of positions: Σ_p taps[t] · dy[p, :] into partials[block], 16 channels at a time. */
static void single_channel_filter_blocks(long begin, long end, void *arg) {
  single_channel_job *job = arg;
  const conv_geometry *g = job->g;
  const int taps = g->fh * g->fw, outC = g->outC, wide = outC / 16 * 16;
  float tap[DIRECT_MAX_TAPS];
  for (long block = begin; block < end; block++) {
    float *acc = job->partials + block * taps * outC;
    memset(acc, 0, sizeof(float) * taps * outC);
    const long first = job->positions * block / job->blocks, last = job->positions * (block + 1) / job->blocks;
    position at = position_of(g, first);
    for (long p = first; p < last; p++, next_position(g, &at)) {
      single_channel_taps(g, job->x, at.b, at.oy, at.ox, tap);
      const float *d = job->dy + p * outC;
      for (int c = 0; c < wide; c += 16) {
        const v16 dv = load16(d + c);
        for (int t = 0; t < taps; t++) {
          float *sum = acc + (long)t * outC + c;
          store16(sum, load16(sum) + tap[t] * dv);
        }
      }
      for (int c = wide; c < outC; c++)
        for (int t = 0; t < taps; t++) acc[(long)t * outC + c] += tap[t] * d[c];
    }
  }
}

/* dx of whole images: each output position p adds its tap sums Σ_c dy[p, c] · w[t, c] to the input under tap t,
 * all taps (at most 16) in one register from the filter transposed to [outC, 16]. By image, so no two threads
 * add into one image. */
static void single_channel_input_images(long begin, long end, void *arg) {
  single_channel_job *job = arg;
  const conv_geometry *g = job->g;
  const int outC = g->outC;
  const float *wt = job->partials; /* [outC, 16], taps beyond fh*fw zero */
  for (long b = begin; b < end; b++) {
    float *image = job->y + b * g->inH * g->inW;
    for (int oy = 0; oy < g->outH; oy++) {
      for (int ox = 0; ox < g->outW; ox++) {
        const float *d = job->dy + ((b * g->outH + oy) * g->outW + ox) * outC;
        v16 sums = {0};
        for (int c = 0; c < outC; c++) sums += d[c] * load16(wt + (long)c * 16);
        int t = 0;
        for (int ky = 0; ky < g->fh; ky++) {
          const int iy = oy * g->sh - g->padTop + ky * g->dh;
          if (iy < 0 || iy >= g->inH) {
            t += g->fw;
            continue;
          }
          float *line = image + (long)iy * g->inW;
          for (int kx = 0; kx < g->fw; kx++, t++) {
            const int ix = ox * g->sw - g->padLeft + kx * g->dw;
            if (ix >= 0 && ix < g->inW) line[ix] += sums[t];
          }
        }
      }
    }
  }
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
    sgemm(0, 0, (int)total, g->outC, k, 1.f, x, k, w, g->outC, 0.f,
                y, g->outC);
    return;
  }
  if (is_single_channel(g)) {
    single_channel_job job = {g, x, w, NULL, y, NULL, total, 0};
    parallel_for(total, 256, single_channel_forward_rows, &job);
    return;
  }
  const long chunk = chunk_rows(g);
  float *cols = scratch((size_t)chunk * k);
  for (long first = 0; first < total; first += chunk) {
    long rows = total - first < chunk ? total - first : chunk;
    im2col(g, x, cols, first, rows);
    sgemm(0, 0, (int)rows, g->outC, k, 1.f, cols, k, w, g->outC,
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
    sgemm(1, 0, k, g->outC, (int)total, 1.f, x, k, dy, g->outC, 0.f,
                dw, g->outC);
    return;
  }
  if (is_single_channel(g)) {
    /* A fixed number of blocks, each summed on its own, so the result does not depend on the thread count. */
    const long blocks = total < 4096 ? 1 : 16;
    float *partials = scratch((size_t)blocks * k * g->outC);
    single_channel_job job = {g, x, NULL, dy, NULL, partials, total, blocks};
    parallel_for(blocks, 1, single_channel_filter_blocks, &job);
    const long size = (long)k * g->outC;
    memcpy(dw, partials, sizeof(float) * size);
    for (long block = 1; block < blocks; block++)
      for (long i = 0; i < size; i++) dw[i] += partials[block * size + i];
    return;
  }
  const long chunk = chunk_rows(g);
  float *cols = scratch((size_t)chunk * k);
  for (long first = 0; first < total; first += chunk) {
    long rows = total - first < chunk ? total - first : chunk;
    im2col(g, x, cols, first, rows);
    /* dW [K, outC] (+)= cols^T [K, rows] · dy [rows, outC] */
    sgemm(1, 0, k, g->outC, (int)rows, 1.f, cols, k,
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
          if (inC == 1) *dst += *row; /* no loop set-up per float for one channel */
          else
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
    sgemm(0, 1, (int)total, k, g->outC, 1.f, dy, g->outC, w, g->outC,
                0.f, dx, k);
    return;
  }
  memset(dx, 0, sizeof(float) * dxSize);
  if (total == 0 || k == 0 || g->outC == 0) return;
  if (g->inC == 1 && g->fh * g->fw <= 16) {
    float *wt = scratch((size_t)g->outC * 16);
    memset(wt, 0, sizeof(float) * g->outC * 16);
    for (int t = 0; t < g->fh * g->fw; t++)
      for (int c = 0; c < g->outC; c++) wt[c * 16 + t] = w[(long)t * g->outC + c];
    single_channel_job job = {g, NULL, w, dy, dx, wt, total, 0};
    parallel_for(g->batch, 1, single_channel_input_images, &job);
    return;
  }
  const long perImage = (long)g->outH * g->outW;
  /* Whole images per chunk, so col2im can split the chunk by image across threads. */
  long chunk = chunk_rows(g) / perImage * perImage;
  if (chunk < perImage) chunk = perImage;
  float *cols = scratch((size_t)chunk * k);
  for (long first = 0; first < total; first += chunk) {
    long rows = total - first < chunk ? total - first : chunk;
    /* cols [rows, K] = dy [rows, outC] · W^T [outC, K] */
    sgemm(0, 1, (int)rows, k, g->outC, 1.f, dy + first * g->outC,
                g->outC, w, g->outC, 0.f, cols, k);
    col2im_job job = {g, cols, dx, first, rows, first / perImage};
    parallel_for(rows / perImage, 1, col2im_images, &job);
  }
}

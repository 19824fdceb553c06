/* latentlab native kernels: float32 tensors that live in the wasm backend's memory, addressed by byte offsets
 * from its base. Everything is NHWC / row-major, as TensorFlow.js lays tensors out. */
#ifndef LATENTLAB_NATIVE_H
#define LATENTLAB_NATIVE_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  int batch, inH, inW, inC, outH, outW, outC, fh, fw, sh, sw, dh, dw, padTop, padLeft;
} conv_geometry;

enum activation { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_ELU = 3, ACT_LEAKY = 4, ACT_SIGMOID = 5 };

/* Scratch memory reused across calls (grown as needed, never shrunk below the largest recent use). */
float *scratch(size_t floats);

/* C = alpha op(A) op(B) + beta C, row-major, split across the pool (gemm.c says why); op transposes when set. */
void sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
           float beta, float *c, int ldc);
/* Threads that share a product (the pool's, callers included); OpenBLAS itself runs single-threaded. */
void set_product_threads(int threads);
int get_product_threads(void);
void gemm_batched(int transA, int transB, int m, int n, int k, float alpha, const float *a, const float *b,
                  float beta, float *c, int batch, long strideA, long strideB, long strideC);
void bias_activation(float *y, long rows, int cols, const float *bias, int act, float alpha);

void conv2d_forward(const conv_geometry *g, const float *x, const float *w, float *y);
void conv2d_backprop_input(const conv_geometry *g, const float *dy, const float *w, float *dx);
void conv2d_backprop_filter(const conv_geometry *g, const float *x, const float *dy, float *dw);

/* params: beta1, 1 - beta1, beta2, 1 - beta2, 1 - beta1^t, 1 - beta2^t, epsilon, -learning rate (float32). */
void adam_step(const float *value, const float *m, const float *v, const float *g, long n, const float *params,
               float *outValue, float *outM, float *outV);

/* out[i] = a[i mod pa] op b[i mod pb] for i < n; op 0 add, 1 sub, 2 mul, 3 div. Each period is n, 1, or (for
 * one of the two) a divisor of n. */
void binary_op(int op, const float *a, long pa, const float *b, long pb, float *out, long n);

/* dz = dy * f'(y) for a fused activation's output y (relu, elu, sigmoid; linear copies), with dbias (or NULL)
 * the column sums of dz: the gradient of a fused dense layer's bias and activation in one pass. */
void activation_backward(const float *dy, const float *y, long rows, int cols, int act, float *dz, float *dbias);

/* Per row of logits [rows, cols] with label labels[r] (int32): lse = log Σ exp, nll = lse - logits[label] (0 for a
 * label outside [0, cols)), argmax = the first index of the row's maximum. */
void softmax_cross_entropy(const float *logits, const int32_t *labels, long rows, long cols, float *nll, float *lse,
                           int32_t *argmax);
/* dlogits = softmax · (dnll + dlse) - onehot(label) · dnll per row, from the forward's lse; dnll or dlse may be
 * NULL (no gradient reaches that output). */
void softmax_cross_entropy_backward(const float *logits, const float *lse, const int32_t *labels, const float *dnll,
                                    const float *dlse, long rows, long cols, float *dlogits);

enum row_loss_kind { LOSS_SQUARED = 0, LOSS_BERNOULLI_LOGITS = 1 };
/* out[r] = the sum over the row's cols entries of (prediction - target)² (LOSS_SQUARED) or of the Bernoulli negative
 * log-likelihood of target under sigmoid(prediction), prediction being logits (LOSS_BERNOULLI_LOGITS). */
void row_loss(int kind, const float *target, const float *prediction, long rows, long cols, float *out);
/* dprediction = dy[r] times the entry's derivative: 2 (prediction - target), or sigmoid(prediction) - target. */
void row_loss_backward(int kind, const float *target, const float *prediction, const float *dy, long rows, long cols,
                       float *dprediction);

/* Elements of a vectorised elementwise loop below which one thread is faster than two: waking a pool worker
 * costs about what 50-100k elements do (measured on the dev machine: Adam over 2 x 200k floats took 0.16 ms on
 * one thread and 0.36 ms split over two). */
#define ELEMENTWISE_GRAIN (1L << 18)

/* Runs body(i, arg) for i in [0, n) on the worker threads and the caller; returns when all are done. */
typedef void (*parallel_body)(long begin, long end, void *arg);
void parallel_for(long n, long grain, parallel_body body, void *arg);
void set_worker_threads(int threads);
int worker_threads(void);

#endif

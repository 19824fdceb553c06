/* N-API entry points. Every kernel takes the wasm backend's memory as a typed array (its heap view, an
 * ArrayBuffer or SharedArrayBuffer) and byte offsets of float32 tensors in it: no data is copied. */
#include <cblas.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include "native.h"

#define MAX_ARGS 16

/* OpenBLAS's own extensions (declared in its cblas.h on Debian; repeated for other layouts). */
extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);

typedef struct {
  napi_value argv[MAX_ARGS];
  size_t argc;
  uint8_t *heap;
  size_t heapBytes;
} call_args;

static int fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return 0;
}

/* Reads the arguments; the first, when `withHeap`, is a typed array over the memory the offsets point into. */
static int read_args(napi_env env, napi_callback_info info, call_args *a, size_t want, int withHeap) {
  a->argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return fail(env, "bad call");
  if (a->argc < want) return fail(env, "too few arguments");
  if (!withHeap) return 1;
  napi_typedarray_type type;
  size_t length, byteOffset;
  void *data;
  napi_value buffer;
  if (napi_get_typedarray_info(env, a->argv[0], &type, &length, &data, &buffer, &byteOffset) != napi_ok)
    return fail(env, "the first argument must be a typed array over the wasm memory");
  size_t itemBytes = type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array ? 4
                     : type == napi_float64_array                                                          ? 8
                                                                                                           : 1;
  /* The view's data pointer already includes its byte offset; offsets are relative to the view. */
  a->heap = data;
  a->heapBytes = length * itemBytes;
  return 1;
}

static double num(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

/* A float32 array of `floats` elements at byte offset `offset` of the heap, bounds-checked. */
static float *at(napi_env env, call_args *a, napi_value v, double floats, int *ok) {
  double offset = num(env, v);
  if (!*ok) return NULL;
  if (offset < 0 || (long)offset % 4 != 0 || offset + floats * 4 > (double)a->heapBytes) {
    *ok = 0;
    fail(env, "tensor out of bounds of the wasm memory");
    return NULL;
  }
  return (float *)(a->heap + (size_t)offset);
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* gemm(heap, transA, transB, m, n, k, aOff, bOff, cOff, batch, strideA, strideB, strideC, alpha, beta):
 * strides in floats (0 repeats an operand for every batch). */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, &a, 15, 1)) return NULL;
  int transA = num(env, a.argv[1]) != 0, transB = num(env, a.argv[2]) != 0;
  int m = (int)num(env, a.argv[3]), n = (int)num(env, a.argv[4]), k = (int)num(env, a.argv[5]);
  int batch = (int)num(env, a.argv[9]);
  long sA = (long)num(env, a.argv[10]), sB = (long)num(env, a.argv[11]), sC = (long)num(env, a.argv[12]);
  float alpha = (float)num(env, a.argv[13]), beta = (float)num(env, a.argv[14]);
  if (m < 0 || n < 0 || k < 0 || batch < 0) {
    fail(env, "negative size");
    return NULL;
  }
  if (batch == 0 || m == 0 || n == 0) return undefined(env);
  int ok = 1;
  const float *pa = at(env, &a, a.argv[6], (double)sA * (batch - 1) + (double)m * k, &ok);
  const float *pb = at(env, &a, a.argv[7], (double)sB * (batch - 1) + (double)k * n, &ok);
  float *pc = at(env, &a, a.argv[8], (double)sC * (batch - 1) + (double)m * n, &ok);
  if (!ok) return NULL;
  gemm_batched(transA, transB, m, n, k, alpha, pa, pb, beta, pc, batch, sA, sB, sC);
  return undefined(env);
}

/* biasActivation(heap, yOff, rows, cols, biasOff or -1, activation, alpha): in place. */
static napi_value js_bias_activation(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, &a, 7, 1)) return NULL;
  long rows = (long)num(env, a.argv[2]);
  int cols = (int)num(env, a.argv[3]);
  int act = (int)num(env, a.argv[5]);
  float alpha = (float)num(env, a.argv[6]);
  int ok = 1;
  float *y = at(env, &a, a.argv[1], (double)rows * cols, &ok);
  const float *bias = num(env, a.argv[4]) < 0 ? NULL : at(env, &a, a.argv[4], cols, &ok);
  if (!ok) return NULL;
  bias_activation(y, rows, cols, bias, act, alpha);
  return undefined(env);
}

static int read_geometry(napi_env env, napi_value v, conv_geometry *g) {
  napi_typedarray_type type;
  size_t length, byteOffset;
  void *data;
  napi_value buffer;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &byteOffset) != napi_ok ||
      type != napi_int32_array || length != 15)
    return fail(env, "the geometry must be an Int32Array of 15");
  memcpy(g, data, sizeof(*g));
  const int *f = data;
  for (int i = 0; i < 15; i++)
    if (f[i] < 0) return fail(env, "negative convolution geometry");
  if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1) return fail(env, "strides and dilations must be >= 1");
  return 1;
}

typedef enum { CONV_FORWARD, CONV_BACKPROP_INPUT, CONV_BACKPROP_FILTER } conv_kind;

/* conv*(heap, firstOff, secondOff, outOff, geometry): forward (x, w → y), input gradient (dy, w → dx),
 * filter gradient (x, dy → dw). */
static napi_value conv(napi_env env, napi_callback_info info, conv_kind kind) {
  call_args a;
  conv_geometry g;
  if (!read_args(env, info, &a, 5, 1) || !read_geometry(env, a.argv[4], &g)) return NULL;
  double xs = (double)g.batch * g.inH * g.inW * g.inC, ys = (double)g.batch * g.outH * g.outW * g.outC,
         ws = (double)g.fh * g.fw * g.inC * g.outC;
  int ok = 1;
  if (kind == CONV_FORWARD) {
    const float *x = at(env, &a, a.argv[1], xs, &ok), *w = at(env, &a, a.argv[2], ws, &ok);
    float *y = at(env, &a, a.argv[3], ys, &ok);
    if (ok) conv2d_forward(&g, x, w, y);
  } else if (kind == CONV_BACKPROP_INPUT) {
    const float *dy = at(env, &a, a.argv[1], ys, &ok), *w = at(env, &a, a.argv[2], ws, &ok);
    float *dx = at(env, &a, a.argv[3], xs, &ok);
    if (ok) conv2d_backprop_input(&g, dy, w, dx);
  } else {
    const float *x = at(env, &a, a.argv[1], xs, &ok), *dy = at(env, &a, a.argv[2], ys, &ok);
    float *dw = at(env, &a, a.argv[3], ws, &ok);
    if (ok) conv2d_backprop_filter(&g, x, dy, dw);
  }
  return ok ? undefined(env) : NULL;
}

static napi_value js_conv2d(napi_env env, napi_callback_info info) { return conv(env, info, CONV_FORWARD); }
static napi_value js_conv2d_backprop_input(napi_env env, napi_callback_info info) {
  return conv(env, info, CONV_BACKPROP_INPUT);
}
static napi_value js_conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  return conv(env, info, CONV_BACKPROP_FILTER);
}

/* adam(heap, valueOff, mOff, vOff, gOff, size, params (Float32Array of 8, see native.h), outValueOff, outMOff,
 * outVOff) */
static napi_value js_adam(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, &a, 10, 1)) return NULL;
  double n = num(env, a.argv[5]);
  napi_typedarray_type type;
  size_t length, byteOffset;
  void *params;
  napi_value buffer;
  if (napi_get_typedarray_info(env, a.argv[6], &type, &length, &params, &buffer, &byteOffset) != napi_ok ||
      type != napi_float32_array || length != 8) {
    fail(env, "the Adam parameters must be a Float32Array of 8");
    return NULL;
  }
  int ok = 1;
  const float *value = at(env, &a, a.argv[1], n, &ok), *m = at(env, &a, a.argv[2], n, &ok),
              *v = at(env, &a, a.argv[3], n, &ok), *g = at(env, &a, a.argv[4], n, &ok);
  float *outValue = at(env, &a, a.argv[7], n, &ok), *outM = at(env, &a, a.argv[8], n, &ok),
        *outV = at(env, &a, a.argv[9], n, &ok);
  if (!ok) return NULL;
  adam_step(value, m, v, g, (long)n, params, outValue, outM, outV);
  return undefined(env);
}

/* binary(heap, op, aOff, aPeriod, bOff, bPeriod, outOff, size): see binary_op in native.h. */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, &a, 8, 1)) return NULL;
  int op = (int)num(env, a.argv[1]);
  double pa = num(env, a.argv[3]), pb = num(env, a.argv[5]), n = num(env, a.argv[7]);
  if (op < 0 || op > 3 || pa < 1 || pb < 1 || n < 0 || (n > 0 && ((long)n % (long)pa || (long)n % (long)pb)) ||
      (pa != n && pb != n && pa != 1 && pb != 1)) {
    fail(env, "bad elementwise operands");
    return NULL;
  }
  int ok = 1;
  const float *x = at(env, &a, a.argv[2], pa, &ok), *y = at(env, &a, a.argv[4], pb, &ok);
  float *out = at(env, &a, a.argv[6], n, &ok);
  if (!ok) return NULL;
  binary_op(op, x, (long)pa, y, (long)pb, out, (long)n);
  return undefined(env);
}

/* activationBackward(heap, dyOff, yOff, rows, cols, activation, dzOff, dbiasOff or -1): see native.h. */
static napi_value js_activation_backward(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, &a, 8, 1)) return NULL;
  double rows = num(env, a.argv[3]), cols = num(env, a.argv[4]);
  int act = (int)num(env, a.argv[5]);
  if (rows < 0 || cols < 0 || cols > 2147483647.0 ||
      (act != ACT_LINEAR && act != ACT_RELU && act != ACT_ELU && act != ACT_SIGMOID)) {
    fail(env, "bad activation gradient operands");
    return NULL;
  }
  int ok = 1;
  const float *dy = at(env, &a, a.argv[1], rows * cols, &ok), *y = at(env, &a, a.argv[2], rows * cols, &ok);
  float *dz = at(env, &a, a.argv[6], rows * cols, &ok);
  float *dbias = num(env, a.argv[7]) < 0 ? NULL : at(env, &a, a.argv[7], cols, &ok);
  if (!ok) return NULL;
  activation_backward(dy, y, (long)rows, (int)cols, act, dz, dbias);
  return undefined(env);
}

/* softmaxCrossEntropy(heap, logitsOff, labelsOff, rows, cols, nllOff, lseOff, argmaxOff): labels and argmax
 * int32; see native.h. */
static napi_value js_softmax_cross_entropy(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, &a, 8, 1)) return NULL;
  double rows = num(env, a.argv[3]), cols = num(env, a.argv[4]);
  if (rows < 0 || cols < 0 || cols > 2147483647.0) {
    fail(env, "bad softmax cross-entropy operands");
    return NULL;
  }
  int ok = 1;
  const float *logits = at(env, &a, a.argv[1], rows * cols, &ok);
  const int32_t *labels = (const int32_t *)at(env, &a, a.argv[2], rows, &ok);
  float *nll = at(env, &a, a.argv[5], rows, &ok), *lse = at(env, &a, a.argv[6], rows, &ok);
  int32_t *argmax = (int32_t *)at(env, &a, a.argv[7], rows, &ok);
  if (!ok) return NULL;
  softmax_cross_entropy(logits, labels, (long)rows, (long)cols, nll, lse, argmax);
  return undefined(env);
}

/* rowLoss(heap, kind, targetOff, predictionOff, rows, cols, outOff): out [rows]; kind as enum row_loss_kind. */
static napi_value js_row_loss(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, &a, 7, 1)) return NULL;
  int kind = (int)num(env, a.argv[1]);
  double rows = num(env, a.argv[4]), cols = num(env, a.argv[5]);
  if (rows < 0 || cols < 0 || (kind != LOSS_SQUARED && kind != LOSS_BERNOULLI_LOGITS)) {
    fail(env, "bad row loss operands");
    return NULL;
  }
  int ok = 1;
  const float *target = at(env, &a, a.argv[2], rows * cols, &ok), *prediction = at(env, &a, a.argv[3], rows * cols, &ok);
  float *out = at(env, &a, a.argv[6], rows, &ok);
  if (!ok) return NULL;
  row_loss(kind, target, prediction, (long)rows, (long)cols, out);
  return undefined(env);
}

/* rowLossBackward(heap, kind, targetOff, predictionOff, dyOff, rows, cols, dpredictionOff). */
static napi_value js_row_loss_backward(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, &a, 8, 1)) return NULL;
  int kind = (int)num(env, a.argv[1]);
  double rows = num(env, a.argv[5]), cols = num(env, a.argv[6]);
  if (rows < 0 || cols < 0 || (kind != LOSS_SQUARED && kind != LOSS_BERNOULLI_LOGITS)) {
    fail(env, "bad row loss gradient operands");
    return NULL;
  }
  int ok = 1;
  const float *target = at(env, &a, a.argv[2], rows * cols, &ok), *prediction = at(env, &a, a.argv[3], rows * cols, &ok);
  const float *dy = at(env, &a, a.argv[4], rows, &ok);
  float *dprediction = at(env, &a, a.argv[7], rows * cols, &ok);
  if (!ok) return NULL;
  row_loss_backward(kind, target, prediction, dy, (long)rows, (long)cols, dprediction);
  return undefined(env);
}

/* softmaxCrossEntropyBackward(heap, logitsOff, lseOff, labelsOff, dnllOff or -1, dlseOff or -1, rows, cols,
 * dlogitsOff): see native.h. */
static napi_value js_softmax_cross_entropy_backward(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, &a, 9, 1)) return NULL;
  double rows = num(env, a.argv[6]), cols = num(env, a.argv[7]);
  if (rows < 0 || cols < 0 || cols > 2147483647.0) {
    fail(env, "bad softmax cross-entropy gradient operands");
    return NULL;
  }
  int ok = 1;
  const float *logits = at(env, &a, a.argv[1], rows * cols, &ok), *lse = at(env, &a, a.argv[2], rows, &ok);
  const int32_t *labels = (const int32_t *)at(env, &a, a.argv[3], rows, &ok);
  const float *dnll = num(env, a.argv[4]) < 0 ? NULL : at(env, &a, a.argv[4], rows, &ok);
  const float *dlse = num(env, a.argv[5]) < 0 ? NULL : at(env, &a, a.argv[5], rows, &ok);
  float *dlogits = at(env, &a, a.argv[8], rows * cols, &ok);
  if (!ok) return NULL;
  softmax_cross_entropy_backward(logits, lse, labels, dnll, dlse, (long)rows, (long)cols, dlogits);
  return undefined(env);
}

/* setThreads(blasThreads, loopThreads) */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, &a, 2, 0)) return NULL;
  int blas = (int)num(env, a.argv[0]), loops = (int)num(env, a.argv[1]);
  /* One pool for everything (gemm.c says why): OpenBLAS on the calling thread, products split by the pool. */
  openblas_set_num_threads(1);
  set_product_threads(blas);
  set_worker_threads(blas > loops ? blas : loops); /* at least 1: set_worker_threads clamps */
  return undefined(env);
}

static void set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_create_string_utf8(env, value ? value : "", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
}

static void set_number(napi_env env, napi_value obj, const char *key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

/* info(): { blas, core, blasThreads, loopThreads } */
static napi_value js_info(napi_env env, napi_callback_info info) {
  napi_value obj;
  napi_create_object(env, &obj);
  set_string(env, obj, "blas", openblas_get_config());
  set_string(env, obj, "core", openblas_get_corename());
  set_number(env, obj, "blasThreads", get_product_threads());
  set_number(env, obj, "loopThreads", worker_threads());
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemm", NULL, js_gemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"biasActivation", NULL, js_bias_activation, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2d", NULL, js_conv2d, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2dBackpropInput", NULL, js_conv2d_backprop_input, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2dBackpropFilter", NULL, js_conv2d_backprop_filter, NULL, NULL, NULL, napi_enumerable, NULL},
      {"binary", NULL, js_binary, NULL, NULL, NULL, napi_enumerable, NULL},
      {"activationBackward", NULL, js_activation_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxCrossEntropy", NULL, js_softmax_cross_entropy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxCrossEntropyBackward", NULL, js_softmax_cross_entropy_backward, NULL, NULL, NULL, napi_enumerable,
       NULL},
      {"rowLoss", NULL, js_row_loss, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rowLossBackward", NULL, js_row_loss_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adam", NULL, js_adam, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

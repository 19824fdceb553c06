/* One Adam step over a variable in one pass, with the arithmetic of tfjs-core's AdamOptimizer (float32, same
 * order of operations), in place or into new buffers (when the variable's old buffer is shared by other tensors). */
#include <math.h>
#include "native.h"

typedef struct {
  const float *value, *m, *v, *g;
  float *outValue, *outM, *outV;
  float beta1, oneMinusBeta1, beta2, oneMinusBeta2, c1, c2, eps, negLr;
} adam_job;

/* One element: the new value, m and v from the old ones and the gradient. */
static inline void adam_element(const adam_job *c, float g, float m0, float v0, float p0, float *p, float *m,
                                float *v) {
  *m = m0 * c->beta1 + g * c->oneMinusBeta1;
  *v = v0 * c->beta2 + (g * g) * c->oneMinusBeta2;
  const float mHat = *m / c->c1, vHat = *v / c->c2;
  *p = (mHat / (sqrtf(vHat) + c->eps)) * c->negLr + p0;
}

/* A local copy of the constants and restrict pointers let the compiler vectorise (fields read through `arg`
 * would be reloaded after every store, which could alias them). In place, each array is one pointer. */
static void adam_range(long begin, long end, void *arg) {
  const adam_job c = *(const adam_job *)arg;
  const float *restrict g = c.g;
  if (c.outValue == c.value && c.outM == c.m && c.outV == c.v) {
    float *restrict p = c.outValue, *restrict m = c.outM, *restrict v = c.outV;
    for (long i = begin; i < end; i++) adam_element(&c, g[i], m[i], v[i], p[i], p + i, m + i, v + i);
    return;
  }
  const float *restrict p = c.value, *restrict m = c.m, *restrict v = c.v;
  float *restrict outP = c.outValue, *restrict outM = c.outM, *restrict outV = c.outV;
  for (long i = begin; i < end; i++) adam_element(&c, g[i], m[i], v[i], p[i], outP + i, outM + i, outV + i);
}

void adam_step(const float *value, const float *m, const float *v, const float *g, long n, const float *params,
               float *outValue, float *outM, float *outV) {
  adam_job job = {value, m, v, g, outValue, outM, outV, params[0], params[1], params[2],
                  params[3], params[4], params[5], params[6], params[7]};
  parallel_for(n, ELEMENTWISE_GRAIN, adam_range, &job);
}

/* One Adam step over a variable in one pass, with the arithmetic of tfjs-core's AdamOptimizer (float32, same
 * order of operations), into new buffers: the variable's old buffer may be shared by other tensors. */
#include <math.h>
#include "native.h"

typedef struct {
  const float *value, *m, *v, *g;
  float *outValue, *outM, *outV;
  float beta1, oneMinusBeta1, beta2, oneMinusBeta2, c1, c2, eps, negLr;
} adam_job;

static void adam_range(long begin, long end, void *arg) {
  const adam_job *j = arg;
  for (long i = begin; i < end; i++) {
    float g = j->g[i];
    float m = j->m[i] * j->beta1 + g * j->oneMinusBeta1;
    float v = j->v[i] * j->beta2 + (g * g) * j->oneMinusBeta2;
    float mHat = m / j->c1, vHat = v / j->c2;
    j->outValue[i] = (mHat / (sqrtf(vHat) + j->eps)) * j->negLr + j->value[i];
    j->outM[i] = m;
    j->outV[i] = v;
  }
}

void adam_step(const float *value, const float *m, const float *v, const float *g, long n, const float *params,
               float *outValue, float *outM, float *outV) {
  adam_job job = {value, m, v, g, outValue, outM, outV, params[0], params[1], params[2],
                  params[3], params[4], params[5], params[6], params[7]};
  parallel_for(n, 1L << 15, adam_range, &job);
}

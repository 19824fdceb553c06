/* A vectorisable exponential for the loss kernels (softmax.c, losses.c): expf does not vectorise without
 * -ffast-math. Within 2 ulp of expf over the arguments these kernels pass (x <= 0). */
#ifndef LATENTLAB_FASTMATH_H
#define LATENTLAB_FASTMATH_H
#include <math.h>
#include <stdint.h>

/* exp(x) for x <= 0 (a softmax's logits minus their row's maximum; -|logit| for the Bernoulli loss): 2^n · p(r), with n = round(x / ln 2)
 * and r = x - n ln 2 in [-ln 2 / 2, ln 2 / 2]; p is Cephes' expf polynomial. Below -87.3 the result is 0. */
static inline float exp_nonpositive(float argument) {
  const float big = 12582912.f; /* 1.5 · 2^23: adding it rounds to an integer in the low mantissa bits */
  const float x = argument < -87.3f ? -87.3f : argument;
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
  /* Clamped above so 2^n stays a normal float; e^x there is a subnormal, which float32 code flushes to 0 too. */
  return argument < -87.3f ? 0.f : p * scale.f;
}

/* log(1 + e) for e in [0, 1] (e = exp(-|logit|) in the Bernoulli loss), as Cephes' logf computes log(1 + x) near
 * 0: below sqrt(2) - 1 from e itself, so tiny e keeps its full precision (log(1 + e) = e - e²/2 + ...); above,
 * as ln 2 + log(1 + x) with x = (1 + e) / 2 - 1 = (e - 1) / 2. Branch-free, so a loop over it vectorises. */
static inline float log1p_unit(float e) {
  const int high = e > 0.41421356f;
  const float x = high ? 0.5f * (e - 1.f) : e;
  const float z = x * x;
  float y = 7.0376836292e-2f;
  y = y * x - 1.1514610310e-1f;
  y = y * x + 1.1676998740e-1f;
  y = y * x - 1.2420140846e-1f;
  y = y * x + 1.4249322787e-1f;
  y = y * x - 1.6668057665e-1f;
  y = y * x + 2.0000714765e-1f;
  y = y * x - 2.4999993993e-1f;
  y = y * x + 3.3333331174e-1f;
  y = y * x * z;
  y += high ? -2.12194440e-4f : 0.f;
  y += -0.5f * z;
  return x + y + (high ? 0.693359375f : 0.f);
}

/* 1 / (1 + e^-x) from e = e^-|x| <= 1, so nothing overflows: 1 / (1 + e) for x >= 0, e / (1 + e) below. */
static inline float sigmoid_stable(float x) {
  const float e = exp_nonpositive(-fabsf(x)), inv = 1.f / (1.f + e);
  return x >= 0.f ? inv : e * inv;
}

#endif

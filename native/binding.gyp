{
  "targets": [
    {
      "target_name": "latentlab_native",
      "sources": ["src/addon.c", "src/conv.c", "src/gemm.c", "src/pool.c", "src/optimizer.c", "src/elementwise.c", "src/softmax.c", "src/losses.c"],
      # -fno-math-errno and -fno-trapping-math let loops with math calls and float selects vectorise (nothing
      # here reads errno or the floating-point exception flags); no -ffast-math, so sums keep their order.
      "cflags": ["-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-std=c11", "-Wall", "-Wno-unused-parameter"],
      "cflags!": ["-O2", "-O0"],
      "libraries": ["-lopenblas", "-lpthread", "-lm"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}

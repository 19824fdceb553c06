{
  "targets": [
    {
      "target_name": "latentlab_native",
      "sources": ["src/addon.c", "src/conv.c", "src/gemm.c", "src/pool.c", "src/optimizer.c", "src/elementwise.c", "src/softmax.c"],
      "cflags": ["-O3", "-march=native", "-fno-math-errno", "-std=c11", "-Wall", "-Wno-unused-parameter"],
      "cflags!": ["-O2", "-O0"],
      "libraries": ["-lopenblas", "-lpthread", "-lm"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}

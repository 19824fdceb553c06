/* A small fork-join pool for all of the addon's parallel work: the matrix products (split into single-threaded
 * OpenBLAS calls, gemm.c) and the loops around them (im2col, col2im, epilogues, losses). After a job the workers,
 * and a caller waiting for them, spin for up to SPIN_NS before sleeping on a condition variable: a training step
 * issues its products a few hundred microseconds apart, and waking a sleeping thread costs a futex round trip
 * each time, more under load; longer idle periods cost no CPU. */
#define _POSIX_C_SOURCE 199309L
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include "native.h"

#define SPIN_NS 100000L

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

#define MAX_WORKERS 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static int threads = 1;  /* callers included */
static int started = 0;  /* workers running */
static unsigned long generation = 0;
static unsigned long pending = 0;

static parallel_body job_body;
static void *job_arg;
static long job_n, job_parts;

static void run_part(long part) {
  long begin = job_n * part / job_parts, end = job_n * (part + 1) / job_parts;
  if (begin < end) job_body(begin, end, job_arg);
}

/* Nonzero on the pool's threads and on a caller inside a job: a parallel_for there runs on the calling thread. */
static __thread int inside_job = 0;

/* Spins while (*value == from) == equal, for at most SPIN_NS; the value is written under the lock. */
static void spin_while(const unsigned long *value, unsigned long from, int equal) {
  const long start = now_ns();
  for (unsigned i = 1;; i++) {
    if ((__atomic_load_n(value, __ATOMIC_ACQUIRE) == from) != equal) return;
    cpu_relax();
    if ((i & 63) == 0 && now_ns() - start > SPIN_NS) return;
  }
}

static void *worker(void *index_ptr) {
  long index = (long)(intptr_t)index_ptr;
  unsigned long seen = 0;
  inside_job = 1;
  pthread_mutex_lock(&lock);
  for (;;) {
    if (generation == seen) {
      pthread_mutex_unlock(&lock);
      spin_while(&generation, seen, 1);
      pthread_mutex_lock(&lock);
    }
    while (generation == seen) pthread_cond_wait(&wake, &lock);
    seen = generation;
    long parts = job_parts;
    pthread_mutex_unlock(&lock);
    if (index < parts) run_part(index);
    pthread_mutex_lock(&lock);
    if (index < parts && __atomic_sub_fetch(&pending, 1, __ATOMIC_RELEASE) == 0) pthread_cond_signal(&done);
  }
  return NULL;
}

void set_worker_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_WORKERS) n = MAX_WORKERS;
  pthread_mutex_lock(&lock);
  threads = n;
  while (started < n - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* Worker i takes part i + 1 of a job; the caller takes part 0. */
    if (pthread_create(&t, &attr, worker, (void *)(intptr_t)(started + 1)) != 0) {
      pthread_attr_destroy(&attr);
      threads = started + 1;
      break;
    }
    pthread_attr_destroy(&attr);
    started++;
  }
  pthread_mutex_unlock(&lock);
}

int worker_threads(void) { return threads; }

void parallel_for(long n, long grain, parallel_body body, void *arg) {
  if (n <= 0) return;
  long parts = inside_job ? 1 : threads;
  if (grain < 1) grain = 1;
  if (parts > n / grain) parts = n / grain;
  if (parts <= 1) {
    body(0, n, arg);
    return;
  }
  pthread_mutex_lock(&lock);
  job_body = body;
  job_arg = arg;
  job_n = n;
  job_parts = parts;
  __atomic_store_n(&pending, (unsigned long)parts - 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  inside_job = 1;
  run_part(0);
  inside_job = 0;
  spin_while(&pending, 0, 0);
  pthread_mutex_lock(&lock);
  while (pending > 0) pthread_cond_wait(&done, &lock);
  pthread_mutex_unlock(&lock);
}

/* A small fork-join pool for the memory-bound loops around the BLAS calls (im2col, col2im, epilogues).
 * The workers sleep on a condition variable between jobs: on a shared 2-core machine, spinning threads would
 * take the cores from the wasm threads and OpenBLAS. */
#include <pthread.h>
#include <stdlib.h>
#include "native.h"

#define MAX_WORKERS 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static int threads = 1;  /* callers included */
static int started = 0;  /* workers running */
static unsigned long generation = 0;
static int pending = 0;

static parallel_body job_body;
static void *job_arg;
static long job_n, job_parts;

static void run_part(long part) {
  long begin = job_n * part / job_parts, end = job_n * (part + 1) / job_parts;
  if (begin < end) job_body(begin, end, job_arg);
}

static void *worker(void *index_ptr) {
  long index = (long)(intptr_t)index_ptr;
  unsigned long seen = 0;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (generation == seen) pthread_cond_wait(&wake, &lock);
    seen = generation;
    long parts = job_parts;
    pthread_mutex_unlock(&lock);
    if (index < parts) run_part(index);
    pthread_mutex_lock(&lock);
    if (index < parts && --pending == 0) pthread_cond_signal(&done);
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
  long parts = threads;
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
  pending = (int)parts - 1;
  generation++;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  run_part(0);
  pthread_mutex_lock(&lock);
  while (pending > 0) pthread_cond_wait(&done, &lock);
  pthread_mutex_unlock(&lock);
}

/* The spike function of a multi-level neuron, one pass over memory per direction.

   Compiled and loaded by mlsnn_edu/spike_kernel.py, which documents the mathematics.
   Eager PyTorch makes one pass over the tensor per operation: the staircase takes 3,
   the one-exponential surrogate times the gradient about 3N + 5. Here each direction
   reads its inputs once and writes its output once; the surrogate keeps 64 elements'
   exponentials and running sums in registers (with AVX-512; in the cache otherwise)
   while it sums over the N thresholds, instead of re-reading them for each one. */

#define _GNU_SOURCE /* dladdr: which OpenMP runtime the kernel runs on */
#include <math.h>
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <dlfcn.h>
#include <omp.h>
#endif

#define CHUNK 32768 /* elements per thread's turn; fewer than 2 chunks run serially */

/* Sixteen floats: one AVX-512 register, two AVX or four SSE ones. GCC and Clang
   lower these vector types to whatever the CPU has; each operation on them is one
   instruction per register, and every lane computes what the scalar code would. */
#define LANES 16
typedef float floats __attribute__((vector_size(4 * LANES)));
typedef int32_t ints __attribute__((vector_size(4 * LANES)));
/* Vectors the surrogate works on together: each one's sum over the thresholds is a
   chain of dependent steps, and four independent chains keep the CPU busy. */
#define GROUP 4
#define STEP (LANES * GROUP)

/* z = clamp(floor(v / theta), 0, levels); a NaN potential gives a NaN spike. */
static void staircase_range(const float *restrict v, float *restrict z, int64_t begin,
                            int64_t end, float theta, float levels) {
    for (int64_t i = begin; i < end; ++i) {
        float f = floorf(v[i] / theta);
        f = f < 0.0f ? 0.0f : f;
        z[i] = f > levels ? levels : f;
    }
}

static inline floats splat(float x) {
    floats all;
    for (int j = 0; j < LANES; ++j) all[j] = x;
    return all;
}

/* Lane by lane: where mask is all ones, yes; where it is zero, no. */
static inline floats choose(ints mask, floats yes, floats no) {
    return (floats)(((ints)yes & mask) | ((ints)no & ~mask));
}

/* 2^x in float32: 2^round(x) times a degree-6 polynomial for 2^f, |f| <= 1/2
   (relative error below 2e-7). Clamping x keeps 2^round(x) a normal float; the
   surrogate is 0 to float32 precision long before either bound. Adding and
   subtracting 1.5 * 2^23 rounds to the nearest integer, ties to even, as nearbyintf
   does (but for the sign of a zero, which changes neither f nor 2^n). */
static inline floats exp2_floats(floats x) {
    x = choose(x < splat(-126.0f), splat(-126.0f), x);
    x = choose(x > splat(126.0f), splat(126.0f), x);
    floats n = (x + 12582912.0f) - 12582912.0f;
    floats f = x - n;                   /* NaN stays in f, and through it in the result */
    n = choose(n == n, n, splat(0.0f)); /* converting NaN to an integer is undefined */
    floats p = splat(1.5353362e-4f);
    p = p * f + 1.3398874e-3f;
    p = p * f + 9.6180880e-3f;
    p = p * f + 5.5503525e-2f;
    p = p * f + 2.4022652e-1f;
    p = p * f + 6.9314718e-1f;
    p = p * f + 1.0f;
    ints power = (__builtin_convertvector(n, ints) + 127) << 23;
    return p * (floats)power;
}

/* STEP elements: out = grad * sum_k weight[k] / (1/r + c2[k] r)^2, r = 2^(v slope - offset). */
static inline void surrogate_step(const float *v, const float *grad, float *out, float slope,
                                  float offset, const float *c2, const float *weight,
                                  int levels) {
    floats r[GROUP], inverse_r[GROUP], total[GROUP];
    for (int j = 0; j < GROUP; ++j) {
        floats x;
        memcpy(&x, v + j * LANES, sizeof x); /* an unaligned load */
        r[j] = exp2_floats(x * slope - offset);
        inverse_r[j] = 1.0f / r[j];
        total[j] = splat(0.0f);
    }
    for (int k = 0; k < levels; ++k) {
        for (int j = 0; j < GROUP; ++j) {
            floats d = inverse_r[j] + c2[k] * r[j];
            total[j] += weight[k] * (1.0f / (d * d));
        }
    }
    for (int j = 0; j < GROUP; ++j) {
        floats g;
        memcpy(&g, grad + j * LANES, sizeof g);
        total[j] *= g;
        memcpy(out + j * LANES, &total[j], sizeof g);
    }
}

static void surrogate_range(const float *restrict v, const float *restrict grad,
                            float *restrict out, int64_t begin, int64_t end, float slope,
                            float offset, const float *c2, const float *weight, int levels) {
    int64_t start = begin;
    for (; start + STEP <= end; start += STEP)
        surrogate_step(v + start, grad + start, out + start, slope, offset, c2, weight, levels);
    if (start < end) { /* the last few elements, through zero-padded copies */
        float v_tail[STEP] = {0}, grad_tail[STEP] = {0}, out_tail[STEP];
        size_t bytes = (size_t)(end - start) * sizeof(float);
        memcpy(v_tail, v + start, bytes);
        memcpy(grad_tail, grad + start, bytes);
        surrogate_step(v_tail, grad_tail, out_tail, slope, offset, c2, weight, levels);
        memcpy(out + start, out_tail, bytes);
    }
}

/* Split [0, n) into chunks shared by OpenMP threads. Linked against libgomp.so.1 by
   name, the kernel uses the runtime PyTorch has already loaded, so its threads are
   PyTorch's threads (torch.set_num_threads counts them) and never compete with them. */
static int use_threads = 1;

void spike_use_threads(int enabled) { use_threads = enabled; }

/* The file of the OpenMP runtime this kernel runs on ("" without OpenMP). */
const char *spike_openmp_runtime(void) {
#ifdef _OPENMP
    Dl_info info;
    if (dladdr((void *)omp_get_max_threads, &info) && info.dli_fname) return info.dli_fname;
#endif
    return "";
}

/* How many threads a large tensor is shared among (1 without OpenMP). */
int spike_threads(void) {
#ifdef _OPENMP
    return use_threads ? omp_get_max_threads() : 1;
#else
    return 1;
#endif
}

void spike_staircase(const float *v, float *z, int64_t n, float theta, float levels) {
#pragma omp parallel for schedule(static) if (use_threads && n >= 2 * CHUNK)
    for (int64_t start = 0; start < n; start += CHUNK)
        staircase_range(v, z, start, start + CHUNK < n ? start + CHUNK : n, theta, levels);
}

void spike_surrogate_backward(const float *v, const float *grad, float *out, int64_t n,
                              float slope, float offset, const float *c2, const float *weight,
                              int levels) {
#pragma omp parallel for schedule(static) if (use_threads && n >= 2 * CHUNK)
    for (int64_t start = 0; start < n; start += CHUNK)
        surrogate_range(v, grad, out, start, start + CHUNK < n ? start + CHUNK : n, slope, offset,
                        c2, weight, levels);
}

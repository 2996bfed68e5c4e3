/* The spike function of a multi-level neuron, one pass over memory per direction.

   Compiled and loaded by mlsnn_edu/spike_kernel.py, which documents the mathematics.
   Eager PyTorch makes one pass over the tensor per operation: the staircase takes 3,
   the one-exponential surrogate times the gradient about 3N + 5. Here each direction
   reads its inputs once and writes its output once; the surrogate works on blocks
   small enough to stay in the cache, so the compiler vectorises every inner loop. */

#define _GNU_SOURCE /* dladdr: which OpenMP runtime the kernel runs on */
#include <math.h>
#include <stdint.h>
#ifdef _OPENMP
#include <dlfcn.h>
#include <omp.h>
#endif

#define BLOCK 512             /* elements per cache-resident block of the surrogate */
#define CHUNK 32768           /* elements per thread's turn; fewer than 2 chunks run serially */

/* z = clamp(floor(v / theta), 0, levels); a NaN potential gives a NaN spike. */
static void staircase_range(const float *restrict v, float *restrict z, int64_t begin,
                            int64_t end, float theta, float levels) {
    for (int64_t i = begin; i < end; ++i) {
        float f = floorf(v[i] / theta);
        f = f < 0.0f ? 0.0f : f;
        z[i] = f > levels ? levels : f;
    }
}

/* 2^x in float32: 2^round(x) times a degree-6 polynomial for 2^f, |f| <= 1/2
   (relative error below 2e-7). Clamping x keeps 2^round(x) a normal float; the
   surrogate is 0 to float32 precision long before either bound. */
static inline float exp2_float(float x) {
    x = x < -126.0f ? -126.0f : (x > 126.0f ? 126.0f : x);
    float n = nearbyintf(x);
    float f = x - n;          /* NaN stays in f, and through it in the result */
    n = n == n ? n : 0.0f;    /* converting NaN to an integer is undefined */
    float p = 1.5353362e-4f;
    p = p * f + 1.3398874e-3f;
    p = p * f + 9.6180880e-3f;
    p = p * f + 5.5503525e-2f;
    p = p * f + 2.4022652e-1f;
    p = p * f + 6.9314718e-1f;
    p = p * f + 1.0f;
    union { int32_t bits; float value; } power = { .bits = ((int32_t)n + 127) << 23 };
    return p * power.value;
}

/* grad_v = grad_z * sum_k weight[k] / (1/r + c2[k] r)^2 with r = 2^(v slope - offset). */
static void surrogate_range(const float *restrict v, const float *restrict grad,
                            float *restrict out, int64_t begin, int64_t end, float slope,
                            float offset, const float *c2, const float *weight, int levels) {
    float r[BLOCK], inverse_r[BLOCK], total[BLOCK];
    for (int64_t start = begin; start < end; start += BLOCK) {
        int64_t m = end - start < BLOCK ? end - start : BLOCK;
        const float *vb = v + start;
        for (int64_t i = 0; i < m; ++i) {
            r[i] = exp2_float(vb[i] * slope - offset);
            inverse_r[i] = 1.0f / r[i];
            total[i] = 0.0f;
        }
        for (int k = 0; k < levels; ++k) {
            float c = c2[k], w = weight[k];
            for (int64_t i = 0; i < m; ++i) {
                float d = inverse_r[i] + c * r[i];
                total[i] += w * (1.0f / (d * d));
            }
        }
        for (int64_t i = 0; i < m; ++i) out[start + i] = total[i] * grad[start + i];
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

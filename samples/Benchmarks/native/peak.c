/*
 * Throughput of the multiply instructions that bound the zoo models on this CPU, outside .NET (which cannot emit the
 * 512-bit vpdpbusd: there is no Avx512Vnni class in .NET 10): 12 independent accumulators per loop iteration, register
 * operands only, so the loop measures issue rate, not loads. Also the core clock, from a chain of dependent adds (one
 * cycle each). Not part of the build or the tests; see BENCHMARKS.md (session 17) for its use.
 *
 *   gcc -O2 -o /tmp/peak samples/Benchmarks/native/peak.c && /tmp/peak
 */
#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define TWELVE(op, r) \
    op " %%" r "14,%%" r "15,%%" r "0\n" op " %%" r "14,%%" r "15,%%" r "1\n" op " %%" r "14,%%" r "15,%%" r "2\n" \
    op " %%" r "14,%%" r "15,%%" r "3\n" op " %%" r "14,%%" r "15,%%" r "4\n" op " %%" r "14,%%" r "15,%%" r "5\n" \
    op " %%" r "14,%%" r "15,%%" r "6\n" op " %%" r "14,%%" r "15,%%" r "7\n" op " %%" r "14,%%" r "15,%%" r "8\n" \
    op " %%" r "14,%%" r "15,%%" r "9\n" op " %%" r "14,%%" r "15,%%" r "10\n" op " %%" r "14,%%" r "15,%%" r "11\n"
#define CLOBBER "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11"
#define RATE(name, text, macs)                                                                              \
    do                                                                                                      \
    {                                                                                                       \
        double t0 = now();                                                                                  \
        for (long i = 0; i < m; i++)                                                                        \
        {                                                                                                   \
            __asm__ volatile(text ::: CLOBBER);                                                             \
        }                                                                                                   \
        double per_ns = 12.0 * m / (now() - t0) / 1e9;                                                      \
        printf("%-24s %5.2f per ns  %5.2f per cycle  %6.1f G multiply-adds/s\n", name, per_ns, per_ns / ghz, \
            per_ns * (macs));                                                                               \
    } while (0)

int main(void)
{
    long n = 1000000000, m = 100000000;
    long x = 0;
    double t0 = now();
    for (long i = 0; i < n; i++)
    {
        __asm__ volatile("add $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0" : "+r"(x));
    }

    double ghz = 4.0 * n / (now() - t0) / 1e9;
    printf("core clock               %.2f GHz (dependent adds)\n", ghz);
    RATE("vpdpbusd ymm (u8 x s8)", TWELVE("vpdpbusd", "ymm"), 32);
    RATE("vpdpbusd zmm (u8 x s8)", TWELVE("vpdpbusd", "zmm"), 64);
    RATE("vpmaddwd zmm (s16 pairs)", TWELVE("vpmaddwd", "zmm"), 32);
    RATE("vfmadd231ps zmm (fp32)", TWELVE("vfmadd231ps", "zmm"), 16);
    return 0;
}

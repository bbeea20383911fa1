using System;
using System.Diagnostics;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `gemm-probe`: GMAC/s of the Dense VNNI GEMM on the shapes of ResNet-8's 3x3 convs (1024 / 256 / 64 rows, K = 9 * C)
    /// for 8 to 64 output channels (and the narrow conv tiles for 8 and 16), Stopwatch medians in one process: how much the
    /// channel count of a conv costs the tile.
    /// </summary>
    public static class GemmProbe
    {
        public static int Run()
        {
            foreach ((int rows, int k) in new[] { (1024, 144), (256, 288), (64, 576), (125, 64) })
            {
                foreach (int n in new[] { 8, 16, 32, 64 })
                {
                    int kq = (k + 3) / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
                    var rng = new Random(1);
                    var a = new sbyte[rows * kq * 4];
                    var w = new sbyte[kq * np8 * 4];
                    rng.NextBytes((byte[])(object)a);
                    rng.NextBytes((byte[])(object)w);
                    var bias = new int[np16];
                    var mul = new long[np16];
                    var round = new long[np16];
                    var shift = new long[np16];
                    for (int o = 0; o < np16; o++)
                    {
                        mul[o] = 1 << 20;
                        shift[o] = 36;
                        round[o] = 1L << 35;
                    }

                    var y = new sbyte[rows * n];
                    void Call() => QuantGenKernels.GemmVnni(ref a[0], rows, kq * 4, ref w[0], kq, np8, n, ref bias[0], ref System.Runtime.CompilerServices.Unsafe.NullRef<int>(),
                        ref mul[0], ref round[0], ref shift[0], 0, -128, 127, ref y[0], n);
                    double us = Check.Time(Call);
                    Console.WriteLine($"rows {rows,5} K {k,4} n {n,3}: {us,8:F2} us  {(double)rows * k * n / us / 1000,6:F1} GMAC/s  GemmVnni");
                    if (n <= 16)
                    {
                        void Narrow() => QuantGenConvKernels.ConvGemmNarrow(ref a[0], rows, kq * 4, ref w[0], kq, np8, n, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, ref y[0], n);
                        us = Check.Time(Narrow);
                        Console.WriteLine($"rows {rows,5} K {k,4} n {n,3}: {us,8:F2} us  {(double)rows * k * n / us / 1000,6:F1} GMAC/s  ConvGemmNarrow");
                    }
                }
            }

            return 0;
        }
    }
}

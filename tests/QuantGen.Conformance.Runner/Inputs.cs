using System;
using System.Collections.Generic;
using QuantGen.Graph;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// Integer test inputs over the whole declared input range (the quantized bounds the range analysis starts from, which
    /// generated code enforces): all min, all max, alternating extremes, zero point, then seeded random.
    /// </summary>
    public static class Inputs
    {
        public static List<int[]> For(ModelGraph g, int random, int seed = 20261205)
        {
            TensorInfo x = g.Input;
            int n = x.ElementCount;
            int lo = (int)RangeAnalysis.QuantizeBound(g.Spec.Input.RangeMin, x.Quant!), hi = (int)RangeAnalysis.QuantizeBound(g.Spec.Input.RangeMax, x.Quant!);
            int zp = (int)Math.Max(lo, Math.Min(hi, x.Quant!.ZeroPoint));
            var list = new List<int[]>
            {
                Fill(n, _ => lo),
                Fill(n, _ => hi),
                Fill(n, i => i % 2 == 0 ? lo : hi),
                Fill(n, i => i % 2 == 0 ? hi : lo),
                Fill(n, _ => zp),
            };
            var rng = new Random(seed);
            for (int s = 0; s < random; s++)
            {
                list.Add(Fill(n, _ => rng.Next(lo, hi + 1)));
            }

            return list;
        }

        private static int[] Fill(int n, Func<int, int> f)
        {
            var a = new int[n];
            for (int i = 0; i < n; i++)
            {
                a[i] = f(i);
            }

            return a;
        }
    }
}

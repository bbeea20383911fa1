using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Quantization;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    public sealed class MixedPrecisionTests
    {
        private readonly ITestOutputHelper output;

        public MixedPrecisionTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        [Fact]
        public void KnapsackEqualsBruteForceOnRandomInstances()
        {
            var rng = new Random(7);
            for (int t = 0; t < 300; t++)
            {
                int n = 1 + rng.Next(9);
                long[] p = Enumerable.Range(0, n).Select(_ => (long)(1 + rng.Next(300))).ToArray();
                double[] c = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 10 - (rng.Next(10) == 0 ? 1 : 0)).ToArray();
                long budget = (long)(p.Sum() * 8 * (0.45 + rng.NextDouble() * 0.6));
                bool[]? got = MixedPrecision.Allocate(p, c, budget);
                double best = double.PositiveInfinity;
                for (int mask = 0; mask < 1 << n; mask++)
                {
                    long size = 0;
                    double cost = 0;
                    for (int i = 0; i < n; i++)
                    {
                        bool four = (mask & (1 << i)) != 0;
                        size += p[i] * (four ? 4 : 8);
                        cost += four ? c[i] : 0;
                    }

                    if (size <= budget)
                    {
                        best = Math.Min(best, cost);
                    }
                }

                if (double.IsPositiveInfinity(best))
                {
                    Assert.Null(got);
                    continue;
                }

                Assert.NotNull(got);
                long gotSize = Enumerable.Range(0, n).Sum(i => p[i] * (got![i] ? 4 : 8));
                double gotCost = Enumerable.Range(0, n).Sum(i => got![i] ? c[i] : 0);
                Assert.True(gotSize <= budget, $"size {gotSize} > budget {budget}");
                Assert.True(Math.Abs(gotCost - best) < 1e-9, $"cost {gotCost} vs optimum {best}");
            }
        }

        [Fact]
        public void HandComputedAllocation()
        {
            // fc1 8192, fc2 8192, fc3 640 weights; budget 12,800 bytes needs 4,224 bytes saved: one big layer (4,096)
            // is not enough. Costs 0.5 / 0.2 / 0.1: {fc2, fc3} = 0.3 beats {fc1, fc2} = 0.7 and {fc1, fc3} = 0.6.
            bool[]? a = MixedPrecision.Allocate(new long[] { 8192, 8192, 640 }, new[] { 0.5, 0.2, 0.1 }, 12800 * 8);
            Assert.Equal(new[] { false, true, true }, a);
            // Costs 0.5 / 0.2 / 0.9: {fc1, fc2} = 0.7 beats {fc2, fc3} = 1.1.
            Assert.Equal(new[] { true, true, false }, MixedPrecision.Allocate(new long[] { 8192, 8192, 640 }, new[] { 0.5, 0.2, 0.9 }, 12800 * 8));
            Assert.Equal(new[] { false, false, false }, MixedPrecision.Allocate(new long[] { 8192, 8192, 640 }, new[] { 0.5, 0.2, 0.9 }, 17024 * 8));
            Assert.Null(MixedPrecision.Allocate(new long[] { 8192, 8192, 640 }, new[] { 0.5, 0.2, 0.9 }, 8000 * 8));
        }

        private static int Accuracy(QuantizedModel q)
        {
            var oracle = new ReferenceInterpreter(q.Graph);
            return Fixtures.Test.Count(s => Fixtures.ArgMax(oracle.Dequantize(oracle.Run(oracle.Quantize(s.Features)))) == s.Label);
        }

        [Theory]
        [InlineData("mlp_float.onnx", 12800, 439, 439, 438)]
        [InlineData("vit_float.onnx", 1800, 414, 411, 401)]
        public void AllocationMeetsTheBudgetWithMeasuredAccuracy(string file, int budgetBytes, int expect8, int expectMixed, int expect4)
        {
            List<float[]> calib = Fixtures.Train.Select(s => s.Features).ToList();
            List<float[]> eval = Fixtures.Train.Where((_, i) => i % 4 == 0).Select(s => s.Features).ToList();
            OnnxImportResult imported = OnnxImporter.ImportFloat(Fixtures.Model(file), calib);
            ModelGraph fg = imported.FloatGraph;
            MixedPrecisionPlan plan = MixedPrecision.Plan(fg, calib, eval, budgetBytes * 8L);
            output.WriteLine(plan.ToMarkdown());
            Assert.True(plan.SizeBits <= budgetBytes * 8L);
            Assert.Contains(4, plan.Bits.Values);
            Assert.Contains(8, plan.Bits.Values);

            int acc8 = Accuracy(imported.Model);
            int accMixed = Accuracy(PostTrainingQuantizer.Quantize(MixedPrecision.WithWeightBits(fg, plan.Bits), calib));
            int acc4 = Accuracy(PostTrainingQuantizer.Quantize(MixedPrecision.WithWeightBits(fg, plan.Bits.ToDictionary(kv => kv.Key, kv => 4)), calib));
            output.WriteLine($"{file}: test accuracy W8A8 {acc8}/450, mixed {accMixed}/450 ({plan.SizeBits / 8} bytes), W4A8 everywhere {acc4}/450 ({plan.Size8Bits / 16} bytes)");
            Assert.Equal((expect8, expectMixed, expect4), (acc8, accMixed, acc4));
        }
    }
}

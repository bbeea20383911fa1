using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Quantization;
using QuantGen.Tests.Conformance;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// Issue 13 item 4, attention at real lengths: DeiT's 197-token Shiftmax rows with narrow logits. At I-ViT's n = 15 the
    /// int32 row sum 197 * (-x0) * 2^15 overflows once the logits' scale is below ~0.003 (QG1019, the sum saturated);
    /// the quantizer now lowers n for that layer until the sum fits, and the range analysis proves it.
    /// </summary>
    public class ZooAttentionTests
    {
        private readonly ITestOutputHelper output;

        public ZooAttentionTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        [Fact]
        public void NarrowLogitsAt197TokensFitInt32AndStayCloseToSoftmax()
        {
            CorpusCase c = Corpus.Find("softmax_shiftmax_197_narrow");
            QuantizedModel q = Corpus.Quantize(c);
            var sm = (SoftmaxLayer)q.Graph.Nodes.Single().Layer;
            ShiftmaxParams p = sm.Integers.Shiftmax;
            int length = 197;
            output.WriteLine($"input scale {q.Graph.Input.Quant!.Scale:G4}: x0 = {p.X0}, n = {p.N} (wanted 15), largest row sum {(long)length * -p.X0 << p.N}");
            Assert.True(p.N < 15, "n was not lowered");
            Assert.True(((long)length * -p.X0) << p.N <= Shiftmax.FittedSumBound);
            Assert.True(((long)length * -p.X0) << (p.N + 1) > Shiftmax.FittedSumBound, "n is lower than it needs to be");

            // The range analysis proves it: no QG1019. With the old n = 15 it reports the overflow.
            var diagnostics = new List<ModelDiagnostic>();
            Assert.NotNull(RangeAnalysis.Analyze(q.Graph, diagnostics));
            Assert.DoesNotContain(diagnostics, d => d.Id == ModelErrors.PossibleOverflow);
            // The same model with n = 15 (the spec's Softmax given the old record, then rebuilt): it overflows.
            int at = q.Spec.Layers.FindIndex(l => l.Name == sm.Name);
            LayerSpec fitted = q.Spec.Layers[at];
            q.Spec.Layers[at] = fitted.WithIntegers(new SoftmaxIntegers(new ShiftmaxParams(p.X0, 15, p.OutBits)));
            var old = new List<ModelDiagnostic>();
            ModelGraph? graph15 = GraphBuilder.Build(q.Spec, q.Weights, "softmax_197.safetensors", old);
            q.Spec.Layers[at] = fitted;
            Assert.NotNull(graph15);
            RangeAnalysis.Analyze(graph15!, old);
            Assert.Contains(old, d => d.Id == ModelErrors.PossibleOverflow && d.Message.Contains("row sum", StringComparison.Ordinal));

            // Error against float softmax on the calibration distribution and the extremes, and what the saturated n = 15
            // sum gave: the probabilities' total overshoots 1.
            var reference = new ReferenceInterpreter(q.Graph);
            double scale = Shiftmax.OutputScale(p.OutBits), inScale = q.Graph.Input.Quant.Scale;
            double maxErr = 0, maxErrOld = 0, worstTotalOld = 0, worstTotal = 0;
            foreach (int[] x in Inputs.For(q.Graph, 20))
            {
                int[] y = reference.Run(x);
                var yOld = new int[y.Length];
                for (int r = 0; r < 2; r++)
                {
                    double[] logits = x.Skip(r * length).Take(length).Select(v => (v - q.Graph.Input.Quant.ZeroPoint) * inScale).ToArray();
                    var f = new double[length];
                    FloatReference.Softmax(logits, 0, length, f, 0);
                    Shiftmax.Row(x.Select(v => (int)(v - q.Graph.Input.Quant.ZeroPoint)).ToArray(), r * length, length, new ShiftmaxParams(p.X0, 15, p.OutBits), yOld, r * length);
                    for (int i = 0; i < length; i++)
                    {
                        maxErr = Math.Max(maxErr, Math.Abs((y[(r * length) + i] * scale) - f[i]));
                        maxErrOld = Math.Max(maxErrOld, Math.Abs((yOld[(r * length) + i] * scale) - f[i]));
                    }

                    worstTotalOld = Math.Max(worstTotalOld, yOld.Skip(r * length).Take(length).Sum() * scale);
                    worstTotal = Math.Max(worstTotal, Math.Abs(1 - (y.Skip(r * length).Take(length).Sum() * scale)));
                }
            }

            output.WriteLine($"max |probability error| vs float softmax: {maxErr:G3} (n = {p.N}), row totals within {worstTotal:G3} of 1; the saturated n = 15 sum: {maxErrOld:G3}, row total up to {worstTotalOld:G4}");
            Assert.True(maxErr <= 4e-4, $"error {maxErr}");           // measured 3.34e-4: ShiftExp's 1 + r/2 for 2^r
            Assert.True(worstTotal <= 0.02, $"row total off by {worstTotal}");
            Assert.True(maxErrOld > 4 * maxErr && worstTotalOld > 1.2, "the old saturation was not worse");
        }

        [Theory]
        [InlineData(-426, 197, 255, 15, 6)] // int8 logits at scale ~0.00235: 197 * 426 * 2^6 <= 2^23
        [InlineData(-332, 197, 255, 15, 15)] // 197 * 332 * 2^15 fits int32: unchanged
        [InlineData(-333, 197, 255, 15, 6)]
        [InlineData(-1, 197, 255, 15, 15)]
        [InlineData(-1_073_741_824, 197, 255, 30, 30)] // the largest x0 and n: nothing overflows while testing
        [InlineData(-40_000, 197, 255, 15, 15)] // n = 0 would meet ShiftExp's floor, n = 1 exceeds 2^23: QG1019 stays
        [InlineData(-426, 197, 65_535, 15, 15)] // int16 logits: every n below 15 meets the floor: QG1019 stays
        [InlineData(-426, 16, 255, 15, 15)]
        public void FittingNIsTheLargestNThatKeepsEightBitsOfDivisionAndNeverMeetsTheFloor(int x0, int length, long span, int wanted, int n)
        {
            Assert.Equal(n, Shiftmax.FittingN(x0, length, span, wanted));
        }
    }
}

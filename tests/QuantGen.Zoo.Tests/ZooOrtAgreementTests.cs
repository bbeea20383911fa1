using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Interpreters;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Samples.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// Every imported zoo file against ONNX Runtime on the same file, <see cref="ZooRun.OrtInputs"/> inputs each (issue 13:
    /// top-1 agreement >= 99 % for the CNNs and MLPs, >= 97 % for the transformers; integer outputs within 1 LSB where ORT
    /// computes the same integers). Float exports compare QuantGen's W8A8 model (DeiT-Tiny's: W8A16 with 8-bit attention,
    /// ZooEntry.ActivationBits; post-training quantized on 32 fixed training samples) with ORT's float model: top-1 only, the
    /// output scale is QuantGen's own.
    /// </summary>
    public class ZooOrtAgreementTests
    {
        private readonly ITestOutputHelper output;

        public ZooOrtAgreementTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        public static IEnumerable<object[]> Files => ZooCatalog.Entries().Select(e => new object[] { e.File });

        [Theory]
        [MemberData(nameof(Files))]
        public void AgreesWithOnnxRuntime(string file)
        {
            OrtOutcome o = ZooRun.Ort(file);
            output.WriteLine($"{file}: {o}");
            Assert.True(o.Inputs >= ZooRun.OrtInputs, $"{o.Inputs} inputs");
            ZooEntry e = ZooCatalog.Entries().First(x => x.File == file);
            if (o.Classifier && !e.IsTransformer)
            {
                // Issue 13 asks >= 99 %. MobileNetV1's float exports at W8A8 (the post-training quantizer against ORT's float run)
                // met it only once the fixture was trained to decided logits: with 4 epochs (90.9 % float accuracy) 98/100 and
                // 348/360, and ORT's own quantize_static of that file agreed with
                // ORT float on 349/360; trained 16 epochs (95.8 %; make_zoo.py, session 14) 99/100 and 446/450
                // (samples/Zoo --only mobilenet_v1_float13 --inputs 450, 2026-12-06). Every other CNN/MLP file meets it.
                double needed = 0.99;
                Assert.True(o.Top1Same >= needed * o.Inputs, $"top-1 {o.Top1Same}/{o.Inputs}");
            }
            else if (o.Classifier)
            {
                // Issue 13: >= 97 % for transformers. Both are trained, so their logits are decided and integer Shiftmax,
                // ShiftGELU, LayerNorm and tanh against ORT's float ones keep the top class.
                // BERT-tiny (make_zoo.py, digits as pixel tokens): met since Add and Sub round once (as ORT's QLinearAdd): the float
                // exports' W8A8 (post-training quantized) model agrees with ORT float on 97/100 (96/100 with the two-rounding Add
                // after the exact-centring LayerNorm), the ortqdq file on 100/100 (samples/Zoo --only bert --inputs 100, 2026-12-05).
                // DeiT-Tiny: trained whole since session 16 (15 + 10 epochs, 92.0 % float accuracy on the 450 test digits): the
                // ortqdq file 99/100 here (outputs 99.996 % within 1 LSB, max 2; this test, 2026-12-07) and 449/450 on the whole
                // test split (samples/Zoo --only deit_tiny_ortqdq --inputs 450); the 15-epoch fixture of session 15 97/100 and
                // 435/450. Its float exports (QUANTGEN_ZOO_DEIT_FLOAT=1, W8A16 with 8-bit attention: ZooEntry.ActivationBits):
                // docs/import.md. The random-backbone fixture until session 14 reached 64/100: ORT itself kept its top-1 on only
                // 70/100 under +-1/2 LSB input noise (now 98/100, DeitTopOneIsStableUnderOneLsbInputNoise), so no integer
                // implementation could agree with it.
                double needed = 0.97;
                Assert.True(o.Top1Same >= needed * o.Inputs, $"top-1 {o.Top1Same}/{o.Inputs}");
            }

            if (o.VersusFloat || o.SoftmaxOutput || e.IsTransformer)
            {
                // W8A8 against float; Shiftmax's int16 probabilities against ORT's uint8 softmax; a transformer's +-1 LSB
                // per layer accumulated over its blocks (and ORT's float LayerNorm against I-LayerNorm): top-1 is the measure.
                return;
            }

            // ORT requantizes every layer in float (round half to even), QuantGen with dyadic multipliers: +-1 LSB per layer,
            // which the next layers carry to the output. Measured at the output on these inputs: the MLPs, DS-CNN and
            // ResNet-8 p99 <= 2 (torch's QAT export, whose Div/Add/BatchNormalization chains ORT evaluates in float, included);
            // MobileNetV1's 28 stacked layers p99 2 (convert, ortqdq) and 4 (qat; the fixture trained 4 epochs, until session 14:
            // 5 and 8). Per-layer +-1 LSB is not checked here.
            long bound = e.Model == ZooCatalog.MobileNetV1 && e.Export == "qat" ? 4 : 2;
            Assert.True(o.P99Lsb <= bound, $"p99 {o.P99Lsb} LSB (max {o.MaxLsb}, {o.Within1Lsb:P2} within 1 LSB)");
        }

        /// <summary>
        /// MobileNetV1's float export quantized with 16-bit activations (weights 8-bit, per channel) and bias correction (Dense
        /// and Conv2d): top-1 against ORT's float run of the same file on the <see cref="ZooRun.OrtInputs"/> test digits reaches
        /// the issue's 99 % (on the fixture trained 4 epochs 357/360 on 360 inputs, where W8A8 gave 98/100 and 348/360; the
        /// fixture trained 16 epochs meets it at W8A8 too).
        /// </summary>
        [Fact]
        public void MobileNetWithSixteenBitActivationsMeetsTheIssuesAgreement()
        {
            ZooEntry e = ZooCatalog.Entries().First(x => x.Model == ZooCatalog.MobileNetV1 && x.Export == "float13");
            ZooImport im = ZooCatalog.Import(e, new QuantGen.Quantization.QuantizationOptions { BiasCorrection = true }, ZooCatalog.CalibrationSamples, 16);
            Assert.NotNull(im.Model);
            ModelGraph g = im.Model!.Graph;
            Assert.All(g.Nodes.Where(n => n.Layer.Op == OpKind.Conv2d), n => Assert.Equal(ElementType.Int16, n.Output.Type));
            var reference = new ReferenceInterpreter(g);
            using var ort = new ZooOrt(ZooCatalog.PathOf(e), e.Model);
            int same = 0;
            List<(float[] Input, int Label)> data = ZooCatalog.Data(e.Model, "test", ZooRun.OrtInputs);
            foreach ((float[] x, _) in data)
            {
                double[] q = reference.Dequantize(reference.RunMany(ZooCatalog.Quantize(g, x)).SelectMany(y => y).ToArray());
                float[] f = ort.Run(x);
                same += ArgMax(q) == ArgMax(f.Select(v => (double)v).ToArray()) ? 1 : 0;
            }

            output.WriteLine($"mobilenet_v1_float13 W8A16 + bias correction: top-1 {same}/{data.Count} with ORT float");
            Assert.Equal(ZooRun.OrtInputs, data.Count);
            Assert.True(same >= 0.99 * data.Count, $"top-1 {same}/{data.Count}");
        }

        private static int ArgMax(double[] v)
        {
            int best = 0;
            for (int i = 1; i < v.Length; i++)
            {
                if (v[i] > v[best])
                {
                    best = i;
                }
            }

            return best;
        }

        /// <summary>
        /// How decided the zoo DeiT-Tiny's logits are in ONNX Runtime on the <see cref="ZooRun.OrtInputs"/> test digits: the gap
        /// between ORT's two largest output integers (output LSB), as a histogram, and ORT's own top-1 accuracy on the labels.
        /// A top-1 flip between QuantGen and ORT needs a gap no larger than the accumulated +-1 LSB differences.
        /// </summary>
        [Fact]
        public void DeitLogitsAreDecidedInOnnxRuntime()
        {
            ZooEntry e = ZooCatalog.Entries().First(x => x.Model == ZooCatalog.DeitTiny && x.Export == "ortqdq");
            ZooImport im = ZooCatalog.Import(e);
            Assert.NotNull(im.Model);
            TensorQuant oq = new ReferenceInterpreter(im.Model!.Graph).OutputQuant;
            using var ort = new ZooOrt(ZooCatalog.PathOf(e), e.Model.Shape);
            var gaps = new List<long>();
            int correct = 0;
            foreach ((float[] x, int label) in ZooCatalog.Data(e.Model, "test", ZooRun.OrtInputs))
            {
                long[] q = ort.Run(x).Select(v => (long)Math.Round(v / oq.Scale, MidpointRounding.ToEven)).ToArray();
                int top = Array.IndexOf(q, q.Max());
                correct += top == label ? 1 : 0;
                gaps.Add(q[top] - q.Where((_, i) => i != top).Max());
            }

            var buckets = new (string Name, long Lo, long Hi)[] { ("0", 0, 0), ("1", 1, 1), ("2", 2, 2), ("3-4", 3, 4), ("5-8", 5, 8), ("9-16", 9, 16), ("17-32", 17, 32), (">32", 33, long.MaxValue) };
            output.WriteLine($"ORT top-1 accuracy on the labels {correct}/{gaps.Count}; top-2 gap (output LSB, scale {oq.Scale.ToString("G4", CultureInfo.InvariantCulture)}): "
                + string.Join(", ", buckets.Select(b => $"{b.Name}: {gaps.Count(g => g >= b.Lo && g <= b.Hi)}")) + $"; median {gaps.OrderBy(g => g).ElementAt(gaps.Count / 2)}");
            Assert.Equal(ZooRun.OrtInputs, gaps.Count);
            Assert.True(correct >= DeitOrtCorrectPin, $"ORT top-1 accuracy {correct}/{gaps.Count}");
            Assert.True(gaps.Count(g => g <= 1) <= DeitGapAtMostOneLsbPin, $"{gaps.Count(g => g <= 1)} inputs with a top-2 gap <= 1 LSB");
        }

        /// <summary>
        /// How stable the zoo DeiT-Tiny's decisions are: ORT against ORT on the same test digits with every pixel moved by
        /// noise uniform in +-1/2 input LSB (about a sixth of the input integers change by 1, the size of the +-1 LSB that
        /// QuantGen's dyadic requantization and ORT's float one differ by in every layer). If ORT does not keep its own top-1
        /// under this, no integer implementation that differs from ORT by +-1 LSB per layer can reach 97 % agreement with it:
        /// the random-backbone fixture until session 14 kept 70/100; the fixture trained whole keeps 98/100.
        /// </summary>
        [Fact]
        public void DeitTopOneIsStableUnderOneLsbInputNoise()
        {
            ZooEntry e = ZooCatalog.Entries().First(x => x.Model == ZooCatalog.DeitTiny && x.Export == "ortqdq");
            ZooImport im = ZooCatalog.Import(e);
            Assert.NotNull(im.Model);
            double s = im.Model!.Graph.Input.Quant!.Scale;
            using var ort = new ZooOrt(ZooCatalog.PathOf(e), e.Model.Shape);
            var rng = new Random(13);
            int same = 0, count = 0, changed = 0, total = 0;
            foreach ((float[] x, _) in ZooCatalog.Data(e.Model, "test", ZooRun.OrtInputs))
            {
                float[] a = ort.Run(x);
                float[] xn = x.Select(v => (float)(v + (s * (rng.NextDouble() - 0.5)))).ToArray();
                int[] q0 = ZooCatalog.Quantize(im.Model.Graph, x)[0], q1 = ZooCatalog.Quantize(im.Model.Graph, xn)[0];
                changed += q0.Zip(q1, (u, v) => u != v ? 1 : 0).Sum();
                total += q0.Length;
                float[] b = ort.Run(xn);
                same += Array.IndexOf(a, a.Max()) == Array.IndexOf(b, b.Max()) ? 1 : 0;
                count++;
            }

            output.WriteLine($"ORT vs ORT under +-1/2 LSB input noise: top-1 same on {same}/{count}; {100.0 * changed / total:F1} % of the input integers changed");
            Assert.Equal(ZooRun.OrtInputs, count);
            Assert.True(same >= DeitSelfAgreementPin, $"ORT kept its own top-1 on {same}/{count} noisy inputs");
        }

        /// <summary>ORT's accuracy on the first 100 test digits, measured on the committed file (session 16; 75/100 with the 15-epoch fixture): 88/100.</summary>
        private const int DeitOrtCorrectPin = 88;

        /// <summary>
        /// Measured on the committed file (session 16): inputs whose ORT top-2 gap is at most 1 output LSB: 2 (gap 0: 1, 1: 1,
        /// 2: 0, 3-4: 1, 5-8: 1, 9-16: 4, 17-32: 9, >32: 83; median 69; the 15-epoch fixture: none, median 45; the
        /// random-backbone fixture: 4, gap 0: 2, 1: 2).
        /// </summary>
        private const int DeitGapAtMostOneLsbPin = 2;

        /// <summary>
        /// Measured on the committed file (session 16): ORT's own top-1 kept under +-1/2 LSB input noise on 98/100 (seed 13; 17.3 %
        /// of the input integers changed; the 15-epoch fixture: 99/100).
        /// </summary>
        private const int DeitSelfAgreementPin = 98;
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Plan;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// The CPU plan's Add -> ReLU fusion (AddLowering.FusedRelu): the int8 Add clamps to [max(lo, zx), hi] and the ReLU's
    /// output shares the Add's buffer, only where the ReLU is the Add's one reader and neither tensor is a graph output.
    /// Bit-exactness of the fused code is the conformance corpus's (conv_nhwc_residual_block on every SIMD path) and the
    /// zoo's (ResNet-8); these tests pin where the plan fuses and where it must not.
    /// </summary>
    public class AddReluFusionTests
    {
        [Fact]
        public void TheResidualBlocksReluTakesTheAddsClampAndShareItsBuffer()
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find("conv_nhwc_residual_block"));
            CpuPlan plan = Plan(q);
            CpuLayerPlan add = plan.Layers.Single(l => l.Node.Layer.Name == "add"), relu = plan.Layers.Single(l => l.Node.Layer.Name == "relu");
            AddS8Plan a = Assert.IsType<AddS8Plan>(add.Kernel);
            Assert.Equal("relu", a.Relu);
            long zx = relu.Node.Inputs[0].Quant!.ZeroPoint;
            Assert.Equal(Math.Max(-128, zx), a.Lo);
            Assert.IsType<FusedReluPlan>(relu.Kernel);
            Assert.Equal(ReluLowering.FusedKernel, relu.Kernel.Kernel);
            Assert.Equal("add_out", plan.Storage("relu_out"));
            Assert.Equal("add_out", plan.Storage("add_out"));
            Assert.Equal("head_out", plan.Storage("head_out"));

            // The generated Add clamps at the ReLU's zero point, and the arena holds one buffer for the two tensors.
            Assert.NotNull(plan.Arena.Slot("add_out"));
            Assert.Null(plan.Arena.Slot("relu_out"));
            ModelPlan model = ModelPlan.Create(q.Graph, q.Ranges);
            string text = string.Join("\n", CpuBackend.Emit(new CSharpTarget("Fusion", "Model", Array.Empty<string>(), "m.qmodel.json"), model, string.Empty).Files.Select(f => f.Text));
            Assert.Contains($"lo: {zx}, hi: 127", text);
            Assert.Equal(1, CountOf(text, "  add_out\n"));
            Assert.DoesNotContain("  relu_out\n", text);
        }

        [Fact]
        public void AnAddWithAnotherReaderOrAReluAtTheOutputIsNotFused()
        {
            // s = a + b is read by the ReLU and by the second Add: no fusion (the second Add needs s below zx).
            var b = new FloatModelBuilder("add_two_readers", "x", new[] { 1, 4, 5, 5 }, -2, 2, 31);
            string c1 = b.Conv("c1", b.Input, 8, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 1);
            string c2 = b.Conv("c2", b.Input, 8, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1);
            string s = b.Binary(new AddLayer(), "s", c1, c2, new[] { 1, 8, 5, 5 });
            string r = b.Unary(new ReluLayer(), "r", s);
            string t = b.Binary(new AddLayer(), "t", s, r, new[] { 1, 8, 5, 5 });
            string r2 = b.Unary(new ReluLayer(), "r2", t);
            QuantizedModel q = PostTrainingQuantizer.Quantize(b.Build(r2), Corpus.Calibration(b.Build(r2)), new QuantizationOptions());
            CpuPlan plan = Plan(q);
            foreach (string add in new[] { "s", "t" })
            {
                AddS8Plan a = Assert.IsType<AddS8Plan>(plan.Layers.Single(l => l.Node.Layer.Name == add).Kernel);
                Assert.Null(a.Relu);
                Assert.Null(a.Lo);
            }

            foreach (string relu in new[] { "r", "r2" })
            {
                Assert.Equal("int8-max", plan.Layers.Single(l => l.Node.Layer.Name == relu).Kernel.Kernel);
                Assert.Equal(relu + "_out", plan.Storage(relu + "_out"));
            }
        }

        private static CpuPlan Plan(QuantizedModel q)
        {
            var missing = new List<MissingLowering>();
            CpuPlan? plan = CpuPlan.Create(ModelPlan.Create(q.Graph, q.Ranges), CpuLowering.Registry, missing);
            Assert.Empty(missing);
            return plan!;
        }

        private static int CountOf(string text, string part)
        {
            int n = 0;
            for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
            {
                n++;
            }

            return n;
        }
    }
}

using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Plan;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// A conv's plan names QuantGenPointwiseKernels in its Library only where its emission can call GemmVnniHigh: not for a
    /// padded conv the implicit tiles read (their multiply-high store is in QuantGenConvKernels / QuantGenKernels), yes
    /// for an unpadded strided 1x1 conv above 16 channels (im2col + GemmVnniHigh).
    /// </summary>
    public class ConvLibraryPlanTests
    {
        [Fact]
        public void PointwiseKernelsOnlyWhereGemmVnniHighIsReachable()
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find("conv_nhwc_residual_block"));
            var missing = new List<MissingLowering>();
            CpuPlan plan = CpuPlan.Create(ModelPlan.Create(q.Graph, q.Ranges), CpuLowering.Registry, missing)!;
            Assert.Empty(missing);
            ConvPlan Conv(string name) => Assert.IsType<ConvPlan>(plan.Layers.Single(l => l.Node.Layer.Name == name).Kernel);

            // head: 3x3 padded, 20 channels (kw * C a whole number of quads): the implicit tiles.
            ConvPlan head = Conv("head");
            Assert.True(head.MulHigh, "the corpus constants give head the multiply-high proof");
            Assert.Equal(KernelFiles.None, head.Library & KernelFiles.PointwiseKernels);
            Assert.Equal(KernelFiles.ConvKernels, head.Library & KernelFiles.ConvKernels);

            // shortcut: 1x1 stride 2, no pads, 20 channels: im2col + GemmVnniHigh on a channels-last input.
            ConvPlan shortcut = Conv("shortcut");
            Assert.True(shortcut.MulHigh, "the corpus constants give the shortcut the multiply-high proof");
            Assert.Equal(KernelFiles.PointwiseKernels, shortcut.Library & KernelFiles.PointwiseKernels);
        }
    }
}

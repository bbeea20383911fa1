using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Plan;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// The corpus cases for the RGB stem with 8 output channels reach what they are there for: the plan takes the
    /// weight-stationary Stem8 (with the multiply-high proof it needs) and names QuantGenPointwiseKernels, so the conformance
    /// runs (CpuConformanceTests on every SIMD path, ILGPU, HLS) check its integers against the reference interpreter.
    /// </summary>
    public class StemPlanTests
    {
        [Theory]
        [InlineData("conv_stem8_rgb_strided")]
        [InlineData("conv_stem8_rgb_stride1")]
        public void Stem8CasesPlanTheWeightStationaryStem(string name)
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find(name));
            var missing = new List<MissingLowering>();
            CpuPlan plan = CpuPlan.Create(ModelPlan.Create(q.Graph, q.Ranges), CpuLowering.Registry, missing)!;
            Assert.Empty(missing);
            ConvPlan stem = Assert.IsType<ConvPlan>(plan.Layers.Single(l => l.Node.Layer.Name == "stem").Kernel);
            Assert.True(stem.MulHigh, "the corpus constants give the stem the multiply-high proof");
            Assert.True(stem.Stem8);
            Assert.Equal(KernelFiles.PointwiseKernels, stem.Library & KernelFiles.PointwiseKernels);
            Assert.False(stem.StemStack);
        }

        /// <summary>
        /// ResNet-8's stem in small (conv_residual_fused_store: RGB 3x3, pads 1, 16 channels) takes the stacked image
        /// (ConvPlan.StemStack, QuantGenStemKernels), so the conformance runs check it on every SIMD path.
        /// </summary>
        [Fact]
        public void TheSixteenChannelRgbStemPlansTheStackedImage()
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find("conv_residual_fused_store"));
            var missing = new List<MissingLowering>();
            CpuPlan plan = CpuPlan.Create(ModelPlan.Create(q.Graph, q.Ranges), CpuLowering.Registry, missing)!;
            Assert.Empty(missing);
            ConvPlan stem = Assert.IsType<ConvPlan>(plan.Layers.Single(l => l.Node.Layer.Name == "stem").Kernel);
            Assert.True(stem.MulHigh, "the corpus constants give the stem the multiply-high proof");
            Assert.True(stem.StemStack);
            Assert.False(stem.Stem8);
            Assert.Equal(KernelFiles.StemKernels, stem.Library & KernelFiles.StemKernels);
            ConvPlan next = Assert.IsType<ConvPlan>(plan.Layers.Single(l => l.Node.Layer.Name == "b1_conv1").Kernel);
            Assert.False(next.StemStack);
        }

        /// <summary>
        /// The 4 x 32 implicit conv tiles (ConvPlan.Tiles32, QuantGenPointwiseKernels.ConvImplicit32High) are planned for some
        /// corpus case, so the conformance runs check them on every SIMD path, and only where the kernel takes the layer: 32k
        /// output channels, the multiply-high proof, not a Stem8 / StemStack stem, kernel rows of whole quads.
        /// </summary>
        [Fact]
        public void TheFourByThirtyTwoImplicitTilesArePlannedWhereTheKernelTakesThem()
        {
            int planned = 0;
            foreach (CorpusCase c in Corpus.Cases)
            {
                QuantizedModel q = Corpus.Quantize(c);
                var missing = new List<MissingLowering>();
                CpuPlan? plan = CpuPlan.Create(ModelPlan.Create(q.Graph, q.Ranges), CpuLowering.Registry, missing);
                foreach (CpuLayerPlan l in plan?.Layers ?? Enumerable.Empty<CpuLayerPlan>())
                {
                    if (l.Kernel is ConvPlan { Tiles32: true } cp)
                    {
                        planned++;
                        int[] ws = l.Node.Weight!.Shape;
                        int cImg = l.Node.Inputs[0].Shape[1] == 3 ? 4 : l.Node.Inputs[0].Shape[1];
                        Assert.Equal(0, ws[0] % 32);
                        Assert.True(cp.MulHigh && !cp.Stem8 && !cp.StemStack, c.Name + "/" + l.Node.Layer.Name);
                        Assert.Equal(0, ws[3] * cImg % 4);
                        Assert.InRange(ws[2] * ws[3] * cImg / 4, 1, 1024);
                        Assert.Equal(KernelFiles.PointwiseKernels, cp.Library & KernelFiles.PointwiseKernels);
                    }
                }
            }

            Assert.True(planned > 0, "no corpus case plans the 4 x 32 implicit tiles");
        }
    }
}

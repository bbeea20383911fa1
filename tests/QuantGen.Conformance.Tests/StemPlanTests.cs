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
    }
}

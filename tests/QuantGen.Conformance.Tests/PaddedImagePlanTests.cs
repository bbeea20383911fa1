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
    /// The plan's "producer writes the padded u-image" layout (CpuPlan.PaddedImages, Conv2dLowering.PaddedImages): taken for a
    /// pointwise conv whose one reader is a register-quad depthwise layer (batch 1, channels-last, not a graph output), with the
    /// arena slot sized for the window; refused where another layer reads the tensor, where it is a graph output, for a batch of
    /// 2, and where the producer is not a 1x1 GEMM conv. Bit-exactness of the generated code is the conformance and zoo runs'.
    /// </summary>
    public class PaddedImagePlanTests
    {
        [Fact]
        public void TakenForAPointwiseConvWhoseOnlyReaderIsARegisterQuadDepthwiseLayer()
        {
            CpuPlan plan = Plan(Chain(1, extraReader: false, asOutput: false));
            PaddedImage img = Assert.Single(plan.PaddedImages.Values);
            Assert.Equal("pw_out", img.Tensor);
            Assert.Equal((64, 6, 5, 1, 1, 8, 7), (img.C, img.H, img.W, img.Pt, img.Pl, img.Ph, img.Pw));
            Assert.Equal(((8 * 7 * 64) + 64 + 32, (7 + 1) * 64, 2 * 64), (img.Bytes, img.Interior, img.Gap));
            Assert.True(plan.Arena.Slot("pw_out")!.Bytes >= img.Bytes);
            Assert.Same(img, plan.PaddedImageOf(plan.Model.Graph.Nodes.First(n => n.Layer.Name == "dw_b").Inputs[0]));

            // dw_a reads the graph input (NCHW, no producer conv): no image.
            Assert.DoesNotContain("dw_a_out", plan.PaddedImages.Keys);
        }

        [Fact]
        public void RefusedWhereAnotherLayerReadsTheTensor() => Assert.Empty(Plan(Chain(1, extraReader: true, asOutput: false)).PaddedImages);

        [Fact]
        public void RefusedForAGraphOutput() => Assert.Empty(Plan(Chain(1, extraReader: false, asOutput: true)).PaddedImages);

        [Fact]
        public void RefusedForABatchOfTwo() => Assert.Empty(Plan(Chain(2, extraReader: false, asOutput: false)).PaddedImages);

        [Fact]
        public void RefusedForTheCorpusDepthwiseModelsWithABatch()
        {
            // conv_depthwise_quad_regs has pointwise -> register-quad depthwise pairs, but a batch of 2.
            Assert.Empty(Plan(Corpus.Quantize(Corpus.Find("conv_depthwise_quad_regs"))).PaddedImages);
        }

        /// <summary>
        /// x [batch, 32, 6, 5] -> dw_a (3x3, 32) -> pw (1x1, 64) -> dw_b (3x3, 64, pads 1) -> head (1x1, 4); optionally a second reader
        /// of pw_out (a 1x1 conv added to dw_b's output) or pw_out as a second graph output.
        /// </summary>
        private static QuantizedModel Chain(int batch, bool extraReader, bool asOutput)
        {
            var b = new FloatModelBuilder("padded_image_plan", "x", new[] { batch, 32, 6, 5 }, -2, 2, 41);
            string dwa = b.Conv("dw_a", b.Input, 32, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 32, Activation.Relu);
            string pw = b.Conv("pw", dwa, 64, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1, Activation.Relu);
            string dwb = b.Conv("dw_b", pw, 64, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 64, Activation.Relu);
            if (extraReader)
            {
                string side = b.Conv("side", pw, 64, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1);
                dwb = b.Binary(new AddLayer(), "join", dwb, side, b.ShapeOf(dwb));
            }

            string head = b.Conv("head", dwb, 4, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1);
            ModelGraph g = asOutput ? b.Build(head, pw) : b.Build(head);
            return PostTrainingQuantizer.Quantize(g, Corpus.Calibration(g), new QuantizationOptions());
        }

        private static CpuPlan Plan(QuantizedModel q)
        {
            var missing = new List<MissingLowering>();
            CpuPlan? plan = CpuPlan.Create(ModelPlan.Create(q.Graph, q.Ranges), CpuLowering.Registry, missing);
            Assert.Empty(missing);
            return plan!;
        }
    }
}

using System;
using System.IO;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Data;
using QuantGen.Gpu;
using QuantGen.Hls.Lowerings;
using QuantGen.Model;
using QuantGen.Onnx.Import;
using QuantGen.Operators;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// The registry test over every operator x every stage (core stages, C# CPU, ILGPU, HLS), its own test (a registry with
    /// one lowering removed must be reported), and the docs' matrix, which must be what this test prints.
    /// </summary>
    public class RegistryMatrixTests
    {
        private const string DocsFile = "docs/conformance.md";
        private const string Begin = "<!-- matrix: printed by RegistryMatrixTests; QUANTGEN_ACCEPT_BASELINES=1 rewrites it -->";
        private const string End = "<!-- end of matrix -->";

        [Fact]
        public void EveryOperatorHasEveryStage()
        {
            Assert.Empty(StageMatrix.Current.Holes());
        }

        [Theory]
        [InlineData(OpKind.Concat, "C# CPU")]
        [InlineData(OpKind.Dense, "ILGPU")]
        [InlineData(OpKind.Split, "HLS")]
        [InlineData(OpKind.Gather, "ONNX import")]
        [InlineData(OpKind.Softmax, "reference")]
        public void ARemovedLoweringIsAHole(OpKind op, string stage)
        {
            var m = stage switch
            {
                "C# CPU" => new StageMatrix(OperatorRegistry.Core, CpuLowering.Registry.Without(op), GpuLowering.Registry, HlsLowering.Registry, OnnxImportRegistry.Rules),
                "ILGPU" => new StageMatrix(OperatorRegistry.Core, CpuLowering.Registry, GpuLowering.Registry.Without(op), HlsLowering.Registry, OnnxImportRegistry.Rules),
                "ONNX import" => new StageMatrix(OperatorRegistry.Core, CpuLowering.Registry, GpuLowering.Registry, HlsLowering.Registry, OnnxImportRegistry.Rules.Without(op)),
                "HLS" => new StageMatrix(OperatorRegistry.Core, CpuLowering.Registry, GpuLowering.Registry, HlsLowering.Registry.Without(op), OnnxImportRegistry.Rules),
                _ => new StageMatrix(OperatorRegistry.Core.Without(op), CpuLowering.Registry, GpuLowering.Registry, HlsLowering.Registry, OnnxImportRegistry.Rules),
            };
            Assert.Contains(op + ": " + stage, m.Holes());
            if (stage == "reference")
            {
                // Without the operator at all, every core stage of it is a hole, and nothing else.
                Assert.Equal(7, m.Holes().Count);
                Assert.All(m.Holes(), h => Assert.StartsWith(op + ": ", h, StringComparison.Ordinal));
            }
            else
            {
                Assert.Single(m.Holes());
            }
        }

        [Fact]
        public void DocsShowTheCurrentMatrix()
        {
            string path = LabeledDataset.FindUpwards(AppContext.BaseDirectory, DocsFile);
            string text = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
            int b = text.IndexOf(Begin, StringComparison.Ordinal), e = text.IndexOf(End, StringComparison.Ordinal);
            Assert.True(b >= 0 && e > b, DocsFile + " lacks the matrix markers");
            string expected = Begin + "\n\n" + StageMatrix.Current.Markdown() + "\n" + End;
            string actual = text.Substring(b, e + End.Length - b);
            if (actual != expected && Environment.GetEnvironmentVariable("QUANTGEN_ACCEPT_BASELINES") == "1")
            {
                File.WriteAllText(path, text.Substring(0, b) + expected + text.Substring(e + End.Length));
                return;
            }

            Assert.Equal(expected, actual);
        }
    }
}

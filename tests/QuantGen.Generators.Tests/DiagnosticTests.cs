using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;
using GenEmitter = QuantGen.Generators.Emitter;

namespace QuantGen.Tests.Generators
{
    /// <summary>Every generator diagnostic, with its location.</summary>
    public class DiagnosticTests
    {
        private static string CorpusDir => Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "QuantGen.Compiler.Tests", "Corpus");

        /// <summary>The corpus's tiny valid quantized model (Dense 4 -> 2) as /repo/models/tiny.qmodel.json.</summary>
        private static AdditionalText[] Tiny(Func<string, string>? editSpec = null, byte[]? weights = null)
        {
            string spec = File.ReadAllText(Path.Combine(CorpusDir, "valid-quantized", "model.qmodel.json"));
            return new AdditionalText[]
            {
                new MemoryText(GeneratorHarness.ModelsDir + "tiny.qmodel.json", editSpec?.Invoke(spec) ?? spec),
                GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "weights.safetensors", weights ?? File.ReadAllBytes(Path.Combine(CorpusDir, "valid-quantized", "weights.safetensors"))),
            };
        }

        private static Diagnostic Single(GeneratorHarness.Run run, string id)
        {
            Diagnostic d = Assert.Single(run.Diagnostics);
            Assert.Equal(id, d.Id);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            // After a model error only the throwing API surface (*.QuantGen.Stub.g.cs) is added, so calls do not cascade.
            Assert.Empty(run.Result.GeneratedSources.Where(s => s.HintName is not ("QuantGen.Kernels.g.cs" or "QuantGen.ConvKernels.g.cs") && !s.HintName.EndsWith(".QuantGen.Stub.g.cs", StringComparison.Ordinal)));
            return d;
        }

        /// <summary>The source text a diagnostic points at (generator diagnostics carry file locations, not trees).</summary>
        private static string Text(GeneratorHarness.Run run, Diagnostic d) =>
            run.Output.SyntaxTrees.Single(t => t.FilePath == d.Location.GetLineSpan().Path).GetText().ToString(d.Location.SourceSpan);

        [Fact]
        public void ValidTinyModelGeneratesWithoutDiagnostics()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial class Tiny { }", Tiny());
            Assert.Empty(run.Diagnostics);
            Assert.Contains(run.Result.GeneratedSources, s => s.HintName == "Tiny.QuantGen.g.cs");
        }

        [Fact]
        public void QG2001_ModelFileNotFound_AtTheAttributeArgument()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/nope.qmodel.json\")] partial class M { }", Tiny());
            Diagnostic d = Single(run, "QG2001");
            Assert.Equal("\"models/nope.qmodel.json\"", Text(run, d));
            Assert.Contains("<AdditionalFiles Include=\"models/nope.qmodel.json\" />", d.GetMessage(), StringComparison.Ordinal);
        }

        [Fact]
        public void QG2002_WeightsNotEncoded()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial class M { }", Tiny()[0]);
            Diagnostic d = Single(run, "QG2002");
            Assert.Contains("/repo/models/weights.safetensors", d.GetMessage(), StringComparison.Ordinal);
            // What a package user does: list the file; the package's targets are imported automatically, so no targets file is named.
            Assert.Contains("<AdditionalFiles Include=\"path/to/weights.safetensors\" />", d.GetMessage(), StringComparison.Ordinal);
            Assert.Contains("imported automatically", d.GetMessage(), StringComparison.Ordinal);
            Assert.DoesNotContain(".targets", d.GetMessage(), StringComparison.Ordinal);
        }

        /// <summary>
        /// What docs/diagnostics.md says about suppressing QG2xxx errors, checked against the compiler's own filter (the driver
        /// applies it to generator diagnostics): every QG2xxx is an error, yet unlike the compiler's CS errors it is configurable,
        /// so `#pragma warning disable QG2001` marks it suppressed (not counted, not printed), an .editorconfig severity
        /// (`dotnet_diagnostic.QG2001.severity`, which the compiler hands over as the compilation's syntax tree options) and
        /// `NoWarn` (the compilation's specific diagnostic options) change or remove it.
        /// </summary>
        [Fact]
        public void QG2xxxErrors_PragmaSuppresses()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("#pragma warning disable QG2001\n[QuantGen.QuantizedModel(\"models/nope.qmodel.json\")] partial class M { }", Tiny());
            Diagnostic d = Assert.Single(run.Diagnostics);
            Assert.Equal("QG2001", d.Id);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.True(d.IsSuppressed);

            // Without the pragma the same error is reported and not suppressed.
            run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/nope.qmodel.json\")] partial class M { }", Tiny());
            Assert.False(Assert.Single(run.Diagnostics).IsSuppressed);
        }

        [Theory]
        [InlineData(ReportDiagnostic.Suppress, null)]
        [InlineData(ReportDiagnostic.Warn, DiagnosticSeverity.Warning)]
        public void QG2xxxErrors_EditorConfigSeverityApplies(ReportDiagnostic configured, DiagnosticSeverity? expected)
        {
            CSharpCompilation compilation = GeneratorHarness.Compilation("[QuantGen.QuantizedModel(\"models/nope.qmodel.json\")] partial class M { }");
            compilation = compilation.WithOptions(compilation.Options.WithSyntaxTreeOptionsProvider(new EditorConfigSeverity("QG2001", configured)));
            GeneratorHarness.Driver(Tiny()).RunGeneratorsAndUpdateCompilation(compilation, out _, out ImmutableArray<Diagnostic> diagnostics);
            AssertSeverity(diagnostics, expected);
        }

        [Fact]
        public void QG2xxxErrors_NoWarnSuppresses()
        {
            CSharpCompilation compilation = GeneratorHarness.Compilation("[QuantGen.QuantizedModel(\"models/nope.qmodel.json\")] partial class M { }");
            compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(new[] { new KeyValuePair<string, ReportDiagnostic>("QG2001", ReportDiagnostic.Suppress) }));
            GeneratorHarness.Driver(Tiny()).RunGeneratorsAndUpdateCompilation(compilation, out _, out ImmutableArray<Diagnostic> diagnostics);
            AssertSeverity(diagnostics, null);
        }

        private static void AssertSeverity(ImmutableArray<Diagnostic> diagnostics, DiagnosticSeverity? expected)
        {
            var reported = diagnostics.Where(d => !d.IsSuppressed).ToList();
            if (expected == null)
            {
                Assert.Empty(reported);
            }
            else
            {
                Diagnostic d = Assert.Single(reported);
                Assert.Equal("QG2001", d.Id);
                Assert.Equal(expected, d.Severity);
            }
        }

        /// <summary>The compiler's view of `[*.cs] dotnet_diagnostic.ID.severity = ...` in an .editorconfig.</summary>
        private sealed class EditorConfigSeverity : SyntaxTreeOptionsProvider
        {
            private readonly string id;
            private readonly ReportDiagnostic severity;

            public EditorConfigSeverity(string id, ReportDiagnostic severity)
            {
                this.id = id;
                this.severity = severity;
            }

            public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.NotGenerated;

            public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
            {
                severity = this.severity;
                return diagnosticId == id;
            }

            public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
            {
                severity = ReportDiagnostic.Default;
                return false;
            }
        }

        [Fact]
        public void QG2003_ClassNotPartial_AtTheClassName()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] class Solid { }", Tiny());
            Diagnostic d = Single(run, "QG2003");
            Assert.Equal("Solid", Text(run, d));
        }

        [Fact]
        public void QG2004_GenericClass()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial class G<T> { }", Tiny());
            Diagnostic d = Single(run, "QG2004");
            Assert.Equal("G", Text(run, d));
        }

        [Fact]
        public void QG2005_NestedInNonPartialType()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("class Outer { [QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial class Inner { } }", Tiny());
            Diagnostic d = Single(run, "QG2005");
            Assert.Contains("\"Outer\"", d.GetMessage(), StringComparison.Ordinal);
        }

        [Fact]
        public void NestedInPartialTypesGeneratesAndCompiles()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("namespace N { partial class Outer { [QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] internal partial class Inner { } } }", Tiny());
            Assert.Empty(run.Diagnostics);
            Assert.Empty(run.Output.GetDiagnostics().Where(x => x.Severity >= DiagnosticSeverity.Warning));
            Assert.Contains(run.Result.GeneratedSources, s => s.HintName == "N.Outer.Inner.QuantGen.g.cs");
        }

        [Fact]
        public void QG2006_OverrideContradictsTheFile_AtTheOverride()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")][QuantGen.LayerOverride(\"fc\", WeightBits = 4)] partial class M { }", Tiny());
            Diagnostic d = Single(run, "QG2006");
            Assert.Equal("QuantGen.LayerOverride(\"fc\", WeightBits = 4)", Text(run, d));
            Assert.Contains("expects 4-bit weights but the model file has int8 weights", d.GetMessage(), StringComparison.Ordinal);
        }

        [Fact]
        public void QG2006_MethodAndPerChannelAreChecked()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate(
                "[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")][QuantGen.LayerOverride(\"fc\", PerChannel = false, Method = \"ibert\")] partial class M { }", Tiny());
            Assert.Equal(new[] { "QG2006", "QG2006" }, run.Diagnostics.Select(d => d.Id));
            Assert.Contains(run.Diagnostics, d => d.GetMessage().Contains("expects one per-tensor weight scale but the model file has per-channel weight scales", StringComparison.Ordinal));
            Assert.Contains(run.Diagnostics, d => d.GetMessage().Contains("a Dense layer, which has no method", StringComparison.Ordinal));
        }

        [Fact]
        public void QG2007_OverrideOfUnknownLayer()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")][QuantGen.LayerOverride(\"fc9\", ActivationBits = 8)] partial class M { }", Tiny());
            Diagnostic d = Single(run, "QG2007");
            Assert.Contains("its layers are fc", d.GetMessage(), StringComparison.Ordinal);
        }

        [Fact]
        public void QG2008_BitWidthOutOfRange_AtTheNamedArgument()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")][QuantGen.LayerOverride(\"fc\", WeightBits = 1)] partial class M { }", Tiny());
            Diagnostic d = Single(run, "QG2008");
            Assert.Equal("WeightBits = 1", Text(run, d));
        }

        [Fact]
        public void QG2009_EmptyModelPath()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"\")] partial class M { }", Tiny());
            Diagnostic d = Single(run, "QG2009");
            Assert.Equal("\"\"", Text(run, d));
        }

        [Fact]
        public void QG2010_FloatModel()
        {
            AdditionalText[] files =
            {
                new MemoryText(GeneratorHarness.ModelsDir + "digits_mlp.float.qmodel.json", File.ReadAllText(Path.Combine(GeneratorHarness.RepoModels, "digits_mlp.float.qmodel.json"))),
                GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "digits_mlp.float.safetensors", File.ReadAllBytes(Path.Combine(GeneratorHarness.RepoModels, "digits_mlp.float.safetensors"))),
            };
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/digits_mlp.float.qmodel.json\")] partial class M { }", files);
            Diagnostic d = Single(run, "QG2010");
            Assert.Contains("quantize it first", d.GetMessage(), StringComparison.Ordinal);
        }

        [Fact]
        public void QG1002_MalformedSpec_AtItsLineAndColumnInTheModelFile()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial class M { }", Tiny(s => s.Replace("\"kind\": \"quantized\",", "\"kind\": \"quantized\",,")));
            Diagnostic d = Single(run, "QG1002");
            FileLinePositionSpan span = d.Location.GetLineSpan();
            Assert.Equal("/repo/models/tiny.qmodel.json", span.Path);
            Assert.Equal((4, 22), (span.StartLinePosition.Line, span.StartLinePosition.Character)); // the second comma of  "kind": "quantized",,
        }

        [Fact]
        public void QG1006_UnknownOperator_AtTheJsonPath()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial class M { }", Tiny(s => s.Replace("\"op\": \"Dense\"", "\"op\": \"Conv7\"")));
            Diagnostic d = Single(run, "QG1006");
            Assert.Contains("[at $.layers[0].op]", d.GetMessage(), StringComparison.Ordinal);
            Assert.Equal("/repo/models/tiny.qmodel.json", d.Location.GetLineSpan().Path);
        }

        [Fact]
        public void QG1019_PossibleOverflow()
        {
            byte[] weights = SafeTensors.Write(new[]
            {
                TensorCodec.EncodeInts("fc.weight", ElementType.Int8, new[] { 2, 4 }, new[] { 127, 127, 127, 127, 1, 1, 1, 1 }),
                TensorCodec.EncodeInts("fc.bias", ElementType.Int32, new[] { 2 }, new[] { int.MaxValue - 10, 0 }),
            });
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial class M { }", Tiny(weights: weights));
            Diagnostic d = Single(run, "QG1019");
            Assert.Contains("int32 accumulator", d.GetMessage(), StringComparison.Ordinal);
        }

        [Fact]
        public void QG1011_CorruptEncodedWeights()
        {
            AdditionalText[] files = { Tiny()[0], new MemoryText("/repo/obj/quantgen/w.safetensors.b64", "#quantgen-base64 /repo/models/weights.safetensors\n!!!not base64!!!\n") };
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial class M { }", files);
            Diagnostic d = Single(run, "QG1011");
            Assert.Contains("not valid base64", d.GetMessage(), StringComparison.Ordinal);
        }

        [Fact]
        public void Conv2dModelGeneratesWithoutDiagnostics()
        {
            const string spec = """
                {
                  "format": "quantgen", "version": 1, "name": "conv", "kind": "quantized", "weights": "conv.safetensors",
                  "inputs": [{ "name": "x", "shape": [1, 1, 3, 3], "range": [0, 1], "type": "int8", "scale": 0.00392156862745098, "zeroPoint": -128 }],
                  "outputs": ["y"],
                  "initializers": { "w": { "type": "int8", "shape": [1, 1, 2, 2], "scales": [0.01] } },
                  "activations": { "y": { "type": "int8", "scale": 0.05, "zeroPoint": 0 } },
                  "layers": [{ "name": "conv1", "op": "Conv2d", "inputs": ["x"], "output": "y", "weight": "w", "activation": "none",
                               "multipliers": [1684300900], "shifts": [41], "clamp": [-128, 127] }]
                }
                """;
            byte[] weights = SafeTensors.Write(new[] { TensorCodec.EncodeInts("w", ElementType.Int8, new[] { 1, 1, 2, 2 }, new[] { 1, -2, 3, -4 }) });
            GeneratorHarness.Run run = GeneratorHarness.Generate(
                "[QuantGen.QuantizedModel(\"models/conv.qmodel.json\")] partial class M { }",
                new MemoryText(GeneratorHarness.ModelsDir + "conv.qmodel.json", spec),
                GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "conv.safetensors", weights));
            // QG2011 (operator not supported by the generator) is retired: a Conv2d model now generates code that compiles.
            // One input and one output channel with group 1: the int8 GEMM convolution (im2col runs, the Dense VNNI GEMM).
            Assert.Empty(run.Diagnostics);
            string text = run.Result.GeneratedSources.Single(s => s.HintName == "M.QuantGen.g.cs").SourceText.ToString();
            Assert.Contains("QuantGenConvKernels.Im2ColNhwc(", text, StringComparison.Ordinal);
            Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        }

        [Fact]
        public void QG2006_ConvOverridesAreCheckedLikeDense()
        {
            AdditionalText[] files = GeneratorHarness.ModelFiles("digits_cnn");
            GeneratorHarness.Run ok = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/digits_cnn.qmodel.json\")][QuantGen.LayerOverride(\"dw\", WeightBits = 8, PerChannel = true)] partial class M { }", files);
            Assert.Empty(ok.Diagnostics);
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/digits_cnn.qmodel.json\")][QuantGen.LayerOverride(\"dw\", WeightBits = 4)] partial class M { }", files);
            Diagnostic d = Single(run, "QG2006");
            Assert.Contains("expects 4-bit weights but the model file has int8 weights", d.GetMessage(), StringComparison.Ordinal);
            run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/digits_cnn.qmodel.json\")][QuantGen.LayerOverride(\"pool1\", WeightBits = 8)] partial class M { }", files);
            d = Single(run, "QG2006");
            Assert.Contains("a MaxPool2d layer without weights", d.GetMessage(), StringComparison.Ordinal);
        }

        [Fact]
        public void QG2099_UnexpectedFailureBecomesADiagnosticNotACrash()
        {
            GenEmitter.FaultInjection = r => { if (r.Model.Name == "Boom") throw new InvalidOperationException("injected"); };
            try
            {
                GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial class Boom { }", Tiny());
            Diagnostic d = Single(run, "QG2099");
                Assert.Contains("InvalidOperationException: injected", d.GetMessage(), StringComparison.Ordinal);
            }
            finally
            {
                GenEmitter.FaultInjection = null;
            }
        }
    }
}

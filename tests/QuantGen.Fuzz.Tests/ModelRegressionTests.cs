using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using QuantGen.Model;
using QuantGen.Naming;
using Xunit;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>Issue 17 items 2 and 5: what a model file's "weights" may name, and labels that reach generated C#.</summary>
    public sealed class ModelRegressionTests : IDisposable
    {
        private readonly string dir = TestFiles.NewTempFolder("model-reg");

        public void Dispose() => Directory.Delete(dir, true);

        private string Spec(string weights, string? folder = null, Action<JsonNode>? edit = null)
        {
            (_, string spec, byte[] bytes) = TestFiles.BaseModels[0];
            string target = folder ?? dir;
            Directory.CreateDirectory(target);
            File.WriteAllBytes(Path.Combine(target, "weights.safetensors"), bytes);
            JsonNode root = JsonNode.Parse(spec)!;
            root["weights"] = weights;
            edit?.Invoke(root);
            string path = Path.Combine(target, "model.qmodel.json");
            File.WriteAllText(path, root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            return path;
        }

        private static ModelDiagnostic LoadRejected(string spec, string id, ModelLoadOptions? options = null)
        {
            ModelLoadResult r = ModelLoader.Load(spec, options ?? ModelLoadOptions.Default);
            Assert.False(r.Success);
            ModelDiagnostic d = Assert.Single(r.Diagnostics);
            Assert.Equal(id, d.Id);
            return d;
        }

        [Theory]
        [InlineData("/dev/zero")]
        [InlineData("/dev/urandom")]
        [InlineData("../../../../etc/passwd")]
        [InlineData("/etc/passwd")]
        [InlineData("sub")]
        [InlineData(".")]
        public void WeightsMustBeARegularFileInsideTheSpecFolder(string weights)
        {
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            long before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            ModelDiagnostic d = LoadRejected(Spec(weights), ModelErrors.WeightsPathRejected);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < (16 << 20));
            Assert.Equal("$.weights", d.Place);
            Assert.True(d.Line > 0 && d.Column > 0, d.ToString());
            Assert.EndsWith("model.qmodel.json", d.File, StringComparison.Ordinal);
        }

        [Fact]
        public void AFifoNeitherBlocksNorLoads()
        {
            Native.MakeFifo(Path.Combine(dir, "pipe.safetensors"));
            string spec = Spec("pipe.safetensors");
            string? failure = FuzzRunner.RunOne(1, _ => TestFiles.Check(ModelLoader.Load(spec), runBackends: false), 16L << 20, out bool accepted);
            Assert.Null(failure);
            Assert.False(accepted);
            Assert.Equal(ModelErrors.WeightsPathRejected, Assert.Single(ModelLoader.Load(spec).Diagnostics).Id);
        }

        [Fact]
        public void ASymlinkToADeviceIsRejectedAfterOneByte()
        {
            File.CreateSymbolicLink(Path.Combine(dir, "zero.safetensors"), "/dev/zero");
            ModelDiagnostic d = LoadRejected(Spec("zero.safetensors"), ModelErrors.WeightsPathRejected);
            Assert.Contains("regular file", d.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void WeightsBelowTheSpecFolderAreFineAndOutsideNeedTheOptIn()
        {
            Directory.CreateDirectory(Path.Combine(dir, "w"));
            File.WriteAllBytes(Path.Combine(dir, "w", "inner.safetensors"), TestFiles.BaseModels[0].Weights);
            Assert.True(ModelLoader.Load(Spec("w/inner.safetensors")).Success);

            string nested = Path.Combine(dir, "specs");
            string spec = Spec("../w/inner.safetensors", nested);
            LoadRejected(spec, ModelErrors.WeightsPathRejected);
            Assert.True(ModelLoader.Load(spec, new ModelLoadOptions { AllowWeightsOutsideSpecFolder = true }).Success);
        }

        [Fact]
        public void TheSizeCapIsHard()
        {
            ModelDiagnostic d = LoadRejected(Spec("weights.safetensors"), ModelErrors.LimitExceeded, new ModelLoadOptions { MaxWeightsBytes = 100 });
            Assert.Equal("$.weights", d.Place);
        }

        [Fact]
        public void BoundedFileReadsAtMostOneByteOfADevice()
        {
            Assert.Null(BoundedFile.TryRead("/dev/zero", 1 << 30, out BoundedFileProblem p, out _));
            Assert.Equal(BoundedFileProblem.NotRegularFile, p);
            Assert.Null(BoundedFile.TryRead(dir, 100, out p, out _));
            Assert.Equal(BoundedFileProblem.NotRegularFile, p);
            Assert.Null(BoundedFile.TryRead(Path.Combine(dir, "missing"), 100, out p, out _));
            Assert.Equal(BoundedFileProblem.Unreadable, p);
        }

        [Fact]
        public void LabelsWithAnyCharacterLoadAndLongLabelsAreQG1016()
        {
            string[] labels = { "a\nb", "x\u2028y\u2029z\u0085", "\"q\"", "back\\slash", "\0\u0001\u001f\u007f", "é名" };
            string spec = Spec("weights.safetensors", edit: r => r["labels"] = new JsonArray(labels.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()));
            ModelLoadResult ok = ModelLoader.Load(spec);
            Assert.True(ok.Success, string.Join("\n", ok.Diagnostics));
            Assert.Equal(labels, ok.Graph!.Spec.Labels);

            string huge = Spec("weights.safetensors", edit: r => r["labels"] = new JsonArray(JsonValue.Create(new string('x', 10 << 20))));
            ModelDiagnostic d = LoadRejected(huge, ModelErrors.LimitExceeded);
            Assert.Equal("$.labels[0]", d.Place);
        }

        [Theory]
        [InlineData("plain")]
        [InlineData("a\nb\rc")]
        [InlineData("\u2028\u2029\u0085")]
        [InlineData("\"quoted\" and \\ back")]
        [InlineData("\0\u0001\u001f\u007f")]
        [InlineData("\ud800 lone surrogate")]
        [InlineData("é名前 {0} $\"")]
        public void CSharpLiteralIsACompleteAsciiLiteralWithTheSameValue(string s)
        {
            string literal = CSharpLiteral.Quote(s);
            Assert.All(literal, c => Assert.InRange(c, (char)0x20, (char)0x7E));
            var expression = Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ParseExpression(literal);
            Assert.Empty(expression.GetDiagnostics());
            var token = Assert.IsType<Microsoft.CodeAnalysis.CSharp.Syntax.LiteralExpressionSyntax>(expression).Token;
            Assert.Equal(s, token.ValueText);
        }
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using CsCheck;
using QuantGen.Model;
using Xunit;

namespace QuantGen.Tests.Model
{
    /// <summary>
    /// The malformed-model corpus (Corpus/malformed, written once by Corpus/make_corpus.py): every file must be
    /// rejected with the expected diagnostic id at the expected place, without an exception, a hang or an
    /// unbounded allocation.
    /// </summary>
    public class MalformedCorpusTests
    {
        private const long AllocationLimit = 32L * 1024 * 1024;

        public static string CorpusRoot => Path.Combine(AppContext.BaseDirectory, "Corpus");

        public static IEnumerable<object[]> Cases() =>
            Directory.GetDirectories(Path.Combine(CorpusRoot, "malformed")).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).Select(n => new object[] { n! });

        [Fact]
        public void CorpusHasAtLeastThirtyCases() => Assert.True(Cases().Count() >= 30, "the issue asks for at least 30 malformed files");

        [Theory]
        [MemberData(nameof(Cases))]
        public async Task MalformedModelIsRejectedAtTheRightPlace(string name)
        {
            string dir = Path.Combine(CorpusRoot, "malformed", name);
            string[] expect = File.ReadAllLines(Path.Combine(dir, "expect.txt"));
            string spec = Path.Combine(dir, "model.qmodel.json");

            // Run on a worker so a hang fails the test instead of stalling the run; measure that thread's allocations.
            Task<(ModelLoadResult Result, long Allocated)> run = Task.Run(() =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                ModelLoadResult r = ModelLoader.Load(spec);
                return (r, GC.GetAllocatedBytesForCurrentThread() - before);
            });
            Task finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.True(finished == run, $"{name}: loading did not finish (hang)");
            (ModelLoadResult result, long allocated) = await run;

            Assert.False(result.Success, $"{name} was accepted");
            Assert.NotEmpty(result.Diagnostics);
            Assert.True(allocated < AllocationLimit, $"{name}: the loader allocated {allocated} bytes");
            string all = string.Join("\n", result.Diagnostics);
            Assert.True(
                result.Diagnostics.Any(d => d.Id == expect[0] && (expect[1] == "-" || (d.Place ?? string.Empty).Contains(expect[1], StringComparison.Ordinal))),
                $"{name}: expected {expect[0]} at {expect[1]}, got:\n{all}");
            foreach (ModelDiagnostic d in result.Diagnostics)
            {
                Assert.Matches("^QG1[0-9]{3}$", d.Id);
                Assert.False(string.IsNullOrWhiteSpace(d.Message));
                Assert.Contains(Path.GetFileName(d.File), new[] { "model.qmodel.json", "weights.safetensors" });
                Assert.StartsWith(d.File, d.ToString(), StringComparison.Ordinal);
            }
        }

        [Fact]
        public void JsonSyntaxErrorsCarryLineAndColumn()
        {
            ModelLoadResult r = ModelLoader.Load(Path.Combine(CorpusRoot, "malformed", "json-trailing-comma", "model.qmodel.json"));
            ModelDiagnostic d = Assert.Single(r.Diagnostics);
            Assert.Equal(ModelErrors.InvalidJson, d.Id);
            Assert.Equal(1, d.Line);
            Assert.Equal(37, d.Column);
            Assert.EndsWith("model.qmodel.json(1,37): error QG1002: invalid JSON: expected a member name in double quotes", d.ToString(), StringComparison.Ordinal);
        }

        [Fact]
        public void UnknownFieldSuggestsTheClosestName()
        {
            ModelLoadResult r = ModelLoader.Load(Path.Combine(CorpusRoot, "malformed", "unknown-field-typo", "model.qmodel.json"));
            Assert.Contains(r.Diagnostics, d => d.Message.Contains("did you mean \"activation\"?", StringComparison.Ordinal));
        }

        [Theory]
        [InlineData("valid-float")]
        [InlineData("valid-quantized")]
        public void BaselinesOfTheCorpusLoad(string name)
        {
            ModelLoadResult r = ModelLoader.Load(Path.Combine(CorpusRoot, name, "model.qmodel.json"));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
        }

        /// <summary>Random corruption of a valid model (bytes flipped, inserted, cut) never escapes as an exception.</summary>
        [Theory]
        [InlineData("valid-float")]
        [InlineData("valid-quantized")]
        public void RandomCorruptionNeverThrows(string name)
        {
            byte[] spec = File.ReadAllBytes(Path.Combine(CorpusRoot, name, "model.qmodel.json"));
            byte[] weights = File.ReadAllBytes(Path.Combine(CorpusRoot, name, "weights.safetensors"));
            Gen<(bool Spec, int Op, int Pos, byte Value)> mutation = Gen.Select(Gen.Bool, Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.Byte);
            mutation.Array[1, 6].Sample(
                mutations =>
                {
                    byte[] s = spec, w = weights;
                    foreach ((bool onSpec, int op, int pos, byte value) in mutations)
                    {
                        byte[] target = onSpec ? s : w;
                        target = Mutate(target, op, pos, value);
                        if (onSpec)
                        {
                            s = target;
                        }
                        else
                        {
                            w = target;
                        }
                    }

                    ModelLoadResult r = ModelLoader.Load(Encoding.UTF8.GetString(s), "model.qmodel.json", w, "weights.safetensors");
                    return r.Success || r.Diagnostics.Count > 0;
                },
                iter: 3000,
                seed: "0N0XIzNsQ0O2");
        }

        private static byte[] Mutate(byte[] data, int op, int pos, byte value)
        {
            if (data.Length == 0)
            {
                return new[] { value };
            }

            int i = pos % data.Length;
            switch (op)
            {
                case 0:
                {
                    byte[] copy = (byte[])data.Clone();
                    copy[i] = value;
                    return copy;
                }

                case 1:
                    return data.Take(i).Concat(new[] { value }).Concat(data.Skip(i)).ToArray();
                default:
                    return data.Take(i).ToArray();
            }
        }
    }
}

using System;
using System.IO;
using System.Text;
using System.Text.Json.Nodes;
using QuantGen.Model;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>Fuzzing of the model file: spec JSON (structure-aware), the "weights" path, and the safetensors bytes.</summary>
    public sealed class SpecFuzzTests : IDisposable
    {
        private static readonly string[] HostileWeightsPaths =
        {
            "/dev/zero", "/dev/urandom", "/dev/null", "../../../../etc/passwd", "/etc/passwd", ".", "..", "sub", "sub/", "fifo", "zero-link",
            "weights.safetensors/", "", " ", "sub/../weights.safetensors", "./weights.safetensors", "sub/inner.safetensors", "x\0y",
            new string('a', 5000), "C:\\weights.safetensors", "\\\\.\\pipe\\x", "~/weights.safetensors", "weights.safetensors\n",
        };

        private readonly ITestOutputHelper output;
        private readonly string dir = TestFiles.NewTempFolder("spec");

        public SpecFuzzTests(ITestOutputHelper output)
        {
            this.output = output;
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            File.WriteAllBytes(Path.Combine(dir, "sub", "inner.safetensors"), TestFiles.BaseModels[0].Weights);
            Native.MakeFifo(Path.Combine(dir, "fifo"));
            File.CreateSymbolicLink(Path.Combine(dir, "zero-link"), "/dev/zero");
        }

        public void Dispose() => Directory.Delete(dir, true);

        [Fact]
        public void SpecJson()
        {
            FuzzRunner.Run(output, "spec-json", rng => SpecJsonCase(rng, dir));
        }

        /// <summary>One spec-json case, loaded from <paramref name="folder"/> (also replayed from the corpus seeds).</summary>
        public static CaseOutcome SpecJsonCase(Random rng, string folder)
        {
            (string name, string spec, byte[] weights) = rng.Pick(TestFiles.BaseModels);
            string mutated = rng.Next(8) == 0
                ? Mutators.Utf8(Mutators.MutateBytes(rng, Encoding.UTF8.GetBytes(spec)))
                : JsonMutator.Mutate(rng, spec, rng.Next(1, 4));
            return LoadFromDisk(folder, mutated, weights);
        }

        [Fact]
        public void WeightsPath()
        {
            FuzzRunner.Run(output, "weights-path", rng =>
            {
                (string name, string spec, byte[] weights) = rng.Pick(TestFiles.BaseModels);
                JsonNode root = JsonNode.Parse(spec)!;
                root["weights"] = rng.Next(4) == 0 ? Mutators.RandomString(rng) : rng.Pick(HostileWeightsPaths);
                return LoadFromDisk(dir, root.ToJsonString(), weights);
            }, minCases: HostileWeightsPaths.Length);
        }

        [Fact]
        public void SafeTensorsBytes()
        {
            FuzzRunner.Run(output, "safetensors", rng =>
            {
                (string name, string spec, byte[] weights) = rng.Pick(TestFiles.BaseModels);
                byte[] mutated = rng.Next(2) == 0 ? MutateHeader(rng, weights) : Mutators.MutateBytes(rng, weights);
                FuzzRunner.StartMeasuring(mutated.Length + spec.Length);
                return TestFiles.Check(ModelLoader.Load(spec, "model.qmodel.json", mutated, "weights.safetensors"), runBackends: true);
            });
        }

        /// <summary>Mutates the JSON header of a safetensors file structurally and re-frames it (or lies about its length).</summary>
        internal static byte[] MutateHeader(Random rng, byte[] file)
        {
            long headerLength = BitConverter.ToInt64(file, 0);
            string header = Encoding.UTF8.GetString(file, 8, (int)headerLength);
            string mutated = JsonMutator.Mutate(rng, header, rng.Next(1, 3));
            byte[] h = Encoding.UTF8.GetBytes(mutated);
            long declared = rng.Next(6) == 0 ? Mutators.InterestingInteger(rng) : h.Length;
            using var ms = new MemoryStream();
            ms.Write(BitConverter.GetBytes(declared));
            ms.Write(h);
            ms.Write(file, 8 + (int)headerLength, file.Length - 8 - (int)headerLength);
            return ms.ToArray();
        }

        private static CaseOutcome LoadFromDisk(string dir, string spec, byte[] weights)
        {
            string specPath = Path.Combine(dir, "model.qmodel.json");
            File.WriteAllText(specPath, spec);
            File.WriteAllBytes(Path.Combine(dir, "weights.safetensors"), weights);
            FuzzRunner.StartMeasuring(spec.Length + weights.Length);
            return TestFiles.Check(ModelLoader.Load(specPath), runBackends: true);
        }
    }
}

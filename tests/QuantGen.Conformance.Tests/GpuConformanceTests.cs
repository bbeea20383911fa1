using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime.CPU;
using QuantGen.Interpreters;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// Every corpus case, the emitted ILGPU kernels on ILGPU's CPU accelerator (it runs the kernels' .NET IL: the integer
    /// algorithm, not the PTX code generator) against the reference interpreter, as one batch of every input and one by one.
    /// </summary>
    public class GpuConformanceTests
    {
        private static readonly System.Lazy<(Dictionary<string, QuantizedModel> Models, Dictionary<string, CSharpRunner> Runners)> Compiled = new(() =>
        {
            Dictionary<string, QuantizedModel> models = Corpus.Cases.ToDictionary(c => c.Name, Corpus.Quantize);
            return (models, CSharpRunner.CompileAll(models.Select(kv => (kv.Key, kv.Value)), gpu: true));
        });

        public static IEnumerable<object[]> CaseNames => Corpus.Cases.Select(c => new object[] { c.Name });

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void CaseIsBitExactOnTheIlgpuCpuAccelerator(string name)
        {
            QuantizedModel q = Compiled.Value.Models[name];
            var reference = new ReferenceInterpreter(q.Graph);
            CSharpRunner runner = Compiled.Value.Runners[name];
            List<int[]> inputs = Inputs.For(q.Graph, 6);
            using Context context = Context.Create(b => b.CPU());
            using CPUAccelerator accelerator = context.CreateCPUAccelerator(0);
            int[] batched = runner.RunGpu(accelerator, inputs.SelectMany(x => x).ToArray(), inputs.Count);
            int n = q.Graph.Output.ElementCount;
            for (int s = 0; s < inputs.Count; s++)
            {
                Assert.Equal(reference.Run(inputs[s]), batched.Skip(s * n).Take(n).ToArray());
            }

            Assert.Equal(reference.Run(inputs[1]), runner.RunGpu(accelerator, inputs[1], 1));
        }
    }
}

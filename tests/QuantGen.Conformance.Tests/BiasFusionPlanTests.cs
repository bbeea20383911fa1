using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Plan;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>The corpus case for the bias Add fused into a Dense's store reaches the fusion (see <see cref="StemPlanTests"/> for the pattern).</summary>
    public class BiasFusionPlanTests
    {
        /// <summary>
        /// The corpus case of an imported transformer's Linear layers reaches the fused bias Add: both Adds fuse into their
        /// Dense's store (so the conformance runs check GemmVnniHighAddRows and its two-step fallback against the reference
        /// interpreter on every SIMD path), and the Dense outputs live in the Adds' buffers.
        /// </summary>
        [Fact]
        public void DenseBiasCaseFusesEachBiasAddIntoItsDense()
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find("dense_bias_fused"));
            var missing = new List<MissingLowering>();
            CpuPlan plan = CpuPlan.Create(ModelPlan.Create(q.Graph, q.Ranges), CpuLowering.Registry, missing)!;
            Assert.Empty(missing);
            Assert.Equal(new[] { ("fc1", "fc1_bias"), ("fc2", "fc2_bias") }, plan.FusedBiases.Select(f => (f.Dense.Layer.Name, f.Add.Layer.Name)).ToArray());
            foreach (BiasFusion f in plan.FusedBiases)
            {
                Assert.Equal(plan.Storage(f.Add.Output.Name), plan.Storage(f.Dense.Output.Name));
                Assert.True(Assert.IsType<DenseGemmPlan>(plan.Layer(f.Dense).Kernel).MulHigh);
            }
        }
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Plan;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// The corpus case add_wide_constants (issue 13, deitagree): Adds whose float constant is kept as int32 at a scale 2^-21 of
    /// the output's (ResidualAdd.WideConstant, what the QDQ import does for DeiT's position embedding and bias Adds). Its
    /// bit-exactness on every SIMD path, ILGPU and HLS csim is the corpus matrix's; these tests pin that the case reaches the
    /// wide form and the CPU's int32 rows kernel, and that the integers are the correctly rounded sum with the float constant.
    /// </summary>
    public class AddWideConstantTests
    {
        [Fact]
        public void ConstantsAreInt32WithMantissaOneAndTheCpuTakesTheRowsKernel()
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find("add_wide_constants"));
            var missing = new List<MissingLowering>();
            CpuPlan plan = CpuPlan.Create(ModelPlan.Create(q.Graph, q.Ranges), CpuLowering.Registry, missing)!;
            Assert.Empty(missing);
            foreach (string name in new[] { "pos_add", "bias_add" })
            {
                GraphNode n = q.Graph.Nodes.Single(x => x.Layer.Name == name);
                TensorInfo c = n.Inputs.Single(t => t.Kind == TensorKind.Initializer);
                Assert.Equal(ElementType.Int32, c.Type);
                Assert.Equal(Math.Pow(2, -21), c.Quant!.Scale / n.Output.Quant!.Scale, 12);
                var add = (AddLayer)n.Layer;
                Dyadic dc = c == n.Inputs[0] ? add.Integers.RequantA : add.Integers.RequantB;
                Assert.Equal(new Dyadic(1, 21), dc);
                Assert.True(c.IntData!.Max(v => Math.Abs(v)) > 1 << 22, $"{name}: the constant's integers should use the int32 width");
                Assert.Equal(AddBiasRows.Kernel, plan.Layers.Single(l => l.Node.Layer.Name == name).Kernel.Kernel);
            }
        }

        /// <summary>Every unsaturated output is the float sum (activation dequantized + the FLOAT constant) rounded, to 2^-14 LSB.</summary>
        [Fact]
        public void OutputsAreTheRoundedSumWithTheFloatConstant()
        {
            CorpusCase cc = Corpus.Find("add_wide_constants");
            ModelGraph fg = cc.Build();
            QuantizedModel q = Corpus.Quantize(cc);
            float[] pos = fg.Nodes.SelectMany(n => n.Inputs).First(t => t.Name == "pos").FloatData!;
            float[] bias = fg.Nodes.SelectMany(n => n.Inputs).First(t => t.Name == "bias").FloatData!;
            var reference = new ReferenceInterpreter(q.Graph);
            TensorQuant qx = q.Graph.Input.Quant!;
            TensorQuant qp = q.Graph.Nodes.Single(n => n.Layer.Name == "pos_add").Output.Quant!;
            TensorQuant qo = q.Graph.Output.Quant!;
            long checkedCount = 0;
            foreach (int[] x in Inputs.For(q.Graph, 8))
            {
                IReadOnlyDictionary<string, int[]> all = reference.RunAll(x);
                int[] p = all["pos_add_out"], y = all["bias_add_out"];
                for (int i = 0; i < x.Length; i++)
                {
                    double e1 = ((((x[i] - qx.ZeroPoint) * qx.Scale) + pos[i]) / qp.Scale) + qp.ZeroPoint;
                    double e2 = ((((p[i] - qp.ZeroPoint) * qp.Scale) + bias[i % 24]) / qo.Scale) + qo.ZeroPoint;
                    foreach ((double exact, int got) in new[] { (e1, p[i]), (e2, y[i]) })
                    {
                        if (exact > -128.5 && exact < 127.5)
                        {
                            Assert.True(Math.Abs(got - exact) <= 0.5 + Math.Pow(2, -14), $"{i}: {got} vs {exact}");
                            checkedCount++;
                        }
                    }
                }
            }

            Assert.True(checkedCount > 8 * 37 * 24, $"{checkedCount} outputs checked");
        }
    }
}

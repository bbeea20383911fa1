using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>AvgPool over one axis: vectorized int8 rows (innermost axis) -> int64 sums; 1 / count folded into the layer's dyadic.</summary>
    public sealed class AvgPoolLowering : CpuLowering
    {
        /// <summary>The int8 pool over the innermost axis (rows; columns of a channels-last flatten, CpuPlan.PooledFlattens).</summary>
        public const string RowsKernel = "int8-avg-rows";

        public override OpKind Op => OpKind.AvgPool;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Int8Rows(), new Loop() };

        /// <summary>int8 in and out, pooled over the innermost axis (the global pool after a flatten): QuantGenKernels.AvgRowsS8.</summary>
        private sealed class Int8Rows : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
            {
                var p = (AvgPoolLayer)node.Layer;
                TensorInfo x = node.Inputs[0], y = node.Output;
                bool rows = (p.Axis == x.Shape.Length - 1 || x.Shape.Skip(p.Axis + 1).All(v => v == 1)) && x.Shape[p.Axis] * 255L < int.MaxValue;
                return rows && CSharp.Type(x.Type) == "sbyte" && CSharp.Type(y.Type) == "sbyte" && p.Integers.Requant.Shift <= 62
                    ? new CpuKernelPlan(RowsKernel) { Library = KernelFiles.Kernels }
                    : null;
            }

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                var p = (AvgPoolLayer)node.Layer;
                TensorInfo x = node.Inputs[0], y = node.Output;
                int count = x.Shape[p.Axis];
                Dyadic r = p.Integers.Requant;
                if (e.Plan.IsChannelsLast(x))
                {
                    // A flatten of a channels-last [n][h][w][c] activation (CpuPlan.PooledFlattens): the bytes are [n][h * w][c], so
                    // the pool sums columns, 16 channels per vector, with the same integers as the rows.
                    w.Line($"// Kernel {RowsKernel} on a channels-last flatten: x is [{x.Shape[0]}][{count}][{x.Shape[1]}], per channel the sum of x - zx over the {count} positions.");
                    w.Line(CpuEmitter.K("AvgColumnsS8", "x", CSharp.I(x.Shape[0]), CSharp.I(count), CSharp.I(x.Shape[1]), CSharp.I(x.Quant!.ZeroPoint), CSharp.I(r.Multiplier), CSharp.I(r.Shift),
                        CSharp.I(y.Quant!.ZeroPoint), CSharp.I(y.Type.MinValue), CSharp.I(y.Type.MaxValue), "y") + ";");
                    return;
                }

                w.Line(CpuEmitter.K("AvgRowsS8", "x", CSharp.I(x.ElementCount / count), CSharp.I(count), CSharp.I(x.Quant!.ZeroPoint), CSharp.I(r.Multiplier), CSharp.I(r.Shift),
                    CSharp.I(y.Quant!.ZeroPoint), CSharp.I(y.Type.MinValue), CSharp.I(y.Type.MaxValue), "y") + ";");
            }
        }

        private sealed class Loop : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                var p = (AvgPoolLayer)node.Layer;
                TensorInfo x = node.Inputs[0], y = node.Output;
                int[] shape = x.Shape;
                int outer = shape.Take(p.Axis).Aggregate(1, (acc, v) => acc * v), inner = shape.Skip(p.Axis + 1).Aggregate(1, (acc, v) => acc * v), count = shape[p.Axis];
                Dyadic r = p.Integers.Requant;
                w.Open($"for (int o = 0; o < {outer}; o++)");
                w.Open($"for (int i = 0; i < {inner}; i++)");
                w.Line("long sum = 0;");
                w.Open($"for (int t = 0; t < {count}; t++)");
                w.Line($"sum += x[(o * {count} + t) * {inner} + i] - {CSharp.I(x.Quant!.ZeroPoint)};");
                w.Close();
                w.Line($"y[o * {inner} + i] = ({CSharp.Type(y.Type)})QuantGenKernels.Clamp({CSharp.I(y.Quant!.ZeroPoint)} + QuantGenKernels.RoundShift(sum * {r.Multiplier}, {r.Shift}), {CSharp.I(y.Type.MinValue)}, {CSharp.I(y.Type.MaxValue)});");
                w.Close();
                w.Close();
            }
        }
    }
}

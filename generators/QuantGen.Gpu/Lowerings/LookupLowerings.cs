using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Operators;

namespace QuantGen.Gpu
{
    /// <summary>
    /// The table operators (Tanh, Sigmoid, HardSigmoid, HardSwish): one thread per element, one load from the layer's table
    /// in the int32 constants; a segmented table (int16 inputs) loads the two entries around x and interpolates as
    /// LookupOperator.Apply does; HardSigmoid/HardSwish on int16 inputs compute their exact form (PiecewiseLinearLowering).
    /// </summary>
    public abstract class LookupLowering : GpuLowering
    {
        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            if (((LookupLayer)node.Layer).Integers.Exact is PiecewiseLinear exact)
            {
                PiecewiseLinearLowering.Emit(kern, node, exact);
                return;
            }

            int[] table = ((LookupLayer)node.Layer).Integers.Table.ToArray();
            TensorInfo x = node.Inputs[0], y = node.Output;
            int shift = LookupOperator.SegmentShift(x.Type);
            kern.UseC32 = true;
            int off = em.AddC32(table);
            kern.Threads = GpuEmitter.I(y.ElementCount);
            kern.Body.Line("int i = index;");
            if (shift == 0)
            {
                kern.What = $"one thread per element: y = table[x - ({x.Type.MinValue})], the spec's {table.Length}-entry {node.Layer.Op} table in the int32 constants";
                kern.Body.Line($"y[i] = ({GpuEmitter.CType(y.Type)})c32[{off} + x[i] - ({GpuEmitter.I(x.Type.MinValue)})];");
                return;
            }

            kern.What = $"one thread per element: the spec's {table.Length}-entry {node.Layer.Op} segment table (one entry every {1 << shift} inputs) in the int32 constants, interpolated";
            kern.Body.Line($"int u = x[i] - ({GpuEmitter.I(x.Type.MinValue)});");
            kern.Body.Line($"long a = c32[{off} + (u >> {shift})], b = c32[{off} + (u >> {shift}) + 1];");
            kern.Body.Line($"y[i] = ({GpuEmitter.CType(y.Type)})(a + ((((b - a) * (u & {(1 << shift) - 1})) + {1 << (shift - 1)}) >> {shift}));");
        }
    }

    public sealed class TanhLowering : LookupLowering
    {
        public override OpKind Op => OpKind.Tanh;
    }

    public sealed class SigmoidLowering : LookupLowering
    {
        public override OpKind Op => OpKind.Sigmoid;
    }

    public sealed class HardSigmoidLowering : LookupLowering
    {
        public override OpKind Op => OpKind.HardSigmoid;
    }

    public sealed class HardSwishLowering : LookupLowering
    {
        public override OpKind Op => OpKind.HardSwish;
    }
}

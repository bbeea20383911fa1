using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>The table operators (Tanh, Sigmoid, HardSigmoid, HardSwish): one thread per element, one load from the layer's table in the int32 constants.</summary>
    public abstract class LookupLowering : GpuLowering
    {
        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            int[] table = ((LookupLayer)node.Layer).Table!;
            TensorInfo x = node.Inputs[0], y = node.Output;
            kern.UseC32 = true;
            int off = em.AddC32(table);
            kern.Threads = GpuEmitter.I(y.ElementCount);
            kern.What = $"one thread per element: y = table[x - ({x.Type.MinValue})], the spec's {table.Length}-entry {node.Layer.Op} table in the int32 constants";
            kern.Body.Line("int i = index;");
            kern.Body.Line($"y[i] = ({GpuEmitter.CType(y.Type)})c32[{off} + x[i] - ({GpuEmitter.I(x.Type.MinValue)})];");
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

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// Calls one private generated layer method (Layer_&lt;name&gt;) of a compiled model through a delegate, on random
    /// operands of the right types and sizes, so that single layers can be timed (GMAC/s per layer).
    /// </summary>
    public sealed class LayerRunner
    {
        private delegate void S8S8(ReadOnlySpan<sbyte> x, Span<sbyte> y);

        private delegate void S8S16(ReadOnlySpan<sbyte> x, Span<short> y);

        private delegate void S8S8S8(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, Span<sbyte> y);

        private delegate void S16S8S8(ReadOnlySpan<short> a, ReadOnlySpan<sbyte> b, Span<sbyte> y);

        private readonly Action run;

        public LayerRunner(object model, GraphNode node)
        {
            Name = node.Layer.Name;
            Op = node.Layer.Op.ToString();
            MethodInfo m = model.GetType().GetMethod("Layer_" + Name, BindingFlags.NonPublic | BindingFlags.Instance)
                ?? throw new InvalidOperationException("no generated method for layer " + Name);
            var rng = new Random(5);
            object Buffer(TensorInfo t)
            {
                if (t.Type.Bits <= 8)
                {
                    // Room for a padded image (a tensor the CPU plan stores as its depthwise consumer's padded u-image is
                    // passed as the whole window: CpuPlan.PaddedImages).
                    return Enumerable.Range(0, (t.ElementCount * 2) + 4096).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
                }

                return Enumerable.Range(0, t.ElementCount).Select(_ => (short)rng.Next(0, 32768 / 64)).ToArray();
            }

            object[] ins = node.Inputs.Where(t => t.Kind != TensorKind.Initializer).Select(Buffer).ToArray();
            object outBuf = Buffer(node.Output);
            Type[] p = m.GetParameters().Select(q => q.ParameterType).ToArray();
            if (p.Length == 2 && p[1] == typeof(Span<sbyte>))
            {
                var d = (S8S8)m.CreateDelegate(typeof(S8S8), model);
                sbyte[] x = (sbyte[])ins[0], y = (sbyte[])outBuf;
                run = () => d(x, y);
            }
            else if (p.Length == 2)
            {
                var d = (S8S16)m.CreateDelegate(typeof(S8S16), model);
                sbyte[] x = (sbyte[])ins[0];
                short[] y = (short[])outBuf;
                run = () => d(x, y);
            }
            else if (p[0] == typeof(ReadOnlySpan<sbyte>))
            {
                var d = (S8S8S8)m.CreateDelegate(typeof(S8S8S8), model);
                sbyte[] a = (sbyte[])ins[0], b = (sbyte[])ins[1], y = (sbyte[])outBuf;
                run = () => d(a, b, y);
            }
            else
            {
                var d = (S16S8S8)m.CreateDelegate(typeof(S16S8S8), model);
                short[] a = (short[])ins[0];
                sbyte[] b = (sbyte[])ins[1], y = (sbyte[])outBuf;
                run = () => d(a, b, y);
            }
        }

        public string Name { get; }

        public string Op { get; }

        public void Run() => run();

        public static List<LayerRunner> ForEncoder(EncoderBlock model)
        {
            ModelGraph g = ModelLoader.Load(Path.Combine(Inputs.ModelsDirectory, "encoder_block.qmodel.json")).GetGraphOrThrow();
            return g.Nodes.Select(n => new LayerRunner(model, n)).ToList();
        }
    }
}

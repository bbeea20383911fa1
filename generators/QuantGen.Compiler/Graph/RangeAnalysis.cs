using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Operators;

namespace QuantGen.Graph
{
    /// <summary>An integer interval and the narrowest two's-complement (or unsigned) width that holds it.</summary>
    public readonly struct IntRange
    {
        public IntRange(long min, long max)
        {
            Min = min;
            Max = max;
        }

        public long Min { get; }

        public long Max { get; }

        public bool IsSigned => Min < 0;

        /// <summary>Bits needed: signed width when the range has negatives, unsigned width otherwise (at least 1).</summary>
        public int Bits => BitsFor(Min, Max);

        public static int BitsFor(long min, long max)
        {
            if (min < 0)
            {
                int w = 1;
                while (w < 64 && (min < -(1L << (w - 1)) || max > (1L << (w - 1)) - 1))
                {
                    w++;
                }

                return w;
            }

            int u = 1;
            while (u < 63 && max > (1L << u) - 1)
            {
                u++;
            }

            return u;
        }

        public IntRange Union(IntRange o) => new IntRange(Math.Min(Min, o.Min), Math.Max(Max, o.Max));

        public IntRange Clamp(long lo, long hi) => new IntRange(IntegerOps.Clamp(Min, lo, hi), IntegerOps.Clamp(Max, lo, hi));

        public override string ToString() => "[" + Min + ", " + Max + "]";
    }

    /// <summary>Ranges of one layer: its output and every named intermediate (accumulators, exponentials, sums).</summary>
    public sealed class LayerRanges
    {
        internal LayerRanges(string layer, OpKind op)
        {
            Layer = layer;
            Op = op;
        }

        public string Layer { get; }

        public OpKind Op { get; }

        /// <summary>Named intermediates in evaluation order, e.g. "acc" for a Dense accumulator.</summary>
        public List<KeyValuePair<string, IntRange>> Intermediates { get; } = new List<KeyValuePair<string, IntRange>>();

        public IntRange Output { get; internal set; }

        public IntRange? Find(string name) => Intermediates.Where(kv => kv.Key == name).Select(kv => (IntRange?)kv.Value).FirstOrDefault();
    }

    public sealed class RangeReport
    {
        internal RangeReport(Dictionary<string, IntRange> tensors, List<LayerRanges> layers)
        {
            Tensors = tensors;
            Layers = layers;
        }

        /// <summary>Proven range of every integer tensor (input, initializers, activations).</summary>
        public IReadOnlyDictionary<string, IntRange> Tensors { get; }

        public IReadOnlyList<LayerRanges> Layers { get; }
    }

    /// <summary>
    /// Interval analysis over a quantized graph. Starting from the declared input range, it bounds every
    /// accumulator and intermediate for EVERY input in that range (weights are known, so Dense bounds are
    /// per output channel and exact for the worst-case input), and proves that int32 accumulators and the
    /// operand limits of the integer kernels hold; anything it cannot prove is a QG1019 diagnostic. The
    /// widths it reports are what the HLS backend uses as exact bit widths.
    /// </summary>
    public static class RangeAnalysis
    {
        private const long Int32Max = int.MaxValue;
        private const long Int32Min = int.MinValue;

        public static RangeReport? Analyze(ModelGraph graph, List<ModelDiagnostic> diagnostics)
        {
            if (!graph.IsQuantized)
            {
                throw new ArgumentException("range analysis needs a quantized graph", nameof(graph));
            }

            int before = diagnostics.Count;
            var tensors = new Dictionary<string, IntRange>(StringComparer.Ordinal);
            var layers = new List<LayerRanges>();
            for (int i = 0; i < graph.Inputs.Count; i++)
            {
                TensorQuant inQ = graph.Inputs[i].Quant!;
                InputSpec inSpec = graph.Spec.Inputs[i];
                tensors[graph.Inputs[i].Name] = new IntRange(QuantizeBound(inSpec.RangeMin, inQ), QuantizeBound(inSpec.RangeMax, inQ));
            }

            foreach (TensorInfo t in graph.Tensors.Values.Where(t => t.Kind == TensorKind.Initializer && t.IntData != null))
            {
                tensors[t.Name] = t.IntData!.Length == 0 ? new IntRange(0, 0) : new IntRange(t.IntData.Min(), t.IntData.Max());
            }

            foreach (GraphNode node in graph.Nodes)
            {
                var lr = new LayerRanges(node.Layer.Name, node.Layer.Op);
                var ctx = new RangeContext(graph, node, tensors, lr, diagnostics);
                Operator? def = OperatorRegistry.Core.Find(node.Layer.Op);
                IntRange output;
                if (def == null)
                {
                    ctx.Report($"operator {node.Layer.Op} has no core definition (Operators/{node.Layer.Op})", ModelErrors.UnknownOperator);
                    output = new IntRange(node.Output.Type.MinValue, node.Output.Type.MaxValue);
                }
                else
                {
                    output = def.Range(ctx);
                }

                for (int j = node.Outputs.Count - 1; j >= 0; j--)
                {
                    ElementType t = node.Outputs[j].Type;
                    lr.Output = output.Clamp(t.MinValue, t.MaxValue);
                    tensors[node.Outputs[j].Name] = lr.Output;
                }

                layers.Add(lr);
            }

            return diagnostics.Count == before ? new RangeReport(tensors, layers) : null;
        }

        /// <summary>The integer an input bound quantizes to, by the boundary helper's rule.</summary>
        public static long QuantizeBound(double real, TensorQuant q) => Quantization.Quantize(real, q.Scale, q.ZeroPoint, q.Type);
    }
}
